"""The direct path (harness.extract.direct): instructor's own request, reused once two articles have shown it, sent
without openai or instructor loaded; every reply it cannot take as clean is handed to instructor, which reads it as if
it had fetched it itself. Checked against the fake server on 127.0.0.1: the same requests, the same answers, the same
attempts and failure kinds as instructor's own path, and nothing sent twice."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.extract.direct import Prepared
from harness.extract.provider import GenParams, Provider
from tests.conftest import ROOT, clean_env
from tests.fake_openai_server import FakeOpenAIServer
from tests.test_faults import PLAN, answers, marker, queue_faults

SYSTEM = {"role": "system", "content": "Extract claims."}
FAST = {"timeout": 0.5, "max_attempts": 3, "max_retries": 1, "backoff_base": 0.01, "backoff_max": 0.05}


class Unconfirmed(Prepared):
    """A store that never keeps a request: every request goes through instructor, as before the direct path."""

    def offer(self, *_: object) -> None:
        return None


def user(article: str) -> dict[str, str]:
    return {"role": "user", "content": f"<article>{marker(article)}</article>"}


def ask_all(srv: FakeOpenAIServer, store: Prepared, order: list[str]) -> dict[str, tuple]:
    """Each article of `order` asked once, one after another: (attempts, failure kind, answer) per article."""

    async def go() -> dict[str, tuple]:
        provider = Provider(srv.base_url, "sk-direct", GenParams(**FAST), prepared=store)
        try:
            out = {}
            for a in order:
                o = await provider.request([SYSTEM, user(a)], "fake-model")
                out[a] = (o.attempts, o.failure.kind if o.failure else None, o.answer and o.answer.model_dump())
            return out
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_a_request_is_reused_only_after_two_articles_agree(tmp_path: Path) -> None:
    store = Prepared(tmp_path)
    key = Prepared.key({"case": 1})
    body = {"model": "m", "messages": [{"role": "system", "content": "S + schema"}, {"role": "user", "content": "A"}]}
    store.offer(key, body, "A")
    store.offer(key, body, "A")  # the same article again shows nothing about other articles
    assert store.get(key) is None and not list(tmp_path.iterdir())
    other = {**body, "messages": [body["messages"][0], {"role": "user", "content": "B"}]}
    store.offer(key, other, "B")
    template = store.get(key)
    assert template is not None and json.loads(template.fill("C \u201cD\u201d")) == {
        **body, "messages": [body["messages"][0], {"role": "user", "content": "C \u201cD\u201d"}],
    }  # fmt: skip
    assert Prepared(tmp_path).get(key) == template  # kept on disk for the next run
    # A request that depends on more than the user message (here the system message changed with it) is never kept.
    key2 = Prepared.key({"case": 2})
    store.offer(key2, body, "A")
    store.offer(key2, {**other, "messages": [{"role": "system", "content": "other"}, other["messages"][1]]}, "B")
    assert store.get(key2) is None
    # A damaged file is not used (instructor prepares the request again).
    (tmp_path / f"{key}.json").write_text("{not json", encoding="utf-8")
    assert Prepared(tmp_path).get(key) is None


def test_the_direct_request_is_instructors_own(tmp_path: Path) -> None:
    # Cold: articles 1-2 go through instructor and confirm the request; 3-4 are sent directly. The server receives,
    # for each article, the same request either way: instructor's for a01 equals the direct one's shape for a02.
    with FakeOpenAIServer(answers()) as srv:
        cold = ask_all(srv, Prepared(tmp_path), ["a01_clean", "a02_clean", "a01_clean", "a02_clean"])
        requests = [r["request"] for r in srv.log]
    assert len(requests) == 4
    assert requests[2] == requests[0] and requests[3] == requests[1]
    assert all(v[:2] == (1, None) for v in cold.values())


@pytest.mark.parametrize("warm", [False, True], ids=["instructor", "direct"])
def test_faults_end_the_same_on_either_path(tmp_path: Path, warm: bool) -> None:
    """Every fault of test_faults' plan, asked cold (instructor's path) or warm (the direct path first, the reply
    handed over): the same attempts and kinds, and the server saw exactly the attempts recorded."""
    store = Prepared(tmp_path)
    if warm:
        with FakeOpenAIServer(answers()) as srv:
            ask_all(srv, store, ["a01_clean", "a02_clean"])  # two articles confirm the request
        assert len(list(tmp_path.iterdir())) == 1
    with FakeOpenAIServer(answers(), slow_s=3.0) as srv:
        queue_faults(srv)
        got = ask_all(srv, Prepared(tmp_path) if warm else Unconfirmed(None), list(PLAN))
        seen = {a: srv.requests_for(marker(a)) for a in PLAN}
    expected = {  # attempts: 1 per answer; 429/500/reset/slow/truncated retried to --max-attempts 3; a bad answer
        # re-asked once by instructor (1 + max_retries 1 = 2); a 429 or 503 once, then answered: 2
        "a01_clean": (1, None), "a02_clean": (1, None), "a03_429_once": (2, None), "a04_429_always": (3, "http_status"),
        "a05_500_always": (3, "http_status"), "a06_503_once": (2, None), "a07_reset": (3, "transport"),
        "a08_slow": (3, "timeout"), "a09_malformed_json": (2, "malformed"), "a10_schema": (2, "schema"),
        "a11_truncated_body": (3, "transport"), "a12_empty_choices": (1, "empty"),
    }  # fmt: skip
    assert {a: v[:2] for a, v in got.items()} == expected
    assert seen == {a: n for a, (n, _) in expected.items()}


def test_a_warm_run_answers_without_loading_openai(tmp_path: Path) -> None:
    """A whole `harness run` in a fresh process, after an earlier run kept the request: no openai, no instructor,
    and the answers are the same as the earlier run's. Without gold, neither run loads numpy (no scoring)."""
    arts = tmp_path / "articles"
    arts.mkdir()
    for a in ("a01_clean", "a02_clean", "a03_429_once"):
        (arts / f"{a}.txt").write_text(f"{marker(a)}\nMenteri mengatakan 3 juta UMKM go digital.\n", encoding="utf-8")
    probe = (  # printed by an atexit handler: the command ends its process itself (os._exit), after running them
        "import atexit, sys, runpy; sys.argv = ['harness'] + sys.argv[1:]\n"
        "atexit.register(lambda: print('loaded:', sorted(m for m in ("
        "'openai', 'instructor', 'numpy') if m in sys.modules)))\n"
        "runpy.run_module('harness', run_name='__main__')\n"
    )
    env = clean_env(OPENAI_API_KEY="sk-direct", HARNESS_PREPARED_DIR=str(tmp_path / "prepared"))

    def run(cache: str) -> tuple[str, dict]:
        cmd = [sys.executable, "-c", probe, "run", "--base-url", srv.base_url, "--model", "fake-model",
               "--articles", str(arts), "--cache-dir", str(tmp_path / cache), "--recorded", str(tmp_path / "none"),
               "--out", str(tmp_path / "runs"), "--no-report", "--quiet"]  # fmt: skip
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        loaded = next(ln for ln in r.stdout.splitlines() if ln.startswith("loaded:"))
        path = next(ln.split(": ", 1)[1] for ln in r.stdout.splitlines() if ln.startswith("record: "))
        return loaded, json.loads(Path(path).read_text(encoding="utf-8"))

    with FakeOpenAIServer(answers()) as srv:
        cold_loaded, cold = run("cache-1")
        warm_loaded, warm = run("cache-2")  # a new cache: every article is asked again
        requests = [r["request"] for r in srv.log]
    assert cold_loaded == "loaded: ['instructor', 'openai']" and warm_loaded == "loaded: []"

    def by_article(reqs: list[dict]) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True) for r in reqs)

    assert len(requests) == 6 and by_article(requests[:3]) == by_article(requests[3:])  # the same three requests
    claims = [[s["claims"] for s in rec["samples"]] for rec in (cold, warm)]
    assert claims[0] == claims[1] and all(claims[0])


def test_preload_imports_in_the_background_and_leaves_failures_to_the_real_import() -> None:
    from harness.preload import preload

    preload(["harness.no_such_module", "harness.records"]).join(timeout=60)
    assert "harness.records" in sys.modules  # the bad name before it did not stop it
    with pytest.raises(ModuleNotFoundError):
        __import__("harness.no_such_module")  # raised where the module is used, as without the preload


@pytest.mark.parametrize("warm", [False, True], ids=["instructor", "direct"])
def test_a_claim_text_past_the_field_limit_is_oversized_on_either_path(tmp_path: Path, warm: bool) -> None:
    """One claim text of 150,000 characters: under the 1 MiB body cap, over the 100,000-character field limit. The
    direct path skips the field check only for a reply shorter than the limit, so this one is checked and refused
    as instructor's path refuses it: one attempt (an answer too large is not asked again), kind `oversized`."""
    store = Prepared(tmp_path)
    if warm:
        with FakeOpenAIServer(answers()) as srv:
            ask_all(srv, store, ["a01_clean", "a02_clean"])
    with FakeOpenAIServer(answers()) as srv:
        srv.add_faults("huge:150000", marker=marker("a03_429_once"))
        got = ask_all(srv, Prepared(tmp_path) if warm else Unconfirmed(None), ["a03_429_once", "a01_clean"])
    assert got["a03_429_once"][:2] == (1, "oversized")
    assert got["a01_clean"][:2] == (1, None)  # the next article is answered as usual
