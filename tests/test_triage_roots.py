"""One line per root (runs.root_fingerprint, cli.triage, session.roots_table): the same shrunk example found by
several machines is one bug, listed once with the machines and their example counts."""

from __future__ import annotations

from pathlib import Path

from pggit_model.cli.triage import triage_lines
from pggit_model.ops import Column, CreateBranch, CreateTable
from pggit_model.runs import Run, root_fingerprint
from pggit_model.session import Recorded, roots_table


def _collision(machine: str, schema: str, name: str = "0") -> Run:
    """pgGit's first-branch collision (#1, B2) as a machine in ``schema`` records it."""
    ops = (CreateTable(schema, "t1", (Column("id", "int"),)), CreateBranch(name, "main"))
    return Run(ops, schema, machine=machine, rule="B2", rules=("B2",), step=2,
               message="B2/B4/B5: expected success, got error 23505")


def test_the_same_shrunk_example_from_several_machines_is_one_root() -> None:
    """Schema names, branch names and literals do not split a root; the rule, the op kind or the example's shape do."""
    a, b, c = _collision("VersioningMachine", "mc_aaaaaa"), _collision("HashesMachine", "mc_bbbbbb", "x"), \
        _collision("HashesMachine", "mc_cccccc", "y")
    assert a.id != b.id and root_fingerprint(a) == root_fingerprint(b) == root_fingerprint(c)
    other_rule = Run(a.ops, a.schema, machine="VersioningMachine", rule="B3", step=2)
    longer = Run((*a.ops, CreateBranch("1", "main")), a.schema, machine="VersioningMachine", rule="B2", step=2)
    assert len({root_fingerprint(r) for r in (a, other_rule, longer)}) == 3


def test_triage_prints_one_line_per_root_with_machines_and_counts() -> None:
    """Three recorded runs of one root (two machines) and one of another give two lines, keeping the stable id."""
    a, b, c = _collision("VersioningMachine", "mc_aaaaaa"), _collision("HashesMachine", "mc_bbbbbb", "x"), \
        _collision("HashesMachine", "mc_cccccc", "y")
    other = Run((CreateTable("mc_dddddd", "t1", ()),), "mc_dddddd", machine="HashesMachine", rule="V7", step=1,
                message="pggit.objects rows differ")
    lines = triage_lines([a, b, other, c, a])
    assert len(lines) == 2, lines
    first = lines[0].split()
    assert first[0] in {a.id, b.id, c.id} and first[1:3] == ["B2", "create_branch"]
    assert "HashesMachine x2, VersioningMachine x1" in lines[0]
    assert lines[1].split()[0] == other.id and "HashesMachine x1" in lines[1]


def test_report_lists_roots_once(tmp_path: Path) -> None:
    """The --pggit-report summary's roots table has one row per root with the machines that found it."""
    f = [Recorded("VersioningMachine", "aaa", "B2", 2, 2, "23505", tmp_path, root="r1", op="create_branch"),
         Recorded("HashesMachine", "bbb", "B2", 2, 2, "23505", tmp_path, root="r1", op="create_branch"),
         Recorded("HashesMachine", "ccc", "V7", 1, 1, "rows | differ", tmp_path, root="r2", op="create_table")]
    text = "\n".join(roots_table(f))
    assert "2 distinct root(s)" in text
    assert "| `aaa` | B2 | create_branch | 2 | VersioningMachine x1, HashesMachine x1 | 23505 |" in text
    assert "| `ccc` | V7 | create_table | 1 | HashesMachine x1 | rows \\| differ |" in text
