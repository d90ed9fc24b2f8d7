"""Versioning machine: DDL on tables, columns, constraints, indexes, views and functions in the machine's
own schema, with get_version / get_history / show_table_versions.

Exercises V1–V19 (tracking, severities per V10 row, one history row per change, drops and new lives,
the version API), O1–O8 after every step, and X4 (rejected DDL leaves no trace).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model.machine import PgGitMachine
from pggit_model.machines.pools import (
    ARG_TYPES,
    COLUMN_LISTS,
    COLUMNS,
    COMMENTS,
    CONSTRAINTS,
    FUNCTIONS,
    INDEXES,
    TABLES,
    TYPES,
    VIEWS,
    columns,
    defaults_for,
)
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AlterTable,
    Check,
    CommentOnColumn,
    CommentOnTable,
    CreateFunction,
    CreateIndex,
    CreateTable,
    CreateView,
    DropColumn,
    DropConstraint,
    DropDefault,
    DropFunction,
    DropIndex,
    DropNotNull,
    DropTable,
    DropView,
    GetHistory,
    GetVersion,
    PrimaryKey,
    SetDefault,
    SetNotNull,
    ShowTableVersions,
    Unique,
)


class VersioningRules(PgGitMachine):
    """DDL and version-API rules, shared by the machines that interleave them with other things."""

    # -- tables (V10a, V10o) ---------------------------------------------------------------------
    @rule(name=TABLES, cols=COLUMN_LISTS, pk=st.booleans())
    def create_table(self, name: str, cols: tuple, pk: bool) -> None:
        keys = (PrimaryKey((cols[0].name,)),) if pk and len(name) < 40 else ()
        self.run(CreateTable(self.schema, name, cols, keys))

    @rule(name=TABLES, cascade=st.booleans(), if_exists=st.booleans())
    def drop_table(self, name: str, cascade: bool, if_exists: bool) -> None:
        self.run(DropTable(self.schema, name, if_exists=if_exists, cascade=cascade))

    # -- columns (V10d–j) ------------------------------------------------------------------------
    @rule(table=TABLES, column=columns(), if_not_exists=st.booleans())
    def add_column(self, table: str, column: object, if_not_exists: bool) -> None:
        self.run(AlterTable(self.schema, table, (AddColumn(column, if_not_exists=if_not_exists),)))

    @rule(table=TABLES, column=COLUMNS, cascade=st.booleans())
    def drop_column(self, table: str, column: str, cascade: bool) -> None:
        self.run(AlterTable(self.schema, table, (DropColumn(column, cascade=cascade),)))

    @rule(table=TABLES, column=COLUMNS, type_=TYPES)
    def alter_column_type(self, table: str, column: str, type_: str) -> None:
        self.run(AlterTable(self.schema, table, (AlterColumnType(column, type_),)))

    @rule(table=TABLES, column=COLUMNS, set_=st.booleans())
    def not_null(self, table: str, column: str, set_: bool) -> None:
        action = SetNotNull(column) if set_ else DropNotNull(column)
        self.run(AlterTable(self.schema, table, (action,)))

    @rule(table=TABLES, column=COLUMNS, data=st.data())
    def set_default(self, table: str, column: str, data: st.DataObject) -> None:
        # A default of the column's own type, so PostgreSQL accepts it and the change is V10j's.
        t = self.model.db.catalog.table(self.schema, table)
        col = t.col(column) if t is not None else None
        type_ = col.type if col is not None else data.draw(TYPES)
        value = data.draw(defaults_for(type_))
        action = DropDefault(column) if value is None else SetDefault(column, value)
        self.run(AlterTable(self.schema, table, (action,)))

    # -- several subcommands in one statement: one change at the highest severity (V9) ----------
    @rule(table=TABLES, new=columns(), existing=COLUMNS, set_=st.booleans())
    def alter_table_two_actions(self, table: str, new: object, existing: str, set_: bool) -> None:
        second = SetNotNull(existing) if set_ else DropNotNull(existing)
        if getattr(new, "name", None) == existing:
            return
        self.run(AlterTable(self.schema, table, (AddColumn(new), second)))  # type: ignore[arg-type]

    # -- constraints (V10k, V10l) ----------------------------------------------------------------
    @rule(table=TABLES, name=CONSTRAINTS, column=COLUMNS, kind=st.sampled_from(["check", "unique", "pk"]))
    def add_constraint(self, table: str, name: str, column: str, kind: str) -> None:
        con = {"check": Check(name, column), "unique": Unique(name, (column,)),
               "pk": PrimaryKey((column,), name=name)}[kind]
        self.run(AlterTable(self.schema, table, (AddConstraint(con),)))

    @rule(table=TABLES, name=CONSTRAINTS, cascade=st.booleans())
    def drop_constraint(self, table: str, name: str, cascade: bool) -> None:
        self.run(AlterTable(self.schema, table, (DropConstraint(name, cascade=cascade),)))

    # -- indexes (V10c, V10n) --------------------------------------------------------------------
    @rule(name=INDEXES, table=TABLES, cols=st.lists(COLUMNS, min_size=1, max_size=2, unique=True),
          unique=st.booleans())
    def create_index(self, name: str, table: str, cols: list[str], unique: bool) -> None:
        self.run(CreateIndex(self.schema, name, table, tuple(cols), unique=unique))

    @rule(name=INDEXES, if_exists=st.booleans())
    def drop_index(self, name: str, if_exists: bool) -> None:
        self.run(DropIndex(self.schema, name, if_exists=if_exists))

    # -- views and functions (V10b, V10p, V12) ---------------------------------------------------
    @rule(name=VIEWS, source=TABLES, cols=st.lists(COLUMNS, min_size=1, max_size=2, unique=True),
          or_replace=st.booleans())
    def create_view(self, name: str, source: str, cols: list[str], or_replace: bool) -> None:
        self.run(CreateView(self.schema, name, source, tuple(cols), or_replace=or_replace))

    @rule(name=VIEWS, cascade=st.booleans())
    def drop_view(self, name: str, cascade: bool) -> None:
        self.run(DropView(self.schema, name, cascade=cascade))

    @rule(name=FUNCTIONS, args=ARG_TYPES, body=st.integers(1, 3), or_replace=st.booleans())
    def create_function(self, name: str, args: tuple, body: int, or_replace: bool) -> None:
        self.run(CreateFunction(self.schema, name, args, body=body, or_replace=or_replace))

    @rule(name=FUNCTIONS, args=ARG_TYPES)
    def drop_function(self, name: str, args: tuple) -> None:
        self.run(DropFunction(self.schema, name, args))

    # -- comments (V10m) -------------------------------------------------------------------------
    @rule(table=TABLES, text=COMMENTS)
    def comment_on_table(self, table: str, text: str | None) -> None:
        self.run(CommentOnTable(self.schema, table, text))

    @rule(table=TABLES, column=COLUMNS, text=COMMENTS)
    def comment_on_column(self, table: str, column: str, text: str | None) -> None:
        self.run(CommentOnColumn(self.schema, table, column, text))

    # -- the version API (V17–V19) ---------------------------------------------------------------
    @rule(name=st.one_of(TABLES, VIEWS, INDEXES), qualified=st.booleans())
    def get_version(self, name: str, qualified: bool) -> None:
        self.run(GetVersion(f"{self.schema}.{name}" if qualified else name))

    @rule(name=TABLES, limit=st.integers(1, 12))
    def get_history(self, name: str, limit: int) -> None:
        self.run(GetHistory(f"{self.schema}.{name}", limit))

    @rule()
    def show_table_versions(self) -> None:
        self.run(ShowTableVersions(self.schema))


class VersioningMachine(VersioningRules):
    """Versioning machine: V1–V19, O1–O8, X4 on the main branch, autocommit."""
