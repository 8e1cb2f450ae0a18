"""The embedded model's `uniqueItems` rule: an answer whose array repeats an earlier item whole is made to close that
array right after the repeat, instead of writing the same item on and on until max_tokens.

A grammar cannot say "no two items alike", and a small model at temperature 0 can fall into a cycle that no penalty
over its last tokens breaks (the seed article 003 prints its body twice; every prompt tried wrote one claim over and
over to 2,048 tokens). JSON Schema's `uniqueItems: true` says what is wanted; the server honours it the one way a
left-to-right decoder can: the repeat that breaks it is the array's last item. The repeated item stays in the answer
(the model wrote it) and is scored like any other claim. Only arrays that are properties of the root object and
declare `uniqueItems` are watched, and only on the server's greedy path (temperature 0; see
harness.extract.local_model_sampler): sampling at a temperature keeps llama-cpp-python's own chain, where the keyword
does nothing.
This module does no I/O and knows nothing of llama.cpp.
"""

from __future__ import annotations

import json
from typing import Any

_OPEN = {ord("{"), ord("[")}
_CLOSE = {ord("}"), ord("]")}
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
BLANKS = b" \t\r\n"


def unique_arrays(schema_json: str) -> frozenset[str]:
    """The root object's array properties that declare `uniqueItems: true` (empty for anything else)."""
    try:
        schema = json.loads(schema_json)
    except ValueError:
        return frozenset()
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return frozenset()
    return frozenset(
        name for name, sub in props.items()
        if isinstance(sub, dict) and sub.get("type") == "array" and sub.get("uniqueItems") is True
    )  # fmt: skip


class ItemWatch:
    """Reads an answer as it is generated (bytes, any split) and says when a watched array must close.

    `must_close` turns true when an item of a watched root-level array has just ended (its closing bracket) and
    equals, as JSON, an earlier item of the same array; it turns false again once that array's `]` is read.
    """

    def __init__(self, watched: frozenset[str]) -> None:
        self.watched = watched
        self.must_close = False
        self.repeats = 0  # items found equal to an earlier one (each one closed its array)
        self._text = bytearray()
        self._depth = 0  # brackets open outside strings (the grammar keeps them matched)
        self._in_string = self._escaped = False
        self._last_key = b""  # the last string read at depth 1 (the root object's key before its value)
        self._key_start = 0
        self._array: str | None = None  # the watched array being read, if any
        self._item_start = -1
        self._items: list[Any] = []

    def feed(self, piece: bytes) -> int | None:
        """Read the next piece of the answer; where `must_close` turned true in it (the index after the repeated
        item's closing bracket), else None."""
        turned = None
        for i, byte in enumerate(piece):
            was = self.must_close
            self._text.append(byte)
            self._step(byte, len(self._text) - 1)
            if self.must_close and not was:
                turned = i + 1
        return turned

    def overshoot(self, piece: bytes) -> int | None:
        """If `piece` would end a repeated item and then go on past blanks to anything but the array's `]` (as
        " },\n" does: the comma leaves no way to close the array), the length of the part up to that bracket."""
        if not self.watched or (b"}" not in piece and b"]" not in piece):
            return None
        trial = self._copy()
        cut = trial.feed(piece)
        if cut is None:
            return None
        rest = piece[cut:].lstrip(BLANKS)
        return None if not rest or rest.startswith(b"]") else cut

    def _copy(self) -> ItemWatch:
        other = ItemWatch.__new__(ItemWatch)
        other.__dict__.update(self.__dict__)
        other._text, other._items = bytearray(self._text), list(self._items)
        return other

    def _step(self, byte: int, at: int) -> None:
        depth = self._depth
        if self._in_string:
            if self._escaped:
                self._escaped = False
            elif byte == _BACKSLASH:
                self._escaped = True
            elif byte == _QUOTE:
                self._in_string = False
                if depth == 1:
                    self._last_key = bytes(self._text[self._key_start : at])
            return
        if byte == _QUOTE:
            self._in_string = True
            self._key_start = at + 1
        elif byte in _OPEN:
            if depth == 1 and byte == ord("["):
                name = self._last_key.decode("utf-8", "replace")
                self._array, self._items = (name, []) if name in self.watched else (None, [])
            elif depth == 2 and self._array is not None and self._item_start < 0:
                self._item_start = at
            self._depth += 1
        elif byte in _CLOSE:
            self._depth = max(0, depth - 1)
            if depth == 2 and byte == ord("]"):  # the root's array ends
                self._array, self.must_close, self._item_start = None, False, -1
            elif depth == 3 and self._array is not None and self._item_start >= 0:  # an item of it ends
                self._item_ended(at)
        elif byte == ord(",") and depth == 2:
            self._item_start = -1

    def _item_ended(self, at: int) -> None:
        raw = bytes(self._text[self._item_start : at + 1])
        self._item_start = -1
        try:
            item = json.loads(raw.decode("utf-8"))
        except ValueError:
            return
        if item in self._items:
            self.must_close = True
            self.repeats += 1
        else:
            self._items.append(item)
