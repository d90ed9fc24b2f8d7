"""Contended programs: sessions that write the same bookkeeping rows at the same moment (issue 16, blind spot 6).

The general programs (``program.programs``) draw from the whole vocabulary, so two sessions rarely hold and want
the same lock at once, and a missing lock goes unnoticed. A contended program is drawn to make them meet:

    prefix    two tables t1, t2 with a column, and (usually) a branch b1 made from main
    sessions  one *pair* of locks in 2–3 sessions, or two pairs (one per table) in 2 sessions each. A pair's
              lead session runs, in a block, one hot statement — commits on main, create_branch of one
              contested name, delete_branch of b1, merge of b1 into main, update_all_hashes, or DDL — and a DDL
              on the pair's table (ADD COLUMN, CREATE INDEX — whose SHARE lock lets two sessions in at once,
              X9's trap — COMMENT), in either order; each other session runs the lead's statements reversed
              (locks taken in crossing orders: the deadlocks of a lock taken too late), its first one alone
              (X9's trap), the same (two commits on one branch), or its own. At REPEATABLE READ / SERIALIZABLE
              blocks start with ``SELECT 1``, so the snapshot predates the locks they then wait for (X11, X12);
              one block in four first checks out b1, so its DDL records on the branch others merge or delete
    schedule  in aligned rounds (``aligned``: the k-th hot statements of all sessions one after another, so
              each starts while the others' blocks hold their locks and crossing orders meet), above READ
              COMMITTED also one session after another from early snapshots (``staggered``), or drawn as the
              general programs' are

Each pair puts one kind of statement to the test against DDL, so the smoke profile's few programs still meet most
kinds; a lock one kind forgets shows as a deadlock (X9) or a lost or forked row (X8, X11). Which kinds meet in
smoke's ~7 contended programs is still the seed's luck (6 kinds x 4 shapes x 3 levels), so ``covering`` adds, to
every generating run, one program per kind in the shapes that expose a forgotten lock (issue 18 part 3).
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State, initial_state, step
from pggit_model.ops import Column, Op

from .program import LEVELS, Program, predicted_everywhere, schedules

#: the contested kinds: what session 0 pairs with a DDL
HOT = ("commit", "branch", "delete", "merge", "hashes", "ddl")
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


Recipe = tuple[str, ...]


@st.composite
def _recipe(draw: st.DrawFn, kinds: Sequence[str], with_b1: bool, table: str | None = None) -> Recipe:
    """What a hot statement does, without the names that tell sessions apart (``_render`` adds them); ``table``:
    the table of a DDL (else mostly t1)."""
    kind = draw(st.sampled_from([x for x in kinds if with_b1 or x not in ("delete", "merge")] or ["ddl"]),
                label="kind")
    if kind == "ddl":  # mostly t1 and CREATE INDEX: two sessions on one table, both let in by its SHARE lock
        return kind, table or draw(st.sampled_from(["t1", "t1", "t1", "t2"]), label="table"), \
            draw(st.sampled_from(["index", "index", "column", "comment"]), label="ddl")
    if kind == "commit":
        # on main only: a commit on b1 that delete_branch then deletes leaves b1's head a commit id the final
        # comparison cannot bind to its hash (a checker gap, docs/parallel.md), so the machine does not draw it
        return kind, "main", draw(st.sampled_from(["create", "changes"]))
    return (kind,)


def _render(recipe: Recipe, schema: str, session: int, k: int) -> Op:
    kind = recipe[0]
    if kind == "ddl":
        _, table, what = recipe
        if what == "index":
            return ops.CreateIndex(schema, f"i{session}{k}", table, ("a",))
        if what == "column":
            return ops.AlterTable(schema, table, (ops.AddColumn(Column(f"c{session}{k}", "integer")),))
        return ops.CommentOnTable(schema, table, f"s{session}")
    if kind == "commit":
        _, branch, how = recipe
        return ops.CreateCommit(branch, "m", None) if how == "create" else ops.CommitChanges(branch, "c")
    if kind == "branch":
        return ops.CreateBranch(CONTESTED, "main")
    if kind == "delete":
        return ops.DeleteBranch("b1", True)
    if kind == "merge":
        return ops.MergeBranches("b1", "main")
    return ops.UpdateAllHashes()


#: how a later session's statements relate to session 0's: its first one alone (X9's trap: a CREATE INDEX let in
#: beside session 0's, which then ALTERs the table), the same ones in the opposite order (locks taken in crossing
#: orders), the same in the same order (two commits on one branch), or its own
SHAPES = ("mirror", "first", "mirror", "same", "mirror", "own")


@st.composite
def _session(draw: st.DrawFn, schema: str, i: int, body: Sequence[Recipe], level: str, alone: bool,
             snapshot: bool, with_b1: bool) -> list[Op]:
    out = [_render(r, schema, i, k) for k, r in enumerate(body)]
    if alone and not draw(st.integers(0, 7), label="autocommit"):  # one in eight: one statement, no block
        return out[:1]
    if level != "read committed" and snapshot:
        out.insert(0, ops.TakeSnapshot())  # X11: the snapshot is taken before the block waits for a lock
    # one session in four records its DDL on b1 (B6): another session's merge of b1 or its deletion then meets
    # changes to its source committed after its snapshot (X11(a): a merge from the snapshot would lose them)
    if with_b1 and not draw(st.integers(0, 3), label="on b1"):
        out.insert(0, ops.CheckoutBranch("b1"))
    end: Op = draw(st.sampled_from([ops.Commit(), ops.Commit(), ops.Commit(), ops.Rollback()]), label="end")
    return [ops.Begin(None if level == "read committed" else level), *out, end]


#: what a block opens with before its hot statements: its branch, and (above READ COMMITTED) its snapshot
_OPENING = ("checkout_branch", "take_snapshot")


def _phases(session: Sequence[Op]) -> tuple[int, int]:
    """Where a session's hot statements start and end: after BEGIN (and its opening: checkout, SELECT 1), before
    COMMIT/ROLLBACK."""
    if not session or session[0].kind != "begin":
        return 0, len(session)
    start = 1
    while start < len(session) - 1 and session[start].kind in _OPENING:
        start += 1
    return start, len(session) - 1


def aligned(sessions: Sequence[Sequence[Op]]) -> list[int]:
    """Every session opens its block (BEGIN, SELECT 1), then round k runs each session's k-th hot statement in
    session order, then every block ends: so session 1's k-th statement starts while session 0 holds the locks of
    its own k-th, and a session whose statements are session 0's reversed takes the same locks in the crossing
    order (s0 X, s1 Y, s0 Y, s1 X)."""
    bounds = [_phases(s) for s in sessions]
    out = [i for i, (a, _) in enumerate(bounds) for _ in range(a)]
    for k in range(max((b - a for a, b in bounds), default=0)):
        out += [i for i, (a, b) in enumerate(bounds) if a + k < b]
    out += [i for i, (_, b) in enumerate(bounds) for _ in range(len(sessions[i]) - b)]
    return out


def staggered(sessions: Sequence[Sequence[Op]]) -> list[int]:
    """Every session opens its block (BEGIN, SELECT 1: its snapshot), then one session after another runs its hot
    statements and ends: so each later session works from a snapshot that predates the earlier ones' commits, the
    shape of X11's Obs (a stale snapshot must not be recorded from, and must not fail on a key nobody changed)."""
    bounds = [_phases(s) for s in sessions]
    out = [i for i, (a, _) in enumerate(bounds) for _ in range(a)]
    return out + [i for i, (a, _) in enumerate(bounds) for _ in range(len(sessions[i]) - a)]


@st.composite
def _pair(draw: st.DrawFn, with_b1: bool, table: str, size: int) -> list[tuple[list[Recipe], bool]]:
    """``size`` sessions around one pair of locks, each with whether it leads: the lead runs one hot statement
    (drawn first: the kind is what the pair puts to the test) and a DDL on ``table``, in either order, in a block;
    the others relate to it by a shape."""
    kind = draw(st.sampled_from(HOT), label="paired with a DDL")
    first = [draw(_recipe((kind,), with_b1, table)), draw(_recipe(("ddl",), with_b1, table))]
    if draw(st.booleans(), label="DDL first"):
        first.reverse()
    bodies = [(first, True)]
    for _ in range(1, size):
        shape = draw(st.sampled_from(SHAPES), label="shape")
        own = [draw(_recipe(HOT, with_b1, table)) for _ in range(draw(st.sampled_from([2, 1])))] \
            if shape == "own" else []
        bodies.append(({"first": first[:1], "mirror": first[::-1], "same": first}.get(shape, own), False))
    return bodies


def covering(schema: str) -> list[Program]:
    """One contended program per HOT kind, whatever the seed: the lead session runs the kind and an ADD COLUMN on
    t1 in a block, a second session the same two reversed (locks in crossing orders: X9), a third the kind alone
    in autocommit (two of one kind at once: X8, X10; for DDL, CREATE INDEX, whose SHARE lock lets a second one in
    beside the lead's before it ALTERs the table: X9's trap); in aligned rounds at READ COMMITTED, the level where
    a forgotten lock shows as a deadlock the control lacks. Then, at REPEATABLE READ and SERIALIZABLE, three ADD
    COLUMNs from early snapshots one after another (``staggered``), and an ADD COLUMN recorded on b1 before a
    merge of b1 and a branch from b1 that read b1 from early snapshots. ``ParallelHarness.run`` runs them as explicit
    examples."""
    prefix, state = _prefix(schema, with_b1=True)
    out = []
    for kind in HOT:
        hot = {"ddl": ("ddl", "t1", "index"), "commit": ("commit", "main", "create")}.get(kind, (kind,))
        lead: list[Recipe] = [hot, ("ddl", "t1", "column")]
        blocks = [[ops.Begin(), *(_render(r, schema, i, k) for k, r in enumerate(body)), ops.Commit()]
                  for i, body in enumerate((lead, lead[::-1], lead[1:]))]
        alone = [_render(hot, schema, 2, 0)]
        # the widest the model predicts in every serial order (a second merge of b1 is unspecified: B9)
        for sessions in ([*blocks[:2], alone], blocks[:2], [blocks[0], blocks[2]]):
            if predicted_everywhere(state, sessions):
                out.append(Program(prefix, sessions, aligned(sessions), schema, LEVELS[0]))
                break
    # X11's Obs at each snapshot level: every session's snapshot first, then one after another, DDL on t1 (a
    # table an earlier session changed after the snapshot) and on t2 (one nobody changed: no 40001 allowed)
    for level in LEVELS[1:]:
        sessions = [[ops.Begin(level), ops.TakeSnapshot(), _render(("ddl", t, "column"), schema, i, 0), ops.Commit()]
                    for i, t in enumerate(("t1", "t1", "t2"))]
        out.append(Program(prefix, sessions, staggered(sessions), schema, level))
    # the same on another branch: the first session records on b1 (B6), the later ones read b1 from snapshots
    # older than that change, as a merge's source and as a new branch's parent (X11(a): neither from σ)
    for level in LEVELS[1:]:
        readers: list[Op] = [ops.MergeBranches("b1", "main"), ops.CreateBranch(CONTESTED, "b1")]
        sessions = [[ops.Begin(level), ops.CheckoutBranch("b1"), ops.TakeSnapshot(),
                     _render(("ddl", "t1", "column"), schema, 0, 0), ops.Commit()],
                    *([ops.Begin(level), ops.TakeSnapshot(), r, ops.Commit()] for r in readers)]
        if predicted_everywhere(state, sessions):
            out.append(Program(prefix, sessions, staggered(sessions), schema, level))
    return out


@st.composite
def contended_programs(draw: st.DrawFn, *, schema: str, levels: Sequence[str] = LEVELS) -> Program:
    """A program whose sessions contend for the same bookkeeping rows and locks (the module's docstring)."""
    with_b1 = draw(st.integers(0, 3), label="b1") != 0
    prefix, state = _prefix(schema, with_b1)
    # READ COMMITTED twice: the level where every lock a backend forgets shows as a deadlock the control lacks
    level = draw(st.sampled_from([x for x in (LEVELS[0], *LEVELS) if x in levels]), label="level")
    # one pair of locks put to the test in 2–3 sessions, or two pairs (one per table) in 2 sessions each
    pairs = draw(st.sampled_from([1, 2, 2]), label="pairs")  # two kinds put to the test at once, mostly
    bodies: list[tuple[list[Recipe], bool]] = []
    for table in TABLES[:pairs]:
        size = 2 if pairs == 2 else draw(st.integers(2, 3), label="sessions")
        bodies += draw(_pair(with_b1, table, size), label=f"pair on {table}")
    snapshot = draw(st.integers(0, 3), label="no snapshot first") != 3  # shrinks to SELECT 1 first
    suffixes = [draw(_session(schema, i, body, level, alone=not lead, snapshot=snapshot, with_b1=with_b1),
                     label=f"session {i}")
                for i, (body, lead) in enumerate(bodies)]
    draw(st.just(None).filter(lambda _: predicted_everywhere(state, suffixes)))
    lengths = [len(s) for s in suffixes]
    # aligned rounds (what it shrinks to), one session after another from early snapshots (not at READ COMMITTED,
    # where each statement takes a new one), or drawn
    how = draw(st.integers(0, 5), label="schedule shape")
    if how == 5:
        schedule = draw(schedules(lengths), label="schedule")
    else:
        schedule = staggered(suffixes) if how >= 3 and level != LEVELS[0] else aligned(suffixes)
    return Program(prefix, suffixes, schedule, schema, level)
