"""The failover manager: watches the primary, declares it dead, promotes and re-points.

It plays the part an HA manager (Patroni, repmgrd, a cloud's DR orchestrator) plays in
production, and runs as its own process during unplanned-loss drills:

1. every `interval` seconds open a TCP connection to the primary's PostgreSQL port (timeout =
   `interval`); `misses` failures in a row declare it dead ("detected");
2. promote the first candidate (in the order given: same-city first, then remote DR) that
   answers and is a standby ("promoted"); `datacentres.promote` refuses while another
   primary is still reachable, so a false alarm cannot split the brain;
3. re-point every other reachable standby at the new primary and check it follows the new
   timeline; one that replayed WAL the promoted standby never received (the old primary's
   stream to it ran ahead) is rewound with pg_rewind ("repointed"/"rewound"), then exit
   ("failover-done").

Every step is an event in the drill's events.jsonl, with epoch times. SIGTERM stops it between
steps, never in the middle of a promotion.

Run: `python -m govops.drills.failover --work-dir DIR --dc-dir .lab/dc --candidates dc-b,dc-c
[--primary dc-a] [--interval 0.2] [--misses 3] [--timeout 300]`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from govops.drills.labinfo import centre, centres, follows, recorded_primary, tcp_alive
from govops.drills.workdir import WorkDir


class FailoverManager:
    def __init__(self, work: WorkDir, dc: Path, candidates: list[str], *, primary: str | None = None,
                 interval: float = 0.2, misses: int = 3, timeout: float = 300.0):
        self.work = work
        self.dc = dc
        self.candidates = candidates
        self.primary = primary or recorded_primary(dc)
        self.interval = interval
        self.misses = misses
        self.timeout = timeout
        self.stop = threading.Event()

    def watch(self) -> float | None:
        """Probe the primary until it is declared dead; returns the detection time (epoch),
        None when stopped or timed out first."""
        target = centre(self.dc, self.primary)
        missed = 0
        first_miss = 0.0
        watching = False
        deadline = time.monotonic() + self.timeout
        while not self.stop.is_set() and time.monotonic() < deadline:
            t_probe = time.time()
            tick = time.monotonic()
            if tcp_alive(target.address, target.port, self.interval):
                if not watching:
                    self.work.event("watching", centre=self.primary, interval_s=self.interval,
                                    misses=self.misses)
                    watching = True
                missed = 0
            else:
                missed += 1
                if missed == 1:
                    first_miss = t_probe
                self.work.event("miss", centre=self.primary, n=missed)
                if missed >= self.misses and watching:
                    return self.work.event("detected", centre=self.primary,
                                           first_miss=first_miss)["t"]
            self.stop.wait(max(0.0, self.interval - (time.monotonic() - tick)))
        if not self.stop.is_set():
            self.work.event("no-failure-detected", centre=self.primary, timeout_s=self.timeout)
        return None

    def fail_over(self) -> str | None:
        """Promote the first live candidate and re-point the rest; returns the new primary."""
        from govops.lab import datacentres  # imported at start-up (main), free here
        from govops.lab.errors import LabError

        lost = {self.primary}
        new: str | None = None
        for name in self.candidates:
            c = centre(self.dc, name)
            if not tcp_alive(c.address, c.port, max(0.3, self.interval)):
                self.work.event("candidate-unreachable", centre=name)
                lost.add(name)
                continue
            self.work.event("promoting", centre=name)
            try:
                step = datacentres.promote(self.dc, name)
            except LabError as exc:
                self.work.event("promote-failed", centre=name, error=str(exc))
                continue
            self.work.event("promoted", t=step.marks.get("promoted", step.started_at),
                            centre=name, seconds=round(step.seconds, 4))
            new = name
            break
        if new is None:
            self.work.event("failover-failed", candidates=self.candidates)
            return None
        for c in centres(self.dc):
            if c.name in lost or c.name == new or self.stop.is_set():
                continue
            if not tcp_alive(c.address, c.port, max(0.3, self.interval)):
                continue
            try:
                step = datacentres.repoint_standby(self.dc, c.name, new)
                if not follows(self.dc, c.name, new, timeout=5.0):
                    raise LabError(f"{c.name} cannot follow {new}'s timeline: it replayed WAL "
                                   f"{new} never received")
                self.work.event("repointed", t=step.marks.get("streaming", time.time()),
                                centre=c.name, upstream=new, seconds=round(step.seconds, 4))
            except LabError as exc:
                self.work.event("repoint-failed", centre=c.name, error=str(exc))
                try:
                    step = datacentres.rewind_and_rejoin(self.dc, c.name, new)
                    self.work.event("rewound", t=step.marks.get("streaming", time.time()),
                                    centre=c.name, upstream=new, seconds=round(step.seconds, 4))
                except LabError as exc2:
                    self.work.event("rejoin-failed", centre=c.name, error=str(exc2))
        self.work.event("failover-done", primary=new)
        return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govops.drills.failover")
    parser.add_argument("--work-dir", required=True, type=Path)
    parser.add_argument("--dc-dir", required=True, type=Path)
    parser.add_argument("--candidates", required=True, help="comma-separated, in order")
    parser.add_argument("--primary", default=None)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--misses", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    # import the lab's modules (psycopg…) now: importing them after the primary was declared
    # dead cost 0.3–0.7 s of RTO on a busy machine
    import govops.lab.datacentres  # noqa: F401
    import govops.lab.errors  # noqa: F401

    manager = FailoverManager(WorkDir(args.work_dir), args.dc_dir,
                              [c for c in args.candidates.split(",") if c],
                              primary=args.primary, interval=args.interval, misses=args.misses,
                              timeout=args.timeout)
    signal.signal(signal.SIGTERM, lambda *_: manager.stop.set())
    signal.signal(signal.SIGINT, lambda *_: manager.stop.set())
    if manager.watch() is None:
        return 0
    return 0 if manager.fail_over() else 1


if __name__ == "__main__":
    sys.exit(main())
