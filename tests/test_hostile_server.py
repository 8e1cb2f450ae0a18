"""A hostile or unlucky server, started on 127.0.0.1 by each test: escapes and Markdown in error bodies, an echoed key
cut at the message's boundary, a huge answer, a slow drip, a kept-alive connection dropped under the next request,
planted cache entries, a tight file-descriptor limit. Each test failed before the fix it guards (issue 13)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.extract.cache import ResponseCache, ResponseStore
from harness.extract.params import GenParams
from harness.extract.prompts import resolve_prompts
from harness.extract.provider import Provider
from harness.extract.runner import cached_results, plan_samples, request_samples
from tests.fake_openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
HARNESS = Path(sys.executable).with_name("harness")
ARTICLE = "000_5c7c061acdd0991c"
ANSWER = {"claims": [{"text": "Sekitar 27 juta UMKM telah go digital", "figures": ["sekitar 27 juta"]}]}
MESSAGES = [{"role": "system", "content": "Extract claims."}, {"role": "user", "content": "<article>X</article>"}]
FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # everything but \t and \n: ESC, BEL, BS, CR, C1 (CSI \x9b)


@pytest.fixture
def server():
    with FakeOpenAIServer(default_answer=ANSWER) as srv:
        yield srv


def ask(base_url: str, *faults: str, key: str = "sk-test-key", srv: FakeOpenAIServer | None = None, **params):
    """One provider, one request per fault given ("" for none), in order; the outcomes."""

    async def go():
        provider = Provider(base_url, key, GenParams(**{**FAST, **params}))
        try:
            outs = []
            for fault in faults:
                if fault and srv is not None:
                    srv.add_faults(fault)
                outs.append(await provider.request(MESSAGES, "fake-model"))
            return outs
        finally:
            await provider.aclose()

    return asyncio.run(go())


def harness_run(srv: FakeOpenAIServer, tmp: Path, *extra: str, preexec=None) -> subprocess.CompletedProcess[bytes]:
    cmd = [str(HARNESS), "run", "--base-url", srv.base_url, "--article", ARTICLE, "--cache-dir", str(tmp / "cache"),
           "--out", str(tmp / "runs"), "--no-recorded", "--n-boot", "10", *extra]  # fmt: skip
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-key", "COLUMNS": "200"}
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=120, env=env, preexec_fn=preexec, check=False)


def record_of(proc: subprocess.CompletedProcess[bytes]) -> dict:
    path = re.search(r"^record: (.+)$", proc.stdout.decode(), re.M)
    assert path, proc.stdout.decode() + proc.stderr.decode()
    return json.loads((ROOT / path.group(1)).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- 5. escapes and Markdown from a server


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    with FakeOpenAIServer(default_answer=ANSWER) as srv:
        proc = harness_run(srv, tmp, "--model", "m-fault=hostile_text", "--max-attempts", "1")
    return proc, record_of(proc)


def test_terminal_escapes_in_an_error_body_never_reach_the_terminal_or_the_record(hostile_run):
    proc, record = hostile_run
    assert proc.returncode == 1  # the one sample failed: over --max-failure-rate
    out = proc.stdout.decode("utf-8") + proc.stderr.decode("utf-8")
    assert "http_status" in out and "boom" in out  # the failure is shown ...
    assert not CONTROL.findall(out), CONTROL.findall(out)  # ... with no ESC, BEL, backspace, NUL, DEL or C1 in it
    message = record["samples"][0]["failure"]["message"]
    assert not CONTROL.findall(message) and "\n" not in message and "2J" not in message and "pwned" not in message
    assert len(message) <= 500


def test_markdown_and_html_in_an_error_body_render_as_literal_text(hostile_run):
    from markdown_it import MarkdownIt

    _, record = hostile_run
    message = record["samples"][0]["failure"]["message"]
    assert "[click me](http://evil.example/)" in message  # the text is kept, to be shown literally
    from harness.report.markdown import md_cell

    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(f"- note: {md_cell(message)}\n")
    for tag in ("<a ", "<img", "<code>", "<h1>", "<strong>", "<em>", "<s>", "<del>", "<b>", "<script"):
        assert tag not in html, (tag, html)
    row = MarkdownIt("commonmark").enable("table").render(f"| a | b |\n|---|---|\n| {md_cell(message)} | x |\n")
    assert row.count("<td>") == 2 and "<a " not in row and "<code>" not in row  # the pipes split no cell
    assert "click me" in html and "alert(1)" in html and "code" in html  # shown, as text


def test_hostile_text_in_the_written_reports_stays_text(hostile_run, tmp_path):
    from markdown_it import MarkdownIt

    proc, record = hostile_run
    folder = ROOT / re.search(r"^record: (.+)$", proc.stdout.decode(), re.M).group(1)
    md = (folder.parent / "report.md").read_text(encoding="utf-8")
    page = (folder.parent / "report.html").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "click me" in html and "evil.example" in html
    assert 'href="http://evil.example' not in html and "<script" not in html and "<img" not in html
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page  # Jinja's autoescape
    assert not CONTROL.findall(md) and not CONTROL.findall(page)
    assert record["samples"][0]["failure"]["kind"] == "http_status"


# ---------------------------------------------------------------- 6. an echoed key cut at the 500-character boundary


def test_a_key_echoed_across_the_message_cut_leaves_no_8_characters_of_it(server):
    key = "sk-QZXJwvKUqhbTnPyRmAdLfGsEoCiH7Y4D9M2N"
    (probe,) = ask(server.base_url, "echo_key:0", key=key, srv=server)
    at = probe.failure.message.find("***")  # where the key stands with no filler before it
    assert at > 0 and key[:8] not in probe.failure.message
    for left in (11, 9, 5):  # the cut falls `left` characters into the key
        (out,) = ask(server.base_url, f"echo_key:{500 - at - left}", key=key, srv=server)
        message = out.failure.message
        assert len(message) <= 500
        leaked = [key[i : i + 8] for i in range(len(key) - 7) if key[i : i + 8] in message]
        assert not leaked, (left, message[-40:])
        assert out.failure.kind == "http_status" and out.failure.status == 401


def test_url_and_base64_forms_of_the_key_are_redacted_too():
    import base64
    from urllib.parse import quote

    from harness.extract.faults import redact

    key = "sk-proj/QZXJ+wvKUqhb=TnPyRmAdLfGs"
    b64 = base64.b64encode(key.encode()).decode()
    text = f"got {quote(key, safe='')} and {b64} and {key[5:20]} and {key[:7]}"
    out = redact(text, [key])
    assert quote(key, safe="") not in out and b64 not in out and key[5:20] not in out
    assert out.endswith(key[:7])  # 7 characters alone are not a secret (every key starts "sk-proj")


# ---------------------------------------------------------------- 7. a huge answer


def test_a_10_mb_answer_is_an_oversized_failure_without_a_retry(server):
    first, after = ask(server.base_url, "huge:10000000", "", srv=server)
    assert first.answer is None and first.failure.kind == "oversized" and first.attempts == 1
    assert "10000" in first.failure.message or "bytes" in first.failure.message
    assert after.failure is None and after.answer is not None  # the connection and the provider still work
    assert server.requests == 2


# ---------------------------------------------------------------- 10. per-request deadline, every send counted


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1"])  # the loopback transport, and httpx's own
def test_a_one_byte_drip_ends_at_the_request_deadline(server, host):
    (out,) = ask(server.base_url.replace("127.0.0.1", host), "drip:0.2", srv=server, timeout=1.5, max_attempts=1)
    assert out.failure is not None and out.failure.kind == "timeout" and out.attempts == 1
    # From the request's start (imports and set-up excluded): a per-read timeout never fires against a drip of 600
    # bytes 0.2 s apart, and instructor's guard (timeout x 3 + 5 s) ends it after 9.5 s; only a deadline ends it here.
    assert out.latency_s < 6.0, out


def test_a_request_resent_on_a_dropped_keep_alive_connection_is_counted(server):
    first, second = ask(server.base_url, "drop_next", "", srv=server)
    assert first.failure is None and second.failure is None
    assert server.dropped == 1 and server.requests == 2  # the second request was sent twice
    assert first.attempts + second.attempts == server.requests + server.dropped == 3


# ---------------------------------------------------------------- 4. cache entries that are not plain files


def test_a_cache_entry_that_is_a_symlink_or_too_big_is_asked_again(server, tmp_path):
    params = GenParams(**FAST)
    from harness.corpus import load_article_source

    article = load_article_source(ROOT / "seeds")[ARTICLE]
    (sample,) = plan_samples(resolve_prompts(["guided"], ROOT / "prompts"), ["fake-model"], [article], "t", params)
    store = ResponseStore(tmp_path / "cache", "local")

    async def fill():
        provider = Provider(server.base_url, None, params)
        try:
            return await request_samples([sample], provider, ResponseCache(store), 1)
        finally:
            await provider.aclose()

    asyncio.run(fill())
    entry = store.path(sample.key)
    assert cached_results([sample], ResponseCache(store))[0]  # a plain entry is a hit
    outside = tmp_path / "outside.json"
    entry.rename(outside)
    entry.symlink_to(outside)  # a valid entry, but reached through a symlink
    assert not cached_results([sample], ResponseCache(store))[0]
    entry.unlink()
    entry.symlink_to("/dev/zero")  # used to be read for ever (3.8 GB before the test was stopped)
    start = time.monotonic()
    assert not cached_results([sample], ResponseCache(store))[0]
    assert time.monotonic() - start < 5
    entry.unlink()
    text = outside.read_text(encoding="utf-8")
    entry.write_text(text[:-2] + " " * (64 * 1024 * 1024) + text[-2:], encoding="utf-8")  # valid JSON, 64 MB
    assert not cached_results([sample], ResponseCache(store))[0]
    asyncio.run(fill())  # asked again, and replaced by a plain entry
    assert server.requests == 2 and cached_results([sample], ResponseCache(store))[0]


# ---------------------------------------------------------------- 8. answers paid for and not kept


def test_with_256_file_descriptors_and_300_in_flight_every_answer_paid_for_is_kept(tmp_path):
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    with FakeOpenAIServer(default_answer=ANSWER, delay=0.5, keep_log=False) as srv:
        proc = harness_run(srv, tmp_path, "--model", "m", "--concurrency", "300", "--repeats", "300", "-q",
                           "--no-report", preexec=limit)  # fmt: skip
        asked = srv.requests
    record = record_of(proc)
    ok = sum(1 for s in record["samples"] if s["ok"])
    kept = len(list((tmp_path / "cache").glob("*.json")))
    assert asked >= 300
    if kept < ok:  # an answer paid for and lost must not pass as a clean run
        assert proc.returncode != 0, (kept, ok)
        assert any("cache entry not written" in n for n in record["notes"])
    else:
        assert record["cache"]["written"] == ok == kept
