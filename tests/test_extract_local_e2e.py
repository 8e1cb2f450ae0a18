"""The real embedded model: served on loopback and answering, then end to end on one article — asked, parsed into
claims, scored against the gold, then replayed offline from the cache with no server.

The model is the session's one server (tests/conftest.py `embedded_server`; skipped only when the weights are not
set up). Every test that asks the real model lives in this file, so `--dist loadfile` (make test) runs them all on
one worker and the model is loaded once; conftest schedules this file first, so it overlaps with the rest.

Kept short on two cores: the smallest seed article (001, 627 tokens), the plain prompt (about 1,000 prompt tokens
fewer than the guided one) and a cap of 176 output tokens. On this model the plain prompt's answer to 001 writes its
first claim in 152 tokens, so the cap cuts the answer inside the second claim and the first one, finished, is kept.
How fast the model answers is measured by `make bench` (benchmarks/bench_embedded.py), not here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from harness.extract import local_model as lm
from harness.extract.provider import GenParams
from harness.pipeline import RunConfig, execute_run
from harness.records import read_run
from harness.score.grounding import locate
from tests.conftest import clean_env

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "001_ace72b6c210ee1f9"  # the shortest seed article in tokens
MAX_TOKENS = 176


def test_the_embedded_model_is_served_on_loopback_and_answers(embedded_server: lm.LocalServer) -> None:
    import openai

    server = embedded_server
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
    assert server.process.poll() is None and os.getpgid(server.pid) == server.pid  # running, in its own group
    models = httpx.get(f"{server.base_url}/models", timeout=5, trust_env=False).json()
    assert [m["id"] for m in models["data"]] == [lm.DEFAULT_ALIAS]
    client = openai.OpenAI(base_url=server.base_url, api_key="unused", http_client=httpx.Client(trust_env=False))
    reply = client.chat.completions.create(
        model=server.model, messages=[{"role": "user", "content": "Reply with the word OK."}], max_tokens=4,
        temperature=0,
    )  # fmt: skip
    assert reply.choices[0].message.content.strip()
    assert 1 <= reply.usage.completion_tokens <= 4  # the cap is honoured


def test_embedded_model_extracts_scores_and_replays_one_article(tmp_path, embedded_server, gold, articles, monkeypatch):
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "HARNESS_MODEL_FILE"):
        monkeypatch.delenv(var, raising=False)
    cfg = RunConfig(
        prompts=["plain"], only=[ARTICLE], seeds=ROOT / "seeds", gold=ROOT / "gold", prompts_dir=ROOT / "prompts",
        cache_dir=tmp_path / "cache", recorded=[], out_dir=tmp_path / "runs", n_boot=100,
        generation=GenParams(max_tokens=MAX_TOKENS),
    )  # fmt: skip
    rec = read_run(execute_run(cfg, local_server=embedded_server).path)
    assert rec.endpoint.kind == "local" and rec.endpoint.identity == "local:" + lm.QWEN_PIN.sha256
    (sample,) = rec.samples
    assert sample.ok, sample.failure
    assert sample.source == "request" and sample.attempts == 1
    # The cap is honoured, and an answer that reached it is marked as cut (and keeps its finished claims).
    assert 0 < sample.usage.completion_tokens <= MAX_TOKENS
    assert sample.truncated == (sample.usage.completion_tokens == MAX_TOKENS)
    assert sample.claims, "the model's first claim fits under the cap: at least one claim is parsed"

    # The claims are about this article: each is filed under it, and its quotes stand in its text.
    text = articles[ARTICLE].text
    assert all(c.article_id == ARTICLE for c in sample.claims)
    quotes = [q for c in sample.claims for q in c.evidence]
    located = [q for q in quotes if locate(q, text)[1] is not None]
    assert located, f"no quote of the model's answer is in the article: {quotes}"

    # Scored against the gold: every gold claim of 001 and every predicted claim is counted once, as the metric
    # defines POS = COR + PAR + INC + MIS (gold items) and ACT = COR + PAR + INC + SPU (predicted items).
    (score,) = rec.scores
    assert score.error is None and score.articles == [ARTICLE]
    counts = score.report["claims"]["counts"]
    n_gold = len(gold[ARTICLE].claims)
    assert counts["correct"] + counts["partial"] + counts["incorrect"] + counts["missing"] == n_gold
    assert counts["correct"] + counts["partial"] + counts["incorrect"] + counts["spurious"] == len(sample.claims)
    grounding = score.report["grounding"]
    assert grounding["quotes"] == len(quotes)
    assert grounding["exact"] + grounding["normalised"] + grounding["fuzzy"] == len(located)

    # The same run again is answered by the cache: no server started, nothing requested, the same claims and scores.
    def no_server(*args, **kwargs):
        raise AssertionError("an offline replay must not start the model server")

    monkeypatch.setattr(lm, "serve", no_server)
    again = read_run(execute_run(cfg.model_copy(update={"offline": True})).path)
    assert again.cache.hits_local == 1 and again.cache.requests == 0
    assert again.samples[0].source == "local" and again.samples[0].claims == sample.claims
    assert again.scores[0].report["claims"] == score.report["claims"]


def _children(pid: int) -> list[int]:
    """Pids whose parent is `pid` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.local_model
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_a_harness_killed_outright_mid_answer_takes_the_real_server_along(tmp_path) -> None:
    """kill -9 of `harness run` while the real server is answering: the server is gone within seconds (it used to
    stay up, finishing its answer, 60 s and more). The one test that loads the weights a second time: what is under
    test is this server process, started by the harness that is killed."""
    if not lm.model_path().is_file():
        pytest.skip(f"embedded model weights absent ({lm.model_path()}); run `harness local-model setup`")
    env = clean_env()
    cmd = [str(Path(sys.executable).parent / "harness"), "run", "--article", ARTICLE, "--prompt", "plain",
           "--cache-dir", str(tmp_path / "cache"), "--recorded", str(tmp_path / "none"),
           "--out", str(tmp_path / "runs"), "--no-report", "-q", "--n-threads", "1"]  # fmt: skip
    harness = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server = None
        deadline = time.monotonic() + 120
        while server is None and time.monotonic() < deadline and harness.poll() is None:
            time.sleep(0.2)
            server = next(iter(_children(harness.pid)), None)
        assert server is not None, "the harness started no server"
        args = Path(f"/proc/{server}/cmdline").read_bytes().split(b"\0")
        port = int(args[args.index(b"--port") + 1])
        while time.monotonic() < deadline and not _answers(port):
            time.sleep(0.2)
        time.sleep(3)  # ready, and asked at once: the model is reading the prompt or answering now
        assert harness.poll() is None, "the run ended before it could be killed mid-answer"
        harness.kill()
        harness.wait()
        gone_by = time.monotonic() + 15
        while _alive(server) and time.monotonic() < gone_by:
            time.sleep(0.2)
        alive = _alive(server)
        if alive:
            os.kill(server, signal.SIGKILL)
        assert not alive, "the embedded server outlived the harness killed with SIGKILL"
    finally:
        if harness.poll() is None:
            harness.kill()


# ---------------------------------------------------------------- greedy decoding under a grammar, in this process

# An invented article (not a seed): short, so each greedy answer of 40 tokens takes a few seconds on one thread.
_SHORT = (
    "SURABAYA - Dinas Perikanan Jawa Timur mencatat 5.300 kapal sudah terdaftar di aplikasi pembayaran digital "
    "per Juni 2022, kata Kepala Dinas Rina Hartati."
)
_SYSTEM = 'List the claims of the article as JSON, one per line:\n{"claims": [\n {"quote": "...", "figures": [...]}\n]}'
_MESSAGES = [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": _SHORT}]
# Asked this way, the model unconstrained starts with prose: its first pick is one a JSON grammar refuses.
_PROSE_FIRST = [{"role": "system", "content": 'List the claims of the article as JSON: {"claims": [{"quote": ...}]}'},
                {"role": "user", "content": _SHORT}]  # fmt: skip
_SCHEMA = {
    "type": "object", "required": ["claims"],
    "properties": {"claims": {"type": "array", "items": {
        "type": "object", "required": ["quote", "figures"],
        "properties": {"quote": {"type": "string"}, "figures": {"type": "array", "items": {"type": "string"}}},
    }}},
}  # fmt: skip


@pytest.fixture(scope="module")
def llama_in_process():
    """The pinned weights loaded in this process (the tests compare two samplers on one model, so no server)."""
    weights = lm.model_path()
    if not weights.is_file():
        pytest.skip(f"embedded model weights absent ({weights}); run `harness local-model setup`")
    from llama_cpp import Llama

    n_threads = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2  # as the served model (tests/conftest.py)
    return Llama(model_path=str(weights), n_ctx=1024, n_threads=n_threads, verbose=False)


def _answer(llm, response_format: dict, messages: list[dict] = _MESSAGES) -> tuple[str, int]:
    out = llm.create_chat_completion(messages=messages, temperature=0, seed=0, max_tokens=40,
                                     response_format=response_format)  # fmt: skip
    return out["choices"][0]["message"]["content"], out["usage"]["completion_tokens"]


@pytest.mark.local_model
@pytest.mark.parametrize("response_format", [{"type": "json_object"}, {"type": "json_object", "schema": _SCHEMA}],
                         ids=["json-grammar", "schema-grammar"])  # fmt: skip
def test_the_grammar_checked_after_the_pick_gives_the_same_tokens(llama_in_process, response_format, monkeypatch):
    """llama-cpp-python's chain (grammar over the whole vocabulary at every token) and GrammarAfterGreedy (the grammar
    checks the greedy pick, filters everything only when it refuses it) write the same answer, token for token; and
    the refused path is taken (unconstrained, this model opens its answer with prose, which no JSON grammar
    allows)."""
    import llama_cpp

    from harness.extract import local_model_sampler as sampler

    chain_text, chain_tokens = _answer(llama_in_process, response_format, _PROSE_FIRST)
    made: list[sampler.GrammarAfterGreedy] = []
    wrapped = sampler.grammar_after_greedy(llama_cpp.Llama._init_sampler)

    def init_and_keep(self, *args, **kwargs):
        s = wrapped(self, *args, **kwargs)
        made.append(s)
        return s

    monkeypatch.setattr(llama_cpp.Llama, "_init_sampler", init_and_keep)
    fast_text, fast_tokens = _answer(llama_in_process, response_format, _PROSE_FIRST)
    assert (fast_text, fast_tokens) == (chain_text, chain_tokens)
    assert fast_tokens == 40 and fast_text.startswith("{")
    (used,) = [s for s in made if isinstance(s, sampler.GrammarAfterGreedy)]
    assert used.picks == 40  # one pick per token written
    assert 1 <= used.refusals < used.picks  # the prose was refused at least once; most picks passed as they were
    unconstrained, _ = _answer(llama_in_process, {"type": "text"}, _PROSE_FIRST)
    assert not unconstrained.startswith("{")  # what the grammar refused


@pytest.mark.local_model
def test_a_schema_grammar_keeps_the_layout_the_model_writes(llama_in_process, monkeypatch):
    """With llama-cpp-python's own whitespace rule (one space at most) a schema grammar refuses the newline this
    model writes after "[" (on the real prompts and articles it then closed the list: every answer was empty);
    with llama.cpp's rule the schema grammar writes exactly what the plain JSON grammar lets the model write."""
    import llama_cpp.llama_grammar as grammar_module

    from harness.extract.local_model_sampler import SPACE_RULE

    plain_json, _ = _answer(llama_in_process, {"type": "json_object"})
    schema = {"type": "json_object", "schema": _SCHEMA}
    monkeypatch.setattr(grammar_module, "SPACE_RULE", '" "?')  # llama-cpp-python 0.3's own rule
    one_space, _ = _answer(llama_in_process, schema)
    monkeypatch.setattr(grammar_module, "SPACE_RULE", SPACE_RULE)
    newline, _ = _answer(llama_in_process, schema)
    assert plain_json.startswith('{"claims": [\n {"quote": "Dinas Perikanan Jawa Timur mencatat 5.300 kapal')
    assert newline == plain_json
    assert "\n" not in one_space and one_space.startswith('{"claims": [{')


# Asked for one object six times over, this model writes it again and again: the loop article 003 falls into, short.
_ASK_REPEATS = (
    'Write {"claims": [...]} where the list holds the object {"quote": "Harga naik 5 persen.", "figures": '
    '["5 persen"]} six times, identical each time.'
)
_REPEAT = [{"role": "system", "content": "Output JSON only."}, {"role": "user", "content": _ASK_REPEATS}]


@pytest.mark.local_model
def test_a_unique_items_schema_closes_the_list_after_the_first_repeat(llama_in_process, monkeypatch):
    """The same request with and without `uniqueItems` on the claims: without it the model writes the object six
    times; with it the server's sampler closes the list right after the first repeat (2 items), and the answer
    ends there, as valid JSON, well short of max_tokens."""
    import llama_cpp
    import llama_cpp.llama_grammar as grammar_module

    from harness.extract import local_model_sampler as sampler

    monkeypatch.setattr(grammar_module, "SPACE_RULE", sampler.SPACE_RULE)
    monkeypatch.setattr(llama_cpp.Llama, "_init_sampler", sampler.grammar_after_greedy(llama_cpp.Llama._init_sampler))
    grammar_class = grammar_module.LlamaGrammar
    monkeypatch.setattr(grammar_class, "from_json_schema", sampler.noting_unique_arrays(grammar_class.from_json_schema))
    unique = {**_SCHEMA, "properties": {"claims": {**_SCHEMA["properties"]["claims"], "uniqueItems": True}}}

    def ask(schema):
        out = llama_in_process.create_chat_completion(
            messages=_REPEAT, temperature=0, seed=0, max_tokens=300,
            response_format={"type": "json_object", "schema": schema},
        )  # fmt: skip
        return json.loads(out["choices"][0]["message"]["content"]), out["choices"][0]["finish_reason"]

    item = {"quote": "Harga naik 5 persen.", "figures": ["5 persen"]}
    assert ask(_SCHEMA) == ({"claims": [item] * 6}, "stop")  # what the model writes unwatched
    assert ask(unique) == ({"claims": [item] * 2}, "stop")  # the repeat is written, then the list is closed
