"""The pure model on a table whose place in a hierarchy (§14.1 V23 (5)) another branch changed in the shared catalog
(B9): main's next statement on it is classified against main's recorded structure (V9a), so the other branch's
ATTACH, DETACH or [NO] INHERIT counts with the statement's own change, at the highest severity (V9) — by V24s/t/x's
severities, which `catalog_partitions.place_severity` holds for the hierarchy statements and for this alike. Parents
are compared by identity: a renamed parent is no difference (R6), a dropped one re-created under its name is (V20).

The sequences are SQL on schema `app`; tests/test_reference_hierarchy_b9.py replays them on the reference, step by
step against the model."""

from __future__ import annotations

import pytest

from pggit_model.model import initial_state, step
from pggit_model.model.catalog_partitions import NOWHERE, place_severity
from pggit_model.model.catalog_values import Col
from pggit_model.model.state import State
from pggit_model.model.versions import HierarchyOpen, classify
from pggit_model.parse import parse

S = "app"
B1 = ("SELECT pggit.create_branch('b1')", "SELECT pggit.checkout_branch('b1')")
MAIN = "SELECT pggit.checkout_branch('main')"
M = ("CREATE TABLE app.m (k int NOT NULL, v text) PARTITION BY RANGE (k)",
     "CREATE TABLE app.m_p0 PARTITION OF app.m FOR VALUES FROM (0) TO (10)")
P = ("CREATE TABLE app.p (a int, b text)", "CREATE TABLE app.c (x int) INHERITS (app.p)")

#: id -> (statements, the table main's last statement is on, the change that table records on main)
SEQUENCES: dict[str, tuple[list[str], str, tuple[str, str] | None]] = {
    # V24x: b1 INHERITs t1 from p; main's CREATE INDEX (PATCH) records MINOR (a faults smoke caught PATCH as V7)
    "inherited-elsewhere": (["CREATE TABLE app.p (a int)", "CREATE TABLE app.t1 (a int)", *B1,
                             "ALTER TABLE app.t1 INHERIT app.p", MAIN, "CREATE INDEX i9 ON app.t1 (a)"],
                            "t1", ("ALTER", "MINOR")),
    "inherited-elsewhere-concurrently": (["CREATE TABLE app.p (a int)", "CREATE TABLE app.t1 (a int)", *B1,
                                          "ALTER TABLE app.t1 INHERIT app.p", MAIN,
                                          "CREATE INDEX CONCURRENTLY i9 ON app.t1 (a)"], "t1", ("ALTER", "MINOR")),
    # V24x: an inheritance parent lost elsewhere
    "no-inherit-elsewhere": ([*P, *B1, "ALTER TABLE app.c NO INHERIT app.p", MAIN, "CREATE INDEX i9 ON app.c (x)"],
                             "c", ("ALTER", "MINOR")),
    # V24s: a partition bound gained elsewhere is MAJOR under main's PATCH
    "attached-elsewhere": (["CREATE TABLE app.m (k int NOT NULL, v text) PARTITION BY RANGE (k)",
                            "CREATE TABLE app.x (k int NOT NULL, v text)", *B1,
                            "ALTER TABLE app.m ATTACH PARTITION app.x FOR VALUES FROM (0) TO (10)", MAIN,
                            "CREATE INDEX i9 ON app.x (v)"], "x", ("ALTER", "MAJOR")),
    # V24t: a partition bound lost elsewhere is MINOR, not MAJOR
    "detached-elsewhere": ([*M, *B1, "ALTER TABLE app.m DETACH PARTITION app.m_p0", MAIN,
                            "CREATE INDEX i9 ON app.m_p0 (v)"], "m_p0", ("ALTER", "MINOR")),
    # V24t: CONCURRENTLY's CHECK (the old bound) is the same change, not V10k's added constraint
    "detached-concurrently-elsewhere": ([*M, *B1, "ALTER TABLE app.m DETACH PARTITION app.m_p0 CONCURRENTLY", MAIN,
                                         "CREATE INDEX i9 ON app.m_p0 (v)"], "m_p0", ("ALTER", "MINOR")),
    "detached-concurrently-from-a-list-elsewhere": (
        ["CREATE TABLE app.l (k int NOT NULL, v text) PARTITION BY LIST (k)",
         "CREATE TABLE app.l_p0 PARTITION OF app.l FOR VALUES IN (1, -2, 30)", *B1,
         "ALTER TABLE app.l DETACH PARTITION app.l_p0 CONCURRENTLY", MAIN, "CREATE INDEX i9 ON app.l_p0 (v)"],
        "l_p0", ("ALTER", "MINOR")),
    # V10k: a CHECK added after a plain DETACH is no bound's: it counts MAJOR with the MINOR of leaving
    "detached-then-checked-elsewhere": ([*M, *B1, "ALTER TABLE app.m DETACH PARTITION app.m_p0",
                                         "ALTER TABLE app.m_p0 ADD CONSTRAINT ck CHECK (k > 0)", MAIN,
                                         "CREATE INDEX i9 ON app.m_p0 (v)"], "m_p0", ("ALTER", "MAJOR")),
    # V24t then V24s: detached and attached back under another bound: the new bound is gained (MAJOR)
    "rebound-elsewhere": ([*M, *B1, "ALTER TABLE app.m DETACH PARTITION app.m_p0",
                           "ALTER TABLE app.m ATTACH PARTITION app.m_p0 FOR VALUES FROM (20) TO (30)", MAIN,
                           "CREATE INDEX i9 ON app.m_p0 (v)"], "m_p0", ("ALTER", "MAJOR")),
    # V24t then V24x: a partition become an inheritance child: MINOR and MINOR
    "partition-to-child-elsewhere": ([*M, "CREATE TABLE app.p (v text)", *B1,
                                      "ALTER TABLE app.m DETACH PARTITION app.m_p0",
                                      "ALTER TABLE app.m_p0 INHERIT app.p", MAIN, "CREATE INDEX i9 ON app.m_p0 (v)"],
                                     "m_p0", ("ALTER", "MINOR")),
    # R6: the parent renamed elsewhere is no difference: main's CREATE INDEX records its own PATCH only
    "parent-renamed-elsewhere": ([*P, *B1, "ALTER TABLE app.p RENAME TO p2", MAIN, "CREATE INDEX i9 ON app.c (x)"],
                                 "c", ("ALTER", "PATCH")),
    "partitioned-renamed-elsewhere": ([*M, *B1, "ALTER TABLE app.m RENAME TO m2", MAIN,
                                       "CREATE INDEX i9 ON app.m_p0 (v)"], "m_p0", ("ALTER", "PATCH")),
    # R6 on c itself: renaming the parent records nothing on the child, nor does it count later
    "parent-renamed-here": ([*P, "ALTER TABLE app.p RENAME TO p2", "CREATE INDEX i9 ON app.c (x)"],
                            "c", ("ALTER", "PATCH")),
    # V20: a parent dropped and re-created under its name is another parent (by identity), though named alike
    "parent-recreated-elsewhere": ([*P, *B1, "ALTER TABLE app.c NO INHERIT app.p", "DROP TABLE app.p",
                                    "CREATE TABLE app.p (a int, b text)", "ALTER TABLE app.c INHERIT app.p", MAIN,
                                    "CREATE INDEX i9 ON app.c (x)"], "c", ("ALTER", "MINOR")),
    # V9a: main's own NO INHERIT of a parent it never recorded (b1 INHERITed it) changes nothing c recorded
    "no-inherit-of-a-parent-inherited-elsewhere": (["CREATE TABLE app.p (a int)", "CREATE TABLE app.t1 (a int)", *B1,
                                                    "ALTER TABLE app.t1 INHERIT app.p", MAIN,
                                                    "ALTER TABLE app.t1 NO INHERIT app.p"], "t1", None),
    # V24s with the place c recorded: detached elsewhere, attached back by main under the old bound: no difference
    "reattached-here-under-the-recorded-bound": ([*M, *B1, "ALTER TABLE app.m DETACH PARTITION app.m_p0", MAIN,
                                                  "ALTER TABLE app.m ATTACH PARTITION app.m_p0 FOR VALUES FROM (0) "
                                                  "TO (10)"], "m_p0", None),
}

#: a partition moved elsewhere to another partitioned table under the same bound (V24 ranks neither)
MOVED = [*M, "CREATE TABLE app.m2 (k int NOT NULL, v text) PARTITION BY RANGE (k)", *B1,
         "ALTER TABLE app.m DETACH PARTITION app.m_p0",
         "ALTER TABLE app.m2 ATTACH PARTITION app.m_p0 FOR VALUES FROM (0) TO (10)", MAIN]


def run_sql(statements: list[str]) -> tuple[State, list]:
    st = initial_state((S,))
    out = []
    for text in statements:
        for op in parse(text):
            st, exp = step(st, op)
            out.append(exp)
    return st, out


def history(st: State, table: str) -> list[tuple]:
    return [(h.change_type, h.severity) for h in st.db.history[("TABLE", S, table, "main")]]


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_v9a_v23_v24s_t_x_b9_a_place_changed_elsewhere_counts_with_mains_next_statement(name: str) -> None:
    """V9a, V23 (5), V24s/t/x, V9, B9, R6, V20: after each sequence main's last statement records the expected
    change on the table (the model raised HierarchyOpen for all but the renames and the own-statement cases, and
    classified a renamed parent as a difference once compared by name)."""
    statements, table, want = SEQUENCES[name]
    st, exps = run_sql(statements[:-1])
    assert all(e.kind in ("ok", "value") for e in exps), exps
    before = history(st, table)
    st, exps = run_sql(statements)
    assert exps[-1].kind == "ok", exps[-1]
    got = history(st, table)
    assert got[:len(before)] == before
    assert got[len(before):] == ([want] if want else []), (name, got)


def test_r6_a_renamed_parent_follows_in_the_catalog_and_in_what_every_branch_recorded() -> None:
    """R6, V23 (5), B9: renaming the parent on b1 names the child's parent anew in the catalog (pg_inherits holds
    OIDs) and in the structure main recorded for the child, which records nothing itself."""
    statements = [*P, *B1, "ALTER TABLE app.p RENAME TO p2"]
    st, exps = run_sql(statements)
    assert exps[-1].kind == "ok"
    child = st.db.catalog.table(S, "c")
    assert child is not None and child.parent == "p2"
    rec = st.db.rows[("TABLE", S, "c", "main")].recorded
    assert rec[4][1] == "p2"
    assert history(st, "c") == [("CREATE", "MINOR")]


def test_v9a_a_partition_moved_to_another_parent_under_the_same_bound_is_left_open_below_major() -> None:
    """V9a, V24s, V24t, B9: m_p0 moved elsewhere from m to m2 under the same bound: V24s's reason (rows outside the
    bound are now rejected) does not hold and V24t ranks only the loss, so main's PATCH is left open (V9a); a MAJOR
    statement of its own records MAJOR whatever the move counts."""
    st, exps = run_sql(MOVED)
    assert all(e.kind in ("ok", "value") for e in exps), exps
    _, exp = step(st, parse("CREATE INDEX i9 ON app.m_p0 (v)")[0])
    assert exp.kind == "unspecified" and "V9a" in exp.rules, exp
    k, v = Col("k", "integer", True), Col("v", "text")
    was = ((k, v), frozenset(), frozenset(), None, (None, "m", ("RANGE", (0, 10))))
    now = ((k, v, Col("w", "integer", True)), frozenset(), frozenset(), None, (None, "m2", ("RANGE", (0, 10))))
    assert classify(was, now) == ("ALTER", "MAJOR")  # V10e: a NOT NULL column without a default
    with pytest.raises(HierarchyOpen):
        classify(was, ((k, v), *now[1:]))  # the index of main's PATCH aside, the move alone


#: (recorded place, place now, severity): V24s MAJOR, V24t MINOR, V24x MINOR, the highest of several (V9), None
#: where V24 does not rank it
PLACES = [
    (NOWHERE, NOWHERE, 0),
    (NOWHERE, (None, "m", ("RANGE", (0, 10))), 3),  # V24s
    ((None, "m", ("RANGE", (0, 10))), NOWHERE, 2),  # V24t
    (NOWHERE, (None, "p", None), 2),  # V24x INHERIT
    ((None, "p", None), NOWHERE, 2),  # V24x NO INHERIT
    ((None, "p", None), (None, "q", None), 2),  # V24x twice
    ((None, ("dropped", "p"), None), (None, "p", None), 2),  # V20: another table named p
    ((None, "m", ("RANGE", (0, 10))), (None, "m", ("RANGE", (20, 30))), 3),  # V24t + V24s
    ((None, "m", ("RANGE", (0, 10))), (None, "p", None), 2),  # V24t + V24x
    ((None, "p", None), (None, "m", ("LIST", (1,))), 3),  # V24x + V24s
    ((None, "m", ("RANGE", (0, 10))), (None, "m2", ("RANGE", (0, 10))), None),  # another parent, the same bound
    ((("RANGE", "k"), None, None), (("LIST", "k"), None, None), None),  # a key never changes while the table lives
    ((("RANGE", "k"), None, None), (("RANGE", "k"), None, None), 0),
]


@pytest.mark.parametrize(("old", "new", "want"), PLACES)
def test_v24s_t_x_the_severity_of_a_changed_place(old, new, want) -> None:
    """V24s, V24t, V24x, V9, V20: place_severity, the one rule for the hierarchy statements and for a place another
    branch changed."""
    assert place_severity(old, new) == want
