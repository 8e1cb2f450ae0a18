"""The gate's rule for one field, B (the run) against A (the baseline): it regresses when
B - A < -threshold          (F1 fell by more than the threshold)   AND
hi(95% paired interval) < 0 (the whole interval lies below 0: noise does not explain the fall).
"""

from __future__ import annotations

from pydantic import BaseModel

DEFAULT_THRESHOLD = 0.05


class FieldGate(BaseModel):
    field: str
    baseline: float
    run: float
    diff: float
    ci: list[float]
    p_holm: float
    mdd: float
    regressed: bool
    reason: str


def regression(diff: float, ci: list[float], threshold: float) -> tuple[bool, str]:
    """Whether the field regressed, and why, in a sentence the gate report prints."""
    lo, hi = ci
    if diff >= 0:
        return False, f"F1 rose by {diff:.3f}" if diff > 0 else "F1 unchanged"
    if diff >= -threshold:
        return False, f"F1 fell by {-diff:.3f}, within the {threshold:.2f} threshold"
    interval = f"95% interval [{lo:+.3f}, {hi:+.3f}]"
    if hi < 0:
        return True, f"F1 fell by {-diff:.3f}, more than {threshold:.2f}, and the {interval} lies below 0"
    return False, f"F1 fell by {-diff:.3f}, more than {threshold:.2f}, but the {interval} reaches 0: within noise"
