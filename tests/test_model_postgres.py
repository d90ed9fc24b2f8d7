"""The model's catalog against PostgreSQL 15 itself: which DDL succeeds, which SQLSTATE a rejection carries
(X4, V15, V10), and what the catalog holds afterwards. Each case runs through the model (pure) and, marked
`server`, as plain SQL on a real PostgreSQL, so a prediction pinned here is PostgreSQL's behaviour.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pggit_model.model import initial_state, step
from pggit_model.model.catalog import Table
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AlterTable,
    Check,
    Column,
    CommentOnColumn,
    CreateIndex,
    CreateTable,
    CreateTableAs,
    CreateView,
    DropColumn,
    DropConstraint,
    DropNotNull,
    ForeignKey,
    PrimaryKey,
    SetDefault,
    SetNotNull,
    Unique,
)
from pggit_model.ops.base import Op
from pggit_model.ops.kinds import CreateMatView
from tests.model_steps import postgres_outcome

S = "mc_pg"


def _t(name: str, *cols: str, cons: tuple[Any, ...] = (), nn: tuple[str, ...] = ()) -> CreateTable:
    return CreateTable(S, name, tuple(Column(c, "integer", c in nn) for c in cols), cons)


def _alter(table: str, *actions: Any) -> AlterTable:
    return AlterTable(S, table, actions)


# (id, setup ops (all succeed), the op, "ok" or its SQLSTATE, {table: constraint names after} or None)
CASES: list[tuple[str, list[Op], Op, str, dict[str, list[str]] | None]] = [
    # ALTER TABLE pass 0 holds every DROP, in statement order: DROP NOT NULL still sees the primary key
    ("drop-not-null-then-drop-pkey",
     [CreateTable(S, "Ωmega", (Column("CamelCase", "timestamp without time zone", True),),
                  (PrimaryKey(("CamelCase",)), Check("c2", "CamelCase", "not_null")))],
     _alter("Ωmega", DropNotNull("CamelCase"), DropConstraint("Ωmega_pkey")), "42P16", None),
    ("drop-pkey-then-drop-not-null",
     [_t("t", "a", cons=(PrimaryKey(("a",)),))],
     _alter("t", DropConstraint("t_pkey"), DropNotNull("a")), "ok", {"t": []}),
    # CREATE INDEX resolves its columns before it looks at the name (even with IF NOT EXISTS)
    ("index-if-not-exists-missing-column",
     [_t("t", "a"), CreateIndex(S, "i", "t", ("a",))],
     CreateIndex(S, "i", "t", ("zz",), if_not_exists=True), "42703", None),
    ("index-name-taken-missing-column",
     [_t("t", "a"), CreateIndex(S, "i", "t", ("a",))],
     CreateIndex(S, "i", "t", ("zz",)), "42703", None),
    ("index-if-not-exists-skips", [_t("t", "a"), CreateIndex(S, "i", "t", ("a",))],
     CreateIndex(S, "i", "t", ("a",), if_not_exists=True), "ok", None),
    # duplicate names: a relation name taken is 42P07 (index_create), a constraint name taken 42710
    ("create-table-pk-and-unique-same-name", [],
     _t("t1", "id", "a", cons=(PrimaryKey(("id",), "select"), Unique("select", ("a",)))), "42P07", None),
    ("create-table-check-and-unique-same-name", [],
     _t("t2", "id", "a", cons=(Check("k", "id", "positive"), Unique("k", ("a",)))), "42710", None),
    ("create-table-unique-then-check-same-name", [],
     _t("t3", "id", "a", cons=(Unique("k", ("a",)), Check("k", "id", "positive"))), "42710", None),
    ("create-table-two-checks-same-name", [],
     _t("t4", "id", "a", cons=(Check("k", "a", "positive"), Check("k", "id", "positive"))), "42710", None),
    ("create-table-unique-named-like-table", [], _t("t5", "a", cons=(Unique("t5", ("a",)),)), "42P07", None),
    ("create-table-unique-named-like-other-table", [_t("x", "a")],
     _t("t", "a", cons=(Unique("x", ("a",)),)), "42P07", None),
    # CREATE TABLE builds CHECKs first, then the primary key, whose name avoids the CHECK's
    ("create-table-pkey-name-avoids-check", [],
     _t("t", "a", cons=(Check("t_pkey", "a", "positive"), PrimaryKey(("a",)))), "ok", {"t": ["t_pkey", "t_pkey1"]}),
    # ... and the primary key before any UNIQUE, so a UNIQUE named <table>_pkey clashes with it
    ("create-table-unique-takes-pkey-name", [],
     _t("t", "a", "b", cons=(Unique("t_pkey", ("b",)), PrimaryKey(("a",)))), "42P07", None),
    # a UNIQUE on the primary key's (or an earlier UNIQUE's) columns is dropped as redundant
    ("create-table-redundant-unique", [],
     _t("t", "a", cons=(Unique("u1", ("a",)), Unique("u2", ("a",)))), "ok", {"t": ["u1"]}),
    ("create-table-unique-names-the-pkey", [],
     _t("t", "a", cons=(PrimaryKey(("a",)), Unique("x", ("a",)))), "ok", {"t": ["x"]}),
    ("create-table-pk-after-unique-same-columns", [],
     _t("t", "a", cons=(Unique("u", ("a",)), PrimaryKey(("a",), "p"))), "ok", {"t": ["p"]}),
    # ALTER TABLE: index constraints (pass 8) before CHECK/FOREIGN KEY (after pass 9)
    ("alter-check-named-like-new-pkey", [_t("t", "a", "b")],
     _alter("t", AddConstraint(Check("t_pkey", "a", "positive")), AddConstraint(PrimaryKey(("b",)))),
     "42710", None),
    ("alter-fk-on-unique-added-later", [_t("t", "a", "b")],
     _alter("t", AddConstraint(ForeignKey("fk", ("a",), S, "t", ("b",))), AddConstraint(Unique("u", ("b",)))),
     "ok", {"t": ["fk", "u"]}),
    ("alter-drop-pkey-then-add-unnamed-pkey", [_t("t", "a", "b", cons=(PrimaryKey(("a",)),))],
     _alter("t", AddConstraint(PrimaryKey(("b",))), DropConstraint("t_pkey")), "ok", {"t": ["t_pkey"]}),
    ("alter-unique-takes-pkey-name-first", [_t("t", "a", "b")],
     _alter("t", AddConstraint(Unique("t_pkey", ("a",))), AddConstraint(PrimaryKey(("b",)))),
     "ok", {"t": ["t_pkey", "t_pkey1"]}),
    ("alter-unique-named-like-index", [_t("t", "a", "b"), CreateIndex(S, "i6", "t", ("a",))],
     _alter("t", AddConstraint(Unique("i6", ("b",)))), "42P07", None),
    ("alter-check-named-like-unique", [_t("t", "a", "b", cons=(Unique("u", ("a",)),))],
     _alter("t", AddConstraint(Check("u", "b", "positive"))), "42710", None),
    ("alter-unique-named-like-check", [_t("t", "a", "b", cons=(Check("k", "a", "positive"),))],
     _alter("t", AddConstraint(Unique("k", ("b",)))), "42710", None),
    # CHECK cooks its expression before its name is checked
    ("alter-check-bad-operator-and-taken-name", [CreateTable(S, "t", (Column("a", "text"),),
                                                             (Check("k", "a", "not_null"),))],
     _alter("t", AddConstraint(Check("k", "a", "positive"))), "42883", None),
    # a FOREIGN KEY checks its name first
    ("alter-fk-taken-name-and-missing-table", [_t("t", "a", cons=(Check("k", "a", "positive"),))],
     _alter("t", AddConstraint(ForeignKey("k", ("a",), S, "nope", ("a",)))), "42710", None),
    ("alter-pk-missing-column-on-table-with-pk", [_t("t", "a", cons=(PrimaryKey(("a",)),))],
     _alter("t", AddConstraint(PrimaryKey(("zz",)))), "42703", None),
    # ADD COLUMN evaluates a constant default once: 'true' fits varchar(4) (varchar(3) is outside the vocabulary)
    ("add-column-bool-default-on-varchar", [_t("t", "a")],
     _alter("t", AddColumn(Column("c", "character varying(4)", True, True))), "ok", None),
    # ALTER TYPE: the cast is checked before the dependants, and a TYPE to the same type is not skipped
    ("type-same-type-under-a-view", [_t("t", "id"), CreateView(S, "v1", "t", ("id",))],
     _alter("t", AlterColumnType("id", "integer")), "0A000", None),
    ("type-bad-cast-under-a-view", [_t("t", "id"), CreateView(S, "v1", "t", ("id",))],
     _alter("t", AlterColumnType("id", "boolean")), "42804", None),
    ("type-bad-array-cast-under-a-view", [CreateTable(S, "t", (Column("r", "real", True, 690),)),
                                          CreateView(S, "v1", "t", ("r",))],
     _alter("t", AlterColumnType("r", "text[]")), "42804", None),
    ("type-same-type", [_t("t", "id")], _alter("t", AlterColumnType("id", "integer")), "ok", None),
    # a positive CHECK is re-parsed from its stored text: `(a > 0)`, `(a > (0)::numeric)` refuse a text column
    ("type-int-check-to-text", [_t("t", "a", cons=(Check("k", "a", "positive"),))],
     _alter("t", AlterColumnType("a", "text")), "42883", None),
    ("type-numeric-check-to-text", [CreateTable(S, "t", (Column("a", "numeric"),), (Check("k", "a", "positive"),))],
     _alter("t", AlterColumnType("a", "text")), "42883", None),
    ("type-numeric-check-to-integer", [CreateTable(S, "t", (Column("a", "numeric"),),
                                                   (Check("k", "a", "positive"),))],
     _alter("t", AlterColumnType("a", "integer")), "ok", {"t": ["k"]}),
    # DROP COLUMN takes a foreign key on that column with it, so the unique index it used can go too
    ("drop-column-with-self-fk-and-unique-index",
     [_t("t", "a"), CreateIndex(S, "ui", "t", ("a",), unique=True),
      _alter("t", AddConstraint(ForeignKey("fk", ("a",), S, "t", ("a",))))],
     _alter("t", DropColumn("a")), "ok", {"t": []}),
    ("drop-referenced-column-keeps-fk-from-other-column",
     [_t("t", "a", "b"), CreateIndex(S, "ui", "t", ("b",), unique=True),
      _alter("t", AddConstraint(ForeignKey("fk", ("a",), S, "t", ("b",))))],
     _alter("t", DropColumn("b")), "2BP01", None),
    ("set-not-null-and-drop-column", [_t("t", "a", "b")],
     _alter("t", SetNotNull("a"), DropColumn("b")), "ok", {"t": []}),
    ("set-default-and-add-check", [_t("t", "a", "b")],
     _alter("t", SetDefault("a", 1), AddConstraint(Check("c", "b", "positive"))), "ok", {"t": ["c"]}),
    # CREATE TABLE AS (V10a) analyses its SELECT before it looks at the target, even with IF NOT EXISTS
    ("ctas-copies-no-constraint", [_t("t", "a", "b", cons=(PrimaryKey(("a",)),), nn=("b",))],
     CreateTableAs(S, "u", "t", ("b", "a")), "ok", {"t": ["t_pkey"], "u": []}),
    ("ctas-missing-column-before-existing-target", [_t("t", "a")],
     CreateTableAs(S, "t", "t", ("zz",), if_not_exists=True), "42703", None),
    ("ctas-missing-source-before-existing-target", [_t("t", "a")],
     CreateTableAs(S, "t", "nope", ("a",), if_not_exists=True), "42P01", None),
    ("ctas-existing-target", [_t("t", "a")], CreateTableAs(S, "t", "t", ("a",)), "42P07", None),
    ("ctas-existing-target-if-not-exists", [_t("t", "a")],
     CreateTableAs(S, "t", "t", ("a",), if_not_exists=True), "ok", None),
    ("ctas-from-an-index", [_t("t", "a"), CreateIndex(S, "i", "t", ("a",))],
     CreateTableAs(S, "u", "i", ("a",)), "42809", None),
    ("ctas-from-a-view", [_t("t", "a", "b"), CreateView(S, "v", "t", ("b",))],
     CreateTableAs(S, "u", "v", ("b",)), "ok", {"u": []}),
    # COMMENT ON COLUMN of a relation that is no table: the column is looked up first (a transactions smoke: a
    # constraint's index named like a rolled-back table)
    ("comment-on-a-column-an-index-lacks", [_t("t", "a", cons=(Unique("table", ("a",)),))],
     CommentOnColumn(S, "table", "b", None), "42703", None),
    ("comment-on-an-index-column", [_t("t", "a"), CreateIndex(S, "i", "t", ("a",))],
     CommentOnColumn(S, "i", "a", "x"), "42809", None),
    ("comment-on-a-column-a-matview-lacks", [_t("t", "a"), CreateMatView(S, "m", "t", ("a",))],
     CommentOnColumn(S, "m", "b", None), "42703", None),
    # a constraint name dropped and taken again in one statement (V13, V14, V20): every DROP runs in pass 0, so
    # the ADD may be written first; what PostgreSQL accepts and the names it leaves (blind spot 8)
    ("new-life-pkey-unnamed", [_t("t", "a", cons=(PrimaryKey(("a",)),))],
     _alter("t", DropConstraint("t_pkey"), AddConstraint(PrimaryKey(("a",)))), "ok", {"t": ["t_pkey"]}),
    ("new-life-unique-add-written-first", [_t("t", "a", "b", cons=(Unique("k", ("a",)),))],
     _alter("t", AddConstraint(Unique("k", ("b",))), DropConstraint("k")), "ok", {"t": ["k"]}),
    ("new-life-unique-as-primary-key", [_t("t", "a", "b", cons=(Unique("k", ("a",)),))],
     _alter("t", DropConstraint("k"), AddConstraint(PrimaryKey(("b",), "k"))), "ok", {"t": ["k"]}),
    ("new-life-check-as-unique", [_t("t", "a", cons=(Check("k", "a", "positive"),))],
     _alter("t", AddConstraint(Unique("k", ("a",))), DropConstraint("k", True)), "ok", {"t": ["k"]}),
    ("new-life-inline-in-add-column", [_t("t", "a", cons=(Unique("k", ("a",)),))],
     _alter("t", DropConstraint("k"), AddColumn(Column("b", "integer"), False, Unique("k", ("b",)))),
     "ok", {"t": ["k"]}),
    ("new-life-missing-column", [_t("t", "a", cons=(Unique("k", ("a",)),))],
     _alter("t", DropConstraint("k"), AddConstraint(Unique("k", ("zz",)))), "42703", None),
    ("new-life-of-a-missing-constraint", [_t("t", "a")],
     _alter("t", DropConstraint("k"), AddConstraint(Unique("k", ("a",)))), "42704", None),
    ("new-life-if-exists-of-a-missing-constraint", [_t("t", "a")],
     _alter("t", DropConstraint("k", True), AddConstraint(Unique("k", ("a",)))), "ok", {"t": ["k"]}),
    ("new-life-pkey-cascades-to-a-foreign-key", [_t("t", "a", cons=(PrimaryKey(("a",)),)),
                                                 _t("r", "x", cons=(ForeignKey("f", ("x",), S, "t", ("a",)),))],
     _alter("t", DropConstraint("t_pkey", False, True), AddConstraint(PrimaryKey(("a",)))), "ok",
     {"t": ["t_pkey"], "r": []}),
]


def test_a_view_column_named_like_its_source_is_outside_the_vocabulary() -> None:
    """`SELECT "order" FROM s."order"` succeeds even without such a column: it selects the whole row (§12)."""
    state = initial_state(schemas=(S,), search_path=(S,))
    state, _ = step(state, CreateTable(S, "order", ()))
    assert step(state, CreateView(S, "v1", "order", ("order",)))[1].is_unspecified
    assert step(state, CreateView(S, "v1", "order", ("x",)))[1].sqlstates == ("42703",)


def test_a_check_rewritten_with_casts_is_outside_the_vocabulary() -> None:
    """numeric -> integer stores the CHECK as `((a)::numeric > (0)::numeric)`, which a text `a` then satisfies
    (PostgreSQL accepts the second TYPE change): the model does not follow re-parsed casts, so it must not
    predict the 42883 that `(a > 0)` would give (§12; found by round 19 against pgGit)."""
    state = initial_state(schemas=(S,), search_path=(S,))
    for o in (CreateTable(S, "t", (Column("a", "numeric"),), (Check("k", "a", "positive"),)),
              _alter("t", AlterColumnType("a", "integer"))):
        state, exp = step(state, o)
        assert exp.kind == "ok"
    assert step(state, _alter("t", AlterColumnType("a", "text")))[1].is_unspecified
    assert step(state, _alter("t", AlterColumnType("a", "bigint")))[1].kind == "ok"


def test_a_multi_action_error_is_unpredicted_when_one_action_is_outside_the_vocabulary() -> None:
    """PostgreSQL rejects `ALTER COLUMN "_" TYPE integer[], ALTER COLUMN a DROP NOT NULL` (no column a) with 42804,
    from the cast checked in its prep phase; the model does not model array casts, so it must not predict the
    42703 of the missing column alone (§12; CI's smoke run, seed-dependent)."""
    state = initial_state(schemas=(S,), search_path=(S,))
    state, _ = step(state, CreateTable(S, "t", (Column("_", "text[]"),)))
    both = _alter("t", AlterColumnType("_", "integer[]"), DropNotNull("a"))
    assert step(state, _alter("t", AlterColumnType("_", "integer[]")))[1].is_unspecified
    assert step(state, _alter("t", DropNotNull("a")))[1].sqlstates == ("42703",)
    assert step(state, both)[1].is_unspecified


@pytest.mark.server
def test_postgresql_checks_an_array_cast_before_a_missing_column(pggit_conn: psycopg.Connection) -> None:
    """The PostgreSQL side of the case above: 42804, not 42703."""
    pggit_conn.execute(f"DROP SCHEMA IF EXISTS {S} CASCADE")
    pggit_conn.execute(f"CREATE SCHEMA {S}")
    pggit_conn.execute(CreateTable(S, "t", (Column("_", "text[]"),)).to_sql())
    with pytest.raises(psycopg.Error) as e:
        pggit_conn.execute(_alter("t", AlterColumnType("_", "integer[]"), DropNotNull("a")).to_sql())
    assert e.value.sqlstate == "42804"


def _model(setup: list[Op], op: Op) -> tuple[str, dict[str, list[str]]]:
    state = initial_state(schemas=(S,), search_path=(S,))
    for o in setup:
        state, exp = step(state, o)
        assert exp.kind == "ok", (o, exp)
    state, exp = step(state, op)
    assert exp.kind in ("ok", "error"), exp
    outcome = "ok" if exp.kind == "ok" else "|".join(exp.sqlstates)
    cons = {n: sorted(k.name for k in r.constraints) for (s, n), r in state.db.catalog.relations.items()
            if s == S and isinstance(r, Table)}
    return outcome, cons


@pytest.mark.parametrize(("setup", "op", "outcome", "after"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_model_predicts_postgresql(setup: list[Op], op: Op, outcome: str, after: dict[str, list[str]] | None) -> None:
    """The model's answer (success or the exact SQLSTATE) and its catalog afterwards."""
    got, cons = _model(setup, op)
    assert got == outcome
    for table, names in (after or {}).items():
        assert cons[table] == names


def disagreements(conn: psycopg.Connection) -> list[str]:
    """Every case run as plain SQL on ``conn``'s PostgreSQL: where it differs from what the case pins."""
    problems = []
    for case_id, setup, op, outcome, after in CASES:
        got = postgres_outcome(conn, [S], setup, op)
        if got != outcome:
            problems.append(f"{case_id}: PostgreSQL says {got}, the case says {outcome}")
            continue
        for table, names in (after or {}).items():
            rows = conn.execute(
                "SELECT conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s "
                # PostgreSQL 18 also stores NOT NULL as constraints (contype 'n'): the model keeps it a column
                # property on every version (tests/test_pg_versions.py pins the difference)
                "AND k.contype <> 'n' ORDER BY conname COLLATE \"C\"", [S, table]).fetchall()
            if [r[0] for r in rows] != names:
                problems.append(f"{case_id}: constraints of {table} are {[r[0] for r in rows]}, expected {names}")
    return problems


@pytest.mark.server
def test_postgresql_agrees_with_every_case(pggit_conn: psycopg.Connection) -> None:
    """The same statements on a real PostgreSQL: same success or SQLSTATE, same constraint names."""
    problems = disagreements(pggit_conn)
    assert problems == [], "\n".join(problems)


def test_v10a_create_table_as_takes_types_but_not_null_or_defaults() -> None:
    """The model's CREATE TABLE AS table: the selected columns' names and types (typmods kept), nullable, no
    default, in select-list order, recorded as created with its columns (V10a, V7)."""
    setup = CreateTable(S, "t", (Column("a", "character varying(5)", True, "x"), Column("b", "numeric(6,2)")))
    state, _ = step(initial_state(schemas=(S,)), setup)
    state, exp = step(state, CreateTableAs(S, "u", "t", ("b", "a")))
    assert exp.kind == "ok" and "V10a" in exp.rules
    u = state.db.catalog.table(S, "u")
    assert [(c.name, c.type, c.not_null, c.default) for c in u.columns] == [
        ("b", "numeric(6,2)", False, None), ("a", "character varying(5)", False, None)]
    assert {k[2] for k in state.db.rows if k[2].startswith("u")} == {"u", "u.a", "u.b"}


@pytest.mark.server
def test_postgresql_create_table_as_takes_types_but_not_null_or_defaults(pggit_conn: psycopg.Connection) -> None:
    """PostgreSQL 15 agrees: CREATE TABLE AS keeps typmods and drops NOT NULL and defaults."""
    pggit_conn.execute(f"DROP SCHEMA IF EXISTS {S} CASCADE")
    pggit_conn.execute(f"CREATE SCHEMA {S}")
    pggit_conn.execute(CreateTable(S, "t", (Column("a", "character varying(5)", True, "x"),
                                            Column("b", "numeric(6,2)"))).to_sql())
    pggit_conn.execute(CreateTableAs(S, "u", "t", ("b", "a")).to_sql())
    rows = pggit_conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull, atthasdef FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum", [f"{S}.u"]).fetchall()
    assert rows == [("b", "numeric(6,2)", False, False), ("a", "character varying(5)", False, False)]


def _on_branches(*ops: Op) -> Any:
    state = initial_state(schemas=(S,), search_path=(S,))
    exp = None
    for o in ops:
        state, exp = step(state, o)
    return state, exp


def test_b9_a_column_without_a_row_on_c_cannot_be_commented_or_altered() -> None:
    """B9: COMMENT ON COLUMN / ALTER COLUMN of a column added on another branch is unspecified, even when
    it changes nothing in the catalog."""
    from pggit_model.ops import CheckoutBranch, CommentOnColumn, CreateBranch
    setup = (_t("t3"), CreateBranch("h0", "main"), CheckoutBranch("h0"),
             _alter("t3", AddColumn(Column("b", "text"))), CheckoutBranch("main"))
    for op in (CommentOnColumn(S, "t3", "b", None), _alter("t3", DropNotNull("b")),
               CommentOnColumn(S, "t3", "b", "x")):
        assert _on_branches(*setup, op)[1].is_unspecified, op


def test_v9a_a_statement_that_changes_nothing_records_nothing_despite_stale_rows() -> None:
    """V9a/V13/V15: SET NOT NULL on a NOT NULL column records nothing on c, even though an index with an
    active row on c was dropped on another branch (PostgreSQL drops nothing in this statement)."""
    from pggit_model.ops import CheckoutBranch, CreateBranch
    state, exp = _on_branches(_t("t1", "id", cons=(PrimaryKey(("id",)),)), CreateBranch("b1", "main"),
                              CheckoutBranch("b1"), _alter("t1", DropConstraint("t1_pkey")), CheckoutBranch("main"))
    after, exp = step(state, _alter("t1", SetNotNull("id")))
    assert exp.kind == "ok"
    assert after.db.rows == state.db.rows and after.db.history == state.db.history
    assert after.db.rows[("INDEX", S, "t1_pkey", "main")].active


def test_h3_set_default_null_is_a_stored_default_only_for_types_with_a_modifier() -> None:
    """H3/V10: `SET DEFAULT NULL` stores `NULL::character varying` for varchar(3) (pg_get_expr shows it, so
    the table's hash class changes) but records no change (DEFAULT NULL counts as no default); for integer
    PostgreSQL stores nothing and the hash class stays."""
    from pggit_model.ops import ComputeDdlHash
    state = initial_state(schemas=(S,), search_path=(S,))
    state, _ = step(state, CreateTable(S, "t1", (Column("a", "character varying(3)"), Column("b", "integer"))))
    before = step(state, ComputeDdlHash("TABLE", S, "t1"))[1].value
    for col, same in (("b", True), ("a", False)):
        after_state, exp = step(state, _alter("t1", SetDefault(col, None)))
        assert exp.kind == "ok"
        assert after_state.db.history == state.db.history  # no V10j change
        assert (step(after_state, ComputeDdlHash("TABLE", S, "t1"))[1].value == before) is same


@pytest.mark.server
def test_postgresql_stores_default_null_only_with_a_type_modifier(pggit_conn: psycopg.Connection) -> None:
    """The catalog fact behind the test above, on a real PostgreSQL."""
    pggit_conn.execute(f"DROP SCHEMA IF EXISTS {S} CASCADE")
    pggit_conn.execute(f"CREATE SCHEMA {S}")
    pggit_conn.execute(CreateTable(S, "t1", (Column("a", "character varying(3)"), Column("b", "integer"))).to_sql())
    pggit_conn.execute(_alter("t1", SetDefault("a", None), SetDefault("b", None)).to_sql())
    rows = pggit_conn.execute(
        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
        "ON a.attrelid = d.adrelid AND a.attnum = d.adnum JOIN pg_class c ON c.oid = d.adrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = 't1'", [S]).fetchall()
    assert rows == [("a", "NULL::character varying")]


_FK_NEEDS_PKEY = ([_t("t", "a", cons=(PrimaryKey(("a",)),)),
                   _t("r", "x", cons=(ForeignKey("f", ("x",), S, "t", ("a",)),))],
                  _alter("t", DropConstraint("t_pkey"), AddConstraint(PrimaryKey(("a",)))))


def test_a_new_life_of_a_primary_key_a_foreign_key_needs_is_refused() -> None:
    """DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (a) while r's foreign key depends on t_pkey: refused (X4), and
    the model allows PostgreSQL's 2BP01 among the errors of its subcommands (the ADD alone would be 42P16)."""
    assert "2BP01" in _model(*_FK_NEEDS_PKEY)[0].split("|")


@pytest.mark.server
def test_postgresql_refuses_a_new_life_of_a_primary_key_a_foreign_key_needs(pggit_conn: psycopg.Connection) -> None:
    """The PostgreSQL side of the case above: 2BP01."""
    assert postgres_outcome(pggit_conn, (S,), *_FK_NEEDS_PKEY) == "2BP01"
