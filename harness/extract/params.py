"""A run's generation and retry settings and the instructor modes offered: one object, recorded whole in the run."""

from __future__ import annotations

from pydantic import BaseModel

# instructor modes offered on the command line (llama_cpp.server: json and tools work, json_schema does not).
MODES = {"json": "JSON", "md_json": "MD_JSON", "tools": "TOOLS", "json_schema": "JSON_SCHEMA"}


class GenParams(BaseModel):
    """Generation and retry settings of a run (all of them go in the run record)."""

    temperature: float = 0.0
    seed: int | None = 0
    max_tokens: int | None = 2048
    mode: str = "json"
    max_retries: int = 2  # instructor re-asks after an answer that does not fit the response model
    max_attempts: int = 4  # transport attempts per request (429/5xx/timeout/connection), first one included
    timeout: float | None = None  # seconds per HTTP request; None: the run decides (see `with_defaults`)
    grammar: bool | None = None  # json mode: also send the schema as llama_cpp.server's grammar (compact output)
    backoff_base: float = 0.5  # first back-off in seconds, doubled per attempt, with jitter
    backoff_max: float = 30.0
    retry_after_max: float = 60.0  # a longer Retry-After is capped here

    def with_defaults(self, local: bool) -> GenParams:
        """Fill what depends on the endpoint: the embedded model on a CPU gets a long timeout (a timed-out request
        keeps its single slot busy, so a retry would only queue behind it), other endpoints 300 s. The grammar stays
        off unless asked for: with it the 1.5B model tends to close the claims list at once."""
        return self.model_copy(update={
            "timeout": self.timeout if self.timeout is not None else (1800.0 if local else 300.0),
            "grammar": bool(self.grammar),
        })  # fmt: skip


def mode_name(mode: str) -> str:
    """Canonical lower-case mode name; ValueError for an unknown one."""
    m = mode.strip().lower()
    if m not in MODES:
        raise ValueError(f"unknown instructor mode {mode!r} (choose from {', '.join(MODES)})")
    return m
