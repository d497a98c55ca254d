"""The three-centre lab's network: namespaces, the interconnect bridge, the delayed path, faults.

Topology (one L2 segment, the "DC interconnect")::

      root namespace                 dc-core (bridge br0, no address)
      dc-lab 198.19.250.254 --veth-- root
                                      dc-a --veth-- dc0 in dc-a   198.19.250.1
                                      dc-b --veth-- dc0 in dc-b   198.19.250.2
                                      dc-c (TAP) ==delay.py== dc0 (TAP) in dc-c  198.19.250.3

Every frame to or from the remote-dr centre crosses `govops.lab.delay` (a user-space forwarder
between two TAP devices, running in dc-core), which holds it for `remote_delay_ms`: the round
trip to dc-c is twice that. A fault cuts a centre silently with an nftables `netdev` table in
dc-core (ingress and egress hooks on that centre's bridge port, policy drop): the link stays up,
frames simply vanish, as when a site is lost. The bridge's alias records which state directory
owns the lab, so a second lab cannot take over the namespaces of the first.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from govops.lab import delay as delay_mod
from govops.lab.dcspec import CORE_NETNS, CentreSpec, DcLabSpec
from govops.lab.dcstate import (
    DcLayout,
    kill_pids,
    netns_list,
    netns_pids,
    proc_alive,
    proc_cmdline,
    read_pid,
    run,
)
from govops.lab.errors import LabError
from govops.lab.statefiles import Journal

ROOT_LINK = "dc-lab"  # the root namespace's end of its veth into dc-core
ROOT_PORT = "root"  # its peer, a port of br0 in dc-core
BRIDGE = "br0"
CENTRE_IF = "dc0"  # each centre's interface on the interconnect
GUARD_METRIC = 4242  # metric of the unreachable routes that keep lab prefixes off the uplink

_NS_SYSCTLS = (
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
    "net.ipv6.conf.all.keep_addr_on_down=1",
    "net.ipv6.conf.default.keep_addr_on_down=1",
    "net.ipv6.conf.all.accept_ra=0",
    "net.ipv6.conf.default.accept_ra=0",
)


def _fault_table(name: str) -> str:
    return "fault_" + name.replace("-", "_")


def _links(netns: str | None) -> set[str]:
    args = ["ip", "-o"] + (["-n", netns] if netns else []) + ["link", "show"]
    out = run(args, what=f"listing links in {netns or 'the root namespace'}").stdout
    names = set()
    for line in out.splitlines():
        m = re.match(r"^\d+:\s+([^:@\s]+)", line)
        if m:
            names.add(m.group(1))
    return names


def lab_owner() -> Path | None:
    """State directory of the DC lab that owns the namespaces now (None: no lab, or unknown)."""
    if CORE_NETNS not in netns_list():
        return None
    proc = run(["ip", "-n", CORE_NETNS, "-o", "link", "show", BRIDGE], check=False)
    m = re.search(r"\balias (\S+)", proc.stdout)
    return Path(m.group(1)) if m else None


def check_owner(spec: DcLabSpec, journal: Journal) -> None:
    """Raise when the dc-* namespaces belong to another lab than `spec.state_dir`."""
    mine = {e.get("name") for e in journal.entries() if e.get("kind") == "netns"}
    owner = lab_owner()
    state_dir = Path(spec.state_dir)
    if owner is not None and owner != state_dir:
        raise LabError(
            f"the DC lab namespaces belong to the lab at {owner}: tear that one down first "
            f"(govops.lab.datacentres.teardown({str(owner)!r}))"
        )
    if owner is None:
        for name in (CORE_NETNS, *spec.names):
            if name in netns_list() and name not in mine:
                raise LabError(
                    f"network namespace {name} exists but is not part of the DC lab at "
                    f"{state_dir}: remove it (ip netns delete {name}) or tear down its lab"
                )
    if ROOT_LINK in _links(None) and owner != state_dir and not any(
        e.get("kind") == "link" and e.get("name") == ROOT_LINK for e in journal.entries()
    ):
        raise LabError(
            f"interface {ROOT_LINK} exists in the root namespace but not for the DC lab at "
            f"{state_dir}: remove it (ip link delete {ROOT_LINK}) or tear down its lab"
        )


def _ensure_netns(name: str, journal: Journal) -> None:
    if name not in netns_list():
        journal.record(kind="netns", name=name)
        run(["ip", "netns", "add", name], what=f"creating namespace {name}")
    run(
        ["ip", "netns", "exec", name, "sysctl", "-q", "-w", *_NS_SYSCTLS],
        what=f"setting sysctls in {name}",
    )
    run(["ip", "-n", name, "link", "set", "lo", "up"], what=f"bringing lo up in {name}")


def ensure_core(spec: DcLabSpec, journal: Journal) -> None:
    """The dc-core namespace with the interconnect bridge, tagged with the owning lab."""
    _ensure_netns(CORE_NETNS, journal)
    if BRIDGE not in _links(CORE_NETNS):
        run(
            ["ip", "-n", CORE_NETNS, "link", "add", BRIDGE, "type", "bridge",
             "stp_state", "0", "mcast_snooping", "0"],
            what=f"creating bridge {BRIDGE} in {CORE_NETNS}",
        )
    run(
        ["ip", "-n", CORE_NETNS, "link", "set", BRIDGE, "alias", str(spec.state_dir), "up"],
        what=f"bringing {BRIDGE} up in {CORE_NETNS}",
    )


def ensure_centre(spec: DcLabSpec, centre: CentreSpec, journal: Journal) -> None:
    """The centre's namespace and its port on the bridge (a TAP pair for the remote-dr one)."""
    _ensure_netns(centre.name, journal)
    core_links = _links(CORE_NETNS)
    centre_links = _links(centre.name)
    if centre.role == "remote-dr":
        if CENTRE_IF not in centre_links:
            run(["ip", "-n", centre.name, "tuntap", "add", "dev", CENTRE_IF, "mode", "tap"],
                what=f"creating TAP {CENTRE_IF} in {centre.name}",
                fix="the kernel needs /dev/net/tun (CONFIG_TUN)")
        if centre.name not in core_links:
            run(["ip", "-n", CORE_NETNS, "tuntap", "add", "dev", centre.name, "mode", "tap"],
                what=f"creating TAP {centre.name} in {CORE_NETNS}")
    elif centre.name not in core_links or CENTRE_IF not in centre_links:
        # a half-made pair (crash between its two ends cannot happen: one netlink call makes
        # both), or a leftover end: drop both ends and make the pair again
        run(["ip", "-n", CORE_NETNS, "link", "delete", centre.name], check=False)
        run(["ip", "-n", centre.name, "link", "delete", CENTRE_IF], check=False)
        run(
            ["ip", "link", "add", centre.name, "netns", CORE_NETNS, "type", "veth",
             "peer", "name", CENTRE_IF, "netns", centre.name],
            what=f"creating the veth pair of {centre.name}",
        )
    run(["ip", "-n", CORE_NETNS, "link", "set", centre.name, "master", BRIDGE, "up"],
        what=f"attaching {centre.name} to {BRIDGE}")
    run(["ip", "-n", centre.name, "addr", "replace", centre.ipv4, "dev", CENTRE_IF],
        what=f"addressing {centre.name}")
    run(["ip", "-n", centre.name, "addr", "replace", centre.ipv6, "dev", CENTRE_IF, "nodad"],
        what=f"addressing {centre.name}")
    run(["ip", "-n", centre.name, "link", "set", CENTRE_IF, "up"],
        what=f"bringing {CENTRE_IF} up in {centre.name}")


def _root_sysctl(key: str, value: int) -> None:
    Path("/proc/sys", *key.split(".")).write_text(f"{value}\n")


def ensure_root_link(spec: DcLabSpec, journal: Journal) -> None:
    """The root namespace's veth into dc-core, and guard routes for the lab prefixes.

    The guard routes (unreachable, metric 4242) keep lab traffic from following the default
    route off this machine if the lab interface ever disappears.
    """
    if ROOT_LINK not in _links(None):
        journal.record(kind="link", name=ROOT_LINK)
        run(["ip", "link", "add", ROOT_LINK, "type", "veth", "peer", "name", ROOT_PORT,
             "netns", CORE_NETNS], what=f"creating the root namespace's link {ROOT_LINK}")
    for key, value in (("accept_dad", 0), ("keep_addr_on_down", 1), ("accept_ra", 0),
                       ("autoconf", 0)):
        _root_sysctl(f"net.ipv6.conf.{ROOT_LINK}.{key}", value)
    for prefix, family in ((spec.client_ipv4, "-4"), (spec.client_ipv6, "-6")):
        net = str(ipaddress.ip_interface(prefix).network)
        journal.record(kind="route", prefix=net)
        run(["ip", family, "route", "replace", "unreachable", net, "metric", str(GUARD_METRIC)],
            what=f"adding the guard route for {net}")
    run(["ip", "addr", "replace", spec.client_ipv4, "dev", ROOT_LINK],
        what=f"addressing {ROOT_LINK}")
    run(["ip", "addr", "replace", spec.client_ipv6, "dev", ROOT_LINK, "nodad"],
        what=f"addressing {ROOT_LINK}")
    run(["ip", "link", "set", ROOT_LINK, "up"], what=f"bringing {ROOT_LINK} up")
    run(["ip", "-n", CORE_NETNS, "link", "set", ROOT_PORT, "master", BRIDGE, "up"],
        what=f"attaching {ROOT_PORT} to {BRIDGE}")


def delay_running(layout: DcLayout) -> int | None:
    """PID of the lab's delay forwarder if it runs."""
    pid = read_pid(layout.delay_pid)
    if pid is None or not proc_alive(pid):
        return None
    cmd = proc_cmdline(pid)
    return pid if any(a.endswith("delay.py") for a in cmd) else None


def ensure_delay(spec: DcLabSpec, layout: DcLayout, journal: Journal) -> int:
    """Start the delay forwarder on the remote-dr path unless it runs; returns its PID."""
    pid = delay_running(layout)
    if pid is not None:
        return pid
    remote = spec.by_role("remote-dr")
    journal.record(kind="process", pidfile=str(layout.delay_pid))
    argv = [
        "ip", "netns", "exec", CORE_NETNS, sys.executable, "-I", str(Path(delay_mod.__file__)),
        "--delay-ms", repr(float(spec.remote_delay_ms)),
        "--tap", f"{remote.name}:{CENTRE_IF}", "--tap", f":{remote.name}",
    ]
    with open(layout.delay_log, "ab") as log:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            cwd="/",
        )
    layout.delay_pid.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = layout.delay_log.read_text(errors="replace").strip().splitlines()[-1:]
            raise LabError(
                f"the delay forwarder for {remote.name} exited at start ({' '.join(tail)}); "
                f"see {layout.delay_log}"
            )
        if "forwarding" in layout.delay_log.read_text(errors="replace"):
            return proc.pid
        time.sleep(0.02)
    raise LabError(f"the delay forwarder for {remote.name} did not attach its TAP devices in "
                   f"5 s; see {layout.delay_log}")


def stop_delay(layout: DcLayout) -> None:
    pid = delay_running(layout)
    if pid is not None:
        kill_pids([pid], wait=3)


# --- faults --------------------------------------------------------------------------------


def cut(name: str) -> None:
    """Silently drop every frame to and from centre `name` (nftables in dc-core)."""
    table = _fault_table(name)
    rules = (
        f"table netdev {table} {{\n"
        f"  chain ingress {{ type filter hook ingress device \"{name}\" priority -500; "
        f"policy drop; }}\n"
        f"  chain egress {{ type filter hook egress device \"{name}\" priority -500; "
        f"policy drop; }}\n"
        f"}}\n"
    )
    run(["ip", "netns", "exec", CORE_NETNS, "nft", "-f", "-"], input=rules,
        what=f"cutting {name} off with nftables",
        fix="install nftables (apt-get install -y --no-install-recommends nftables)")


def uncut(name: str) -> bool:
    """Remove the drop rules for centre `name`; True when there were some."""
    proc = run(["ip", "netns", "exec", CORE_NETNS, "nft", "delete", "table", "netdev",
                _fault_table(name)], check=False)
    return proc.returncode == 0


def cut_centres() -> set[str]:
    """Names of the centres cut off now."""
    if CORE_NETNS not in netns_list():
        return set()
    proc = run(["ip", "netns", "exec", CORE_NETNS, "nft", "list", "tables"], check=False)
    return {
        m.group(1).replace("_", "-")
        for m in re.finditer(r"table netdev fault_(\S+)", proc.stdout)
    }


@dataclass(frozen=True)
class RttStats:
    """Round trips measured with ping (milliseconds)."""

    target: str
    sent: int
    received: int
    min_ms: float
    avg_ms: float
    max_ms: float


def ping(address: str, *, netns: str | None = None, count: int = 10,
         interval: float = 0.05) -> RttStats:
    """Ping `address` from `netns` (None: the root namespace)."""
    argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-W", "1", address]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    proc = run(argv, check=False, timeout=count * interval + 10,
               fix="install iputils-ping (apt-get install -y --no-install-recommends "
                   "iputils-ping)")
    m = re.search(r"(\d+) packets transmitted, (\d+) received", proc.stdout)
    rtt = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/", proc.stdout)
    if not m:
        raise LabError(f"ping {address} from {netns or 'the root namespace'} gave no result: "
                       f"{(proc.stderr or proc.stdout).strip()[:200]}")
    lo, avg, hi = (float(x) for x in rtt.groups()) if rtt else (float("nan"),) * 3
    return RttStats(address, int(m.group(1)), int(m.group(2)), lo, avg, hi)


# --- teardown ------------------------------------------------------------------------------


def remove_netns(name: str, wait: float = 5.0) -> list[int]:
    """Kill every process in namespace `name` by PID, then delete it. Returns survivors."""
    left = kill_pids(netns_pids(name), wait=wait)
    if not left and name in netns_list():
        run(["ip", "netns", "delete", name], check=False)
    return left


def bridge_ports() -> list[str]:
    """Names of the centre ports on the interconnect bridge (the centres' namespaces)."""
    if CORE_NETNS not in netns_list():
        return []
    proc = run(["ip", "-n", CORE_NETNS, "-o", "link", "show", "master", BRIDGE], check=False)
    names = re.findall(r"^\d+:\s+([^:@\s]+)", proc.stdout, re.M)
    return [n for n in names if n != ROOT_PORT and n.startswith("dc-")]


def remove_root_link() -> bool:
    """Delete the root namespace's lab link; True when there was one."""
    if ROOT_LINK in _links(None):
        run(["ip", "link", "delete", ROOT_LINK], check=False)
        return True
    return False


def guard_routes() -> set[str]:
    """Prefixes of the lab's guard routes (unreachable, metric 4242) in the root namespace."""
    found = set()
    for family in ("-4", "-6"):
        out = run(["ip", family, "route", "show", "type", "unreachable"], check=False).stdout
        for line in out.splitlines():
            fields = line.split()
            if f"metric {GUARD_METRIC}" in line and len(fields) > 1:
                found.add(fields[1])
    return found


def remove_guard_route(prefix: str) -> bool:
    """Delete one guard route; True when it was there."""
    family = "-6" if ":" in prefix else "-4"
    proc = run(["ip", family, "route", "delete", "unreachable", prefix, "metric",
                str(GUARD_METRIC)], check=False)
    return proc.returncode == 0
