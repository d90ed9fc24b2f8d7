"""ALTER TABLE: its subcommands in PostgreSQL's passes, one handler per subcommand in the `ACTIONS` table.

A new subcommand class needs one row in `ACTIONS` (its pass, its V10 row, its handler);
`tests/test_completeness.py` fails until every class of `ddl.ACTION_TYPES` has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve, frozen

from pggit_model.model.catalog_constraints import add_constraint
from pggit_model.model.catalog_values import (
    CHECK_CONSTANT,
    Col,
    Index,
    Outcome,
    Rejected,
    Table,
    Unknown,
    View,
    check_token,
    default_expr,
    literal_type,
    null_default,
)
from pggit_model.model.catalog_work import (
    Fail,
    Work,
    drop_constraints,
    drop_index,
    handler_for,
    reject,
    set_col,
    unknown,
)
from pggit_model.ops import ddl
from pggit_model.ops.types import assignment_cast, base_type, category

#: apply(work, schema, table name, the table so far, the subcommand, constraints to add later) -> the table after
ActionHandler = Callable[[Work, str, str, Table, Any, list[ddl.Constraint]], Table]


@frozen
class ActionRule:
    """How ALTER TABLE runs one kind of subcommand: in which pass, under which V10 row, with which handler."""

    pass_: int  # PostgreSQL 15 AlterTablePass
    row: str  # the V10 row of the contract that says what it records
    apply: ActionHandler | None  # None: ADD CONSTRAINT, which `alter_table` adds in the constraint passes


def alter_table(w: Work, op: ddl.AlterTable) -> str:
    """ALTER TABLE: every subcommand applied in its pass; if one is rejected, any of their rejections."""
    s, name = op.schema, op.name
    r = w.rel(s, name)
    if r is None:
        if op.if_exists:
            return "V15"
        raise reject("42P01", f"relation {name!r} does not exist")
    if isinstance(r, View) and all(isinstance(a, ddl.SetDefault | ddl.DropDefault) for a in op.actions):
        raise unknown("§12", "defaults on view columns are outside the first model")
    if not isinstance(r, Table):
        raise reject("42809", f"ALTER TABLE cannot change {name!r}: it is not a table")
    try:
        _run_passes(w, s, name, r, op.actions)
    except Fail as f:
        if isinstance(f.outcome, Rejected) and len(op.actions) > 1:
            raise _any_rejection(w.base, op, f.outcome) from None
        raise
    w.touch(s, name)
    return ",".join(sorted({_rule(a).row for a in op.actions}))


def _rule(a: ddl.Action) -> ActionRule:
    rule: ActionRule = handler_for(ACTIONS, a, "ACTIONS", "catalog_alter")
    return rule


def _run_passes(w: Work, s: str, name: str, t: Table, actions: tuple[ddl.Action, ...]) -> None:
    """ALTER TABLE runs its subcommands in passes, each pass in statement order: see `ACTIONS`."""
    early = sorted((a for a in actions if _rule(a).pass_ < 8), key=lambda a: _rule(a).pass_)
    late = [a for a in actions if _rule(a).pass_ == 9]
    taken: set[str] = set()
    pending: list[ddl.Constraint] = []  # inline ones (ADD COLUMN is transformed first), then ADD CONSTRAINT
    for a in early:
        t = _apply(w, s, name, t, a, pending)
    pending += [a.constraint for a in actions if isinstance(a, ddl.AddConstraint)]
    for ik in [k for k in pending if isinstance(k, ddl.Unique | ddl.PrimaryKey)]:
        t = add_constraint(w, s, name, t, ik, taken)
        w.put(s, name, t)
    for a in late:
        t = _apply(w, s, name, t, a, pending)
    for k in [k for k in pending if not isinstance(k, ddl.Unique | ddl.PrimaryKey)]:
        t = add_constraint(w, s, name, t, k, taken)
        w.put(s, name, t)


def _apply(w: Work, s: str, name: str, t: Table, a: ddl.Action, pending: list[ddl.Constraint]) -> Table:
    handler = _rule(a).apply
    assert handler is not None  # constraints are added by _run_passes, in their passes
    t = handler(w, s, name, t, a, pending)
    w.put(s, name, t)
    return t


def _any_rejection(base: Any, op: ddl.AlterTable, first: Rejected) -> Fail:
    """PostgreSQL checks some subcommands before others: accept the error of any of them. If one alone is
    outside the model, so is the statement (its own error, which may come first, is not modelled)."""
    codes = set(first.sqlstates)
    for a in op.actions:
        alone = _alone(base, evolve(op, actions=(a,)))
        if isinstance(alone, Rejected):
            codes.update(alone.sqlstates)
        elif isinstance(alone, Unknown):
            return unknown(alone.rule, f"{first.why}, unless {alone.why}")
    return reject(tuple(sorted(codes)), first.why)


def _alone(base: Any, op: ddl.AlterTable) -> Outcome:
    """The outcome of `op` (one subcommand of a statement whose schemas were already checked) on `base`."""
    w = Work(base)
    try:
        rule = alter_table(w, op)
    except Fail as f:
        return f.outcome
    return w.freeze(rule)


# --- one handler per subcommand ----------------------------------------------------------------------


def _add_column(w: Work, s: str, tname: str, t: Table, a: ddl.AddColumn, pending: list[ddl.Constraint]) -> Table:
    if t.col(a.column.name) is not None:
        if a.if_not_exists:
            return t
        raise reject("42701", f"column {a.column.name!r} of relation {tname!r} already exists")
    c = a.column
    t = evolve(t, columns=(*t.columns, Col(c.name, c.type, c.not_null, default_expr(c.default, c.type))))
    w.created.append(("COLUMN", s, f"{tname}.{c.name}"))
    if a.constraint is not None:
        pending.append(a.constraint)
    return t


def _drop_constraint(w: Work, s: str, tname: str, t: Table, a: ddl.DropConstraint, _: Any) -> Table:
    k = t.con(a.name)
    if k is None:
        if a.if_exists:
            return t
        raise reject("42704", f"constraint {a.name!r} of relation {tname!r} does not exist")
    return drop_constraints(w, s, tname, t, [k], a.cascade)


def _drop_column(w: Work, s: str, tname: str, t: Table, a: ddl.DropColumn, _: Any) -> Table:
    col_name = a.name
    if t.col(col_name) is None:
        if a.if_exists:
            return t
        raise reject("42703", f"column {col_name!r} of relation {tname!r} does not exist")
    w.drop_view_tree(w.views_on(s, tname, {col_name}), a.cascade, f"column {col_name!r}")
    # indexes and constraints that involve the column go with it, without CASCADE
    cons = [k for k in t.constraints if col_name in k.columns]
    t = drop_constraints(w, s, tname, t, cons, a.cascade)
    w.put(s, tname, t)  # a foreign key dropped with the column no longer holds its unique index
    for i in t.indexes:
        idx = w.rel(s, i)
        if isinstance(idx, Index) and col_name in idx.columns:
            t = drop_index(w, s, tname, t, i, a.cascade)
            w.put(s, tname, t)
    w.dropped.append(("COLUMN", s, f"{tname}.{col_name}"))
    return evolve(t, columns=tuple(c for c in t.columns if c.name != col_name))


def _column(w: Work, s: str, tname: str, t: Table, name: str) -> Col:
    """The existing column a subcommand changes (B9: it needs a row on c, so it counts as touched)."""
    col = t.col(name)
    if col is None:
        raise reject("42703", f"column {name!r} of relation {tname!r} does not exist")
    w.touched.append(("COLUMN", s, f"{tname}.{name}"))
    return col


def _alter_type(w: Work, s: str, tname: str, t: Table, a: ddl.AlterColumnType, _: Any) -> Table:
    # PostgreSQL 15: the cast (prep phase), then the default's cast, then the dependants; a TYPE to the
    # same type is not skipped, so a view on the column still refuses it (0A000)
    col = _column(w, s, tname, t, a.column)
    same = a.type == col.type
    _check_casts(col, a.type, same)
    if w.views_on(s, tname, {col.name}):
        raise reject("0A000", f"cannot alter type of a column used by a view ({col.name!r})")
    if same and col.type.endswith("[]") and _in_foreign_key(w, s, tname, t, col.name):
        # PostgreSQL 15 rebuilds the foreign key and fails: XX000 "could not find cast from 1007 to 2277" (cascades
        # smoke, seed 1: an integer[] column with UNIQUE and a self-referencing FK, retyped to integer[])
        raise unknown("§12", "a TYPE to the same array type of a foreign-key column fails inside PostgreSQL")
    if same:
        return t
    if base_type(col.type) != base_type(a.type) and _in_foreign_key(w, s, tname, t, col.name):
        raise unknown("§12", "changing the type of a foreign-key column is not modelled")
    if any(k.test == "bound" and col.name in k.columns for k in t.constraints):
        # §14.1 V24t: DETACH … CONCURRENTLY's CHECK is re-parsed for the new type (catalog_partitions)
        raise unknown("§12", "changing the type of a column a DETACH … CONCURRENTLY CHECK names is not modelled")
    cons = [_retyped_check(k, a.type) if k.test == "positive" and col.name in k.columns else k
            for k in t.constraints]
    return evolve(t, columns=tuple(evolve(c, type=a.type) if c.name == col.name else c for c in t.columns),
                  constraints=tuple(cons))


def _check_casts(col: Col, new_type: str, same: bool) -> None:
    """The column's values, then its default, cast to `new_type` by assignment (42804 if they cannot)."""
    ok = True if same else assignment_cast(col.type, new_type)
    if ok is None:
        raise unknown("§12", f"casting {col.type} to {new_type} (array elements) is not modelled")
    if not ok:
        raise reject("42804", f"column {col.name!r} cannot be cast automatically to type {new_type}")
    if col.default is not None and not same:
        ok_default = assignment_cast(literal_type(col.default), new_type)
        if not ok_default:
            raise reject("42804", f"default for column {col.name!r} cannot be cast automatically to {new_type}")


def _retyped_check(k: Any, new_type: str) -> Any:
    """A positive CHECK on a column whose type changes: PostgreSQL re-parses its text; only integer-to-integer
    keeps the same rendering."""
    tok = check_token(new_type)
    if tok is None:
        if k.token not in CHECK_CONSTANT:  # e.g. ((a)::numeric > (0)::numeric): a text `a` casts
            raise unknown("§12", "re-parsing a CHECK that an earlier type change rewrote with casts is not modelled")
        raise reject("42883", f"operator does not exist: {new_type} > {CHECK_CONSTANT[k.token]}")
    return evolve(k, token=tok if k.token == tok == "int" else "?")


def _in_foreign_key(w: Work, s: str, tname: str, t: Table, col: str) -> bool:
    if any(k.kind == "foreign_key" and col in k.columns for k in t.constraints):
        return True
    return any(k.kind == "foreign_key" and k.ref and (k.ref[0], k.ref[1]) == (s, tname) and col in k.ref[2]
               for _, _, r in w.all_tables() for k in r.constraints)


def _set_not_null(w: Work, s: str, tname: str, t: Table, a: ddl.SetNotNull, _: Any) -> Table:
    col = _column(w, s, tname, t, a.column)
    return set_col(t, col.name, not_null=True)


def _drop_not_null(w: Work, s: str, tname: str, t: Table, a: ddl.DropNotNull, _: Any) -> Table:
    col = _column(w, s, tname, t, a.column)
    if col.not_null and any(k.kind == "primary_key" and col.name in k.columns for k in t.constraints):
        raise reject("42P16", f"column {col.name!r} is in a primary key")
    return set_col(t, col.name, not_null=False)


def _drop_default(w: Work, s: str, tname: str, t: Table, a: ddl.DropDefault, _: Any) -> Table:
    col = _column(w, s, tname, t, a.column)
    return set_col(t, col.name, default=None)


def _set_default(w: Work, s: str, tname: str, t: Table, a: ddl.SetDefault, _: Any) -> Table:
    col = _column(w, s, tname, t, a.column)
    v = a.value
    cat = category(col.type)
    if isinstance(v, str) and cat != "string":
        raise unknown("§12", f"a string default for a {col.type} column is parsed by PostgreSQL: not modelled")
    if isinstance(v, bool) and cat not in ("bool", "string"):
        raise reject("42804", f"column {col.name!r} is of type {col.type} but default expression is boolean")
    if isinstance(v, int) and not isinstance(v, bool) and cat not in ("int", "numeric", "float", "string"):
        raise reject("42804", f"column {col.name!r} is of type {col.type} but default expression is integer")
    return set_col(t, col.name, default=null_default(col.type) if v is None else default_expr(v, col.type))


#: ALTER TABLE runs its subcommands in passes (PostgreSQL 15 AlterTablePass), each pass in statement order:
#: 0 every DROP (column, constraint, NOT NULL, DEFAULT), 1 ALTER TYPE, 4 ADD COLUMN, 6 SET NOT NULL,
#: 8 PRIMARY KEY/UNIQUE indexes, 9 SET DEFAULT, then CHECK and FOREIGN KEY constraints.
ACTIONS: dict[type, ActionRule] = {
    ddl.AddColumn: ActionRule(4, "V10d", _add_column),
    ddl.DropColumn: ActionRule(0, "V10f", _drop_column),
    ddl.AlterColumnType: ActionRule(1, "V10g", _alter_type),
    ddl.SetNotNull: ActionRule(6, "V10h", _set_not_null),
    ddl.DropNotNull: ActionRule(0, "V10i", _drop_not_null),
    ddl.SetDefault: ActionRule(9, "V10j", _set_default),
    ddl.DropDefault: ActionRule(0, "V10j", _drop_default),
    ddl.AddConstraint: ActionRule(8, "V10k", None),
    ddl.DropConstraint: ActionRule(0, "V10l", _drop_constraint),
}
