"""Per-node views of the estate: interfaces with their addresses, for render, lab and show."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass

from govops.estate.devices import device_model
from govops.estate.estate import Estate, Link
from govops.estate.model import Node
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


def interface_of(estate: Estate, node: Node, link: Link) -> Interface:
    """`node`'s end of `link`."""
    index = estate.allocation.ports[node.name][link.id]
    a4, b4 = _ends(estate.prefix("p2p-v4", link.id) or "0.0.0.0/31")
    a6, b6 = _ends(estate.prefix("p2p-v6", link.id) or "::/127")
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
        plane=link.plane,
        ipv4=a4 if mine_is_a else b4,
        ipv6=a6 if mine_is_a else b6,
        peer_ipv4=_host(b4 if mine_is_a else a4),
        peer_ipv6=_host(b6 if mine_is_a else a6),
        upstream=link.kind == "uplink" and not mine_is_a,
        area=node_area(estate, node, link),
        bfd_interval_ms=link.bfd_interval_ms or estate.network.bfd.interval_ms,
        bfd_multiplier=link.bfd_multiplier or estate.network.bfd.multiplier,
    )


def node_view(estate: Estate, name: str) -> NodeView:
    """The full view of one node; KeyError when the node does not exist."""
    node = estate.nodes[name]
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
        planes=tuple(node.planes),
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
    )


def node_views(estate: Estate) -> list[NodeView]:
    """Views of every node in estate order."""
    return [node_view(estate, name) for name in estate.nodes]
