"""Run the cockpit on the FakeCockpit, to look at it by eye: `python -m tests.ui.run_fake [--theme NAME]`."""

from __future__ import annotations

import argparse

from tests.ui.view_builders import FakeCockpit

from aiops_tui.ui.app import app_for


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--theme")
    parser.add_argument("--budget", type=float, default=7000.0)
    parser.add_argument("--review", action="store_true", help="behave like `aiops-tui review` (not live)")
    args = parser.parse_args()
    app_for(FakeCockpit(live=not args.review, budget_usd=args.budget), theme=args.theme).run()


if __name__ == "__main__":
    main()
