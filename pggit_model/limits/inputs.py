"""L2: the machines' checks on large inputs — every statement goes through the model and the Driver (the model
predicts, the database answers, the whole state is compared after each step), as in a machine run.

The inputs: a table of 1 600 columns (PostgreSQL's most), a view and a function whose definitions are 1 MB, a
table comment and commit messages of 1 MB (C4, C7), 63-byte identifiers everywhere (the schema, every table,
column, view, function and branch), and ``inputs_objects`` tracked objects in the one schema. The vocabulary
has no 1 MB view or function, so those two are sent in another spelling of the same op (``Driver.run(text=)``:
the same columns and result, a 1 MB constant or comment inside) — what the contract says of the op holds of
that statement too.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import psycopg
from attrs import frozen
from psycopg import sql

from pggit_model import ops
from pggit_model.client import Client
from pggit_model.cluster import Server, connect, drop_database
from pggit_model.divergences import Divergence
from pggit_model.driver import Driver
from pggit_model.isolation import Template
from pggit_model.known import EMPTY, Registry
from pggit_model.ops import MAX_IDENTIFIER_BYTES, Column, Op
from pggit_model.session import RunStats

from .sizes import Sizes
from .stats import Verdict

#: columns of each table that makes up the objects count (the table and its columns are objects: 200 each)
COLUMNS_PER_TABLE = 199


def name63(prefix: str, i: int = 0) -> str:
    """A 63-byte identifier (PostgreSQL's longest): ``prefix``, the number, then x's."""
    head = f"{prefix}{i}_"
    return head + "x" * (MAX_IDENTIFIER_BYTES - len(head))


def branch63(i: int = 0) -> str:
    """A 63-byte branch name of the characters B3 allows."""
    head = f"lb{i}-"
    return head + "b" * (MAX_IDENTIFIER_BYTES - len(head))


@frozen
class Step:
    """One part of L2: what ran, how many ops, how long (s) it took through model, database and checks."""

    what: str
    ops: int
    seconds: float


@frozen
class InputsReport:
    steps: tuple[Step, ...]
    verdict: Verdict

    def lines(self) -> list[str]:
        return ["L2 large inputs through the model and the Driver (whole state compared after every op):",
                *(f"  {s.what}: {s.ops} ops checked in {s.seconds:.1f} s" for s in self.steps),
                f"  {self.verdict.line()}"]


def _program(sizes: Sizes, schema: str) -> Iterator[tuple[str, Op, str | None]]:
    """(part, op, other spelling or None), in order."""
    big = "x" * sizes.text_bytes
    table = name63("t")
    cols = tuple(Column(name63("c", i), "integer") for i in range(sizes.columns))
    part = f"a table of {sizes.columns} columns, 63-byte names"
    yield part, ops.CreateTable(schema, table, cols), None
    yield part, ops.CommentOnColumn(schema, table, cols[sizes.columns // 2].name, "the middle one"), None
    yield part, ops.AlterTable(schema, table, (ops.DropColumn(cols[-1].name),)), None
    yield part, ops.GetVersion(f"{schema}.{table}"), None
    yield part, ops.GetHistory(f"{schema}.{table}"), None
    yield part, ops.ComputeDdlHash("TABLE", schema, table), None
    part = f"definitions, comments and messages of {sizes.text_bytes // 1024} kB"
    yield part, ops.CommentOnTable(schema, table, big), None
    view = ops.CreateView(schema, name63("v"), table, (cols[0].name,))
    spelled = sql.SQL("CREATE VIEW {}.{} AS SELECT {} FROM {}.{} WHERE {} <> ''").format(
        sql.Identifier(schema), sql.Identifier(view.name), sql.Identifier(cols[0].name), sql.Identifier(schema),
        sql.Identifier(table), sql.Literal(big))
    yield part, view, spelled.as_string(None)
    for replace in (False, True):  # the same 1 MB definition again: V12, nothing recorded
        fn = ops.CreateFunction(schema, name63("f"), (), 1, replace)
        body = f"SELECT 1 /* {big} */"
        spelled = sql.SQL("CREATE {}FUNCTION {}.{}() RETURNS integer LANGUAGE sql IMMUTABLE AS {}").format(
            sql.SQL("OR REPLACE " if replace else ""), sql.Identifier(schema), sql.Identifier(fn.name),
            sql.Literal(body))
        yield part, fn, spelled.as_string(None)
    yield part, ops.CreateBranch(branch63(), "main"), None
    yield part, ops.CreateCommit("main", big, None), None
    yield part, ops.CommitChanges(branch63(), " " + big + " "), None
    yield part, ops.GenerateTrinityId(), None
    part = f"{sizes.inputs_objects} objects in one schema ({COLUMNS_PER_TABLE} columns per table)"
    tables = [name63("o", k) for k in range(max(1, sizes.inputs_objects // (COLUMNS_PER_TABLE + 1)))]
    small = tuple(Column(name63("c", i), "integer") for i in range(COLUMNS_PER_TABLE))
    for t in tables:
        yield part, ops.CreateTable(schema, t, small), None
    yield part, ops.AlterTable(schema, tables[0], (ops.AddColumn(Column(name63("n"), "text")),)), None
    yield part, ops.DropTable(schema, tables[-1]), None
    yield part, ops.CreateCommit("main", "after many objects", None), None


@contextlib.contextmanager
def _database(server: Server, template: Template) -> Iterator[str]:
    db = template.clone("l2")
    try:
        yield db
    finally:
        with contextlib.suppress(psycopg.Error):
            drop_database(server, db)


def run_inputs(server: Server, template: Template, sizes: Sizes, say: Callable[[str], None] = lambda _m: None,
               *, known: Registry = EMPTY) -> InputsReport:
    """L2: the program above through a Driver; the first divergence ends it and is the verdict. Divergences
    ``known`` lists (a registry of a pgGit version's findings) are explored past, as in a machine run."""
    schema = name63("s")
    steps: dict[str, list[float]] = {}
    with _database(server, template) as db, connect(server.conninfo(db), timeouts=False) as conn:
        conn.execute("SET statement_timeout = '300s'")
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        client = Client(conn, schema, probe=template.report.probe)
        driver = Driver(client, schema, missing=frozenset(template.report.blocked), stats=RunStats(), known=known)
        try:
            for part, op, text in _program(sizes, schema):
                if part not in steps:
                    say(f"L2: {part}")
                t0 = time.monotonic()
                driver.run(op, text=text)
                driver.check_state()
                steps.setdefault(part, []).append(time.monotonic() - t0)
        except Divergence as d:
            verdict = Verdict("L2", False, 1.0, 0.0, f"[{d.rule}] at op #{len(driver.ops)} "
                              f"({_short(driver.ops[-1]) if driver.ops else '-'}): {d.message[:600]}")
        else:
            skipped = driver.stats.skipped_missing + driver.stats.skipped_unspecified
            seen = driver.stats.known
            verdict = Verdict("L2", True, 0.0, 0.0, f"every V, C and H check held over {len(driver.ops)} ops"
                              + (f" ({skipped} ops the backend lacks or the model leaves open: not run)"
                                 if skipped else "")
                              + (f"; known divergences explored past: {', '.join(sorted(seen))}" if seen else ""))
    return InputsReport(tuple(Step(p, len(ts), sum(ts)) for p, ts in steps.items()), verdict)


def _short(op: Op) -> str:
    text = repr(op)
    return text if len(text) <= 160 else text[:150] + f"… ({len(text)} chars)"
