"""Where the shipped data lives: `demo_data/`, `runbooks/`, `themes/` and `rules/`.

A wheel carries them inside the package (`aiops_tui/_shipped/`); a source checkout has them at the
top of the repository. Either way, callers ask here.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED = ("demo_data", "runbooks", "themes", "rules")


def shipped_dir(name: str) -> Path:
    if name not in SHIPPED:
        raise ValueError(f"not a shipped directory: {name!r}")
    packaged = PACKAGE_DIR / "_shipped" / name
    return packaged if packaged.is_dir() else PACKAGE_DIR.parents[1] / name
