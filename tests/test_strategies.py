"""Strategies draw what they promise: B3-valid or -invalid names, storable text, ops the model predicts."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pggit_model.model import initial_state, step
from pggit_model.ops import CreateBranch
from pggit_model.strategies import branch_names, column_types, defaults_for, messages, ops_for, texts

B3 = re.compile(r"[A-Za-z0-9._/#-]{1,255}")


@given(branch_names("r1/"))
def test_b3_valid_branch_names_are_accepted(name):
    """B3: valid names match [A-Za-z0-9._/#-]{1,255} and the model accepts them."""
    assert B3.fullmatch(name)
    assert step(initial_state(), CreateBranch(name))[1].kind == "value"


@given(branch_names("r1/", valid=False))
def test_b3_invalid_branch_names_are_rejected(name):
    """B3: invalid names (NULL, empty, bad character, 256 long) are predicted as rejections."""
    assert step(initial_state(), CreateBranch(name))[1].is_error


@given(st.one_of(texts(), messages()))
def test_c4_texts_never_contain_nul(text):
    """C4: generated text is storable in PostgreSQL (no NUL)."""
    assert "\x00" not in text


@given(column_types().flatmap(lambda t: st.tuples(st.just(t), defaults_for(t))))
def test_defaults_fit_their_type(pair):
    """Generated defaults are ones PostgreSQL accepts for the column type."""
    from pggit_model.ops import Column
    Column("c", pair[0], default=pair[1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_b9_drawn_ops_are_never_unspecified(data):
    """B9/§12: whatever ops_for draws along a run, the model predicts it exactly."""
    state = initial_state(("app",))
    for _ in range(10):
        op = data.draw(ops_for(state, "app", "r/"))
        state, exp = step(state, op)
        assert not exp.is_unspecified, (op, exp)
