"""Re-install and upgrade (contract U1, U2): pgGit's ``install.sql`` run again over a database it already tracks.

``check_upgrade`` judges ``--pggit-upgrade-from DIR`` before anything starts; ``reinstall`` runs an install
over an example's database mid-example (through psql, exactly as the first install, I1) and lets the example
carry on: the install's printed errors are counted as in I3 and are not findings, the backend is probed again
(an upgrade may bring contract parts the old version lacked, or lose some: I4), and the Driver records a
``Reinstall`` step so that the reproducer, replay.sql and ``pggit-model replay`` show it in its place.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from .divergences import Divergence, diverge
from .driver import Driver
from .errors import NotAPggitCheckout
from .install import REFERENCE_SOURCE, InstallReport, check_source, install
from .ops.drift import Reinstall


@attrs.frozen
class Upgrade:
    """--pggit-upgrade-from: examples start on ``old`` and are upgraded to ``source`` (None: the reference)."""

    old: str
    source: str | None


def check_upgrade(old: str | os.PathLike[str], new: str | os.PathLike[str] | None) -> str | None:
    """NotAPggitCheckout unless ``old`` is a checkout; a note when it is the same checkout as ``new`` (None: the
    bundled reference), which makes the run a re-install (U1) rather than an upgrade (U2)."""
    try:
        check_source(old)
    except NotAPggitCheckout as e:
        raise NotAPggitCheckout(f"--pggit-upgrade-from: {e} (it names the older pgGit checkout every example is "
                                "installed from before the upgrade)") from None
    target = Path(new) if new is not None else REFERENCE_SOURCE
    if Path(old).expanduser().resolve() == target.expanduser().resolve():
        return (f"--pggit-upgrade-from {old} is the same checkout as the backend under test: every example "
                "re-installs it over itself mid-example, which checks U1 (re-install), not U2 (upgrade)")
    return None


def reinstall(driver: Driver, conninfo: str, source: str | Path | None, *, upgrade: bool = False,
              psql: str = "psql", env: dict[str, str] | None = None) -> InstallReport:
    """Run ``source``'s install.sql (None: the reference) over the database at ``conninfo``, which ``driver``'s
    session uses; record the step, check pgGit's whole state (a difference is U1/<rule>, or U2/<rule> for an
    ``upgrade``) and let the example carry on with the backend as it now is. The session must hold no
    transaction open (psql runs beside it and would wait for its locks)."""
    if source is not None and Path(source).expanduser().resolve() == REFERENCE_SOURCE.resolve():
        source = None  # the bundled reference, as a recorded Reinstall names it
    report = install(conninfo, source, psql=psql, env=env)
    driver.record(Reinstall(report.source, upgrade))
    driver.missing = frozenset(report.blocked)
    driver.client.reprobe(report.probe)
    rule_id = "U2" if upgrade else "U1"
    driver.stats.rules.update((rule_id, "I1"))
    driver.stats.rules["I3"] += 1  # its printed errors are counted (report.files), not findings (I3)
    try:
        driver.check_state()
    except Divergence as d:
        raise _as(rule_id, d) from d
    return report


def _as(rule_id: str, d: Divergence) -> Divergence:
    """A state that differs right after an install breaks U1 (U2) first; the checker's rule comes second (as the
    crash machine names X6 first)."""
    what = "an upgrade" if rule_id == "U2" else "a re-install"
    try:
        diverge(f"{rule_id}/{d.rule}", f"after {what} pgGit's rows differ from what it had recorded: {d.message}",
                op=d.op, step=d.step, expected=d.expected, observed=d.observed, area=d.area, keys=d.keys)
    except Divergence as u:
        u.ops = d.ops
        for note in getattr(d, "__notes__", ()):
            u.add_note(note)
        return u
    raise AssertionError("diverge always raises")


__all__ = ["Upgrade", "check_upgrade", "reinstall"]
