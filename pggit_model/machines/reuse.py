"""Identical repeats and cross-id reuse for every machine: the ops an example ran are a pool later draws reuse.

The pool is the driver's own record (`Recent.of(driver.ops)`), so every op feeds it whichever rule ran it.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import strategies
from pggit_model.machine import PgGitMachine
from pggit_model.ops import DeleteBranch
from pggit_model.strategies.reuse import Recent


class ReuseRules(PgGitMachine):
    """`recent` for the strategies' text arguments, and a rule that repeats a recent op exactly."""

    @property
    def recent(self) -> Recent:
        """The last ops this example ran and the text values they carried."""
        return Recent.of(self.driver.ops)

    @precondition(lambda self: len(self.driver.ops) > 0)
    @rule(data=st.data())
    def repeat_a_recent_op(self, data: st.DataObject) -> None:
        """The same DDL or call again, with the same arguments: a second identical ALTER or COMMENT records nothing
        (V9a), a second CREATE OR REPLACE with the same definition nothing (V12), a second create_commit a second
        commit (C6), a second create_branch is rejected (B3)."""
        recent = self.recent
        if not recent.ops:
            return
        op = data.draw(strategies.repeats(recent), label="repeat")
        if isinstance(op, DeleteBranch) and op.name == self.model.c:
            return  # B10: machines never delete the branch this session has checked out
        self.run(op)
