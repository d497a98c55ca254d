"""Start and stop the drill's helper processes (service, load generator, failover manager).

Each helper is `python -m govops.drills.<module> --work-dir <dir> …`: the work dir in its
command line is how a PID is recognised again before it is signalled (a PID is never
signalled unless its command line still names this drill's folder). The kernel sends each
helper SIGTERM when the process that started it dies (PR_SET_PDEATHSIG), so a runner killed
with SIGKILL leaves no load running against the lab.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from govops.drills.workdir import WorkDir

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except OSError:
        pass


def start(work: WorkDir, role: str, module: str, args: list[str]) -> subprocess.Popen[bytes]:
    """Start `python -m govops.drills.<module> --work-dir <dir> args…`, logging to <role>.log."""
    argv = [sys.executable, "-m", f"govops.drills.{module}", "--work-dir", str(work.path), *args]
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with open(work.log(role), "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                preexec_fn=_die_with_parent, env=env, cwd=str(work.path))
    work.record_process(role, proc.pid, argv)
    return proc


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def is_ours(pid: int, work: WorkDir) -> bool:
    """True when `pid` runs a govops drill helper of this work dir."""
    args = cmdline(pid)
    return str(work.path) in args and any(a.startswith("govops.drills.") for a in args)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    except OSError:
        pass


def stop(work: WorkDir, role: str, timeout: float = 15.0) -> bool:
    """SIGTERM the helper `role` (SIGKILL after `timeout`); True when it was running."""
    entry = work.read_processes().get(role)
    if not entry:
        return False
    pid = int(entry["pid"])
    if not alive(pid) or not is_ours(pid, work):
        _reap(pid)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not alive(pid):
            return True
        time.sleep(0.02)
    if is_ours(pid, work):
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            _reap(pid)
            if not alive(pid):
                break
            time.sleep(0.02)
    return True


def stop_all(work: WorkDir, roles: tuple[str, ...] = ("sentinel", "pinger", "loadgen", "service")
             ) -> list[str]:
    """Stop every helper of the drill, in order; returns the roles that were running."""
    stopped = []
    for role in roles:
        if stop(work, role):
            stopped.append(role)
    for role in work.read_processes():
        if role not in roles and stop(work, role):
            stopped.append(role)
    return stopped


def running(work: WorkDir, role: str) -> int | None:
    entry = work.read_processes().get(role)
    if not entry:
        return None
    pid = int(entry["pid"])
    return pid if alive(pid) and is_ours(pid, work) else None
