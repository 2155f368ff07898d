"""qfill: fill security questionnaires from a git-versioned answer library."""

__version__ = "0.1.0"
