"""Skip a test when a Prometheus binary is missing, or fail it when AIOPS_REQUIRE_PROMETHEUS=1 (CI)."""

from __future__ import annotations

import os
import shutil

import pytest


def require_binary(name: str) -> str:
    """Path of `name` (PATH, then /usr/bin); skip with a one-line reason, or fail under CI's flag."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
    if path:
        return path
    reason = f"{name} not installed (apt-get install --no-install-recommends prometheus)"
    if os.environ.get("AIOPS_REQUIRE_PROMETHEUS") == "1":
        pytest.fail(f"{reason}, and AIOPS_REQUIRE_PROMETHEUS=1 requires it")
    pytest.skip(reason)
