"""A run's generation and retry settings and the instructor modes offered: one object, recorded whole in the run;
and how `--batch` waits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# instructor modes offered on the command line (llama_cpp.server: json and tools work, json_schema does not).
MODES = {"json": "JSON", "md_json": "MD_JSON", "tools": "TOOLS", "json_schema": "JSON_SCHEMA"}


class GenParams(BaseModel):
    """Generation and retry settings of a run (all of them go in the run record)."""

    # Every value is checked where it is made (also on assignment): a run with nonsense settings is refused before
    # it asks anything. NaN and infinities are refused wherever a float is taken.
    model_config = ConfigDict(validate_assignment=True, allow_inf_nan=False)

    temperature: float = Field(0.0, ge=0.0, le=2.0)  # the range OpenAI-compatible endpoints accept
    seed: int | None = 0
    max_tokens: int | None = Field(2048, ge=1)
    mode: str = "json"
    max_retries: int = Field(2, ge=0)  # instructor re-asks after an answer that does not fit the response model
    max_attempts: int = Field(4, ge=1)  # transport attempts per request (429/5xx/timeout/connection), first included
    timeout: float | None = Field(None, gt=0.0)  # seconds per HTTP request; None: the run decides (`with_defaults`)
    grammar: bool | None = None  # json mode: also send the schema as llama_cpp.server's grammar; None: on the
    # embedded model as each prompt says (`grammar: true` in its file), off elsewhere (`with_defaults`)
    backoff_base: float = Field(0.5, ge=0.0)  # first back-off in seconds, doubled per attempt, with jitter
    backoff_max: float = Field(30.0, ge=0.0)
    retry_after_max: float = Field(60.0, ge=0.0)  # a longer Retry-After is capped here

    def with_defaults(self, local: bool) -> GenParams:
        """Fill what depends on the endpoint: the embedded model on a CPU gets a long timeout (a timed-out request
        keeps its single slot busy, so a retry would only queue behind it), other endpoints 300 s. A prompt's own
        `grammar: true` holds on the embedded model only: another endpoint may refuse or ignore the `schema` key in
        `response_format` (a llama_cpp.server extension), so there it is sent only when `--grammar` asks."""
        timeout = self.timeout if self.timeout is not None else (1800.0 if local else 300.0)
        grammar = self.grammar if self.grammar is not None or local else False
        return self.model_copy(update={"timeout": timeout, "grammar": grammar})

    def sends_grammar(self, prompt_asks: bool) -> bool:
        """Whether a request sends its schema as the grammar: `--grammar`/`--no-grammar` when given, else what the
        prompt asks for. It is part of the cache key."""
        return prompt_asks if self.grammar is None else self.grammar


def mode_name(mode: str) -> str:
    """Canonical lower-case mode name; ValueError for an unknown one."""
    m = mode.strip().lower()
    if m not in MODES:
        raise ValueError(f"unknown instructor mode {mode!r} (choose from {', '.join(MODES)})")
    return m


class BatchConfig(BaseModel):
    """How `--batch` waits: the first poll interval, the cap on it (doubling in between) and an optional limit on
    the whole wait, after which the run stops and a second run resumes the same batch."""

    poll_first: float = Field(5.0, gt=0.0, allow_inf_nan=False)
    poll_max: float = Field(300.0, gt=0.0, allow_inf_nan=False)
    wait: float | None = Field(None, ge=0.0, allow_inf_nan=False)  # None: until the batch ends (24 h window)
