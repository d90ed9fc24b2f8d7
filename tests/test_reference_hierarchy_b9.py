"""Reference backend, second model: a table whose place in a hierarchy another branch changed in the shared catalog
(§14.1 V23 (5), V24s/t/x; B9), then main's next statement on it (V9a, V9), and parents renamed or re-created (R6,
V20): each sequence of tests/test_model_hierarchy_b9.py replayed on a real server, every step against the model."""

from __future__ import annotations

import pytest

from tests.test_model_hierarchy_b9 import SEQUENCES
from tests.test_reference_tracking import agrees_with_model

pytestmark = pytest.mark.server


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_v9a_v24s_t_x_b9_r6_a_place_changed_elsewhere_agrees_with_the_model(pggit_conn, name):
    """V9a, V23 (5), V24s/t/x, V9, B9, R6, V20: the reference records what the model predicts at every step (the
    model left main's last statement open before, and the reference counted any CHECK that came with leaving a
    partitioned table as V24t's, where only the old bound's is)."""
    agrees_with_model(pggit_conn, SEQUENCES[name][0])
