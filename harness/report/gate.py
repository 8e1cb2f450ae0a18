"""Regression gate: a run against a committed baseline with the paired comparison, per field.

The rule, per field compared (figures, dates, attribution, claims; strict micro F1): the field regresses when
    B - A < -threshold          (F1 fell by more than the threshold, default 0.05)   AND
    hi(95% paired interval) < 0 (the whole interval lies below 0: noise does not explain the fall).
Any regressed field fails the gate (exit 1). A fall larger than the threshold whose interval reaches 0 passes,
with the reason printed. The baseline file carries the item-level score report needed for pairing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pydantic import BaseModel, ValidationError

from harness.errors import InputError
from harness.extract.cache import atomic_write_text, now_utc
from harness.report.compare import Side, compare_sides
from harness.report.leaderboard import md_cell

BASELINE_VERSION = 2  # 2: claim-grounded scores (claims graded, claims_exact, *_anywhere); 1: bag-of-values scores


class Baseline(Side):
    """`reports/baseline.json`: one scored entry of a run — its identity, the gold hashes and the full score
    report (with every item's outcome, which the paired comparison needs)."""

    baseline_version: int = BASELINE_VERSION
    created: str = ""


def make_baseline(side: Side) -> Baseline:
    return Baseline(**side.model_dump(), created=now_utc())


def write_baseline(baseline: Baseline, path: Path) -> Path:
    atomic_write_text(Path(path), baseline.model_dump_json(indent=1) + "\n")
    return Path(path)


def read_baseline(path: Path) -> Baseline:
    """Read a baseline file; InputError (exit 2) when it is missing, not JSON, or not a baseline."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read baseline: {exc.strerror} (write one with `harness gate --write-baseline RUN`)",
                         str(path)) from None  # fmt: skip
    try:
        b = Baseline.model_validate_json(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f"not a baseline file: {where}: {err['msg']}", str(path)) from None
    if b.baseline_version != BASELINE_VERSION:
        raise InputError(f"baseline version {b.baseline_version} is not {BASELINE_VERSION}", str(path))
    return b


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


class GateResult(BaseModel):
    passed: bool
    threshold: float
    baseline_run: str
    run_id: str
    prompt: str
    model: str
    fields: list[FieldGate]
    notes: list[str] = []


def _reason(diff: float, ci: list[float], threshold: float) -> tuple[bool, str]:
    lo, hi = ci
    if diff >= 0:
        return False, f"F1 rose by {diff:.3f}" if diff > 0 else "F1 unchanged"
    if diff >= -threshold:
        return False, f"F1 fell by {-diff:.3f}, within the {threshold:.2f} threshold"
    interval = f"95% interval [{lo:+.3f}, {hi:+.3f}]"
    if hi < 0:
        return True, f"F1 fell by {-diff:.3f}, more than {threshold:.2f}, and the {interval} lies below 0"
    return False, f"F1 fell by {-diff:.3f}, more than {threshold:.2f}, but the {interval} reaches 0: within noise"


def run_gate(baseline: Baseline, run: Side, threshold: float = 0.05, seed: int = 0, n_boot: int = 1000,
             n_perm: int = 2000) -> GateResult:  # fmt: skip
    """Compare the run (B) to the baseline (A) field by field and apply the rule of this module's docstring."""
    if not 0 <= threshold < 1:
        raise InputError(f"--threshold must be in [0, 1), not {threshold}")
    rows = compare_sides(baseline, run, seed=seed, n_boot=n_boot, n_perm=n_perm)
    fields = []
    for r in rows:
        regressed, reason = _reason(r.diff, r.ci, threshold)
        fields.append(FieldGate(field=r.field, baseline=r.a, run=r.b, diff=r.diff, ci=r.ci, p_holm=r.p_holm, mdd=r.mdd,
                                regressed=regressed, reason=reason))  # fmt: skip
    notes = []  # what changed besides the scores: said, never failed on
    for what, old, new in (
        ("prompt", baseline.prompt, run.prompt),
        ("prompt text (sha256)", (baseline.prompt_sha256 or "?")[:12], (run.prompt_sha256 or "?")[:12]),
        ("model", baseline.model, run.model),
        ("endpoint", baseline.endpoint, run.endpoint),
    ):
        if old != new:
            notes.append(f"{what} differs from the baseline's ({old} -> {new})")
    return GateResult(passed=not any(f.regressed for f in fields), threshold=threshold, baseline_run=baseline.run_id,
                      run_id=run.run_id, prompt=run.prompt, model=run.model, fields=fields, notes=notes)  # fmt: skip


def render_gate(result: GateResult) -> str:
    """Markdown: the verdict, then one row per field with the numbers and the reason."""
    head = "PASS" if result.passed else "FAIL: regression"
    lines = [
        f"# Gate {head}", "",
        f"Run {md_cell(result.run_id)} ({md_cell(result.prompt)} · {md_cell(result.model)}) against baseline "
        f"{md_cell(result.baseline_run)}. A field fails when its F1 falls by more than {result.threshold:.2f} and the "
        "paired 95% interval of the difference lies entirely below 0.", "",
        "| field | baseline F1 | run F1 | diff | 95% CI | p (Holm) | MDD | status | why |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]  # fmt: skip
    for f in result.fields:
        status = "**FAIL**" if f.regressed else "pass"
        lines.append(f"| {f.field} | {f.baseline:.3f} | {f.run:.3f} | {f.diff:+.3f} | [{f.ci[0]:+.3f}, {f.ci[1]:+.3f}] | "
                     f"{f.p_holm:.4f} | {f.mdd:.3f} | {status} | {md_cell(f.reason)} |")  # fmt: skip
    if result.notes:
        lines += ["", *(f"- note: {md_cell(n)}" for n in result.notes)]
    failed = sum(f.regressed for f in result.fields)
    lines += ["", f"gate: {len(result.fields) - failed} passed, {failed} failed"]  # the plain closing line CI reads
    return "\n".join(lines) + "\n"


def junit_xml(result: GateResult) -> str:
    """JUnit XML: one testsuite, one testcase per field; a regressed field is a <failure> with its reason."""
    failures = sum(f.regressed for f in result.fields)
    suites = ET.Element("testsuites", name="harness gate", tests=str(len(result.fields)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name="harness.gate", tests=str(len(result.fields)),
                          failures=str(failures), errors="0", skipped="0")  # fmt: skip
    props = ET.SubElement(suite, "properties")
    for k, v in (("baseline_run", result.baseline_run), ("run_id", result.run_id), ("prompt", result.prompt),
                 ("model", result.model), ("threshold", f"{result.threshold:g}")):  # fmt: skip
        ET.SubElement(props, "property", name=k, value=v)
    for f in result.fields:
        case = ET.SubElement(suite, "testcase", classname=f"harness.gate.{result.prompt}.{result.model}", name=f.field)
        detail = (f"baseline F1 {f.baseline:.3f}, run F1 {f.run:.3f}, diff {f.diff:+.3f}, "
                  f"95% CI [{f.ci[0]:+.3f}, {f.ci[1]:+.3f}], p (Holm) {f.p_holm:.4f}, MDD {f.mdd:.3f}")  # fmt: skip
        if f.regressed:
            ET.SubElement(case, "failure", message=f.reason, type="regression").text = detail
        else:
            ET.SubElement(case, "system-out").text = f"{f.reason}; {detail}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
