"""Geometry of the report's inline SVG charts (F1 per field, B - A per field); the templates only draw it, so the
HTML needs no script and the numbers are computed and rounded in one place.
"""

from __future__ import annotations

from harness.score.model import ScoreReport
from harness.score.vocabulary import REPORTED


def bar_chart(rows: list[tuple[str, float, list[float] | None]], width: int = 260, label_w: int = 100) -> dict:
    """Geometry of a horizontal bar chart on [0, 1]: one bar per (label, value, [lo, hi]) with a whisker."""
    row_h, top = 24, 18
    out = []
    for i, (label, value, interval) in enumerate(rows):
        y = top + i * row_h
        bar = {"label": label, "y": y, "ty": y + 12, "w": round(max(0.0, min(1.0, value)) * width, 2),
               "value": f"{value:.3f}", "x0": label_w, "vx": label_w + width + 8}  # fmt: skip
        if interval:
            lo, hi = (max(0.0, min(1.0, v)) for v in interval)
            bar.update(lo=round(label_w + lo * width, 2), hi=round(label_w + hi * width, 2), wy=y + 8)
        out.append(bar)
    ticks = [{"x": round(label_w + t * width, 2), "t": f"{t:g}"} for t in (0, 0.25, 0.5, 0.75, 1)]
    height = top + len(rows) * row_h + 4
    return {
        "rows": out,
        "ticks": ticks,
        "width": label_w + width + 60,
        "height": height,
        "x0": label_w,
        "bottom": height - 4,
    }


def f1_chart(report: ScoreReport) -> dict:
    return bar_chart([(f, getattr(report, f).f1, getattr(report, f).ci["f1"]) for f in REPORTED], label_w=130)


def diff_chart(rows: list[tuple[str, float, list[float], float]], width: int = 320, label_w: int = 110) -> dict:
    """Geometry of a centred chart of differences B - A with 95% whiskers and a shaded +-MDD band per row."""
    span = max([0.2, *(abs(v) for _, d, ci, m in rows for v in (d, *ci, m))])
    span = min(1.0, round(span + 0.05, 1))
    mid, row_h, top = label_w + width / 2, 24, 18
    scale = (width / 2) / span
    out = []
    for i, (label, d, ci, mdd) in enumerate(rows):
        y = top + i * row_h
        x = mid + d * scale
        out.append(
            {
                "label": label,
                "y": y,
                "ty": y + 12,
                "wy": y + 8,
                "x": round(min(x, mid), 2),
                "w": round(abs(x - mid), 2),
                "lo": round(mid + ci[0] * scale, 2),
                "hi": round(mid + ci[1] * scale, 2),
                "mlo": round(mid - mdd * scale, 2),
                "mw": round(2 * mdd * scale, 2),
                "value": f"{d:+.3f}",
                "neg": d < 0,
                "vx": label_w + width + 8,
            }
        )
    ticks = [
        {"x": round(mid + t * span * scale, 2), "t": f"{t * span:+.2g}" if t else "0"} for t in (-1, -0.5, 0, 0.5, 1)
    ]
    height = top + len(rows) * row_h + 4
    return {
        "rows": out,
        "ticks": ticks,
        "width": label_w + width + 70,
        "height": height,
        "mid": mid,
        "bottom": height - 4,
    }
