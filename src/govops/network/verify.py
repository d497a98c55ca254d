"""What must be true on a device after a push, derived from the estate, checked from parsed state.

Peers count only when they are *ready* (already at their intended config, or unmanaged): a
rollout from blank routers goes top-down, and a town cannot expect a county that is not
configured yet. Expected BGP neighbours come from the intended config itself, so the check
follows whatever the template peers with.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from govops.estate.estate import Estate
from govops.estate.views import NodeView
from govops.network.drivers.base import Daemon, DeviceState
from govops.network.render import INSTANCE_SEPARATOR

_NEIGHBOR = re.compile(r"^\s*(?:peer|neighbor)\s+([0-9A-Fa-f:.]+)\s", re.MULTILINE)


@dataclass(frozen=True)
class Expectation:
    """Sessions and prefixes a device must show."""

    device: str
    ospf: dict[str, str] = field(default_factory=dict)  # router-id → peer name
    ospf6: dict[str, str] = field(default_factory=dict)
    bfd: dict[str, str] = field(default_factory=dict)  # peer address → interface
    bgp: dict[str, str] = field(default_factory=dict)  # neighbour address → peer name
    routes4: dict[str, str] = field(default_factory=dict)  # prefix → why
    routes6: dict[str, str] = field(default_factory=dict)


def _host(prefix: str) -> str:
    return prefix.split("/")[0]


def address_owners(views: Iterable[NodeView]) -> dict[str, str]:
    """Every loopback and interface address → node name."""
    owners: dict[str, str] = {}
    for view in views:
        for prefix in (view.loopback_ipv4, view.loopback_ipv6):
            if prefix:
                owners[str(ipaddress.ip_address(_host(prefix)))] = view.name
        for iface in view.interfaces:
            owners[str(ipaddress.ip_address(_host(iface.ipv4)))] = view.name
            owners[str(ipaddress.ip_address(_host(iface.ipv6)))] = view.name
    return owners


def expectation(estate: Estate, view: NodeView, intended: str, ready: set[str],
                views: dict[str, NodeView], owners: dict[str, str],
                before: DeviceState | None = None) -> Expectation:
    """Sessions and routes `view` must show after a change.

    A session the estate implies is expected when its peer is ready, or when it was already
    up before the change (`before`): a change must not break what worked.
    """
    if INSTANCE_SEPARATOR in view.name:
        return plane_expectation(estate, view, ready, views, before)

    def is_ready(name: str) -> bool:
        return name in ready or not estate.nodes[name].managed

    was = before or DeviceState()
    up_ospf, up_ospf6 = {n.peer for n in was.ospf if n.up}, {n.peer for n in was.ospf6 if n.up}
    up_bfd = {n.peer for n in was.bfd if n.up}
    up_bgp = {str(ipaddress.ip_address(n.peer)) for n in was.bgp if n.up and _is_ip(n.peer)}
    exp = Expectation(device=view.name)
    for iface in view.interfaces:
        if iface.kind == "ebgp":
            continue
        ready_peer = is_ready(iface.peer)
        router_id = _host(views[iface.peer].loopback_ipv4)
        if ready_peer or router_id in up_ospf:
            exp.ospf[router_id] = iface.peer
        if ready_peer or router_id in up_ospf6:
            exp.ospf6[router_id] = iface.peer
        # BFD runs on the hierarchy's uplinks, not on peer links
        if iface.kind == "uplink" and (ready_peer or iface.peer_ipv4 in up_bfd):
            exp.bfd[iface.peer_ipv4] = iface.name
    for address in _NEIGHBOR.findall(intended):
        try:
            canonical = str(ipaddress.ip_address(address))
        except ValueError:
            continue
        owner = owners.get(canonical)
        if owner and owner != view.name and (is_ready(owner) or canonical in up_bgp):
            exp.bgp[canonical] = owner
    _expect_loopbacks(exp, view, _province_cores(estate, view, views), is_ready, was)
    return exp


def checked_prefixes(estate: Estate, view: NodeView, views: dict[str, NodeView]) -> set[str]:
    """Every route `expectation` (or `plane_expectation`) can ask `view` to show: its own
    loopbacks and the province cores' (for a plane instance, the cores' instances of that
    plane). A driver that can look routes up one by one reads only these."""
    prefixes = {str(ipaddress.ip_network(view.loopback_ipv4)),
                str(ipaddress.ip_network(view.loopback_ipv6))}
    for _name, core in _province_cores(estate, view, views):
        prefixes.add(str(ipaddress.ip_network(core.loopback_ipv4)))
        prefixes.add(str(ipaddress.ip_network(core.loopback_ipv6)))
    return prefixes


def state_reader(driver: object, prefixes: set[str]) -> Callable[[], DeviceState]:
    """`driver.get_state`, asked for `prefixes` only when the driver takes them."""
    import inspect

    get_state = driver.get_state  # type: ignore[attr-defined]
    try:
        takes = "prefixes" in inspect.signature(get_state).parameters
    except (TypeError, ValueError):
        takes = False
    return (lambda: get_state(prefixes=prefixes)) if takes else get_state


def plane_expectation(estate: Estate, view: NodeView, ready: set[str],
                      views: dict[str, NodeView], before: DeviceState | None = None
                      ) -> Expectation:
    """What a plane instance (`router@plane`, ADR 0021) must show: an OSPF and an OSPFv3
    adjacency on each of its logical links, to the peer router's instance of the same plane
    (router-id: that instance's loopback), its own loopback, and the province cores'
    loopbacks in the plane. No BFD and no BGP: a plane instance runs neither. `views` holds
    the instances' views under their names (`device_view`)."""
    plane = view.name.partition(INSTANCE_SEPARATOR)[2]

    def is_ready(peer: str) -> bool:
        return f"{peer}{INSTANCE_SEPARATOR}{plane}" in ready or not estate.nodes[peer].managed

    was = before or DeviceState()
    up_ospf, up_ospf6 = {n.peer for n in was.ospf if n.up}, {n.peer for n in was.ospf6 if n.up}
    exp = Expectation(device=view.name)
    for iface in view.interfaces:
        peer = views.get(f"{iface.peer}{INSTANCE_SEPARATOR}{plane}")
        if iface.kind == "ebgp" or peer is None:
            continue
        router_id = _host(peer.loopback_ipv4)
        if is_ready(iface.peer) or router_id in up_ospf:
            exp.ospf[router_id] = peer.name
        if is_ready(iface.peer) or router_id in up_ospf6:
            exp.ospf6[router_id] = peer.name
    _expect_loopbacks(exp, view, _province_cores(estate, view, views), is_ready, was)
    return exp


def _province_cores(estate: Estate, view: NodeView, views: dict[str, NodeView]
                    ) -> list[tuple[str, NodeView]]:
    """The province core routers other than `view`'s own router, each with its view in
    `view`'s plane: the router itself for a router, its `core@plane` instance for an instance."""
    router, sep, plane = view.name.partition(INSTANCE_SEPARATOR)
    cores = []
    for name, node in estate.nodes.items():
        core = views.get(f"{name}{sep}{plane}" if sep else name)
        if node.level == "province" and name != router and core is not None:
            cores.append((name, core))
    return cores


def _expect_loopbacks(exp: Expectation, view: NodeView, cores: list[tuple[str, NodeView]],
                      is_ready: Callable[[str], bool], was: DeviceState) -> None:
    """`view`'s own loopbacks always; each core's once that core is ready and adjacencies are
    expected, or when it was already routed before the change."""
    exp.routes4[str(ipaddress.ip_network(view.loopback_ipv4))] = "own loopback"
    exp.routes6[str(ipaddress.ip_network(view.loopback_ipv6))] = "own loopback"
    for name, core in cores:
        v4 = str(ipaddress.ip_network(core.loopback_ipv4))
        v6 = str(ipaddress.ip_network(core.loopback_ipv6))
        if (is_ready(name) and exp.ospf) or v4 in was.routes4:
            exp.routes4[v4] = f"loopback of {core.name}"
        if (is_ready(name) and exp.ospf6) or v6 in was.routes6:
            exp.routes6[v6] = f"loopback of {core.name}"


def missing(exp: Expectation, state: DeviceState) -> list[str]:
    """What `state` lacks of `exp`, one phrase each; empty when all is well."""
    gaps = []
    ospf_up = {n.peer for n in state.ospf if n.up}
    ospf6_up = {n.peer for n in state.ospf6 if n.up}
    bfd_up = {n.peer for n in state.bfd if n.up}
    bfd_up_ifaces = {n.interface for n in state.bfd if n.up}
    bgp_up = {str(ipaddress.ip_address(n.peer)) for n in state.bgp if n.up and _is_ip(n.peer)}
    gaps += [f"OSPF neighbour {peer} ({rid}) not Full" for rid, peer in exp.ospf.items()
             if rid not in ospf_up]
    gaps += [f"OSPFv3 neighbour {peer} ({rid}) not Full" for rid, peer in exp.ospf6.items()
             if rid not in ospf6_up]
    gaps += [f"BFD session to {addr} on {iface} not up" for addr, iface in exp.bfd.items()
             if addr not in bfd_up and iface not in bfd_up_ifaces]
    bgp_state = {str(ipaddress.ip_address(n.peer)): n.state for n in state.bgp if _is_ip(n.peer)}
    gaps += [f"BGP session to {peer} ({addr}) not Established"
             + (f" ({bgp_state[addr]})" if bgp_state.get(addr) else " (not configured)")
             for addr, peer in exp.bgp.items() if addr not in bgp_up]
    gaps += [f"route {p} ({why}) missing" for p, why in exp.routes4.items()
             if p not in state.routes4]
    gaps += [f"route {p} ({why}) missing" for p, why in exp.routes6.items()
             if p not in state.routes6]
    return gaps


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def wait_until_verified(read_state: Callable[[], DeviceState], exp: Expectation,
                        timeout_s: float, interval_s: float = 1.0) -> list[str]:
    """Poll the device until nothing is missing or `timeout_s` passes; returns what is missing."""
    deadline = time.monotonic() + timeout_s
    while True:
        gaps = missing(exp, read_state())
        if not gaps or time.monotonic() >= deadline:
            return gaps
        time.sleep(interval_s)


#: FRR's routing daemons and the config line that makes each one needed.
_DAEMON_USE = {"bgpd": re.compile(r"^router bgp ", re.MULTILINE),
               "bfdd": re.compile(r"^bfd$|^ (ip ospf|ipv6 ospf6) bfd|^ neighbor .* bfd",
                                  re.MULTILINE),
               "ospfd": re.compile(r"^router ospf(?: |$)", re.MULTILINE),
               "ospf6d": re.compile(r"^router ospf6(?: |$)", re.MULTILINE)}


def daemon_used(daemon: str, config: str) -> bool:
    """Whether `config` needs routing process `daemon` (a process not named here, e.g.
    staticd or a vendor's, always is)."""
    pattern = _DAEMON_USE.get(daemon)
    return pattern is None or bool(pattern.search(config))


def daemon_findings(device: str, daemons: Iterable[Daemon], since_s: float,
                    now: float | None = None) -> list[str]:
    """Routing processes that explain missing sessions: one not running, or one that came
    back up within the last `since_s` seconds (it crashed, and its supervisor restarted it,
    while the push was being verified). Empty when every process ran throughout."""
    now = time.time() if now is None else now
    found = []
    for d in daemons:
        if not d.up:
            found.append(f"{d.name} on {device} is not running")
        elif d.uptime_s is not None and d.uptime_s < since_s:
            at = time.strftime("%H:%M:%S", time.localtime(now - d.uptime_s))
            found.append(f"{d.name} on {device} crashed and was restarted at {at}")
    return found
