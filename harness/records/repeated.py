"""The repeats of one (prompt, model) of a run as sides, and two such sides compared with every repeat used: each
gold item's outcome averaged over its side's repeats (harness.score.repeats).
"""

from __future__ import annotations

from harness.errors import InputError
from harness.records.run import RunRecord
from harness.records.sides import Side, compare_sides, gold_mismatch, select_entry, side_of
from harness.score.compare import FieldComparison
from harness.score.repeats import compare_repeated


def select_sides(record: RunRecord, prompt: str | None = None, model: str | None = None, repeat: int | None = None,
                 which: str = "run") -> list[Side]:  # fmt: skip
    """The entry select_entry picks, and when no repeat is given every scored repeat of its (prompt, model), in
    repeat order; InputError when one of them was not scored."""
    first = select_entry(record, prompt, model, repeat, which)
    if repeat is not None:
        return [side_of(record, first)]
    entries = sorted((e for e in record.scores if (e.prompt, e.model) == (first.prompt, first.model)),
                     key=lambda e: e.repeat)  # fmt: skip
    unscored = [e.repeat for e in entries if e.report is None]
    if unscored:
        listed = ", ".join(map(str, unscored))
        raise InputError(f"{which} {record.run_id}: {first.prompt}/{first.model} repeat(s) {listed} not scored; "
                         "pick a scored repeat")  # fmt: skip
    return [side_of(record, e) for e in entries]


def compare_repeated_sides(a: list[Side], b: list[Side], seed: int = 0, n_boot: int = 1000, n_perm: int = 2000,
                           ) -> list[FieldComparison]:  # fmt: skip
    """B - A per field with each side's repeats averaged item by item (compare_sides when each side has one)."""
    if len(a) == 1 and len(b) == 1:
        return compare_sides(a[0], b[0], seed=seed, n_boot=n_boot, n_perm=n_perm)
    for x in (*a[1:], *b):
        why = gold_mismatch(a[0], x)
        if why:
            raise InputError(f"cannot compare {a[0].run_id} with {x.run_id} (repeat {x.repeat}): {why}")
    return compare_repeated([s.report for s in a], [s.report for s in b], seed=seed, n_boot=n_boot, n_perm=n_perm)
