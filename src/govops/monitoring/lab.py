"""Monitoring in the lab: Prometheus, the Debian exporters, the govops exporter, the ops page.

What runs, and where (all started here, tracked by PID and start time in
`<state_dir>/processes.json`, logs in `<state_dir>/logs/`):

| process                      | where                                   | listens on                  |
|------------------------------|-----------------------------------------|-----------------------------|
| prometheus                   | root namespace                          | 127.0.0.1:9090              |
| govops exporter              | root namespace                          | 127.0.0.1:9860              |
| ops page (`govops ops serve`)| root namespace                          | 127.0.0.1:9861              |
| frr_exporter, one per router | the router's network + mount namespaces | its management address:9342 |
| blackbox (province core)     | the province core's network namespace   | its management address:9115 |
| blackbox (ops host)          | root namespace (DC interconnect)        | 127.0.0.1:9116              |
| postgres_exporter per centre | root namespace (DC interconnect)        | 127.0.0.1:9187, 9188, 9189  |

The routers come from the router lab (`<lab>/routers`), the centres from the DC lab
(`<lab>/dc`); whatever is not up is simply not monitored. `start` is idempotent: running
processes with the same command line are kept, changed ones restarted, and Prometheus reloads
its configuration. `stop` ends exactly the processes it recorded (PID + start time) and
removes the state directory. Example::

    state = start(load_estate("inventories/lab"), lab_dir() / "monitoring")
    print(state.prometheus_url, state.ops_url)
    stop(lab_dir() / "monitoring")
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govops.estate.estate import Estate
from govops.lab import statefiles
from govops.lab.errors import LabError
from govops.monitoring.config import (
    BLACKBOX_PORT,
    FRR_EXPORTER_PORT,
    ProbeTarget,
    ScrapeTarget,
    Targets,
    node_labels,
    province_core,
    render,
)

Progress = Callable[[str], None]

BINARIES = {
    "prometheus": "/usr/bin/prometheus",
    "blackbox": "/usr/bin/prometheus-blackbox-exporter",
    "frr": "/usr/bin/prometheus-frr-exporter",
    "postgres": "/usr/bin/prometheus-postgres-exporter",
}
DEBIAN_PACKAGES = ("prometheus", "prometheus-blackbox-exporter", "prometheus-frr-exporter",
                   "prometheus-postgres-exporter")
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Ports:
    """Root-namespace ports of the lab's monitoring (all on 127.0.0.1)."""

    prometheus: int = 9090
    exporter: int = 9860
    ops: int = 9861
    blackbox_local: int = 9116
    postgres_first: int = 9187


@dataclass(frozen=True)
class ProcessStatus:
    """One process of the lab's monitoring."""

    name: str  # e.g. "prometheus", "frr-town-tianhe-a", "postgres-dc-a"
    pid: int | None
    running: bool
    address: str  # ADDR:PORT it serves on
    netns: str | None  # None: the root namespace


@dataclass(frozen=True)
class MonitoringState:
    """What `start` made or found."""

    state_dir: Path
    prometheus_url: str
    ops_url: str
    exporter_url: str
    processes: tuple[ProcessStatus, ...]
    started: tuple[str, ...]  # names of the processes this call started
    targets: dict[str, int]  # scrape targets per job
    seconds: float


@dataclass(frozen=True)
class MonitoringStatus:
    """What runs now."""

    state_dir: Path
    up: bool  # every recorded process runs
    prometheus_url: str | None
    ops_url: str | None
    processes: tuple[ProcessStatus, ...]
    targets_up: int | None = None  # from Prometheus; None when it does not answer
    targets_total: int | None = None


@dataclass(frozen=True)
class StopReport:
    state_dir: Path
    stopped: tuple[str, ...] = ()
    files_removed: bool = False
    seconds: float = 0.0


@dataclass
class _Spec:
    """A process to run."""

    name: str
    argv: list[str]
    address: str
    netns: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    ready: str = "tcp"  # "tcp" (the address accepts connections) or an HTTP URL


# --- helpers -------------------------------------------------------------------------------


def _start_ticks(pid: int) -> int | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _alive(entry: dict[str, Any]) -> bool:
    pid = entry.get("pid")
    return bool(pid) and _start_ticks(pid) == entry.get("start_ticks")


def _http_ok(url: str, timeout: float = 1.0, method: str = "GET") -> bool:
    try:
        req = urllib.request.Request(url, method=method)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except (OSError, ValueError):
        return False


def _tcp_ok(address: str, timeout: float = 0.5) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def _locked(state_dir: Path):
    return statefiles.locked(state_dir / ".lock", f"monitoring lab {state_dir} is busy (a start or stop)")


class _Table:
    """processes.json: name → {pid, start_ticks, argv, address, netns}; written after each
    start, so a crash half-way still leaves every started PID on record."""

    def __init__(self, state_dir: Path):
        self.path = state_dir / "processes.json"
        try:
            self.data: dict[str, dict[str, Any]] = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            self.data = {}

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        text = json.dumps(self.data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)


def _terminate(entries: list[dict[str, Any]], grace: float = 3.0) -> list[int]:
    """SIGTERM, then SIGKILL, exactly these processes (PID and start time must match)."""
    live = [e for e in entries if _alive(e)]
    for e in live:
        with contextlib.suppress(ProcessLookupError):
            os.kill(e["pid"], signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(e) for e in live):
        time.sleep(0.05)
    for e in live:
        if _alive(e):
            with contextlib.suppress(ProcessLookupError):
                os.kill(e["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and any(_alive(e) for e in live):
        time.sleep(0.05)
    return [e["pid"] for e in live]


# --- what to run ---------------------------------------------------------------------------


def check_environment() -> None:
    """LabError unless root and the Debian exporters and Prometheus are installed."""
    if os.geteuid() != 0:
        raise LabError("the lab's monitoring needs root (exporters in router namespaces): "
                       "run as root")
    missing = [p for p in BINARIES.values() if not Path(p).exists()]
    if missing:
        raise LabError(f"missing {', '.join(missing)}: apt-get install -y "
                       f"--no-install-recommends {' '.join(DEBIAN_PACKAGES)}")


def _routers(routers_dir: Path) -> list[tuple[str, str, int | None]]:
    """(name, management IPv4, zebra PID) of each router of the router lab that runs."""
    from govops.lab import frr, netns, procs, routers
    from govops.lab.state import Layout

    if not (routers_dir / "lab.json").exists():
        return []
    layout = Layout(routers_dir.resolve())
    out = []
    for r in routers.status(routers_dir):
        if not r.namespace:
            continue
        pid = procs.lab_process(frr.pidfile(layout.router_dir(r.name), "zebra"), "zebra",
                                netns.netns_inode(r.name))
        out.append((r.name, r.mgmt_ipv4.split("/")[0], pid))
    return out


def _centres(dc_dir: Path) -> tuple[list[dict[str, Any]], int, str]:
    """(centres, port, dbname) of the DC lab, from its spec.json ([] when it is not built)."""
    try:
        spec = json.loads((dc_dir / "spec.json").read_text())
    except (FileNotFoundError, ValueError):
        return [], 5432, "postgres"
    return list(spec.get("centres", [])), int(spec.get("pg_port", 5432)), spec.get("dbname",
                                                                                     "postgres")


def _estate_site(estate: Estate, site: str, role: str) -> str:
    if site in estate.sites:
        return site
    return next((s.name for s in estate.sites.values() if s.role == role), site)


#: How often the lab's Prometheus scrapes, probes and evaluates its rules.
LAB_SCRAPE_INTERVAL = "5s"


def plan(estate: Estate, state_dir: Path, routers_dir: Path, dc_dir: Path,
         ports: Ports = Ports()) -> tuple[Targets, list[_Spec]]:
    """The scrape targets and the processes for the lab as it is now."""
    from govops.paths import REPO_ROOT

    local = "127.0.0.1"
    # 5 s, not a deployment's 10 s: drills and their tests wait for Prometheus to see a fault
    # and its repair, and 53 targets every 5 s cost the lab little
    targets = Targets(exporter=f"{local}:{ports.exporter}",
                      prometheus=f"{local}:{ports.prometheus}",
                      rule_files=[str(REPO_ROOT / "monitoring" / "rules" / "*.yml")],
                      scrape_interval=LAB_SCRAPE_INTERVAL, probe_interval=LAB_SCRAPE_INTERVAL)
    specs: list[_Spec] = []
    running = {name: (mgmt, pid) for name, mgmt, pid in _routers(routers_dir)}
    # FRR exporters, inside each router's mount namespace (so vtysh and the sockets are the
    # router's own) and network namespace (listening on its management address)
    for name, (mgmt, zebra) in running.items():
        if name not in estate.nodes or zebra is None:
            continue
        node = estate.nodes[name]
        if not node.managed or node.level == "carrier":
            continue
        address = f"{mgmt}:{FRR_EXPORTER_PORT}"
        targets.frr.append(ScrapeTarget(address, node_labels(estate, name)))
        specs.append(_Spec(f"frr-{name}", [
            "nsenter", "-t", str(zebra), "-m", "-n", "--", BINARIES["frr"],
            f"--web.listen-address={address}", "--collector.bgp6", "--collector.bfd",
            "--frr.socket.dir-path=/var/run/frr", "--log.level=warn",
        ], address, netns=name))
    # blackbox in the province core: ICMP to every town (and DC router) of the estate
    core = province_core(estate)
    config_file = str(state_dir / "blackbox.yml")
    if core in running:
        address = f"{running[core][0]}:{BLACKBOX_PORT}"
        targets.add_core_probes(estate, core, address)
        specs.append(_Spec("blackbox-core", [
            "ip", "netns", "exec", core, BINARIES["blackbox"], f"--config.file={config_file}",
            f"--web.listen-address={address}", "--log.level=warn",
        ], address, netns=core))
    # the DC lab: postgres exporters and ICMP from the ops host, over the interconnect
    centres, pg_port, dbname = _centres(dc_dir)
    if centres:
        address = f"{local}:{ports.blackbox_local}"
        targets.modules["icmp6"] = ("ipv6", "")
        targets.modules["icmp4"] = ("ipv4", "")
        targets.blackboxes.append(ScrapeTarget(address, {"probe_from": "ops-host"}))
        specs.append(_Spec("blackbox-local", [
            BINARIES["blackbox"], f"--config.file={config_file}",
            f"--web.listen-address={address}", "--log.level=warn",
        ], address))
        for i, c in enumerate(centres):
            site = _estate_site(estate, c["site"], c["role"])
            labels = {"node": c["name"], "site": site}
            for family, key, module in (("ipv6", "ipv6", "icmp6"), ("ipv4", "ipv4", "icmp4")):
                targets.probes.append(ProbeTarget(c[key].split("/")[0], family, "dc", labels,
                                                  module, address))
            pg_address = f"{local}:{ports.postgres_first + i}"
            targets.postgres.append(ScrapeTarget(pg_address, {
                "centre": c["name"], "site": site, "designed_role": c["role"]}))
            host = c["ipv4"].split("/")[0]
            specs.append(_Spec(f"postgres-{c['name']}", [
                BINARIES["postgres"], f"--web.listen-address={pg_address}", "--log.level=warn",
            ], pg_address, env={"DATA_SOURCE_NAME": (
                f"postgresql://postgres@{host}:{pg_port}/{dbname}?sslmode=disable"
                "&connect_timeout=2")}))
    # the govops exporter, the ops page, Prometheus
    exporter = [sys.executable, "-m", "govops", "exporter", "--estate",
                str(Path(estate.directory).resolve()), "--listen", targets.exporter,
                "--dc-lab", str(dc_dir.resolve())]
    specs.append(_Spec("govops-exporter", exporter, targets.exporter,
                       ready=f"http://{targets.exporter}/healthz"))
    prom_url = f"http://{targets.prometheus}"
    specs.append(_Spec("prometheus", [
        BINARIES["prometheus"], f"--config.file={state_dir / 'prometheus.yml'}",
        f"--storage.tsdb.path={state_dir / 'data'}", f"--web.listen-address={targets.prometheus}",
        "--web.enable-lifecycle", "--storage.tsdb.retention.time=2d", "--log.level=warn",
    ], targets.prometheus, ready=f"{prom_url}/-/ready"))
    ops = f"{local}:{ports.ops}"
    specs.append(_Spec("ops-page", [sys.executable, "-m", "govops", "ops", "serve", "--listen", ops,
                                    "--prometheus", prom_url], ops, ready=f"http://{ops}/healthz"))
    return targets, specs


# --- start / status / stop -----------------------------------------------------------------


def start(estate: Estate, state_dir: Path, *, routers_dir: Path | None = None,
          dc_dir: Path | None = None, ports: Ports = Ports(),
          progress: Progress | None = None) -> MonitoringState:
    """Start (or complete, or update) the lab's monitoring; returns what runs.

    `routers_dir` and `dc_dir` default to the siblings `routers` and `dc` of `state_dir`.
    Raises LabError when not root, when a Debian package is missing, or when a process does
    not come up (naming its log file).
    """
    t0 = time.monotonic()
    say = progress or (lambda _m: None)
    check_environment()
    state_dir = Path(state_dir).resolve()
    routers_dir = Path(routers_dir or state_dir.parent / "routers").resolve()
    dc_dir = Path(dc_dir or state_dir.parent / "dc").resolve()
    (state_dir / "logs").mkdir(parents=True, exist_ok=True)
    started: list[str] = []
    with _locked(state_dir):
        targets, specs = plan(estate, state_dir, routers_dir, dc_dir, ports)
        files = render(estate, targets)
        changed = False
        for name, text in files.items():
            path = state_dir / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                changed = True
        table = _Table(state_dir)
        wanted = {s.name for s in specs}
        # processes no longer wanted (a router gone) or with another command line
        stale = [n for n, e in table.data.items()
                 if n not in wanted or e.get("argv") != next(
                     (s.argv for s in specs if s.name == n), None)]
        if stale:
            _terminate([table.data[n] for n in stale])
            for n in stale:
                del table.data[n]
            table.save()
        for spec in specs:
            entry = table.data.get(spec.name)
            if entry and _alive(entry):
                continue
            _check_port_free(spec)
            with open(state_dir / "logs" / f"{spec.name}.log", "ab") as logf:
                proc = subprocess.Popen(
                    spec.argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                    start_new_session=True, cwd=str(state_dir), env={**os.environ, **spec.env})
            table.data[spec.name] = {"pid": proc.pid, "start_ticks": _wait_ticks(proc.pid),
                                     "argv": spec.argv, "address": spec.address,
                                     "netns": spec.netns}
            table.save()
            started.append(spec.name)
            say(f"monitoring: started {spec.name} on {spec.address}")
        for spec in specs:
            _wait_ready(spec, table.data[spec.name], state_dir)
        prom = f"http://{targets.prometheus}"
        if changed and "prometheus" not in started:
            _http_ok(f"{prom}/-/reload", timeout=10, method="POST")
            say("monitoring: Prometheus configuration reloaded")
        for spec in specs:
            if spec.name.startswith("blackbox") and changed and spec.name not in started:
                _http_ok(f"http://{spec.address}/-/reload", timeout=5, method="POST")
        processes = tuple(_status_of(n, table.data[n]) for n in sorted(table.data))
    return MonitoringState(
        state_dir=state_dir,
        prometheus_url=prom,
        ops_url=f"http://127.0.0.1:{ports.ops}/",
        exporter_url=f"http://{targets.exporter}/metrics",
        processes=processes,
        started=tuple(started),
        targets={"prometheus": 1, "govops": 1, **targets.counts()},
        seconds=time.monotonic() - t0,
    )


def _wait_ticks(pid: int) -> int | None:
    for _ in range(100):
        ticks = _start_ticks(pid)
        if ticks is not None:
            return ticks
        time.sleep(0.01)
    return None


def _check_port_free(spec: _Spec) -> None:
    if spec.netns is None and _tcp_ok(spec.address, timeout=0.2):
        raise LabError(f"{spec.address} is already in use by a process the lab did not start: "
                       f"stop it or give start() other ports (monitoring.lab.Ports)")


def _wait_ready(spec: _Spec, entry: dict[str, Any], state_dir: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    log = state_dir / "logs" / f"{spec.name}.log"
    while time.monotonic() < deadline:
        if not _alive(entry):
            tail = _tail(log)
            raise LabError(f"monitoring process {spec.name} exited at start: see {log}"
                           + (f" ({tail})" if tail else ""))
        ok = _tcp_ok(spec.address) if spec.ready == "tcp" else _http_ok(spec.ready)
        if ok:
            return
        time.sleep(0.1)
    raise LabError(f"monitoring process {spec.name} does not answer on {spec.address} after "
                   f"{READY_TIMEOUT_S:.0f} s: see {log}")


def _tail(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def _status_of(name: str, entry: dict[str, Any]) -> ProcessStatus:
    return ProcessStatus(name, entry.get("pid"), _alive(entry), entry.get("address", ""),
                         entry.get("netns"))


def status(state_dir: Path) -> MonitoringStatus:
    """What runs (no root needed); asks Prometheus how many targets are up."""
    state_dir = Path(state_dir).resolve()
    if not (state_dir / "processes.json").exists():
        return MonitoringStatus(state_dir, False, None, None, ())
    table = _Table(state_dir)
    processes = tuple(_status_of(n, e) for n, e in sorted(table.data.items()))
    prom = table.data.get("prometheus", {}).get("address")
    ops = table.data.get("ops-page", {}).get("address")
    up = total = None
    if prom:
        try:
            with urllib.request.urlopen(f"http://{prom}/api/v1/targets?state=active",
                                        timeout=2) as resp:
                active = json.load(resp)["data"]["activeTargets"]
            total = len(active)
            up = sum(1 for t in active if t.get("health") == "up")
        except (OSError, ValueError, KeyError):
            pass
    return MonitoringStatus(state_dir, bool(processes) and all(p.running for p in processes),
                            f"http://{prom}" if prom else None,
                            f"http://{ops}/" if ops else None, processes, up, total)


def stop(state_dir: Path) -> StopReport:
    """End every process `start` recorded (by PID and start time) and remove `state_dir`."""
    t0 = time.monotonic()
    state_dir = Path(state_dir).resolve()
    if not state_dir.exists():
        return StopReport(state_dir)
    if not (state_dir / "processes.json").exists() and any(
            p.name not in (".lock", "logs") for p in state_dir.iterdir()):
        if not (state_dir / "prometheus.yml").exists():
            raise LabError(f"{state_dir} holds no lab monitoring (no processes.json): "
                           "refusing to delete it")
    with _locked(state_dir):
        table = _Table(state_dir)
        names = [n for n, e in table.data.items() if _alive(e)]
        _terminate(list(table.data.values()))
        shutil.rmtree(state_dir)
    return StopReport(state_dir, tuple(sorted(names)), not state_dir.exists(),
                      time.monotonic() - t0)
