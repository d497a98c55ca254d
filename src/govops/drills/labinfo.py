"""What the drills need to know about the lab: where it is, whether it is up, who is primary.

Read-only helpers over `govops.lab` (the lab's own modules stay untouched): the drills reach
the three centres through `govops.lab.datacentres` and the routers by their namespace names.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from govops.errors import BadInput
from govops.paths import lab_dir

DC_NAMESPACES = ("dc-core",)


def dc_dir() -> Path:
    """The three-centre lab's state folder (`govops lab up` builds it there)."""
    return lab_dir() / "dc"


def routers_dir() -> Path:
    return lab_dir() / "routers"


PROMETHEUS_ENV = "GOVOPS_PROMETHEUS_URL"


def prometheus_url() -> str:
    """Prometheus for the drills' PromQL probes: $GOVOPS_PROMETHEUS_URL, else the one the
    lab's monitoring runs (`govops lab status`), else "" (the probes then fail, naming why)."""
    if os.environ.get(PROMETHEUS_ENV):
        return os.environ[PROMETHEUS_ENV]
    from govops.monitoring import lab as monitoring_lab

    return monitoring_lab.status(lab_dir() / "monitoring").prometheus_url or ""


@dataclass(frozen=True)
class Centre:
    name: str
    role: str  # role in the lab's spec: primary | same-city | remote-dr
    address: str
    port: int


def centres(dc: Path) -> list[Centre]:
    """The lab's centres from its spec, in spec order; BadInput when the lab is not built."""
    try:
        spec = json.loads((Path(dc) / "spec.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        raise BadInput(f"the DC lab is not up ({dc} has no spec.json): run govops lab up") from None
    port = int(spec.get("pg_port", 5432))
    return [Centre(c["name"], c["role"], c["ipv4"].split("/")[0], port) for c in spec["centres"]]


def client_address(dc: Path) -> str:
    """The root namespace's address on the DC interconnect (where the service listens)."""
    try:
        spec = json.loads((Path(dc) / "spec.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        raise BadInput(f"the DC lab is not up ({dc} has no spec.json): run govops lab up") from None
    return str(spec.get("client_ipv4", "198.19.250.254/24")).split("/")[0]


def centre(dc: Path, name: str) -> Centre:
    for c in centres(dc):
        if c.name == name:
            return c
    raise BadInput(f"no centre {name!r} in the DC lab at {dc}: use one of "
                   f"{', '.join(c.name for c in centres(dc))}")


def by_role(dc: Path, role: str) -> Centre:
    return next(c for c in centres(dc) if c.role == role)


def recorded_primary(dc: Path) -> str:
    """The centre the lab records as primary (topology.json), else the spec's primary."""
    try:
        topo = json.loads((Path(dc) / "topology.json").read_text())
        return str(topo["primary"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return by_role(dc, "primary").name


def netns_list() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return {line.split()[0] for line in out.stdout.splitlines() if line.strip()}


def require_dc_lab(dc: Path) -> None:
    """BadInput (one line) unless the three-centre lab is built and its namespaces exist."""
    names = [c.name for c in centres(dc)]
    missing = [n for n in (*DC_NAMESPACES, *names) if n not in netns_list()]
    if missing:
        raise BadInput(f"the DC lab is not up (namespaces {', '.join(missing)} missing): "
                       "run govops lab up")


def tcp_alive(address: str, port: int, timeout: float) -> bool:
    """True when a TCP connection to address:port opens within `timeout` seconds.

    PostgreSQL does not log a connection that closes without sending anything."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def _query(address: str, port: int, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(f"host={address} port={port} user=postgres dbname=postgres "
                         "connect_timeout=2", autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def timeline_of(dc: Path, name: str) -> int | None:
    """The timeline `name` writes (a primary) or receives (a standby); None when it does not
    answer or receives nothing."""
    import psycopg

    c = centre(dc, name)
    try:
        rows = _query(c.address, c.port, "SELECT pg_is_in_recovery()")
        if not rows[0][0]:
            rows = _query(c.address, c.port,
                          "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
                          "::bit(32)::int")
            return int(rows[0][0])
        rows = _query(c.address, c.port,
                      "SELECT received_tli FROM pg_stat_wal_receiver WHERE status = 'streaming'")
        return int(rows[0][0]) if rows and rows[0][0] is not None else None
    except (psycopg.Error, IndexError):
        return None


def follows(dc: Path, standby: str, primary: str, timeout: float = 5.0) -> bool:
    """True once `standby` streams `primary`'s current timeline.

    A standby that replayed WAL the new primary never had (the old primary's stream to it ran
    ahead of the one to the promoted standby) cannot follow the new timeline: it reconnects in
    a loop, showing 'streaming' for a moment each time, on its old timeline — the lab's
    re-point reports success then. Its timeline tells the truth."""
    deadline = time.monotonic() + timeout
    while True:
        want = timeline_of(dc, primary)
        if want is not None and timeline_of(dc, standby) == want:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def wait_postmaster_gone(dc: Path, name: str, timeout: float = 5.0) -> bool:
    """Wait until the postmaster recorded in `name`'s postmaster.pid has left the process
    table; True when it has (or there is none).

    A centre killed with SIGKILL leaves its postmaster a zombie until init reaps it — on this
    machine PID 1 reaps orphans about every 2 s — and PostgreSQL refuses to start while the
    PID in its lock file still exists ("another server might be running")."""
    pid_file = Path(dc) / name / "data" / "postmaster.pid"
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state != "Z":
            return True  # a live postmaster: not ours to wait for
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
