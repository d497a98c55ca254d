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
from dataclasses import dataclass, field

from govops.lab.simdevices import grammar
from govops.lab.simdevices.device import SimDevice

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
    """One routing-table entry."""

    prefix: IPNet
    proto: str
    pref: int
    cost: int
    nexthop: str
    port: str


@dataclass
class DeviceState:
    """What one device's `display` commands report."""

    ospf: list[Adjacency] = field(default_factory=list)
    ospf6: list[Adjacency] = field(default_factory=list)
    bfd: list[Adjacency] = field(default_factory=list)
    bgp: dict[int, list[Session]] = field(default_factory=lambda: {4: [], 6: []})
    routes: dict[int, list[Route]] = field(default_factory=lambda: {4: [], 6: []})
    #: Neighbours of the planes' OSPF (OSPFv3) processes, by local process.
    planes: dict[int, list[Adjacency]] = field(default_factory=dict)
    planes6: dict[int, list[Adjacency]] = field(default_factory=dict)


class _Topology:
    """Links, adjacencies and who owns which address: the part of the state every device
    shares (recomputed when any config or fault changed: linear in the estate's ports)."""

    def __init__(self, facts: dict[str, Facts], up: set[str]):
        self.facts, self.up = facts, up
        self.adj: dict[str, DeviceState] = {n: DeviceState() for n in facts}
        self.owner: dict[str, str] = {}
        self.graph: dict[int, dict[str, set[str]]] = {4: {}, 6: {}}
        links: dict[IPNet, list[tuple[str, Port, IPIf]]] = {}
        plane_links: dict[tuple[str, IPNet], list[tuple[str, Port, IPIf]]] = {}
        for n, f in facts.items():
            for p in f.ports:
                for addr in [p.v4, *p.v6]:
                    if addr is None:
                        continue
                    if p.vpn:
                        if addr.network.prefixlen < addr.max_prefixlen:
                            plane_links.setdefault((p.vpn, addr.network), []).append((n, p, addr))
                        continue
                    self.owner[str(addr.ip)] = n
                    if addr.network.prefixlen < addr.max_prefixlen:
                        links.setdefault(addr.network, []).append((n, p, addr))
        for (vpn, net), ends in plane_links.items():
            self._plane_adjacency(vpn, net, ends)
        out, graph = self.adj, self.graph
        for net, ends in links.items():
            if len(ends) != 2 or ends[0][0] == ends[1][0]:
                continue
            (a, pa, xa), (b, pb, xb) = ends
            if a not in up or b not in up or not (pa.up and pb.up):
                continue
            fa, fb = facts[a], facts[b]
            if net.version == 4:
                if (pa.ospf_area and pa.ospf_area == pb.ospf_area and fa.ospf and fb.ospf
                        and pa.network_type == pb.network_type):
                    out[a].ospf.append(Adjacency(b, fb.router_id, pa.name, str(xb.ip), pa.ospf_area))
                    out[b].ospf.append(Adjacency(a, fa.router_id, pb.name, str(xa.ip), pb.ospf_area))
                    graph[4].setdefault(a, set()).add(b)
                    graph[4].setdefault(b, set()).add(a)
                    if pa.bfd and pb.bfd and fa.bfd_global and fb.bfd_global:
                        out[a].bfd.append(Adjacency(b, fb.router_id, pa.name, str(xb.ip), "", str(xa.ip)))
                        out[b].bfd.append(Adjacency(a, fa.router_id, pb.name, str(xa.ip), "", str(xb.ip)))
            elif (pa.ospf6_area and pa.ospf6_area == pb.ospf6_area and fa.ospf6 and fb.ospf6):
                out[a].ospf6.append(Adjacency(b, fb.router_id, pa.name, str(xb.ip), pa.ospf6_area))
                out[b].ospf6.append(Adjacency(a, fa.router_id, pb.name, str(xa.ip), pb.ospf6_area))
                graph[6].setdefault(a, set()).add(b)
                graph[6].setdefault(b, set()).add(a)
        self.routes: dict[str, dict[int, list[Route]]] = {}

    def _plane_adjacency(self, vpn: str, net: IPNet, ends: list) -> None:  # noqa: ANN001
        """Full across one plane link: both ends bound to `vpn`, each in a process of that
        instance, in the same area, with the same network type, ports and devices up."""
        if len(ends) != 2 or ends[0][0] == ends[1][0]:
            return
        (a, pa, xa), (b, pb, xb) = ends
        if a not in self.up or b not in self.up or not (pa.up and pb.up):
            return
        fa, fb = self.facts[a], self.facts[b]
        v4 = net.version == 4
        sa, sb = (pa.plane_ospf, pb.plane_ospf) if v4 else (pa.plane_ospf6, pb.plane_ospf6)
        procs_a, procs_b = (fa.planes, fb.planes) if v4 else (fa.planes6, fb.planes6)
        if sa is None or sb is None or sa[1] != sb[1] or (v4 and pa.network_type != pb.network_type):
            return
        if procs_a.get(sa[0], ("", ""))[1] != vpn or procs_b.get(sb[0], ("", ""))[1] != vpn:
            return
        kind = "planes" if v4 else "planes6"
        getattr(self.adj[a], kind).setdefault(sa[0], []).append(
            Adjacency(b, procs_b[sb[0]][0], pa.name, str(xb.ip), sa[1]))
        getattr(self.adj[b], kind).setdefault(sb[0], []).append(
            Adjacency(a, procs_a[sa[0]][0], pb.name, str(xa.ip), sb[1]))

    def routes_of(self, n: str) -> dict[int, list[Route]]:
        """Direct, static and OSPF routes of `n` (computed once per topology)."""
        if n not in self.routes:
            self.routes[n] = self._routes(n)
        return self.routes[n]

    def _routes(self, n: str) -> dict[int, list[Route]]:
        f = self.facts[n]
        result: dict[int, list[Route]] = {4: [], 6: []}
        if n not in self.up:
            return result
        for fam in (4, 6):
            table: dict[IPNet, Route] = {}
            for p in f.ports:
                for addr in ([p.v4] if fam == 4 else p.v6):
                    if addr is not None and p.up and not p.vpn:
                        table[addr.network] = Route(addr.network, "Direct", 0, 0,
                                                    str(addr.ip), p.name)
            for net in f.statics[fam]:
                table.setdefault(net, Route(net, "Static", 60, 0, "0.0.0.0" if fam == 4 else "::",
                                            "NULL0"))
            # OSPF: every prefix advertised by a device joined through Full adjacencies
            seen, todo = {n}, [n]
            first_hop: dict[str, Adjacency] = {}
            for adj in (self.adj[n].ospf if fam == 4 else self.adj[n].ospf6):
                first_hop.setdefault(adj.peer_name, adj)
            graph = self.graph[fam]
            while todo:
                cur = todo.pop()
                for nxt in graph.get(cur, ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        first_hop.setdefault(nxt, first_hop.get(cur) or first_hop.get(nxt))
                        todo.append(nxt)
            proto = "OSPF" if fam == 4 else "OSPFv3"
            for other in seen - {n}:
                hop = first_hop.get(other)
                if hop is None:
                    continue
                for p in self.facts[other].ports:
                    area = p.ospf_area if fam == 4 else p.ospf6_area
                    if not (area and p.up):
                        continue
                    for addr in ([p.v4] if fam == 4 else p.v6):
                        if addr is not None and addr.network not in table:
                            table[addr.network] = Route(addr.network, proto, 10, 1, hop.address,
                                                        hop.port)
            result[fam] = list(table.values())
        return result

    def reaches(self, n: str, address: str, fam: int) -> bool:
        """`n` has a connected or OSPF route to `address`."""
        ip = ipaddress.ip_address(address)
        return any(ip in r.prefix for r in self.routes_of(n)[fam] if r.proto != "Static")


class Estate:
    """The protocol state of every device, computed when a device asks for it.

    What every device shares (links, adjacencies) is recomputed once after any config or
    fault changed; each device's routes and BGP sessions only when that device (or a BGP
    peer checking reachability) asks: a `display` costs time linear in the estate, not
    quadratic, so a province of 1,894 devices can be pushed while its displays are read."""

    def __init__(self, devices: dict[str, SimDevice]):
        self.devices = devices
        self._facts: dict[str, tuple[int, Facts]] = {}
        self._topology: tuple[tuple, _Topology] | None = None
        self._state: dict[str, tuple[tuple, DeviceState]] = {}
        self._since: dict[tuple[str, str], float] = {}

    def facts(self, name: str) -> Facts:
        """Facts of one device (cached per config version)."""
        dev = self.devices[name]
        cached = self._facts.get(name)
        if cached is None or cached[0] != dev.version:
            cached = (dev.version, facts_of(dev))
            self._facts[name] = cached
        return cached[1]

    def topology(self) -> tuple[tuple, _Topology]:
        """The shared part of the state for the current configs and faults."""
        key = tuple((d.version, d.faults.down) for d in self.devices.values())
        if self._topology is None or self._topology[0] != key:
            up = {n for n, d in self.devices.items() if not d.faults.down}
            facts = {n: self.facts(n) for n in self.devices}
            self._topology = (key, _Topology(facts, up))
        return self._topology

    def state(self, name: str) -> DeviceState:
        """The state `name` reports now."""
        key, topo = self.topology()
        cached = self._state.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        adj = topo.adj[name]
        routes = topo.routes_of(name)
        st = DeviceState(ospf=list(adj.ospf), ospf6=list(adj.ospf6), bfd=list(adj.bfd),
                         routes={4: list(routes[4]), 6: list(routes[6])},
                         planes={k: list(v) for k, v in adj.planes.items()},
                         planes6={k: list(v) for k, v in adj.planes6.items()})
        self._sessions(name, topo, st)
        self._state[name] = (key, st)
        return st

    def _sessions(self, n: str, topo: _Topology, st: DeviceState) -> None:
        now = time.time()
        f = topo.facts[n]
        for key in [k for k in self._since if k[0] == n and k[1] not in f.peers]:
            self._since.pop(key, None)
        if not f.asn:
            return
        for address, peer in f.peers.items():
            fam = 6 if ":" in address else 4
            state = self._peer_state(n, f, address, peer, fam, topo)
            key = (n, address)
            if state == "Established":
                since = self._since.setdefault(key, now)
                other = topo.facts[topo.owner[address]]
                received = len(other.networks[fam])
            else:
                self._since.pop(key, None)
                since, received = now, 0
            st.bgp[fam].append(Session(address, peer.asn, state, since, received))
            if state == "Established":
                have = {r.prefix for r in st.routes[fam]}
                hop = next((r for r in st.routes[fam]
                            if ipaddress.ip_address(address) in r.prefix), None)
                proto = "IBGP" if peer.asn == f.asn else "EBGP"
                for net in topo.facts[topo.owner[address]].networks[fam]:
                    if net not in have:
                        have.add(net)
                        st.routes[fam].append(Route(net, proto, 255, 0, address,
                                                    hop.port if hop else "-"))

    @staticmethod
    def _peer_state(n: str, f: Facts, address: str, peer: Peer, fam: int,
                    topo: _Topology) -> str:
        if n not in topo.up or fam not in peer.families:
            return "Idle"
        other = topo.owner.get(address)
        if other is None or other not in topo.up or not topo.reaches(n, address, fam):
            return "Idle"
        g = topo.facts[other]
        owner = topo.owner
        back = [p for a, p in g.peers.items() if owner.get(a) == n and (6 if ":" in a else 4) == fam]
        if not g.asn or g.asn != peer.asn or not back:
            return "Active"
        if not any(b.asn == f.asn and fam in b.families for b in back):
            return "Active"
        mine = next(a for a, p in g.peers.items() if p in back and p.asn == f.asn)
        if not topo.reaches(other, mine, fam):
            return "Active"
        return "Established"
