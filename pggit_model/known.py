"""Known divergences: bugs of the backend already recorded, so a run explores past them.

A registry is a small TOML (or JSON) file under the user's version control::

    [[divergence]]
    id = "pggit-function-object-name"      # stable, yours
    rule = "V5"                            # the contract rule it breaks (a family like "V10" matches "V10k")
    op = "create_function"                 # optional: kind of the op at the failing step
    match = "FUNCTION"                     # optional: regex searched in the message, expected and observed
    status = "open"                        # open | fixed | wontfix (fixed entries are reported if seen again)
    note = "pgGit names functions by oid"

When a divergence matches an open entry, the run records it and goes on: the model adopts what the
database did for that part of the state only (the keys that differ), and the example continues, so a
bug that fires in most examples does not hide the others.
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
    rule: str
    op: str | None = None
    match: str | None = None
    status: str = "open"
    note: str = ""

    def matches(self, d: Divergence) -> bool:
        if rule_family(self.rule) != rule_family(d.rule) and self.rule not in d.rules:
            return False
        if self.op is not None and getattr(d.op, "kind", None) != self.op:
            return False
        if self.match is not None:
            text = f"{d.message}\n{d.expected}\n{d.observed}"
            if not re.search(self.match, text):
                return False
        return True


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
    return Registry(tuple(_entry(p, i, item) for i, item in enumerate(items, 1)), source=str(p))


def _entry(p: Path, n: int, item: Any) -> Known:
    where = f"{p}: entry {n}"
    if not isinstance(item, dict):
        raise BadRegistry(f"{where}: expected a table with id, rule, status")
    unknown = set(item) - {f.name for f in attrs.fields(Known)}
    if unknown:
        raise BadRegistry(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                          "allowed: id, rule, op, match, status, note")
    for required in ("id", "rule"):
        if not isinstance(item.get(required), str) or not item[required]:
            raise BadRegistry(f"{where}: '{required}' is required (a non-empty string)")
    if not re.fullmatch(r"[A-Z][0-9]+[a-z]?", item["rule"]):
        raise BadRegistry(f"{where}: rule {item['rule']!r} is not a contract rule id like V10 or B3")
    if item.get("status", "open") not in STATUSES:
        raise BadRegistry(f"{where}: status must be one of {', '.join(STATUSES)}, not {item['status']!r}")
    if item.get("match") is not None:
        try:
            re.compile(item["match"])
        except re.error as e:
            raise BadRegistry(f"{where}: match is not a valid regular expression: {e}") from None
    return Known(**item)


def dump_toml(entries: Iterable[Known]) -> str:
    """Entries as TOML (to start a registry from a run's findings)."""
    out = []
    for k in entries:
        out.append("[[divergence]]")
        for f in attrs.fields(Known):
            v = getattr(k, f.name)
            if v is not None and v != "":
                out.append(f"{f.name} = {json.dumps(v, ensure_ascii=False)}")
        out.append("")
    return "\n".join(out)
