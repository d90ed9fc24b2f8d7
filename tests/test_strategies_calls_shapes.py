"""Shapes of the hash calls that take (kind, schema, name) (issue 16): every kind of name the state has is asked
about, and asked as another kind a fixed share of the time (H1)."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

from pggit_model import ops
from pggit_model.model import initial_state, step
from pggit_model.model.catalog_values import Index, MatView, Table, View
from pggit_model.strategies import call_ops
from pggit_model.strategies.hash_calls import RELATION_KINDS, named_objects
from tests.test_strategies_hostile import RECENT, SCHEMA
from tests.test_strategies_shapes import SEEDS, _collect

OTHER = "app_two"


def _state() -> Any:
    """Two owned schemas; in the first, many columns and tables beside one view, one index, one materialized view,
    one sequence and one function (a name drawn from all keys at once is rarely one of those)."""
    state = initial_state((SCHEMA, OTHER))
    cols = tuple(ops.Column(c, "integer") for c in "abcdef")
    for op in (ops.CreateTable(SCHEMA, "t", cols), ops.CreateTable(SCHEMA, "u", cols),
               ops.CreateTable(SCHEMA, "w", cols), ops.CreateTable(OTHER, "t", cols[:2]),
               ops.CreateView(SCHEMA, "v", "t", ("a",)), ops.CreateIndex(SCHEMA, "i1", "u", ("a",)),
               ops.CreateMatView(SCHEMA, "mv", "w", ("a",)), ops.CreateUsable("SEQUENCE", SCHEMA, "sq"),
               ops.CreateFunction(SCHEMA, "f", ())):
        state, outcome = step(state, op)
        assert outcome.ok, (op, outcome)
    return state


STATE = _state()
#: what each relation-namespace name of STATE is: a table, a view, an index, a materialized view, a sequence
WHAT = {n: ("SEQUENCE" if n == "sq" else {Table: "TABLE", View: "VIEW", Index: "INDEX", MatView: "MATVIEW"}[type(r)])
        for (s, n), r in {**STATE.db.catalog.relations, (SCHEMA, "sq"): None}.items() if s == SCHEMA
        for _ in [0] if r is not None or n == "sq"}


@functools.cache
def _hashes() -> list[ops.ComputeDdlHash]:
    """compute_ddl_hash calls of the first schema among a little more call draws than a smoke run makes (a
    minute: drawn once, on first use)."""
    return [op for op in _collect(call_ops(STATE, SCHEMA, recent=RECENT), examples=25, seeds=SEEDS)
            if isinstance(op, ops.ComputeDdlHash) and op.schema == SCHEMA]


def test_every_kind_of_name_is_listed() -> None:
    """The names drawn from are the catalog's, by kind, sequences and materialized views included (they have no
    row of a hashed kind, so drawing from the rows alone never asked about them)."""
    found = named_objects(STATE)
    assert {"TABLE", "VIEW", "INDEX", "MATERIALIZED_VIEW", "SEQUENCE", "FUNCTION", "COLUMN"} <= set(found)
    assert found["VIEW"] == [(SCHEMA, "v")] and found["SEQUENCE"] == [(SCHEMA, "sq")]


def test_each_relation_kind_is_asked_as_a_table_and_as_another_relation_kind() -> None:
    """H1: compute_ddl_hash of a name of another kind is NULL; a lookup that loses its kind filter answers a hash
    (005_helpers.sql:where:7804f2e95d:3). Each relation that is no table — a view, an index, a materialized view,
    a sequence — is asked as a TABLE, together in ≥ 3 % of the hash calls of its schema, and a table as a VIEW or
    an INDEX in ≥ 1 %. Drawn from all row keys at once (a schema's many columns), a view or an index was asked as
    a TABLE in well under 1 %, a materialized view or a sequence never (they have no row of a hashed kind)."""
    asked = Counter((WHAT[op.name], op.object_type) for op in _hashes() if op.name in WHAT)
    n = len(_hashes())
    assert n > 300
    for what in ("VIEW", "INDEX", "MATVIEW", "SEQUENCE"):
        assert asked[(what, "TABLE")] >= 1, (what, asked, n)
    assert sum(asked[(w, "TABLE")] for w in ("VIEW", "INDEX", "MATVIEW", "SEQUENCE")) >= 0.03 * n, (asked, n)
    assert asked[("TABLE", "VIEW")] + asked[("TABLE", "INDEX")] >= 0.01 * n, (asked, n)


def test_kinds_are_mismatched_a_fixed_share_of_the_time() -> None:
    """Most calls ask a name as its own kind (H1–H3: the hash), about a third of the hashed kinds' asks another."""
    own = {"TABLE": "TABLE", "VIEW": "VIEW", "INDEX": "INDEX"}
    right = sum(1 for op in _hashes() if op.name in WHAT and own.get(WHAT[op.name]) == op.object_type)
    wrong = sum(1 for op in _hashes() if op.name in WHAT and WHAT[op.name] in own
                and op.object_type in RELATION_KINDS and own[WHAT[op.name]] != op.object_type)
    assert right > wrong > 0.15 * (right + wrong), (right, wrong)


def test_the_renames_look_asks_each_relation_key_under_every_relation_kind() -> None:
    """H1, H10a: after a key change the renames machine asks each relation key (old and new) as a TABLE, a VIEW and
    an INDEX — a renamed view asked as a TABLE is NULL unless the lookup lost its kind filter; column keys are
    asked too (NULL), function signatures not."""
    from types import SimpleNamespace

    from pggit_model.machines.renames_keys import KeyLooks

    ran: list[Any] = []
    machine = SimpleNamespace(model=STATE, schema=SCHEMA, run=ran.append)
    machine._hash_as_every_relation = lambda schema, name: KeyLooks._hash_as_every_relation(
        machine, schema, name)  # type: ignore[arg-type]
    KeyLooks._look(machine, [f"{SCHEMA}.v", f"{SCHEMA}.v_renamed", f"{SCHEMA}.f()"])  # type: ignore[arg-type]
    asked = {(op.object_type, op.name) for op in ran if isinstance(op, ops.ComputeDdlHash) and op.schema == SCHEMA}
    assert asked == {(k, n) for k in RELATION_KINDS for n in ("v", "v_renamed")}
