"""Branches & commits machine: create / checkout / delete / list branches with valid and invalid names, DDL
on the current branch, create_commit and commit_changes with hostile messages, and the commit graph.

Exercises B1–B11 (copy on create, checkout moves where DDL is recorded, delete with main protected, names
never reused), C1–C8 (one row per call, parents and heads, verbatim text, trimming, custom ids, graph
invariants), V4 and B8 (versioning touches only the current branch), M1–M6 (merge into the parent: one side,
both sides, conflicts, self-merge, unknown names), O3–O5 after every step.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model import strategies
from pggit_model.machines.versioning import VersioningRules
from pggit_model.ops import CheckoutBranch, CreateBranch, DeleteBranch, MergeBranches


class BranchRules(VersioningRules):
    """Branch and commit rules on top of the DDL rules (so DDL lands on whichever branch is checked out)."""

    @rule(data=st.data())
    def branch(self, data: st.DataObject) -> None:
        """create / checkout / delete / list a branch, valid or rejected by B3/B6/B10."""
        op = data.draw(strategies.branch_ops(self.model), label="branch")
        if isinstance(op, DeleteBranch) and op.name == self.model.c:
            return  # B10: machines never delete the branch this session has checked out
        self.run(op)

    @rule(data=st.data(), name=strategies.branch_names(), conflict=st.booleans())
    def change_on_a_branch_then_merge(self, data: st.DataObject, name: str, conflict: bool) -> None:
        """The git workflow: branch off, change things there (and maybe on the parent too), merge back (M2–M5)."""
        parent = self.model.c
        self.run(CreateBranch(name, parent))
        self.run(CheckoutBranch(name))
        for _ in range(data.draw(st.integers(1, 3), label="changes")):
            self.run(data.draw(strategies.ddl_ops(self.model, self.schema, invalid=0.0), label="ddl"))
        self.run(CheckoutBranch(parent))
        if conflict:
            self.run(data.draw(strategies.ddl_ops(self.model, self.schema, invalid=0.0), label="ddl on parent"))
        self.run(MergeBranches(name, parent, "Merge branch"))

    @rule(name=strategies.branch_names(), force=st.booleans())
    def delete_main_from_another_branch(self, name: str, force: bool) -> None:
        """B10: main cannot be deleted, even with force — asked from a session on another branch (B10 scope)."""
        self.run(CreateBranch(name, self.model.c))
        self.run(CheckoutBranch(name))
        if self.model.c != "main":
            self.run(DeleteBranch("main", force))
            self.run(CheckoutBranch("main"))

    @rule(data=st.data())
    def commit(self, data: st.DataObject) -> None:
        """create_commit / commit_changes with awkward text, custom ids and bad branches (C1–C7)."""
        self.run(data.draw(strategies.commit_ops(self.model), label="commit"))


class BranchesCommitsMachine(BranchRules):
    """Branches & commits machine: B1–B11, C1–C8, V4, B8 with DDL on the current branch, and merges (M1–M6)."""

    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        """merge_branches of a branch into its parent with changes on one side, both, or in conflict; or into
        itself, or with unknown names (M1–M6)."""
        self.run(data.draw(strategies.merge_ops(self.model), label="merge"))
