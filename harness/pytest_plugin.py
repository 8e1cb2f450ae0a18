"""The pytest plugin (entry point `pytest11: harness`): the `harness_eval` fixture runs or replays an evaluation
through `execute_run` and gates it against a baseline with the rule of `harness gate`, so a project's own test
suite can say "extraction quality must not fall" without shell scripts.

Loaded by every pytest session of an environment with the harness installed, so importing it costs nothing: the
harness itself is imported only when a test asks for the fixture, and no fixture is autoused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.records import RunRecord
    from harness.report.gate import GateResult
    from harness.score.model import FieldScore

# name -> (default, help); the ini name is the option's dest, the command-line flag is --harness-<name>
PATHS = {
    "baseline": ("reports/baseline.json", "baseline file the gate compares with"),
    "out": ("", "folder for the run records"),
    "cache": (".cache/harness/responses", "the harness answer cache ('none': no local cache); only a live run writes"),
    "seeds": ("seeds", "folder of articles"),
    "gold": ("gold", "folder of gold annotations"),
    "prompts": ("prompts", "folder of prompt files"),
    "recorded": ("reports/recorded", "read-only recorded answers, consulted after the cache"),
}
TMP_OUT = "the test's tmp_path/harness-runs"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "claim-extraction quality (the harness_eval fixture)")
    group.addoption(
        "--harness-offline",
        action="store_true",
        default=None,
        dest="harness_offline",
        help="answer only from the cache and the recorded answers (ini harness_offline, default true)",
    )
    group.addoption(
        "--harness-live",
        action="store_false",
        default=None,
        dest="harness_offline",
        help="ask the endpoint (or the embedded model) for answers not cached",
    )
    group.addoption(
        "--harness-threshold",
        default=None,
        dest="harness_threshold",
        metavar="F1",
        help="F1 fall that may count as a regression (ini harness_threshold, default that of `harness gate`: 0.05)",
    )
    parser.addini("harness_offline", "harness_eval answers only from the cache and recorded answers", "bool", True)
    parser.addini("harness_threshold", "F1 fall that may count as a regression", "string", "")
    for name, (default, what) in PATHS.items():
        group.addoption(
            f"--harness-{name}",
            default=None,
            dest=f"harness_{name}",
            metavar="PATH",
            help=f"{what} (ini harness_{name}, default {default or TMP_OUT})",
        )
        parser.addini(f"harness_{name}", what, "string", "")  # empty: the default, relative to the rootdir


def _path(config: pytest.Config, name: str) -> Path | None:
    """A path setting: the command line (relative to where pytest was started), else the ini file (relative to
    its folder), else the default (relative to the rootdir); None when empty or 'none'."""
    given = config.getoption(f"harness_{name}")
    if given is not None:
        value, base = str(given), config.invocation_params.dir
    elif value := str(config.getini(f"harness_{name}")):
        base = config.inipath.parent if config.inipath else config.rootpath
    else:
        value, base = PATHS[name][0], config.rootpath
    if not value or value.lower() == "none":
        return None
    return base / Path(value).expanduser()


def _given(config: pytest.Config, value: str | Path) -> Path:
    """A path handed to the fixture or its result: relative to the rootdir."""
    return config.rootpath / Path(value).expanduser()


def _threshold(config: pytest.Config) -> float:
    value = config.getoption("harness_threshold") or config.getini("harness_threshold")
    if not value:
        from harness.score.gate import DEFAULT_THRESHOLD  # imported when asked: plugin import stays light

        return DEFAULT_THRESHOLD
    try:
        return float(value)
    except ValueError:
        problem = f"harness_threshold must be a number, not {value!r}"
    pytest.fail(problem, pytrace=False)


@dataclass
class HarnessEvaluation:
    """One evaluation: its run record and where it lies, the scores per field, and the gate against a baseline."""

    record: RunRecord
    record_path: Path
    exit_code: int  # 0 ok, 1 too many failed samples (the run's verdict, as `harness run` exits)
    prompt: str
    model: str
    scores: dict[str, FieldScore]  # field -> strict P/R/F1, `ci` {"f1": [lo, hi], ...}, counts
    config: pytest.Config = field(repr=False)

    @property
    def run_id(self) -> str:
        return self.record.run_id

    def gate(self, baseline: str | Path | None = None, threshold: float | None = None, *, repeat: int | None = None,
             seed: int = 0, n_boot: int = 1000, n_perm: int = 2000) -> GateResult:  # fmt: skip
        """This run against the baseline, field by field, as `harness gate` decides (harness.report.gate, whose rule
        per field is harness.score.gate.regression); fails the test only on a bad or unpairable baseline."""
        from harness.errors import InputError
        from harness.records import read_baseline
        from harness.records.repeated import select_sides
        from harness.report.gate import run_gate

        path = _given(self.config, baseline) if baseline is not None else _path(self.config, "baseline")
        if path is None:
            pytest.fail("harness_eval: no baseline given (harness_baseline is empty)", pytrace=False)
        limit = _threshold(self.config) if threshold is None else threshold
        try:  # the sides and the verdict as `harness gate` takes them: every repeat unless one is picked
            sides = select_sides(self.record, self.prompt, self.model, repeat)
            return run_gate(read_baseline(path), sides, limit, seed=seed, n_boot=n_boot, n_perm=n_perm)
        except InputError as exc:
            problem = f"harness gate: {exc}"  # failed outside the except: the message alone, no chained traceback
        pytest.fail(problem, pytrace=False)

    def assert_no_regression(self, baseline: str | Path | None = None, threshold: float | None = None, *,
                             repeat: int | None = None, seed: int = 0, n_boot: int = 1000,
                             n_perm: int = 2000) -> GateResult:  # fmt: skip
        """Fail the test when any field regressed beyond noise, listing every field's numbers and verdict."""
        __tracebackhide__ = True
        result = self.gate(baseline, threshold, repeat=repeat, seed=seed, n_boot=n_boot, n_perm=n_perm)
        if not result.passed:
            where = _given(self.config, baseline) if baseline is not None else _path(self.config, "baseline")
            pytest.fail(gate_message(result, where))
        return result


def gate_message(result: GateResult, baseline: str | Path | None) -> str:
    """The gate's result as plain text: one line per field with baseline, current, difference, interval, verdict."""
    failed = [f.field for f in result.fields if f.regressed]
    head = "extraction quality fell beyond noise" if failed else "extraction quality held"
    lines = [
        f"{head}: run {result.run_id} ({result.prompt} · {result.model}) against baseline {baseline} "
        f"(run {result.baseline_run})",
        f"a field fails when its F1 falls by more than {result.threshold:.2f} and the paired 95% interval of the "
        "difference lies entirely below 0",
        "",
        f"{'field':<17} {'baseline':>8} {'current':>8} {'diff':>7}  {'95% interval':<17}  verdict",
    ]
    for f in result.fields:
        verdict = "FAIL" if f.regressed else "pass"
        lines.append(f"{f.field:<17} {f.baseline:>8.3f} {f.run:>8.3f} {f.diff:>+7.3f}  "
                     f"[{f.ci[0]:+.3f}, {f.ci[1]:+.3f}]  {verdict}: {f.reason}")  # fmt: skip
    tally = f"{len(failed)} of {len(result.fields)} fields regressed"
    lines += ["", tally + (f": {', '.join(failed)}" if failed else "")]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


@pytest.fixture
def harness_eval(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., HarnessEvaluation]:
    """A factory: `harness_eval(prompt="compact", ...)` runs (or replays) one evaluation and returns its scores and
    record, with `assert_no_regression()`; keywords left out come from the harness_* options."""
    config = request.config

    def run(prompt: str | None = None, *, model: str | None = None, offline: bool | None = None,
            articles: str | Path | None = None, gold: str | Path | None = None, only: list[str] | None = None,
            base_url: str | None = None, api_key: str | None = None, out: str | Path | None = None,
            **run_config: Any) -> HarnessEvaluation:  # fmt: skip
        __tracebackhide__ = True
        from harness.errors import InputError
        from harness.extract.prompts import DEFAULT_PROMPT
        from harness.pipeline import RunConfig, execute_run
        from harness.score.model import ScoreReport
        from harness.score.vocabulary import REPORTED

        if offline is None:
            flag = config.getoption("harness_offline")
            offline = bool(config.getini("harness_offline")) if flag is None else bool(flag)
        gold_dir = _given(config, gold) if gold is not None else _path(config, "gold")
        if gold_dir is None or not gold_dir.is_dir():
            pytest.fail(f"harness_eval: no gold folder at {gold_dir} (pass gold= or set harness_gold)", pytrace=False)
        out_dir = _given(config, out) if out is not None else _path(config, "out") or tmp_path / "harness-runs"
        prompt = prompt or DEFAULT_PROMPT
        recorded = _path(config, "recorded")
        settings: dict[str, Any] = {
            "prompts": [prompt], "models": [model] if model else [], "gold": gold_dir, "only": only or [],
            "seeds": _path(config, "seeds"), "prompts_dir": _path(config, "prompts"), "base_url": base_url,
            "api_key": api_key, "offline": offline, "cache_dir": _path(config, "cache"),
            "recorded": [recorded] if recorded else [], "out_dir": out_dir,
            "articles": _given(config, articles) if articles is not None else None,
        }  # fmt: skip
        settings = {k: v for k, v in settings.items() if v is not None or k in ("cache_dir", "base_url")}
        try:
            result = execute_run(RunConfig.model_construct(**{**settings, **run_config}))  # validated by the run
        except InputError as exc:
            problem = f"harness_eval: {exc}"  # failed outside the except: the message alone, no chained traceback
        else:
            entry = next((e for e in result.record.scores if e.prompt == prompt), None)
            if entry is not None and entry.report is not None:
                report = ScoreReport.model_validate(entry.report)
                return HarnessEvaluation(
                    record=result.record, record_path=result.path, exit_code=result.exit_code, prompt=prompt,
                    model=entry.model, scores={f: getattr(report, f) for f in REPORTED}, config=config,
                )  # fmt: skip
            why = entry.error if entry is not None else "no entry"
            problem = f"harness_eval: prompt {prompt!r} was not scored ({why}); the record is {result.path}"
        pytest.fail(problem, pytrace=False)

    return run
