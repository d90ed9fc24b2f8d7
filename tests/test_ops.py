"""Ops: validated values whose repr is their constructor call and whose SQL renders without a connection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pggit_model.ops as ops_module
from pggit_model.errors import InvalidOp
from pggit_model.model import initial_state
from pggit_model.ops import (
    ALL_OPS,
    AddColumn,
    AlterTable,
    Column,
    CommitChanges,
    CreateCommit,
    CreateFunction,
    CreateTable,
    DropColumn,
    GetHistory,
    PrimaryKey,
    SetNotNull,
)
from pggit_model.strategies import LONG, identifiers, ops_for

NS = vars(ops_module)


def test_repr_is_the_constructor_call():
    """repr(op) evaluated against pggit_model.ops rebuilds an equal op, so reproducers are runnable Python."""
    op = CreateTable("app", "Order Items", [Column("id", "int", True, 5), Column("é", "varchar(3)", default="x")],
                     [PrimaryKey(["id"])])
    assert eval(repr(op), NS) == op
    assert repr(op).startswith("CreateTable(schema='app', name='Order Items', columns=(Column(")


def test_a_field_added_later_keeps_recorded_reprs():
    """V24z, A71: RefreshMatView's `concurrently` (and CreateView's `source_schema`, N7) is left out of the repr at
    its default, so reproducers and known-divergence matches recorded before the field still read the same; set, it
    is shown and the repr still rebuilds the op."""
    assert repr(ops_module.RefreshMatView("s", "mv")) == "RefreshMatView(schema='s', name='mv')"
    assert repr(ops_module.CreateView("s", "v", "t", ("a",))) == \
        "CreateView(schema='s', name='v', source='t', columns=('a',), or_replace=False)"
    keyed = ops_module.RefreshMatView("s", "mv", True)
    assert repr(keyed) == "RefreshMatView(schema='s', name='mv', concurrently=True)" and eval(repr(keyed), NS) == keyed


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_generated_ops_repr_round_trip(data):
    """Every op the strategies draw survives eval(repr(op))."""
    op = data.draw(ops_for(initial_state(("app",)), "app"))
    assert eval(repr(op), NS) == op


def test_every_op_has_kind_family_and_result_shape():
    """Each op class names a short kind, the model part that handles it and how its answer is read."""
    kinds = [cls.kind for cls in ALL_OPS]
    assert len(set(kinds)) == len(kinds)
    for cls in ALL_OPS:
        assert cls.family in ("ddl", "call", "txn", "session", "fault", "damage", "drift")
        assert cls.result in ("none", "scalar", "rows")


def _every_op_class() -> set[type]:
    """Every concrete Op subclass defined anywhere in the package (all its modules imported first)."""
    import importlib
    import pkgutil

    import pggit_model

    for info in pkgutil.walk_packages(pggit_model.__path__, "pggit_model."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    from pggit_model.ops import Op

    found, todo = set(), [Op]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            # A concrete op names its kind (bases such as Call do not); tests define throwaway ops of their own.
            if "kind" in vars(sub) and sub.__module__.startswith("pggit_model"):
                found.add(sub)
    return found


def test_every_op_class_lives_in_ops_and_in_all_ops():
    """No op is defined outside pggit_model.ops, and ALL_OPS lists them all (replay and run.json know them)."""
    classes = _every_op_class()
    assert {c for c in classes if not c.__module__.startswith("pggit_model.ops.")} == set()
    assert classes - set(ALL_OPS) == set()
    assert len(classes) > 40  # the walk really found the vocabulary


def test_crash_modes_are_the_clusters():
    """CrashRestart accepts exactly the crash modes the throwaway cluster implements."""
    from pggit_model.cluster import CRASH_MODES as cluster_modes
    from pggit_model.ops.events import CRASH_MODES

    assert cluster_modes == CRASH_MODES


@pytest.mark.parametrize(("make", "field"), [
    (lambda: Column("", "int"), "name"),
    (lambda: Column("a", "money"), "type"),
    (lambda: Column("a", "int", default="x"), "default"),
    (lambda: Column("a", "smallint", default=40000), "default"),
    (lambda: Column("a", "int", not_null="yes"), "not_null"),
    (lambda: CreateTable("app", "x" * 64, []), "name"),
    (lambda: CreateTable("app", "a.b", []), "name"),
    (lambda: CreateTable("app", "nul\x00", []), "name"),
    (lambda: AlterTable("app", "t", []), "actions"),
    (lambda: AlterTable("app", "t", [SetNotNull("a"), DropColumn("a")]), "actions"),
    (lambda: AddColumn(Column("a", "int"), constraint=PrimaryKey(["b"])), "constraint"),
    (lambda: CreateFunction("app", "f", ["varchar(3)x"]), "arg_types"),
    (lambda: CreateCommit("main", "m\x00", None), "message"),
    (lambda: GetHistory("x", True), "limit"),
])
def test_bad_field_raises_invalid_op_naming_it(make, field):
    """A bad field fails at construction with InvalidOp whose message names that field."""
    with pytest.raises(InvalidOp, match=field):
        make()


def test_identifiers_are_always_quoted_exactly():
    """Names needing quotes, reserved words, unicode and 63-byte names render as quoted identifiers (V5)."""
    for name in ["select", "Order Items", 'dq"uote', "é", "日本語", *LONG]:
        sql = CreateTable("app", name, []).to_sql()
        assert sql == f'CREATE TABLE "app".{chr(34)}{name.replace(chr(34), chr(34) * 2)}" ()'
    assert {len(n.encode()) for n in LONG} == {62, 63}  # the V5 limit and one below (strategies/limits.py)


@given(identifiers())
def test_identifier_strategy_stays_within_the_63_byte_limit(name):
    """Generated identifiers are valid: at most 63 bytes, no NUL, dot or parenthesis."""
    assert CreateTable("app", name, []).name == name
    assert 0 < len(name.encode()) <= 63


def test_calls_render_positionally_with_casts():
    """pgGit calls render every argument positionally with a cast (§4), literals escaped (C4)."""
    assert CreateCommit("main", "it's \\ a\nb", None).to_sql() == (
        "SELECT * FROM pggit.create_commit('main'::text, E'it''s \\\\ a\nb'::text, NULL::text, NULL::uuid[])")
    assert CommitChanges("b").to_sql() == "SELECT * FROM pggit.commit_changes('b'::text, ''::text, NULL::text)"


def test_column_types_are_canonical_format_type_spellings():
    """Column types are stored in format_type spelling, so equal types compare equal (H3)."""
    assert Column("a", "VARCHAR(20)").type == "character varying(20)"
    assert Column("a", "int4").type == "integer"
    assert Column("a", "timestamptz").type == "timestamp with time zone"
    assert CreateFunction("app", "f", ["varchar(3)", "int"]).signature == "f(character varying, integer)"


@pytest.mark.parametrize(("type_", "value", "ok"), [
    ("character varying(3)", True, False),  # ADD COLUMN evaluates the default: 'true' is too long (22001)
    ("character varying(4)", True, True),
    ("character varying(4)", False, False),
    ("character varying(5)", False, True),
    ("text", False, True),
    ("character varying(3)", 1000, False),
    ("character varying(3)", "abcd", False),
])
def test_defaults_must_fit_the_column_as_text(type_: str, value: object, ok: bool) -> None:
    """A default is in the vocabulary only if PostgreSQL's ADD COLUMN can evaluate it for that type."""
    if ok:
        Column("c", type_, default=value)
    else:
        with pytest.raises(InvalidOp):
            Column("c", type_, default=value)
