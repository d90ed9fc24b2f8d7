"""Parallel sessions (X8–X10): drawn programs, a runner on real connections, a linearizability checker, and
isolation specs for replay. See docs/parallel.md."""

from pggit_model.parallel.checker import Verdict, check_history, linearize
from pggit_model.parallel.drawing import programs
from pggit_model.parallel.history import Event, History, Unit, timeline
from pggit_model.parallel.machine import ParallelHarness
from pggit_model.parallel.program import Program

__all__ = ["Event", "History", "ParallelHarness", "Program", "Unit", "Verdict", "check_history", "linearize",
           "programs", "timeline"]
