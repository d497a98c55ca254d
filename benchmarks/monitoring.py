"""Exporter scrape of the generated Guangdong estate, next to a naive Gauge exporter.

In one run, on the same series (the estate of 1,894 nodes, a check rollout over every device,
a drill report per scenario):

* govops exporter (custom collector over cached snapshots): first scrape after /healthz of the
  real `govops exporter` process (what the issue's check measures), then best and median of
  in-process HTTP scrapes;
* naive exporter, preloaded: one `Gauge` per metric, one `.labels(...).set()` per series, set
  once at start, served by prometheus-client's own HTTP server;
* naive exporter, fresh: the same, but re-reading its sources on every scrape (what a naive
  exporter does to stay current: load the estate, set every label set, then serialise).

Target (issue 7): ≤ 0.5 s per scrape of Guangdong. Run: `.venv/bin/python benchmarks/monitoring.py`.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest, start_http_server

from govops.estate.generator import generate
from govops.estate.loader import load_estate
from govops.monitoring.estate_metrics import estate_families
from govops.monitoring.exporter import Exporter, ExporterOptions
from govops.network.journal import Journal

ROUNDS = 7
SCENARIOS = ("switchover", "site-loss", "regional-disaster", "link-cut", "failback")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(url: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as resp:
        body = resp.read()
    return time.perf_counter() - start, body


def series_count(body: bytes) -> int:
    return sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))


def fixtures(root: Path) -> tuple[Path, Path, Path]:
    estate = root / "guangdong"
    generate("guangdong", estate)
    loaded = load_estate(estate)
    rollouts = root / "rollouts"
    journal = Journal(rollouts, "20261128-000000-bench")
    devices = list(loaded.nodes)
    journal.write("start", devices=devices, options={"check": True})
    for i, device in enumerate(devices):
        journal.write("done", device=device, status="would-change" if i % 17 == 0 else "unchanged")
    journal.write("end", stopped=None)
    reports = root / "reports"
    for i, scenario in enumerate(SCENARIOS):
        folder = reports / f"20261128T00000{i}Z-{scenario}"
        folder.mkdir(parents=True)
        (folder / "report.json").write_text(json.dumps({
            "scenario": scenario, "verdict": "pass", "rto_s": 1.0 + i, "rpo_s": 0.0,
            "lost_writes": 0, "objective": {"rto_s": 300, "rpo_s": 0},
            "finished_at": 1795800000 + i}))
    return estate, rollouts, reports


def govops_process(estate: Path, rollouts: Path, reports: Path) -> tuple[float, float, int]:
    """(seconds to /healthz, first scrape, series) of the real `govops exporter` process."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "govops", "exporter", "--estate", str(estate),
                             "--listen", f"127.0.0.1:{port}", "--rollouts", str(rollouts),
                             "--drills", str(reports), "--dc-lab", str(estate / "no-dc-lab")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        ready = time.perf_counter() - t0
        first, body = scrape(f"http://127.0.0.1:{port}/metrics")
        return ready, first, series_count(body)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def naive_registry(families: list) -> CollectorRegistry:
    """One Gauge per family, one label set per series, set once."""
    registry = CollectorRegistry()
    fill(registry, families, {})
    return registry


def fill(registry: CollectorRegistry, families: list, gauges: dict[str, Gauge]) -> None:
    for family in families:
        for sample in family.samples:
            names = tuple(sample.labels)
            gauge = gauges.get(sample.name)
            if gauge is None:
                gauge = Gauge(sample.name, family.documentation or sample.name, names,
                              registry=registry)
                gauges[sample.name] = gauge
            (gauge.labels(**sample.labels) if names else gauge).set(sample.value)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        estate, rollouts, reports = fixtures(Path(tmp))
        ready_s, first_s, process_series = govops_process(estate, rollouts, reports)

        exporter = Exporter(ExporterOptions(estate=estate, listen="127.0.0.1:0",
                                            rollouts=rollouts, drills=reports))
        exporter.refresh_all()
        server = exporter.bind()
        threading.Thread(target=exporter.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        ours = [scrape(url) for _ in range(ROUNDS)]
        body = ours[-1][1]
        families = [f for f in exporter.registry.collect() if not f.name.startswith("process_")]

        naive = naive_registry(families)
        port = free_port()
        start_http_server(port, addr="127.0.0.1", registry=naive)
        naive_url = f"http://127.0.0.1:{port}/metrics"
        preloaded = [scrape(naive_url) for _ in range(ROUNDS)]

        def fresh_body() -> bytes:
            registry = CollectorRegistry()
            loaded = load_estate(estate)
            fresh = estate_families(loaded) + [f for f in families
                                               if not f.name.startswith(("govops_estate",))]
            fill(registry, fresh, {})
            return generate_latest(registry)

        class Fresh(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                data = fresh_body()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        fresh_server = ThreadingHTTPServer(("127.0.0.1", 0), Fresh)
        threading.Thread(target=fresh_server.serve_forever, daemon=True).start()
        fresh_url = f"http://127.0.0.1:{fresh_server.server_address[1]}/metrics"
        fresh = [scrape(fresh_url) for _ in range(3)]
        exporter.shutdown()
        fresh_server.shutdown()

    def stats(runs: list[tuple[float, bytes]]) -> tuple[float, float]:
        times = [t for t, _ in runs]
        return min(times), statistics.median(times)

    ours_best, ours_med = stats(ours)
    pre_best, pre_med = stats(preloaded)
    fresh_best, fresh_med = stats(fresh)
    print(f"guangdong: {series_count(body)} series, {len(body) / 1e6:.2f} MB per scrape "
          f"(text format)")
    print(f"govops exporter process: /healthz after {ready_s:.2f} s, first scrape {first_s:.3f} s "
          f"({process_series} series incl. process_*), target <= 0.5 s")
    print(f"govops exporter, in-process HTTP:  best {ours_best:.3f} s, median {ours_med:.3f} s")
    print(f"naive Gauge exporter, preloaded:   best {pre_best:.3f} s, median {pre_med:.3f} s "
          f"({series_count(preloaded[-1][1])} series) -> ratio naive/govops "
          f"{pre_med / ours_med:.2f}x")
    print(f"naive Gauge exporter, fresh:       best {fresh_best:.3f} s, median {fresh_med:.3f} s "
          f"-> ratio naive/govops {fresh_med / ours_med:.1f}x")


if __name__ == "__main__":
    main()
