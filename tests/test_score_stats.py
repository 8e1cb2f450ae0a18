"""Statistics of the scoring core: intervals, paired comparison, minimum detectable difference, Holm."""

from __future__ import annotations

import numpy as np
import pytest

from harness.score.metrics import prf
from harness.score.stats import (
    NONE,
    _normal_limit,
    bootstrap_ci,
    holm,
    joint_counts,
    min_detectable_difference,
    paired_compare,
    verdict,
)  # fmt: skip
from harness.score.vocabulary import COR, MIS, SPU


def test_prf_formulas_by_hand():
    # COR 8, PAR 1, INC 1, MIS 3, SPU 2 -> POS = 13, ACT = 12
    p, r, f = prf(np.array([8, 1, 1, 3, 2]))["strict"]
    assert (p, r) == pytest.approx((8 / 12, 8 / 13))
    assert f == pytest.approx(2 * 8 / (13 + 12))  # F1 = 2 COR / (POS + ACT) when P, R share the credit
    p, r, _ = prf(np.array([8, 1, 1, 3, 2]))["relaxed"]
    assert (p, r) == pytest.approx((8.5 / 12, 8.5 / 13))


def test_empty_sides():
    assert list(prf(np.zeros(5))["strict"]) == [1.0, 1.0, 1.0]  # nothing to find, nothing claimed
    assert list(prf(np.array([0, 0, 0, 4, 0]))["strict"]) == [0.0, 0.0, 0.0]


def test_multinomial_bootstrap_matches_item_resampling():
    # one article, 10 items: 6 COR, 4 MIS. Resampling items with replacement gives recall ~ Binomial(10, .6)/10,
    # whose 2.5% and 97.5% quantiles are 0.3 and 0.9.
    ci = bootstrap_ci(np.array([[6, 0, 0, 4, 0]]), n_boot=4000, seed=1)["micro_strict"]["recall"]
    assert ci == pytest.approx([0.3, 0.9], abs=0.101)


def test_normal_limit_agrees_with_exact_on_many_articles():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 8, (1500, 5))
    exact = bootstrap_ci(counts, n_boot=1000, seed=0)  # 1.5M draws: under the exact budget
    approx = _normal_limit(counts, 1000, np.random.default_rng(0), 0.95)
    for scope in ("micro_strict", "micro_relaxed", "macro_strict", "macro_relaxed"):
        for m in ("precision", "recall", "f1"):
            (lo, hi), (a_lo, a_hi) = exact[scope][m], approx[scope][m]
            # 1500 articles give intervals about 0.011 wide, so a fixed tolerance of 0.006 would also pass an
            # interval of width 0 around the point. The width must agree within 10% (a variance off by a factor 2
            # makes it 41% wider or 29% narrower), and each end within half the width: the macro F1 interval of
            # the normal limit sits about a third of its width above the exact one (it is centred on the point,
            # while the resampled mean of per-article F1s lies below it).
            assert hi - lo > 0.005, (scope, m)
            assert a_hi - a_lo == pytest.approx(hi - lo, rel=0.10), (scope, m)
            assert (a_lo, a_hi) == pytest.approx((lo, hi), abs=(hi - lo) / 2), (scope, m)


def test_mdd_matches_the_power_table_of_the_notes():
    # (1.96 + 0.84) * sqrt(0.7 * 0.3 / n): 60 items -> 0.166, 100 -> 0.128, 800 -> 0.045
    assert min_detectable_difference(60, 0.7) == pytest.approx(2.8006 * (0.21 / 60) ** 0.5, abs=1e-4)
    assert min_detectable_difference(100, 0.7) == pytest.approx(0.128, abs=0.002)
    assert min_detectable_difference(800, 0.7) == pytest.approx(0.045, abs=0.002)


def test_holm_step_down():
    # p sorted 0.01, 0.02, 0.04 with m = 3: 0.03, 0.04, 0.04 (monotone)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])


def _rows(n_both: int, a_only: int, b_only: int, neither: int):
    return [(COR, COR)] * n_both + [(COR, MIS)] * a_only + [(MIS, COR)] * b_only + [(MIS, MIS)] * neither


def test_one_item_apart_is_not_distinguishable():
    joint = joint_counts([_rows(20, 0, 1, 9), _rows(15, 0, 0, 5)])
    r = paired_compare(joint, metric="recall", seed=0)
    # recall A = 35/50, B = 36/50: diff = 0.02
    assert r["diff"] == pytest.approx(1 / 50)
    assert r["p_value"] > 0.5
    assert verdict(r, r["p_value"]) == "not distinguishable on this data"


def test_a_large_paired_difference_is_detected():
    joint = joint_counts([_rows(10, 0, 15, 5), _rows(10, 1, 12, 2)])
    r = paired_compare(joint, metric="recall", seed=0)
    # A = 21/55, B = 47/55: diff = 26/55 = 0.473, far above the MDD at n = 55
    assert r["diff"] == pytest.approx(26 / 55)
    assert r["diff"] > r["mdd"]
    assert r["p_value"] < 0.001 and r["ci"][0] > 0
    assert verdict(r, r["p_value"]) == "B better"


def test_spurious_rows_stand_alone_and_lower_precision():
    # B adds 5 spurious predictions to the same correct ones: precision A = 10/10, B = 10/15
    joint = joint_counts([[(COR, COR)] * 10 + [(NONE, SPU)] * 5])
    r = paired_compare(joint, metric="precision", seed=0)
    assert (r["a"], r["b"]) == pytest.approx((1.0, 10 / 15))


def test_paired_compare_is_seeded():
    joint = joint_counts([_rows(10, 3, 5, 2), _rows(8, 2, 1, 4)])
    assert paired_compare(joint, seed=5) == paired_compare(joint, seed=5)
    # ...and the seed is what drives the resampling: another seed draws other resamples, so another interval.
    assert paired_compare(joint, seed=6)["ci"] != paired_compare(joint, seed=5)["ci"]
