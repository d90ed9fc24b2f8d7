"""Every DDL op class, ALTER TABLE subcommand and constraint kind of the vocabulary has a model handler, a
strategy that draws it, a parser round trip and a replay rendering: a new one that misses any fails here.

Pure (no server). `gaps` is the check; the last tests show it reports a class that misses each part.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from attrs import field, frozen
from hypothesis import HealthCheck, Phase, given, settings
from psycopg import sql

from pggit_model.errors import UnsupportedStatement
from pggit_model.model import State, initial_state, step
from pggit_model.model.catalog import STATEMENTS, UnhandledOp
from pggit_model.model.catalog_alter import ACTIONS
from pggit_model.model.catalog_constraints import CONSTRAINT_CHECKS
from pggit_model.ops import (
    ACTION_TYPES,
    CONSTRAINT_TYPES,
    DDL_OPS,
    AddConstraint,
    AddIdentityColumn,
    AddStoredColumn,
    AlterTable,
    Check,
    Column,
    CreateFunction,
    CreateIndex,
    CreateTable,
    CreateView,
    DropView,
    Op,
    PrimaryKey,
    SetNotNull,
    Unique,
)
from pggit_model.parse import parse_one
from pggit_model.strategies import ALTER_ACTIONS, CONSTRAINT_DRAWERS, DDL_DRAWERS, ddl_ops
from tests.child import run_module

S = "app"

#: a schema with two tables (keys, a CHECK), an index, a view and a function: every DDL draw has a target
SETUP = (
    CreateTable(S, "t1", (Column("id", "integer"), Column("a", "text"), Column("n", "integer")),
                (PrimaryKey(("id",)), Unique("u1", ("a",)), Check("c1", "n", "positive"))),
    CreateTable(S, "t2", (Column("id", "integer"), Column("t1_id", "integer"))),
    CreateIndex(S, "i1", "t2", ("t1_id",)),
    CreateView(S, "v1", "t1", ("id", "a")),
    CreateFunction(S, "f", ("integer",), 1),
    # an identity and a generated column: statements on one (SET GENERATED, DROP IDENTITY, RESTART, DROP
    # EXPRESSION) are drawn where the table has one (strategies.kinds)
    CreateTable(S, "t3", (Column("id", "integer"),)),
    AddIdentityColumn(S, "t3", "k"),
    AddStoredColumn(S, "t3", "g", "id"),
)

#: examples drawn for the checks (test_rich_state_draws_often: every class at least RARE times among them)
DRAWS = 4000  # the rarest draws are renames of functions and constraints (about 0.25 % of DDL draws)
RARE = 3


def rich_state() -> State:
    state = initial_state((S,))
    for op in SETUP:
        state, exp = step(state, op)
        assert exp.kind == "ok", (op, exp)
    return state


def _parts(op: Op) -> Iterable[Any]:
    """The op, its ALTER subcommands and the constraints it adds (the classes a draw of it covers)."""
    yield op
    for a in getattr(op, "actions", ()):
        yield a
        if isinstance(a, AddConstraint):
            yield a.constraint
    yield from getattr(op, "constraints", ())


def draw_examples(state: State, n: int = DRAWS) -> dict[type, tuple[int, Op]]:
    """For every class the DDL strategy draws from `state` in `n` derandomized examples: (how many examples have
    it, the first op that has it)."""
    found: dict[type, tuple[int, Op]] = {}

    @settings(derandomize=True, max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(ddl_ops(state, S))
    def collect(op: Op) -> None:
        for cls in {type(part) for part in _parts(op)}:
            seen, first = found.get(cls, (0, op))
            found[cls] = (seen + 1, first)

    collect()
    return found


def gaps(classes: Iterable[type], *, handlers: Collection[type], drawn_by: Collection[type],
         examples: Mapping[type, Op], state: State) -> list[str]:
    """What each class misses: a model handler (`handlers`), a strategy row that makes it (`drawn_by`), a drawn
    example (`examples`: an op holding it), a replay rendering, a parser round trip, a model step that knows it."""
    out: list[str] = []
    for cls in classes:
        name = cls.__name__
        if cls not in handlers:
            out.append(f"{name}: no model handler")
        if cls not in drawn_by:
            out.append(f"{name}: no strategy row makes it")
        op = examples.get(cls)
        if op is None:
            out.append(f"{name}: never drawn")
            continue
        out += _op_gaps(name, op, state)
    return out


def _op_gaps(name: str, op: Op, state: State) -> list[str]:
    try:
        text = op.to_sql()
    except Exception as e:
        return [f"{name}: no replay rendering ({e!r})"]
    if not text.strip():
        return [f"{name}: empty replay rendering"]
    out = []
    try:
        back = parse_one(text)
        if back != op:
            out.append(f"{name}: parse_one({text!r}) gives {back!r}, not {op!r}")
    except UnsupportedStatement as e:
        out.append(f"{name}: the parser cannot read {text!r} ({e})")
    try:
        step(state, op)
    except UnhandledOp as e:
        out.append(f"{name}: the model's step raises {e}")
    return out


@pytest.fixture(scope="module")
def state() -> State:
    return rich_state()


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[type, tuple[int, Op]]:
    """The draws, made in a fresh interpreter: in-process, the derandomized examples changed with the modules other
    test files had imported before (Hypothesis biases generation with literal constants it mines from every local
    module loaded; a combined run drew [NO] INHERIT twice where this file alone drew it 6 times), so the rate check
    below passed or failed by test order."""
    out = tmp_path_factory.mktemp("drawn") / "drawn.pickle"
    run_module("tests.test_completeness", [str(out)], hash_seed=0)
    found: dict[type, tuple[int, Op]] = pickle.loads(out.read_bytes())
    return found



def _ops(drawn: Mapping[type, tuple[int, Op]]) -> dict[type, Op]:
    return {cls: op for cls, (_, op) in drawn.items()}


def test_every_ddl_op_is_handled_drawn_parsed_and_rendered(state, drawn) -> None:
    """Every class of DDL_OPS has a STATEMENTS handler, a DDL_DRAWERS row, a drawn example that renders,
    parses back to itself and steps through the model."""
    made = {cls for row in DDL_DRAWERS for cls in row.makes}
    assert gaps(DDL_OPS, handlers=STATEMENTS, drawn_by=made, examples=_ops(drawn), state=state) == []


def test_every_alter_subcommand_is_handled_drawn_parsed_and_rendered(state, drawn) -> None:
    """Every class of ACTION_TYPES has an ACTIONS row in the model, an ALTER_ACTIONS row in the strategies, and
    an ALTER TABLE holding it is drawn, renders, parses back and steps through the model."""
    made = {cls for row in ALTER_ACTIONS.values() for cls in row.makes}
    assert gaps(ACTION_TYPES, handlers=ACTIONS, drawn_by=made, examples=_ops(drawn), state=state) == []


def test_every_constraint_kind_is_handled_drawn_parsed_and_rendered(state, drawn) -> None:
    """Every class of CONSTRAINT_TYPES has a CONSTRAINT_CHECKS entry, a CONSTRAINT_DRAWERS row, and a drawn
    statement holding it renders, parses back and steps through the model."""
    made = {row.makes for row in CONSTRAINT_DRAWERS.values()}
    assert gaps(CONSTRAINT_TYPES, handlers=CONSTRAINT_CHECKS, drawn_by=made, examples=_ops(drawn),
                state=state) == []


def test_rich_state_draws_often(drawn) -> None:
    """Every class is drawn several times within DRAWS, not once by luck: a rate, so that an unrelated change to
    the draws (which moves a derandomized run's first hit) does not make the other checks here flaky."""
    wanted = (*DDL_OPS, *ACTION_TYPES, *CONSTRAINT_TYPES)
    rare = {cls.__name__: drawn.get(cls, (0, None))[0] for cls in wanted if drawn.get(cls, (0, None))[0] < RARE}
    assert rare == {}, f"drawn fewer than {RARE} times in {DRAWS} examples: {rare}; raise a weight or enrich SETUP"


# --- the check bites: classes that miss a part are reported ------------------------------------------------


def _starts(found: list[str], prefixes: list[str]) -> bool:
    return len(found) == len(prefixes) and all(g.startswith(p) for g, p in zip(found, prefixes, strict=True))


@frozen
class Frobnicate(Op):
    """A DDL op added to the vocabulary and nowhere else."""

    schema: str = field()
    name: str = field()

    kind: ClassVar[str] = "frobnicate"
    family: ClassVar[str] = "ddl"

    def sql(self) -> sql.Composable:
        return sql.SQL("FROBNICATE {}").format(sql.Identifier(self.schema, self.name))


@frozen
class CreateUnloggedTable(CreateTable):
    """A DDL op that renders as a CREATE TABLE the parser reads back as the plain CreateTable."""

    kind: ClassVar[str] = "create_unlogged_table"


def test_a_new_op_class_with_nothing_else_is_reported(state) -> None:
    """An op class only added to the vocabulary misses its handler, its strategy row, and then its example;
    given an example, its parse and its model step fail too."""
    assert gaps([Frobnicate], handlers=STATEMENTS, drawn_by=set(), examples={}, state=state) == [
        "Frobnicate: no model handler", "Frobnicate: no strategy row makes it", "Frobnicate: never drawn"]
    found = gaps([Frobnicate], handlers=STATEMENTS, drawn_by=set(), examples={Frobnicate: Frobnicate(S, "x")},
                 state=state)
    assert _starts(found, ["Frobnicate: no model handler", "Frobnicate: no strategy row makes it",
                           "Frobnicate: the parser cannot read 'FROBNICATE \"app\".\"x\"'",
                           "Frobnicate: the model's step raises the model has no handler for Frobnicate: add one to "
                           "STATEMENTS in pggit_model/model/catalog_statements.py"]), found


def test_a_subclass_the_parser_reads_as_its_base_is_reported(state) -> None:
    """An op that renders like another op does not round-trip (and has no handler of its own)."""
    op = CreateUnloggedTable(S, "t9", (Column("id", "integer"),))
    found = gaps([CreateUnloggedTable], handlers=STATEMENTS, drawn_by={CreateUnloggedTable},
                 examples={CreateUnloggedTable: op}, state=state)
    assert _starts(found, ["CreateUnloggedTable: no model handler",
                           "CreateUnloggedTable: parse_one('CREATE TABLE \"app\".\"t9\" (\"id\" integer)') gives "
                           "CreateTable(schema='app', name='t9'",
                           "CreateUnloggedTable: the model's step raises the model has no handler"]), found


def test_a_removed_table_row_is_reported(state, drawn) -> None:
    """Dropping a class's row from the model's table or the strategies' table is reported for that class alone."""
    handlers = {k: v for k, v in STATEMENTS.items() if k is not CreateIndex}
    made = {cls for row in DDL_DRAWERS for cls in row.makes} - {DropView}
    assert gaps(DDL_OPS, handlers=handlers, drawn_by=made, examples=_ops(drawn), state=state) == [
        "CreateIndex: no model handler", "DropView: no strategy row makes it"]
    actions = {k: v for k, v in ACTIONS.items() if k is not SetNotNull}
    found = gaps(ACTION_TYPES, handlers=actions, drawn_by=set(ACTION_TYPES), examples=_ops(drawn), state=state)
    assert found == ["SetNotNull: no model handler"]


def test_the_model_refuses_an_unhandled_subcommand_by_name(state) -> None:
    """A subcommand class without an ACTIONS row makes the model's step raise UnhandledOp naming the table."""

    @frozen
    class SetCompression(SetNotNull):
        pass

    with pytest.raises(UnhandledOp, match="SetCompression: add one to ACTIONS in pggit_model/model/catalog_alter"):
        step(state, AlterTable(S, "t1", (SetCompression("a"),)))


if __name__ == "__main__":
    Path(sys.argv[1]).write_bytes(pickle.dumps(draw_examples(rich_state())))
