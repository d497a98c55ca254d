"""Per-node views of the estate: interfaces with their addresses, for render, lab and show."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass

from govops.estate.devices import device_model
from govops.estate.estate import Estate, Link
from govops.estate.model import Node
from govops.estate.topology import leak_key, plane_key
from govops.estate.waivers import node_waivers


def port_name(platform: str, index: int, bandwidth_mbps: int, model: str | None = None) -> str:
    """The interface name a device of `platform` (and `model`, else the platform's default
    model) gives port `index` of that speed; the tables are in each platform's models.toml."""
    return device_model(platform, model).port(index, bandwidth_mbps)


def mgmt_port(platform: str, model: str | None = None) -> str:
    """The management interface of a device of `platform` (and `model`)."""
    return device_model(platform, model).mgmt


@dataclass(frozen=True)
class Interface:
    """One end of a link as seen from a node."""

    name: str
    index: int
    link: str
    kind: str
    peer: str
    peer_level: str
    bandwidth_mbps: int
    plane: str
    ipv4: str
    ipv6: str
    peer_ipv4: str
    peer_ipv6: str
    upstream: bool
    area: int
    bfd_interval_ms: int
    bfd_multiplier: int
    #: Every plane the link carries (one logical link each); `plane` is the one this
    #: interface is in.
    planes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeakView:
    """One end of a declared leak at this router: the link between two of its planes."""

    #: The plane on the other side of the leak, and its routing instance ("" = global table).
    peer_plane: str
    peer_instance: str
    #: The other plane's id (its OSPF process; 0 for the default plane).
    peer_id: int
    #: True on the side the leak is declared for (it reaches `routes` in the other plane);
    #: False on the side that only routes the answers back (never redistributed).
    outbound: bool
    ipv4: str
    ipv6: str
    peer_ipv4: str
    peer_ipv6: str
    #: Prefixes routed through the leak from this side, by family.
    routes_v4: tuple[str, ...]
    routes_v6: tuple[str, ...]
    #: On the declaring side, the plane's own pools: what the other side routes back.
    back_v4: tuple[str, ...] = ()
    back_v6: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlaneView:
    """A router's part of one non-default plane: its routing instance, loopback, LAN (when it
    attaches to the plane), its logical links (one per physical link that carries the plane)
    and its leaks."""

    name: str
    instance: str
    id: int
    loopback_ipv4: str
    loopback_ipv6: str
    lan_ipv4: str | None
    lan_ipv6: str | None
    interfaces: tuple[Interface, ...]
    leaks: tuple[LeakView, ...] = ()
    display_name: str = ""

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class NodeView:
    """A node with everything render and lab need: addresses, interfaces, area."""

    name: str
    level: str
    platform: str
    #: The device model (the platform's default when the estate names none).
    model: str
    site: str | None
    city: str | None
    county: str | None
    planes: tuple[str, ...]
    managed: bool
    asn: int
    area: int
    loopback_ipv4: str
    loopback_ipv6: str
    mgmt_ipv4: str
    mgmt_ipv6: str
    mgmt_host_ipv4: str
    mgmt_host_ipv6: str
    mgmt_interface: str
    lan_ipv4: str | None
    lan_ipv6: str | None
    isolated_ipv4: str | None
    isolated_ipv6: str | None
    interfaces: tuple[Interface, ...]
    display_name: str = ""
    #: Rules this node waives, each 'rule: reason' (e.g. 'single_homed: one fibre route').
    exceptions: tuple[str, ...] = ()
    #: The non-default planes it carries, in declaration order (`planes` names them all).
    plane_views: tuple[PlaneView, ...] = ()
    #: The default plane's leaks at this router.
    leaks: tuple[LeakView, ...] = ()

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return asdict(self)


def _ends(prefix: str) -> tuple[str, str]:
    """The two addresses of a /31 or /127 as 'addr/len' (low end first)."""
    network = ipaddress.ip_network(prefix)
    low = network.network_address
    return f"{low}/{network.prefixlen}", f"{low + 1}/{network.prefixlen}"


def _host(prefix: str | None) -> str:
    return prefix.split("/")[0] if prefix else ""


def node_area(estate: Estate, node: Node, link: Link | None = None) -> int:
    """OSPF area: 0 for the backbone (province, egress, DC, province–city links), else the
    city's area."""
    if node.level not in ("city", "county", "town") or not node.city:
        return 0
    if link is not None and node.level == "city":
        other = estate.nodes[link.other(node.name)]
        if other.level not in ("county", "town"):
            return 0
    return estate.allocation.areas.get(node.city, 0)


def interface_of(estate: Estate, node: Node, link: Link, plane: str | None = None) -> Interface:
    """`node`'s end of `link`, in `plane` (default: the default plane, on the port itself)."""
    index = estate.allocation.ports[node.name][link.id]
    spec = estate.planes.get(plane) if plane else None
    if spec is None or spec.default:
        plane = estate.default_plane
        pools, key = ("p2p-v4", "p2p-v6"), link.id
    else:
        pools, key = (spec.pool("p2p-v4"), spec.pool("p2p-v6")), plane_key(link.id, plane)
    a4, b4 = _ends(estate.prefix(pools[0], key) or "0.0.0.0/31")
    a6, b6 = _ends(estate.prefix(pools[1], key) or "::/127")
    mine_is_a = link.a == node.name
    peer = estate.nodes[link.other(node.name)]
    return Interface(
        name=port_name(node.platform, index, link.bandwidth_mbps, node.model),
        index=index,
        link=link.id,
        kind=link.kind,
        peer=peer.name,
        peer_level=peer.level,
        bandwidth_mbps=link.bandwidth_mbps,
        plane=plane,
        ipv4=a4 if mine_is_a else b4,
        ipv6=a6 if mine_is_a else b6,
        peer_ipv4=_host(b4 if mine_is_a else a4),
        peer_ipv6=_host(b6 if mine_is_a else a6),
        upstream=link.kind == "uplink" and not mine_is_a,
        area=node_area(estate, node, link),
        bfd_interval_ms=link.bfd_interval_ms or estate.network.bfd.interval_ms,
        bfd_multiplier=link.bfd_multiplier or estate.network.bfd.multiplier,
        planes=link.planes,
    )


def _own_prefixes(estate: Estate, plane: str) -> tuple[list[str], list[str]]:
    """The prefixes of a plane's own pools (its LANs), by family: what a leak routes back."""
    spec = estate.planes[plane]
    v4, v6 = [], []
    for pool in spec.own_pools:
        prefix = estate.ipam.pools[pool].prefix
        (v6 if ":" in prefix else v4).append(prefix)
    return v4, v6


def leak_views(estate: Estate, name: str, plane: str) -> tuple[LeakView, ...]:
    """The leaks at router `name` that touch `plane`, in declaration order."""
    found = []
    for spec in estate.planes.values():
        for leak in spec.leaks:
            if leak.at != name or plane not in (spec.name, leak.to):
                continue
            outbound = plane == spec.name
            other = leak.to if outbound else spec.name
            pool = spec.pool("p2p-v4") or "p2p-v4", spec.pool("p2p-v6") or "p2p-v6"
            key = leak_key(name, spec.name, leak.to)
            a4, b4 = _ends(estate.prefix(pool[0], key) or "0.0.0.0/31")
            a6, b6 = _ends(estate.prefix(pool[1], key) or "::/127")
            back = _own_prefixes(estate, spec.name)
            if outbound:
                routes = [p for p in leak.prefixes if ":" not in p], [
                    p for p in leak.prefixes if ":" in p]
            else:
                routes, back = back, ([], [])
            mine4, peer4 = (a4, b4) if outbound else (b4, a4)
            mine6, peer6 = (a6, b6) if outbound else (b6, a6)
            found.append(LeakView(other, estate.planes[other].instance, estate.planes[other].id,
                                  outbound, mine4, mine6,
                                  _host(peer4), _host(peer6), tuple(routes[0]),
                                  tuple(routes[1]), tuple(back[0]), tuple(back[1])))
    return tuple(found)


def plane_view(estate: Estate, name: str, plane: str) -> PlaneView:
    """Router `name`'s part of non-default plane `plane` (which it must carry)."""
    node = estate.nodes[name]
    spec = estate.planes[plane]
    key = plane_key(name, plane)
    attached = plane in node.planes
    interfaces = sorted(
        (interface_of(estate, node, link, plane) for link in estate.links_by_node[name]
         if plane in link.planes),
        key=lambda i: i.index,
    )
    return PlaneView(
        name=plane,
        instance=spec.instance,
        id=spec.id,
        loopback_ipv4=estate.prefix(spec.pool("loopback-v4"), key) or "",
        loopback_ipv6=estate.prefix(spec.pool("loopback-v6"), key) or "",
        lan_ipv4=estate.prefix(spec.pool("lan-v4"), name) if attached else None,
        lan_ipv6=estate.prefix(spec.pool("lan-v6"), name) if attached else None,
        interfaces=tuple(interfaces),
        leaks=leak_views(estate, name, plane),
        display_name=spec.display_name,
    )


def node_view(estate: Estate, name: str) -> NodeView:
    """The full view of one node; KeyError when the node does not exist."""
    node = estate.nodes[name]
    default = estate.default_plane
    mgmt4_host, mgmt4 = _ends(estate.prefix("mgmt-v4", name) or "0.0.0.0/31")
    mgmt6_host, mgmt6 = _ends(estate.prefix("mgmt-v6", name) or "::/127")
    interfaces = sorted(
        (interface_of(estate, node, link) for link in estate.links_by_node[name]),
        key=lambda i: i.index,
    )
    return NodeView(
        name=node.name,
        level=node.level,
        platform=node.platform,
        model=device_model(node.platform, node.model).name,
        site=node.site,
        city=node.city,
        county=node.county,
        planes=estate.carried.get(name, (default,)),
        managed=node.managed,
        asn=node.asn if node.asn is not None else estate.network.asn,
        area=node_area(estate, node),
        loopback_ipv4=estate.prefix("loopback-v4", name) or "",
        loopback_ipv6=estate.prefix("loopback-v6", name) or "",
        mgmt_ipv4=mgmt4,
        mgmt_ipv6=mgmt6,
        mgmt_host_ipv4=mgmt4_host,
        mgmt_host_ipv6=mgmt6_host,
        mgmt_interface=mgmt_port(node.platform, node.model),
        lan_ipv4=estate.prefix("lan-town-v4", name),
        lan_ipv6=estate.prefix("lan-town-v6", name),
        isolated_ipv4=estate.prefix("isolated-v4", name),
        isolated_ipv6=estate.prefix("isolated-v6", name),
        interfaces=tuple(interfaces),
        display_name=node.display_name,
        exceptions=tuple(f"{w.rule}: {w.reason}" for w in node_waivers(node)),
        plane_views=tuple(plane_view(estate, name, p.name) for p in estate.other_planes(name)),
        leaks=leak_views(estate, name, default),
    )


def node_views(estate: Estate) -> list[NodeView]:
    """Views of every node in estate order."""
    return [node_view(estate, name) for name in estate.nodes]
