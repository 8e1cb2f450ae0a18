"""Regression gate: a run against a committed baseline with the paired comparison, per reported field, and its
Markdown and JUnit views. The rule for one field is `harness.score.gate.regression`; any regressed field fails the
gate (exit 1). The baseline file carries the item-level score report needed for pairing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pydantic import BaseModel

from harness.errors import InputError
from harness.records import Baseline, Side
from harness.records.repeated import compare_repeated_sides
from harness.report.markdown import md_cell, md_table
from harness.report.view import Cell, Column, Row, Table
from harness.score.gate import DEFAULT_THRESHOLD, FieldGate, regression


class GateResult(BaseModel):
    passed: bool
    threshold: float
    baseline_run: str
    run_id: str
    prompt: str
    model: str
    fields: list[FieldGate]
    notes: list[str] = []


def run_gate(baseline: Baseline, run: Side | list[Side], threshold: float = DEFAULT_THRESHOLD, seed: int = 0,
             n_boot: int = 1000, n_perm: int = 2000) -> GateResult:  # fmt: skip
    """Compare the run (B) to the baseline (A) field by field and apply the gate's rule to each; several sides of
    the run are its repeats, each item averaged over them (harness.score.repeats)."""
    if not 0 <= threshold < 1:
        raise InputError(f"--threshold must be in [0, 1), not {threshold}")
    runs = run if isinstance(run, list) else [run]
    run = runs[0]
    rows = compare_repeated_sides([baseline], runs, seed=seed, n_boot=n_boot, n_perm=n_perm)
    fields = []
    for r in rows:
        regressed, reason = regression(r.diff, r.ci, threshold)
        fields.append(FieldGate(field=r.field, baseline=r.a, run=r.b, diff=r.diff, ci=r.ci, p_holm=r.p_holm, mdd=r.mdd,
                                regressed=regressed, reason=reason))  # fmt: skip
    notes = []  # what changed besides the scores: said, never failed on
    if len(runs) > 1:
        notes.append(f"run F1: mean over {len(runs)} repeats (each item averaged over repeats "
                     f"{', '.join(str(s.repeat) for s in runs)}); --repeat picks one")  # fmt: skip
    for what, old, new in (
        ("prompt", baseline.prompt, run.prompt),
        ("prompt text (sha256)", (baseline.prompt_sha256 or "?")[:12], (run.prompt_sha256 or "?")[:12]),
        ("response schema (sha256)", (baseline.schema_sha256 or "?")[:12], (run.schema_sha256 or "?")[:12]),
        ("model", baseline.model, run.model),
        ("endpoint", baseline.endpoint, run.endpoint),
    ):
        if old != new:
            notes.append(f"{what} differs from the baseline's ({old} -> {new})")
    return GateResult(passed=not any(f.regressed for f in fields), threshold=threshold, baseline_run=baseline.run_id,
                      run_id=run.run_id, prompt=run.prompt, model=run.model, fields=fields, notes=notes)  # fmt: skip


def gate_table(result: GateResult) -> Table:
    """One row per field: baseline and run F1, the difference with its interval, Holm p, MDD, status and why."""
    heads = ("baseline F1", "run F1", "diff", "95% CI", "p (Holm)", "MDD")
    cols = [Column("field"), *(Column(h, numeric=True) for h in heads), Column("status"), Column("why")]
    rows = [Row([
        Cell(f.field), Cell(f"{f.baseline:.3f}"), Cell(f"{f.run:.3f}"), Cell(f"{f.diff:+.3f}"),
        Cell(f"[{f.ci[0]:+.3f}, {f.ci[1]:+.3f}]"), Cell(f"{f.p_holm:.4f}"), Cell(f"{f.mdd:.3f}"),
        Cell("FAIL", strong=True) if f.regressed else Cell("pass"), Cell(f.reason),
    ]) for f in result.fields]  # fmt: skip
    return Table("gate", cols, rows)


def render_gate(result: GateResult) -> str:
    """Markdown: the verdict, then one row per field with the numbers and the reason."""
    head = "PASS" if result.passed else "FAIL: regression"
    lines = [
        f"# Gate {head}", "",
        f"Run {md_cell(result.run_id)} ({md_cell(result.prompt)} · {md_cell(result.model)}) against baseline "
        f"{md_cell(result.baseline_run)}. A field fails when its F1 falls by more than {result.threshold:.2f} and the "
        "paired 95% interval of the difference lies entirely below 0.", "",
        *md_table(gate_table(result)),
    ]  # fmt: skip
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
