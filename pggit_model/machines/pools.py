"""Small pools of names and values, so that drawn operations keep meeting the same objects.

Names include ones that need quoting, a reserved word, unicode and a 63-byte name (V5: stored in catalog
spelling, never quoted). Pools are small on purpose: collisions are where versioning gets interesting.
"""

from __future__ import annotations

from hypothesis import strategies as st

from pggit_model.ops import Column
from pggit_model.ops.ddl import default_problem

LONG = "é" * 31 + "x"  # 63 bytes in UTF-8: the longest name PostgreSQL keeps whole
TABLES = st.sampled_from(["t1", "t2", "Order Items", "select", LONG])
COLUMNS = st.sampled_from(["id", "a", "b", "Näme"])
INDEXES = st.sampled_from(["i1", "i2", "Idx"])
CONSTRAINTS = st.sampled_from(["k1", "k2"])
VIEWS = st.sampled_from(["v1", "v 2"])
FUNCTIONS = st.sampled_from(["f1", "add tax"])
TYPES = st.sampled_from(
    ["integer", "bigint", "text", "character varying(20)", "numeric(10,2)", "boolean",
     "timestamp(0) without time zone"]
)
ARG_TYPES = st.lists(st.sampled_from(["integer", "text", "numeric", "boolean"]), max_size=2).map(tuple)
COMMENTS = st.one_of(st.none(), st.sampled_from(["", "note", "it's \\ \"odd\"", "ünï\ncode"]))

_DEFAULTS = st.one_of(
    st.none(), st.integers(-5, 100), st.booleans(), st.sampled_from(["", "x", "ABC", "abc", "it's"])
)


@st.composite
def defaults_for(draw: st.DrawFn, type_: str) -> object:
    """A DEFAULT the column's type accepts (or none)."""
    value = draw(_DEFAULTS)
    return value if default_problem(type_, value) is None else None


@st.composite
def columns(draw: st.DrawFn, name: st.SearchStrategy[str] = COLUMNS) -> Column:
    type_ = draw(TYPES)
    return Column(draw(name), type_, not_null=draw(st.booleans()), default=draw(defaults_for(type_)))


COLUMN_LISTS = st.lists(columns(), min_size=1, max_size=3, unique_by=lambda c: c.name).map(tuple)

# B3: valid names use [A-Za-z0-9._/#-]; the invalid ones break one clause each.
BRANCHES = st.sampled_from(["f1", "f2", "feat/x-1", "r#2.b"])
BAD_BRANCHES = st.sampled_from([None, "", "bad name", "ü", "x" * 256, "a;b"])
MESSAGES = st.one_of(
    st.sampled_from(["msg", "  padded  ", "it's \\n a \"quote\"", "line1\nline2", "ünï 🚀", "", "\t tab"]),
    st.text(st.characters(exclude_characters="\x00", codec="utf-8"), max_size=30),
)
SQL_TEXTS = st.one_of(st.none(), st.sampled_from(["CREATE TABLE a(id int)", "", "SELECT '\\'; -- x", "ä\n"]))
