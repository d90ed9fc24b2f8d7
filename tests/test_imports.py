"""The package's import graph: no cycle (late imports inside functions count too), and every module imports on
its own. A cycle is how one wing starts to need another's internals (replay <-> machine once did)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pggit_model

ROOT = Path(pggit_model.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ["pggit_model", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the package modules it imports anywhere in its text (top level or inside functions)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    edges.add(sub if sub in modules else target)
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return [*stack[stack.index(m):], m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_find_cycle_finds_a_planted_cycle():
    """The cycle finder is not vacuous: a three-module loop is reported as that loop."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_import_graph_sees_late_imports():
    """An import inside a function is an edge (the cycle replay.py once closed that way would show)."""
    graph = import_graph(_modules())
    assert "pggit_model.machines" in graph["pggit_model.cli.triage"]  # imported inside example_db_lines
    assert "pggit_model.session" in graph["pggit_model.machine"]


def test_the_package_has_no_import_cycle():
    """No module reaches itself through imports; the loop (machine) never reaches replay or the machines."""
    graph = import_graph(_modules())
    assert find_cycle(graph) is None

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for m in graph[todo.pop()] - seen:
                seen.add(m)
                todo.append(m)
        return seen

    assert {"pggit_model.replay", "pggit_model.machines", "pggit_model.cli"} & reach("pggit_model.machine") == set()
    assert not any(m.startswith("pggit_model.machines") for m in reach("pggit_model.store"))


@pytest.mark.parametrize("part", range(4))
def test_every_module_imports_alone(part: int) -> None:
    """Each module imports in a fresh set of modules (nothing of the package loaded before it); in four parts, so
    xdist workers share the minute it takes."""
    names = sorted(n for n in _modules() if not n.endswith("__main__"))[part::4]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    for k in [k for k in sys.modules if k.startswith('pggit_model')]:\n"
        "        del sys.modules[k]\n"
        "    importlib.import_module(name)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
