"""Trinity machine: generate_trinity_id and commit_changes from several transactions and two sessions, with
the sequence moved to the edges that matter and the session TimeZone changed.

Exercises T1 (format, length grows past 10^6), T2 (UTC time within the transaction's bounds, whatever the
TimeZone), T3 (one nextval per call, zero-padded, never truncated: 999 999 -> 1000000), T5 (unique forever),
T6/T7 (strictly increasing in real-time order, across sessions and rollbacks), T8 (values beyond 2^31),
T9 (several calls in one statement), C7 (commit_changes uses them), X3 (the sequence never goes back).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model import strategies
from pggit_model.client import Client
from pggit_model.machines.reuse import ReuseRules
from pggit_model.ops import TIME_ZONES, GenerateTrinityId, SetTimeZone, SetTrinitySequence
from pggit_model.rules import span

#: Just below and above the 6-digit padding and the int4 range (T3, T8).
EDGES = st.sampled_from([999_997, 999_998, 999_999, 2**31 - 3, 2**31 - 1, 2**31, 10**12])


class TrinityMachine(ReuseRules):
    """Trinity machine: T1–T9, X3 across transactions, time zones and a second session."""

    RULES = (*span("T1", "T9"), "C7", "X3")

    def __init__(self) -> None:
        super().__init__()
        # A second session on the same database: nextval is not transactional, so it sees our draws (T6).
        self.other = Client(self.connect_other(), self.schema)

    @rule(data=st.data())
    def trinity(self, data: st.DataObject) -> None:
        """One ID, several in one statement (T9), or the sequence moved (T8)."""
        self.run(data.draw(strategies.trinity_ops(), label="trinity"))

    @rule(value=EDGES)
    def move_sequence_to_an_edge(self, value: int) -> None:
        self.run(SetTrinitySequence(value))

    @rule()
    def generate_on_other_session(self) -> None:
        """T5/T6: a call on another session, after ours returned, gets a larger sequence field."""
        if not self.model.aborted:
            self.driver.run(GenerateTrinityId(), session=self.other)

    @rule(zone=st.sampled_from(TIME_ZONES))
    def set_time_zone(self, zone: str) -> None:
        """T2: field 1 is UTC whatever the session's TimeZone."""
        self.run(SetTimeZone(zone))

    @rule(data=st.data())
    def commit(self, data: st.DataObject) -> None:
        """commit_changes without a custom id returns a Trinity ID (C7)."""
        self.run(data.draw(strategies.commit_ops(self.model, recent=self.recent), label="commit"))

    @rule(data=st.data())
    def transaction(self, data: st.DataObject) -> None:
        """IDs drawn in rolled-back transactions are not reused (T7)."""
        self.run(data.draw(strategies.txn_ops(self.model), label="txn"))
