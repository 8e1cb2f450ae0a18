"""The Batch API's files for a run (`harness run --batch`): the input lines, the stored state that lets an
interrupted wait resume, and the output and error lines read back as the live path reads an answer.

An input line is one `/v1/chat/completions` request per sample, `custom_id` its cache key, its body the one a live
run posts (`tokens.request_bodies`: the run's instructor client in its mode, stopped before sending). An output line
is parsed by the same instructor client, fed the stored completion instead of an HTTP answer, with no re-ask
(`max_retries` 0: a batch cannot ask again), so the answer, its validation, its failure kind and its usage are a
live answer's. A line with a status other than 200, an error-file line and a key with no line are failures.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.extract.cache import Usage
from harness.extract.faults import Failure, server_text
from harness.extract.params import GenParams
from harness.extract.provider import MAX_ANSWER_BYTES, check_answer_size
from harness.extract.response_spec import ResponseSpec
from harness.extract.retry import Outcome, with_retries
from harness.extract.runner import Sample
from harness.extract.structured import structured_client, use_schema
from harness.extract.tokens import request_bodies
from harness.extract.wire import AnswerTooLarge
from harness.files import atomic_write_text, now_utc

ENDPOINT = "/v1/chat/completions"
TERMINAL = ("completed", "failed", "expired", "cancelled")
STATE_DIR = "batches"  # under the local cache folder: <cache-dir>/batches/<input sha256>.json


class BatchState(BaseModel):
    """What a submitted batch leaves in the cache folder, keyed by the sha256 of its input file."""

    input_sha256: str
    batch_id: str
    input_file_id: str
    keys: list[str]
    created: str
    status: str = "validating"
    reported: bool = False  # its outcome reached a run record: a later run with the same input submits anew


def input_lines(samples: Iterable[Sample], params: GenParams) -> list[dict[str, Any]]:
    """One request line per distinct cache key, in plan order; the body the live path would post."""
    unique = list({s.key: s for s in samples}.values())
    specs = [s.prompt.spec() for s in unique]  # each prompt's own response model, as the live path asks for it
    bodies = request_bodies(params, [(s.messages, s.model, s.repeat) for s in unique], specs)
    return [{"custom_id": s.key, "method": "POST", "url": ENDPOINT, "body": b}
            for s, b in zip(unique, bodies, strict=True)]  # fmt: skip


def input_file(lines: list[dict[str, Any]]) -> tuple[bytes, str]:
    """The JSONL bytes of the input file and their sha256 (the batch's identity in the state folder)."""
    data = "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines).encode()
    return data, hashlib.sha256(data).hexdigest()


class StateStore:
    """The submitted batches of a cache folder: `<root>/<input sha256>.json`, written atomically."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        return self.root / f"{sha}.json"

    def get(self, sha: str) -> BatchState | None:
        try:
            state = BatchState.model_validate_json(self.path(sha).read_bytes())
        except (OSError, ValidationError, ValueError):
            return None
        return state if state.input_sha256 == sha else None

    def put(self, state: BatchState) -> Path:
        path = self.path(state.input_sha256)
        atomic_write_text(path, state.model_dump_json(indent=1) + "\n")
        return path

    def new(self, sha: str, batch_id: str, file_id: str, keys: list[str]) -> BatchState:
        state = BatchState(input_sha256=sha, batch_id=batch_id, input_file_id=file_id, keys=keys, created=now_utc())
        self.put(state)
        return state


def jsonl(data: bytes | None) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file; a line that is not one is skipped (its key then has no line)."""
    out = []
    for raw in (data or b"").splitlines():
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


class _Replaying:
    """Stands where the openai client stands in `structured_client`: answers the post with a stored completion."""

    def __init__(self) -> None:
        self.content = b""

    async def post(self, path: str, *, body: Any, cast_to: Any) -> Any:  # noqa: ARG002 (the client's signature)
        import httpx2

        request = httpx2.Request("POST", f"https://batch.invalid/v1{path}")
        return httpx2.Response(200, content=self.content, request=request)


def _error_failure(line: dict[str, Any], secrets: list[str]) -> Failure | None:
    """The failure a line records: its error, or its response's status other than 200; None for an answer."""
    response = line.get("response") if isinstance(line.get("response"), dict) else None
    error = line.get("error") if isinstance(line.get("error"), dict) else None
    status = response.get("status_code") if response else None
    if response is not None and status == 200 and error is None:
        return None
    if response is not None and isinstance(status, int):
        body = response.get("body")
        err = body.get("error") if isinstance(body, dict) else None
        text = err.get("message") if isinstance(err, dict) else json.dumps(body)
        return Failure(kind="http_status", status=status, message=server_text(f"batch line: {status}: {text}", secrets))
    code = str((error or {}).get("code") or "error")
    text = server_text(f"batch line: {code}: {(error or {}).get('message') or ''}", secrets)
    return Failure(kind="timeout" if code == "batch_expired" else "error", message=text)


def failure_for_missing(status: str, errors: str) -> Failure:
    """A key the batch returned no line for: it expired, was cancelled or failed as a whole."""
    if status == "expired":
        return Failure(kind="timeout", message="the batch expired (24 h window) before this request ran")
    why = f": {errors}" if errors else ""
    return Failure(kind="error", message=server_text(f"the batch ended {status} without this request{why}"))


def read_outcomes(lines: list[dict[str, Any]], samples: dict[str, Sample], params: GenParams,
                  secrets: list[str]) -> dict[str, Outcome]:  # fmt: skip
    """Each line for a key of `samples` as the live path's Outcome: parsed by the run's instructor client with no
    re-ask, or the failure the line records."""
    return asyncio.run(_outcomes(lines, samples, params, secrets))


async def _outcomes(lines: list[dict[str, Any]], samples: dict[str, Sample], params: GenParams,
                    secrets: list[str]) -> dict[str, Outcome]:  # fmt: skip
    replaying = _Replaying()
    client = structured_client(replaying, params)  # type: ignore[arg-type]  # the one method it calls is there
    once = params.model_copy(update={"max_attempts": 1})
    out: dict[str, Outcome] = {}
    for line in lines:
        key = line.get("custom_id")
        if not isinstance(key, str) or key not in samples or key in out:
            continue
        failure = _error_failure(line, secrets)
        if failure is not None:
            out[key] = Outcome(answer=None, usage=_usage(line), attempts=1, latency_s=0.0, failure=failure)
            continue
        body = line["response"].get("body")
        content = json.dumps(body, ensure_ascii=False).encode() if not isinstance(body, str) else body.encode()
        if len(content) > MAX_ANSWER_BYTES:
            big = Failure(kind="oversized", message=str(AnswerTooLarge(MAX_ANSWER_BYTES, len(content))))
            out[key] = Outcome(answer=None, usage=_usage(line), attempts=1, latency_s=0.0, failure=big)
            continue
        replaying.content = content
        sample = samples[key]
        spec = sample.prompt.spec()

        async def call(sample: Sample = sample, spec: ResponseSpec = spec) -> BaseModel:
            async with use_schema(spec.schema, params.sends_grammar(spec.grammar)):  # as Provider asks for it
                answer = await client.create(model=sample.model, messages=sample.messages,  # type: ignore[arg-type]
                                             response_model=spec.model, max_retries=0, strict=False)  # fmt: skip
            check_answer_size(answer)
            return answer

        outcome = await with_retries(call, once, None, secrets, spec.salvage)
        outcome.attempts, outcome.latency_s = 1, 0.0  # one request in the batch; its time there is not measured
        out[key] = outcome
    return out


def _usage(line: dict[str, Any]) -> Usage:
    body = (line.get("response") or {}).get("body") if isinstance(line.get("response"), dict) else None
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return Usage()
    return Usage(prompt_tokens=int(usage.get("prompt_tokens") or 0),
                 completion_tokens=int(usage.get("completion_tokens") or 0))  # fmt: skip
