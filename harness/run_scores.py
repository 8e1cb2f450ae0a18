"""A run's scores: evaluate() per (prompt, model, repeat), and the human ceiling, each kept beside the answer cache
(`<cache-dir>/scores/`). A run whose gold, answers, article texts, seed and resample count are those of an earlier
run gets the earlier scores without loading the scoring code (numpy, SciPy, dateparser: about a second of a warm
re-run), and the same numbers, since scoring is a pure function of them.

The key is the sha256 of those inputs together with the scoring code itself (every file under harness/score and
harness/normalize, and harness/schema.py) and the versions of the libraries it computes with, so a change to any of
them scores afresh. An entry that cannot be read is scored again and replaced; a folder that cannot be written only
costs the next run the scoring. `harness merge` rescores joined shards with `score_results`, as the run unsplit.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from harness.files import atomic_write_text, dist_version
from harness.schema import Article, GoldArticle

if TYPE_CHECKING:
    from harness import records as rec
    from harness.extract.runner import SampleResult

LIBRARIES = ("numpy", "scipy", "dateparser", "babel", "rapidfuzz", "pydantic")
_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def code_fingerprint() -> str:
    """sha256 over the scoring code's files (path and bytes) and the versions of the libraries it uses."""
    h = hashlib.sha256()
    files = [p for d in ("score", "normalize") for p in (_PACKAGE / d).rglob("*") if "__pycache__" not in p.parts]
    for path in sorted([*files, _PACKAGE / "schema.py"]):
        if path.is_file():
            h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for lib in LIBRARIES:
        if (version := dist_version(lib)) is not None:
            h.update(f"{lib}={version}\0".encode())
    return h.hexdigest()


class ScoreMemo:
    """Scores by the sha256 of what they were computed from; `folder` None keeps nothing (every call computes);
    `keep` False reads what is kept but writes nothing (a run that writes no cache, `--offline`, writes no scores)."""

    def __init__(self, folder: Path | None, keep: bool = True):
        self._folder = folder
        self._keep = keep

    def recall(self, kind: str, inputs: dict[str, Any], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The kept result for (`kind`, `inputs`), else `compute()`, kept for the next run."""
        if self._folder is None:
            return compute()
        text = json.dumps({"code": code_fingerprint(), "kind": kind, "inputs": inputs}, sort_keys=True,
                          ensure_ascii=False, separators=(",", ":"))  # fmt: skip
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        path = self._folder / f"{key}.json"
        with contextlib.suppress(OSError, ValueError):
            if path.is_file() and not path.is_symlink():
                kept = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(kept, dict) and kept.get("key") == key and isinstance(kept.get("result"), dict):
                    return kept["result"]
        result = compute()
        if not self._keep:
            return result
        with contextlib.suppress(OSError):
            atomic_write_text(path, json.dumps({"key": key, "result": result}, ensure_ascii=False))
        return result


def dumped(models: Mapping[str, BaseModel] | Sequence[BaseModel]) -> Any:
    """Models as the JSON they are kept under: what a key is computed from."""
    if isinstance(models, Mapping):
        return {k: v.model_dump(mode="json") for k, v in models.items()}
    return [m.model_dump(mode="json") for m in models]


def score_results(
    gold: dict[str, GoldArticle],
    articles: dict[str, Article],
    results: list[SampleResult],
    *,
    seed: int,
    n_boot: int,
    memo: ScoreMemo | None = None,
) -> tuple[list[rec.ScoreEntry], list[str]]:
    """evaluate() per (prompt, model, repeat) over the gold articles of the run; a failed sample adds no claims.
    `harness merge` rescores joined shards with it, so that they score as the run unsplit. `memo`: scores kept from
    an earlier run on the same inputs (above)."""  # fmt: skip
    if not gold:
        return [], []
    from harness import records as rec

    groups: dict[tuple[str, str, int], list[SampleResult]] = {}
    for r in results:
        groups.setdefault((r.prompt, r.model, r.repeat), []).append(r)
    out = []
    for (prompt, model, repeat), rs in groups.items():
        ids = sorted({r.article_id for r in rs} & set(gold))
        entry = rec.ScoreEntry(prompt=prompt, model=model, repeat=repeat, articles=ids)
        if ids:
            preds = [c for r in rs if r.article_id in gold for c in r.claims]

            def compute(ids: list[str] = ids, preds: list = preds) -> dict:
                from harness.score.evaluate import evaluate

                texts = {a: articles[a].text for a in ids}
                return evaluate({a: gold[a] for a in ids}, preds, texts=texts, seed=seed, n_boot=n_boot).model_dump(
                    mode="json"
                )

            inputs = {"gold": dumped({a: gold[a] for a in ids}), "preds": dumped(preds), "seed": seed,
                      "n_boot": n_boot, "texts": {a: articles[a].sha256 for a in ids}}  # fmt: skip
            try:
                entry.report = (memo or ScoreMemo(None)).recall("evaluate", inputs, compute)
            except ImportError as exc:
                return [], [f"scores not computed: the scoring core is not available ({exc})"]
            except Exception as exc:  # a scorer bug must not lose the run's answers
                entry.error = f"{type(exc).__name__}: {exc}"
        out.append(entry)
    return out, []


def human_ceiling_of(gold: dict[str, GoldArticle], second: dict[str, GoldArticle], second_dir: Path | None,
                     articles: dict[str, Article], results: list[SampleResult], *, seed: int, n_boot: int,
                     memo: ScoreMemo | None = None):  # fmt: skip
    """The second annotation's agreement with the gold beside each entry's F1 on the same articles, or None."""
    if not second or second_dir is None:
        return None
    from harness.score.model import HumanCeiling

    def compute() -> dict:
        from harness.score.ceiling import claims_by_entry, human_ceiling

        texts = {a: art.text for a, art in articles.items()}
        entries = claims_by_entry(r for r in results if r.article_id in second)
        found = human_ceiling(gold, second, texts, entries, second_dir.as_posix(), seed=seed, n_boot=n_boot)
        return {"ceiling": found.model_dump(mode="json") if found else None}

    mine = [r for r in results if r.article_id in second]
    inputs = {"gold": dumped(gold), "second": dumped(second), "dir": second_dir.as_posix(), "seed": seed,
              "n_boot": n_boot, "texts": {a: art.sha256 for a, art in articles.items()},
              "results": [[r.prompt, r.model, r.repeat, r.article_id, r.ok, dumped(r.claims)]
                          for r in mine]}  # fmt: skip
    found = (memo or ScoreMemo(None)).recall("ceiling", inputs, compute)["ceiling"]
    return HumanCeiling.model_validate(found) if found is not None else None
