"""The compact response model: lenient where a model's output is harmlessly odd, strict where it is not a claim."""

from __future__ import annotations

import hashlib
import json

import pytest
from pydantic import ValidationError

from harness.extract.response import ClaimsAnswer, instructor_model, schema_sha256, to_predictions


def test_compact_answer_becomes_predicted_claims():
    raw = {
        "claims": [
            {"text": "27 juta UMKM go digital", "figures": ["sekitar 27 juta"], "dates": ["Senin (4/12/2023)"],
             "speaker": "Rudy Salahuddin", "quote": "Rudy Salahuddin melaporkan saat ini sekitar 27 juta UMKM"},
            {"text": "Artinya 3 juta lagi", "figures": ["3 juta"], "speaker": None},
        ]
    }  # fmt: skip
    preds = to_predictions("001", ClaimsAnswer.model_validate(raw))
    assert [p.article_id for p in preds] == ["001", "001"]
    assert [f.raw for f in preds[0].figures] == ["sekitar 27 juta"]
    assert [d.raw for d in preds[0].dates] == ["Senin (4/12/2023)"]
    assert preds[0].evidence == ["Rudy Salahuddin melaporkan saat ini sekitar 27 juta UMKM"]
    assert preds[0].speaker == "Rudy Salahuddin"
    assert preds[1].evidence == [] and preds[1].dates == [] and preds[1].speaker is None
    assert preds[0].figures[0].value is None  # the harness normalises, the model does not


def test_odd_but_harmless_shapes_are_accepted():
    # A bare number becomes its text, a lone string a list, null a list, blanks and "null" speakers vanish.
    a = ClaimsAnswer.model_validate_json(
        '{"claims": [{"text": "t", "figures": [27000000, " 3,8 juta ", ""], "dates": "per Maret 2023",'
        ' "speaker": "null", "quote": ""}, {"text": "u", "figures": null, "dates": null}]}'
    )
    assert a.claims[0].figures == ["27000000", "3,8 juta"]
    assert a.claims[0].dates == ["per Maret 2023"]
    assert a.claims[0].speaker is None and a.claims[0].quote is None
    assert a.claims[1].figures == [] and a.claims[1].dates == []


@pytest.mark.parametrize("bad", ['{"result": []}', '{"claims": [{"figures": ["1"]}]}', '{"claims": "none"}'])
def test_answers_that_are_not_claims_fail_validation(bad):
    with pytest.raises(ValidationError):
        ClaimsAnswer.model_validate_json(bad)


def test_schema_is_compact_cached_and_hashed():
    schema = ClaimsAnswer.model_json_schema()
    text = json.dumps(schema)
    assert text.count('"title"') == 1 and schema["title"] == "Claims"  # only the name TOOLS mode needs
    claim = schema["$defs"]["ClaimOut"]["properties"]
    assert list(claim) == ["text", "figures", "dates", "speaker", "quote"]  # the order the model writes in
    assert ClaimsAnswer.model_json_schema() == schema
    # The hash is of this very schema as canonical JSON (sorted keys, no spaces): any change to a field, its type or
    # its order of properties changes every cache key, and nothing else does.
    canonical = json.dumps(schema, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert schema_sha256() == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    # instructor's wrapper reports the very same schema, so the hash describes what is sent.
    assert instructor_model().model_json_schema() == schema
    assert instructor_model() is instructor_model()


def test_salvage_keeps_the_claims_finished_before_the_cut():
    from harness.extract.response import salvage

    full = json.dumps({"claims": [{"text": f"klaim {i}", "figures": [f"{i} juta"]} for i in range(3)]})
    cut = full[: full.index("klaim 2") + 3]  # inside the third claim
    assert [c.text for c in salvage(cut).claims] == ["klaim 0", "klaim 1"]
    assert salvage('{"claims": [{"text": "setengah') is None  # nothing finished
    assert salvage("not json at all") is None
