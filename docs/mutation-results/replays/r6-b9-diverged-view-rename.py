"""R6/V23 on B9's shared catalog (open finding, reference): a view replaced on a branch (the catalog's view now reads
t2 / calls h), then on the parent the relation or function the *parent's* record names renamed (t -> u, f -> g), then
the parent replaces the view with the query it recorded, by identity (SELECT a FROM u / SELECT app.g()). V23: the
parent's recorded query references t (f) by identity, now named u (g): the same query, nothing to record — the
model's answer. The reference records ALTER MINOR: `_refresh_referrers` re-renders only the recorded definitions that
were the catalog's last rendering (`view_renderings`), and the parent's was not (the branch replaced the view), so it
keeps naming t (f). Pre-existing for relations; since `4194027` the same for functions. A fix needs an identity form
of a recorded query (V23's implementer note: stored node trees without `:location`, and without the `eref` names that
pg_rewrite keeps from creation), not a text. Run from a checkout: PYTHONPATH=. python <this file>; output in the .log
beside it. The machines' `leave_a_branch_diverged` renames a table that is not the diverged view's source."""
import psycopg

from pggit_model.cluster import start_server
from pggit_model.install import install
from pggit_model.model import initial_state, step
from pggit_model.ops import (
    CheckoutBranch,
    Column,
    CreateBranch,
    CreateCallingView,
    CreateFunction,
    CreateTable,
    CreateView,
    RenameFunction,
    RenameRelation,
)

S = "app"
cases = {
 "function": [CreateFunction(S, "f", (), 1), CreateFunction(S, "h", (), 2), CreateCallingView(S, "v", S, "f"),
              CreateBranch("b", "main"), CheckoutBranch("b"), CreateCallingView(S, "v", S, "h", or_replace=True),
              CheckoutBranch("main"), RenameFunction(S, "f", (), "g"),
              CreateCallingView(S, "v", S, "g", or_replace=True)],
 "relation": [CreateTable(S, "t", (Column("a", "integer"),)), CreateTable(S, "t2", (Column("a", "integer"),)),
              CreateView(S, "v", "t", ("a",)), CreateBranch("b", "main"), CheckoutBranch("b"),
              CreateView(S, "v", "t2", ("a",), or_replace=True), CheckoutBranch("main"),
              RenameRelation("TABLE", S, "t", "u"), CreateView(S, "v", "u", ("a",), or_replace=True)],
}
server = start_server()
try:
    for name, ops_ in cases.items():
        st = initial_state((S,))
        for op in ops_:
            st, e = step(st, op)
        model = [tuple(h[:2]) for h in st.db.history.get(("VIEW", S, "v", "main"), ())]
        with psycopg.connect(server.conninfo("postgres"), autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS demo")
            c.execute("CREATE DATABASE demo")
        dsn = server.conninfo("demo")
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("CREATE SCHEMA app")
        install(dsn, None)
        with psycopg.connect(dsn, autocommit=True) as c:
            for op in ops_:
                s = op.to_sql()
                if isinstance(op, (CreateBranch, CheckoutBranch)):
                    c.execute(s)
                else:
                    c.execute(s)
            ref = c.execute("SELECT h.change_type::text, h.change_severity::text FROM pggit.history h"
                            " JOIN pggit.objects o ON o.id = h.object_id"
                            " WHERE o.object_type='VIEW' AND o.branch_name='main' ORDER BY h.id").fetchall()
        print(name, "model", model, "reference", ref, "last expected:", e.kind, e.rules)
finally:
    server.close()
