"""Files, intent journal, lock and commands of the three-centre lab.

Layout of a lab's state directory (everything the lab writes is below it)::

    spec.json          the DcLabSpec it was built from
    journal.jsonl      intent journal: written (fsync'd) before each namespace, link, route or
                       process is created, so teardown() can undo a build that died half-way
    topology.json      who is primary, who follows whom, which centres are failed
    delay.pid/.log     the user-space delay forwarder on the remote-dr path
    dc-a/              one directory per centre, owned by postgres, mode 700:
        data/          PGDATA
        conf/          postgresql.conf, pg_hba.conf and role.conf (kept outside PGDATA so that
                       pg_basebackup and pg_rewind never copy one centre's settings to another)
        run/           the Unix socket (admin access that works whatever the network does)
        postgres.log
        ready          written once the cluster is fully made (a directory without it is
                       half-made and is made again)
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govops.lab import statefiles
from govops.lab.errors import LabError

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class DcLayout:
    """Where each file of a three-centre lab lives."""

    state_dir: Path

    @property
    def journal(self) -> Path:
        return self.state_dir / "journal.jsonl"

    @property
    def spec_json(self) -> Path:
        return self.state_dir / "spec.json"

    @property
    def topology_json(self) -> Path:
        return self.state_dir / "topology.json"

    @property
    def lock(self) -> Path:
        return self.state_dir / ".lock"

    @property
    def delay_pid(self) -> Path:
        return self.state_dir / "delay.pid"

    @property
    def delay_log(self) -> Path:
        return self.state_dir / "delay.log"

    def centre_dir(self, name: str) -> Path:
        return self.state_dir / name

    def data(self, name: str) -> Path:
        return self.state_dir / name / "data"

    def conf(self, name: str) -> Path:
        return self.state_dir / name / "conf"

    def run(self, name: str) -> Path:
        return self.state_dir / name / "run"

    def log(self, name: str) -> Path:
        return self.state_dir / name / "postgres.log"

    def ready(self, name: str) -> Path:
        return self.state_dir / name / "ready"


@contextlib.contextmanager
def locked(layout: DcLayout) -> Iterator[None]:
    """Hold an exclusive lock on the DC lab, waiting up to 30 s for another holder."""
    with statefiles.locked(layout.lock, f"DC lab {layout.state_dir} is busy", wait_s=30):
        yield


def load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def run(
    args: Sequence[str],
    *,
    netns: str | None = None,
    as_postgres: bool = False,
    input: str | None = None,
    check: bool = True,
    timeout: float = 60,
    what: str = "",
    fix: str = "",
    new_session: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `args`, inside namespace `netns` and as the postgres user when asked.

    On failure raises `LabError`: "<what> failed: <last stderr lines>[; <fix>]".
    """
    argv = list(args)
    if as_postgres:
        argv = ["runuser", "-u", PG_USER, "--", *argv]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    env = {
        "PATH": f"{PG_BIN}:{SBIN_PATH}",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": "/var/lib/postgresql" if as_postgres else os.environ.get("HOME", "/root"),
        "PGCONNECT_TIMEOUT": "5",
    }
    try:
        proc = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
            env=env,
            cwd="/",
            start_new_session=new_session,
        )
    except subprocess.TimeoutExpired:
        raise LabError(
            f"{what or shlex.join(argv)} timed out after {timeout:.0f} s"
            + (f"; {fix}" if fix else "")
        ) from None
    except FileNotFoundError as exc:
        raise LabError(
            f"{exc.filename} not found: install it with "
            "apt-get install -y --no-install-recommends iproute2 util-linux"
        ) from None
    if check and proc.returncode != 0:
        detail = proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}"
        detail = " / ".join(detail.splitlines()[-3:])
        raise LabError(
            f"{what or shlex.join(argv)} failed: {detail}" + (f"; {fix}" if fix else "")
        )
    return proc


# --- processes -----------------------------------------------------------------------------


def read_pid(path: Path) -> int | None:
    """First line of a pid file (postmaster.pid too) as an int, or None."""
    try:
        first = path.read_text().split("\n", 1)[0].strip()
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        return None
    return int(first) if first.isdigit() else None


def proc_alive(pid: int) -> bool:
    """True when `pid` exists and is not a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return raw[raw.rindex(")") + 2 :].split(" ", 1)[0] not in ("Z", "X")


def proc_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def kill_pids(pids: Sequence[int], sig: int = signal.SIGKILL, wait: float = 5.0) -> list[int]:
    """Send `sig` to each of `pids` (never to 1 or ourselves) and wait for them to be gone.

    Returns the PIDs still alive after `wait` seconds (empty when all went).
    """
    targets = [p for p in sorted(set(pids)) if p > 1 and p != os.getpid()]
    for pid in targets:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + wait
    left = [p for p in targets if proc_alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.01)
        left = [p for p in left if proc_alive(p)]
    return left


def netns_list() -> set[str]:
    try:
        return {p.name for p in Path("/run/netns").iterdir()}
    except FileNotFoundError:
        return set()


def netns_pids(name: str) -> list[int]:
    """PIDs of every process in namespace `name` (what `ip netns pids` prints)."""
    if name not in netns_list():
        return []
    proc = run(["ip", "netns", "pids", name], check=False)
    return [int(p) for p in proc.stdout.split() if p.isdigit()]
