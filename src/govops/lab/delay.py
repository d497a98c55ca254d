"""A user-space link with a fixed one-way delay between two TAP devices.

The kernel on the lab machines has no ``netem``, so the long-distance path to the remote
disaster-recovery centre is modelled by this small forwarder: it attaches to two persistent TAP
devices (each possibly in its own network namespace), reads Ethernet frames from either side and
writes each one to the other side ``delay_ms`` later, in order. Frames are never reordered or
dropped on purpose; a frame that cannot be written (device gone) is discarded.

The file only uses the standard library so that it runs as a script
(``python -I delay.py --delay-ms 2.5 --tap dc-c:dc0 --tap dc-core:dc-c-p``) inside any
namespace, whatever the caller's ``sys.path``. ``govops.lab.dcnet`` starts and stops it.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import fcntl
import os
import select
import signal
import struct
import sys
import time
from collections import deque

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
MAX_FRAME = 65536
BATCH = 64


def _setns(path: str) -> None:
    """Move this (single-threaded) process into the network namespace at ``path``."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def open_tap(netns: str | None, name: str) -> int:
    """Attach to the TAP device ``name`` in namespace ``netns`` (None: the current one)."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        if netns:
            _setns(f"/run/netns/{netns}")
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        ifr = struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI)
        fcntl.ioctl(fd, TUNSETIFF, ifr)
        return fd
    finally:
        if netns:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.setns(home, CLONE_NEWNET)
        os.close(home)


def forward(fd_a: int, fd_b: int, delay_s: float) -> None:
    """Copy frames both ways between two TAP fds, each delayed by ``delay_s``; runs until a
    signal ends the process."""
    pending: dict[int, deque[tuple[float, bytes]]] = {fd_a: deque(), fd_b: deque()}
    peer = {fd_a: fd_b, fd_b: fd_a}
    fds = [fd_a, fd_b]
    while True:
        now = time.monotonic()
        due = None
        for out, queue in pending.items():
            while queue and queue[0][0] <= now:
                frame = queue.popleft()[1]
                try:
                    os.write(out, frame)
                except OSError:
                    pass  # device down or gone: the frame is lost, like on a wire
            if queue and (due is None or queue[0][0] < due):
                due = queue[0][0]
        timeout = None if due is None else max(0.0, due - time.monotonic())
        try:
            readable, _, _ = select.select(fds, [], [], timeout)
        except InterruptedError:
            continue
        if not readable:
            continue
        arrival = time.monotonic() + delay_s
        for fd in readable:
            queue = pending[peer[fd]]
            for _ in range(BATCH):
                try:
                    frame = os.read(fd, MAX_FRAME)
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.EINTR):
                        break
                    raise
                if not frame:
                    break
                queue.append((arrival, frame))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, required=True, help="one-way delay")
    parser.add_argument(
        "--tap", action="append", required=True, metavar="NETNS:DEV",
        help="a TAP device, NETNS empty for the current namespace (give exactly two)",
    )
    args = parser.parse_args(argv)
    if len(args.tap) != 2 or args.delay_ms < 0:
        parser.error("give exactly two --tap NETNS:DEV and a delay >= 0")
    fds = []
    for spec in args.tap:
        netns, _, dev = spec.rpartition(":")
        fds.append(open_tap(netns or None, dev))
    def _stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"forwarding {args.tap[0]} <-> {args.tap[1]} with {args.delay_ms} ms one-way delay",
          file=sys.stderr, flush=True)
    forward(fds[0], fds[1], args.delay_ms / 1000.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
