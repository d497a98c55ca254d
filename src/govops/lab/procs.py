"""Processes of the lab: liveness by pid file, and ending them by PID."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path


def read_pid(pidfile: Path) -> int | None:
    try:
        text = pidfile.read_text().strip()
    except (FileNotFoundError, PermissionError):
        return None
    return int(text) if text.isdigit() else None


def _stat(pid: int) -> tuple[str, str] | None:
    """(comm, state) of `pid`, or None when it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    state = raw[raw.rindex(")") + 2 :].split(" ", 1)[0]
    return comm, state


def is_running(pid: int) -> bool:
    """True when `pid` exists and is not a zombie."""
    st = _stat(pid)
    return st is not None and st[1] not in ("Z", "X")


def net_inode(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def same_mount_ns(pid: int) -> bool:
    """True when `pid` shares our mount namespace."""
    try:
        return os.stat(f"/proc/{pid}/ns/mnt").st_ino == os.stat("/proc/self/ns/mnt").st_ino
    except (FileNotFoundError, ProcessLookupError):
        return False


def lab_process(pidfile: Path, comm: str, netns_ino: int | None) -> int | None:
    """PID from `pidfile` if that process runs, is called `comm` and lives in the namespace
    with inode `netns_ino`; else None (stale pid file, reused PID, dead daemon)."""
    pid = read_pid(pidfile)
    if pid is None or netns_ino is None:
        return None
    st = _stat(pid)
    if st is None or st[1] in ("Z", "X") or st[0] != comm:
        return None
    return pid if net_inode(pid) == netns_ino else None


def stray_lab_process(pidfile: Path, comm: str, netns_ino: int | None) -> int | None:
    """PID from `pidfile` if that process runs and is called `comm` but lives outside the
    namespace `netns_ino` and outside our own network namespace (its namespace was deleted
    behind the lab's back): a leftover to end before starting a new one."""
    pid = read_pid(pidfile)
    if pid is None:
        return None
    st = _stat(pid)
    if st is None or st[1] in ("Z", "X") or st[0] != comm:
        return None
    ino = net_inode(pid)
    if ino is None or ino == netns_ino or ino == net_inode(os.getpid()):
        return None
    return pid


def terminate(pids: Iterable[int], grace: float = 1.0) -> list[int]:
    """SIGTERM each PID, wait up to `grace` seconds, SIGKILL the rest. Returns the PIDs that
    were signalled. Only ever addresses the given PIDs."""
    signalled = []
    for pid in sorted(set(pids)):
        if pid <= 1 or pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGTERM)
            signalled.append(pid)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    left = list(signalled)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if is_running(p)]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 2.0
    while left and time.monotonic() < deadline:
        left = [p for p in left if is_running(p)]
        if left:
            time.sleep(0.02)
    return signalled
