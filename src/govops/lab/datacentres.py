"""The "two sites, three centres" lab: three namespaces with PostgreSQL, faults and recovery.

`build(spec)` makes namespaces dc-a (primary), dc-b (same-city) and dc-c (remote DR) on one
interconnect segment with the root namespace (see `govops.lab.dcnet` for the topology and
`govops.lab.dcspec` for the address scheme), the path to the remote-dr centre delayed by a
user-space forwarder, and one PostgreSQL 15 cluster per centre: the primary streams to the
same-city centre synchronously (synchronous_standby_names, synchronous_commit=on) and to the
remote-dr centre asynchronously, each through a replication slot.

The fault and recovery primitives below are what the DR drills call; each returns a
`StepTiming` with wall-clock marks of the moments that matter (for RTO timelines).
Everything is addressed by the lab's state directory; `teardown` removes every namespace,
process and file the lab made, also after a build that died half-way (intent journal).

Sample::

    spec = default_spec(Path("/work/main/.lab/dc"))
    build(spec)
    kill_centre(spec.state_dir, "dc-a")          # site loss: cut silently, kill -9
    promote(spec.state_dir, "dc-b")
    repoint_standby(spec.state_dir, "dc-c", "dc-b")
    restore_topology(spec.state_dir)             # rewind dc-a, switch back, dc-c follows dc-a
    teardown(spec.state_dir)
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from govops.lab import dcnet
from govops.lab import pgcluster as pg
from govops.lab.dcspec import (
    CORE_NETNS,
    CentreSpec,
    DcLabSpec,
    spec_from_dict,
    spec_to_dict,
    spec_to_json,
    validate_spec,
)
from govops.lab.dcstate import (
    PG_BIN,
    PG_USER,
    DcLayout,
    kill_pids,
    load_json,
    locked,
    netns_list,
    netns_pids,
)
from govops.lab.errors import LabError
from govops.lab.statefiles import Journal, write_atomic

__all__ = [
    "CentreState",
    "CentreStatus",
    "DcLabState",
    "DcStatus",
    "ReplicationLag",
    "StepTiming",
    "build",
    "cut_centre_network",
    "dsn",
    "kill_centre",
    "probe_rtt",
    "promote",
    "replication_lag",
    "repoint_standby",
    "restore_centre_network",
    "restore_topology",
    "rewind_and_rejoin",
    "status",
    "switchover",
    "teardown",
]

Progress = Callable[[str], None]


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepTiming:
    """How long a primitive took, with wall-clock marks of its moments.

    `started_at` and the `marks` are epoch seconds (time.time()); `seconds` is the duration.
    Example: StepTiming(action="kill_centre", centre="dc-a", started_at=1732780000.12,
    seconds=0.031, marks={"cut": 1732780000.13, "killed": 1732780000.15},
    detail="7 processes killed")
    """

    action: str
    centre: str
    started_at: float
    seconds: float
    marks: dict[str, float] = field(default_factory=dict)
    detail: str = ""


@dataclass(frozen=True)
class CentreState:
    """A centre as built."""

    name: str
    site: str
    role: str  # role in the spec
    netns: str
    address: str
    address6: str
    data_dir: Path
    socket_dir: Path
    pid: int | None  # the postmaster's


@dataclass(frozen=True)
class DcLabState:
    """What build() made or found."""

    spec: DcLabSpec
    primary: str  # the centre that holds the primary role now
    centres: tuple[CentreState, ...]
    delay_pid: int | None
    dsn: str
    build_seconds: float


@dataclass(frozen=True)
class ReplicationLag:
    """How far a standby is behind the primary."""

    standby: str
    primary: str
    streaming: bool
    sync_state: str | None  # "sync", "async", "potential"; None when not connected
    lag_bytes: int | None  # primary's current WAL position minus the standby's replay position
    lag_seconds: float | None  # pg_stat_replication.replay_lag (0.0 when caught up)


@dataclass(frozen=True)
class CentreStatus:
    """One centre as it is now."""

    name: str
    site: str
    role: str  # role in the spec
    netns: bool  # the namespace exists
    cut: bool  # its traffic is dropped (a fault)
    running: bool  # PostgreSQL runs
    pid: int | None
    current_role: str  # "primary" | "standby" | "down"
    upstream: str | None  # the centre it streams from (standbys)
    streaming: bool
    sync_state: str | None
    lag_bytes: int | None
    lag_seconds: float | None


@dataclass(frozen=True)
class DcStatus:
    """The whole lab as it is now."""

    state_dir: Path
    built: bool
    primary: str | None  # the running primary, None when there is none
    delay_pid: int | None
    remote_delay_ms: float
    centres: tuple[CentreStatus, ...]

    def centre(self, name: str) -> CentreStatus:
        return next(c for c in self.centres if c.name == name)


# --- the lab as loaded from its state directory --------------------------------------------


class _Lab:
    """A built lab: its spec, files and clusters."""

    def __init__(self, spec: DcLabSpec):
        self.spec = spec
        self.layout = DcLayout(Path(spec.state_dir))
        self.journal = Journal(self.layout.journal)
        self.nodes = pg.nodes(spec, self.layout)

    def node(self, name: str) -> pg.Node:
        try:
            return self.nodes[name]
        except KeyError:
            raise LabError(
                f"no centre {name!r} in the DC lab at {self.spec.state_dir}: use one of "
                f"{', '.join(self.nodes)}"
            ) from None

    # topology.json: who holds the primary role, which centres are failed
    def topology(self) -> dict[str, object]:
        data = load_json(self.layout.topology_json) or {}
        data.setdefault("primary", self.spec.by_role("primary").name)
        data.setdefault("failed", [])
        return data

    def save_topology(self, *, primary: str | None = None, failed: str | None = None,
                      healed: str | None = None) -> None:
        data = self.topology()
        failed_set = set(data["failed"])  # type: ignore[arg-type]
        if primary:
            data["primary"] = primary
        if failed:
            failed_set.add(failed)
        if healed:
            failed_set.discard(healed)
        data["failed"] = sorted(failed_set)
        write_atomic(self.layout.topology_json, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def running_primaries(self) -> list[str]:
        return [n for n, node in self.nodes.items() if pg.in_recovery(node) is False]

    def require_primary(self, name: str) -> pg.Node:
        node = self.node(name)
        if pg.in_recovery(node) is not False:
            raise LabError(
                f"{name} is not a running primary (it is "
                f"{'a standby' if pg.in_recovery(node) else 'down'}): check status()"
            )
        return node

    def require_standby(self, name: str) -> pg.Node:
        node = self.node(name)
        if pg.in_recovery(node) is not True:
            raise LabError(
                f"{name} is not a running standby (it is "
                f"{'a primary' if pg.in_recovery(node) is False else 'down'}): check status()"
            )
        return node

    def require_uncut(self, *names: str) -> None:
        cut = dcnet.cut_centres()
        for name in names:
            if name in cut:
                raise LabError(
                    f"{name} is cut off (nftables drop in {CORE_NETNS}): call "
                    f"restore_centre_network(state_dir, {name!r}) first"
                )

    def ensure_sync(self, primary: pg.Node) -> str:
        """synchronous_standby_names on `primary`: its same-city partner when that streams
        from it, else empty (a promoted centre with no standby of its own must not block)."""
        partner = self.spec.partner(primary.name)
        names = ""
        if partner:
            app = self.spec.centre(partner).app_name
            rows = pg.query(primary, "SELECT 1 FROM pg_stat_replication WHERE "
                                     "application_name = %s AND state = 'streaming'", (app,))
            names = app if rows else ""
        pg.set_sync(primary, names)
        if names:  # the walsenders apply the reload a moment later: return once they have
            deadline = time.monotonic() + 10
            while not pg.query(primary, "SELECT 1 FROM pg_stat_replication WHERE "
                                        "application_name = %s AND sync_state = 'sync'",
                               (names,)):
                if time.monotonic() > deadline:
                    raise LabError(f"{partner} streams from {primary.name} but did not become "
                                   "its synchronous standby within 10 s: see its log")
                time.sleep(0.05)
        return names

    def ensure_slots(self, primary: pg.Node) -> None:
        for c in self.spec.centres:
            if c.name != primary.name:
                pg.ensure_slot(primary, c.app_name)


def _load(state_dir: Path | str) -> _Lab:
    layout = DcLayout(Path(state_dir))
    data = load_json(layout.spec_json)
    if data is None:
        raise LabError(f"no DC lab at {state_dir}: build it first (govops.lab.datacentres.build)")
    return _Lab(spec_from_dict(data))


@contextlib.contextmanager
def _session(state_dir: Path | str) -> Iterator[_Lab]:
    lab = _load(state_dir)
    with locked(lab.layout):
        yield lab


def _now() -> float:
    return time.time()


# --- build ---------------------------------------------------------------------------------


def _check_prerequisites() -> None:
    if os.geteuid() != 0:
        raise LabError("the DC lab needs root (it creates network namespaces): run as root")
    missing = [t for t in ("ip", "nft", "runuser", "ping") if not shutil.which(
        t, path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")]
    if not (PG_BIN / "initdb").exists():
        missing.append(str(PG_BIN / "initdb"))
    if missing:
        raise LabError(
            f"missing for the DC lab: {', '.join(missing)}: apt-get install -y "
            "--no-install-recommends postgresql nftables iproute2 iputils-ping util-linux"
        )
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        raise LabError("user postgres does not exist: apt-get install -y "
                       "--no-install-recommends postgresql") from None
    if not Path("/dev/net/tun").exists():
        raise LabError("/dev/net/tun is missing: the remote-dr delay needs TAP devices "
                       "(modprobe tun, or a kernel with CONFIG_TUN)")


def _check_reachable(state_dir: Path) -> None:
    for parent in state_dir.parents:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise LabError(
                f"state_dir {state_dir}: user postgres cannot reach it ({parent} is not "
                f"world-searchable): choose another directory or chmod o+x {parent}"
            )


def build(spec: DcLabSpec, progress: Progress | None = None) -> DcLabState:
    """Build the three-centre lab, or complete/verify it; idempotent.

    Returns the lab's state (current primary, PIDs, DSN, build seconds). A lab already built
    with the same spec is checked and left as it is (a failed centre stays failed: use
    restore_topology to heal drills); a half-made one (crash) is completed.
    Raises LabError naming the first problem and its fix.
    """
    problems = validate_spec(spec)
    if problems:
        raise LabError("invalid DC lab spec: " + "; ".join(problems))
    _check_prerequisites()
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    state_dir = Path(spec.state_dir)
    layout = DcLayout(state_dir)
    if not state_dir.exists():
        state_dir.mkdir(parents=True, mode=0o755)
        Journal(layout.journal).record(kind="state_dir", path=str(state_dir), created=True)
    state_dir.chmod(0o755)
    _check_reachable(state_dir)
    with locked(layout):
        old = load_json(layout.spec_json)
        if old is not None and old != spec_to_dict(spec):
            raise LabError(
                f"the DC lab at {state_dir} was built from another spec: tear it down first "
                f"(teardown({str(state_dir)!r})) or use another state_dir"
            )
        lab = _Lab(spec)
        dcnet.check_owner(spec, lab.journal)
        write_atomic(layout.spec_json, spec_to_json(spec))
        say("network: namespaces dc-core and the interconnect bridge")
        dcnet.ensure_core(spec, lab.journal)
        for c in spec.centres:
            say(f"network: namespace {c.name} ({c.role}, {c.address})")
            dcnet.ensure_centre(spec, c, lab.journal)
        say(f"network: root namespace link {dcnet.ROOT_LINK} ({spec.client_ipv4})")
        dcnet.ensure_root_link(spec, lab.journal)
        say(f"network: delay forwarder, {spec.remote_delay_ms} ms one-way to "
            f"{spec.by_role('remote-dr').name}")
        delay_pid = dcnet.ensure_delay(spec, layout, lab.journal)
        _build_clusters(lab, say)
        topo = lab.topology()
        primary = str(topo["primary"])
    seconds = time.perf_counter() - t0
    say(f"ready in {seconds:.1f} s")
    return DcLabState(
        spec=spec,
        primary=primary,
        centres=tuple(
            CentreState(c.name, c.site, c.role, c.name, c.address, c.address6,
                        layout.data(c.name), layout.run(c.name),
                        pg.postmaster_pid(lab.nodes[c.name]))
            for c in spec.centres
        ),
        delay_pid=delay_pid,
        dsn=dsn(state_dir),
        build_seconds=seconds,
    )


def _build_clusters(lab: _Lab, say: Progress) -> None:
    spec, layout = lab.spec, lab.layout
    topo = lab.topology()
    primary_name = str(topo["primary"])
    failed = set(topo["failed"])  # type: ignore[arg-type]
    lab.save_topology()
    primary = lab.nodes[primary_name]
    if not layout.ready(primary_name).exists():
        say(f"postgres: initdb {primary_name} (primary)")
        kill_pids(netns_pids(primary_name))  # leftovers of a build that died here
        if primary.data.exists():
            shutil.rmtree(primary.data)
        pg.prepare_dirs(primary)
        pg.write_config(primary, spec)
        pg.write_role(primary, upstream=None, sync_names="")
        pg.initdb(primary)
        pg.reset_copied_state(primary, standby=False)
        pg.start(primary)
        pg.query(primary, f"CREATE DATABASE {spec.dbname}")
        layout.ready(primary_name).write_text("primary\n")
    else:
        pg.write_config(primary, spec)
        if primary_name not in failed:
            say(f"postgres: {primary_name} (primary) running")
            pg.start(primary)
    if primary_name not in failed:
        lab.ensure_slots(primary)
    def standby(c: CentreSpec) -> None:
        node = lab.nodes[c.name]
        if not layout.ready(c.name).exists():
            if primary_name in failed:
                raise LabError(f"cannot clone {c.name}: its primary {primary_name} is failed; "
                               "run restore_topology first")
            say(f"postgres: pg_basebackup {primary_name} -> {c.name} ({c.role})")
            kill_pids(netns_pids(c.name))  # leftovers of a build that died here
            pg.prepare_dirs(node)
            pg.write_config(node, spec)
            pg.write_role(node, upstream=primary, sync_names="")
            pg.basebackup(node, primary)
            pg.start(node)
            layout.ready(c.name).write_text("standby\n")
        else:
            pg.write_config(node, spec)
            say(f"postgres: {c.name} running")
            pg.start(node)

    # the standbys are cloned side by side (the remote one waits on its delayed link)
    standbys = [c for c in spec.centres if c.name != primary_name and c.name not in failed]
    with ThreadPoolExecutor(max_workers=max(1, len(standbys))) as pool:
        for future in [pool.submit(standby, c) for c in standbys]:
            future.result()
    if primary_name not in failed:
        for c in spec.centres:
            if c.name != primary_name and c.name not in failed:
                node = lab.nodes[c.name]
                if pg.in_recovery(node):
                    pg.wait_streaming(node, primary)
        names = lab.ensure_sync(primary)
        say(f"postgres: {primary_name} synchronous_standby_names = '{names}'")


# --- teardown ------------------------------------------------------------------------------


def teardown(state_dir: Path | str) -> StepTiming:
    """Remove every namespace, process, link, route and file of the lab at `state_dir`.

    Works from the intent journal, so also after a build that died half-way; processes are
    ended by PID (those inside the lab's namespaces, and each cluster's postmaster), never by
    name. Idempotent: a second call finds nothing to do. Raises LabError when a process
    survives SIGKILL (the namespace is then kept so nothing is lost track of).
    """
    state_dir = Path(state_dir)
    layout = DcLayout(state_dir)
    if not state_dir.is_dir():
        return _teardown(state_dir, layout)
    with locked(layout):
        return _teardown(state_dir, layout)


def _teardown(state_dir: Path, layout: DcLayout) -> StepTiming:
    started, t0 = _now(), time.perf_counter()
    journal = Journal(layout.journal)
    entries = journal.entries()
    data = load_json(layout.spec_json)
    spec = spec_from_dict(data) if data else None
    owner = dcnet.lab_owner()
    owned = owner == state_dir
    # namespaces, link and routes of another lab that now owns them are never touched
    foreign = owner is not None and not owned
    names: list[str] = [] if foreign else [
        e["name"] for e in entries if e.get("kind") == "netns"]
    if owned:  # also when the state directory was lost: the bridge ports name the centres
        names += [n for n in (CORE_NETNS, *(spec.names if spec else ()), *dcnet.bridge_ports())
                  if n not in names]
    removed: list[str] = []
    # 1. the postmasters (by pid file) and the delay forwarder, wherever they run
    pids = []
    if spec is not None:
        for c in spec.centres:
            pid = pg.postmaster_pid(pg.Node(c, layout, spec.pg_port))
            if pid:
                pids.append(pid)
    delay = dcnet.delay_running(layout)
    if delay:
        pids.append(delay)
    survivors = kill_pids(pids, signal.SIGKILL)
    removed += [f"process {p}" for p in pids if p not in survivors]
    # 2. every process in the namespaces, then the namespaces (centres first, dc-core last)
    ordered = [n for n in names if n != CORE_NETNS] + [n for n in names if n == CORE_NETNS]
    for name in dict.fromkeys(ordered):
        if name not in netns_list():
            continue
        left = dcnet.remove_netns(name)
        survivors += left
        if not left:
            removed.append(f"netns {name}")
    # 3. the root namespace's link and guard routes
    if not foreign and (owned or any(e.get("kind") == "link" for e in entries)):
        if dcnet.remove_root_link():
            removed.append(f"link {dcnet.ROOT_LINK}")
    prefixes = set() if foreign else {e["prefix"] for e in entries if e.get("kind") == "route"}
    if owned:
        prefixes |= dcnet.guard_routes()
    for prefix in sorted(prefixes):
        if dcnet.remove_guard_route(prefix):
            removed.append(f"route {prefix}")
    if survivors:
        raise LabError(
            f"teardown of {state_dir}: processes {sorted(set(survivors))} survived SIGKILL "
            "(stuck in the kernel?): check them with ps and run teardown again"
        )
    # 4. the files
    if state_dir.is_dir():
        created = any(e.get("kind") == "state_dir" and e.get("created") for e in entries)
        if created or spec is not None:
            shutil.rmtree(state_dir)
        elif not any(state_dir.iterdir()):
            state_dir.rmdir()
        removed.append(f"dir {state_dir}")
    return StepTiming("teardown", "all", started, time.perf_counter() - t0,
                      detail=", ".join(removed) or "nothing to remove")


# --- status --------------------------------------------------------------------------------


def _lags(lab: _Lab, primary: pg.Node | None) -> dict[str, ReplicationLag]:
    out: dict[str, ReplicationLag] = {}
    rows: dict[str, tuple] = {}
    current = None
    if primary is not None:
        try:
            for app, state, sync, lag_b, lag_s in pg.query(
                primary,
                "SELECT application_name, state, sync_state, "
                "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
                "EXTRACT(EPOCH FROM replay_lag)::float8 FROM pg_stat_replication",
            ):
                rows[app] = (state, sync, lag_b, lag_s)
            current = pg.query(primary, "SELECT pg_current_wal_lsn()::text")[0][0]
        except (LabError, psycopg.Error):
            pass
    for c in lab.spec.centres:
        if primary is not None and c.name == primary.name:
            continue
        node = lab.nodes[c.name]
        state, sync, lag_b, lag_s = rows.get(c.app_name, (None, None, None, None))
        if lag_b is None and current is not None and pg.in_recovery(node):
            # not connected, or connected but no replay report yet: ask the standby
            with contextlib.suppress(LabError, psycopg.Error, TypeError):
                lag_b = pg.query(node, "SELECT pg_wal_lsn_diff(%s::pg_lsn, "
                                       "pg_last_wal_replay_lsn())::bigint", (current,))[0][0]
        lag_b = max(0, int(lag_b)) if lag_b is not None else None
        if lag_s is None and lag_b == 0:
            lag_s = 0.0
        out[c.name] = ReplicationLag(c.name, primary.name if primary else "",
                                     state == "streaming", sync, lag_b, lag_s)
    return out


def _current_primary(lab: _Lab) -> pg.Node | None:
    topo_primary = str(lab.topology()["primary"])
    if pg.in_recovery(lab.nodes[topo_primary]) is False:
        return lab.nodes[topo_primary]
    primaries = lab.running_primaries()
    return lab.nodes[primaries[0]] if primaries else None


def replication_lag(state_dir: Path | str) -> dict[str, ReplicationLag]:
    """Lag of every standby behind the current primary, by centre name.

    Example: {"dc-b": ReplicationLag("dc-b", "dc-a", True, "sync", 0, 0.0),
              "dc-c": ReplicationLag("dc-c", "dc-a", True, "async", 1232, 0.0061)}
    """
    lab = _load(state_dir)
    return _lags(lab, _current_primary(lab))


def status(state_dir: Path | str) -> DcStatus:
    """The lab as it is now: per centre its namespace, fault, PostgreSQL, role and lag."""
    state_dir = Path(state_dir)
    try:
        lab = _load(state_dir)
    except LabError:
        return DcStatus(state_dir, False, None, None, 0.0, ())
    primary = _current_primary(lab)
    lags = _lags(lab, primary)
    cut = dcnet.cut_centres()
    namespaces = netns_list()
    addr_to_name = {c.address: c.name for c in lab.spec.centres}
    centres = []
    for c in lab.spec.centres:
        node = lab.nodes[c.name]
        pid = pg.postmaster_pid(node)
        recovery = pg.in_recovery(node) if pid else None
        upstream = None
        if recovery:
            with contextlib.suppress(LabError, psycopg.Error):
                rec = pg.receiver(node)
                if rec:
                    upstream = addr_to_name.get(rec["sender_host"])
            if upstream is None:
                host = pg.read_role(node).get("primary_conninfo", "")
                upstream = next((n for a, n in addr_to_name.items() if f"host={a} " in host),
                                None)
        lag = lags.get(c.name)
        centres.append(CentreStatus(
            name=c.name, site=c.site, role=c.role, netns=c.name in namespaces,
            cut=c.name in cut, running=pid is not None, pid=pid,
            current_role={None: "down", True: "standby", False: "primary"}[recovery],
            upstream=upstream,
            streaming=bool(lag and lag.streaming),
            sync_state=lag.sync_state if lag else None,
            lag_bytes=lag.lag_bytes if lag else None,
            lag_seconds=lag.lag_seconds if lag else None,
        ))
    return DcStatus(state_dir, True, primary.name if primary else None,
                    dcnet.delay_running(lab.layout), lab.spec.remote_delay_ms, tuple(centres))


def dsn(state_dir: Path | str, *, family: int = 4, dbname: str | None = None,
        user: str = PG_USER, connect_timeout: int = 2,
        target_session_attrs: str = "read-write", primary_first: bool = False) -> str:
    """A libpq multi-host DSN over all three centres that finds the primary.

    Hosts go in spec role order (primary, same-city, remote-dr), or with the centre recorded
    as primary now first when `primary_first`. Example:
    "host=198.19.250.1,198.19.250.2,198.19.250.3 port=5432,5432,5432 dbname=govops
    user=postgres target_session_attrs=read-write connect_timeout=2".
    A silently cut host before the primary costs up to connect_timeout seconds (libpq's
    minimum is 2) before the next host is tried.
    """
    lab = _load(state_dir)
    order = [lab.spec.by_role(r) for r in ("primary", "same-city", "remote-dr")]
    if primary_first:
        current = lab.spec.centre(str(lab.topology()["primary"]))
        order = [current] + [c for c in order if c != current]
    hosts = ",".join(c.address if family == 4 else c.address6 for c in order)
    ports = ",".join(str(lab.spec.pg_port) for _ in order)
    return (f"host={hosts} port={ports} dbname={dbname or lab.spec.dbname} user={user} "
            f"target_session_attrs={target_session_attrs} connect_timeout={connect_timeout}")


def probe_rtt(state_dir: Path | str, name: str, *, from_netns: str | None = None,
              count: int = 10, interval: float = 0.05) -> dcnet.RttStats:
    """Ping centre `name` from the root namespace (or `from_netns`); round trips in ms."""
    lab = _load(state_dir)
    return dcnet.ping(lab.node(name).centre.address, netns=from_netns, count=count,
                      interval=interval)


# --- faults --------------------------------------------------------------------------------


def cut_centre_network(state_dir: Path | str, name: str) -> StepTiming:
    """Silently drop all traffic to and from centre `name` (its processes keep running)."""
    with _session(state_dir) as lab:
        lab.node(name)
        started, t0 = _now(), time.perf_counter()
        if name not in dcnet.cut_centres():
            dcnet.cut(name)
        return StepTiming("cut_centre_network", name, started, time.perf_counter() - t0,
                          {"cut": _now()})


def kill_centre(state_dir: Path | str, name: str) -> StepTiming:
    """Lose centre `name` without warning: drop its traffic silently, then kill -9 every
    process in its namespace (PostgreSQL). The link stays up; peers see silence."""
    with _session(state_dir) as lab:
        node = lab.node(name)
        started, t0 = _now(), time.perf_counter()
        if name not in dcnet.cut_centres():
            dcnet.cut(name)
        t_cut = _now()
        pids = set(netns_pids(name))
        pm = pg.postmaster_pid(node)
        if pm:
            pids.add(pm)
        left = kill_pids(sorted(pids), signal.SIGKILL)
        t_killed = _now()
        lab.save_topology(failed=name)
        if left:
            raise LabError(f"kill_centre {name}: processes {left} survived SIGKILL")
        return StepTiming("kill_centre", name, started, time.perf_counter() - t0,
                          {"cut": t_cut, "killed": t_killed}, f"{len(pids)} processes killed")


def restore_centre_network(state_dir: Path | str, name: str) -> StepTiming:
    """Stop dropping centre `name`'s traffic (its PostgreSQL is not restarted)."""
    with _session(state_dir) as lab:
        lab.node(name)
        started, t0 = _now(), time.perf_counter()
        was = dcnet.uncut(name)
        return StepTiming("restore_centre_network", name, started, time.perf_counter() - t0,
                          {"restored": _now()}, "" if was else "was not cut")


# --- recovery ------------------------------------------------------------------------------


def _promote(lab: _Lab, name: str, force: bool) -> StepTiming:
    node = lab.require_standby(name)
    if not force:
        cut = dcnet.cut_centres()
        others = [n for n in lab.running_primaries() if n != name and n not in cut]
        if others:
            raise LabError(
                f"{others[0]} is still a reachable primary: promoting {name} would split the "
                f"brain; use switchover, or kill_centre({others[0]!r}) first"
            )
    started, t0 = _now(), time.perf_counter()
    pg.promote_now(node)
    t_promoted = _now()
    pg.write_role(node, upstream=None, sync_names="")
    pg.reload(node)
    lab.ensure_slots(node)
    lab.save_topology(primary=name, healed=name)
    return StepTiming("promote", name, started, time.perf_counter() - t0,
                      {"promoted": t_promoted}, "synchronous_standby_names cleared")


def promote(state_dir: Path | str, name: str, *, force: bool = False) -> StepTiming:
    """Promote standby `name` to primary (failover); it accepts writes when this returns.

    Its synchronous_standby_names is cleared (it has no standby yet) and slots for the other
    centres are created. Refuses while another primary is running and reachable (use
    switchover) unless `force`. marks: "promoted" (first moment it was read-write).
    """
    with _session(state_dir) as lab:
        return _promote(lab, name, force)


def _repoint(lab: _Lab, standby: str, new_primary: str, timeout: float = 20) -> StepTiming:
    node = lab.require_standby(standby)
    primary = lab.require_primary(new_primary)
    started, t0 = _now(), time.perf_counter()
    pg.ensure_slot(primary, node.centre.app_name)
    pg.write_role(node, upstream=primary, sync_names="")
    pg.reload(node)
    t_reloaded = _now()
    pg.wait_streaming(node, primary, timeout)
    t_streaming = _now()
    names = lab.ensure_sync(primary)
    return StepTiming("repoint_standby", standby, started, time.perf_counter() - t0,
                      {"reloaded": t_reloaded, "streaming": t_streaming},
                      f"follows {new_primary}; its synchronous_standby_names = '{names}'")


def repoint_standby(state_dir: Path | str, standby: str, new_primary: str) -> StepTiming:
    """Make running standby `standby` stream from `new_primary` (primary_conninfo + reload).

    Waits until it streams; raises LabError when it cannot follow (diverged timeline: use
    rewind_and_rejoin). marks: "reloaded", "streaming".
    """
    with _session(state_dir) as lab:
        return _repoint(lab, standby, new_primary)


def _rewind(lab: _Lab, old: str, new: str) -> StepTiming:
    if old == new:
        raise LabError(f"rewind_and_rejoin: {old} cannot follow itself: name two centres")
    lab.require_uncut(old, new)
    primary = lab.require_primary(new)
    node = lab.node(old)
    started, t0 = _now(), time.perf_counter()
    pg.query(primary, "CHECKPOINT")
    t_checkpoint = _now()
    pg.ensure_slot(primary, node.centre.app_name)
    if pg.postmaster_pid(node):
        pg.stop(node, "fast")
    kill_pids(netns_pids(old))  # leftovers of a killed cluster, by PID
    pg.prepare_dirs(node)
    pg.write_config(node, lab.spec)
    line = pg.rewind(node, primary)
    t_rewound = _now()
    pg.write_role(node, upstream=primary, sync_names="")
    pg.start(node)
    t_started = _now()
    pg.wait_streaming(node, primary)
    t_streaming = _now()
    pg.drop_idle_slots(node)
    names = lab.ensure_sync(primary)
    lab.save_topology(healed=old)
    return StepTiming(
        "rewind_and_rejoin", old, started, time.perf_counter() - t0,
        {"checkpoint": t_checkpoint, "rewound": t_rewound, "started": t_started,
         "streaming": t_streaming},
        f"{line}; follows {new}; {new} synchronous_standby_names = '{names}'",
    )


def rewind_and_rejoin(state_dir: Path | str, old_primary: str, new_primary: str) -> StepTiming:
    """Bring a failed or diverged centre back as a standby of `new_primary` with pg_rewind.

    CHECKPOINT on the new primary first, a slot for the old one, stop it if it runs, pg_rewind
    over the interconnect, role.conf pointing at the new primary (port and listen addresses are
    per-centre files outside PGDATA, so the rewind cannot copy the wrong ones), start, wait
    until it streams, drop its stale slots, and make it the new primary's synchronous standby
    when it is its same-city partner. Both centres must not be cut off.
    marks: "checkpoint", "rewound", "started", "streaming".
    """
    with _session(state_dir) as lab:
        return _rewind(lab, old_primary, new_primary)


def _lsn(text: str) -> int:
    hi, _, lo = text.partition("/")
    return (int(hi, 16) << 32) + int(lo, 16)


def _switchover(lab: _Lab, source: str, target: str, timeout: float = 30) -> StepTiming:
    if source == target:
        raise LabError(f"switchover: {source} is already the primary")
    lab.require_uncut(source, target)
    src = lab.require_primary(source)
    dst = lab.require_standby(target)
    pg.wait_streaming(dst, src, timeout=5)
    started, t0 = _now(), time.perf_counter()
    pg.stop(src, "fast")  # clean: walsenders hand every WAL record to the standbys first
    t_stopped = _now()
    final = _lsn(pg.controldata(src)["Latest checkpoint location"])
    deadline = time.monotonic() + timeout
    while True:
        replayed = pg.query(dst, "SELECT pg_last_wal_replay_lsn()::text")[0][0]
        if replayed and _lsn(replayed) > final:
            break
        if time.monotonic() > deadline:
            pg.start(src)  # roll back: the old primary takes over again as it was
            raise LabError(
                f"switchover {source} -> {target} aborted: {target} did not replay {source}'s "
                f"final checkpoint in {timeout:.0f} s; {source} is primary again"
            )
        time.sleep(0.005)
    t_caught_up = _now()
    pg.promote_now(dst)
    t_promoted = _now()
    pg.write_role(dst, upstream=None, sync_names="")
    pg.reload(dst)
    lab.ensure_slots(dst)
    lab.save_topology(primary=target)
    pg.write_role(src, upstream=dst, sync_names="")
    pg.reset_copied_state(src, standby=True)
    pg.start(src)
    pg.wait_streaming(src, dst)
    t_rejoined = _now()
    for c in lab.spec.centres:
        if c.name in (source, target) or pg.in_recovery(lab.nodes[c.name]) is not True:
            continue
        if c.name in dcnet.cut_centres():
            continue
        _repoint(lab, c.name, target)
    # after the re-points: until then the other standbys may still stream from `source`
    pg.drop_idle_slots(src)
    names = lab.ensure_sync(dst)
    return StepTiming(
        "switchover", target, started, time.perf_counter() - t0,
        {"stopped": t_stopped, "caught_up": t_caught_up, "promoted": t_promoted,
         "rejoined": t_rejoined},
        f"{source} -> {target}; writes unavailable {t_promoted - started:.3f} s; "
        f"{target} synchronous_standby_names = '{names}'",
    )


def switchover(state_dir: Path | str, source: str, target: str) -> StepTiming:
    """Planned switchover from primary `source` to its standby `target`, with zero loss.

    Stops `source` cleanly, waits until `target` has replayed its final checkpoint, promotes
    `target`, restarts `source` as its standby, re-points the other standbys and restores
    synchronous replication to the same-city partner. If `target` does not catch up, `source`
    is restarted as primary and LabError is raised.
    marks: "stopped", "caught_up", "promoted" (writes possible again), "rejoined".
    """
    with _session(state_dir) as lab:
        return _switchover(lab, source, target)


def _reclone(lab: _Lab, name: str, primary: pg.Node) -> StepTiming:
    node = lab.node(name)
    started, t0 = _now(), time.perf_counter()
    if pg.postmaster_pid(node):
        pg.stop(node, "immediate")
    kill_pids(netns_pids(name))
    pg.prepare_dirs(node)
    pg.ensure_slot(primary, node.centre.app_name)
    pg.write_role(node, upstream=primary, sync_names="")
    pg.basebackup(node, primary)
    pg.start(node)
    pg.wait_streaming(node, primary)
    lab.ensure_sync(primary)
    lab.save_topology(healed=name)
    return StepTiming("reclone", name, started, time.perf_counter() - t0,
                      {"streaming": _now()}, f"cloned from {primary.name}")


def restore_topology(state_dir: Path | str) -> list[StepTiming]:
    """Return the lab to its spec's roles, whatever drills did: the rollback of every drill.

    Heals every cut, restarts the delay forwarder if needed, takes the running primary with
    the newest timeline (or starts the spec's primary when none runs), brings every other
    centre back as its standby (re-point, else pg_rewind, else a fresh pg_basebackup), then
    switches over to the spec's primary, so that the same-city centre is synchronous and the
    remote-dr centre asynchronous again. Returns the steps it took, in order.
    """
    steps: list[StepTiming] = []
    with _session(state_dir) as lab:
        for name in sorted(dcnet.cut_centres()):
            t0 = _now()
            dcnet.uncut(name)
            steps.append(StepTiming("restore_centre_network", name, t0, _now() - t0))
        dcnet.ensure_delay(lab.spec, lab.layout, lab.journal)
        original = lab.spec.by_role("primary").name
        primaries = lab.running_primaries()
        if len(primaries) > 1:
            def timeline(n: str) -> int:
                return int(pg.query(lab.nodes[n], "SELECT timeline_id FROM "
                                                  "pg_control_checkpoint()")[0][0])
            primaries.sort(key=timeline, reverse=True)
        if primaries:
            current = primaries[0]
        else:  # nothing runs as primary: start the last one recorded (newest data) as it is
            current = str(lab.topology()["primary"])
            node = lab.nodes[current]
            t0 = _now()
            pg.start(node)
            steps.append(StepTiming("start", current, t0, _now() - t0))
            if pg.in_recovery(node):
                steps.append(_promote(lab, current, force=True))
        lab.save_topology(primary=current, healed=current)
        primary = lab.nodes[current]
        pg.query(primary, "CHECKPOINT")
        for c in lab.spec.centres:
            if c.name == current:
                continue
            if pg.in_recovery(lab.nodes[c.name]) is True:
                try:
                    steps.append(_repoint(lab, c.name, current, timeout=10))
                    continue
                except LabError:
                    pass
            try:
                steps.append(_rewind(lab, c.name, current))
            except LabError:
                steps.append(_reclone(lab, c.name, primary))
        if current != original:
            steps.append(_switchover(lab, current, original))
        else:
            lab.ensure_slots(primary)
            lab.ensure_sync(primary)
        for c in lab.spec.centres:
            if c.name != original:
                pg.drop_idle_slots(lab.nodes[c.name])
        lab.save_topology(primary=original)
    return steps
