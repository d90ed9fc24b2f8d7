"""Hypothesis strategies that draw ops for a given model state — mostly valid, sometimes deliberately not.

    @rule(data=st.data())
    def ddl(self, data):
        self.run(data.draw(ddl_ops(self.state, self.schema)))

Every state-aware strategy avoids ops whose Expected is `unspecified` (B9 and the §12 exclusions), so
whatever it draws the model predicts exactly. Pass `invalid=0.0` for only valid ops.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State, step
from pggit_model.model.catalog import Col, Index, Table, View
from pggit_model.ops.base import MAX_IDENTIFIER_BYTES, identifier_problem
from pggit_model.ops.ddl import default_problem
from pggit_model.ops.types import assignment_cast, category

# --- identifiers and values --------------------------------------------------------------------------

RESERVED = ("select", "table", "user", "order", "group", "check", "default", "primary", "from", "end")
QUOTED = ("Order Items", "CamelCase", "with space", 'dq"uote', "semi;colon", "dash-name", "1starts_digit", "$x")
UNICODE = ("é", "naïve_col", "日本語", "Straße", "Ωmega", "emoji_🙂")


def _max_len_name(seed: str) -> str:
    """A name of exactly 63 UTF-8 bytes (PostgreSQL's limit), ending in multi-byte characters if seed has."""
    out = ""
    while True:
        for ch in seed:
            if len((out + ch).encode()) > MAX_IDENTIFIER_BYTES:
                return out + "x" * (MAX_IDENTIFIER_BYTES - len(out.encode()))
            out += ch


LONG = (_max_len_name("abcdefgh"), _max_len_name("é"), _max_len_name("t_日本"))

_plain = st.text(alphabet=string.ascii_lowercase + string.digits + "_", min_size=1, max_size=12).filter(
    lambda s: not s[0].isdigit())
_any_ident = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00.()"), min_size=1,
                     max_size=20).filter(lambda s: identifier_problem(s) is None)


# Strategies are built once and reused: Hypothesis validates a new strategy object (and works out whether
# it can be empty) on its first draw, which for these nested one_of/filter trees cost more than a
# database round trip when every draw built them afresh.


@cache
def identifiers() -> st.SearchStrategy[str]:
    """Valid identifiers: plain, needing quotes, reserved words, unicode, 63 bytes long, or anything legal."""
    return st.one_of(_plain, st.sampled_from(RESERVED), st.sampled_from(QUOTED), st.sampled_from(UNICODE),
                     st.sampled_from(LONG), _any_ident)


@cache
def names(pool: tuple[str, ...] = ("t1", "t2", "t3", "Order Items", "select", "é")) -> st.SearchStrategy[str]:
    """Identifiers biased towards a small pool, so names get reused (new lives, clashes)."""
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool), identifiers())


COLUMN_TYPES = ("integer", "bigint", "smallint", "numeric", "numeric(10,2)", "real", "double precision", "boolean",
                "text", "character varying", "character varying(20)", "character varying(3)", "date",
                "timestamp without time zone", "timestamp(0) without time zone", "timestamp with time zone",
                "integer[]", "text[]")


@cache
def column_types() -> st.SearchStrategy[str]:
    return st.sampled_from(COLUMN_TYPES)


@cache
def defaults_for(type_: str) -> st.SearchStrategy[Any]:
    """Literal defaults PostgreSQL accepts for a column of `type_` (None: no default)."""
    cat = category(type_)
    cands: list[st.SearchStrategy[Any]] = [st.none()]
    if cat in ("int", "numeric", "float", "string"):
        cands.append(st.integers(-1000, 1000))
    if cat in ("bool", "string"):
        cands.append(st.booleans())
    if cat == "string":
        cands.append(texts(max_size=3))
    return st.one_of(cands).filter(lambda v: default_problem(type_, v) is None)


@cache
def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text PostgreSQL can store (no NUL) with the awkward parts over-represented (C4)."""
    specials = st.sampled_from(["'", "''", "\\", "\\\\", '"', "\n", "\r\n", "\t", " ", "é", "日本", "🙂", "$$",
                                "E'", "--", "/*", ";", "%s", "{}"])
    chars = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=max_size)
    return st.one_of(chars, st.lists(st.one_of(specials, chars), max_size=6).map("".join))


@cache
def messages() -> st.SearchStrategy[str]:
    """Commit messages: never empty (C1) and mostly interesting."""
    return texts().filter(lambda s: s != "")


@cache
def sql_texts() -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), texts(80), st.just("CREATE TABLE a(id int)"))


@cache
def columns(type_strategy: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[ops.Column]:
    @st.composite
    def draw_column(draw: st.DrawFn) -> ops.Column:
        t = draw(type_strategy or column_types())
        return ops.Column(draw(names(("id", "a", "b", "email", "Amount", "é"))), t, draw(st.booleans()),
                          draw(defaults_for(t)))

    return draw_column()


BRANCH_ALPHABET = string.ascii_letters + string.digits + "._/#-"


@cache
def branch_names(prefix: str = "", valid: bool = True) -> st.SearchStrategy[str | None]:
    """Branch names allowed by B3 (after `prefix`), or names B3 rejects when valid=False."""
    ok = st.text(BRANCH_ALPHABET, min_size=1, max_size=12).map(lambda s: prefix + s)
    if valid:
        return ok.filter(lambda s: 0 < len(s) <= 255)
    bad_char = st.tuples(ok, st.sampled_from([" ", "!", "é", "\\", "'", "\n", "*", "@"]), ok).map("".join)
    return st.one_of(st.none(), st.just(""), bad_char, st.just(prefix + "x" * (256 - len(prefix))))


# --- state-aware strategies --------------------------------------------------------------------------


def _unspecified_free(state: State, strategy: st.SearchStrategy[ops.Op]) -> st.SearchStrategy[ops.Op]:
    return strategy.filter(lambda op: not step(state, op)[1].is_unspecified)


def _predicted(state: State, op: ops.Op) -> bool:
    """The model predicts `op` exactly (not unspecified)."""
    return not step(state, op)[1].is_unspecified


def _predicted_ddl(state: State, strategy: st.SearchStrategy[ops.Op]) -> st.SearchStrategy[ops.Op]:
    return strategy.filter(lambda op: _predicted(state, op))


def _tables(state: State, schema: str) -> list[tuple[str, Table]]:
    return sorted((n, r) for (s, n), r in state.db.catalog.relations.items() if s == schema and isinstance(r, Table))


def _rels(state: State, schema: str, kind: type) -> list[str]:
    return sorted(n for (s, n), r in state.db.catalog.relations.items() if s == schema and isinstance(r, kind))


_PERMILLE = st.integers(0, 999)
_NONE = st.none()
_STATUSES = st.none() | st.sampled_from(ops.BRANCH_STATUSES)
_CHANGES_MESSAGE = st.none() | texts(30) | st.just(" " * 3 + "x" * 10_000)
_CUSTOM_ID = st.text(BRANCH_ALPHABET + " ", min_size=8, max_size=14)


_COLUMN_LISTS = st.lists(columns(), max_size=4, unique_by=lambda c: c.name)
_ARG_LISTS = st.lists(st.sampled_from(["integer", "text", "numeric", "boolean", "integer[]"]), max_size=2)


def _maybe(draw: st.DrawFn, invalid: float) -> bool:
    """True when this draw should be deliberately invalid (an integer draw: cheaper than a float's)."""
    return invalid > 0 and draw(_PERMILLE) < invalid * 1000


def _either(draw: st.DrawFn, *options: st.SearchStrategy[Any]) -> Any:
    """Like draw(st.one_of(*options)) without building a new one_of per draw (shrinks towards the first)."""
    return draw(options[draw(st.integers(0, len(options) - 1))])


@st.composite
def _ddl(draw: st.DrawFn, state: State, schema: str, invalid: float) -> ops.Op:
    tables = _tables(state, schema)
    views = _rels(state, schema, View)
    indexes = [n for n in _rels(state, schema, Index)]
    funcs = sorted(sig for (s, sig) in state.db.catalog.functions if s == schema)
    choices: list[Callable[[], ops.Op]] = []

    def fresh(pool: tuple[str, ...] = ("t1", "t2", "t3", "Order Items", "select", "é")) -> str:
        used = {n for (s, n) in state.db.catalog.relations if s == schema}
        name = draw(names(pool))
        return name if _maybe(draw, invalid) or name not in used else draw(names(pool).filter(lambda n: n not in used))

    def create_table() -> ops.Op:
        cols = draw(_COLUMN_LISTS)
        cons: list[Any] = []
        if len(cols) > 0 and draw(st.booleans()):
            cons.append(ops.PrimaryKey((cols[0].name,), _either(draw, _NONE, names(("pk", "t_pk")))))
        if len(cols) > 1 and draw(st.booleans()):
            cons.append(ops.Unique(draw(names(("u1", "u2"))), (cols[1].name,)))
        if len(cols) > 0 and draw(st.booleans()):
            cons.append(ops.Check(draw(names(("c1", "c2"))), cols[-1].name,
                                  draw(st.sampled_from(["not_null", "positive"]))))
        return ops.CreateTable(schema, fresh(), tuple(cols), tuple(cons), draw(st.booleans()))

    choices.append(create_table)
    if tables:
        def pick_table() -> tuple[str, Table]:
            return draw(st.sampled_from(tables))

        def pick_col(t: Table) -> str:
            if not t.columns or _maybe(draw, invalid):
                return draw(names(("a", "zz")))
            return draw(st.sampled_from([c.name for c in t.columns]))

        def alter_actions() -> ops.Op:
            name, t = pick_table()
            acts: list[Any] = []
            used: set[str] = set()
            for _ in range(draw(st.integers(1, 3))):
                kind = draw(st.sampled_from(["add", "drop", "type", "setnn", "dropnn", "setdef", "dropdef",
                                             "addcon", "dropcon"]))
                if kind == "add":
                    col = draw(columns())
                    if col.name in used:
                        continue
                    acts.append(ops.AddColumn(col, draw(st.booleans())))
                    used.add(col.name)
                    continue
                if kind == "dropcon":
                    if t.constraints:
                        cname = draw(st.sampled_from([k.name for k in t.constraints]))
                        if cname not in used:
                            acts.append(ops.DropConstraint(cname, draw(st.booleans())))
                            used.add(cname)
                    continue
                col_name = pick_col(t)
                if col_name in used:
                    continue
                used.add(col_name)
                if kind == "drop":
                    acts.append(ops.DropColumn(col_name, draw(st.booleans()), draw(st.booleans())))
                elif kind == "type":
                    found = t.col(col_name)
                    castable = [ty for ty in COLUMN_TYPES if found is not None and ty != found.type
                                and assignment_cast(found.type, ty)]
                    # mostly a type PostgreSQL can cast to, so V10g changes happen often enough to be checked
                    use_cast = len(castable) > 0 and draw(st.booleans())
                    target = draw(st.sampled_from(castable)) if use_cast else draw(column_types())
                    acts.append(ops.AlterColumnType(col_name, target))
                elif kind == "setnn":
                    acts.append(ops.SetNotNull(col_name))
                elif kind == "dropnn":
                    acts.append(ops.DropNotNull(col_name))
                elif kind == "setdef":
                    found = t.col(col_name)
                    values = defaults_for(found.type) if found else st.integers(0, 9)
                    acts.append(ops.SetDefault(col_name, draw(values)))
                elif kind == "dropdef":
                    acts.append(ops.DropDefault(col_name))
                else:
                    cname = draw(names(("k1", "k2", "k3")))
                    if cname in used:
                        continue
                    used.add(cname)
                    con_kind = draw(st.sampled_from(["check", "unique", "pk", "fk"]))
                    if con_kind == "check":
                        con: Any = ops.Check(cname, col_name, draw(st.sampled_from(["not_null", "positive"])))
                    elif con_kind == "unique":
                        con = ops.Unique(cname, (col_name,))
                    elif con_kind == "pk":
                        named = draw(st.booleans())
                        if not named:
                            # PostgreSQL names it <table>_pkey: dropping and re-creating one name in one
                            # statement is outside the model (§12), so that name counts as used too.
                            if f"{name}_pkey" in used:
                                continue
                            used.add(f"{name}_pkey")
                        con = ops.PrimaryKey((col_name,), cname if named else None)
                    else:
                        ref_name, ref = draw(st.sampled_from(tables))
                        ref_col = pick_col(ref)
                        con = ops.ForeignKey(cname, (col_name,), schema, ref_name, (ref_col,))
                    acts.append(ops.AddConstraint(con))
            if not acts:
                acts.append(ops.AddColumn(draw(columns()), True))
            return ops.AlterTable(schema, name if not _maybe(draw, invalid) else draw(names()), tuple(acts),
                                  draw(st.booleans()) if _maybe(draw, invalid) else False)

        def drop_table() -> ops.Op:
            name = pick_table()[0] if not _maybe(draw, invalid) else draw(names())
            return ops.DropTable(schema, name, draw(st.booleans()), draw(st.booleans()))

        def create_index() -> ops.Op:
            name, t = pick_table()
            cols = tuple(dict.fromkeys(pick_col(t) for _ in range(draw(st.integers(1, 2)))))
            return ops.CreateIndex(schema, fresh(("i1", "i2", "t1_idx")), name, cols, draw(st.booleans()),
                                   draw(st.booleans()))

        def create_view() -> ops.Op:
            name, t = pick_table()
            if len(views) > 0 and draw(st.booleans()):
                name = draw(st.sampled_from(views))
                src = state.db.catalog.rel(schema, name)
                avail = [c for c, _ in src.columns] if isinstance(src, View) else []
            else:
                avail = [c.name for c in t.columns]
            if not avail:
                avail = [draw(names(("a",)))]
            cols = tuple(dict.fromkeys(draw(st.lists(st.sampled_from(avail), min_size=1, max_size=3))))
            replace = len(views) > 0 and draw(st.booleans())
            vname = draw(st.sampled_from(views)) if replace and draw(st.booleans()) else fresh(("v1", "v2"))
            return ops.CreateView(schema, vname, name, cols, replace)

        def comment() -> ops.Op:
            name, t = pick_table()
            txt = _either(draw, _NONE, texts(10))
            if len(t.columns) > 0 and draw(st.booleans()):
                return ops.CommentOnColumn(schema, name, pick_col(t), txt)
            return ops.CommentOnTable(schema, name, txt)

        choices += [alter_actions, alter_actions, alter_actions, drop_table, create_index, create_view, comment]
    if indexes:
        choices.append(lambda: ops.DropIndex(schema, draw(st.sampled_from(indexes)), draw(st.booleans()),
                                             draw(st.booleans())))
    if views:
        choices.append(lambda: ops.DropView(schema, draw(st.sampled_from(views)), draw(st.booleans()),
                                            draw(st.booleans())))

    def create_function() -> ops.Op:
        args = tuple(draw(_ARG_LISTS))
        return ops.CreateFunction(schema, draw(names(("f", "add tax", "select"))), args, draw(st.integers(0, 3)),
                                  draw(st.booleans()))

    choices.append(create_function)
    if funcs:
        def drop_function() -> ops.Op:
            sig = draw(st.sampled_from(funcs))
            name, args = sig[:-1].split("(", 1)
            return ops.DropFunction(schema, name, tuple(a for a in args.split(", ") if a), draw(st.booleans()),
                                    draw(st.booleans()))

        choices.append(drop_function)
    return draw(st.sampled_from(choices))()


def ddl_ops(state: State, schema: str, invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """DDL on `schema` whose outcome the model predicts exactly (B9 respected); some are rejected by design."""
    return _predicted_ddl(state, _ddl(state, schema, invalid))


@st.composite
def _branch(draw: st.DrawFn, state: State, prefix: str, invalid: float) -> ops.Op:
    existing = sorted(state.db.branches)
    active = sorted(n for n, b in state.db.branches.items() if b.status == "ACTIVE")
    kind = draw(st.sampled_from(["create", "create", "checkout", "delete", "list"]))
    if kind == "create":
        if _maybe(draw, invalid):
            name = _either(draw, branch_names(prefix, valid=False), st.sampled_from(existing))
        else:
            name = draw(branch_names(prefix).filter(lambda n: n not in state.db.branches))
        parent = draw(st.sampled_from(active)) if not _maybe(draw, invalid) else _either(
            draw, _NONE, st.sampled_from(existing), branch_names(prefix))
        return ops.CreateBranch(name, parent)
    if kind == "checkout":
        target = draw(st.sampled_from(active)) if not _maybe(draw, invalid) else _either(
            draw, _NONE, st.sampled_from(existing), branch_names(prefix))
        return ops.CheckoutBranch(target)
    if kind == "delete":
        target = draw(st.sampled_from(existing)) if existing else "main"
        return ops.DeleteBranch(target, draw(st.booleans()))
    return ops.ListBranches(draw(_STATUSES))


def branch_ops(state: State, prefix: str = "", invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """create/checkout/delete/list branches; new names start with `prefix` (I5: the run id)."""
    return _unspecified_free(state, _branch(state, prefix, invalid))


@st.composite
def _commit(draw: st.DrawFn, state: State, prefix: str, invalid: float) -> ops.Op:
    active = sorted(n for n, b in state.db.branches.items() if b.status == "ACTIVE")
    branch = draw(st.sampled_from(active)) if not _maybe(draw, invalid) else _either(
        draw, _NONE, st.just(""), st.just("  "), st.sampled_from(sorted(state.db.branches)), branch_names(prefix))
    kind = draw(st.sampled_from(["create", "changes", "trinity"]))
    if kind == "create":
        msg = draw(messages()) if not _maybe(draw, invalid) else draw(st.sampled_from([None, ""]))
        return ops.CreateCommit(branch, msg, draw(sql_texts()))
    if kind == "changes":
        msg = draw(_CHANGES_MESSAGE)
        known = [c.hash for c in state.db.commits if c.hash is not None]
        custom = _either(draw, _NONE, _NONE, _CUSTOM_ID, st.sampled_from(known) if known else _NONE)
        return ops.CommitChanges(branch, msg, custom)
    return ops.GenerateTrinityId()


def commit_ops(state: State, prefix: str = "", invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """create_commit / commit_changes / generate_trinity_id, with awkward text (C4) and bad branches."""
    return _unspecified_free(state, _commit(state, prefix, invalid))


def trinity_ops() -> st.SearchStrategy[ops.Op]:
    """Trinity ID draws, batches in one statement (T9) and jumps of the sequence (T8)."""
    return st.one_of(st.just(ops.GenerateTrinityId()), st.builds(ops.GenerateTrinityIds, st.integers(1, 5)),
                     st.sampled_from([999_998, 999_999, 2_147_483_647, 10**12]).map(ops.SetTrinitySequence))


@st.composite
def _txn(draw: st.DrawFn, state: State) -> ops.Op:
    t = state.txn
    if t is not None and t.aborted and draw(st.integers(0, 3)) > 0:
        return ops.Rollback()  # an aborted transaction only answers 25P02 (X4) until rolled back
    if t is None:
        return draw(st.sampled_from([ops.Begin(), ops.Begin(), ops.Savepoint("s1"), ops.Commit()]))
    names_ = [f.name for f in t.frames[1:] if f.name is not None]
    pool = [ops.Commit(), ops.Rollback(), ops.Savepoint(draw(st.sampled_from(["s1", "s2", "Sp 3"])))]
    if names_:
        pool += [ops.RollbackToSavepoint(draw(st.sampled_from(names_))),
                 ops.ReleaseSavepoint(draw(st.sampled_from(names_)))]
    pool.append(ops.RollbackToSavepoint("nope"))
    return draw(st.sampled_from(pool))


def txn_ops(state: State) -> st.SearchStrategy[ops.Op]:
    """BEGIN / COMMIT / ROLLBACK / SAVEPOINT / ROLLBACK TO / RELEASE fitting the current transaction."""
    return _txn(state)


@st.composite
def _call(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    keys = sorted({k[:3] for k in state.db.rows if k[1] == schema})
    name = draw(st.sampled_from([f"{s}.{n}" for _, s, n in keys])) if len(keys) > 0 and draw(st.booleans()) else \
        _either(draw, names(), st.just(f"{schema}.t1"))
    kind = draw(st.sampled_from(["version", "history", "tables", "hash", "components", "update", "detect",
                                 "export"]))
    if kind == "version":
        return ops.GetVersion(name)
    if kind == "history":
        return ops.GetHistory(name, draw(st.integers(1, 12)))
    if kind == "tables":
        return ops.ShowTableVersions(schema)
    if kind == "hash":
        typ = draw(st.sampled_from(["TABLE", "VIEW", "INDEX", "FUNCTION", "COLUMN"]))
        obj = draw(st.sampled_from([n for _, _, n in keys])) if keys else "t1"
        return ops.ComputeDdlHash(typ, schema, obj)
    if kind == "components":
        tables = [n for n, _ in _tables(state, schema)] or ["t1"]
        return ops.ComputeTableComponentHashes(schema, draw(st.sampled_from(tables)))
    if kind == "update":
        return ops.UpdateAllHashes()
    if kind == "detect":
        return ops.DetectChangesByHash()
    return ops.ExportSchemaHashes(schema)


def call_ops(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """Lookups (V17–V19) and hash calls (H1–H7) on `schema`."""
    return _unspecified_free(state, _call(state, schema))


@st.composite
def _merge(draw: st.DrawFn, state: State) -> ops.Op:
    mergeable = sorted(n for n, b in state.db.branches.items()
                       if b.status == "ACTIVE" and not b.merged and b.parent is not None
                       and state.db.branches[b.parent].status == "ACTIVE")
    if mergeable and draw(st.integers(0, 4)) > 0:
        src = draw(st.sampled_from(mergeable))
        return ops.MergeBranches(src, state.db.branches[src].parent, draw(st.sampled_from(["Merge branch", "m"])))
    existing = sorted(state.db.branches)
    a = _either(draw, _NONE, st.sampled_from(existing), st.just("no-such-branch"))
    return ops.MergeBranches(a, _either(draw, _NONE, st.just(a), st.just("no-such-branch")))


def merge_ops(state: State) -> st.SearchStrategy[ops.Op]:
    """merge_branches of a branch into its parent (M2's scope) or rejected calls (M1)."""
    return _unspecified_free(state, _merge(state))


# --- targeted draws: one contract rule each, for the machines' composite rules ------------------------
# Random DDL reaches these situations too rarely for the smoke profile; each helper below builds the one
# statement a rule needs from the model's state, already filtered to what the model predicts exactly.


def tracked_tables(state: State, schema: str) -> list[str]:
    """Tables of `schema` in the catalog that have an active TABLE row on c (B9: DDL may touch them)."""
    return [n for n, _ in _tables(state, schema) if state.active_row("TABLE", schema, n) is not None]


def _split_signature(sig: str) -> tuple[str, tuple[str, ...]]:
    name, args = sig[:-1].split("(", 1)
    return name, tuple(a for a in args.split(", ") if a)


def same_definition_replacements(state: State, schema: str) -> list[ops.Op]:
    """`CREATE OR REPLACE` of every view and function of `schema` with an active row on c, written with the
    definition it already has: V12 says that records nothing."""
    out: list[ops.Op] = []
    for (s, n), r in sorted(state.db.catalog.relations.items(), key=lambda kv: kv[0]):
        if s == schema and isinstance(r, View) and state.active_row("VIEW", s, n) is not None:
            out.append(ops.CreateView(s, n, r.source, tuple(c for c, _ in r.columns), True))
    for (s, sig), f in sorted(state.db.catalog.functions.items(), key=lambda kv: kv[0]):
        if s == schema and state.active_row("FUNCTION", s, sig) is not None:
            name, args = _split_signature(sig)
            out.append(ops.CreateFunction(s, name, args, f.body, True))
    return [op for op in out if _predicted(state, op)]


@st.composite
def _new_function(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    return ops.CreateFunction(schema, draw(names(("f", "add tax", "select"))), tuple(draw(_ARG_LISTS)),
                              draw(st.integers(0, 3)))


def new_functions(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """`CREATE FUNCTION` of a function `schema` does not have yet (V10b)."""
    def fresh(op: ops.Op) -> bool:
        return isinstance(op, ops.CreateFunction) and (schema, op.signature) not in state.db.catalog.functions
    return _predicted_ddl(state, _new_function(state, schema)).filter(fresh)


def droppable(state: State, schema: str) -> list[tuple[str, str]]:
    """(kind, V5 object name) of every table, view, index and function of `schema` in the catalog with an
    active row on c: what a DROP may name (B9)."""
    cat = state.db.catalog
    out = [(kind, n) for kind, cls in (("TABLE", Table), ("VIEW", View), ("INDEX", Index))
           for n in _rels(state, schema, cls)]
    out += [("FUNCTION", sig) for (s, sig) in sorted(cat.functions) if s == schema]
    return [(kind, n) for kind, n in out if state.active_row(kind, schema, n) is not None]


_DROPS: dict[str, Callable[..., ops.Op]] = {"TABLE": ops.DropTable, "VIEW": ops.DropView, "INDEX": ops.DropIndex}


@st.composite
def _drop(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    kind, name = draw(st.sampled_from(droppable(state, schema)))
    if_exists, cascade = draw(st.booleans()), draw(st.booleans())
    if kind == "FUNCTION":
        fname, args = _split_signature(name)
        return ops.DropFunction(schema, fname, args, if_exists, cascade)
    return _DROPS[kind](schema, name, if_exists, cascade)


def drop_ops(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """DROP TABLE / VIEW / INDEX / FUNCTION of an object `droppable` lists (V13); some PostgreSQL refuses
    (dependent views without CASCADE, a constraint's index)."""
    return _predicted_ddl(state, _drop(state, schema))


@cache
def _set_defaults(type_: str) -> st.SearchStrategy[Any]:
    return defaults_for(type_).filter(lambda v: v is not None)


@st.composite
def _default_change(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    tracked = set(tracked_tables(state, schema))
    tables = [(n, t) for n, t in _tables(state, schema) if t.columns and n in tracked]
    name, t = draw(st.sampled_from(tables))
    col = draw(st.sampled_from(t.columns))
    if col.default is not None and draw(st.booleans()):
        return ops.AlterTable(schema, name, (ops.DropDefault(col.name),))
    return ops.AlterTable(schema, name, (ops.SetDefault(col.name, draw(_set_defaults(col.type))),))


def has_default_target(state: State, schema: str) -> bool:
    """A tracked table with a column exists, so `default_changes` can draw."""
    tracked = set(tracked_tables(state, schema))
    return any(t.columns for n, t in _tables(state, schema) if n in tracked)


@st.composite
def _new_table(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    used = {n for (s, n) in state.db.catalog.relations if s == schema}
    name = draw(names().filter(lambda n: n not in used))
    return ops.CreateTable(schema, name, (draw(columns()),))


def new_tables_with_a_column(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """`CREATE TABLE` of a new table with one column (V10a), for rules that need a table to work on."""
    return _predicted_ddl(state, _new_table(state, schema))


def default_changes(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """`ALTER TABLE … ALTER c SET DEFAULT v | DROP DEFAULT` that really changes the column's default, so the
    table's H3 structure (and hash) changes; a V10j PATCH."""
    def changes(op: ops.Op) -> bool:
        assert isinstance(op, ops.AlterTable)
        return _predicted(state, op) and \
            step(state, op)[0].db.catalog.table(schema, op.name) != state.db.catalog.table(schema, op.name)
    return _default_change(state, schema).filter(changes)


def _st(state: State, schema: str, table: str) -> tuple[int, int, int, int] | None:
    """M2's st_c(k) for the table: None (⊥) or (version, M, m, p)."""
    row = state.active_row("TABLE", schema, table)
    return None if row is None else (row.version, row.major, row.minor, row.patch)


_TABLE_CHANGES = ("comment", "default", "not_null", "check", "drop")


@st.composite
def _table_change(draw: st.DrawFn, state: State, schema: str, table: str, drop: bool,
                  unlike: tuple[int, int, int, int] | None) -> ops.Op:
    t = state.db.catalog.table(schema, table)
    assert t is not None
    before = _st(state, schema, table)

    def build(kind: str) -> ops.Op | None:
        col: Col | None = draw(st.sampled_from(t.columns)) if t.columns else None
        if kind == "comment":
            return ops.CommentOnTable(schema, table, draw(texts(10)))
        if kind == "drop":
            return ops.DropTable(schema, table, False, True) if drop else None
        if col is None:
            return None
        if kind == "default":
            act: Any = ops.DropDefault(col.name) if col.default is not None else \
                ops.SetDefault(col.name, draw(_set_defaults(col.type)))
        elif kind == "not_null":
            act = ops.DropNotNull(col.name) if col.not_null else ops.SetNotNull(col.name)
        else:
            act = ops.AddConstraint(ops.Check(draw(names(("k1", "k2"))), col.name,
                                              draw(st.sampled_from(["not_null", "positive"]))))
        return ops.AlterTable(schema, table, (act,))

    start = draw(st.integers(0, len(_TABLE_CHANGES) - 1))
    for kind in _TABLE_CHANGES[start:] + _TABLE_CHANGES[:start]:
        op = build(kind)
        if op is not None and _predicted(state, op):
            after = _st(step(state, op)[0], schema, table)
            if after != before and (unlike is None or after != unlike):
                return op
    draw(st.nothing())  # no change of this table fits: Hypothesis drops the example
    raise AssertionError("unreachable")


def table_changes(state: State, schema: str, table: str, *, drop: bool = False,
                  unlike: tuple[int, int, int, int] | None = None) -> st.SearchStrategy[ops.Op]:
    """One statement that records a change of `table` on c without touching its COLUMN or INDEX rows (so
    the catalog the branches share stays within B9 for the other side of a merge): COMMENT ON TABLE, SET /
    DROP DEFAULT, SET / DROP NOT NULL, ADD CHECK, or (with `drop`) DROP TABLE … CASCADE. With `unlike`, the
    table's state afterwards (M2's st) differs from it: the other side of an M3 conflict."""
    return _table_change(state, schema, table, drop, unlike)


def session_ops(schema: str) -> st.SearchStrategy[ops.Op]:
    return st.one_of(st.sampled_from(ops.TIME_ZONES).map(ops.SetTimeZone),
                     st.sampled_from([(schema,), (schema, "public"), ("pg_catalog", schema)]).map(ops.SetSearchPath))


def ops_for(state: State, schema: str, prefix: str = "", invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """Any op of the vocabulary, weighted towards DDL, fitting `state` and predicted exactly by the model."""
    if state.aborted:
        return st.one_of(txn_ops(state), txn_ops(state), ddl_ops(state, schema, invalid))
    return st.one_of(ddl_ops(state, schema, invalid), ddl_ops(state, schema, invalid), ddl_ops(state, schema, invalid),
                     ddl_ops(state, schema, invalid), branch_ops(state, prefix, invalid),
                     commit_ops(state, prefix, invalid), txn_ops(state), call_ops(state, schema), merge_ops(state),
                     st.one_of(trinity_ops(), session_ops(schema)))


__all__ = [
    "COLUMN_TYPES", "LONG", "QUOTED", "RESERVED", "UNICODE", "branch_names", "branch_ops", "call_ops", "column_types",
    "columns", "commit_ops", "ddl_ops", "default_changes", "defaults_for", "drop_ops", "droppable",
    "has_default_target", "identifiers", "merge_ops", "messages", "names", "new_functions",
    "new_tables_with_a_column", "ops_for", "same_definition_replacements", "session_ops", "sql_texts",
    "table_changes", "texts", "tracked_tables", "trinity_ops", "txn_ops",
]
