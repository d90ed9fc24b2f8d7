"""Known divergences: bugs of the backend already recorded, so a run explores past them.

A registry is a small TOML (or JSON) file under the user's version control::

    [[divergence]]
    id = "pggit-function-object-name"      # stable, yours
    rule = "V5"                            # the contract rule it breaks (a family like "V10" matches "V10k")
    failure = "eb7a2e3779"                 # optional: a recorded failure id (see pggit-model triage)
    op = "create_function"                 # kind of the op at the failing step (or a list of kinds)
    match = "FUNCTION"                     # regex searched in the op, message, expected and observed;
                                           # {schema}: any schema the machines track (SCHEMA)
    status = "open"                        # open | fixed | wontfix (fixed entries are reported if seen again)
    note = "pgGit names functions by oid"

When a divergence matches an open entry, the run records it and goes on: the model adopts what the
database did for that part of the state only (a version row's fields and history are taken over, other
differing keys are no longer compared), and the example continues, so a bug that fires in most examples
does not hide the others.

Only ``id`` and a rule (or a failure id) are required, but an entry is a fingerprint only with a rule, an op kind
and a match: ``pggit-model known lint FILE`` (``known_lint``) flags entries without them, and those that cover
the same divergences. ``stale`` names the entries a run matched nothing with.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from .divergences import Divergence, rule_family
from .errors import PggitModelError

STATUSES = ("open", "fixed", "wontfix")

#: ``{schema}`` in a ``match`` stands for any schema the machines track objects in: the machine's own (``mc_`` and
#: its run id), the extra ones its examples create (strategies.schemas: quoted, near misses of V1's exclusions), the
#: renames machine's pool (strategies.renames) and the kinds machine's. A bug fires the same way in each of them, so
#: an entry names its root once, not per schema. Schemas V1 excludes (``pggit<run>``, ``pggit Archive``) are left
#: out: a row there is another bug. tests/test_known.py holds it to the names the strategies draw.
SCHEMA_TOKEN = "{schema}"
SCHEMA = ('(?:mc_[0-9a-f]{6}(?: Zwei|"q|_pggit|_pg_temp|_information_schema)?'
          "|(?:Pggit|PG_CATALOG|information_schema2|pg)[0-9a-f]{6}"
          '|Kinds Schéma|Sales|My Schema|select|a"b|schéma)')


class BadRegistry(PggitModelError, ValueError):
    """The known-divergence file cannot be used; the message names the file and the entry."""


@attrs.frozen
class Known:
    id: str
    rule: str | None = None
    op: str | tuple[str, ...] | None = None
    match: str | None = None
    failure: str | None = None
    status: str = "open"
    note: str = ""

    def covers(self, rule: str | None, rules: Iterable[str], op: str | None, text: str,
               failure: str | None = None) -> bool:
        """The one place that decides whether a divergence (live or recorded) is this known one."""
        if self.failure is not None and self.failure != failure:
            return False
        if self.rule is not None and rule_family(self.rule) != rule_family(rule or "") and self.rule not in rules:
            return False
        if self.op is not None and op not in self.ops:
            return False
        return self.match is None or re.search(self.match, text) is not None

    @property
    def ops(self) -> tuple[str, ...]:
        """The op kinds this entry names (empty: any)."""
        return () if self.op is None else (self.op,) if isinstance(self.op, str) else self.op

    @property
    def broad(self) -> bool:
        """Only a rule: it excuses every divergence of that rule family, including bugs nobody has seen yet."""
        return self.failure is None and self.op is None and self.match is None

    @property
    def unspecific(self) -> bool:
        """Not a fingerprint yet: the rule, the op kind or the match is missing (a failure id pins it instead)."""
        return self.failure is None and (self.rule is None or self.op is None or self.match is None)

    def matches(self, d: Divergence) -> bool:
        op = struck(d.op)
        text = match_text(op, d.message, d.expected, d.observed)
        return self.covers(d.rule, d.rules, getattr(op, "kind", None), text)


def struck(op: Any) -> Any:
    """The statement a wrapper ran (a fault striking it, the second session): entries name statements, and a bug
    of COMMENT ON is the same bug when a lock_timeout was armed around it."""
    inner = getattr(op, "op", None)
    return inner if getattr(op, "runs_statement", False) and hasattr(inner, "kind") else op


def match_text(op: Any, message: str, expected: Any, observed: Any) -> str:
    """What ``match`` searches: the failing op (its repr, so an entry can name e.g. ``SetDefault(``), then the
    message, the expected and the observed value, one per line."""
    return f"op: {op!r}\n{message}\n{expected}\n{observed}"


@attrs.frozen
class Registry:
    entries: tuple[Known, ...] = ()
    source: str = "(none)"

    def match(self, d: Divergence) -> Known | None:
        """The open (or wontfix) entry this divergence is an instance of, if any."""
        for k in self.entries:
            if k.status != "fixed" and k.matches(d):
                return k
        return None

    def lookup(self, rule: str | None, rules: Iterable[str], op: str | None, text: str,
               failure: str | None = None) -> Known | None:
        """The first entry of any status covering a recorded failure (for triage)."""
        return next((k for k in self.entries if k.covers(rule, rules, op, text, failure)), None)

    def fixed_again(self, d: Divergence) -> Known | None:
        """A 'fixed' entry that matches: a regression worth shouting about."""
        return next((k for k in self.entries if k.status == "fixed" and k.matches(d)), None)


EMPTY = Registry()

STALE_NOTE = "stale: fixed upstream?"


def stale(registry: Registry, seen: Mapping[str, int] | Iterable[str]) -> tuple[Known, ...]:
    """The entries (open or wontfix) that matched nothing: ``seen`` holds the ids a run counted (RunStats.known;
    ``"<id> (its history)"`` counts for ``<id>``) or the ids that cover some recorded failure (triage)."""
    hit = {k.split(" (", 1)[0] for k in seen}
    return tuple(k for k in registry.entries if k.status != "fixed" and k.id not in hit)


def stale_lines(registry: Registry, seen: Mapping[str, int] | Iterable[str]) -> list[str]:
    """One line per stale entry, for a run's closing summary (pytest_plugin) and triage."""
    return [f"known divergence {k.id} ({k.rule or k.failure}{', ' + '|'.join(k.ops) if k.ops else ''}): "
            f"matched nothing ({STALE_NOTE})" for k in stale(registry, seen)]


def load(path: str | Path | None) -> Registry:
    """Read a registry file (.toml or .json); BadRegistry says which entry is wrong and how."""
    if path is None:
        return EMPTY
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as e:
        raise BadRegistry(f"cannot read the known-divergence file {p}: {e.strerror}. "
                          "Pass an existing file to --pggit-known, or omit it.") from None
    except UnicodeDecodeError as e:
        raise BadRegistry(f"{p}: not UTF-8 text (byte {e.start}); a registry is a TOML or JSON file") from None
    except ValueError as e:  # a NUL in the path
        raise BadRegistry(f"cannot read the known-divergence file {p!r}: {e}") from None
    try:
        doc: Any = json.loads(raw) if p.suffix == ".json" else tomllib.loads(raw)
    except (ValueError, RecursionError) as e:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise BadRegistry(f"{p}: not valid {'JSON' if p.suffix == '.json' else 'TOML'}: {e}") from None
    items = doc.get("divergence", []) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise BadRegistry(f"{p}: expected a list of [[divergence]] entries")
    return Registry(tuple(entry(p, i, item) for i, item in enumerate(items, 1)), source=str(p))


def entry(p: Path | str, n: int, item: Any) -> Known:
    """The n-th entry of registry ``p``, validated; BadRegistry says what is wrong."""
    where = f"{p}: entry {n}"
    if not isinstance(item, dict):
        raise BadRegistry(f"{where}: expected a table with id, rule, status")
    unknown = set(item) - {f.name for f in attrs.fields(Known)}
    if unknown:
        raise BadRegistry(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                          "allowed: id, rule, op, match, failure, status, note")
    if not isinstance(item.get("id"), str) or not item["id"]:
        raise BadRegistry(f"{where}: 'id' is required (a non-empty string)")
    _check_rule(where, item)
    op = item.get("op")
    if isinstance(op, list) and op and all(isinstance(o, str) and o for o in op):
        item = {**item, "op": tuple(op)}
    elif op is not None and not (isinstance(op, str) and op):
        raise BadRegistry(f"{where}: op must be an op kind like 'alter_table' or a list of them, not {op!r}")
    for field in ("match", "failure", "note"):
        if item.get(field) is not None and not isinstance(item[field], str):
            raise BadRegistry(f"{where}: {field} must be a string, not {item[field]!r}")
    if item.get("status", "open") not in STATUSES:
        raise BadRegistry(f"{where}: status must be one of {', '.join(STATUSES)}, not {item['status']!r}")
    if item.get("match") is not None:
        item = {**item, "match": item["match"].replace(SCHEMA_TOKEN, SCHEMA)}
        try:
            re.compile(item["match"])
        except (re.error, OverflowError, RecursionError) as e:
            raise BadRegistry(f"{where}: match is not a valid regular expression: {e}") from None
    return Known(**item)


def _check_rule(where: str, item: Mapping[str, Any]) -> None:
    rule = item.get("rule")
    if rule is not None and not isinstance(rule, str):
        raise BadRegistry(f"{where}: rule must be a string like 'V10', not {rule!r}")
    if not rule and not item.get("failure"):
        raise BadRegistry(f"{where}: give a 'rule' (e.g. V10) or a recorded 'failure' id")
    if rule is not None and not re.fullmatch(r"[A-Z][0-9]+[a-z]?", rule):
        raise BadRegistry(f"{where}: rule {rule!r} is not a contract rule id like V10 or B3")
