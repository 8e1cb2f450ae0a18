"""Response schemas as a variable: a prompt file names a JSON Schema file or an importable pydantic model, the answer
is mapped to PredictedClaim, the schema's sha256 is in the cache key and the run record, and `harness compare` of
two runs that differ only in their schema works as for two prompts."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from harness.extract.cache import canonical_json
from harness.extract.response import ClaimsAnswer, schema_sha256
from tests.conftest import cli, endpoint_env
from tests.fake_openai_server import FakeOpenAIServer
from tests.test_compare import rows
from tests.test_extract_runner import A001

ROOT = Path(__file__).resolve().parents[1]
A000 = "000_5c7c061acdd0991c"
QUOTE = "Rudy Salahuddin melaporkan saat ini sekitar 27 juta UMKM yang telah go digital"
WORDING = """system: |
  List the factual claims of the Indonesian news article. Reply with JSON only.
user: |
  <article>
  {article}
  </article>
"""
# A schema file: a claim as `statement`, figures as an array, the speaker as `source`, evidence as `quote`.
ARRAY_SCHEMA = {
    "title": "Findings",
    "description": "Claims of the article.",
    "type": "object",
    "properties": {
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "statement": {"type": "string", "description": "the claim"},
                    "figures": {"type": "array", "items": {"type": "string"}},
                    "source": {"type": ["string", "null"]},
                    "quote": {"type": "string"},
                    "kind": {"enum": ["figure", "event"]},
                    "confidence": {"type": "number", "nullable": True},
                },
                "required": ["statement", "figures", "quote"],
            },
        }
    },
    "required": ["findings"],
}


class FlatClaim(BaseModel):
    """One claim with at most one figure."""

    text: str
    figure: str | None = None
    speaker: str | None = None


class FlatAnswer(BaseModel):
    """Claims found in the article, one figure each."""

    claims: list[FlatClaim]


def prompt_file(folder: Path, pid: str, head: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{pid}.yaml"
    path.write_text(f"id: {pid}\nversion: 1\n{head}{WORDING}", encoding="utf-8")
    return path


def harness_run(tmp_path: Path, srv: FakeOpenAIServer, prompt: Path, name: str):
    r = cli("run", "--model", "fake-model", "--prompt", str(prompt), "--article", A001, "--cache-dir",
            str(tmp_path / "cache"), "--recorded", str(tmp_path / "none"), "--out", str(tmp_path / name),
            "--n-boot", "50", env=endpoint_env(srv.base_url, "sk-test"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    path = next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("record: "))
    return Path(path), json.loads(Path(path).read_text(encoding="utf-8"))


def test_schema_file_and_importable_model_end_to_end_then_compared(tmp_path):
    (tmp_path / "p" / "schemas").mkdir(parents=True)
    (tmp_path / "p" / "schemas" / "array.json").write_text(json.dumps(ARRAY_SCHEMA), encoding="utf-8")
    a = prompt_file(tmp_path / "p", "array", "response_schema: schemas/array.json\n"
                    "response_fields: {claims: findings, text: statement, speaker: source}\n")  # fmt: skip
    b = prompt_file(tmp_path / "p", "flat", "response_model: tests.test_response_schemas:FlatAnswer\n"
                    "response_fields: {figures: figure}\n")  # fmt: skip
    claim_a = {"statement": "Sekitar 27 juta UMKM go digital", "figures": ["sekitar 27 juta"],
               "source": "Rudy Salahuddin", "quote": QUOTE, "kind": "figure", "confidence": None}  # fmt: skip
    answer_a = {"findings": [claim_a]}
    answer_b = {"claims": [{"text": "Sekitar 27 juta UMKM go digital", "figure": None, "speaker": "Rudy Salahuddin"}]}
    with FakeOpenAIServer({"Rudy Salahuddin": answer_a}) as srv:
        path_a, rec_a = harness_run(tmp_path, srv, a, "runs_a")
        sent_a = srv.log[-1]["request"]
        srv.answers = {"Rudy Salahuddin": answer_b}
        path_b, rec_b = harness_run(tmp_path, srv, b, "runs_b")
        assert srv.requests == 2
    # The schema as sent (JSON mode: in the system message) and its sha256 in the record's prompt entry.
    assert '"findings"' in sent_a["messages"][0]["content"]
    sha_a = hashlib.sha256(canonical_json(ARRAY_SCHEMA).encode()).hexdigest()
    sha_b = hashlib.sha256(canonical_json(FlatAnswer.model_json_schema()).encode()).hexdigest()
    assert rec_a["prompts"][0] | {"path": ""} == {"id": "array", "version": "1", "path": "", "response":
        "schemas/array.json", "schema_sha256": sha_a, "sha256": hashlib.sha256(a.read_bytes()).hexdigest()}  # fmt: skip
    assert rec_b["prompts"][0]["schema_sha256"] == sha_b and rec_b["prompts"][0]["response"].endswith(":FlatAnswer")
    assert sha_a != sha_b != schema_sha256()
    # Mapped claims: statement -> text, source -> speaker, quote -> evidence; the flat model's one figure.
    (sa,), (sb,) = rec_a["samples"], rec_b["samples"]
    assert sa["claims"][0]["text"] == "Sekitar 27 juta UMKM go digital"
    assert sa["claims"][0]["speaker"] == "Rudy Salahuddin" and sa["claims"][0]["evidence"] == [QUOTE]
    assert [f["raw"] for f in sa["claims"][0]["figures"]] == ["sekitar 27 juta"] and sb["claims"][0]["figures"] == []
    assert f"response schema `schemas/array.json` {sha_a[:12]}" in (path_a.parent / "report.md").read_text(
        encoding="utf-8"
    )
    # Each cache entry keeps its schema's sha256 in its key parts and the answer under the schema's own names.
    entries = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "cache").glob("*.json")]
    assert sorted(e["parts"]["schema_sha256"] for e in entries) == sorted([sha_a, sha_b])
    assert any(e["answer"] == answer_a for e in entries)

    r = cli("compare", str(path_a), str(path_b))
    assert r.returncode == 0, r.stderr
    assert sha_a[:12] in r.stdout and sha_b[:12] in r.stdout  # the sides table names each schema
    t = rows(r.stdout)
    # 001 has 8 gold figures. A: 1 predicted, correct: P 1, R 1/8, F1 = 2/9 = 0.222. B: none predicted: F1 0.
    assert t["figures"][1:4] == ["0.222", "0.000", "**-0.222**"]


def test_the_key_moves_with_the_schema_and_with_nothing_else(tmp_path):
    from harness.extract.params import GenParams
    from harness.extract.prompts import load_prompt, load_prompts
    from harness.extract.runner import make_sample
    from harness.schema import Article

    guided = load_prompts(ROOT / "prompts")["guided"]
    text = (ROOT / "prompts" / "guided.yaml").read_text(encoding="utf-8")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "guided.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "schemas").mkdir()
    (tmp_path / "flat" / "schemas" / "s.json").write_text(json.dumps(ARRAY_SCHEMA), encoding="utf-8")
    head = "response_schema: schemas/s.json\nresponse_fields: {claims: findings, text: statement}\n"
    (tmp_path / "flat" / "guided.yaml").write_text(head + text, encoding="utf-8")
    art = Article(article_id="x", text="Teks.", sha256="0" * 64)
    params = GenParams()

    def key(p):
        return make_sample(p, "m", art, "http://e", params, 0).key

    same = load_prompt(tmp_path / "copy" / "guided.yaml")
    other = load_prompt(tmp_path / "flat" / "guided.yaml")
    assert key(same) == key(guided) and guided.spec().sha256 == schema_sha256()
    assert key(other) != key(guided)
    assert make_sample(other, "m", art, "http://e", params, 0).parts.schema_sha256 == other.spec().sha256
    # The schema's content, not its file name, decides: an edited description is another key.
    (tmp_path / "flat" / "schemas" / "s.json").write_text(
        json.dumps({**ARRAY_SCHEMA, "description": "Other words."}), encoding="utf-8"
    )
    assert key(load_prompt(tmp_path / "flat" / "guided.yaml")) not in (key(other), key(guided))


def test_a_prompt_may_ask_for_its_schema_as_the_grammar_and_the_key_says_so():
    """`grammar: true` in a prompt file (the shipped compact prompt) sends its schema as the decoding grammar to the
    embedded model: the key's `grammar` part is true, unless --no-grammar says otherwise; --grammar turns it on for
    any prompt. At another endpoint only --grammar sends it (it is a llama_cpp.server extension)."""
    from harness.extract.params import GenParams
    from harness.extract.prompts import DEFAULT_PROMPT, load_prompts
    from harness.extract.runner import make_sample
    from harness.schema import Article

    shipped = load_prompts(ROOT / "prompts")
    compact, guided = shipped["compact"], shipped["guided"]
    art = Article(article_id="x", text="Teks.", sha256="0" * 64)

    def parts(prompt, grammar, local=True):
        params = GenParams(grammar=grammar).with_defaults(local=local)
        return make_sample(prompt, "m", art, "http://e", params, 0).parts

    assert DEFAULT_PROMPT == "compact" and compact.spec().grammar and not guided.spec().grammar
    assert compact.spec().ref()["grammar"] == "yes" and "grammar" not in guided.spec().ref()
    assert [parts(compact, g).grammar for g in (None, False, True)] == [True, False, True]
    assert [parts(guided, g).grammar for g in (None, False, True)] == [False, False, True]
    assert [parts(compact, g, local=False).grammar for g in (None, False, True)] == [False, False, True]
    assert parts(compact, None).key != parts(compact, False).key  # another way of asking is another answer
    schema = json.loads((ROOT / "prompts" / "schemas" / "compact.json").read_text(encoding="utf-8"))
    assert compact.spec().schema == schema and compact.spec().schema["properties"]["claims"]["uniqueItems"] is True


def test_the_grammar_a_prompt_asks_for_goes_out_with_the_request(tmp_path):
    """Through a real socket, at an endpoint that is not the embedded model: the compact prompt's request carries its
    schema in response_format (the llama_cpp.server extension) only with --grammar; the guided prompt's never does
    unless --grammar asks. (On the embedded model the compact prompt's own `grammar: true` sends it: the recorded
    answers' keys say `grammar: true`, tests/test_run_cli.py replays them.)"""
    with FakeOpenAIServer(keep_log=True) as srv:
        for extra in (["--grammar"], []):
            for prompt in ("compact", "guided"):
                r = cli("run", "--model", "m", "--prompt", prompt, "--article", A001, *extra, "--cache-dir",
                        str(tmp_path / "c"), "--recorded", str(tmp_path / "none"), "--out", str(tmp_path / "runs"),
                        "--n-boot", "20", "--no-report", env=endpoint_env(srv.base_url, "k"))  # fmt: skip
                assert r.returncode == 0, r.stderr
        formats = [entry["request"].get("response_format") for entry in srv.log]
    schema = json.loads((ROOT / "prompts" / "schemas" / "compact.json").read_text(encoding="utf-8"))
    builtin = ClaimsAnswer.model_json_schema()
    # compact --grammar, guided --grammar (the built-in schema), compact, guided: four keys, four requests.
    assert formats == [{"type": "json_object", "schema": schema}, {"type": "json_object", "schema": builtin},
                       {"type": "json_object"}, {"type": "json_object"}]  # fmt: skip


def test_the_committed_recorded_answers_are_still_hits(tmp_path):
    r = cli("cache", "explain", "--prompt", "guided", "--article", A000, "--cache-dir", str(tmp_path / "empty"))
    assert r.returncode == 0, r.stderr
    assert "hit: recorded cache" in r.stdout and "built-in" in r.stdout
    run = cli("run", "--offline", "--prompt", "plain", "--prompt", "guided", "--cache-dir", str(tmp_path / "empty"),
              "--out", str(tmp_path / "runs"), "--n-boot", "50")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "0 misses" in run.stdout


REFUSALS = [
    ({"type": "object", "properties": {"claims": {"type": "array", "items": {"anyOf": [{"type": "string"}]}}}},
     "{}", "unsupported keyword 'anyOf' at /properties/claims/items"),
    ({"type": "object", "properties": {"claims": {"type": "array", "items": {"type": "string", "pattern": "x"}}}},
     "{}", "unsupported keyword 'pattern'"),
    ({"type": "object", "properties": {"claims": {"type": "array", "uniqueItems": "yes", "items": {"type": "object",
        "properties": {"text": {"type": "string"}}}}}}, "{}", "'uniqueItems' must be true or false"),
    ({"type": "object", "properties": {"claims": {"type": "array", "items": {"type": "object", "uniqueItems": True,
        "properties": {"text": {"type": "string"}}}}}}, "{}", "keyword 'uniqueItems' on a object"),
    ({"type": "object", "properties": {"claims": {"type": "array", "items": {"type": "object", "properties": {
        "statement": {"type": "string"}}}}}}, "{}", "a claim needs its text"),
    ({"type": "object", "properties": {"claims": {"type": "array", "items": {"type": "object", "properties": {
        "text": {"type": "string"}, "figures": {"type": "boolean"}}}}}}, "{}", "figures read from 'figures'"),
    ({"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}, "{}",
     "no array property 'claims'"),
    ({"type": "object", "properties": {"claims": {"type": "array", "items": {"type": "object", "properties": {
        "text": {"type": "string"}}}}}}, "{speaker: who}", "response_fields: speaker -> 'who', no such property"),
]  # fmt: skip


def _refused_line(tmp_path: Path, prompt: Path) -> str:
    """`harness run --prompt PROMPT` against a fake endpoint: exit 2, nothing asked, nothing written; its one line."""
    with FakeOpenAIServer() as srv:
        r = cli("run", "--model", "m", "--prompt", str(prompt), "--cache-dir", str(tmp_path / "c"), "--out",
                str(tmp_path / "runs"), env=endpoint_env(srv.base_url, "k"))  # fmt: skip
        assert srv.requests == 0
    assert r.returncode == 2
    assert not (tmp_path / "runs").exists()
    (line,) = r.stderr.strip().splitlines()
    return line


@pytest.mark.parametrize(("schema", "fields", "says"), REFUSALS)
def test_a_schema_that_cannot_be_used_is_refused_before_any_request(tmp_path, schema, fields, says):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "s.json").write_text(json.dumps(schema), encoding="utf-8")
    path = prompt_file(folder, "bad", f"response_schema: s.json\nresponse_fields: {fields}\n")
    line = _refused_line(tmp_path, path)
    assert f"{path}:3: response_schema: " in line and says in line, line


@pytest.mark.parametrize(
    ("head", "line_no", "says"),
    [
        ("response_schema: missing.json\n", 3, "cannot read missing.json"),
        ("response_model: tests.nowhere:Model\n", 3, "cannot import response_model"),
        ("response_model: tests.test_response_schemas:FlatClaim\n", 3, "no array property 'claims'"),
        ("response_fields: {text: x}\n", 3, "response_fields without response_schema or response_model"),
    ],
)
def test_a_missing_file_or_model_is_refused_before_any_request(tmp_path, head, line_no, says):
    path = prompt_file(tmp_path / "p", "bad", head)
    line = _refused_line(tmp_path, path)
    assert f"{path}:{line_no}: " in line and says in line, line


def test_the_subset_builds_a_model_that_validates_answers():
    from harness.extract.schema_model import SchemaRefused, build_model, check

    check(ARRAY_SCHEMA)
    model = build_model(ARRAY_SCHEMA)
    ok = model.model_validate({"findings": [{"statement": "s", "figures": [27], "quote": "q", "kind": "event"}]})
    assert ok.model_dump(by_alias=True)["findings"][0]["figures"] == ["27"]
    with pytest.raises(ValidationError):
        model.model_validate({"findings": [{"statement": "s", "figures": [], "quote": "q", "kind": "opinion"}]})
    with pytest.raises(ValidationError):
        model.model_validate({"findings": [{"figures": [], "quote": "q"}]})  # statement is required
    for bad, word in [({"type": "object", "$ref": "#/x"}, "'$ref'"), ({"type": ["string", "number"]}, "one type"),
                      ({"type": "object", "additionalProperties": True}, "additionalProperties"),
                      ({"type": "array"}, "needs 'items'"), ({"type": "tuple"}, "unsupported type")]:  # fmt: skip
        with pytest.raises(SchemaRefused, match=re.escape(word)):
            check(bad)
