"""Re-install machine: DDL, branches, commits and merges, with pgGit's install.sql run again over the example's
database mid-example; under ``--pggit-upgrade-from DIR`` every machine's examples start on DIR's version and
are upgraded to the backend under test at a drawn step.

Exercises U1: after a re-install every row of objects, history, branches, commits and merge_conflicts is as it
was (by O8 keys), trinity_id_seq has not moved back, and tracking goes on (the next DDL is checked as usual).
The install's printed errors are counted as in I3, not findings. U2: the same across an upgrade, for the
columns both versions have (the backend is probed again afterwards, so what the newer version lacks is not
compared, I4), and the newer version's version API answers from the older version's rows (V17–V19).

Clone isolation: psql runs the install on a session of its own, which sees only committed work.
"""

from __future__ import annotations

import unittest
from pathlib import Path
from typing import Any

from hypothesis.stateful import precondition, rule

from pggit_model.machine import PgGitMachine
from pggit_model.machines.branches_commits import BranchRules
from pggit_model.upgrade import reinstall

#: An install takes 0.1 s (reference) to seconds (pgGit): a couple per example.
MAX_REINSTALLS = 2

UPGRADE_SKIP = ("under --pggit-upgrade-from the crash machine is skipped: it installs its backend on a cluster of "
                "its own, so its examples would not start on the older version; run it without the option")



class ReinstallRules(PgGitMachine):
    """The re-install rule; any machine mixed with it runs on clone isolation (``upgrading`` does that)."""

    isolation = "clone"

    def __init__(self) -> None:
        super().__init__()
        self.reinstalls = 0
        self.upgraded = False

    def _target(self) -> tuple[str | Path | None, str]:
        """The checkout to install now (None: the reference) and the rule it checks."""
        h = self.harness
        if h.upgrade_to is not None and not self.upgraded:
            return h.upgrade_to.source, "U2"
        report = h.upgrade_report if self.upgraded and h.upgrade_report is not None else h.template.report
        return (None if report.backend == "reference" else report.source), "U1"

    def _reinstall(self) -> None:
        source, rule_id = self._target()
        server = self.harness.template.server
        self.reinstalls += 1
        if rule_id == "U2":
            self.upgraded = True  # (also when the state check after it fails: never twice)
        report = reinstall(self.driver, self.conninfo, source, upgrade=rule_id == "U2", psql=server.psql,
                           env=getattr(server, "psql_env", dict)())
        if rule_id == "U2":
            self.harness.upgrade_report = report

    @precondition(lambda self: self.model.txn is None and self.reinstalls < MAX_REINSTALLS)
    @rule()
    def reinstall(self) -> None:
        """U1 (U2 when upgrading): install.sql again over this database: every row stays, tracking goes on."""
        self._reinstall()

    def teardown(self) -> None:
        """Under --pggit-upgrade-from every example is upgraded: at its end if no step drew the upgrade."""
        try:
            if self.harness.upgrade_to is not None and not self.upgraded and self.model.txn is None:
                self._reinstall()
        finally:
            super().teardown()


class ReinstallMachine(ReinstallRules, BranchRules):
    """Re-install machine: U1 amid DDL, branches, commits and merges (U2 under --pggit-upgrade-from)."""

    RULES = ("U1",)


def upgrading(machine: type[PgGitMachine]) -> type[PgGitMachine]:
    """``machine`` with the re-install rule mixed in, on clone isolation, for --pggit-upgrade-from (its name
    kept, so runs are recorded under it); SkipTest for a machine that cannot start on the older version."""
    if issubclass(machine, ReinstallRules):
        return machine
    if not getattr(machine, "upgradable", True):
        raise unittest.SkipTest(UPGRADE_SKIP)
    attrs: dict[str, Any] = {"isolation": "clone", "__module__": machine.__module__,
                             "__doc__": machine.__doc__}
    return type(machine.__name__, (ReinstallRules, machine), attrs)


__all__ = ["MAX_REINSTALLS", "ReinstallMachine", "ReinstallRules", "upgrading"]

