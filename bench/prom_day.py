"""A Prometheus data directory that holds the last `--hours` of a simulated gateway, as if Prometheus had
scraped it all along: the sim's model is moved through those hours, its exposition taken every `--scrape`,
written as OpenMetrics with timestamps and turned into TSDB blocks by `promtool tsdb create-blocks-from
openmetrics`. For `bench/fill.py --span 24h`, which needs a Prometheus with a day of data.

    .venv/bin/python bench/prom_day.py --out DIR [--hours 24] [--scrape 60s] [--convention otel]
    prometheus --config.file=DIR/prometheus.yml --storage.tsdb.path=DIR/data --web.listen-address=127.0.0.1:19090

Every series carries the `job` and `instance` labels a scrape of `--target` would add: a sim started
there and scraped by that Prometheus goes on with the same series (its counters from zero, a reset that
`rate` reads through).
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_header  # noqa: E402

from aiops_tui.config import parse_duration  # noqa: E402
from aiops_tui.sim.exposition import format_value  # noqa: E402
from aiops_tui.sim.model import GatewayModel  # noqa: E402


def _labels(labels: dict[str, str], target: dict[str, str]) -> str:
    pairs = {**labels, **target}
    escaped = (pairs[k].replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"') for k in sorted(pairs))
    return "{" + ",".join(f'{k}="{v}"' for k, v in zip(sorted(pairs), escaped)) + "}"


def write_openmetrics(path: Path, model: GatewayModel, start: float, end: float, scrape_s: float,
                      target: dict[str, str]) -> int:
    """Scrapes of `model` every `scrape_s` over [start, end] as one OpenMetrics file (each family's samples
    together, as the format wants); returns the number of scrapes."""
    lines: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    scrapes = 0
    ts = start
    while ts <= end:
        model.advance(ts)
        for family in model.families():
            types[family.name] = family.type
            out = lines.setdefault(family.name, [])
            for name, labels, value in family.samples:
                out.append(f"{name}{_labels(labels, target)} {format_value(value)} {ts:.3f}")
        scrapes += 1
        ts += scrape_s
    with path.open("w") as f:
        for name, family_lines in lines.items():
            f.write(f"# TYPE {name} {types[name]}\n")
            f.write("\n".join(family_lines) + "\n")
        f.write("# EOF\n")
    return scrapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the directory to make (its data/ is the TSDB)")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--scrape", default="60s", help="the scrape interval simulated (default 60s)")
    parser.add_argument("--convention", default="otel", choices=["litellm", "otel"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--target", default="127.0.0.1:18765", help="the instance label (default 127.0.0.1:18765)")
    args = parser.parse_args()
    scrape_s = parse_duration(args.scrape, flag="--scrape")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    end = math.floor(time.time() / scrape_s) * scrape_s - scrape_s
    start = end - args.hours * 3600
    print_header(f"A Prometheus holding {args.hours:g} h of a {args.convention} sim scraped every {args.scrape}")
    began = time.perf_counter()
    model = GatewayModel(args.seed, start - 1, convention=args.convention)
    om = out / "scrapes.om"
    scrapes = write_openmetrics(om, model, start, end, scrape_s, {"job": "gateway", "instance": args.target})
    size_mb = om.stat().st_size / 1e6
    print(f"{scrapes:,} scrapes, {size_mb:.0f} MB of OpenMetrics in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    shutil.rmtree(out / "data", ignore_errors=True)
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(om), str(out / "data")],
                   check=True, stdout=subprocess.DEVNULL)
    om.unlink()
    print(f"blocks written by promtool in {time.perf_counter() - began:.1f} s")
    (out / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 5s\n"
        f"scrape_configs:\n  - job_name: gateway\n    static_configs:\n      - targets: ['{args.target}']\n")
    print(f"prometheus --config.file={out}/prometheus.yml --storage.tsdb.path={out}/data "
          "--web.listen-address=127.0.0.1:19090")


if __name__ == "__main__":
    main()
