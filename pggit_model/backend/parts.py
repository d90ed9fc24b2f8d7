"""The parts of pgGit the contract relies on — functions (§4), tables, columns and sequences (§2, §3) — each with
the rules it blocks when a backend lacks it, and the probe that finds which parts a database has (I4).

A missing part is a finding, not a crash: the calls that need it are skipped and the state areas it feeds are
not compared, and the run reports the rules that could therefore not be checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
import psycopg

#: Contract §4 signatures (as to_regprocedure reads them) -> the rule ids a missing one blocks.
CONTRACT_FUNCTIONS: Mapping[str, tuple[str, ...]] = {
    "pggit.get_version(text)": ("V17",),
    "pggit.get_history(text, integer)": ("V18",),
    "pggit.show_table_versions(text)": ("V19",),
    "pggit.create_branch(text, text, boolean)": ("B2", "B3", "B4", "B5"),
    "pggit.checkout_branch(text)": ("B6", "B7", "B8"),
    "pggit.delete_branch(text, boolean)": ("B10",),
    "pggit.list_branches(pggit.branch_status, integer)": ("B11",),
    "pggit.create_commit(text, text, text, uuid[])": ("C1", "C2", "C3", "C4", "C6"),
    "pggit.commit_changes(text, text, text)": ("C7",),
    "pggit.generate_trinity_id()": ("T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"),
    "pggit.compute_ddl_hash(pggit.object_type, text, text)": ("H1", "H2", "H3"),
    "pggit.compute_table_component_hashes(text, text)": ("H4",),
    "pggit.update_all_hashes()": ("H5",),
    "pggit.detect_changes_by_hash()": ("H6",),
    "pggit.export_schema_hashes(text)": ("H7",),
    "pggit.merge_branches(text, text, text)": ("M1", "M2", "M3", "M4", "M5", "M6"),
}

#: Areas of the whole-state observation -> the rules comparing that area checks (what an unobserved area blocks).
AREA_RULES: Mapping[str, tuple[str, ...]] = {
    "objects": ("O1", "V5", "V6", "V7", "V11", "V13", "V14"),
    "history": ("O2", "V8"),
    "ddl_hashes": ("O6", "H5", "H6"),
    "branches": ("O3", "B1", "B4"),
    "commits": ("O4", "C2", "C3", "C8"),
    "conflicts": ("M5",),
    "trinity": ("O7", "T7", "X3"),
}

_KEYS = ("objects", "history", "ddl_hashes")  # the row key: without it no object area can be read

#: Contract tables -> the columns the observation reads -> the areas each feeds (O1–O7).
CONTRACT_TABLES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "pggit.objects": {
        "id": ("history",), "object_type": _KEYS, "schema_name": _KEYS, "object_name": _KEYS, "branch_name": _KEYS,
        "version": ("objects",), "version_major": ("objects",), "version_minor": ("objects",),
        "version_patch": ("objects",), "is_active": ("objects",), "ddl_hash": ("ddl_hashes",),
    },
    "pggit.history": {c: ("history",) for c in ("id", "object_id", "change_type", "change_severity", "old_version",
                                                 "new_version")},
    "pggit.branches": {"id": ("branches", "commits"), "name": ("branches", "commits"), "status": ("branches",),
                       "parent_branch_id": ("branches",), "head_commit_hash": ("branches",)},
    "pggit.commits": {c: ("commits",) for c in ("hash", "branch_id", "parent_commit_hash", "message", "tree_hash",
                                                 "metadata")},
    "pggit.merge_conflicts": {c: ("conflicts",) for c in ("merge_id", "branch_a", "branch_b", "conflict_object")},
}

#: Contract sequences -> the areas they feed.
CONTRACT_SEQUENCES: Mapping[str, tuple[str, ...]] = {"pggit.trinity_id_seq": ("trinity",)}

#: Rules a table or sequence blocks besides its areas': the calls that name it directly.
_DIRECT_RULES: Mapping[str, tuple[str, ...]] = {"pggit.trinity_id_seq": ("T3", "T8")}  # setval (T8 edges)

#: op kind -> the contract part it calls: a missing part means the op is skipped (I4), never run.
NEEDS: Mapping[str, str] = {
    sig.split("(")[0].split(".")[1]: sig for sig in CONTRACT_FUNCTIONS
} | {"generate_trinity_ids": "pggit.generate_trinity_id()", "set_trinity_sequence": "pggit.trinity_id_seq"}


def kind_of(part: str) -> str:
    """"function", "sequence", "table" or "column" (``pggit.objects.ddl_hash``): how a missing part is named."""
    if "(" in part:
        return "function"
    if part in CONTRACT_SEQUENCES:
        return "sequence"
    return "table" if part in CONTRACT_TABLES else "column"


def areas_of(part: str) -> tuple[str, ...]:
    """The observation areas a table, column or sequence feeds (none for a function)."""
    if part in CONTRACT_SEQUENCES:
        return CONTRACT_SEQUENCES[part]
    if part in CONTRACT_TABLES:
        return tuple(dict.fromkeys(a for areas in CONTRACT_TABLES[part].values() for a in areas))
    table, _, column = part.rpartition(".")
    return CONTRACT_TABLES.get(table, {}).get(column, ())


def blocks(part: str) -> tuple[str, ...]:
    """The rules that cannot be checked without ``part`` (a §4 signature, table, ``table.column`` or sequence)."""
    if part in CONTRACT_FUNCTIONS:
        return CONTRACT_FUNCTIONS[part]
    rules = {r for a in areas_of(part) for r in AREA_RULES[a]} | set(_DIRECT_RULES.get(part, ()))
    return tuple(sorted(rules, key=lambda r: (r[0], int(r[1:].rstrip("abcdefghijklmnopqrstuvwxyz")), r)))


@attrs.frozen
class Probe:
    """Which contract tables, columns and sequences a database lacks (functions: ``check_functions``)."""

    missing: tuple[str, ...] = ()  # "pggit.trinity_id_seq", "pggit.merge_conflicts", "pggit.objects.ddl_hash"

    def lacks(self, *parts: str) -> bool:
        """Whether any of ``parts`` is missing, itself or (for a column) with its table."""
        gone = set(self.missing)
        return any(p in gone or p.rpartition(".")[0] in gone for p in parts)

    @property
    def unobserved(self) -> frozenset[str]:
        """The observation areas left empty because a part they read is missing."""
        return frozenset(a for p in self.missing for a in areas_of(p))

    @property
    def blocked(self) -> dict[str, tuple[str, ...]]:
        """Each missing part -> the rules it blocks."""
        return {p: blocks(p) for p in self.missing}


#: One catalog query: for each contract table and sequence, whether it exists (with the right relkind) and the
#: columns it has. to_regclass answers NULL (never an error) for a missing relation or schema.
_PROBE = """
SELECT r.name, c.relkind::text, coalesce((SELECT array_agg(a.attname::text) FROM pg_attribute a
                                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}')
FROM unnest(%s::text[]) AS r(name) LEFT JOIN pg_class c ON c.oid = to_regclass(r.name)
"""


def probe(conn: psycopg.Connection) -> Probe:
    """Which contract tables, columns and sequences are missing in the database of ``conn`` (read-only)."""
    names = [*CONTRACT_TABLES, *CONTRACT_SEQUENCES]
    with conn.cursor() as cur:
        cur.execute(_PROBE, [names])
        rows = {name: (kind, set(cols)) for name, kind, cols in cur.fetchall()}
    return Probe(tuple(_missing(rows)))


def _missing(rows: Mapping[str, tuple[str | None, set[str]]]) -> Iterable[str]:
    for table, columns in CONTRACT_TABLES.items():
        kind, have = rows.get(table, (None, set()))
        if kind not in ("r", "p", "v", "m", "f"):  # a table, or anything a SELECT reads like one
            yield table
            continue
        yield from (f"{table}.{c}" for c in columns if c not in have)
    for seq in CONTRACT_SEQUENCES:
        if rows.get(seq, (None, set()))[0] != "S":
            yield seq


def check_functions(conn: psycopg.Connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which contract §4 functions exist in the database (I4): (present, missing)."""
    sigs = list(CONTRACT_FUNCTIONS)
    has_schema = conn.execute("SELECT to_regnamespace('pggit') IS NOT NULL").fetchone()
    if not (has_schema and has_schema[0]):
        return (), tuple(sigs)
    try:
        rows = conn.execute("SELECT s, to_regprocedure(s) IS NOT NULL FROM unnest(%s::text[]) AS s", [sigs]).fetchall()
    except psycopg.Error:
        # A missing enum type makes to_regprocedure itself raise for signatures that name it.
        rows = []
        for s in sigs:
            try:
                r = conn.execute("SELECT to_regprocedure(%s) IS NOT NULL", [s]).fetchone()
                rows.append((s, bool(r and r[0])))
            except psycopg.Error:
                rows.append((s, False))
    present = tuple(s for s, ok in rows if ok)
    return present, tuple(s for s in sigs if s not in present)
