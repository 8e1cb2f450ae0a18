"""What a run leaves behind, typed and versioned: the run record (run.json) and the baseline a gate reads."""

from typing import TYPE_CHECKING, Any

from harness.files import utc_now
from harness.records.run import (
    RECORD_VERSION,
    CacheCounts,
    DataRef,
    EndpointInfo,
    PromptRef,
    Provenance,
    RunParameters,
    RunRecord,
    ScoreEntry,
    Summary,
    entry_report,
    file_hashes,
    make_run_id,
    provenance,
    read_run,
    write_run,
)  # fmt: skip

if TYPE_CHECKING:
    from harness.records.sides import (
        BASELINE_VERSION,
        Baseline,
        Side,
        VariantOf,
        compare_sides,
        gold_mismatch,
        make_baseline,
        pair_variant,
        read_baseline,
        select_entry,
        side_of,
        write_baseline,
    )  # fmt: skip

# The sides and the baseline hold a ScoreReport, which brings harness.score (numpy): imported on first use, so a run
# and its record need none of it.
_SIDES = {"BASELINE_VERSION", "Baseline", "Side", "VariantOf", "compare_sides", "gold_mismatch", "make_baseline",
          "pair_variant", "read_baseline", "select_entry", "side_of", "write_baseline"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _SIDES:
        from harness.records import sides

        return getattr(sides, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BASELINE_VERSION", "RECORD_VERSION", "Baseline", "CacheCounts", "DataRef", "EndpointInfo", "PromptRef",
    "Provenance", "RunParameters", "RunRecord", "ScoreEntry", "Side", "Summary", "VariantOf", "compare_sides",
    "entry_report", "file_hashes", "gold_mismatch", "make_baseline", "make_run_id", "pair_variant", "provenance",
    "read_baseline", "read_run", "select_entry", "side_of", "utc_now", "write_baseline", "write_run",
]  # fmt: skip
