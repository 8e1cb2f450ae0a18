"""`harness run --dry-run`: nothing is sent and no server starts; cached samples are counted as the run counts them;
the prompt tokens are those the embedded model's server reported for the recorded answers; the cost is the price
table's arithmetic; a malformed price table is one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from harness.extract.estimate import DEFAULT_COMPLETION_TOKENS, Tally, completion_guess, priced
from harness.extract.params import GenParams
from harness.extract.tokens import request_bodies, tiktoken_counter
from harness.prices import Price
from tests.conftest import cli, endpoint_env
from tests.fake_openai_server import FakeOpenAIServer
from tests.test_extract_runner import A001, ANSWERS

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "reports" / "recorded"
A000 = "000_5c7c061acdd0991c"


@pytest.fixture
def server():
    with FakeOpenAIServer(ANSWERS) as srv:
        yield srv


def harness_run(tmp_path: Path, srv: FakeOpenAIServer | None, *args: str) -> subprocess.CompletedProcess:
    """`harness run ARGS` in this process with this test's cache and output folders, the fake server (or none: the
    embedded model) as the endpoint, and no recorded answers."""
    folders = ["--cache-dir", str(tmp_path / "cache"), "--recorded", str(tmp_path / "none"),
               "--out", str(tmp_path / "runs"), "--n-boot", "20"]  # fmt: skip
    if "--prompt" not in args:  # the fake answers in the built-in schema, which the guided prompt asks for
        folders += ["--prompt", "guided"]
    env = endpoint_env(srv.base_url, "sk-test") if srv is not None else endpoint_env()
    return cli("run", *args, *folders, env=env)


def dry_json(tmp_path: Path, srv: FakeOpenAIServer | None, *args: str) -> dict:
    r = harness_run(tmp_path, srv, "--dry-run", "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_dry_run_sends_nothing_and_writes_nothing(tmp_path, server):
    r = harness_run(tmp_path, server, "--dry-run", "--model", "fake-model", "--prompt", "plain", "--prompt", "guided")
    assert r.returncode == 0, r.stderr
    assert server.requests == 0 and server.log == []
    assert "nothing sent, no server started" in r.stdout and "total" in r.stdout
    assert "characters/4 fallback" in r.stdout  # "fake-model" is no name tiktoken knows
    assert not (tmp_path / "runs").exists() and not (tmp_path / "cache").exists()


def test_cached_and_to_send_counts_follow_the_cache_a_real_run_filled(tmp_path, server):
    real = harness_run(tmp_path, server, "--model", "fake-model", "--article", A001, "--article", A000, "-q")
    assert real.returncode == 0, real.stderr
    assert server.requests == 2
    est = dry_json(tmp_path, server, "--model", "fake-model", "--repeats", "2")
    assert server.requests == 2  # the dry run asked nothing
    (group,) = est["groups"]
    # 5 articles x 2 repeats; repeat 0 of the two articles is cached, repeat 1 is its own cache key
    assert (group["samples"], group["cached_local"], group["cached_recorded"], group["requests"]) == (10, 2, 0, 8)
    cached = {(s["article_id"], s["repeat"]) for s in est["samples"] if s["answered_by"] == "local"}
    assert cached == {(A001, 0), (A000, 0)}
    assert all(s["prompt_tokens"] is None for s in est["samples"] if s["answered_by"] == "local")
    assert sum(s["prompt_tokens"] for s in est["samples"] if s["answered_by"] == "request") == group["prompt_tokens"]
    # completion tokens: the mean of the two cached answers' own counts, as the fake server reported them
    served = [e["usage"]["completion_tokens"] for e in server.log]
    assert group["completion_tokens_per_request"] == pytest.approx(sum(served) / 2, abs=0.05)
    assert group["completion_tokens_method"].startswith("mean of 2 stored answer(s)")
    assert group["completion_tokens_max"] == 2048 * 8
    # the same lookup as the run: under --offline the run would stop, and the dry run says so
    offline = dry_json(tmp_path, server, "--model", "fake-model", "--offline")
    assert any("--offline: a real run would stop" in n for n in offline["notes"])


def test_samples_that_share_a_key_are_one_request(tmp_path, server):
    """Two articles with the same text make the same request: a run asks it once, so the dry run counts it once."""
    folder = tmp_path / "articles"
    folder.mkdir()
    text = (ROOT / "seeds" / f"{A001}.txt").read_text(encoding="utf-8")
    for name in ("a", "b"):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    est = dry_json(tmp_path, server, "--model", "fake-model", "--articles", str(folder))
    (group,) = est["groups"]
    assert [s["answered_by"] for s in est["samples"]] == ["request", "same key"]
    assert group["requests"] == 1 and group["prompt_tokens"] == est["samples"][0]["prompt_tokens"] > 0
    assert est["samples"][1]["prompt_tokens"] is None


@pytest.mark.parametrize("mode", ["json", "tools"])
def test_the_counted_body_is_the_body_the_endpoint_receives(tmp_path, server, mode):
    """The dry run counts the request instructor really sends: in JSON mode the schema joins the system message, in
    tools mode it is a tool; both as the endpoint received them."""
    real = harness_run(tmp_path, server, "--model", "fake-model", "--article", A001, "--mode", mode, "-q")
    assert real.returncode == 0, real.stderr
    sent = server.log[0]["request"]
    from harness.extract.prompts import fill, resolve_prompts

    (prompt,) = resolve_prompts(["guided"], ROOT / "prompts")
    messages = fill(prompt, (ROOT / "seeds" / f"{A001}.txt").read_text(encoding="utf-8"))
    params = GenParams(mode=mode).with_defaults(local=False)
    (body,) = request_bodies(params, [(messages, "fake-model", 0)])
    assert json.loads(json.dumps(body)) == sent  # byte for byte the same JSON, sampling fields included
    assert ("tools" in sent) == (mode == "tools")
    assert ('"$defs"' in sent["messages"][0]["content"]) == (mode == "json")  # the schema in the system message


def test_cost_arithmetic_worked_by_hand():
    price = Price(prompt=0.15, completion=0.60)  # USD per 1M tokens
    # 2,248 prompt tokens x 0.15 / 1M = 0.0003372; 1,000 completion tokens x 0.60 / 1M = 0.0006; sum 0.0009372.
    # At max_tokens 2,048: 2,048 x 0.60 / 1M = 0.0012288, plus the prompt's 0.0003372 = 0.001566.
    t = Tally(prompt_tokens=2248, completion_tokens=1000, completion_tokens_max=2048)
    priced(t, price)
    assert t.cost_usd == pytest.approx(0.0009372, abs=1e-12)
    assert t.cost_max_usd == pytest.approx(0.001566, abs=1e-12)
    # completion per request: the mean of the stored answers (105 and 857 -> 481), the default without any, and
    # never above max_tokens
    assert completion_guess([105, 857], 2048)[0] == 481.0
    assert completion_guess([], 2048)[0] == DEFAULT_COMPLETION_TOKENS
    assert completion_guess([3000], 2048) == (2048.0, "mean of 1 stored answer(s) of this prompt and model, capped "
                                                      "at max_tokens 2048")  # fmt: skip


def test_cost_of_a_dry_run_from_a_price_table(tmp_path, server):
    prices = tmp_path / "prices.yaml"
    prices.write_text("# USD per 1M tokens\nfake-model: {prompt: 0.15, completion: 0.60}\n", encoding="utf-8")
    est = dry_json(tmp_path, server, "--model", "fake-model", "--model", "other-model", "--prices", str(prices))
    fake, other = est["groups"]
    want = fake["prompt_tokens"] * 0.15 / 1e6 + fake["completion_tokens"] * 0.60 / 1e6
    assert fake["cost_usd"] == pytest.approx(want, rel=1e-12)
    assert fake["completion_tokens"] == DEFAULT_COMPLETION_TOKENS * 5  # nothing stored: the default, 5 requests
    assert other["cost_usd"] is None and est["total"]["cost_usd"] == pytest.approx(want, rel=1e-12)
    assert any("no price for model 'other-model'" in n for n in est["notes"])
    assert server.requests == 0


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("prices.yaml", "fake-model:\n  prompt: 0.15\n  completion: cheap\n", "prices.yaml:3: "),
        ("prices.json", '{"fake-model": {"prompt": 0.15,\n "completion": }}\n', "prices.json:2: "),
        ("prices.yaml", "fake-model: {prompt: -1, completion: 0.6}\n", "prices.yaml:1: "),
        ("prices.yaml", "fake-model: {prompt: 1, completion: 2, cached: 3}\n", "prices.yaml:1: "),
        ("prices.yaml", "- fake-model\n", "prices.yaml:1: "),
    ],
)
def test_a_malformed_price_table_is_one_line_and_exit_2(tmp_path, server, name, text, where):
    prices = tmp_path / name
    prices.write_text(text, encoding="utf-8")
    r = harness_run(tmp_path, server, "--dry-run", "--model", "fake-model", "--prices", str(prices))
    assert r.returncode == 2, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and where in lines[0], r.stderr
    assert r.stdout == "" and server.requests == 0


def test_prices_and_json_go_with_dry_run(tmp_path, server):
    r = harness_run(tmp_path, server, "--model", "fake-model", "--json")
    assert r.returncode == 2 and "--json goes with --dry-run" in r.stderr
    assert server.requests == 0 and not (tmp_path / "runs").exists()


def test_no_server_is_started_for_the_embedded_model(tmp_path, monkeypatch):
    """With no endpoint the run would serve the embedded model; the dry run must not: every way to a server (the
    pipeline's request step, `serve`, any child process) fails the test if reached."""
    from harness import pipeline
    from harness.extract import local_model, local_model_server

    def reached(*_a, **_k):
        raise AssertionError("a dry run reached the model server")

    monkeypatch.setattr(pipeline, "_request_missing", reached)
    monkeypatch.setattr(local_model, "serve", reached)
    monkeypatch.setattr(local_model_server, "serve", reached)
    monkeypatch.setattr(subprocess, "Popen", reached)
    est = dry_json(tmp_path, None, "--prompt", "plain", "--no-cache")
    assert est["endpoint"] == "embedded" and est["total"]["requests"] == 5
    assert not (tmp_path / "runs").exists()


def test_the_baseline_is_answered_by_rules_and_costs_nothing(tmp_path):
    est = dry_json(tmp_path, None, "--model", "baseline")
    assert est["endpoint"] == "rules"
    assert est["total"]["by_rules"] == est["total"]["samples"] == 5 and est["total"]["requests"] == 0


def test_tiktoken_counts_with_openais_recipe(monkeypatch):
    """tiktoken cannot fetch its encodings on a closed machine, so its module is stood in for here; the recipe is
    the texts' tokens, 3 per message and 3 for the reply, and a model name it does not know falls back."""
    fake = types.ModuleType("tiktoken")

    def encoding_name_for_model(model: str) -> str:
        if model != "gpt-4o":
            raise KeyError(model)
        return "o200k_base"

    fake.encoding_name_for_model = encoding_name_for_model
    fake.get_encoding = lambda _name: types.SimpleNamespace(encode=lambda t, **_: t.split())
    monkeypatch.setitem(sys.modules, "tiktoken", fake)
    body = {"messages": [{"role": "system", "content": "one two"}, {"role": "user", "content": "three four five"}]}
    counter = tiktoken_counter("gpt-4o")
    # words: system 1 + 2, user 1 + 3 = 7; 3 per message x 2 = 6; 3 for the reply: 16
    assert counter.count(body) == 16 and counter.method.startswith("tiktoken o200k_base")
    assert tiktoken_counter("llama-3").method.startswith("characters/4 fallback (tiktoken does not know")


def _recorded_usage() -> dict[str, int]:
    """Prompt tokens the embedded model's server reported, by cache key, for the recorded answers asked once."""
    out = {}
    for path in sorted(RECORDED.glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry["attempts"] == 1 and entry["usage"]["prompt_tokens"]:
            out[entry["key"]] = entry["usage"]["prompt_tokens"]
    return out


def test_prompt_tokens_match_what_the_embedded_model_reported(tmp_path):
    """The ten recorded answers of reports/recorded hold the server's own prompt_tokens (README there: 18,002 in
    all). A dry run that ignores them (--no-recorded) counts the same requests with the model's tokenizer; measured
    error 0 tokens on each of the ten. The bound asserted is 2% per request."""
    pytest.importorskip("llama_cpp")
    from harness.extract.local_model import model_path

    if not model_path().is_file():
        pytest.skip("embedded model weights absent; run `harness local-model setup`")
    est = dry_json(tmp_path, None, "--prompt", "plain", "--prompt", "guided", "--no-recorded", "--no-cache")
    assert all(g["prompt_tokens_method"].startswith("the embedded model's tokenizer") for g in est["groups"])
    real = _recorded_usage()
    pairs = [(s["prompt_tokens"], real[s["key"]]) for s in est["samples"] if s["key"] in real]
    assert len(pairs) == 10
    for counted, reported in pairs:
        assert abs(counted - reported) <= 0.02 * reported, (counted, reported)
    assert sum(c for c, _ in pairs) == pytest.approx(18_002, rel=0.02)
