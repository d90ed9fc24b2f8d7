"""Run a test module as a child interpreter with a fixed PYTHONHASHSEED.

Some checks must not depend on the process they run in: Python randomizes str hashing per process (set order), and
Hypothesis mines literal constants from every local module in sys.modules to bias generation, so derandomized draws
change with the modules imported before. A child interpreter with a fixed hash seed and only the module's own imports
makes such a result a function of the code alone; two children with different seeds compare across processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_module(module: str, args: list[str], *, hash_seed: int, env: dict[str, str] | None = None) -> None:
    """`python -m module args…` from the checkout's root, under PYTHONHASHSEED=hash_seed; raises if it fails."""
    subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=True,
                   env={**os.environ, **(env or {}), "PYTHONHASHSEED": str(hash_seed)})
