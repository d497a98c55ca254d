"""Protocol state of the simulated estate, computed from every device's running config.

Rules (what a real network would do, simplified where no automation depends on it):
- an OSPF (OSPFv3) neighbour is Full when both ends of a link (the two addresses of one /31
  or /127, or /30, /126) run OSPF process 1 on it, in the same area, with the same network
  type, neither port shut, both devices up; a port runs OSPF by its own line (`ospf 1 area`,
  `ospf enable 1 area`) or, on Comware 5, by a `network` of the area view that holds its
  address;
- Comware 5 forwards no IPv6 until `ipv6` is given in system view: without it, its IPv6
  addresses count for nothing;
- a BFD session is Up on such a Full link when both ends enable BFD for OSPF (VRP also needs
  the global `bfd`);
- prefixes in OSPF reach every device joined to them through Full adjacencies;
- a BGP session is Established when each end configures the other's address with the other's
  AS, the family is enabled on both ends (VRP and Comware 5 enable IPv4 peers of the BGP view
  by default; a peer defined inside an address family view, as Comware 5 defines its IPv6
  peers in `ipv6-family`, is enabled there; Comware 7 and IPv6 otherwise need `peer X
  enable`), both are up, and each can reach the other's address (connected, or through OSPF);
- BGP `network` statements of an Established peer are learnt as IBGP/EBGP routes;
- a plane's OSPF (OSPFv3) process in a VPN instance (VRF-lite, ADR 0021) has its neighbours
  Full on the same terms, across the two addresses of one link bound to the same instance
  (a dot1q subinterface is up when its port is); they are listed under their process in the
  OSPF displays. The planes' routing tables and leaks are not computed: the displays show
  the public table, which is what the verifier reads.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from govops.lab.simdevices import grammar
from govops.lab.simdevices.device import FAULT_CHANGES, SimDevice

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
IPIf = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass
class Port:
    """What routing needs of one interface."""

    name: str
    v4: ipaddress.IPv4Interface | None = None
    v6: list[ipaddress.IPv6Interface] = field(default_factory=list)
    ospf_area: str = ""
    ospf6_area: str = ""
    network_type: str = ""
    bfd: bool = False
    up: bool = True
    vpn: str = ""
    #: (process, area) of an OSPF (OSPFv3) process other than 1 on the port (a plane's).
    plane_ospf: tuple[int, str] | None = None
    plane_ospf6: tuple[int, str] | None = None


@dataclass
class Peer:
    """One configured BGP peer."""

    address: str
    asn: str = ""
    families: set[int] = field(default_factory=set)  # 4, 6


@dataclass
class Facts:
    """The routing-relevant config of one device."""

    router_id: str = ""
    ospf: bool = False
    ospf6: bool = False
    bfd_global: bool = False
    ports: list[Port] = field(default_factory=list)
    asn: str = ""
    bgp_router_id: str = ""
    peers: dict[str, Peer] = field(default_factory=dict)
    networks: dict[int, list[IPNet]] = field(default_factory=lambda: {4: [], 6: []})
    statics: dict[int, list[IPNet]] = field(default_factory=lambda: {4: [], 6: []})
    #: OSPF (OSPFv3) processes in a VPN instance: process → (router ID, instance).
    planes: dict[int, tuple[str, str]] = field(default_factory=dict)
    planes6: dict[int, tuple[str, str]] = field(default_factory=dict)


def _canon(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def facts_of(dev: SimDevice) -> Facts:
    """Read the routing facts out of `dev`'s running config."""
    comware = grammar.family(dev.flavour) == "comware"
    v5 = dev.flavour == "comware5"
    f = Facts(bfd_global=comware)
    networks: list[tuple[int, str, ipaddress.IPv4Network]] = []  # Comware 5: (process, area, net)
    for top in dev.running.children:
        words = top.text.split()
        if v5 and words[0] == "ospf" and len(words) > 1 and words[1].isdigit():
            networks += _area_networks(int(words[1]), top)
        if top.text == "bfd":
            f.bfd_global = True
        elif words[:2] == ["ospf", "1"] and "vpn-instance" not in words:
            f.ospf = True
            if "router-id" in words:
                f.router_id = words[words.index("router-id") + 1]
        elif words[:2] == ["ospfv3", "1"]:
            f.ospf6 = True
            for c in top.children:
                if c.text.startswith("router-id "):
                    f.router_id = f.router_id or c.text.split()[1]
        elif words[0] in ("ospf", "ospfv3") and "vpn-instance" in words and words[1].isdigit():
            vpn = words[words.index("vpn-instance") + 1]
            rid = words[words.index("router-id") + 1] if "router-id" in words else next(
                (c.text.split()[1] for c in top.children if c.text.startswith("router-id ")), "")
            (f.planes if words[0] == "ospf" else f.planes6)[int(words[1])] = (rid, vpn)
        elif words[0] == "interface":
            f.ports.append(_port(top, comware, dev.ports_start_shut))
        elif words[0] == "bgp":
            f.asn = words[1]
            _bgp(top, f, v4_default=not comware or v5)
        elif words[:2] in (["ip", "route-static"], ["ipv6", "route-static"]):
            _static(words, f)
    if v5:
        _network_statements(f, networks)
        if dev.running.find("ipv6") is None:  # IPv6 forwarding is off
            for p in f.ports:
                p.v6 = []
            f.statics[6], f.networks[6] = [], []
    up = {p.name: p.up for p in f.ports}
    for p in f.ports:  # a dot1q subinterface is up when its port is
        if "." in p.name:
            p.up = p.up and up.get(p.name.split(".")[0], True)
    return f


def _port(node, comware: bool, start_shut: bool) -> Port:  # noqa: ANN001
    name = node.text.split(None, 1)[1]
    p = Port(name)
    physical = "." not in name and not name.lower().startswith(
        ("loopback", "vlanif", "vlan-interface", "null", "meth", "m-gigabit"))
    shut = start_shut and physical
    for c in node.children:
        w = c.text.split()
        if w[:2] == ["ip", "address"] and len(w) >= 4 and w[-1] != "sub":
            p.v4 = ipaddress.IPv4Interface(f"{w[2]}/{w[3]}")
        elif w[:2] == ["ipv6", "address"] and len(w) >= 3 and "/" in w[2]:
            p.v6.append(ipaddress.IPv6Interface(w[2]))
        elif w[:2] == ["ospf", "enable"] and len(w) == 5 and w[2].isdigit():
            if w[2] == "1":
                p.ospf_area = w[4]
            else:
                p.plane_ospf = (int(w[2]), w[4])
        elif comware and w[0] == "ospf" and len(w) == 4 and w[1].isdigit() and w[2] == "area":
            if w[1] == "1":
                p.ospf_area = w[3]
            else:
                p.plane_ospf = (int(w[1]), w[3])
        elif w[0] == "ospfv3" and len(w) == 4 and w[1].isdigit() and w[2] == "area":
            if w[1] == "1":
                p.ospf6_area = w[3]
            else:
                p.plane_ospf6 = (int(w[1]), w[3])
        elif w[:2] == ["ospf", "network-type"]:
            p.network_type = w[2]
        elif w[:3] == ["ospf", "bfd", "enable"]:
            p.bfd = True
        elif c.text == "shutdown":
            shut = True
        elif c.text == "undo shutdown":
            shut = False
        elif w[:3] == ["ip", "binding", "vpn-instance"]:
            p.vpn = w[3]
    p.up = not shut
    return p


def _area_networks(process: int, node) -> list[tuple[int, str, ipaddress.IPv4Network]]:  # noqa: ANN001
    """Comware 5's `network ADDR WILDCARD` lines of each area of an OSPF process."""
    out = []
    for area in node.children:
        if not area.text.startswith("area "):
            continue
        for line in area.children:
            w = line.text.split()
            if w[0] == "network" and len(w) == 3:
                try:
                    out.append((process, area.text.split()[1],
                                ipaddress.IPv4Network(f"{w[1]}/{w[2]}", strict=False)))
                except ValueError:
                    continue
    return out


def _network_statements(f: Facts, networks: list[tuple[int, str, ipaddress.IPv4Network]]
                        ) -> None:
    """Comware 5: a port runs the OSPF process (of its own routing table) whose area view has
    a `network` holding its address; the first such `network` gives the area."""
    for p in f.ports:
        if p.v4 is None:
            continue
        for process, area, net in networks:
            if p.v4.ip not in net:
                continue
            if process == 1 and not p.vpn and not p.ospf_area:
                p.ospf_area = area
            elif f.planes.get(process, ("", ""))[1] == p.vpn and p.vpn and p.plane_ospf is None:
                p.plane_ospf = (process, area)


def _bgp(node, f: Facts, v4_default: bool) -> None:  # noqa: ANN001
    """Peers with their AS and families; a peer in a group takes the group's AS (`group G
    internal`: the local AS; `peer G as-number X`) and the families the group is enabled in.
    `v4_default`: an IPv4 peer of the BGP view is enabled for IPv4 unless undone (VRP,
    Comware 5). A peer or group defined inside an address family view belongs to that family
    (Comware 5's `ipv6-family`)."""
    groups: dict[str, Peer] = {}
    member: dict[str, str] = {}
    views = [(node, 0)] + [(c, 6 if "ipv6" in c.text else 4) for c in node.children
                           if grammar.view_kind(c.text) == "family" and "vpn-instance" not in c.text]
    for view, fam in views:
        for c in view.children:
            w = c.text.split()
            if w[0] == "group" and len(w) >= 2:
                group = groups.setdefault(w[1], Peer(w[1]))
                group.asn = f.asn if w[2:3] == ["internal"] else group.asn
                if fam:
                    group.families.add(fam)
    for view, fam in views:
        for c in view.children:
            w = c.text.split()
            target = groups.get(w[1]) if len(w) > 1 else None
            if w[0] == "router-id" and not fam:
                f.bgp_router_id = w[1]
            elif w[0] == "peer" and len(w) >= 4 and w[2] in ("as-number", "group"):
                if target is not None:
                    if w[2] == "as-number":
                        target.asn = w[3]
                    continue
                address = _canon(w[1])
                peer = f.peers.setdefault(address, Peer(address))
                if w[2] == "as-number":
                    peer.asn = w[3]
                else:
                    member[address] = w[3]
                if fam:
                    peer.families.add(fam)
                elif ":" not in address and v4_default:
                    peer.families.add(4)
            elif w[0] == "peer" and w[-1] == "enable" and len(w) == 3:
                (target or f.peers.setdefault(_canon(w[1]), Peer(_canon(w[1])))
                 ).families.add(fam or 4)
            elif w[:2] == ["undo", "peer"] and w[-1] == "enable" and len(w) == 4:
                (groups.get(w[2]) or f.peers.setdefault(_canon(w[2]), Peer(_canon(w[2])))
                 ).families.discard(fam or 4)
            elif w[0] == "network" and len(w) >= 3:
                net = _network(w[1], w[2])
                if net is not None:
                    f.networks[fam or 4].append(net)
            elif w[0] == "network" and len(w) == 2 and "/" in w[1]:
                net = ipaddress.ip_network(w[1], strict=False)
                f.networks[net.version].append(net)
    for address, group in member.items():
        peer, g = f.peers[address], groups.get(group)
        if g is not None:
            peer.asn = peer.asn or g.asn
            peer.families |= g.families


def _network(address: str, mask: str) -> IPNet | None:
    try:
        return ipaddress.ip_network(f"{address}/{mask}", strict=False)
    except ValueError:
        return None


def _static(words: list[str], f: Facts) -> None:
    if len(words) >= 4:
        net = _network(words[2], words[3])
        if net is not None:
            f.statics[net.version].append(net)


@dataclass
class Adjacency:
    """A neighbour as one device sees it."""

    peer_name: str
    router_id: str
    port: str
    address: str
    area: str
    local: str = ""


@dataclass
class Session:
    """A BGP peer as one device sees it."""

    address: str
    asn: str
    state: str
    since: float = 0.0
    received: int = 0


@dataclass
class Route:
    """One routing-table entry (`address`: the prefix's network address as printed)."""

    prefix: IPNet
    proto: str
    pref: int
    cost: int
    nexthop: str
    port: str
    address: str = ""


@dataclass
class DeviceState:
    """What one device's `display` commands report (`routes` computed on first use: a
    device of a province holds thousands, and most reads look a few up)."""

    ospf: list[Adjacency] = field(default_factory=list)
    ospf6: list[Adjacency] = field(default_factory=list)
    bfd: list[Adjacency] = field(default_factory=list)
    bgp: dict[int, list[Session]] = field(default_factory=lambda: {4: [], 6: []})
    #: Neighbours of the planes' OSPF (OSPFv3) processes, by local process.
    planes: dict[int, list[Adjacency]] = field(default_factory=dict)
    planes6: dict[int, list[Adjacency]] = field(default_factory=dict)
    #: Rendered outputs that depend on this state only (the routing tables), by command.
    shown: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    table: dict[int, list[Route]] | None = field(default=None, repr=False, compare=False)
    load: Callable[[], dict[int, list[Route]]] | None = field(default=None, repr=False,
                                                             compare=False)

    @property
    def routes(self) -> dict[int, list[Route]]:
        """The routing table, per IP version."""
        if self.table is None:
            self.table = self.load() if self.load is not None else {4: [], 6: []}
        return self.table


#: A network as integers: (IP version, network address, prefix length): hashed fast.
NetKey = tuple[int, int, int]
_NET_TEXT: dict[NetKey, str] = {}


def _records(f: Facts) -> list[tuple[Port, int, NetKey, str, IPIf, bool]]:
    """Each address of `f`'s ports: (port, family, network key, address text, interface, is a
    link (shorter than a host prefix)); computed once per Facts (a config version)."""
    cached = f.__dict__.get("_records")
    if cached is None:
        cached = []
        for p in f.ports:
            for addr in [p.v4, *p.v6]:
                if addr is None:
                    continue
                net = addr.network
                key = (addr.version, int(net.network_address), net.prefixlen)
                if key not in _NET_TEXT:
                    _NET_TEXT[key] = str(net.network_address)
                cached.append((p, 4 if addr.version == 4 else 6, key, str(addr.ip), addr,
                               net.prefixlen < addr.max_prefixlen))
        f.__dict__["_records"] = cached
    return cached


def _host_int(address: str, _memo: dict[str, tuple[int, int] | None] = {}) -> tuple[int, int] | None:  # noqa: B006
    """(version, integer) of an address text (memoised: peers are asked about again and again)."""
    if address not in _memo:
        try:
            ip = ipaddress.ip_address(address)
            _memo[address] = (ip.version, int(ip))
        except ValueError:
            _memo[address] = None
    return _memo[address]


class _Topology:
    """Links, adjacencies, OSPF domains and who owns which address: the part of the state
    every device shares. Kept up to date device by device (`update`): a change costs the
    changed device's ports, not the estate's, so a province of 1,894 devices can change
    while its displays are read. `generation` counts the updates; what is derived per device
    (routes, the peers index) is cached for one generation."""

    def __init__(self) -> None:
        self.facts: dict[str, Facts] = {}
        self.up: set[str] = set()
        self.owner: dict[str, str] = {}
        #: link network -> its ends (device, port, address) outside VPN instances
        self.links: dict[NetKey, list[tuple[str, Port, str]]] = {}
        #: family -> network -> devices advertising it in OSPF (a port in an area, up)
        self.adv: dict[int, dict[NetKey, list[str]]] = {4: {}, 6: {}}
        self.lengths: dict[int, list[int]] = {4: [], 6: []}
        #: link network -> (a, b, a's adjacency, b's adjacency, a's BFD, b's BFD) when Full
        self.edges: dict[NetKey, tuple] = {}
        #: (VPN instance, link network) -> its ends bound to that instance (a plane's links)
        self.plane_links: dict[tuple[str, NetKey], list[tuple[str, Port, str]]] = {}
        #: (VPN instance, link network) -> (a, b, a's adjacency, b's adjacency, a's process,
        #: b's process) when the planes' processes are Full across it
        self.plane_edges: dict[tuple[str, NetKey], tuple] = {}
        #: family -> device -> neighbour -> link network -> the device's adjacency
        self.graph: dict[int, dict[str, dict[str, dict[NetKey, Adjacency]]]] = {4: {}, 6: {}}
        self.domain: dict[int, dict[str, int]] = {4: {}, 6: {}}
        self.generation = 0
        self.routes: dict[str, dict[int, dict[NetKey, Route]]] = {}
        self._hops: dict[tuple[str, int], tuple[dict[str, Adjacency], dict[str, int]]] = {}

    # -- keeping it current -------------------------------------------------------------------
    def update(self, changes: dict[str, tuple[Facts, bool]]) -> None:
        """Devices whose facts or `down` fault changed: (facts, down) each."""
        touched: set[NetKey] = set()
        planes: set[tuple[str, NetKey]] = set()
        for n, (f, down) in changes.items():
            old = self.facts.get(n)
            if old is not None:
                self._unindex(n, old, touched, planes)
            self.facts[n] = f
            if down:
                self.up.discard(n)
            else:
                self.up.add(n)
            self._index(n, f, touched, planes)
        if any([self._evaluate(key) for key in touched]):
            self._domains()
        for link in planes:  # the planes' adjacencies join no OSPF domain of the public table
            edge = self._plane_edge(link)
            if edge is None:
                self.plane_edges.pop(link, None)
            else:
                self.plane_edges[link] = edge
        self.generation += 1
        self.routes, self._hops = {}, {}

    def _index(self, n: str, f: Facts, touched: set[NetKey],
               planes: set[tuple[str, NetKey]]) -> None:
        lengths = self.lengths
        for p, fam, key, ip, _, link in _records(f):
            if key[2] not in lengths[fam]:
                lengths[fam] = sorted({*lengths[fam], key[2]}, reverse=True)
            if p.up and (p.ospf_area if fam == 4 else p.ospf6_area):
                self.adv[fam].setdefault(key, []).append(n)
            if p.vpn:
                if link:
                    self.plane_links.setdefault((p.vpn, key), []).append((n, p, ip))
                    planes.add((p.vpn, key))
                continue
            self.owner[ip] = n
            if link:
                self.links.setdefault(key, []).append((n, p, ip))
                touched.add(key)

    def _unindex(self, n: str, f: Facts, touched: set[NetKey],
                 planes: set[tuple[str, NetKey]]) -> None:
        for p, fam, key, ip, _, link in _records(f):
            if p.up and (p.ospf_area if fam == 4 else p.ospf6_area):
                names = self.adv[fam].get(key, [])
                if n in names:
                    names.remove(n)
                if not names:
                    self.adv[fam].pop(key, None)
            if p.vpn:
                if link:
                    ends = [e for e in self.plane_links.get((p.vpn, key), [])
                            if not (e[0] == n and e[1] is p)]
                    if ends:
                        self.plane_links[(p.vpn, key)] = ends
                    else:
                        self.plane_links.pop((p.vpn, key), None)
                    planes.add((p.vpn, key))
                continue
            if self.owner.get(ip) == n:
                del self.owner[ip]
            if link:
                ends = [e for e in self.links.get(key, []) if not (e[0] == n and e[1] is p)]
                if ends:
                    self.links[key] = ends
                else:
                    self.links.pop(key, None)
                touched.add(key)

    def _evaluate(self, key: NetKey) -> bool:
        """Whether the link `key` is a Full adjacency now; True when that changed."""
        edge = self._edge(key)
        old = self.edges.get(key)
        if edge == old:
            return False
        fam = key[0]
        graph = self.graph[fam]
        if old is not None:
            a, b = old[0], old[1]
            for x, y in ((a, b), (b, a)):
                by = graph.get(x, {}).get(y, {})
                by.pop(key, None)
                if not by:
                    graph.get(x, {}).pop(y, None)
                if x in graph and not graph[x]:
                    del graph[x]
            del self.edges[key]
        if edge is not None:
            a, b, ab, ba = edge[:4]
            graph.setdefault(a, {}).setdefault(b, {})[key] = ab
            graph.setdefault(b, {}).setdefault(a, {})[key] = ba
            self.edges[key] = edge
        return True

    def _live_ends(self, ends: list) -> list | None:
        """A link's two ends when they are two different devices, both up, on ports that are
        up; None otherwise (no adjacency can form across it)."""
        if len(ends) != 2 or ends[0][0] == ends[1][0]:
            return None
        (a, pa, _), (b, pb, _) = ends
        if a not in self.up or b not in self.up or not (pa.up and pb.up):
            return None
        return ends

    def _edge(self, key: NetKey) -> tuple | None:
        ends = self._live_ends(self.links.get(key, []))
        if ends is None:
            return None
        (a, pa, xa), (b, pb, xb) = ends
        fa, fb = self.facts[a], self.facts[b]
        if key[0] == 4:
            if not (pa.ospf_area and pa.ospf_area == pb.ospf_area and fa.ospf and fb.ospf
                    and pa.network_type == pb.network_type):
                return None
            bfd = pa.bfd and pb.bfd and fa.bfd_global and fb.bfd_global
            return (a, b, Adjacency(b, fb.router_id, pa.name, xb, pa.ospf_area),
                    Adjacency(a, fa.router_id, pb.name, xa, pb.ospf_area),
                    Adjacency(b, fb.router_id, pa.name, xb, "", xa) if bfd else None,
                    Adjacency(a, fa.router_id, pb.name, xa, "", xb) if bfd else None)
        if not (pa.ospf6_area and pa.ospf6_area == pb.ospf6_area and fa.ospf6 and fb.ospf6):
            return None
        return (a, b, Adjacency(b, fb.router_id, pa.name, xb, pa.ospf6_area),
                Adjacency(a, fa.router_id, pb.name, xa, pb.ospf6_area), None, None)

    def _plane_edge(self, link: tuple[str, NetKey]) -> tuple | None:
        """Full across one plane link: both ends bound to the instance, each in an OSPF
        (OSPFv3) process of that instance, in the same area, with the same network type,
        ports and devices up."""
        vpn, key = link
        ends = self._live_ends(self.plane_links.get(link, []))
        if ends is None:
            return None
        (a, pa, xa), (b, pb, xb) = ends
        fa, fb = self.facts[a], self.facts[b]
        v4 = key[0] == 4
        sa, sb = (pa.plane_ospf, pb.plane_ospf) if v4 else (pa.plane_ospf6, pb.plane_ospf6)
        procs_a, procs_b = (fa.planes, fb.planes) if v4 else (fa.planes6, fb.planes6)
        if sa is None or sb is None or sa[1] != sb[1] or (v4 and pa.network_type != pb.network_type):
            return None
        if procs_a.get(sa[0], ("", ""))[1] != vpn or procs_b.get(sb[0], ("", ""))[1] != vpn:
            return None
        return (a, b, Adjacency(b, procs_b[sb[0]][0], pa.name, xb, sa[1]),
                Adjacency(a, procs_a[sa[0]][0], pb.name, xa, sb[1]), sa[0], sb[0])

    def _domains(self) -> None:
        """Devices joined by Full adjacencies: one OSPF domain each (per family)."""
        for fam in (4, 6):
            graph, domain = self.graph[fam], {}
            for start in graph:
                if start in domain:
                    continue
                domain[start] = len(domain)
                todo = [start]
                while todo:
                    for nxt in graph[todo.pop()]:
                        if nxt not in domain:
                            domain[nxt] = domain[start]
                            todo.append(nxt)
            self.domain[fam] = domain

    # -- reading it ---------------------------------------------------------------------------
    def adjacencies(self, n: str) -> DeviceState:
        """`n`'s OSPF/OSPFv3 neighbours and BFD sessions, and its planes' OSPF (OSPFv3)
        neighbours by process, in its ports' order."""
        st = DeviceState()
        f = self.facts.get(n)
        if f is None:
            return st
        for p, fam, key, _, _, link in _records(f):
            if link and p.vpn:
                edge = self.plane_edges.get((p.vpn, key))
                if edge is not None:
                    mine = 0 if edge[0] == n else 1
                    (st.planes if fam == 4 else st.planes6).setdefault(
                        edge[4 + mine], []).append(edge[2 + mine])
                continue
            edge = self.edges.get(key) if link else None
            if edge is None:
                continue
            mine = 0 if edge[0] == n else 1
            (st.ospf if fam == 4 else st.ospf6).append(edge[2 + mine])
            if edge[4 + mine] is not None:
                st.bfd.append(edge[4 + mine])
        return st

    def routes_of(self, n: str) -> dict[int, dict[NetKey, Route]]:
        """Direct, static and OSPF routes of `n` (computed once per generation)."""
        if n not in self.routes:
            self.routes[n] = self._routes(n)
        return self.routes[n]

    def _routes(self, n: str) -> dict[int, dict[NetKey, Route]]:
        f = self.facts[n]
        result: dict[int, dict[NetKey, Route]] = {4: {}, 6: {}}
        if n not in self.up:
            return result
        recs = _records(f)
        for fam in (4, 6):
            table = result[fam]
            for p, rfam, key, ip, addr, _ in recs:
                if rfam == fam and p.up and not p.vpn:
                    table[key] = Route(addr.network, "Direct", 0, 0, ip, p.name, _NET_TEXT[key])
            for net in f.statics[fam]:
                key = (net.version, int(net.network_address), net.prefixlen)
                if key not in table:
                    table[key] = Route(net, "Static", 60, 0, "0.0.0.0" if fam == 4 else "::",
                                       "NULL0", _net_text(key, net))
            # OSPF: every prefix advertised by a device joined through Full adjacencies, by
            # the first hop towards it (breadth first)
            hop, order = self.hops(n, fam)
            proto = "OSPF" if fam == 4 else "OSPFv3"
            for other in order:
                h = hop[other]
                for key, net in _advertised(self.facts[other], fam):
                    if key not in table:
                        table[key] = Route(net, proto, 10, 1, h.address, h.port, _NET_TEXT[key])
        return result

    def hops(self, n: str, fam: int) -> tuple[dict[str, Adjacency], dict[str, int]]:
        """The devices of `n`'s OSPF domain in breadth-first order (→ position), each with the
        adjacency of `n` that leads to it (cached per generation)."""
        cache = self._hops.get((n, fam))
        if cache is not None:
            return cache
        graph = self.graph[fam]
        hop: dict[str, Adjacency] = {}
        if n in graph:
            hop = {peer: next(iter(links.values())) for peer, links in graph[n].items()}
            order = list(hop)
            i = 0
            while i < len(order):
                cur = order[i]
                i += 1
                for nxt in graph[cur]:
                    if nxt not in hop and nxt != n:
                        hop[nxt] = hop[cur]
                        order.append(nxt)
        cache = self._hops[(n, fam)] = (hop, {m: i for i, m in enumerate(hop)})
        return cache

    def lookup(self, n: str, fam: int, net: IPNet) -> Route | None:
        """`n`'s direct, static or OSPF route of exactly `net` (what its routing table would
        hold for it), without computing the whole table."""
        if n not in self.up:
            return None
        key = (net.version, int(net.network_address), net.prefixlen)
        f = self.facts[n]
        found = None
        for p, _fam, k, ip, addr, _ in _records(f):
            if k == key and p.up and not p.vpn:
                found = Route(addr.network, "Direct", 0, 0, ip, p.name, _NET_TEXT[key])
        if found is not None:
            return found
        if any((s.version, int(s.network_address), s.prefixlen) == key for s in f.statics[fam]):
            return Route(net, "Static", 60, 0, "0.0.0.0" if fam == 4 else "::", "NULL0",
                         _net_text(key, net))
        hop, position = self.hops(n, fam)
        by = [m for m in self.adv[fam].get(key, ()) if m in position]
        if not by:
            return None
        h = hop[min(by, key=position.__getitem__)]
        return Route(net, "OSPF" if fam == 4 else "OSPFv3", 10, 1, h.address, h.port,
                     _net_text(key, net))

    def route_to(self, n: str, address: str, fam: int) -> Route | None:
        """`n`'s route (the longest prefix) holding `address`."""
        host = _host_int(address)
        if host is None or n not in self.up:
            return None
        bits = 32 if fam == 4 else 128
        table = self.routes_of(n)[fam]
        for length in self.lengths[fam]:
            route = table.get((host[0], host[1] >> (bits - length) << (bits - length), length))
            if route is not None:
                return route
        return None

    def reaches(self, n: str, address: str, fam: int) -> bool:
        """`n` has a connected or OSPF route to `address`: the address is on one of its own
        ports, or advertised into OSPF by another device of its OSPF domain."""
        host = _host_int(address)
        if host is None or n not in self.up:
            return False
        bits = 32 if fam == 4 else 128
        domain = self.domain[fam]
        mine = domain.get(n)
        adv = self.adv[fam]
        f = self.facts[n]
        own = {key for p, rfam, key, _, _, _ in _records(f) if rfam == fam and p.up and not p.vpn}
        static = {(net.version, int(net.network_address), net.prefixlen) for net in f.statics[fam]}
        for length in self.lengths[fam]:
            key = (host[0], host[1] >> (bits - length) << (bits - length), length)
            if key in own:
                return True
            if key in static:
                continue  # a static route of the same prefix shadows the OSPF one
            if mine is not None and any(m != n and domain.get(m) == mine
                                        for m in adv.get(key, ())):
                return True
        return False

    def peers_towards(self, g: str, n: str) -> list[tuple[str, Peer]]:
        """The peers `g` configures on addresses `n` owns, in `g`'s order (looked up by
        `n`'s addresses: a province core has thousands of peers)."""
        peers = self.facts[g].peers
        out = [(ip, peers[ip]) for p, _, _, ip, _, _ in _records(self.facts[n])
               if not p.vpn and ip in peers and self.owner.get(ip) == n]
        if len(out) > 1:
            order = {a: i for i, a in enumerate(peers)}
            out = sorted(dict(out).items(), key=lambda item: order[item[0]])
        return out


def _advertised(f: Facts, fam: int) -> list[tuple[NetKey, IPNet]]:
    """The networks `f` advertises into OSPF (OSPFv3): its ports in an area, up."""
    cache = f.__dict__.setdefault("_advertised", {})
    if fam not in cache:
        cache[fam] = [(key, addr.network) for p, rfam, key, _, addr, _ in _records(f)
                      if rfam == fam and p.up and (p.ospf_area if fam == 4 else p.ospf6_area)]
    return cache[fam]


class Estate:
    """The protocol state of every device, computed when a device asks for it.

    What every device shares (links, adjacencies, OSPF domains) is updated for the devices
    whose routing facts or `down` fault changed since it was last asked; each device's routes
    and BGP sessions are computed when that device asks, once per change anywhere. A `display`
    costs the changed devices' ports and the asking device's routes, not the whole estate.

    A simulator shard serves part of the estate (`devices`) and learns the rest from the
    other shards (`set_remote`: each remote device's routing facts and whether it is down),
    so the state it computes covers the whole estate."""

    def __init__(self, devices: dict[str, SimDevice]):
        self.devices = devices
        self._facts: dict[str, tuple[int, Facts]] = {}
        self._remote: dict[str, tuple[Facts, bool]] = {}
        self._pending: dict[str, tuple[Facts, bool]] = {}
        self._dirty: set[str] = set(devices)
        self._faults_seen = -1
        self._topo = _Topology()
        self._state: dict[str, tuple[int, DeviceState]] = {}
        self._since: dict[str, dict[str, float]] = {}
        for name, dev in devices.items():
            self._watch(name, dev)

    def _watch(self, name: str, dev: SimDevice) -> None:
        """Note `dev`'s config changes (its facts are read again when the state is asked)."""
        before = dev.on_change

        def changed() -> None:
            self._dirty.add(name)
            if before is not None:
                before()
        dev.on_change = changed

    def set_remote(self, name: str, facts: Facts, down: bool) -> None:
        """Another shard's device: its routing facts and whether it is down."""
        self._remote[name] = (facts, down)
        self._pending[name] = (facts, down)

    def facts(self, name: str) -> Facts:
        """Facts of one device (cached per config version)."""
        dev = self.devices.get(name)
        if dev is None:
            return self._remote[name][0]
        cached = self._facts.get(name)
        if cached is None or cached[0] != dev.version:
            cached = (dev.version, facts_of(dev))
            self._facts[name] = cached
        return cached[1]

    def topology(self) -> _Topology:
        """The shared part of the state, brought up to date with every config and fault."""
        topo = self._topo
        if FAULT_CHANGES[0] != self._faults_seen:  # someone set a fault: who is down now?
            self._faults_seen = FAULT_CHANGES[0]
            self._dirty |= {n for n, d in self.devices.items() if (n in topo.up) == d.faults.down}
        changes, self._pending = self._pending, {}
        for n in self._dirty:
            dev = self.devices[n]
            f = self.facts(n)
            old = topo.facts.get(n)
            if old is None or (n in topo.up) == dev.faults.down or (old is not f and old != f):
                changes[n] = (f, dev.faults.down)
        self._dirty = set()
        if changes:
            topo.update(changes)
        return topo

    def state(self, name: str) -> DeviceState:
        """The state `name` reports now (its routing table computed when first read)."""
        topo = self.topology()
        cached = self._state.get(name)
        if cached is not None and cached[0] == topo.generation:
            return cached[1]
        st = topo.adjacencies(name)
        self._sessions(name, topo, st)
        st.load = lambda: self._table(name, topo, st)
        self._state[name] = (topo.generation, st)
        return st

    def lookup(self, name: str, fam: int, net: IPNet) -> list[Route]:
        """`name`'s routes of exactly `net` (`display ip routing-table ADDRESS LENGTH`)."""
        st = self.state(name)
        if st.table is not None:
            return [r for r in st.table[fam] if r.prefix.prefixlen == net.prefixlen
                    and r.prefix == net]
        topo = self._topo
        route = topo.lookup(name, fam, net)
        if route is None:  # learnt from the first Established peer that announces it
            key = (net.version, int(net.network_address), net.prefixlen)
            asn = topo.facts[name].asn
            for s in st.bgp[fam]:
                if s.state != "Established":
                    continue
                nets = topo.facts[topo.owner[s.address]].networks[fam]
                if any((x.version, int(x.network_address), x.prefixlen) == key for x in nets):
                    hop = topo.route_to(name, s.address, fam)
                    route = Route(net, "IBGP" if s.asn == asn else "EBGP", 255, 0, s.address,
                                  hop.port if hop else "-", _net_text(key, net))
                    break
        return [route] if route is not None else []

    def _sessions(self, n: str, topo: _Topology, st: DeviceState) -> None:
        now = time.time()
        f = topo.facts[n]
        since = self._since.setdefault(n, {})
        for address in [a for a in since if a not in f.peers]:
            since.pop(address, None)
        if not f.asn:
            return
        for address, peer in f.peers.items():
            fam = 6 if ":" in address else 4
            state = self._peer_state(n, f, address, peer, fam, topo)
            if state == "Established":
                started = since.setdefault(address, now)
                other = topo.facts[topo.owner[address]]
                received = len(other.networks[fam])
            else:
                since.pop(address, None)
                started, received = now, 0
            st.bgp[fam].append(Session(address, peer.asn, state, started, received))

    def _table(self, n: str, topo: _Topology, st: DeviceState) -> dict[int, list[Route]]:
        """`n`'s whole routing table: direct, static, OSPF, then what its Established BGP
        peers announce."""
        routes = topo.routes_of(n)
        table = {4: list(routes[4].values()), 6: list(routes[6].values())}
        f = topo.facts[n]
        for fam in (4, 6):
            have = set(routes[fam])
            for s in st.bgp[fam]:
                if s.state != "Established":
                    continue
                hop = topo.route_to(n, s.address, fam)
                proto = "IBGP" if s.asn == f.asn else "EBGP"
                for net in topo.facts[topo.owner[s.address]].networks[fam]:
                    key = (net.version, int(net.network_address), net.prefixlen)
                    if key not in have:
                        have.add(key)
                        table[fam].append(Route(net, proto, 255, 0, s.address,
                                                hop.port if hop else "-", _net_text(key, net)))
        return table

    @staticmethod
    def _peer_state(n: str, f: Facts, address: str, peer: Peer, fam: int,
                    topo: _Topology) -> str:
        if n not in topo.up or fam not in peer.families:
            return "Idle"
        other = topo.owner.get(address)
        if other is None or other not in topo.up or not topo.reaches(n, address, fam):
            return "Idle"
        g = topo.facts[other]
        back = [(a, p) for a, p in topo.peers_towards(other, n) if (6 if ":" in a else 4) == fam]
        if not g.asn or g.asn != peer.asn or not back:
            return "Active"
        if not any(b.asn == f.asn and fam in b.families for _, b in back):
            return "Active"
        mine = next(a for a, p in back if p.asn == f.asn)
        if not topo.reaches(other, mine, fam):
            return "Active"
        return "Established"


def _net_text(key: NetKey, net: IPNet) -> str:
    text = _NET_TEXT.get(key)
    if text is None:
        text = _NET_TEXT[key] = str(net.network_address)
    return text
