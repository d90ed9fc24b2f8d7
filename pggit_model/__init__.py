"""pggit-model: model-check pgGit against its contract with Hypothesis state machines."""

__version__ = "0.1.0"
