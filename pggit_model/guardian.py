"""A watchdog per throwaway cluster: when the process that owns the cluster dies, however it dies (SIGKILL, an
xdist worker that leaves through ``os._exit`` so no ``atexit`` runs, the OOM killer), the watchdog stops the server
and removes its directory at once, instead of leaving both to the next run's sweep.

The owner keeps the write end of a pipe whose read end is the watchdog's stdin, and the kernel closes it when the
owner dies, so end of file means "the owner is gone, or done with the cluster". A ``close()`` that went well has
removed the directory before it closes the pipe, and the watchdog then finds nothing to do.

    python -m pggit_model.guardian CLUSTER_DIR      (started by ``watch``; reads stdin to its end)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from attrs import frozen

from .pgprocs import remove_cluster

_HOME = str(Path(__file__).resolve().parent.parent)  # the directory pggit_model/ is in


@frozen
class Watch:
    """A running watchdog and the owner's end of its pipe."""

    process: subprocess.Popen[bytes]
    fd: int

    def release(self, timeout: float = 5) -> None:
        """The owner is done (the cluster is stopped and removed): let the watchdog go, and reap it."""
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)


def watch(root: Path) -> Watch:
    """Start the watchdog of the cluster in ``root``. The pipe's write end is not inherited by programs this
    process runs (os.pipe's descriptors are non-inheritable), so only this process's death closes it."""
    read, write = os.pipe()
    try:
        # Own session: a Ctrl-C in the terminal is the owner's to handle, not the watchdog's. Run from the
        # directory holding this package, so `-m` finds the owner's own copy (a checkout not installed, a worktree).
        process = subprocess.Popen([sys.executable, "-m", "pggit_model.guardian", str(root)], stdin=read,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=_HOME,
                                   start_new_session=True)
    except BaseException:
        os.close(write)
        raise
    finally:
        os.close(read)
    return Watch(process, write)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pggit_model.guardian CLUSTER_DIR (stdin: the owner's pipe)", file=sys.stderr)
        return 2
    root = Path(argv[0])
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(4096):  # nothing is ever written: this waits for end of file
            pass
    if root.exists():
        remove_cluster(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
