"""The house rules of docs/ARCHITECTURE.md, checked on the source: data flows one way through the layers, the
scoring core and the normalisers import no outer layer, reports never reach extraction, nothing imports the CLI,
and no module passes 400 lines. Each rule fails with the offending file and import named."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "harness"

# Lowest first: a module may import its own layer and the layers before it, never one after it.
LAYERS = (
    ("errors", "files", "preload", "schema"),
    ("corpus", "corpus_datasets", "predictions", "prices"),
    ("normalize",),
    ("variants",),
    ("extract",),
    ("score",),
    ("records",),
    ("report",),
    ("pipeline", "run_scores", "merge", "dry_run"),
    ("cli", "__main__", "pytest_plugin"),
)
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported layer) for every `harness.<layer>` import anywhere in the file, function bodies included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] if node.module != "harness" else [f"harness.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "harness" and len(parts) > 1:
                out.append((node.lineno, parts[1]))
    return out


def test_every_module_belongs_to_a_layer():
    unknown = {_layer(p) for p in _modules()} - set(RANK) - {"__init__"}
    assert not unknown, f"add these to LAYERS and docs/ARCHITECTURE.md: {sorted(unknown)}"


def test_data_flows_one_way():
    upward = []
    for path in _modules():
        own = _layer(path)
        if own == "__init__":
            continue
        for line, target in _imports(path):
            if target in RANK and RANK[target] > RANK[own]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({own}) imports harness.{target}")
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("score", {"corpus", "predictions", "extract", "records", "report", "pipeline", "cli", "files"}),
        ("normalize", {"corpus", "predictions", "extract", "score", "records", "report", "pipeline", "cli", "files"}),
        ("report", {"extract", "pipeline", "cli"}),
        ("pytest_plugin", {"cli"}),
    ],
)
def test_inner_layers_stay_inner(layer, forbidden):
    """The scoring core and the normalisers are pure (no files, no model); reports only read records."""
    bad = [
        f"{p.relative_to(PACKAGE.parent)}:{line} imports harness.{t}"
        for p in _modules()
        if _layer(p) == layer
        for line, t in _imports(p)
        if t in forbidden
    ]
    assert not bad, "\n".join(bad)


def test_the_rules_catch_an_upward_import(tmp_path):
    """The checker itself can fail: a score module importing the pipeline is found."""
    fake = tmp_path / "article.py"
    fake.write_text("def f():\n    from harness.pipeline import execute_run\n", encoding="utf-8")
    assert _imports(fake) == [(2, "pipeline")]
    assert RANK["pipeline"] > RANK["score"]


def test_no_module_passes_400_lines():
    long = [
        f"{p.relative_to(PACKAGE.parent)}: {n} lines"
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not long, "\n".join(long)


def test_every_module_has_its_line_in_the_architecture_doc():
    doc = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [
        rel
        for p in _modules()
        if p.name != "__init__.py" and _layer(p) not in ("cli", "__main__")
        if f"`{(rel := p.relative_to(PACKAGE).as_posix())}`" not in doc
    ]
    assert not missing, f"docs/ARCHITECTURE.md has no line for: {missing}"
