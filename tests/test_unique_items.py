"""The `uniqueItems` rule's reader (harness.extract.unique_items): which answers, read piece by piece as a model
writes them, make the watched array close, and which do not. The real model under it: tests/test_extract_local_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.extract.unique_items import ItemWatch, unique_arrays

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = frozenset({"claims"})
FIRST = '{"quote": "Harga naik 5 persen.", "figures": ["5 persen"], "dates": [], "speaker": null}'
SECOND = '{"quote": "Ekspor turun {2} kali \\"lagi\\" ]", "figures": ["2"], "dates": ["2023"], "speaker": "Rina"}'


def read(text: str, step: int, watched: frozenset[str] = CLAIMS) -> tuple[ItemWatch, int | None]:
    """Feed `text` in pieces of `step` bytes; the watch and the offset (in the text) where must_close turned on."""
    data, watch, turned = text.encode(), ItemWatch(watched), None
    for start in range(0, len(data), step):
        cut = watch.feed(data[start : start + step])
        if cut is not None and turned is None:
            turned = start + cut
    return watch, turned


@pytest.mark.parametrize("step", [1, 3, 7, 1000])
def test_an_item_equal_to_an_earlier_one_closes_the_array_right_after_it(step):
    # Items 1 and 2 differ; item 3 repeats item 1 with other spacing and another key order: equal as JSON.
    repeat = '{"speaker": null, "dates": [],  "figures": ["5 persen"], "quote": "Harga naik 5 persen."}'
    text = '{"claims": [\n ' + FIRST + ",\n " + SECOND + ",\n " + repeat
    watch, turned = read(text, step)
    assert watch.must_close and watch.repeats == 1
    assert turned == len(text.encode())  # on the repeat's own closing brace, wherever the pieces were cut
    watch.feed(b"\n]")
    assert not watch.must_close  # the array's "]" ends the rule's hold


@pytest.mark.parametrize("step", [1, 5, 1000])
def test_distinct_items_brackets_in_strings_and_repeats_inside_an_item_do_not(step):
    # SECOND's quote holds "{", "}", "]" and escaped quotes: text, not structure. Its figures repeat inside one item
    # (["2", "2"]): a nested array is not the watched one. Nothing repeats whole.
    inner = '{"quote": "Dua kali.", "figures": ["2", "2"], "dates": [], "speaker": null}'
    text = '{"claims": [' + FIRST + ", " + SECOND + ", " + inner + "]}"
    watch, turned = read(text, step)
    assert (watch.must_close, watch.repeats, turned) == (False, 0, None)


def test_an_array_that_does_not_declare_unique_items_is_not_watched():
    text = '{"claims": [' + FIRST + ", " + FIRST
    assert read(text, 4, frozenset())[0].repeats == 0
    assert read(text, 4, frozenset({"other"}))[0].repeats == 0
    assert read(text, 4)[0].repeats == 1


def test_a_piece_that_runs_past_the_repeat_is_cut_at_its_bracket():
    """This model writes " },\\n" as one token: after the comma the array cannot close, so such a piece is replaced
    by one that stops at the bracket (the server then picks among tokens that are exactly " }" plus blanks)."""
    watch = ItemWatch(CLAIMS)
    head = '{"claims": [\n ' + FIRST + ",\n " + FIRST[:-1] + "\n   "
    watch.feed(head.encode())
    assert watch.overshoot(b" },\n") == 2  # b" }" ends the repeat, then ",\n" would follow
    assert watch.overshoot(b" }") is None and watch.overshoot(b"}\n]") is None  # these stop at or close the array
    assert watch.overshoot(b'"x') is None  # no bracket: nothing to cut
    assert not watch.must_close and watch.repeats == 0  # overshoot only looks ahead; the watch read nothing more


def test_which_arrays_a_schema_declares_unique():
    compact = (ROOT / "prompts" / "schemas" / "compact.json").read_text(encoding="utf-8")
    assert unique_arrays(compact) == CLAIMS
    flat = (ROOT / "prompts" / "schemas" / "flat.json").read_text(encoding="utf-8")
    assert unique_arrays(flat) == frozenset()
    nested = {"type": "object", "properties": {"a": {"type": "object", "properties": {
        "b": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}}}}}  # fmt: skip
    assert unique_arrays(json.dumps(nested)) == frozenset()  # only the root object's arrays are watched
    assert unique_arrays("not json") == frozenset() and unique_arrays("[1]") == frozenset()
