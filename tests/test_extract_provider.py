"""The provider through the real openai + instructor + socket path, against the fake server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from harness.extract.provider import GenParams, Provider, retry_after_seconds
from tests.fake_openai_server import FakeOpenAIServer

ANSWER = {
    "claims": [
        {"text": "Sekitar 27 juta UMKM telah go digital", "figures": ["sekitar 27 juta"], "dates": [],
         "speaker": "Rudy Salahuddin", "quote": "Rudy Salahuddin melaporkan saat ini sekitar 27 juta UMKM"},
    ]
}  # fmt: skip
MESSAGES = [
    {"role": "system", "content": "Extract claims."},
    {"role": "user", "content": "<article>ARTIKEL-X</article>"},
]
FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0}


@pytest.fixture
def server():
    with FakeOpenAIServer({"ARTIKEL-X": ANSWER}) as srv:
        yield srv


def ask(srv: FakeOpenAIServer, mode: str = "json", **params):
    async def go():
        provider = Provider(srv.base_url, "sk-test-key", GenParams(mode=mode, **{**FAST, **params}))
        try:
            return await provider.request(MESSAGES, "fake-model")
        finally:
            await provider.aclose()

    return asyncio.run(go())


def server_usage(srv: FakeOpenAIServer) -> tuple[int, int]:
    used = [r["usage"] for r in srv.log if r["usage"]]
    return sum(u["prompt_tokens"] for u in used), sum(u["completion_tokens"] for u in used)


@pytest.mark.parametrize("mode", ["json", "tools", "md_json"])
def test_claims_parse_in_each_mode_that_the_local_server_supports(server, mode):
    out = ask(server, mode)
    assert out.failure is None and out.attempts == 1 and server.requests == 1
    assert [c.figures for c in out.answer.claims] == [["sekitar 27 juta"]]
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == server_usage(server)
    req = server.log[0]["request"]
    assert req["temperature"] == 0 and req["seed"] == 0 and req["max_tokens"] == 2048
    if mode == "json":
        assert req["response_format"] == {"type": "json_object"}
        assert '"claims"' in req["messages"][0]["content"]  # instructor put the schema in the system message
    # The article stays in the user message; the key travels only in the Authorization header.
    assert "ARTIKEL-X" not in req["messages"][0]["content"]
    assert server.log[0]["headers"]["authorization"] == "Bearer sk-test-key"


def test_429_is_retried_after_retry_after_then_succeeds(server):
    server.add_faults("429:0.3")
    out = ask(server)
    assert out.failure is None and out.attempts == 2 and server.requests == 2
    assert out.latency_s >= 0.3  # the server asked for 0.3 s; the back-off (0.01 s) would have been shorter
    assert out.usage.completion_tokens == server_usage(server)[1]  # only the answered attempt used tokens


def test_retry_after_zero_means_no_back_off_and_no_header_means_the_own_one(server, monkeypatch):
    # What the provider chose to wait before each retry, recorded as it decides it.
    from harness.extract import retry

    waits: list[float] = []
    chosen = retry.backoff_seconds

    def spy(params, attempt, retry_after):
        waits.append(chosen(params, attempt, retry_after))
        return waits[-1]

    monkeypatch.setattr(retry, "backoff_seconds", spy)
    server.add_faults("429:0", "429:0")  # "Retry-After: 0" twice, then the answer
    out = ask(server, backoff_base=0.2, backoff_max=1.0)
    assert out.failure is None and out.attempts == 3
    assert waits == [0.0, 0.0]  # the server's word, not the own back-off of 0.1-0.2 s and 0.2-0.4 s
    waits.clear()
    server.add_faults("503", "503")  # no Retry-After: the own back-off, base x 2^(n-1) with jitter of 50-100%
    out = ask(server, backoff_base=0.02, backoff_max=1.0)
    assert out.failure is None and out.attempts == 3
    assert 0.01 <= waits[0] <= 0.02 and 0.02 <= waits[1] <= 0.04, waits


def test_persistent_5xx_fails_as_http_status_after_bounded_attempts(server):
    server.always_fault = "503"
    out = ask(server, max_attempts=3)
    assert out.answer is None and out.failure.kind == "http_status" and out.failure.status == 503
    assert out.attempts == 3 and server.requests == 3


def test_client_errors_are_not_retried(server):
    # 404 (an unknown path) is the caller's fault: one attempt, no back-off.
    async def go():
        provider = Provider(server.base_url.replace("/v1", "/nowhere"), None, GenParams(**FAST))
        try:
            return await provider.request(MESSAGES, "m")
        finally:
            await provider.aclose()

    out = asyncio.run(go())
    assert out.failure.kind == "http_status" and out.failure.status == 404 and out.attempts == 1


def test_slow_answer_past_the_timeout_is_a_timeout_failure(server):
    # The answer would come after 3 s; each attempt gives up at 0.3 s. Had the client waited, it would have got the
    # answer: a `timeout` failure after both attempts is the proof that it did not. (How long the attempts took is
    # measured by `make bench`, benchmarks/bench_faults.py.)
    server.slow_s = 3.0
    server.always_fault = "slow"
    out = ask(server, timeout=0.3, max_attempts=2)
    assert out.answer is None and out.failure.kind == "timeout"
    assert out.attempts == 2 and server.requests == 2
    assert out.latency_s >= 2 * 0.3  # both attempts ran to their timeout


def test_timeout_then_recovery(server):
    # The first attempt is cut at the 1 s timeout; the second, answered at once, gets the claims.
    server.slow_s = 3.0
    server.add_faults("slow")
    out = ask(server, timeout=1.0)
    assert out.failure is None and out.attempts == 2 and server.requests == 2
    assert [c.figures for c in out.answer.claims] == [["sekitar 27 juta"]]


@pytest.mark.parametrize(("fault", "kind"), [("reset", "transport"), ("truncated", "transport")])
def test_broken_connections_are_transport_failures_and_retried(server, fault, kind):
    server.add_faults(fault)
    assert ask(server).failure is None and server.requests == 2
    server.reset()
    server.always_fault = fault
    out = ask(server, max_attempts=2)
    assert out.failure.kind == kind and out.attempts == 2


def test_malformed_json_is_re_asked_then_recorded_as_malformed(server):
    server.always_fault = "malformed_json"
    out = ask(server, max_retries=2)
    assert out.failure.kind == "malformed"
    # instructor re-asks twice after the first answer: 1 + 2 = 3 requests, all of them counted and their tokens too.
    assert out.attempts == 3 and server.requests == 3
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == server_usage(server)


def test_one_malformed_answer_then_a_good_one(server):
    server.add_faults("malformed_json")
    out = ask(server)
    assert out.failure is None and out.attempts == 2
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == server_usage(server)
    # The re-ask showed the model its error: the second request is longer than the first.
    first, second = (len(str(r["request"]["messages"])) for r in server.log)
    assert second > first


@pytest.mark.parametrize(
    ("fault", "kind"),
    [("schema", "schema"), ("malformed_body", "malformed"), ("empty_choices", "empty"), ("empty_content", "empty"),
     ("length", "length")],
)  # fmt: skip
def test_each_answer_fault_has_its_kind(server, fault, kind):
    server.always_fault = fault
    out = ask(server, max_retries=1, max_attempts=3)
    assert out.answer is None and out.failure.kind == kind
    assert out.attempts == server.requests  # every request is counted, none is retried by the transport loop


def test_retry_after_forms():
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_concurrent_requests_keep_their_own_tallies(server):
    # Two faults for one article only: its tally must not leak into the other's.
    server.answers["ARTIKEL-Y"] = {"claims": []}
    server.add_faults("malformed_json", marker="ARTIKEL-Y")
    other = [MESSAGES[0], {"role": "user", "content": "<article>ARTIKEL-Y</article>"}]

    async def go():
        provider = Provider(server.base_url, None, GenParams(**FAST))
        sem = asyncio.Semaphore(4)
        try:
            return await asyncio.gather(*(provider.request(m, "x", sem) for m in [MESSAGES, other] * 5))
        finally:
            await provider.aclose()

    outs = asyncio.run(go())
    attempts = [o.attempts for o in outs]
    # The one fault hits whichever ARTIKEL-Y request reaches the server first (the order of sends is the event
    # loop's): that sample alone is re-asked, 1 + 1 = 2 attempts; every other sample, of either article, took 1.
    assert attempts[0::2] == [1] * 5
    assert sorted(attempts[1::2]) == [1, 1, 1, 1, 2]
    assert all(o.failure is None for o in outs)


def test_an_answer_cut_at_max_tokens_keeps_its_finished_claims():
    # Five claims of equal length; the server cuts the content in half, which falls inside the third claim
    # (2.5 claims' worth of text, give or take the short '{"claims": [' header): two survive.
    claims = [{"text": f"Klaim nomor {i}", "figures": [f"{i}0 juta"], "dates": [], "speaker": None, "quote": None}
              for i in range(1, 6)]  # fmt: skip
    with FakeOpenAIServer({"ARTIKEL-X": {"claims": claims}}) as srv:
        srv.always_fault = "length"
        out = ask(srv)
    assert out.failure is None and out.truncated
    assert [c.text for c in out.answer.claims] == ["Klaim nomor 1", "Klaim nomor 2"]
    assert out.attempts == 1  # a cut answer is not asked again: the same request would be cut again


def test_latency_excludes_waiting_for_a_free_slot(server):
    # One slot, four requests, 0.3 s each at the server: the request that gets the slot last has first waited for
    # three answers, at least 3 x 0.3 = 0.9 s, and that wait is not its latency. For each request, the time from
    # the common start to its answer minus its latency is the time before its first attempt: at least 0.9 s for
    # the last one, where it would be about 0 if the wait were counted. Only lower bounds: a busy machine makes
    # everything slower, never faster. (The latency's overhead over the server's 0.3 s: `make bench`.)
    server.delay = 0.3

    async def go():
        provider = Provider(server.base_url, None, GenParams(**FAST))
        slot = asyncio.Semaphore(1)
        started = time.perf_counter()

        async def one():
            out = await provider.request(MESSAGES, "m", slot)
            return out, time.perf_counter() - started - out.latency_s

        try:
            return await asyncio.gather(*(one() for _ in range(4)))
        finally:
            await provider.aclose()

    results = asyncio.run(go())
    assert all(out.failure is None and out.attempts == 1 for out, _ in results)
    assert all(out.latency_s >= 0.3 for out, _ in results), results  # each waited for its own answer
    waits = sorted(before for _, before in results)
    assert waits[-1] >= 3 * 0.3 - 0.01, waits
