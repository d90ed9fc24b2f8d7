"""``pggit-model known lint FILE``: is each registry entry a fingerprint of one bug?

An entry that gives only a rule excuses every divergence of that rule family, so a different bug of the same
rule found later passes unseen (**broad**); one without an op kind or a match is halfway there (**unspecific**).
Two entries that cover the same divergences (**overlap**) make the registry's counts lie and hide which one is
still needed: statically, when one entry's rule, op kinds and match leave the other's nothing of its own; and, given
recorded failures (a results folder) or recorded texts, when both cover the same one. An op kind that no op has
(**unknown-op**) never matches anything.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from . import known as kn
from .divergences import rule_family
from .ops import ALL_OPS

OP_KINDS = frozenset(o.kind for o in ALL_OPS)


@attrs.frozen
class Sample:
    """One recorded divergence as the registry sees it (what ``Known.covers`` takes), and where it came from."""

    rule: str | None
    rules: tuple[str, ...]
    op: str | None
    text: str
    where: str
    failure: str | None = None


@attrs.frozen
class Finding:
    kind: str  # broad | unspecific | overlap | unknown-op | duplicate-id
    entry: str
    line: int | None
    message: str

    def render(self, path: str) -> str:
        return f"{path}:{self.line or 1}: {self.kind}: {self.entry}: {self.message}"


def entry_lines(text: str) -> dict[str, int]:
    """The line of each entry's id in the registry's text (TOML ``id = "x"`` or JSON ``"id": "x"``)."""
    lines: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r'\s*(?:id\s*=|"id"\s*:)\s*["\']([^"\']+)["\']', line)
        if m:
            lines.setdefault(m.group(1), n)
    return lines


def _subsumes(a: kn.Known, b: kn.Known) -> bool:
    """``a`` covers everything ``b`` covers, as far as can be told without texts (same or no match)."""
    if a.failure is not None and a.failure != b.failure:
        return False
    if a.rule is not None and (b.rule is None or rule_family(a.rule) != rule_family(b.rule)):
        return False
    if a.ops and (not b.ops or not set(b.ops) <= set(a.ops)):
        return False
    return a.match is None or a.match == b.match


def lint(registry: kn.Registry, text: str = "", samples: Iterable[Sample] = ()) -> list[Finding]:
    """What is wrong with ``registry`` (``text``: its file, for line numbers; ``samples``: recorded divergences)."""
    lines = entry_lines(text)
    live = [k for k in registry.entries if k.status != "fixed"]
    found = [f for k in registry.entries for f in _entry_findings(k, lines.get(k.id))]
    ids = Counter(k.id for k in registry.entries)
    found += [Finding("duplicate-id", i, lines.get(i), f"{n} entries share this id: a run counts them as one, and "
                      "stale-entry reports cannot tell them apart; give each its own id")
              for i, n in ids.items() if n > 1]
    return found + _overlaps(live, lines) + _shared_samples(live, lines, samples)


def _entry_findings(k: kn.Known, at: int | None) -> list[Finding]:
    """Broad, unspecific or naming no op kind: what one entry says wrongly on its own."""
    found = []
    if k.broad:
        found.append(Finding("broad", k.id, at, f"only rule {k.rule}: it excuses every {k.rule} divergence, "
                             "a new bug too; add op = \"<kind>\" and a match on what differs"))
    elif k.unspecific:
        missing = [f for f in ("rule", "op", "match") if getattr(k, f) is None]
        found.append(Finding("unspecific", k.id, at, f"no {' and no '.join(missing)}: name the op kind and "
                             "match the differing row or message, so the entry is one bug's fingerprint"))
    found += [Finding("unknown-op", k.id, at, f"op {kind!r} is no op kind, so the entry never matches; kinds: "
                      f"{', '.join(sorted(OP_KINDS))}") for kind in k.ops if kind not in OP_KINDS]
    return found


def _overlaps(live: Sequence[kn.Known], lines: dict[str, int]) -> list[Finding]:
    """Entries another entry covers entirely."""
    found = []
    for i, a in enumerate(live):
        for b in live[i + 1:]:
            for wide, narrow in ((a, b), (b, a)):
                if _subsumes(wide, narrow):
                    found.append(Finding("overlap", narrow.id, lines.get(narrow.id),
                                         f"{wide.id} (line {lines.get(wide.id, '?')}) covers everything it does"))
                    break
    return found


def _shared_samples(live: Sequence[kn.Known], lines: dict[str, int], samples: Iterable[Sample]) -> list[Finding]:
    """Pairs of entries that both cover one recorded divergence."""
    pairs: dict[tuple[str, str], str] = {}
    for s in samples:
        hits = [k.id for k in live if k.covers(s.rule, s.rules, s.op, s.text, s.failure)]
        for i, x in enumerate(hits):
            for y in hits[i + 1:]:
                pairs.setdefault((x, y), s.where)
    return [Finding("overlap", y, lines.get(y), f"it and {x} (line {lines.get(x, '?')}) both cover the divergence "
                    f"recorded in {where}") for (x, y), where in pairs.items()]


def samples_from_runs(runs: Sequence[object]) -> list[Sample]:
    """Recorded failures (``runs.Run``) as samples."""
    out = []
    for run in runs:
        op = kn.struck(getattr(run, "failing_op", None))
        out.append(Sample(getattr(run, "rule", None), tuple(getattr(run, "rules", ())),
                          getattr(op, "kind", None),
                          kn.match_text(op, getattr(run, "message", ""), getattr(run, "expected", None),
                                        getattr(run, "observed", None)),
                          str(getattr(run, "path", None) or getattr(run, "id", "?")), getattr(run, "id", None)))
    return out


def lint_file(path: str | Path, runs: Sequence[object] = ()) -> tuple[kn.Registry, list[Finding]]:
    """Load and lint a registry file; BadRegistry if it cannot be read at all."""
    registry = kn.load(path)
    text = Path(path).read_text(encoding="utf-8")
    return registry, lint(registry, text, samples_from_runs(runs))


__all__ = ["OP_KINDS", "Finding", "Sample", "entry_lines", "lint", "lint_file", "samples_from_runs"]
