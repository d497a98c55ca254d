"""FRR routers in network namespaces, reachable over SSH: build, status, teardown.

One router is one network namespace named after it, holding:

* `lo` (up) and `mgmt0`, one end of a management veth whose other end (`gvm…`) sits in the root
  namespace; the two ends carry the router's management /31. Management traffic flows only
  over these veths; routers have no route towards the host or each other's management side.
* one veth end per link of the spec, up and shaped with `tbf`, without addresses (the
  configuration pushed to FRR assigns them).
* FRR (zebra, staticd, bfdd, ospfd, ospf6d, bgpd) with a blank integrated config, and sshd
  listening on the management address, both in the router's private mount namespace (see
  `govops.lab.frr`). Logging in as the lab user runs vtysh; Netmiko's `cisco_ios` driver
  talks to it, with host-key checking against the lab's `known_hosts`.

Everything lives under `LabSpec.state_dir`; what lives outside it (namespaces, root-namespace
veths, the login user) is journalled before it is made, so `teardown` also cleans up after a
build that died half-way. Example::

    state = build(spec, progress=print)
    with ConnectHandler(**netmiko_params(spec.state_dir, "town-th-1")) as conn:
        conn.send_config_set(["interface eth1", " ip address 198.18.0.0/31"])
        conn.save_config()
    teardown(spec.state_dir)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govops.lab import frr, netns, procs, sshd
from govops.lab.errors import LabError
from govops.lab.spec import LabSpec, LinkSpec, RouterSpec, spec_from_dict, spec_to_dict, validate
from govops.lab.state import (
    Layout,
    default_login_user,
    host_ifname,
    load_credentials,
    load_or_create_credentials,
    locked,
)
from govops.lab.statefiles import Journal, write_atomic

__all__ = [
    "LabError",
    "LabState",
    "RouterStatus",
    "TeardownReport",
    "build",
    "netmiko_params",
    "status",
    "teardown",
]

Progress = Callable[[str], None]

#: Per-namespace sysctls (see LAB-NOTES "Routers in network namespaces").
ROUTER_SYSCTLS: dict[str, int] = {
    "net.ipv6.conf.all.keep_addr_on_down": 1,
    "net.ipv6.conf.default.keep_addr_on_down": 1,
    "net.ipv6.conf.all.accept_dad": 0,
    "net.ipv6.conf.default.accept_dad": 0,
    "net.ipv6.conf.all.forwarding": 1,
    "net.ipv4.ip_forward": 1,
    # management is IPv4 only: no link-local chatter on the management veth
    "net.ipv6.conf.mgmt0.disable_ipv6": 1,
}
SSHD_START_TIMEOUT = 10.0
#: Routers whose daemons are started at the same time.
START_PARALLELISM = 3


@dataclass(frozen=True)
class RouterStatus:
    """What runs for one router. `daemons` maps each FRR daemon to whether it runs."""

    name: str
    namespace: bool
    daemons: Mapping[str, bool]
    sshd: bool
    mgmt_ipv4: str
    #: watchfrr runs (it restarts a crashed daemon)
    supervisor: bool = False
    #: every restart watchfrr made, oldest first: a crash, never only a missing neighbour
    restarts: tuple[frr.Restart, ...] = ()

    @property
    def healthy(self) -> bool:
        """Namespace present, every daemon, watchfrr and sshd running."""
        return self.namespace and self.sshd and self.supervisor and all(self.daemons.values())


@dataclass(frozen=True)
class LabState:
    """Result of `build`: where the lab is, how to log in, and what runs."""

    state_dir: Path
    login_user: str
    credentials: Path
    known_hosts: Path
    routers: tuple[RouterStatus, ...]
    #: "router/daemon" for each daemon (or sshd) this call started; empty when all ran.
    started: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class TeardownReport:
    """What `teardown` removed."""

    state_dir: Path
    namespaces: tuple[str, ...] = ()
    processes: tuple[int, ...] = ()
    veths: tuple[str, ...] = ()
    user: str | None = None
    files_removed: bool = False
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# build


def build(spec: LabSpec, progress: Progress | None = None,
          configs: Mapping[str, str] | None = None,
          parallelism: int = START_PARALLELISM) -> LabState:
    """Create (or complete, or repair) the lab described by `spec`; return what runs.

    Idempotent: existing namespaces, veths, files and running daemons are kept; a dead daemon
    or sshd is started again in its router's mount namespace; saved router configs are kept.
    Raises `LabError` when not root, when FRR or sshd are missing, when a namespace, veth or
    user of the same name exists but was not made by this lab, or when `state_dir` holds a
    different lab. `progress` receives one line per step (one call at a time, possibly from a
    worker thread). A relative `state_dir` is resolved against the working directory.
    `configs`: router → its first config (day 0), used only where the router has none saved.
    `parallelism`: routers started at the same time.
    """
    t0 = time.monotonic()
    say = _serialised(progress)
    validate(spec)
    check_environment()
    state_dir = Path(spec.state_dir).resolve()
    spec = dataclasses.replace(spec, state_dir=state_dir)
    layout = Layout(state_dir)
    if state_dir.exists() and any(state_dir.iterdir()) and not layout.is_lab():
        raise LabError(
            f"state_dir {state_dir} is not empty and holds no lab: choose an empty directory"
        )
    fresh = not layout.is_lab()
    state_dir.mkdir(parents=True, exist_ok=True)
    user = spec.login_user or default_login_user(state_dir)
    started: list[str] = []
    with locked(layout):
        journal = Journal(layout.journal)
        try:
            _check_ownership(spec, journal, user)
            _record_spec(layout, spec, user)
        except LabError:
            if fresh:  # nothing made yet: leave no trace
                shutil.rmtree(state_dir, ignore_errors=True)
            raise
        root_links = netns.link_names(None)
        for r in spec.routers:
            _build_namespace(layout, journal, r, root_links, say)
        where = {r.name: r.namespace for r in spec.routers}
        for link in spec.links:
            _build_link(journal, link, where, say)
        _build_user(layout, journal, user, say)
        # routers start independently; a few at a time keeps both cores busy
        with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
            first = configs or {}
            for names in pool.map(lambda r: _start_router(layout, r, user, say, first.get(r.name)),
                                  spec.routers):
                started += names
        _wait_sshd(layout, spec.routers)
        sshd.write_known_hosts(
            layout.known_hosts,
            {
                r.name: sshd.known_hosts_line(layout.router_dir(r.name), r.mgmt_ipv4)
                for r in spec.routers
            },
        )
        routers = tuple(_router_status(layout, r) for r in spec.routers)
    bad = [r.name for r in routers if not r.healthy]
    if bad:
        raise LabError(
            f"routers {', '.join(bad)} are not fully running after build: see "
            f"{layout.router_dir(bad[0])}/start.log and run/*.log"
        )
    seconds = time.monotonic() - t0
    say(f"lab ready: {len(routers)} routers in {seconds:.1f} s")
    return LabState(
        state_dir=state_dir,
        login_user=user,
        credentials=layout.credentials,
        known_hosts=layout.known_hosts,
        routers=routers,
        started=tuple(started),
        seconds=seconds,
    )


def _serialised(progress: Progress | None) -> Progress:
    lock = threading.Lock()

    def say(message: str) -> None:
        if progress is not None:
            with lock:
                progress(message)

    return say


def check_environment() -> None:
    """Raise `LabError` unless we are root and FRR, sshd and the tools are installed."""
    if os.geteuid() != 0:
        raise LabError("the router lab needs root: run it as root (e.g. with sudo)")
    for name in netns.TOOLS:
        netns.tool(name)
    frr.check_installed()
    sshd.check_installed()


def _record_spec(layout: Layout, spec: LabSpec, user: str) -> None:
    data = {
        "spec": spec_to_dict(spec),
        "login_user": user,
        "host_ifnames": {r.name: host_ifname(layout.state_dir, r.name) for r in spec.routers},
    }
    if layout.lab_json.exists():
        old = json.loads(layout.lab_json.read_text())
        if old != data:
            raise LabError(
                f"state_dir {layout.state_dir} holds a different lab: run "
                f"teardown({str(layout.state_dir)!r}) first or use another state_dir"
            )
        return
    write_atomic(layout.lab_json, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _check_ownership(spec: LabSpec, journal: Journal, user: str) -> None:
    existing = netns.list_netns()
    root_links = netns.link_names(None)
    problems = []
    for r in spec.routers:
        if r.namespace in existing and not journal.has(kind="netns", name=r.namespace):
            problems.append(
                f"network namespace {r.namespace!r} exists but is not part of this lab: "
                f"remove it (ip netns delete {r.namespace}) or rename the router"
            )
        hif = host_ifname(journal.path.parent, r.name)
        if hif in root_links and not journal.has(kind="veth", ifname=hif):
            problems.append(
                f"interface {hif} exists in the root namespace but is not part of this lab: "
                f"remove it (ip link delete {hif})"
            )
    if sshd.user_exists(user) and not journal.has(kind="user", name=user):
        problems.append(
            f"user {user!r} exists but was not created by this lab: remove it (userdel {user}) "
            "or set LabSpec.login_user to another name"
        )
    if problems:
        raise LabError("; ".join(problems))


def _build_namespace(
    layout: Layout, journal: Journal, r: RouterSpec, root_links: set[str], say: Progress
) -> None:
    hif = host_ifname(layout.state_dir, r.name)
    ns = r.namespace
    if ns not in netns.list_netns():
        journal.record(kind="netns", name=ns)
        netns.add_netns(ns)
        say(f"{r.name}: namespace created" + (f" ({ns})" if ns != r.name else ""))
    if "mgmt0" not in netns.link_names(ns):
        if hif in root_links:  # our half-made pair from an earlier run
            netns.delete_link(hif)
        journal.record(kind="veth", netns=None, ifname=hif, peer=ns)
        netns.add_veth(hif, None, "mgmt0", ns)
        say(f"{r.name}: management veth {hif} <-> mgmt0 created")
    netns.set_sysctls(ns, ROUTER_SYSCTLS)
    netns.ip_batch(
        [
            "link set dev lo up",
            f"address replace {r.mgmt_ipv4} dev mgmt0",
            "link set dev mgmt0 up",
        ],
        ns,
    )
    netns.write_root_sysctl(f"net.ipv6.conf.{hif}.disable_ipv6", 1)
    netns.ip_batch([f"address replace {r.mgmt_host_ipv4} dev {hif}", f"link set dev {hif} up"])


def _build_link(journal: Journal, link: LinkSpec, where: Mapping[str, str],
                say: Progress) -> None:
    """One veth pair between two routers (`where`: router → its namespace)."""
    a, b = where[link.a], where[link.b]
    have_a = link.a_ifname in netns.link_names(a)
    have_b = link.b_ifname in netns.link_names(b)
    if not (have_a and have_b):
        # veth ends are created together, so one lone end is a leftover: replace the pair
        if have_a:
            netns.delete_link(link.a_ifname, a)
        if have_b:
            netns.delete_link(link.b_ifname, b)
        # the journal names namespaces: teardown finds the ends by them
        journal.record(kind="link", a=a, a_ifname=link.a_ifname, b=b, b_ifname=link.b_ifname)
        netns.add_veth(link.a_ifname, a, link.b_ifname, b)
        say(f"link {link.a}:{link.a_ifname} <-> {link.b}:{link.b_ifname} created")
    for ns, ifname in ((a, link.a_ifname), (b, link.b_ifname)):
        netns.ip_batch([f"link set dev {ifname} up"], ns)
        netns.shape(ns, ifname, link.bandwidth_mbps)


def _build_user(layout: Layout, journal: Journal, user: str, say: Progress) -> None:
    creds = load_or_create_credentials(layout, user)
    if not sshd.user_exists(user):
        journal.record(kind="user", name=user)
        sshd.create_user(user)
        say(f"login user {user} created")
    if _password_locked(user) or _credentials_newer_than_shadow(layout):
        sshd.set_password(user, creds["password"])


def _password_locked(user: str) -> bool:
    try:
        for line in Path("/etc/shadow").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user:
                return fields[1] in ("", "*", "!", "!!") or fields[1].startswith("!")
    except OSError:
        return True
    return True


def _credentials_newer_than_shadow(layout: Layout) -> bool:
    try:
        return layout.credentials.stat().st_mtime > Path("/etc/shadow").stat().st_mtime
    except OSError:
        return True


def _start_router(layout: Layout, r: RouterSpec, user: str, say: Progress,
                  config: str | None = None) -> list[str]:
    """Start whatever of FRR and sshd is not running for router `r` (`config`: its first
    config, where it has none saved)."""
    rdir = layout.router_dir(r.name)
    daemons = r.frr_daemons
    frr.prepare_router_dir(rdir, r.name, daemons, config)
    sshd.prepare(rdir, r.name, r.mgmt_ipv4, user)
    ino = netns.netns_inode(r.namespace)
    running = {d: procs.lab_process(frr.pidfile(rdir, d), d, ino) for d in daemons}
    sshd_pid = procs.lab_process(sshd.pidfile(rdir), "sshd", ino)
    supervisor = procs.lab_process(frr.pidfile(rdir, frr.SUPERVISOR), frr.SUPERVISOR, ino)
    missing = [d for d in daemons if running[d] is None]
    if not missing and sshd_pid is not None and supervisor is not None:
        return []
    if supervisor is not None:  # watchfrr would race us to start the missing daemons
        procs.terminate([supervisor])
    # the namespace was deleted and re-made behind our back: end the old router's processes
    strays = [procs.stray_lab_process(frr.pidfile(rdir, d), d, ino) for d in missing]
    if sshd_pid is None:
        strays.append(procs.stray_lab_process(sshd.pidfile(rdir), "sshd", ino))
    procs.terminate([p for p in strays if p])
    anchors = [p for p in (*running.values(), sshd_pid) if p and not procs.same_mount_ns(p)]
    for d in missing:  # stale files would fool the readiness wait
        for suffix in (".pid", ".vty"):
            (rdir / "run" / f"{d}{suffix}").unlink(missing_ok=True)
    if sshd_pid is None:
        sshd.pidfile(rdir).unlink(missing_ok=True)
    script = frr.start_script(
        rdir,
        r.hostname,
        missing,
        fresh=not anchors,
        apply_all=len(missing) == len(daemons),
        sshd_argv=sshd.sshd_argv(rdir) if sshd_pid is None else None,
        supervisor=True,
        supervised=daemons,
    )
    if anchors:
        argv = ["nsenter", "-t", str(anchors[0]), "-m", "-u", "-n", "/bin/sh", "-c", script]
    else:
        argv = ["ip", "netns", "exec", r.namespace, netns.tool("unshare"), "-m", "-u",
                "--propagation", "private", "/bin/sh", "-c", script]
    netns.run(argv, timeout=60)
    now = [*missing, *(["sshd"] if sshd_pid is None else []),
           *([frr.SUPERVISOR] if supervisor is None else [])]
    say(f"{r.name}: started {' '.join(now)}")
    return [f"{r.name}/{d}" for d in now]


def _wait_sshd(layout: Layout, routers: tuple[RouterSpec, ...]) -> None:
    """sshd writes its pid file once it listens; wait for every router's."""
    deadline = time.monotonic() + SSHD_START_TIMEOUT
    for r in routers:
        rdir = layout.router_dir(r.name)
        ino = netns.netns_inode(r.namespace)
        while procs.lab_process(sshd.pidfile(rdir), "sshd", ino) is None:
            if time.monotonic() > deadline:
                raise LabError(
                    f"sshd of router {r.name} did not start: see {sshd.ssh_dir(rdir)}/sshd.log"
                )
            time.sleep(0.02)


# --------------------------------------------------------------------------------------------
# status


def status(state_dir: Path) -> list[RouterStatus]:
    """What runs for each router of the lab in `state_dir` (empty when there is no lab)."""
    layout = Layout(Path(state_dir).resolve())
    if not layout.lab_json.exists():
        return []
    spec = _load_spec(layout)
    return [_router_status(layout, r) for r in spec.routers]


def _router_status(layout: Layout, r: RouterSpec) -> RouterStatus:
    rdir = layout.router_dir(r.name)
    ino = netns.netns_inode(r.namespace)
    return RouterStatus(
        name=r.name,
        namespace=ino is not None,
        daemons={d: procs.lab_process(frr.pidfile(rdir, d), d, ino) is not None
                 for d in r.frr_daemons},
        sshd=procs.lab_process(sshd.pidfile(rdir), "sshd", ino) is not None,
        mgmt_ipv4=r.mgmt_ipv4,
        supervisor=procs.lab_process(frr.pidfile(rdir, frr.SUPERVISOR), frr.SUPERVISOR,
                                     ino) is not None,
        restarts=tuple(frr.read_restarts(rdir)),
    )


def _load_spec(layout: Layout) -> LabSpec:
    return spec_from_dict(json.loads(layout.lab_json.read_text())["spec"])


# --------------------------------------------------------------------------------------------
# teardown


def teardown(state_dir: Path) -> TeardownReport:
    """Remove every namespace, process, veth, user and file the lab in `state_dir` made,
    including after a build that crashed half-way; `state_dir` is absent afterwards.

    Processes are found with `ip netns pids` in the journalled namespaces (plus the lab's pid
    files) and ended by PID. Raises `LabError` if `state_dir` exists but is not a lab's.
    """
    t0 = time.monotonic()
    state_dir = Path(state_dir).resolve()
    layout = Layout(state_dir)
    if not state_dir.exists():
        return TeardownReport(state_dir=state_dir)
    if not layout.is_lab():
        if not any(state_dir.iterdir()):
            state_dir.rmdir()
            return TeardownReport(state_dir=state_dir, files_removed=True)
        raise LabError(
            f"{state_dir} holds no lab (no journal.jsonl or lab.json): refusing to delete it"
        )
    if os.geteuid() != 0:
        raise LabError("lab teardown needs root: run it as root (e.g. with sudo)")
    notes: list[str] = []
    with locked(layout):
        entries = Journal(layout.journal).entries()
        names = [e["name"] for e in entries if e.get("kind") == "netns"]
        present = netns.list_netns()
        # 1. processes, by PID; again while new ones show up (a build killed while its start
        #    scripts ran leaves them running on, and they may still be forking daemons)
        # watchfrr first, or it restarts the daemons as they are ended
        killed: list[int] = procs.terminate(
            [p for p in _pidfile_processes(layout, (frr.SUPERVISOR,))])
        for _round in range(5):
            pids = {p for name in names if name in present for p in netns.netns_pids(name)}
            pids.update(_pidfile_processes(layout))
            pids = {p for p in pids if procs.is_running(p)}
            if not pids:
                break
            killed += procs.terminate(pids)
        else:
            notes.append("some processes in the lab's namespaces kept reappearing")
        # 2. link ends (noted before their namespaces take them along)
        veths: list[str] = []
        for e in entries:
            if e.get("kind") == "link":
                for ns, ifname in ((e["a"], e["a_ifname"]), (e["b"], e["b_ifname"])):
                    if ns in present and ifname in netns.link_names(ns):
                        veths.append(f"{ns}:{ifname}")
        host_veths = [
            e["ifname"]
            for e in entries
            if e.get("kind") == "veth"
            and e.get("netns") is None
            and Path("/sys/class/net", e["ifname"]).exists()
        ]
        veths += host_veths
        # 3. root-namespace veths: deleting our end takes the pair away at once, whereas the
        #    kernel's asynchronous namespace cleanup would leave it for seconds per router
        for hif in host_veths:
            netns.delete_link(hif)
        # 4. namespaces
        removed_ns = []
        for name in names:
            if name in present:
                netns.delete_netns(name)
                removed_ns.append(name)
            if name in netns.list_netns():
                notes.append(f"namespace {name} could not be deleted")
        for hif in host_veths:
            if not netns.wait_link_gone(hif, 2.0):
                notes.append(f"interface {hif} could not be deleted")
        # 5. user
        user = None
        for e in entries:
            if e.get("kind") == "user" and sshd.delete_user(e["name"]):
                user = e["name"]
        # 6. files
        shutil.rmtree(state_dir)
    return TeardownReport(
        state_dir=state_dir,
        namespaces=tuple(removed_ns),
        processes=tuple(sorted(set(killed))),
        veths=tuple(veths),
        user=user,
        files_removed=not state_dir.exists(),
        seconds=time.monotonic() - t0,
        notes=tuple(notes),
    )


def _pidfile_processes(layout: Layout,
                       daemons: tuple[str, ...] = (*frr.DAEMONS, frr.SUPERVISOR)) -> set[int]:
    """Lab processes known from pid files that are not in the root network namespace (covers
    namespaces already deleted by an interrupted teardown); `daemons` limits the FRR ones."""
    root_ino = procs.net_inode(os.getpid())
    out = set()
    routers = layout.state_dir / "routers"
    if not routers.is_dir():
        return out
    for rdir in routers.iterdir():
        files = [(frr.pidfile(rdir, d), d) for d in daemons]
        if daemons != (frr.SUPERVISOR,):
            files.append((sshd.pidfile(rdir), "sshd"))
        for path, comm in files:
            pid = procs.read_pid(path)
            if pid is None or not procs.is_running(pid):
                continue
            try:
                actual = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                continue
            ino = procs.net_inode(pid)
            if actual == comm and ino is not None and ino != root_ino:
                out.add(pid)
    return out


# --------------------------------------------------------------------------------------------
# Netmiko


def netmiko_params(state_dir: Path, router_name: str) -> dict[str, Any]:
    """Keyword arguments for `netmiko.ConnectHandler` to reach `router_name`'s vtysh.

    Host keys are checked against the lab's `known_hosts` only (`alt_host_keys` +
    `alt_key_file`, `ssh_strict=True` → paramiko's `RejectPolicy`): an unknown or changed
    key fails the connection. The user's own known_hosts, keys and agent are not used.
    """
    layout = Layout(Path(state_dir).resolve())
    if not layout.lab_json.exists():
        raise LabError(f"no lab in {state_dir}: run build() first")
    spec = _load_spec(layout)
    router = next((r for r in spec.routers if r.name == router_name), None)
    if router is None:
        known = ", ".join(r.name for r in spec.routers)
        raise LabError(f"router {router_name!r} is not in the lab at {state_dir} ({known})")
    if not layout.known_hosts.exists():
        raise LabError(f"{layout.known_hosts} is missing: run build() for this lab again")
    creds = load_credentials(layout)
    return {
        "device_type": "cisco_ios",
        "host": str(ipaddress.IPv4Interface(router.mgmt_ipv4).ip),
        "port": 22,
        "username": creds["username"],
        "password": creds["password"],
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": str(layout.known_hosts),
        "use_keys": False,
        "allow_agent": False,
        "ssh_config_file": None,
        "conn_timeout": 10,
    }
