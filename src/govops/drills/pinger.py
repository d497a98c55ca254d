"""`ping -D` from a router namespace into the drill's work dir, stopped cleanly by SIGTERM.

Output goes to a file (an unread pipe would stall ping) as LAB-NOTES recommends for measuring
a reconvergence: the largest gap between reply timestamps is the outage.

Run: `python -m govops.drills.pinger --work-dir DIR --netns R --source ADDR --target ADDR
[--interval 0.005]`.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from pathlib import Path

from govops.drills.workdir import WorkDir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govops.drills.pinger")
    parser.add_argument("--work-dir", required=True, type=Path)
    parser.add_argument("--netns", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--interval", type=float, default=0.005)
    args = parser.parse_args(argv)
    work = WorkDir(args.work_dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    argv_ping = ["ip", "netns", "exec", args.netns, "ping", "-D", "-n", "-i", str(args.interval),
                 "-I", args.source, args.target]
    with open(work.path / "ping.txt", "ab") as out:
        proc = subprocess.Popen(argv_ping, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        work.event("pinger-started", netns=args.netns, source=args.source, target=args.target,
                   interval_s=args.interval)
        while not stop.wait(0.1):
            if proc.poll() is not None:
                work.event("pinger-exited", code=proc.returncode)
                return 1
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    work.event("pinger-stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
