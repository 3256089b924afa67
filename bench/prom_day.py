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
from aiops_tui.sim.exposition import write_openmetrics  # noqa: E402
from aiops_tui.sim.model import GatewayModel  # noqa: E402


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
    model = GatewayModel(args.seed, start, convention=args.convention)
    om = out / "scrapes.om"
    count = write_openmetrics(om, model.scrapes(end, scrape_s), {"job": "gateway", "instance": args.target})
    size_mb = om.stat().st_size / 1e6
    print(f"{count:,} scrapes, {size_mb:.0f} MB of OpenMetrics in {time.perf_counter() - began:.1f} s")
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
