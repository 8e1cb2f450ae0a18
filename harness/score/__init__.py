"""Scoring core: align predicted to gold claims and measure figures, dates and attribution. Pure functions, no I/O."""

from harness.score.evaluate import evaluate
from harness.score.model import FieldScore, ScoreReport

__all__ = ["FieldScore", "ScoreReport", "evaluate"]
