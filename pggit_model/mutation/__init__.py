"""Automatic mutation analysis of the reference backend (issue 16): operators generate mutants of its SQL text,
the runner runs the machines against each, the report scores them (``pggit-model mutate``)."""

from .operators import OPERATORS, Mutant, generate, mutants_of

__all__ = ["OPERATORS", "Mutant", "generate", "mutants_of"]
