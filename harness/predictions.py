"""Read and write predictions JSONL: one predicted claim per line, in the gold export's field names."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from harness.corpus import decode_utf8
from harness.errors import InputError
from harness.schema import PredictedClaim


def parse_predictions(text: str, file: str = "<predictions>") -> list[PredictedClaim]:
    """Blank lines are skipped; a line that is not a JSON object with an article_id fails with its line number."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", file, n) from None
        if not isinstance(obj, dict):
            raise InputError("a prediction line must be a JSON object", file, n)
        try:
            out.append(PredictedClaim.model_validate(obj))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            msg = "missing required field" if err["type"] == "missing" else err["msg"]
            raise InputError(f"{where}: {msg}", file, n) from None
    return out


def read_predictions(path: Path) -> list[PredictedClaim]:
    path = Path(path)
    if not path.is_file():
        raise InputError("no such predictions file", str(path))
    return parse_predictions(decode_utf8(path.read_bytes(), str(path)), str(path))


def dump_predictions(claims: Iterable[PredictedClaim]) -> str:
    """JSONL text, one claim a line, stable key order (so a recorded file diffs cleanly)."""
    return "".join(json.dumps(c.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n" for c in claims)
