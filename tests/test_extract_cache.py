"""The content-addressed cache: what changes a key, what does not, atomic entries, layers and explanations."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.extract.cache import CacheEntry, KeyParts, ResponseCache, ResponseStore, canonical_json
from harness.extract.prompts import Prompt
from harness.extract.provider import GenParams, local_identity, remote_identity
from harness.extract.response import schema_sha256
from harness.extract.runner import make_sample
from harness.schema import Article

ROOT = Path(__file__).resolve().parents[1]
ART = Article(article_id="a1", text="Sekitar 27 juta UMKM telah go digital.", sha256="0" * 64)


def prompt(pid: str = "p", system: str = "Extract claims.", user: str = "<article>\n{article}\n</article>") -> Prompt:
    return Prompt(id=pid, version="1", description="", system=system, user=user, sha256="f" * 64, path="p.yaml")


def key(**change) -> str:
    """The key of one sample after changing one ingredient."""
    p = change.pop("prompt", prompt())
    model = change.pop("model", "m")
    article = change.pop("article", ART)
    endpoint = change.pop("endpoint", "local:abc")
    repeat = change.pop("repeat", 0)
    params = GenParams(**change)
    return make_sample(p, model, article, endpoint, params, repeat).key


BASE = key()


@pytest.mark.parametrize(
    "change",
    [
        {"model": "m2"},
        {"prompt": prompt(system="Extract every claim.")},
        {"prompt": prompt(user="Article:\n{article}")},
        {"article": ART.model_copy(update={"text": ART.text + " "})},
        {"mode": "tools"},
        {"temperature": 0.7},
        {"seed": 1},
        {"max_tokens": 512},
        {"repeat": 1},
        {"endpoint": "local:def"},
    ],
)
def test_key_changes_with_what_decides_the_answer(change):
    assert key(**change) != BASE


@pytest.mark.parametrize(
    "change",
    [
        {"prompt": prompt(pid="renamed")},  # same content under another id: the same request
        {"max_retries": 5},
        {"max_attempts": 9},
        {"timeout": 5.0},
        {"backoff_base": 2.0},
        {"temperature": 0},  # int 0 and float 0.0 are one value
    ],
)
def test_key_ignores_what_does_not(change):
    assert key(**change) == BASE


def test_key_changes_with_the_response_schema():
    parts = make_sample(prompt(), "m", ART, "local:abc", GenParams(), 0).parts
    assert parts.schema_sha256 == schema_sha256()
    other = hashlib.sha256(canonical_json({"type": "object", "properties": {"items": {}}}).encode()).hexdigest()
    assert parts.model_copy(update={"schema_sha256": other}).key() != parts.key()


def test_key_is_the_sha256_of_the_canonical_parts():
    parts = make_sample(prompt(), "m", ART, "local:abc", GenParams(), 0).parts
    expected = hashlib.sha256(json.dumps(parts.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                                         separators=(",", ":")).encode()).hexdigest()  # fmt: skip
    assert parts.key() == expected


def test_endpoint_identity_has_no_port_for_the_local_model_and_no_secret_for_urls(tmp_path):
    # The pinned, verified model is named by its pin whatever port its server gets.
    assert local_identity(None, "ab" * 32, verified=False) == "local:" + "ab" * 32
    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 100)
    assert local_identity(gguf, "ab" * 32, verified=False) == "local:" + hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert remote_identity("https://user:sk-SECRET@API.example.com:8443/v1/?key=sk-SECRET#x") == (
        "https://api.example.com:8443/v1"
    )


def entry_for(parts: KeyParts, n_claims: int = 1) -> CacheEntry:
    claims = [{"text": f"c{i}", "figures": [], "dates": [], "speaker": None, "quote": None} for i in range(n_claims)]
    return CacheEntry(key=parts.key(), parts=parts, answer={"claims": claims})


def test_store_round_trip_and_no_temp_files_left(tmp_path):
    parts = make_sample(prompt(), "m", ART, "local:abc", GenParams(), 0).parts
    store = ResponseStore(tmp_path, "local")
    path = store.put(entry_for(parts, 2))
    assert path == tmp_path / f"{parts.key()}.json"
    assert store.get(parts.key()).answer["claims"][1]["text"] == "c1"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_unreadable_or_mislabelled_entries_are_misses(tmp_path):
    parts = make_sample(prompt(), "m", ART, "local:abc", GenParams(), 0).parts
    store = ResponseStore(tmp_path, "local")
    store.path(parts.key()).write_text('{"key": "', encoding="utf-8")  # a torn write (not ours: we rename)
    assert store.get(parts.key()) is None
    # An entry copied under another key's name does not answer for that key.
    other = parts.model_copy(update={"repeat": 7})
    store.path(other.key()).write_text(entry_for(parts).model_dump_json(), encoding="utf-8")
    assert store.get(other.key()) is None


def test_sigkill_during_writes_never_leaves_a_corrupt_entry(tmp_path):
    # A child process rewrites one entry in a loop and is killed outright; whatever it left must parse.
    parts = make_sample(prompt(), "m", ART, "local:abc", GenParams(), 0).parts
    code = textwrap.dedent(f"""
        import sys
        from harness.extract.cache import CacheEntry, KeyParts, ResponseStore
        parts = KeyParts.model_validate_json({parts.model_dump_json()!r})
        store = ResponseStore(sys.argv[1], "local")
        print("ready", flush=True)
        n = 0
        while True:
            n += 1
            claims = [{{"text": "x" * 2000, "figures": [], "dates": [], "speaker": None, "quote": None}}] * (1 + n % 40)
            store.put(CacheEntry(key=parts.key(), parts=parts, answer={{"claims": claims}}))
    """)
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        import time

        time.sleep(0.3)
        proc.kill()
        proc.wait()
        entry = ResponseStore(tmp_path, "local").get(parts.key())
        assert entry is not None and entry.answer["claims"]
    # Temp files of an interrupted write may remain, but never under an entry's name.
    assert all(p.suffix == ".tmp" for p in tmp_path.iterdir() if p.name != f"{parts.key()}.json")


def test_layers_local_first_then_recorded_read_only(tmp_path):
    s1 = make_sample(prompt(), "m", ART, "local:abc", GenParams(), 0)
    s2 = make_sample(prompt(), "m", ART, "local:abc", GenParams(), 1)
    ResponseStore(tmp_path / "rec", "recorded").put(entry_for(s1.parts, 3))
    ResponseStore(tmp_path / "rec", "recorded").put(entry_for(s2.parts, 1))
    ResponseStore(tmp_path / "loc", "local").put(entry_for(s1.parts, 2))
    cache = ResponseCache.open(tmp_path / "loc", [tmp_path / "rec"])
    hit1, hit2 = cache.lookup(s1.key), cache.lookup(s2.key)
    assert (hit1.layer, len(hit1.entry.answer["claims"])) == ("local", 2)
    assert (hit2.layer, len(hit2.entry.answer["claims"])) == ("recorded", 1)
    with pytest.raises(PermissionError):
        cache.layers[1].put(entry_for(s1.parts))
    s3 = make_sample(prompt(), "m", ART, "local:abc", GenParams(temperature=0.5), 1)
    cache.put(entry_for(s3.parts))
    assert (tmp_path / "loc" / f"{s3.key}.json").exists() and not (tmp_path / "rec" / f"{s3.key}.json").exists()


def test_near_misses_name_the_parts_that_differ(tmp_path):
    stored = make_sample(prompt(), "m", ART, "local:abc", GenParams(), 0)
    ResponseStore(tmp_path, "local").put(entry_for(stored.parts))
    wanted = make_sample(prompt(), "m", ART, "local:abc", GenParams(temperature=0.3), 0)
    near = ResponseCache.open(tmp_path).near_misses(wanted.parts)
    assert len(near) == 1 and near[0][2] == {"temperature": 0.0}


def test_entries_a_run_writes_hold_no_credential(tmp_path, monkeypatch):
    # A key can reach the harness two ways: $OPENAI_API_KEY and user:password in the base URL. The run below uses
    # both against a live endpoint and writes its answer to the cache; the entry must name neither.
    from harness.pipeline import RunConfig, execute_run
    from tests.fake_openai_server import FakeOpenAIServer

    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a1.txt").write_text(ART.text, encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-ENV-NEVER-WRITTEN")
    answer = {"claims": [{"text": "27 juta UMKM go digital", "figures": ["Sekitar 27 juta"]}]}
    with FakeOpenAIServer({"27 juta": answer}) as srv:
        base_url = srv.base_url.replace("http://", "http://user:sk-URL-NEVER-WRITTEN@")
        cfg = RunConfig(prompts=["guided"], models=["m"], articles=tmp_path / "articles", base_url=base_url,
                        cache_dir=tmp_path / "cache",
                        recorded=[], out_dir=tmp_path / "runs", prompts_dir=ROOT / "prompts", n_boot=1)  # fmt: skip
        execute_run(cfg)
        # A credential was sent (the URL's user:password wins over the bearer key as HTTP basic auth).
        basic = "Basic " + base64.b64encode(b"user:sk-URL-NEVER-WRITTEN").decode()
        assert srv.log[0]["headers"]["authorization"] in ("Bearer sk-ENV-NEVER-WRITTEN", basic)
    (entry,) = (tmp_path / "cache").glob("*.json")
    stored = entry.read_text(encoding="utf-8")
    assert "sk-ENV-NEVER-WRITTEN" not in stored and "sk-URL-NEVER-WRITTEN" not in stored and "user:" not in stored
    parts = CacheEntry.model_validate_json(stored).parts
    assert parts.endpoint == srv.base_url  # the endpoint is named by its URL without the credentials
    assert CacheEntry.model_validate_json(stored).answer["claims"][0]["figures"] == ["Sekitar 27 juta"]


def test_messages_sha256_is_the_digest_of_the_messages_canonical_json() -> None:
    """The shared leading message is hashed once and its state copied; the digest must stay the one of the whole
    canonical JSON (cache keys written before the shortcut keep matching), for any messages, quotes and non-ASCII."""
    import random

    from harness.extract.cache import messages_sha256

    rnd = random.Random(7)
    alphabet = 'ab "\\\n\t\u00e9\u2028\U0001f600{}[],:'
    system = {"role": "system", "content": "Ekstrak klaim. " * 300}  # several KB, shared by every sample
    parts = {"role": "system", "content": [{"type": "text", "text": "é"}]}  # content as a list: no shortcut taken
    cases = [[], [system], [{"role": "user", "content": ""}], [parts, {"role": "user", "content": "x"}]]
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        lead = system if rnd.random() < 0.5 else {"role": "system", "content": text[::-1], "name": "x"}
        more = [{"role": "user", "content": "ok"}] * rnd.randint(0, 2)
        cases.append([lead, {"role": "user", "content": text}][: rnd.randint(1, 2)] + more)
    for messages in cases:
        whole = json.dumps(messages, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert messages_sha256(messages) == hashlib.sha256(whole.encode("utf-8")).hexdigest(), messages
    # a key from before the shortcut: the sha256 of this exact canonical text, written out by hand
    two = [{"role": "system", "content": "S"}, {"role": "user", "content": "é"}]
    text = '[{"content":"S","role":"system"},{"content":"é","role":"user"}]'
    assert messages_sha256(two) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("endpoint", "model"),
    [
        ("local:abc", "m"),
        ('https://example.org/v1?x="q"', "qwen/Qwen2.5 \\ 7B ✓"),  # quotes, a backslash and non-ASCII in the JSON
        ("http://e", "odd\x00model"),  # the template's mark inside a part's text
        ("http://e", "\x00"),  # a part that is the template's mark: every key is worked out in full
    ],
)
def test_a_key_template_fills_in_exactly_the_key_of_the_whole_parts(endpoint, model):
    from harness.extract.cache import KeyTemplate, messages_sha256

    base = make_sample(prompt(), model, ART, endpoint, GenParams(temperature=0.3, seed=None), 2).parts
    template = KeyTemplate(base)
    for text in ("a", "Sekitar 27 juta UMKM", "</article> {article}"):
        digest = messages_sha256([{"role": "system", "content": "s"}, {"role": "user", "content": text}])
        parts, filled = template.fill(digest)
        whole = base.model_copy(update={"messages_sha256": digest})
        assert (
            parts == whole
            and filled
            == whole.key()
            == hashlib.sha256(canonical_json(whole.model_dump(mode="json")).encode()).hexdigest()
        )


def test_planned_samples_are_the_samples_made_one_by_one_each_with_its_own_messages():
    from harness.extract.runner import plan_samples

    prompts = [prompt("p"), prompt("q", system="Extract every claim.")]
    arts = [ART, ART.model_copy(update={"article_id": "a2", "text": "Per Maret 2023, 3,8 juta."})]
    params = GenParams(temperature=0.5)
    planned = plan_samples(prompts, ["m", "n"], arts, "local:abc", params, repeats=2)
    made = [make_sample(p, m, a, "local:abc", params, r) for p in prompts for m in ["m", "n"] for a in arts
            for r in range(2)]  # fmt: skip
    assert len(planned) == 16
    for got, want in zip(planned, made, strict=True):
        assert (got.prompt.id, got.model, got.article.article_id, got.repeat) == (
            want.prompt.id, want.model, want.article.article_id, want.repeat)  # fmt: skip
        assert (got.key, got.parts, got.messages) == (want.key, want.parts, want.messages)
    assert len({id(s.messages) for s in planned}) == 16  # instructor's re-asks append to a sample's messages
