"""aiops-tui: a terminal operations cockpit for teams that run LLM-backed systems."""

__version__ = "0.1.0"
