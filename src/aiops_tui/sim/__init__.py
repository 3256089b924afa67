"""The demo LLM gateway (`aiops-tui sim`): a deterministic, clock-driven model served on loopback."""
