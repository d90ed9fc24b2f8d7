"""Contended programs: sessions that write the same bookkeeping rows at the same moment (issue 16, blind spot 6).

The general programs (``program.programs``) draw from the whole vocabulary, so two sessions rarely hold and want
the same lock at once, and a missing lock goes unnoticed. A contended program is drawn to make them meet:

    prefix    two tables t1, t2 with a column, and (usually) a branch b1 made from main
    sessions  2–3, each usually one transaction block of one or two *hot* statements: DDL on t1 or t2 (ADD
              COLUMN, CREATE INDEX — whose SHARE lock lets two sessions in at once, X9's trap — COMMENT),
              commits on main or b1, create_branch of one contested name, delete_branch of b1, merge of b1 into
              main, update_all_hashes; at REPEATABLE READ / SERIALIZABLE the block starts with ``SELECT 1`` so
              its snapshot predates the locks it then waits for (X11, X12)
    schedule  by turns (s0, s1, s2, s0, …: each statement starts while the others' blocks hold their locks, so
              two blocks that take two resources in crossing orders meet), or drawn as the general programs' are

Which hot kinds a program uses is swarm-drawn, so a program often has only two of them, in several sessions.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State, initial_state, step
from pggit_model.ops import Column, Op
from pggit_model.swarm import swarm

from .program import LEVELS, Program, predicted_everywhere, schedules

#: the contested kinds; DDL twice, as the bookkeeping lock's main user
HOT = ("ddl", "ddl", "commit", "branch", "delete", "merge", "hashes")
TABLES = ("t1", "t2")
#: the branch name create_branch calls compete for (b1 exists from the prefix)
CONTESTED = "b2"


def _prefix(schema: str, with_b1: bool) -> tuple[list[Op], State]:
    prefix: list[Op] = [ops.CreateTable(schema, t, (Column("a", "integer"),)) for t in TABLES]
    if with_b1:
        prefix.append(ops.CreateBranch("b1", "main"))
    state = initial_state(schemas=(schema,))
    for op in prefix:
        state, _ = step(state, op)
    return prefix, state


@st.composite
def _hot(draw: st.DrawFn, schema: str, kinds: Sequence[str], session: int, k: int, with_b1: bool) -> Op:
    kind = draw(st.sampled_from([x for x in kinds if with_b1 or x not in ("delete", "merge")] or ["ddl"]))
    if kind == "ddl":
        table = draw(st.sampled_from(TABLES), label="table")
        what = draw(st.sampled_from(["index", "column", "comment"]))
        if what == "index":
            return ops.CreateIndex(schema, f"i{session}{k}", table, ("a",))
        if what == "column":
            return ops.AlterTable(schema, table, (ops.AddColumn(Column(f"c{session}{k}", "integer")),))
        return ops.CommentOnTable(schema, table, f"s{session}")
    if kind == "commit":
        branch = draw(st.sampled_from(["main", "b1"] if with_b1 else ["main"]), label="branch")
        return draw(st.sampled_from([ops.CreateCommit(branch, "m", None), ops.CommitChanges(branch, "c")]))
    if kind == "branch":
        return ops.CreateBranch(CONTESTED, "main")
    if kind == "delete":
        return ops.DeleteBranch("b1", True)
    if kind == "merge":
        return ops.MergeBranches("b1", "main")
    return ops.UpdateAllHashes()


@st.composite
def _session(draw: st.DrawFn, schema: str, kinds: Sequence[str], i: int, level: str, with_b1: bool) -> list[Op]:
    body = [draw(_hot(schema, kinds, i, k, with_b1)) for k in range(draw(st.integers(1, 2), label="statements"))]
    if not draw(st.integers(0, 4), label="autocommit"):  # one in five: one statement, no block
        return body[:1]
    if level != "read committed" and draw(st.integers(0, 3), label="snapshot first") != 3:
        body.insert(0, ops.TakeSnapshot())  # X11: the snapshot is taken before the block waits for a lock
    end: Op = draw(st.sampled_from([ops.Commit(), ops.Commit(), ops.Commit(), ops.Rollback()]), label="end")
    return [ops.Begin(None if level == "read committed" else level), *body, end]


def by_turns(lengths: Sequence[int]) -> list[int]:
    """s0, s1, s2, s0, s1, … over the sessions with statements left."""
    left, out = list(lengths), []
    while any(left):
        for i, n in enumerate(left):
            if n:
                out.append(i)
                left[i] -= 1
    return out


@st.composite
def contended_programs(draw: st.DrawFn, *, schema: str, levels: Sequence[str] = LEVELS) -> Program:
    """A program whose sessions contend for the same bookkeeping rows and locks (the module's docstring)."""
    with_b1 = draw(st.integers(0, 3), label="b1") != 0
    prefix, state = _prefix(schema, with_b1)
    level = draw(st.sampled_from(list(levels)), label="level")
    kinds = draw(swarm(HOT), label="hot kinds")
    n = draw(st.integers(2, 3), label="sessions")
    suffixes = [draw(_session(schema, kinds, i, level, with_b1), label=f"session {i}") for i in range(n)]
    draw(st.just(None).filter(lambda _: predicted_everywhere(state, suffixes)))
    lengths = [len(s) for s in suffixes]
    turns = draw(st.booleans().map(lambda b: not b), label="by turns")  # shrinks to by turns
    schedule = by_turns(lengths) if turns else draw(schedules(lengths), label="schedule")
    return Program(prefix, suffixes, schedule, schema, level)
