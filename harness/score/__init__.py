"""Scoring core: align predicted to gold claims and measure figures, dates and attribution. Pure functions, no I/O.

The names below are imported on first use: `evaluate` brings numpy and the normalisers, which a run without gold,
or a verb that needs only `harness.score.vocabulary`, never uses.
"""

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.score.evaluate import evaluate
    from harness.score.model import FieldScore, ScoreReport

_LAZY = {
    "evaluate": "harness.score.evaluate",
    "FieldScore": "harness.score.model",
    "ScoreReport": "harness.score.model",
}


class _Package(types.ModuleType):
    """The package `harness.score`, whose attribute `evaluate` is always the function. Importing the submodule of the
    same name sets that attribute to the submodule; the function it defines is kept instead, as the eager
    `from harness.score.evaluate import evaluate` of this file once left it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "evaluate" and isinstance(value, types.ModuleType):
            value = value.evaluate
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FieldScore", "ScoreReport", "evaluate"]
