"""Hostile text reaches every text argument of every call the machines draw, and is always storable."""

from __future__ import annotations

import contextlib
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import initial_state, step
from pggit_model.ops import calls
from pggit_model.strategies import Recent, branch_ops, call_ops, commit_ops, hostile_kind, hostile_text, merge_ops
from pggit_model.strategies.hostile import SHAPES

SCHEMA = "app"
_COLLECT = settings(max_examples=3000, database=None, derandomize=True, phases=[Phase.generate], deadline=None,
                    suppress_health_check=list(HealthCheck))

#: Text fields hostile text cannot reach, and why (the model would call every such call unspecified).
EXEMPT = {
    ("ComputeTableComponentHashes", "schema"): "H4: a missing table is unspecified, so only existing tables of the "
                                                "machine's schema are asked for (their names are hostile identifiers)",
}


def _state() -> Any:
    """Tables, a view, a branch and a commit whose names are themselves awkward, and the machines' search_path."""
    state = initial_state((SCHEMA,))
    for op in (ops.CreateTable(SCHEMA, "Order Items", (ops.Column("a", "integer"),)),
               ops.CreateTable(SCHEMA, "t1", (ops.Column("é", "text"),)),
               ops.CreateBranch("feature/x"), ops.CreateCommit("main", "first", None),
               ops.SetSearchPath((SCHEMA,))):
        state = step(state, op)[0]
    return state


STATE = _state()
RECENT = Recent.of([ops.CreateBranch("feature/x"), ops.GetVersion(f"{SCHEMA}.t1")])


def call_text_fields() -> list[tuple[type, str]]:
    """(call class, field) for every text argument of the call vocabulary (fields validated as optional text)."""
    out = []
    for name in calls.__all__:
        cls = getattr(calls, name)
        if isinstance(cls, type) and issubclass(cls, calls.Call) and attrs.has(cls):
            out += [(cls, f.name) for f in attrs.fields(cls) if f.validator is calls.opt_text]
    return out


def drawn_strategies(state: Any = STATE, recent: Recent = RECENT) -> st.SearchStrategy[ops.Op]:
    return st.one_of(branch_ops(state, recent=recent), commit_ops(state, recent=recent),
                     call_ops(state, SCHEMA, recent=recent), merge_ops(state, recent=recent))


class _AllSeen(Exception):
    pass


def unreached(strategy: st.SearchStrategy[ops.Op], fields: list[tuple[type, str]]) -> list[str]:
    """The fields for which no seeded draw put hostile text (hostile_kind not None) into that argument."""
    todo = {(cls.__name__, f) for cls, f in fields}

    @_COLLECT
    @given(strategy)
    def collect(op: ops.Op) -> None:
        for cls_name, f in list(todo):
            if type(op).__name__ == cls_name and hostile_kind(getattr(op, f)) is not None:
                todo.discard((cls_name, f))
        if not todo:
            raise _AllSeen

    with contextlib.suppress(_AllSeen):
        collect()
    return sorted(f"{c}.{f}" for c, f in todo)


def test_the_walk_finds_the_call_vocabulary() -> None:
    """The walk sees the text arguments of branches, commits, lookups, hashes and merges (not an empty list)."""
    names = {f"{c.__name__}.{f}" for c, f in call_text_fields()}
    assert {"CreateBranch.name", "CommitChanges.custom_id", "GetVersion.name", "MergeBranches.message",
            "ComputeDdlHash.schema", "ExportSchemaHashes.schema"} <= names


def test_every_call_text_argument_receives_hostile_text() -> None:
    """B3, B6, B10, C1–C7, V17–V19, H1–H7, M1: every text argument of every call is drawn with hostile text
    (quotes, backslashes, wildcards, unicode, blanks, keywords, names at the length limits)."""
    fields = [(c, f) for c, f in call_text_fields() if (c.__name__, f) not in EXEMPT]
    assert unreached(drawn_strategies(), fields) == []


def test_the_walk_reports_a_plain_strategy() -> None:
    """The check bites: lookups drawn only from the existing names (the old draw) leave GetVersion.name unreached."""
    plain = st.sampled_from([f"{SCHEMA}.t1", f"{SCHEMA}.t2"]).map(ops.GetVersion)
    assert unreached(plain, [(ops.GetVersion, "name")]) == ["GetVersion.name"]


@pytest.mark.parametrize("kind", [*SHAPES, "long"])
def test_hostile_text_draws_every_kind(kind: str) -> None:
    """hostile_text draws each kind of hostile text, near misses of related names included."""
    seen: set[str | None] = set()

    @_COLLECT
    @given(hostile_text(("main", "app.t1")))
    def collect(text: str) -> None:
        seen.add(hostile_kind(text))
        if kind in seen:
            raise _AllSeen

    with contextlib.suppress(_AllSeen):
        collect()
    assert kind in seen


@settings(max_examples=300, database=None)
@given(hostile_text(("main", "feature/x")))
def test_hostile_text_never_holds_nul(text: str) -> None:
    """C4: PostgreSQL text cannot hold NUL (the server rejects it, 22021), so hostile text never draws it."""
    assert "\x00" not in text
