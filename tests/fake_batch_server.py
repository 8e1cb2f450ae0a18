"""The fake OpenAI server with the Batch API: `/v1/files` (upload, content) and `/v1/batches` (create, retrieve).

Real sockets on 127.0.0.1, as the chat fake. A batch's lines are answered by the chat fake's own logic (canned
answers by marker, queued faults), so a batch answer is the answer a live request gets. A batch reports
`in_progress` for `polls_before_end` retrievals, then ends as `final_status`:

    completed   every line answered: status 200 lines to the output file, other statuses to the error file
    expired     the first `expire_after` lines answered, the rest to the error file as `batch_expired`
    failed      no line answered, no file; the batch's `errors` say why
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tests.fake_openai_server import FakeOpenAIServer


class _Capture:
    """Stands for a connection's writer: keeps the bytes of one HTTP response."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.transport = self

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None

    def get_extra_info(self, _name: str) -> None:
        return None

    def abort(self) -> None:
        return None

    def close(self) -> None:
        return None

    def response(self) -> tuple[int, Any]:
        head, _, body = bytes(self.data).partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1]) if head else 0
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode("utf-8", "replace")


def _multipart(headers: dict[str, str], body: bytes) -> dict[str, bytes]:
    boundary = headers.get("content-type", "").split("boundary=", 1)[1].strip('"').encode()
    parts: dict[str, bytes] = {}
    for part in body.split(b"--" + boundary):
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep or b'name="' not in head:
            continue
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        parts[name] = content.removesuffix(b"\r\n")
    return parts


class FakeBatchServer(FakeOpenAIServer):
    """`with FakeBatchServer(answers) as srv:`; `srv.batches_created`, `srv.files`, `srv.retrieved` to check."""

    def __init__(self, *args: Any, polls_before_end: int = 1, final_status: str = "completed",
                 expire_after: int = 0, **kw: Any):  # fmt: skip
        super().__init__(*args, **kw)
        self.polls_before_end = polls_before_end
        self.final_status = final_status
        self.expire_after = expire_after
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batches_created = 0
        self.retrieved: list[str] = []
        self._polls: dict[str, int] = {}

    async def _route(self, method: str, path: str, headers: dict[str, str], body: bytes,
                     writer: asyncio.StreamWriter) -> bool | str:  # fmt: skip
        parts = path.split("?", 1)[0].rstrip("/").split("/")
        if len(parts) >= 3 and parts[2] in ("files", "batches"):
            status, payload = await self._batch_api(method, parts[2:], headers, body)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self._send(writer, status, data)
            await writer.drain()
            return True
        return await super()._route(method, path, headers, body, writer)

    def _file(self, content: bytes, purpose: str, name: str) -> dict[str, Any]:
        fid = f"file-{len(self.files) + 1}"
        self.files[fid] = {"id": fid, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                           "filename": name, "purpose": purpose, "status": "processed", "content": content}  # fmt: skip
        return {k: v for k, v in self.files[fid].items() if k != "content"}

    async def _batch_api(self, method: str, parts: list[str], headers: dict[str, str],
                         body: bytes) -> tuple[int, Any]:  # fmt: skip
        if parts == ["files"] and method == "POST":
            form = _multipart(headers, body)
            return 200, self._file(form["file"], form.get("purpose", b"").decode(), "input.jsonl")
        if len(parts) == 3 and parts[0] == "files" and parts[2] == "content" and parts[1] in self.files:
            return 200, self.files[parts[1]]["content"]
        if parts == ["batches"] and method == "POST":
            req = json.loads(body)
            if req.get("input_file_id") not in self.files:
                return 404, {"error": {"message": "no such file"}}
            self.batches_created += 1
            bid = f"batch_{self.batches_created}"
            total = len(self.files[req["input_file_id"]]["content"].splitlines())
            self.batches[bid] = {
                "id": bid, "object": "batch", "endpoint": req["endpoint"], "input_file_id": req["input_file_id"],
                "completion_window": req["completion_window"], "status": "validating", "created_at": int(time.time()),
                "metadata": req.get("metadata"), "request_counts": {"total": total, "completed": 0, "failed": 0},
            }  # fmt: skip
            return 200, self.batches[bid]
        if len(parts) == 2 and parts[0] == "batches" and parts[1] in self.batches:
            bid = parts[1]
            self.retrieved.append(bid)
            batch = self.batches[bid]
            if batch["status"] in ("validating", "in_progress"):
                self._polls[bid] = self._polls.get(bid, 0) + 1
                batch["status"] = "in_progress"
                if self._polls[bid] > self.polls_before_end:
                    await self._finish(batch)
            return 200, batch
        return 404, {"error": {"message": f"not found: {'/'.join(parts)}"}}

    async def _finish(self, batch: dict[str, Any]) -> None:
        lines = [json.loads(x) for x in self.files[batch["input_file_id"]]["content"].splitlines()]
        status = self.final_status
        if status == "failed":
            refused = {"code": "invalid_request", "message": "injected: the input file was refused", "line": 1}
            batch.update(status="failed", errors={"object": "list", "data": [refused]})
            return
        answered = lines if status == "completed" else lines[: self.expire_after]
        out, err = [], []
        for n, line in enumerate(lines):
            if line in answered:
                capture = _Capture()
                await self._chat(line["body"], {}, capture)  # type: ignore[arg-type]
                code, payload = capture.response()
                row = {"id": f"batch_req_{n}", "custom_id": line["custom_id"], "error": None,
                       "response": {"status_code": code, "request_id": f"req_{n}", "body": payload}}  # fmt: skip
                (out if code == 200 else err).append(row)
            else:
                late = {"code": "batch_expired", "message": "This request was not run before the window ended."}
                err.append({"id": f"batch_req_{n}", "custom_id": line["custom_id"], "response": None, "error": late})
        counts = {"total": len(lines), "completed": len(out), "failed": len(err)}
        batch.update(status=status, request_counts=counts)
        for name, rows in (("output_file_id", out), ("error_file_id", err)):
            if rows:
                data = "".join(json.dumps(r) + "\n" for r in rows).encode()
                batch[name] = self._file(data, "batch_output", f"{name}.jsonl")["id"]
