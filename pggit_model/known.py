"""Known divergences: bugs of the backend already recorded, so a run explores past them.

A registry is a small TOML (or JSON) file under the user's version control::

    [[divergence]]
    id = "pggit-function-object-name"      # stable, yours
    rule = "V5"                            # the contract rule it breaks (a family like "V10" matches "V10k")
    failure = "eb7a2e3779"                 # optional: a recorded failure id (see pggit-model triage)
    op = "create_function"                 # optional: kind of the op at the failing step
    match = "FUNCTION"                     # optional: regex searched in the op, message, expected and observed
    status = "open"                        # open | fixed | wontfix (fixed entries are reported if seen again)
    note = "pgGit names functions by oid"

When a divergence matches an open entry, the run records it and goes on: the model adopts what the
database did for that part of the state only (a version row's fields and history are taken over, other
differing keys are no longer compared), and the example continues, so a bug that fires in most examples
does not hide the others.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from .divergences import Divergence, rule_family
from .errors import PggitModelError

STATUSES = ("open", "fixed", "wontfix")


class BadRegistry(PggitModelError, ValueError):
    """The known-divergence file cannot be used; the message names the file and the entry."""


@attrs.frozen
class Known:
    id: str
    rule: str | None = None
    op: str | None = None
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
        if self.op is not None and op != self.op:
            return False
        return self.match is None or re.search(self.match, text) is not None

    def matches(self, d: Divergence) -> bool:
        op = struck(d.op)
        text = match_text(op, d.message, d.expected, d.observed)
        return self.covers(d.rule, d.rules, getattr(op, "kind", None), text)


def struck(op: Any) -> Any:
    """The statement a wrapper ran (a fault striking it, the second session): entries name statements, and a bug
    of COMMENT ON is the same bug when a lock_timeout was armed around it."""
    inner = getattr(op, "op", None)
    return inner if inner is not None and hasattr(inner, "kind") else op


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
    try:
        doc: Any = json.loads(raw) if p.suffix == ".json" else tomllib.loads(raw)
    except (ValueError, tomllib.TOMLDecodeError) as e:
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
    if not item.get("rule") and not item.get("failure"):
        raise BadRegistry(f"{where}: give a 'rule' (e.g. V10) or a recorded 'failure' id")
    if item.get("rule") is not None and not re.fullmatch(r"[A-Z][0-9]+[a-z]?", str(item["rule"])):
        raise BadRegistry(f"{where}: rule {item['rule']!r} is not a contract rule id like V10 or B3")
    if item.get("status", "open") not in STATUSES:
        raise BadRegistry(f"{where}: status must be one of {', '.join(STATUSES)}, not {item['status']!r}")
    if item.get("match") is not None:
        try:
            re.compile(item["match"])
        except re.error as e:
            raise BadRegistry(f"{where}: match is not a valid regular expression: {e}") from None
    return Known(**item)
