"""Layering of the package, read from the source with ``ast`` (no module of xlstm_ts is imported).

Every import statement counts, at module level or inside a function, except those under
``if TYPE_CHECKING:``. ``from a.b import c`` is an edge to ``a.b.c`` when that is a module of the
package, else to ``a.b``; the parent packages Python imports implicitly on the way are not edges.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Floors: a module may import modules of its own floor or lower ones, never higher ones. The key is
# the top-level sub-package or module name directly under xlstm_ts/. A new top-level name fails
# test_top_level_name_has_a_floor until it is given a floor here, so every new room is placed on purpose.
FLOORS: dict[str, int] = {
    "_lazy": 0,
    "ops": 0,
    "cpu_memory": 0,
    "metrics": 0,
    "nn": 1,
    "models": 2,
    "io": 2,
    "data": 2,
    "plotting": 2,
    "training": 3,
    "pipeline": 4,
    "forecasting": 4,
    "benchmark": 5,
    "tuning": 5,
    "sktime": 5,
    "cli": 6,
}
# Same-floor rooms that must not import each other, in either direction.
FORBIDDEN_PAIRS: set[frozenset[str]] = {frozenset({"forecasting", "pipeline"})}
# Public alias modules: exempt as importers; as import targets they count as the room they alias.
ALIASES: dict[str, str] = {"forecaster": "forecasting"}
# Deprecated old paths that re-export a moved module (they warn once): exempt as importers.
DEPRECATED_ALIASES: set[str] = {"xlstm_ts.training.fit", "xlstm_ts.training.run_config"}
LIGHTNING = ("lightning", "pytorch_lightning")

REPO = Path(__file__).resolve().parents[1]
PACKAGE_DIR = REPO / "xlstm_ts"


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # resolved dotted name (a module of the package, a package, or an outside name)
    names: tuple[str, ...]  # for `from target import names` when the names are not modules
    line: int
    module_level: bool  # runs at import time (not inside a function)
    where: str  # "path:line" for messages


@dataclass
class Graph:
    package: str
    modules: dict[str, Path] = field(default_factory=dict)  # dotted name -> file
    packages: set[str] = field(default_factory=set)  # folders, namespace ones included
    imports: dict[str, list[Import]] = field(default_factory=dict)
    trainer_calls: list[str] = field(default_factory=list)  # "path:line"
    unpickling_calls: list[str] = field(default_factory=list)  # "path:line: call"
    parse_errors: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)  # x.py next to x/__init__.py


def _is_unpickling(node: ast.Call) -> bool:
    """torch.load, pickle/joblib/dill load(s), pandas read_pickle, or numpy load with allow_pickle=True."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
    if name in ("load", "loads") and owner in ("torch", "pickle", "cPickle", "joblib", "dill"):
        return True
    if name in ("read_pickle", "Unpickler"):
        return True
    allow = [k for k in node.keywords if k.arg == "allow_pickle"]
    return bool(allow) and not (isinstance(allow[0].value, ast.Constant) and allow[0].value.value is False)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _Collector(ast.NodeVisitor):
    def __init__(self, graph: Graph, module: str, is_package: bool, shown: str) -> None:
        self.graph, self.module, self.is_package, self.shown = graph, module, is_package, shown
        self.depth = 0
        self.found: list[Import] = []

    def _add(self, node: ast.stmt, target: str, names: tuple[str, ...] = ()) -> None:
        self.found.append(
            Import(self.module, target, names, node.lineno, self.depth == 0, f"{self.shown}:{node.lineno}")
        )

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # only the else branch runs
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.module.split(".")
            if not self.is_package:
                parts = parts[:-1]
            parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
            base = ".".join([*parts, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        by_target: dict[str, list[str]] = {}
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            if alias.name != "*" and (candidate in self.graph.modules or candidate in self.graph.packages):
                by_target.setdefault(candidate, [])
            else:
                by_target.setdefault(base, []).append(alias.name)
        for target, names in by_target.items():
            self._add(node, target, tuple(names))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (isinstance(func, ast.Name) and func.id == "Trainer") or (
            isinstance(func, ast.Attribute) and func.attr == "Trainer"
        ):
            self.graph.trainer_calls.append(f"{self.shown}:{node.lineno}")
        if _is_unpickling(node):
            self.graph.unpickling_calls.append(f"{self.shown}:{node.lineno}: {ast.unparse(node)[:80]}")
        self.generic_visit(node)


def build_graph(package_dir: Path, shown_from: Path | None = None) -> Graph:
    """Modules, imports and Trainer calls of the package in `package_dir` (its folder name is the package)."""
    shown_from = shown_from or package_dir.parent
    graph = Graph(package=package_dir.name)
    files: dict[str, tuple[Path, bool]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir.parent)
        if "__pycache__" in rel.parts or not all(p.isidentifier() for p in (*rel.parts[:-1], path.stem)):
            continue
        graph.packages.update(".".join(rel.parts[:i]) for i in range(1, len(rel.parts)))
        is_package = path.name == "__init__.py"
        name = ".".join(rel.parts[:-1] if is_package else (*rel.parts[:-1], path.stem))
        if name in files:  # x/__init__.py and x.py: Python imports the package
            package_file, module_file = (path, files[name][0]) if is_package else (files[name][0], path)
            hidden, winner = module_file.relative_to(shown_from), package_file.relative_to(shown_from)
            graph.shadowed.append(f"{hidden} is hidden by {winner}")
            if not is_package:
                continue
        files[name] = (path, is_package)
    graph.modules = {name: path for name, (path, _) in files.items()}
    for name, (path, is_package) in files.items():
        shown = str(path.relative_to(shown_from))
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=shown)
        except SyntaxError as error:
            graph.parse_errors.append(f"{shown}:{error.lineno}: {error.msg}")
            graph.imports[name] = []
            continue
        collector = _Collector(graph, name, is_package, shown)
        collector.visit(tree)
        graph.imports[name] = collector.found
    return graph


def find_cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    edges = {
        m: sorted({i.target for i in imps if i.target in graph.modules and i.target != m})
        for m, imps in graph.imports.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return sorted(components)


def top_name(graph: Graph, module: str) -> str | None:
    """`ops` for xlstm_ts.ops.dispatch, None for the package root or an outside module."""
    parts = module.split(".")
    return parts[1] if parts[0] == graph.package and len(parts) > 1 else None


def is_exempt_importer(graph: Graph, module: str) -> bool:
    return (
        module == graph.package
        or top_name(graph, module) in ALIASES
        or module in DEPRECATED_ALIASES
        or module.endswith(".__main__")
    )


def lightning_imports(graph: Graph, module: str) -> list[str]:
    return [
        f"{i.where}: {module} imports {i.target}"
        for i in graph.imports[module]
        if i.target.split(".")[0] in LIGHTNING
    ]


def module_level_triton(graph: Graph, module: str) -> list[str]:
    return [
        f"{i.where}: {module} imports {i.target} at module level (move it into the function that needs it)"
        for i in graph.imports[module]
        if i.module_level and i.target.split(".")[0] == "triton"
    ]


def floor_violations(graph: Graph, module: str, floors: dict[str, int] = FLOORS) -> list[str]:
    """Imports of `module` that go up a floor or across a forbidden pair (unknown rooms: see the name test)."""
    if is_exempt_importer(graph, module):
        return []
    room = top_name(graph, module)
    problems = []
    for i in graph.imports[module]:
        if i.target == graph.package:
            lazy = [n for n in i.names if not (n.startswith("__") and n.endswith("__"))]
            if lazy:
                problems.append(
                    f"{i.where}: {module} imports {', '.join(lazy)} from the package root {graph.package}; "
                    "import from the defining module (the root's lazy exports hide the real dependency)"
                )
            continue
        target_room = top_name(graph, i.target)
        if target_room is None or target_room == room:
            continue
        target_room = ALIASES.get(target_room, target_room)
        if room not in floors or target_room not in floors:
            continue
        if floors[target_room] > floors[room]:
            problems.append(
                f"{i.where}: {module} (floor {floors[room]}, {room}) imports {i.target} "
                f"(floor {floors[target_room]}, {target_room}): lower floors must not import higher ones"
            )
        elif frozenset({room, target_room}) in FORBIDDEN_PAIRS:
            problems.append(
                f"{i.where}: {module} imports {i.target}: {room} and {target_room} must not import each other"
            )
    return problems


GRAPH = build_graph(PACKAGE_DIR)
MODULES = sorted(GRAPH.modules)
FORECASTING = [m for m in MODULES if top_name(GRAPH, m) == "forecasting"]
FLOORED = [m for m in MODULES if not is_exempt_importer(GRAPH, m)]
TOP_NAMES = sorted({top_name(GRAPH, m) for m in FLOORED} - {None})  # type: ignore[arg-type]


def test_every_module_parses_and_none_is_hidden() -> None:
    assert not GRAPH.parse_errors + GRAPH.shadowed, "\n".join(GRAPH.parse_errors + GRAPH.shadowed)


def test_no_import_cycles() -> None:
    cycles = find_cycles(GRAPH)
    report = []
    for component in cycles:
        members = set(component)
        lines = [
            f"    {i.where}: {i.importer} -> {i.target}"
            for m in component
            for i in GRAPH.imports[m]
            if i.target in members and i.target != m
        ]
        report.append(f"cycle among {', '.join(component)}:\n" + "\n".join(lines))
    assert not cycles, "\n".join(report)


def test_exactly_one_trainer_construction() -> None:
    calls = GRAPH.trainer_calls
    assert len(calls) == 1, f"{len(calls)} Trainer(...) calls, expected exactly 1:\n" + "\n".join(calls)


def test_nothing_is_unpickled() -> None:
    """Models and data state load from safetensors and JSON only: no torch.load, pickle, read_pickle."""
    assert not GRAPH.unpickling_calls, "\n".join(GRAPH.unpickling_calls)


@pytest.mark.parametrize("module", [m for m in MODULES if top_name(GRAPH, m) == "data"])
def test_data_does_not_import_lightning(module: str) -> None:
    """The benchmark data module is a plain class: its state never rides in a Lightning checkpoint."""
    problems = lightning_imports(GRAPH, module)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", FORECASTING)
def test_forecasting_does_not_import_lightning(module: str) -> None:
    problems = lightning_imports(GRAPH, module)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", MODULES)
def test_no_module_level_triton_import(module: str) -> None:
    problems = module_level_triton(GRAPH, module)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", TOP_NAMES)
def test_top_level_name_has_a_floor(name: str) -> None:
    assert name in FLOORS or name in ALIASES, (
        f"{GRAPH.package}.{name} has no floor: give it one in FLOORS at the top of tests/test_architecture.py"
    )


@pytest.mark.parametrize("module", FLOORED)
def test_floors(module: str) -> None:
    problems = floor_violations(GRAPH, module)
    assert not problems, "\n".join(problems)


def test_checker_on_a_synthetic_package(tmp_path: Path) -> None:
    sources = {
        "__init__.py": "",
        "ops/__init__.py": "from typing import TYPE_CHECKING\nimport typing\n"
        "if TYPE_CHECKING:\n    from pkg.cli import x\nif typing.TYPE_CHECKING:\n    import pkg.forecasting\n"
        "def f():\n    import triton\n",
        "ops/a.py": "from . import b\nimport triton.language\n",
        "ops/b.py": "from pkg.ops.a import thing\n",
        "forecasting/__init__.py": "from .core import Estimator\n",
        "forecasting/core.py": "from pkg.forecasting import helpers\ndef fit():\n    import lightning.pytorch as pl\n"
        "    return pl.Trainer()\n",
        "forecasting/helpers.py": "from .. import metrics\nfrom pkg import Estimator\n",
        "metrics.py": "",
        "cli.py": "from pkg.pipeline import run\nfrom pkg.ops import a\n",
        "pipeline.py": "from pkg.forecasting.core import fit\n",
    }
    for rel, text in sources.items():
        (tmp_path / "pkg" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / rel).write_text(text)
    graph = build_graph(tmp_path / "pkg")
    assert find_cycles(graph) == [["pkg.ops.a", "pkg.ops.b"]]  # forecasting/__init__ <- core is implicit only
    assert {i.target for i in graph.imports["pkg.forecasting.core"]} == {"pkg.forecasting.helpers", "lightning.pytorch"}
    assert graph.trainer_calls == ["pkg/forecasting/core.py:4"]
    assert lightning_imports(graph, "pkg.forecasting.core") == [
        "pkg/forecasting/core.py:3: pkg.forecasting.core imports lightning.pytorch"
    ]
    assert [p.split(":")[1] for p in module_level_triton(graph, "pkg.ops.a")] == ["2"]
    assert module_level_triton(graph, "pkg.ops") == []  # function-level import, TYPE_CHECKING ones ignored
    floors = {"ops": 0, "metrics": 0, "forecasting": 4, "pipeline": 4, "cli": 6}
    assert floor_violations(graph, "pkg.ops", floors) == []
    assert floor_violations(graph, "pkg.cli", floors) == []
    assert len(floor_violations(graph, "pkg.pipeline", floors)) == 1  # pipeline -> forecasting
    assert len(floor_violations(graph, "pkg.forecasting.helpers", floors)) == 1  # lazy export from the root
