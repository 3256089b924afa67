"""Themes as YAML files (the shipped `themes/` and the user's themes dir) loaded into Textual themes.

A broken user file costs a one-line notice, never the cockpit: `load_themes` returns the good
themes and one message per bad file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from textual.color import Color, ColorParseError
from textual.theme import Theme

from aiops_tui.resources import shipped_dir
from aiops_tui.ui.safe import clean
from aiops_tui.yaml_keys import safe_load

DEFAULT_THEME = "dark"
COLOR_FIELDS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "boost",
                "success", "warning", "error")
OTHER_FIELDS = {"name": str, "dark": bool, "luminosity_spread": float, "text_alpha": float}


def shipped_themes_dir() -> Path:
    return shipped_dir("themes")


def user_themes_dir() -> Path:
    from aiops_tui.config import user_themes_dir as config_themes_dir

    return config_themes_dir()


def parse_theme(text: str, origin: str) -> Theme:
    """One theme from YAML text; raises ValueError naming `origin` and the field at fault."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ValueError(f"{origin}{where}: not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{origin}: a theme is a mapping of fields (name, primary, background, ...)")
    unknown = sorted(set(data) - set(COLOR_FIELDS) - set(OTHER_FIELDS))
    if unknown:
        raise ValueError(f"{origin}: unknown field {unknown[0]!r}")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise ValueError(f"{origin}: `name` is required (a string)")
    if "primary" not in data:
        raise ValueError(f"{origin}: `primary` is required")
    fields: dict[str, object] = {}
    for key, value in data.items():
        if key in COLOR_FIELDS:
            try:
                Color.parse(str(value))
            except ColorParseError:
                raise ValueError(f"{origin}: {key}: {value!r} is not a colour") from None
            fields[key] = str(value)
        else:
            kind = OTHER_FIELDS[key]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind):
                raise ValueError(f"{origin}: {key}: expected {kind.__name__}, got {value!r}")
            fields[key] = value
    return Theme(**fields)  # type: ignore[arg-type]


def load_themes(dirs: Iterable[Path]) -> tuple[list[Theme], list[str]]:
    """Every `*.yaml` theme in `dirs` (later dirs override earlier ones by name), and one line per bad file."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            try:
                theme = parse_theme(path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(clean(f"theme {path}: cannot read ({exc.__class__.__name__})"))
                continue
            except ValueError as exc:
                errors.append(clean(f"theme {exc}"))
                continue
            themes[theme.name] = theme
    return list(themes.values()), errors
