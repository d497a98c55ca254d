"""Is the lab clean? Every leftover a test, a drill or a crash can leave, named one per line.

A clean lab is what `govops lab up` builds, plus whatever configuration was pushed to it:

* every router's FRR daemons, watchfrr and sshd run, and no daemon restarted since `since`
  (a restart is a crash: "ospf6d on city-gz-2 crashed at 12:04:05 (signal 11) and was
  restarted");
* no nftables table in any lab namespace (faults are `netdev` drop tables);
* no qdisc but the lab's own: a `tbf` at the link's bandwidth on each router link, nothing on
  management veths, `lo`, or the root namespace's `lo`;
* every router link and management veth is up;
* each managed router's config is either what `lab up` gave it (blank) or the estate's
  intent, never something in between; between two configured routers every session the
  estate implies (OSPF, OSPFv3, BFD, iBGP) is up, allowing `settle_s` for convergence;
* the three centres run in their built roles (dc-a primary, the others streaming), none cut;
* the monitoring processes run.

`check` only reads; `repair` removes what a fault left (nftables tables, foreign qdiscs, links
down) so that one leaky test does not fail every test after it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from govops.lab import frr, routers
from govops.lab.spec import LabSpec, spec_from_dict


@dataclass(frozen=True)
class Leftover:
    """One way the lab differs from a clean lab: what kind, where, and a sentence."""

    kind: str  # daemon | restart | nftables | qdisc | link | config | session | centre | monitoring
    where: str
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass
class Report:
    """The outcome of `check`: leftovers (empty when clean) and what was looked at."""

    leftovers: list[Leftover] = field(default_factory=list)
    routers: int = 0
    configured: list[str] = field(default_factory=list)
    blank: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """True when nothing was left over."""
        return not self.leftovers


def _netns_exec(ns: str | None, *argv: str) -> subprocess.CompletedProcess[str]:
    cmd = [*(["ip", "netns", "exec", ns] if ns else []), *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)


def _spec(routers_dir: Path) -> LabSpec | None:
    lab_json = routers_dir / "lab.json"
    if not lab_json.exists():
        return None
    return spec_from_dict(json.loads(lab_json.read_text())["spec"])


def _namespaces(spec: LabSpec | None, dc_dir: Path) -> list[str]:
    names = [r.name for r in spec.routers] if spec else []
    if (dc_dir / "journal.jsonl").exists():
        from govops.lab.dcspec import CORE_NETNS

        names += [CORE_NETNS, "dc-a", "dc-b", "dc-c"]
    present = set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                                 check=False).stdout.split())
    return [n for n in names if n in present]


# --- processes ----------------------------------------------------------------------------


def check_processes(routers_dir: Path, since: float) -> list[Leftover]:
    """Dead FRR daemons, watchfrr or sshd, and daemon restarts after `since` (epoch s)."""
    found = []
    for r in routers.status(routers_dir):
        dead = [d for d, up in r.daemons.items() if not up]
        dead += [] if r.supervisor else [frr.SUPERVISOR]
        dead += [] if r.sshd else ["sshd"]
        if not r.namespace:
            found.append(Leftover("daemon", r.name, f"router {r.name}: namespace is gone"))
        elif dead:
            found.append(Leftover("daemon", r.name,
                                  f"router {r.name}: {', '.join(dead)} not running"))
        for x in r.restarts:
            if x.at >= since:
                found.append(Leftover("restart", r.name, x.sentence(r.name)))
    return found


# --- kernel state: nftables, qdiscs, links ---------------------------------------------------


def check_nftables(namespaces: list[str]) -> list[Leftover]:
    """Any nftables table in a lab namespace, and any `govops…` table in the root one."""
    found = []
    for ns in [*namespaces, None]:
        proc = _netns_exec(ns, "nft", "list", "tables")
        for line in proc.stdout.splitlines():
            parts = line.split()  # "table netdev govops_cut"
            if len(parts) == 3 and parts[0] == "table" and (ns or parts[2].startswith("govops")):
                where = ns or "the root namespace"
                found.append(Leftover("nftables", where, f"nftables table {parts[1]} "
                                      f"{parts[2]} in {where} (a fault left in place)"))
    return found


def _expected_qdiscs(spec: LabSpec | None) -> dict[tuple[str, str], int]:
    """(namespace, interface) → Mbit/s of the tbf the lab put there."""
    if spec is None:
        return {}
    out = {}
    for link in spec.links:
        out[(link.a, link.a_ifname)] = link.bandwidth_mbps
        out[(link.b, link.b_ifname)] = link.bandwidth_mbps
    return out


def _rate_mbps(options: dict) -> float | None:
    rate = options.get("rate")
    if isinstance(rate, int | float):  # tc -j gives bytes per second
        return rate * 8 / 1e6
    return None


def check_qdiscs(spec: LabSpec | None, namespaces: list[str]) -> list[Leftover]:
    """Qdiscs other than the lab's own tbf shaping (or with another rate), and any on `lo`."""
    expected = _expected_qdiscs(spec)
    found = []
    for ns in [*namespaces, None]:
        proc = _netns_exec(ns, "tc", "-j", "qdisc", "show")
        try:
            qdiscs = json.loads(proc.stdout or "[]")
        except json.JSONDecodeError:
            continue
        for q in qdiscs:
            kind, dev = q.get("kind"), q.get("dev", "?")
            if kind in ("noqueue", "noop", "pfifo_fast", "fq_codel", "mq") and q.get("root"):
                continue
            if ns is None and dev != "lo":
                continue  # the host's own interfaces are not the lab's
            where = f"{ns}:{dev}" if ns else f"root namespace:{dev}"
            want = expected.get((ns, dev)) if ns else None
            if kind == "tbf" and want is not None:
                rate = _rate_mbps(q.get("options", {}))
                if rate is None or abs(rate - want) <= max(1.0, want * 0.02):
                    continue
                found.append(Leftover("qdisc", where, f"qdisc tbf at {rate:.0f} Mbit/s on "
                                      f"{where}, the lab shapes it to {want} Mbit/s"))
                continue
            found.append(Leftover("qdisc", where, f"qdisc {kind} on {where} "
                                  "(not the lab's own shaping)"))
    return found


def check_links(spec: LabSpec | None) -> list[Leftover]:
    """Router links and management veths that are not up."""
    if spec is None:
        return []
    wanted: dict[str | None, set[str]] = {}
    for link in spec.links:
        wanted.setdefault(link.a, set()).add(link.a_ifname)
        wanted.setdefault(link.b, set()).add(link.b_ifname)
    for r in spec.routers:
        wanted.setdefault(r.name, set()).add("mgmt0")
    host_ends = set()
    lab_json = Path(spec.state_dir) / "lab.json"
    if lab_json.exists():
        host_ends = set(json.loads(lab_json.read_text()).get("host_ifnames", {}).values())
    wanted[None] = host_ends
    found = []
    for ns, names in wanted.items():
        proc = _netns_exec(ns, "ip", "-j", "link", "show")
        try:
            links = {x["ifname"]: x for x in json.loads(proc.stdout or "[]")}
        except json.JSONDecodeError:
            continue
        for name in sorted(names):
            link = links.get(name)
            where = f"{ns}:{name}" if ns else f"root namespace:{name}"
            if link is None:
                found.append(Leftover("link", where, f"link {where} is missing"))
            elif "UP" not in link.get("flags", []) or link.get("operstate") not in ("UP",
                                                                                     "UNKNOWN"):
                found.append(Leftover("link", where, f"link {where} is down "
                                      f"({link.get('operstate', '?')})"))
    return found


# --- configuration and sessions --------------------------------------------------------------


def check_sessions(estate_dir: Path, settle_s: float = 45.0) -> tuple[list[Leftover], list[str],
                                                                      list[str]]:
    """Routers half-way between blank and intended, and sessions down between configured
    routers (after waiting up to `settle_s` for them). Returns (leftovers, configured, blank).
    """
    from govops.estate.loader import load_estate
    from govops.estate.views import node_view
    from govops.network.credentials import load_credentials
    from govops.network.diff import remediation
    from govops.network.drivers.base import DeviceError
    from govops.network.drivers.frr import FrrDriver
    from govops.network.render import render_all
    from govops.network.verify import address_owners, expectation, missing

    estate = load_estate(estate_dir)
    creds = load_credentials()
    managed = [n for n, node in estate.nodes.items() if node.managed]
    views = {n: node_view(estate, n) for n in estate.nodes}
    owners = address_owners(views.values())
    intended = render_all(estate)
    found: list[Leftover] = []

    def connect(name: str) -> FrrDriver:
        d = FrrDriver(name, views[name].mgmt_ipv4.split("/")[0], creds)
        d.open()
        return d

    def classify(name: str) -> str:
        d = connect(name)
        try:
            running = d.get_running()
        finally:
            d.close()
        if not remediation("frr", running, intended[name]):
            return "configured"
        blank = f"frr defaults traditional\nhostname {name}\nservice integrated-vtysh-config\n"
        if not remediation("frr", running, blank):
            return "blank"
        return "partial"

    with ThreadPoolExecutor(max_workers=8) as pool:
        try:
            states = dict(zip(managed, pool.map(classify, managed), strict=True))
        except DeviceError as exc:
            return [Leftover("config", exc.device, f"cannot read {exc}")], [], []
    for name, state in states.items():
        if state == "partial":
            found.append(Leftover("config", name, f"{name} is neither blank nor at its "
                                  "intended config (a push or rollback left half-way)"))
    configured = sorted(n for n, s in states.items() if s == "configured")
    blank = sorted(n for n, s in states.items() if s == "blank")
    ready = set(configured)

    def gaps(name: str) -> list[str]:
        exp = expectation(estate, views[name], intended[name], ready, views, owners)
        d = connect(name)
        try:
            return missing(exp, d.get_state())
        finally:
            d.close()

    deadline = time.monotonic() + settle_s
    pending = list(configured)
    while pending:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = dict(zip(pending, pool.map(gaps, pending), strict=True))
        pending = [n for n, g in results.items() if g]
        if not pending or time.monotonic() >= deadline:
            for name in pending:
                g = results[name]
                found.append(Leftover("session", name, f"{name}: " + "; ".join(g[:3])
                                      + (f" (+{len(g) - 3} more)" if len(g) > 3 else "")))
            break
        time.sleep(2.0)
    return found, configured, blank


# --- data centres and monitoring ---------------------------------------------------------------


def check_centres(dc_dir: Path) -> list[Leftover]:
    """Centres not running, cut off, or not in their built roles."""
    if not dc_dir.exists():
        return []
    from govops.lab import datacentres

    status = datacentres.status(dc_dir)
    if not status.built:
        return []
    found = []
    for c in status.centres:
        if c.cut:
            found.append(Leftover("centre", c.name, f"centre {c.name} is cut off "
                                  "(nftables drop in dc-core)"))
        if not c.running:
            found.append(Leftover("centre", c.name, f"centre {c.name}: PostgreSQL is down"))
        elif c.current_role != ("primary" if c.role == "primary" else "standby"):
            found.append(Leftover("centre", c.name, f"centre {c.name} runs as "
                                  f"{c.current_role}, built as {c.role}"))
        elif c.role != "primary" and not c.streaming:
            found.append(Leftover("centre", c.name, f"centre {c.name} is not streaming"))
    return found


def check_monitoring(monitoring_dir: Path) -> list[Leftover]:
    """Monitoring processes that were started and no longer run."""
    if not monitoring_dir.exists():
        return []
    from govops.monitoring import lab as monitoring_lab

    status = monitoring_lab.status(monitoring_dir)
    return [Leftover("monitoring", p.name, f"monitoring process {p.name} is not running")
            for p in status.processes if not p.running]


# --- the whole check ----------------------------------------------------------------------------


def check(lab_root: Path, estate_dir: Path, *, since: float = 0.0, settle_s: float = 45.0,
          sessions: bool = True) -> Report:
    """Every leftover in the lab under `lab_root` (routers/, dc/, monitoring/), built from the
    estate in `estate_dir`. `since`: report daemon restarts after this epoch time only."""
    t0 = time.monotonic()
    routers_dir, dc_dir = lab_root / "routers", lab_root / "dc"
    spec = _spec(routers_dir)
    namespaces = _namespaces(spec, dc_dir)
    report = Report(routers=len(spec.routers) if spec else 0)
    report.leftovers += check_processes(routers_dir, since) if spec else []
    report.leftovers += check_nftables(namespaces)
    report.leftovers += check_qdiscs(spec, namespaces)
    report.leftovers += check_links(spec)
    report.leftovers += check_centres(dc_dir)
    report.leftovers += check_monitoring(lab_root / "monitoring")
    if spec and sessions and not any(x.kind == "daemon" for x in report.leftovers):
        found, report.configured, report.blank = check_sessions(estate_dir, settle_s)
        report.leftovers += found
    report.seconds = time.monotonic() - t0
    return report


def repair(report: Report, lab_root: Path,
           progress: Callable[[str], None] | None = None) -> list[str]:
    """Remove the kernel leftovers in `report` (nftables tables, foreign qdiscs, links down);
    returns what was done. Sessions, configs and centres are left to their own tools."""
    spec = _spec(lab_root / "routers")
    expected = _expected_qdiscs(spec)
    done = []
    for x in report.leftovers:
        ns, _, dev = x.where.partition(":")
        ns_arg = None if ns == "root namespace" else ns
        if x.kind == "nftables":
            family, table = x.detail.split()[2:4]
            target = None if x.where == "the root namespace" else x.where
            _netns_exec(target, "nft", "delete", "table", family, table)
        elif x.kind == "qdisc":
            _netns_exec(ns_arg, "tc", "qdisc", "del", "dev", dev, "root")
            if ns_arg and (ns_arg, dev) in expected:
                from govops.lab import netns

                netns.shape(ns_arg, dev, expected[(ns_arg, dev)])
        elif x.kind == "link":
            _netns_exec(ns_arg, "ip", "link", "set", "dev", dev, "up")
        else:
            continue
        done.append(f"removed: {x.detail}")
        if progress:
            progress(done[-1])
    return done


def repair_configs(report_leftovers: list[Leftover], estate_dir: Path) -> list[str]:
    """Give each half-configured router its intended config again (what a full push would
    leave), so that a push or rollback cut short does not fail every later test."""
    from govops.estate.loader import load_estate
    from govops.lab.carriers import push_rendered

    names = [x.where for x in report_leftovers if x.kind == "config"]
    if not names:
        return []
    estate = load_estate(estate_dir)
    for name in names:
        push_rendered(estate, name)
    return [f"pushed the intended config to {name}" for name in names]
