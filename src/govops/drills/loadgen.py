"""Load generator: files applications at a steady rate and keeps a ledger of acknowledged writes.

A pacer thread schedules write i at t0 + i/rate whatever happens to earlier writes (an outage
does not slow the offered load); worker threads with keep-alive connections send them. Each
201 is appended to `ledger.csv` as `id,sent,acked,centre` at once (one write() per line, so a
killed generator loses no acknowledged write from its ledger); every other outcome goes to
`failures.csv`. The ledger lives outside the databases, so after a failover "acknowledged
but missing from the new primary" is an exact count of lost writes.

Run: `python -m govops.drills.loadgen --work-dir DIR --url http://198.19.250.254:PORT
[--rate 200] [--workers 64] [--timeout 3]`; SIGTERM stops it (in-flight writes are finished).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from govops.drills.workdir import (
    FAILURES_HEADER,
    LEDGER_HEADER,
    Ack,
    Failure,
    WorkDir,
    ack_line,
    failure_line,
)


@dataclass
class Counters:
    sent: int = 0
    acked: int = 0
    failed: int = 0
    shed: int = 0  # not sent: every worker was busy (the service is stalled)


class LoadGenerator:
    """Offers `rate` writes a second to the service at `url` until stop()."""

    def __init__(self, work: WorkDir, url: str, *, rate: float = 200.0, workers: int = 64,
                 timeout: float = 3.0, prefix: str | None = None):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.work = work
        self.rate = rate
        self.workers = workers
        self.timeout = timeout
        self.prefix = prefix or f"w{int(time.time() * 1000):x}"
        self.jobs: queue.Queue[tuple[str, float] | None] = queue.Queue()
        self.stopping = threading.Event()
        self.counts = Counters()
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self._ledger = self._open(work.ledger, LEDGER_HEADER)
        self._failures = self._open(work.failures, FAILURES_HEADER)

    @staticmethod
    def _open(path: Path, header: str) -> int:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if os.fstat(fd).st_size == 0:
            os.write(fd, header.encode())
        return fd

    def start(self) -> None:
        for i in range(self.workers):
            t = threading.Thread(target=self._worker, name=f"w{i}", daemon=True)
            t.start()
            self.threads.append(t)
        pacer = threading.Thread(target=self._pace, name="pacer", daemon=True)
        pacer.start()
        self.threads.append(pacer)

    def _pace(self) -> None:
        t0 = time.time()
        i = 0
        while not self.stopping.is_set():
            due = t0 + i / self.rate
            delay = due - time.time()
            if delay > 0 and self.stopping.wait(delay):
                break
            write_id = f"{self.prefix}-{i:07d}"
            if self.jobs.qsize() >= self.workers:
                with self.lock:
                    self.counts.shed += 1
                self._fail(Failure(write_id, time.time(), time.time(), "shed: every worker busy"))
            else:
                self.jobs.put((write_id, time.time()))
            i += 1

    def _fail(self, failure: Failure) -> None:
        os.write(self._failures, failure_line(failure).encode())

    def _worker(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while True:
            job = self.jobs.get()
            if job is None:
                break
            write_id, sent = job
            body = json.dumps({"id": write_id, "citizen": f"citizen-{write_id[-4:]}",
                               "service": "social-security-card"}, ensure_ascii=False)
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                conn.request("POST", "/applications", body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                now = time.time()
                if resp.status == 201:
                    centre = str(json.loads(data).get("centre", "?"))
                    os.write(self._ledger, ack_line(Ack(write_id, sent, now, centre)).encode())
                    with self.lock:
                        self.counts.sent += 1
                        self.counts.acked += 1
                    continue
                reason = f"HTTP {resp.status}"
                try:
                    reason += ": " + str(json.loads(data).get("error", ""))
                except ValueError:
                    pass
            except (OSError, http.client.HTTPException) as exc:
                now = time.time()
                reason = f"{type(exc).__name__}: {exc}"
                if conn is not None:
                    conn.close()
                conn = None
            self._fail(Failure(write_id, sent, now, reason))
            with self.lock:
                self.counts.sent += 1
                self.counts.failed += 1
        if conn is not None:
            conn.close()

    def stop(self) -> Counters:
        """Stop offering load, let in-flight writes finish (≤ timeout), close the files."""
        self.stopping.set()
        while True:  # writes not sent yet are dropped: they were never offered to the service
            try:
                self.jobs.get_nowait()
            except queue.Empty:
                break
        for _ in range(self.workers):
            self.jobs.put(None)
        deadline = time.monotonic() + self.timeout + 2
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if not any(t.is_alive() for t in self.threads):
            os.close(self._ledger)
            os.close(self._failures)
        return self.counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govops.drills.loadgen")
    parser.add_argument("--work-dir", required=True, type=Path)
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--prefix", default=None)
    args = parser.parse_args(argv)
    work = WorkDir(args.work_dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    gen = LoadGenerator(work, args.url, rate=args.rate, workers=args.workers,
                        timeout=args.timeout, prefix=args.prefix)
    gen.start()
    work.event("load-started", rate=args.rate, prefix=gen.prefix, url=args.url)
    stop.wait()
    counts = gen.stop()
    work.event("load-stopped", sent=counts.sent, acked=counts.acked, failed=counts.failed,
               shed=counts.shed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
