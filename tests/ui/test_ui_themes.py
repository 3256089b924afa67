"""Themes: the shipped YAML files load, the 256-colour one really is, and a bad user file costs one line, not the app."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aiops_tui.ui.themes import load_themes, parse_theme, shipped_themes_dir
from ui.pilot_helpers import cockpit_app, settle

REQUIRED = {"name", "primary", "secondary", "accent", "foreground", "background", "surface", "panel", "success", "warning", "error", "dark"}


def xterm_256_palette() -> set[str]:
    """Colours 16-255 of xterm: the 6x6x6 cube on levels 0,95,135,175,215,255 and the grey ramp 8+10i."""
    levels = (0x00, 0x5F, 0x87, 0xAF, 0xD7, 0xFF)
    cube = {f"#{r:02x}{g:02x}{b:02x}" for r in levels for g in levels for b in levels}
    greys = {f"#{v:02x}{v:02x}{v:02x}" for v in range(8, 239, 10)}
    return cube | greys


def test_shipped_themes_load_with_every_field() -> None:
    themes, errors = load_themes([shipped_themes_dir()])
    assert errors == []
    assert {t.name for t in themes} == {"dark", "light", "high-contrast", "ansi-256"}
    for path in shipped_themes_dir().glob("*.yaml"):
        assert REQUIRED <= set(yaml.safe_load(path.read_text())), path.name


def test_ansi_256_theme_uses_only_xterm_palette_colours() -> None:
    data = yaml.safe_load((shipped_themes_dir() / "ansi-256.yaml").read_text())
    colours = {k: str(v).lower() for k, v in data.items() if k not in ("name", "dark")}
    assert len(colours) == 10
    assert {k: v for k, v in colours.items() if v not in xterm_256_palette()} == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nprimary: [", "not valid YAML"),
        ("- a list", "a theme is a mapping"),
        ("primary: '#fff'", "`name` is required"),
        ("name: x\nprimary: notacolour", "primary: 'notacolour' is not a colour"),
        ("name: x\nprimary: '#fff'\nsparkle: 1", "unknown field 'sparkle'"),
        ("name: x\nprimary: '#fff'\ndark: maybe", "dark: expected bool"),
    ],
)
def test_bad_theme_names_file_and_field(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_theme(text, "mine.yaml")
    assert str(err.value).startswith("mine.yaml") and message in str(err.value)


def test_user_theme_dir_overrides_and_reports_bad_files(tmp_path: Path) -> None:
    user = tmp_path / "themes"
    user.mkdir()
    (user / "dark.yaml").write_text("name: dark\nprimary: '#ff0000'\n")
    (user / "broken.yaml").write_text("name: [\n")
    themes, errors = load_themes([shipped_themes_dir(), user])
    assert {t.name: t.primary for t in themes}["dark"] == "#ff0000"
    assert len(errors) == 1 and "broken.yaml" in errors[0] and "\n" not in errors[0]


async def test_bad_user_theme_is_a_notification_not_a_crash(isolated_config: Path) -> None:
    themes = isolated_config / "aiops-tui" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.yaml").write_text("name: [unclosed\n")
    (themes / "night.yaml").write_text("name: night\nprimary: '#5f87d7'\nbackground: '#000000'\n")
    app = cockpit_app(theme="no-such-theme")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("broken.yaml" in m for m in messages)
        assert any("theme 'no-such-theme' not found; using dark" in m for m in messages)
        assert app.theme == "dark"
        assert "night" in app.available_themes
        await pilot.press("t")
        assert app.theme == "light"  # shipped themes cycle first, in their order
