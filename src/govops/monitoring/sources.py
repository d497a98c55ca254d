"""Sources of the exporter: each one refreshed in its own thread, served from a snapshot.

A scrape never waits for a file read, an estate load or a database: it serves what the last
refresh produced. A source whose refresh fails is marked down (`govops_source_up{source} 0`)
with one log line when it goes down (and one when it recovers), never one per refresh.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger("govops.exporter")


class SourceError(Exception):
    """A source could not be read; `str()` is one line naming the thing and the fix.

    `families`, when given, are served anyway (a partial read: the source is still marked
    down, so someone fixes what could not be read)."""

    def __init__(self, message: str, families: list[Metric] | None = None):
        super().__init__(message)
        self.families = families


def gauge(name: str, doc: str, labels: Sequence[str] = (),
          samples: Iterable[tuple[Sequence[str], float]] = ()) -> GaugeMetricFamily:
    """A gauge family with its samples: `samples` are (label values, value) pairs."""
    family = GaugeMetricFamily(name, doc, labels=list(labels))
    for values, value in samples:
        family.add_metric(list(values), float(value))
    return family


class _Fixed:
    """A collector that yields a fixed list of families."""

    def __init__(self, families: list[Metric]):
        self.families = families

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> list[Metric]:
        return self.families


def render_text(families: list[Metric]) -> bytes:
    """The text exposition of `families` (done once per snapshot, not once per scrape)."""
    registry = CollectorRegistry()
    registry.register(_Fixed(families))
    return generate_latest(registry)


def one_line(exc: BaseException) -> str:
    """The first line of an error, with a count of the lines left out."""
    lines = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    more = f" (+{len(lines) - 1} more problems)" if len(lines) > 1 else ""
    return lines[0] + more


class Source:
    """One kind of data. `poll()` returns the families to serve, or None when the source is
    not configured here (then it has no series at all, not even `govops_source_up`)."""

    name = "source"
    #: Seconds between refreshes.
    interval = 5.0
    #: On failure, keep serving the last good families (True) or drop them (False).
    keep_on_error = False

    def poll(self) -> list[Metric] | None:  # pragma: no cover - interface
        raise NotImplementedError

    def describe_failure(self, message: str, since: float | None) -> str:
        """The log line for a failure (a source may add what it serves meanwhile)."""
        return f"source {self.name} is down: {message}"


@dataclass
class SourceState:
    """What a source serves now."""

    configured: bool = False
    up: bool | None = None  # None: not refreshed yet
    families: list[Metric] = field(default_factory=list)
    last_success: float | None = None
    last_attempt: float | None = None
    duration_s: float = 0.0
    error: str | None = None
    #: `families` in the text exposition format, rendered when the snapshot changed
    text: bytes = b""


class SourceRunner:
    """Refreshes one source every `source.interval` seconds in a daemon thread."""

    def __init__(self, source: Source):
        self.source = source
        self.state = SourceState()
        self.refreshed = threading.Event()  # set after the first refresh
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> SourceState:
        """Refresh once, now (also used by tests and by the first synchronous pass)."""
        src = self.source
        old = self.state
        t0 = time.monotonic()
        now = time.time()
        try:
            families = src.poll()
        except Exception as exc:  # noqa: BLE001 - any failure marks the source down
            message = one_line(exc) if isinstance(exc, SourceError) else (
                f"{type(exc).__name__}: {one_line(exc)}")
            if old.up is not False:  # one line when it goes down, not one per refresh
                log.error(src.describe_failure(message, old.last_success))
            partial = getattr(exc, "families", None)
            kept = partial if partial is not None else (
                old.families if src.keep_on_error else [])
            self.state = SourceState(True, False, kept, old.last_success, now,
                                     time.monotonic() - t0, message)
        else:
            if families is None:
                if old.configured:
                    log.info("source %s is no longer configured: its series are dropped",
                             src.name)
                self.state = SourceState(False, None, [], None, now, time.monotonic() - t0)
            else:
                if old.up is False:
                    log.warning("source %s is up again", src.name)
                self.state = SourceState(True, True, families, now, now, time.monotonic() - t0)
        new = self.state
        new.text = old.text if new.families is old.families else render_text(new.families)
        self.refreshed.set()
        return new

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"source-{self.source.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.refresh()
            self._stop.wait(max(0.1, self.source.interval - (time.monotonic() - started)))
