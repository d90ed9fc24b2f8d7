"""L4: a backend's resident memory over a long session of tracked CREATE/ALTER/DROP cycles on the same few tables.

Memory is read from ``/proc/<backend pid>/status`` while the session runs, so only a server on this machine can
be measured. The verdict is on the memory the backend owns (RssAnon + RssFile): the shared buffers it touches
(RssShmem) are the cluster's, grow with whatever it reads once, and are no leak. The same cycles on a control
database without pgGit are measured alongside, so PostgreSQL's own caches are seen for what they are.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
from attrs import frozen
from psycopg import sql

from pggit_model.cluster import Server, connect, create_database, drop_database, new_dbname
from pggit_model.isolation import Template

from .sizes import Sizes
from .stats import Verdict

SCHEMA = "limits"
TABLES = ("m0", "m1", "m2", "m3")
#: L4's bound: owned memory after all cycles within this of what it was after the baseline cycles
MAX_GROWTH_MB = 50.0
SAMPLES = 20


class NotLocal(Exception):
    """The backend's /proc entry cannot be read: the server runs elsewhere (or as someone we may not read)."""


@frozen
class Sample:
    """Memory of one backend after ``cycle`` cycles, in kB, from /proc/<pid>/status."""

    cycle: int
    rss_kb: int
    anon_kb: int
    file_kb: int
    shmem_kb: int
    #: seconds since the first cycle began (wall clock): how the cost of a cycle moves over a long session
    at: float = 0.0

    @property
    def owned_kb(self) -> int:
        return self.anon_kb + self.file_kb


def read_status(pid: int) -> dict[str, int]:
    """The kB fields of /proc/<pid>/status (VmRSS, RssAnon, …)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError as e:
        raise NotLocal(f"cannot read /proc/{pid}/status ({e.strerror}): the server is not on this machine") from None
    out = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            out[key] = int(parts[0])
    return out


def sample(pid: int, cycle: int, at: float = 0.0) -> Sample:
    s = read_status(pid)
    return Sample(cycle, s.get("VmRSS", 0), s.get("RssAnon", 0), s.get("RssFile", 0), s.get("RssShmem", 0), at)


def leak_verdict(samples: Sequence[Sample], baseline: int, bound_mb: float = MAX_GROWTH_MB) -> Verdict:
    """L4: the highest owned memory at or after ``baseline`` cycles minus the owned memory at ``baseline``."""
    base = next(s for s in samples if s.cycle >= baseline)
    later = [s for s in samples if s.cycle >= base.cycle]
    peak = max(later, key=lambda s: s.owned_kb)
    grew = (peak.owned_kb - base.owned_kb) / 1024
    return Verdict("L4", grew <= bound_mb, grew, bound_mb,
                   f"the backend's own memory (RssAnon + RssFile) went {base.owned_kb / 1024:.1f} MB after "
                   f"{base.cycle} cycles → {peak.owned_kb / 1024:.1f} MB at most by {later[-1].cycle} "
                   f"(+{grew:.1f} MB; bound {bound_mb:g} MB)")


def _cycles(conn: psycopg.Connection, cycles: int, baseline: int) -> list[Sample]:
    """Run ``cycles`` CREATE/ALTER/DROP cycles on the same four tables, sampling memory along the way."""
    pid = conn.info.backend_pid
    at = sorted({0, baseline, cycles, *range(0, cycles + 1, max(1, cycles // SAMPLES))})
    t0 = time.monotonic()
    samples = [sample(pid, 0)]
    for i in range(1, cycles + 1):
        t = sql.Identifier(SCHEMA, TABLES[i % len(TABLES)])
        conn.execute(sql.SQL("CREATE TABLE {} (id integer)").format(t))
        conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN note text DEFAULT 'x'").format(t))
        conn.execute(sql.SQL("DROP TABLE {}").format(t))
        if i in at:
            samples.append(sample(pid, i, time.monotonic() - t0))
    return samples


def _per_cycle(a: Sample, b: Sample) -> float:
    return (b.at - a.at) * 1000 / max(1, b.cycle - a.cycle)


@frozen
class MemoryReport:
    """L4's samples with pgGit and on the control, and the verdict on the pgGit backend."""

    cycles: int
    with_pggit: tuple[Sample, ...]
    control: tuple[Sample, ...]
    verdict: Verdict

    def lines(self) -> list[str]:
        def row(name: str, ss: Sequence[Sample]) -> str:
            return (f"  {name}: owned MB " + " ".join(f"{s.owned_kb / 1024:.1f}" for s in ss)
                    + f"; VmRSS {ss[0].rss_kb / 1024:.1f} → {ss[-1].rss_kb / 1024:.1f} MB; wall ms per cycle "
                    f"{_per_cycle(ss[0], ss[1]):.1f} first, {_per_cycle(ss[-2], ss[-1]):.1f} last")
        cycles = " ".join(str(s.cycle) for s in self.with_pggit)
        return [f"L4 backend memory over {self.cycles} CREATE/ALTER/DROP cycles on {len(TABLES)} tables "
                f"(after cycles {cycles}):", row("with pgGit", self.with_pggit), row("control   ", self.control),
                f"  {self.verdict.line()}"]


def run_memory(server: Server, template: Template, sizes: Sizes,
               say: Callable[[str], None] = lambda _m: None) -> MemoryReport | str:
    """L4 at ``sizes.cycles`` (baseline ``sizes.baseline``); or why it cannot be measured (a server elsewhere)."""
    with_db, control_db = template.clone("l4"), new_dbname("l4ctl")
    try:
        create_database(server, control_db)
        got: dict[str, list[Sample]] = {}
        for name, db in (("with", with_db), ("control", control_db)):
            with connect(server.conninfo(db), timeouts=False) as conn:
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
                got[name] = _cycles(conn, sizes.cycles, sizes.baseline)
            say(f"L4 {name}: {sizes.cycles} cycles done")
    except NotLocal as e:
        return str(e)
    finally:
        for db in (with_db, control_db):
            with contextlib.suppress(psycopg.Error):
                drop_database(server, db)
    return MemoryReport(sizes.cycles, tuple(got["with"]), tuple(got["control"]),
                        leak_verdict(got["with"], sizes.baseline))
