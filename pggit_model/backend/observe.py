"""SQL that reads pgGit's own tables: the one-round-trip observation (O1–O7), pgGit's sequences, and the table
the faults lock.

The observation is built from what the backend has (``Probe``): an area whose table, column or sequence is
missing is observed as empty and listed in ``Observation.unobserved``, so that its checks are skipped (the rules
it blocks are reported once, as for a missing function) while every other area is still compared.
"""

from __future__ import annotations

import attrs
import psycopg
from psycopg import sql

from .parts import Probe

# Each area's expression, and the parts it reads. With nothing missing, the query is the one the contract gives
# (O1–O7); history comes as a tail after the last id seen (the client keeps the rest).
_CTE_O = "o AS (SELECT * FROM pggit.objects WHERE schema_name = ANY(%(schemas)s::text[]))"
_CTE_H = """h AS (SELECT h.id, o.object_type::text AS t, o.schema_name AS s, o.object_name AS n, o.branch_name AS b,
                  h.change_type::text AS ct, h.change_severity::text AS cs, h.old_version, h.new_version
           FROM pggit.history h JOIN o ON o.id = h.object_id)"""
_OBJECTS = """(SELECT coalesce(json_agg(json_build_array(object_type::text, schema_name, object_name, branch_name,
                version, version_major, version_minor, version_patch, is_active, {ddl_hash})), '[]') FROM o)"""
_HISTORY = """(SELECT coalesce(json_agg(json_build_array(id, t, s, n, b, ct, cs, old_version, new_version)
                ORDER BY id), '[]') FROM h WHERE id > %(after)s)"""
_HISTORY_MAX = "(SELECT coalesce(max(id), 0) FROM h)"
_HISTORY_COUNT = "(SELECT count(*) FROM h)"
_BRANCHES = """(SELECT coalesce(json_agg(json_build_array(b.name, b.status::text, p.name, b.head_commit_hash)), '[]')
               FROM pggit.branches b LEFT JOIN pggit.branches p ON p.id = b.parent_branch_id)"""
_COMMITS = """(SELECT coalesce(json_agg(json_build_array(c.hash, b.name, c.parent_commit_hash, c.message,
                c.tree_hash, c.metadata->>'commit_id')), '[]')
              FROM pggit.commits c LEFT JOIN pggit.branches b ON b.id = c.branch_id)"""
_CONFLICTS = """(SELECT coalesce(json_agg(json_build_array(merge_id, branch_a, branch_b, conflict_object)), '[]')
                FROM pggit.merge_conflicts)"""
_TRINITY = "(SELECT json_build_array(last_value, is_called) FROM pggit.trinity_id_seq)"

_KEY_COLUMNS = [f"pggit.objects.{c}" for c in ("object_type", "schema_name", "object_name", "branch_name")]
_VERSION_COLUMNS = [f"pggit.objects.{c}" for c in ("version", "version_major", "version_minor", "version_patch",
                                                   "is_active")]
_HISTORY_PARTS = ["pggit.objects.id", *_KEY_COLUMNS, *(f"pggit.history.{c}" for c in (
    "id", "object_id", "change_type", "change_severity", "old_version", "new_version"))]
_BRANCH_PARTS = [f"pggit.branches.{c}" for c in ("id", "name", "status", "parent_branch_id", "head_commit_hash")]
_COMMIT_PARTS = ["pggit.branches.id", "pggit.branches.name", *(f"pggit.commits.{c}" for c in (
    "hash", "branch_id", "parent_commit_hash", "message", "tree_hash", "metadata"))]
_CONFLICT_PARTS = [f"pggit.merge_conflicts.{c}" for c in ("merge_id", "branch_a", "branch_b", "conflict_object")]

#: The whole history of the observed schemas' rows, when the cached tail no longer adds up (after a rollback).
HISTORY_FULL = """
SELECT json_agg(json_build_array(h.id, o.object_type::text, o.schema_name, o.object_name, o.branch_name,
         h.change_type::text, h.change_severity::text, h.old_version, h.new_version) ORDER BY h.id)
FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id WHERE o.schema_name = ANY(%(schemas)s::text[])
"""


@attrs.frozen
class Observation:
    """The observation query for one backend (placeholders ``%(schemas)s``, the observed schemas as a text[], and
    ``%(after)s``), and the areas it cannot see because a part they read is missing."""

    text: str
    unobserved: frozenset[str] = frozenset()


NOTHING_MISSING = Probe()


def observation(found: Probe = NOTHING_MISSING) -> Observation:
    """The observation (O1–O7) for a backend lacking ``found.missing``; with nothing missing, the contract's."""
    lacks = found.lacks
    keys = not lacks(*_KEY_COLUMNS)
    objects = keys and not lacks(*_VERSION_COLUMNS)
    history = keys and not lacks(*_HISTORY_PARTS)
    ctes = ([_CTE_O] if keys else []) + ([_CTE_H] if history else [])
    areas = {
        "objects": _OBJECTS.format(ddl_hash="NULL" if lacks("pggit.objects.ddl_hash") else "ddl_hash")
        if objects else "'[]'::json",
        "history": _HISTORY if history else "'[]'::json",
        "history_max": _HISTORY_MAX if history else "0",
        "history_count": _HISTORY_COUNT if history else "0",
        "branches": "'[]'::json" if lacks(*_BRANCH_PARTS) else _BRANCHES,
        "commits": "'[]'::json" if lacks(*_COMMIT_PARTS) else _COMMITS,
        "conflicts": "'[]'::json" if lacks(*_CONFLICT_PARTS) else _CONFLICTS,
        "current": "coalesce(nullif(current_setting('pggit.current_branch', true), ''), 'main')",
        "trinity": "NULL::json" if lacks("pggit.trinity_id_seq") else _TRINITY,
    }
    body = ",\n  ".join(f"'{name}', {expr}" for name, expr in areas.items())
    with_ = "\nWITH " + ",\n     ".join(ctes) + "\n" if ctes else "\n"
    text = with_ + f"SELECT json_build_object(\n  {body})\n"
    unobserved = set(found.unobserved)
    if not objects:
        unobserved |= {"objects", "ddl_hashes"}  # hashes come with the version rows
    if not history:
        unobserved.add("history")
    return Observation(text, frozenset(unobserved))


# The changes since the last observation (issue 19 part 3): history rows after the watermark (a range of the primary
# key) and the object rows they name (by the primary key), so its cost follows what changed, not the schema's size.
# The small areas (branches, commits, conflicts, current branch, trinity) come whole, as in the full observation.
# The upper bound is always true (ids are int4) but makes the prepared statement's generic plan estimate a narrow
# range (0.5 %) instead of a third of the table: an index scan of history, then objects by their primary key,
# instead of a sequential scan of objects (2.4 ms instead of 0.2 ms at 10 000 rows).
_CTE_NH = """nh AS (SELECT id, object_id, change_type::text AS ct, change_severity::text AS cs, old_version, new_version
            FROM pggit.history WHERE id > %(after)s AND id < %(after)s + 1099511627776)"""
# Each changed row is fetched by a subquery on objects' primary key, whatever the statistics say: in an example's
# transaction they are stale (a join planned on them scanned all 10 000 rows of the schema for 10 changed ones).
_CTE_CO = """r AS MATERIALIZED (SELECT (SELECT ob FROM pggit.objects ob WHERE ob.id = ids.object_id) AS r
                             FROM (SELECT DISTINCT object_id FROM nh) ids),
     o AS (SELECT (r).* FROM r WHERE (r).schema_name = ANY(%(schemas)s::text[]))"""
_CHANGED_HISTORY = """(SELECT coalesce(json_agg(json_build_array(nh.id, o.object_type::text, o.schema_name,
                o.object_name, o.branch_name, nh.ct, nh.cs, nh.old_version, nh.new_version) ORDER BY nh.id), '[]')
              FROM nh JOIN o ON o.id = nh.object_id)"""


def changes_observation(found: Probe = NOTHING_MISSING) -> Observation | None:
    """The observation of what changed since history id ``%(after)s``: the objects rows with a newer history row,
    those rows, ``history_max`` over all of pgGit's history (an index lookup) and the small areas whole. None when
    the backend lacks a part it reads: then every observation is the full one.

    It cannot see a row changed without a history row, a history row written below the watermark or a row
    removed: the full observation, every few steps and at each example's end, does (Driver.check_state)."""
    full = observation(found)
    if full.unobserved & {"objects", "history"} or found.lacks("pggit.objects.ddl_hash"):
        return None
    areas = full.text.split("SELECT json_build_object(\n", 1)[1]
    for old, new in ((_HISTORY, _CHANGED_HISTORY), (_HISTORY_MAX, "(SELECT coalesce(max(id), 0) FROM pggit.history)"),
                     (_HISTORY_COUNT, "NULL")):
        assert old in areas, f"the full observation no longer holds {old!r}: update changes_observation"
        areas = areas.replace(old, new)
    text = f"\nWITH {_CTE_NH},\n     {_CTE_CO}\nSELECT json_build_object(\n{areas}"
    return Observation(text, full.unobserved)


#: V1: rows in the schemas of a session's temporary objects and of TOAST tables (none may exist)
_EXCLUDED_ROWS = ("SELECT object_type::text, schema_name, object_name, branch_name FROM pggit.objects "
                  "WHERE schema_name LIKE 'pg\\_temp%' OR schema_name LIKE 'pg\\_toast%' ORDER BY 2, 3, 1, 4")


def excluded_rows(found: Probe = NOTHING_MISSING) -> str | None:
    """The query of pgGit's rows in schemas V1 excludes, or None when the backend lacks the row key it reads
    (pgGit 0.1.0 has no ``pggit.objects``): then V1 is unobservable, as the objects area is (I4)."""
    return None if found.lacks(*_KEY_COLUMNS) else _EXCLUDED_ROWS


#: The table whose lock makes pgGit's next bookkeeping write wait (lock_timeout faults, X4): every tracked DDL
#: appends a history row.
LOCK_TARGET = ("pggit", "history")


def lock_statement(mode: str = "EXCLUSIVE") -> sql.Composed:
    """``LOCK TABLE pggit.history IN <mode> MODE NOWAIT`` (identifiers quoted)."""
    return sql.SQL("LOCK TABLE {} IN {} MODE NOWAIT").format(sql.Identifier(*LOCK_TARGET), sql.SQL(mode))


def sequences(conn: psycopg.Connection) -> dict[str, int]:
    """Positions of pgGit's sequences on a connection (name -> last_value; never-used ones left out), or {} if it
    cannot tell: a recording must go on. Leaves no transaction open."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences "
                        "WHERE schemaname = 'pggit' AND last_value IS NOT NULL")
            rows = cur.fetchall()
        conn.rollback()
    except psycopg.Error:
        return {}
    return {name: int(value) for name, value in rows}


def sequence_positions(conn: psycopg.Connection) -> list[tuple[str, int, bool]]:
    """Every sequence of pgGit's schemas as (quoted name, value, is_called): what ``setval`` puts back after a
    rollback (sequences are not transactional, X3). A never-used sequence reads as (start_value, false)."""
    with conn.cursor() as cur:
        cur.execute("SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, start_value), "
                    "last_value IS NOT NULL FROM pg_sequences WHERE schemaname LIKE 'pggit%'")
        return [(n, int(v), bool(c)) for n, v, c in cur.fetchall()]


#: Put a sequence where the recording had it, but never back: values drawn since the install (by CREATE SCHEMA's
#: event triggers, say) are in rows already, and handing them out again would fail with 23505. A sequence the
#: backend does not have (a pgGit run replayed on the reference) is skipped: to_regclass gives NULL, setval is strict.
SETVAL = "SELECT setval(to_regclass({seq}), greatest({value}, pg_sequence_last_value(to_regclass({seq}))))"


def final_state_queries(schema: str) -> list[str]:
    """What a replay script shows at its end: pgGit's rows and history for ``schema`` (O1, O2), as plain SQL."""
    lit = sql.Literal(schema).as_string(None)
    return [
        "SELECT object_type, schema_name, object_name, branch_name, version, version_major, version_minor, "
        "version_patch, is_active",
        f"  FROM pggit.objects WHERE schema_name = {lit} ORDER BY 3, 4;",
        "SELECT o.object_name, o.branch_name, h.change_type, h.change_severity, h.old_version, h.new_version",
        "  FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id",
        f"  WHERE o.schema_name = {lit} ORDER BY h.id;",
    ]


def regress_state_queries(schema: str) -> list[str]:
    """The end of a pg_regress test: what the observation compares (O1-O7), without what varies between
    installs (ids, hashes, times): rows and history of ``schema``, branches, commits (hashes by their length), and
    the current branch. Plain SQL, each row set fully ordered."""
    lit = sql.Literal(schema).as_string(None)
    return [
        "SELECT object_type, object_name, branch_name, version, version_major, version_minor, version_patch, "
        "is_active",
        f"  FROM pggit.objects WHERE schema_name = {lit} ORDER BY 2, 3, 1, 4;",
        "SELECT o.object_type, o.object_name, o.branch_name, h.change_type, h.change_severity, h.old_version, "
        "h.new_version",
        f"  FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id WHERE o.schema_name = {lit} ORDER BY h.id;",
        "SELECT b.name, b.status, p.name AS parent, length(b.head_commit_hash) AS head_hash_length",
        "  FROM pggit.branches b LEFT JOIN pggit.branches p ON p.id = b.parent_branch_id ORDER BY 1;",
        "SELECT b.name AS branch, c.message, length(c.hash) AS hash_length, c.parent_commit_hash IS NOT NULL AS "
        "has_parent",
        "  FROM pggit.commits c LEFT JOIN pggit.branches b ON b.id = c.branch_id ORDER BY 1, 2, 3, 4;",
        "SELECT coalesce(nullif(current_setting('pggit.current_branch', true), ''), 'main') AS current_branch;",
    ]
