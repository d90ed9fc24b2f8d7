"""Branches & commits machine: create / checkout / delete / list branches with valid and invalid names, DDL
on the current branch, create_commit and commit_changes with hostile messages, and the commit graph.

Exercises B1–B11 (copy on create, checkout moves where DDL is recorded, delete with main protected, names
never reused), C1–C8 (one row per call, parents and heads, verbatim text, trimming, custom ids, graph
invariants), V4 and B8 (versioning touches only the current branch), O3–O5 after every step.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model.machines.pools import BAD_BRANCHES, BRANCHES, MESSAGES, SQL_TEXTS
from pggit_model.machines.versioning import VersioningRules
from pggit_model.ops import (
    CheckoutBranch,
    CommitChanges,
    CreateBranch,
    CreateCommit,
    DeleteBranch,
    ListBranches,
)

ANY_BRANCH = st.one_of(BRANCHES, st.just("main"))
CUSTOM_IDS = st.one_of(st.none(), st.sampled_from(["custom-id-0001", "  custom-id-0001  ", "short", "   x   ",
                                                   "release/2026-11-25"]))


class BranchRules(VersioningRules):
    """Branch and commit rules on top of the DDL rules (so DDL lands on whichever branch is checked out)."""

    @rule(name=BRANCHES, parent=ANY_BRANCH)
    def create_branch(self, name: str, parent: str) -> None:
        self.run(CreateBranch(name, parent))

    @rule(name=BAD_BRANCHES, parent=st.one_of(ANY_BRANCH, st.none(), st.just("nope")))
    def create_branch_rejected(self, name: str | None, parent: str | None) -> None:
        self.run(CreateBranch(name, parent))

    @rule(name=st.one_of(ANY_BRANCH, st.sampled_from(["nope", ""])))
    def checkout_branch(self, name: str) -> None:
        self.run(CheckoutBranch(name))

    @rule(name=st.one_of(BRANCHES, st.sampled_from(["main", "nope"])), force=st.booleans())
    def delete_branch(self, name: str, force: bool) -> None:
        # B10: machines never delete the branch this session has checked out.
        if name == self.model.c:
            return
        self.run(DeleteBranch(name, force))

    @rule(status=st.sampled_from([None, "ACTIVE", "DELETED", "MERGED"]))
    def list_branches(self, status: str | None) -> None:
        self.run(ListBranches(status))

    @rule(branch=st.one_of(ANY_BRANCH, BAD_BRANCHES), message=st.one_of(MESSAGES, st.none()), sql_text=SQL_TEXTS)
    def create_commit(self, branch: str | None, message: str | None, sql_text: str | None) -> None:
        self.run(CreateCommit(branch, message, sql_text))

    @rule(branch=st.one_of(ANY_BRANCH, BAD_BRANCHES), message=st.one_of(MESSAGES, st.none()), custom_id=CUSTOM_IDS)
    def commit_changes(self, branch: str | None, message: str | None, custom_id: str | None) -> None:
        self.run(CommitChanges(branch, message, custom_id))


class BranchesCommitsMachine(BranchRules):
    """Branches & commits machine: B1–B11, C1–C8, V4, B8 with DDL on the current branch."""
