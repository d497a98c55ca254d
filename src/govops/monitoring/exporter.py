"""`govops exporter`: the estate, the data centres, drills and rollouts as Prometheus metrics.

Four sources (`estate`, `replication`, `drills`, `rollouts`) are each refreshed by their own
thread (see `govops.monitoring.sources`) into a snapshot of metric families, which is rendered
to the text format once, when it changes. A scrape joins those texts and adds what custom
collectors build live (`govops_source_up{source}` and friends, process metrics): it never
waits for a database or an estate reload, and the Guangdong estate (≈1,900 nodes, ≈10,000
series) scrapes in milliseconds. `/healthz` answers 200 once every source has been read once.

    exporter = Exporter(ExporterOptions(estate=Path("inventories/lab")))
    exporter.start()          # refresher threads
    exporter.serve_forever()  # HTTP: /metrics, /healthz
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from govops import __version__
from govops.errors import BadInput
from govops.monitoring.drills import DrillSource
from govops.monitoring.estate_metrics import EstateSource
from govops.monitoring.replication import ReplicationSource
from govops.monitoring.rollouts import RolloutSource
from govops.monitoring.sources import Source, SourceRunner, gauge

log = logging.getLogger("govops.exporter")

DEFAULT_LISTEN = "127.0.0.1:9860"


def parse_listen(text: str) -> tuple[str, int]:
    """'ADDR:PORT', '[V6ADDR]:PORT' or ':PORT' → (host, port); BadInput otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise BadInput(f"--listen {text!r}: expected ADDR:PORT, e.g. 127.0.0.1:9860 or [::1]:9860")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


@dataclass
class ExporterOptions:
    """Where each source reads from; `None` switches a source off."""

    estate: Path
    listen: str = DEFAULT_LISTEN
    dsn: str | None = None
    dc_lab: Path | None = None
    drills: Path | None = None
    schedule: Path | None = None
    rollouts: Path | None = None
    db_timeout_s: int = 2


class HealthCollector(Collector):
    """The sources' own health: `govops_source_up` and friends (cheap, built per scrape)."""

    def __init__(self, runners: list[SourceRunner]):
        self.runners = runners

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        up, last, duration = [], [], []
        for runner in self.runners:
            state = runner.state
            if not state.configured:
                continue
            name = runner.source.name
            up.append(((name,), 1 if state.up else 0))
            if state.last_success is not None:
                last.append(((name,), state.last_success))
            duration.append(((name,), state.duration_s))
        yield gauge("govops_source_up", "1 when the source's last refresh worked, 0 when it "
                    "failed (see the exporter's log).", ["source"], up)
        yield gauge("govops_source_last_success_timestamp_seconds",
                    "When the source last refreshed successfully (Unix time).", ["source"], last)
        yield gauge("govops_source_refresh_duration_seconds",
                    "How long the source's last refresh took.", ["source"], duration)
        yield gauge("govops_exporter_build_info", "The govops exporter: 1, its version as label.",
                    ["version"], [((__version__,), 1)])


class SnapshotCollector(Collector):
    """Every configured source's current snapshot (the families its last refresh built)."""

    def __init__(self, runners: list[SourceRunner]):
        self.runners = runners

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        for runner in self.runners:
            if runner.state.configured:
                yield from runner.state.families


class Exporter:
    """The sources, their refresher threads, the registry and the HTTP server."""

    def __init__(self, options: ExporterOptions):
        self.options = options
        estate = EstateSource(options.estate)
        sources: list[Source] = [estate]
        sources.append(ReplicationSource(dsn=options.dsn, dc_lab=options.dc_lab,
                                         estate_source=estate,
                                         connect_timeout=options.db_timeout_s))
        if options.drills is not None:
            sources.append(DrillSource(options.drills, options.schedule))
        if options.rollouts is not None:
            sources.append(RolloutSource(options.rollouts))
        self.sources = sources
        self.runners = [SourceRunner(s) for s in sources]
        # per scrape: the sources' health and the process; the snapshots are pre-rendered text
        self.live = CollectorRegistry()
        self.live.register(HealthCollector(self.runners))
        ProcessCollector(registry=self.live)
        # everything, as families (tests, tools)
        self.registry = CollectorRegistry()
        self.registry.register(SnapshotCollector(self.runners))
        self.registry.register(HealthCollector(self.runners))
        self._server: ThreadingHTTPServer | None = None

    @property
    def ready(self) -> bool:
        return all(r.refreshed.is_set() for r in self.runners)

    def start(self) -> None:
        for runner in self.runners:
            runner.start()

    def refresh_all(self) -> None:
        """Refresh every source once, now, in this thread (tests, benchmarks)."""
        for runner in self.runners:
            runner.refresh()

    def metrics(self) -> bytes:
        """The scrape: each source's snapshot as rendered after its refresh, then the live part.
        A snapshot is rendered once (by its refresher thread), not once per scrape."""
        cached = [r.state.text for r in self.runners if r.state.configured]
        return b"".join(cached) + generate_latest(self.live)

    def health(self) -> dict:
        return {
            "ready": self.ready,
            "sources": {r.source.name: {"configured": r.state.configured, "up": r.state.up,
                                        "error": r.state.error}
                        for r in self.runners},
        }

    def bind(self) -> ThreadingHTTPServer:
        host, port = parse_listen(self.options.listen)
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, CONTENT_TYPE_LATEST, exporter.metrics())
                elif path == "/healthz":
                    health = exporter.health()
                    body = json.dumps(health, indent=1, ensure_ascii=False).encode() + b"\n"
                    self._send(200 if health["ready"] else 503, "application/json", body)
                elif path == "/":
                    self._send(200, "text/html; charset=utf-8",
                               b"<html><body><h1>govops exporter</h1><a href='/metrics'>metrics"
                               b"</a> <a href='/healthz'>healthz</a></body></html>")
                else:
                    self._send(404, "text/plain", b"not found: try /metrics or /healthz\n")

            def _send(self, code: int, ctype: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt: str, *args: object) -> None:
                log.debug("%s %s", self.address_string(), fmt % args)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        try:
            self._server = Server((host, port), Handler)
        except OSError as exc:
            raise BadInput(f"--listen {self.options.listen}: cannot listen there "
                           f"({exc.strerror}): choose a free address and port") from None
        return self._server

    def serve_forever(self) -> None:
        server = self._server or self.bind()
        server.serve_forever(poll_interval=0.5)

    def shutdown(self) -> None:
        for runner in self.runners:
            runner.stop()
        if self._server is not None:
            threading.Thread(target=self._server.shutdown, daemon=True).start()


def run(options: ExporterOptions) -> None:
    """Run the exporter until SIGTERM/SIGINT (the CLI's entry point)."""
    exporter = Exporter(options)
    server = exporter.bind()
    host, port = server.server_address[:2]
    enabled = [s.name for s in exporter.sources]
    log.info("govops exporter %s listening on %s:%s (sources: %s; estate %s)", __version__,
             host, port, ", ".join(enabled), options.estate)
    exporter.start()

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        exporter.shutdown()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    t0 = time.monotonic()
    threading.Thread(target=_announce_ready, args=(exporter, t0), daemon=True).start()
    exporter.serve_forever()


def _announce_ready(exporter: Exporter, t0: float) -> None:
    for runner in exporter.runners:
        runner.refreshed.wait()
    states = ", ".join(f"{r.source.name}={'up' if r.state.up else 'down' if r.state.configured else 'off'}"
                       for r in exporter.runners)
    log.info("ready in %.2f s: %s", time.monotonic() - t0, states)
