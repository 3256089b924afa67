"""Everything outside aiops_tui.ui works headless: importing it never pulls in Textual."""

import json
import subprocess
import sys

PROBE = """
import importlib, json, pkgutil, sys
import aiops_tui
names = []
for info in pkgutil.walk_packages(aiops_tui.__path__, "aiops_tui."):
    if info.name == "aiops_tui.ui" or info.name.startswith("aiops_tui.ui."):
        continue
    importlib.import_module(info.name)
    names.append(info.name)
leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(json.dumps({"imported": names, "leaked": leaked}))
"""


def test_core_modules_never_import_textual():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert "aiops_tui.model" in result["imported"] and "aiops_tui.cli" in result["imported"]
    assert result["leaked"] == [], f"textual imported by the core: {result['leaked']}"


def test_cli_help_does_not_import_textual():
    probe = "import sys; from aiops_tui import cli; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_what_a_review_forks_to_read_its_first_views_leaves_asyncio_out():
    """The review forks before anything else and its child imports only what the first views need: asyncio
    (about 50 ms) is the UI's and the poller's, on the other process."""
    probe = ("import sys; from aiops_tui import cli, launch, forked, config, cockpit, views; "
             "from aiops_tui.store import history; print('asyncio' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_first_views_built_elsewhere_are_handed_over_without_importing_what_builds_them():
    """The demo's, live's and a review's first views come from their forked child: the cockpit's own process
    imports the views' modules (signals, store queries) only when it builds views itself, after the first frame."""
    probe = ("import sys; from aiops_tui.cockpit import Cockpit; "
             "cockpit = Cockpit(None, first_views=lambda: 'first', open_history=lambda: None); cockpit.start(); "
             "print(cockpit.views(), 'aiops_tui.views' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["first", "False"], out.stderr
