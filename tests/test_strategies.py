"""Strategies draw what they promise: B3-valid or -invalid names, storable text, ops the model predicts."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pggit_model.model import initial_state, step
from pggit_model.ops import CreateBranch
from pggit_model.strategies import branch_names, column_types, defaults_for, messages, ops_for, texts

B3 = re.compile(r"[A-Za-z0-9._/#-]{1,255}")


@given(branch_names("r1/"))
def test_b3_valid_branch_names_are_accepted(name):
    """B3: valid names match [A-Za-z0-9._/#-]{1,255} and the model accepts them."""
    assert B3.fullmatch(name)
    assert step(initial_state(), CreateBranch(name))[1].kind == "value"


@given(branch_names("r1/", valid=False))
def test_b3_invalid_branch_names_are_rejected(name):
    """B3: invalid names (NULL, empty, bad character, 256 long) are predicted as rejections."""
    assert step(initial_state(), CreateBranch(name))[1].is_error


@given(st.one_of(texts(), messages()))
def test_c4_texts_never_contain_nul(text):
    """C4: generated text is storable in PostgreSQL (no NUL)."""
    assert "\x00" not in text


@given(column_types().flatmap(lambda t: st.tuples(st.just(t), defaults_for(t))))
def test_defaults_fit_their_type(pair):
    """Generated defaults are ones PostgreSQL accepts for the column type."""
    from pggit_model.ops import Column
    Column("c", pair[0], default=pair[1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_b9_drawn_ops_are_never_unspecified(data):
    """B9/§12: whatever ops_for draws along a run, the model predicts it exactly."""
    state = initial_state(("app",))
    for _ in range(10):
        op = data.draw(ops_for(state, "app", "r/"))
        state, exp = step(state, op)
        assert not exp.is_unspecified, (op, exp)


# --- targeted draws used by the machines' composite rules -------------------------------------------------

_SETTINGS = settings(max_examples=30, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _run(state, *ops):
    for op in ops:
        state, exp = step(state, op)
        assert not exp.is_unspecified and not exp.is_error, (op, exp)
    return state


def _with_objects():
    """A table with two columns, a view on it and a function, all on main in schema app."""
    from pggit_model.ops import Column, CreateFunction, CreateTable, CreateView
    return _run(initial_state(("app",)),
                CreateTable("app", "t", (Column("a", "integer"), Column("b", "text", default="x"))),
                CreateView("app", "v", "t", ("a", "b")),
                CreateFunction("app", "f", ("integer",), 2))


@_SETTINGS
@given(st.data())
def test_v12_same_definition_replacements_record_nothing(data):
    """V12: each drawn CREATE OR REPLACE repeats the definition, so the model records no change at all."""
    from pggit_model.strategies import new_functions, same_definition_replacements
    state = _with_objects()
    state = _run(state, data.draw(new_functions(state, "app")))
    replacements = same_definition_replacements(state, "app")
    assert {type(op).__name__ for op in replacements} == {"CreateView", "CreateFunction"}
    for op in replacements:
        assert op.or_replace
        after, exp = step(state, op)
        assert exp.kind == "ok" and after.db.rows == state.db.rows and after.db.history == state.db.history, op


def _across_schemas():
    """`_with_objects`, and a second schema s2 with a table of its own and a view over app.t (N7)."""
    from pggit_model.ops import Column, CreateSchema, CreateTable, CreateView
    return _run(_with_objects(), CreateSchema("s2"), CreateTable("s2", "x", (Column("k", "integer"),)),
                CreateView("s2", "w", "t", ("b",), source_schema="app"))


def test_n7_v12_a_view_over_another_schema_is_replaced_with_its_own_definition():
    """V12, N7: the same-definition CREATE OR REPLACE of a view reading another schema names that schema, and records
    nothing (the draw left such views out before)."""
    from pggit_model.ops import CreateView
    from pggit_model.strategies import same_definition_replacements
    state = _across_schemas()
    replacements = same_definition_replacements(state, "s2")
    assert replacements == [CreateView("s2", "w", "t", ("b",), True, source_schema="app")]
    after, exp = step(state, replacements[0])
    assert exp.kind == "ok" and after.db.history == state.db.history


def test_n7_ddl_draws_views_and_materialized_views_over_another_schema():
    """N7: with another owned schema holding relations, DDL drawn for a schema includes views and materialized views
    reading that other schema (both ways round), and the model predicts them."""
    from hypothesis import find

    from pggit_model.ops import CreateMatView, CreateView
    from pggit_model.strategies import ddl_ops
    state = _across_schemas()
    for here, there, kind in (("app", "s2", CreateView), ("s2", "app", CreateView), ("app", "s2", CreateMatView)):
        op = find(ddl_ops(state, here, invalid=0.0), lambda o, k=kind, t=there: isinstance(o, k)
                  and o.source_schema == t and step(state, o)[1].kind == "ok",
                  settings=settings(max_examples=2000, database=None, deadline=None,
                                    suppress_health_check=list(HealthCheck)))
        assert op.schema == here


@_SETTINGS
@given(st.data())
def test_v17_a_dropped_object_is_not_found(data):
    """V13/V17: after a drawn drop that succeeds, get_version of that object answers zero rows (own search_path)."""
    from pggit_model.ops import DropFunction, GetVersion, SetSearchPath
    from pggit_model.strategies import drop_ops
    state = _run(_with_objects(), SetSearchPath(("app",)))
    op = data.draw(drop_ops(state, "app"))
    state, exp = step(state, op)
    if exp.is_error:
        return  # e.g. a dependent view without CASCADE: nothing dropped
    name = op.signature if isinstance(op, DropFunction) else op.name
    _, looked_up = step(state, GetVersion(f"app.{name}"))
    assert looked_up.kind == "rows" and looked_up.rows == (), (op, looked_up)


@_SETTINGS
@given(st.data())
def test_h3_default_changes_change_the_table_structure(data):
    """H3: a drawn SET / DROP DEFAULT changes the table in the catalog (so its hash class), as one V10j PATCH."""
    from pggit_model.strategies import default_changes, has_default_target
    state = _with_objects()
    assert has_default_target(state, "app")
    op = data.draw(default_changes(state, "app"))
    after, exp = step(state, op)
    assert exp.kind == "ok"
    assert after.db.catalog.table("app", "t") != state.db.catalog.table("app", "t")
    assert after.db.history[("TABLE", "app", "t", "main")][-1].severity == "PATCH"


@_SETTINGS
@given(st.data())
def test_m3_changes_on_both_sides_conflict(data):
    """M3: a table change on a new branch and a different one on its parent make the merge report a conflict."""
    from pggit_model.ops import CheckoutBranch, MergeBranches
    from pggit_model.strategies import table_changes
    state = _run(_with_objects(), CreateBranch("b", "main"), CheckoutBranch("b"))
    state = _run(state, data.draw(table_changes(state, "app", "t")))
    row = state.active_row("TABLE", "app", "t")
    theirs = (row.version, row.major, row.minor, row.patch)
    state = _run(state, CheckoutBranch("main"))
    state = _run(state, data.draw(table_changes(state, "app", "t", drop=True, unlike=theirs)))
    _, exp = step(state, MergeBranches("b", "main", "Merge branch"))
    assert exp.kind == "value" and exp.value.success is False, exp


@_SETTINGS
@given(st.data())
def test_v24c_foreign_keys_drawn_against_a_wide_key_name_distinct_columns(data):
    """V24c: a foreign key drawn from a one-column table to a two-column unique key never repeats a column (smoke
    seed 206 of the partitions machine drew ('k', 'k'), which is no statement: InvalidOp mid-run)."""
    from pggit_model.ops import Column, CreateIndex, CreateTable
    from pggit_model.strategies.ddl import kinds_ops
    state = _run(initial_state(("app",)),
                 CreateTable("app", "x", (Column("k", "integer"), Column("v", "text"))),
                 CreateIndex("app", "xu", "x", ("k", "v"), unique=True),
                 CreateTable("app", "t", (Column("k", "integer"),)))
    for _ in range(5):
        op = data.draw(kinds_ops(state, "app"))
        state, _ = step(state, op)


@_SETTINGS
@given(st.data())
def test_v26h_drop_tables_of_a_63_byte_name_names_valid_tables(data):
    """V26h: DROP TABLE a, b drawn when the only table has a 63-byte multibyte name stays a statement (a fresh-clone
    run drew the name plus "_2", 65 bytes: InvalidOp in tests/test_model_laws.py)."""
    from pggit_model.ops import Column, CreateTable
    from pggit_model.strategies.cascades import cascade_ddl
    from pggit_model.strategies.ddl import DdlDraw
    name = "é" * 31 + "x"
    state = _run(initial_state(("app",)), CreateTable("app", name, (Column("k", "integer"),)))

    @st.composite
    def one(draw):
        return cascade_ddl(DdlDraw(draw, state, "app", 0.5))

    for _ in range(5):
        step(state, data.draw(one()))
