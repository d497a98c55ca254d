"""The validated estate: what every other area of govops reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from govops.estate.ipam import Allocation
from govops.estate.model import Cloud, Host, Ipam, NetworkSettings, Node, Province, Site, Tenant
from govops.estate.planes import PlaneSpec
from govops.estate.policy import DrLevel, Policy
from govops.estate.settings import EstateSettings


@dataclass(frozen=True)
class Link:
    """A link between two nodes; for an uplink `a` is the upstream end."""

    id: str
    a: str
    b: str
    kind: str
    bandwidth_mbps: int
    #: The planes the link carries, default plane first (one logical link each).
    planes: tuple[str, ...] = ()
    bfd_interval_ms: int | None = None
    bfd_multiplier: int | None = None
    #: The planes its declaration restricts it to (`planes:` / `plane:`), None when free.
    only: tuple[str, ...] | None = None

    @property
    def plane(self) -> str:
        """The link's first plane (the default plane when it carries it)."""
        return self.planes[0] if self.planes else ""

    def other(self, name: str) -> str:
        """The far end seen from `name`."""
        return self.b if name == self.a else self.a


@dataclass
class Estate:
    """A whole estate, validated, with its addresses allocated (in memory)."""

    directory: str
    province: Province
    network: NetworkSettings
    ipam: Ipam
    sites: dict[str, Site]
    clouds: dict[str, Cloud]
    tenants: dict[str, Tenant]
    nodes: dict[str, Node]
    links: list[Link]
    policy: Policy
    allocation: Allocation
    lock_path: str
    hosts: dict[str, Host] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    #: List sections the estate declares explicitly empty (`tenants: []`) → FILE:LINE.
    empty_sections: dict[str, str] = field(default_factory=dict)
    #: `lab`, `change_approval`, `change_expiry` from province.yaml.
    settings: EstateSettings = field(default_factory=EstateSettings)
    #: The planes, default first (`govops.estate.planes`), and the planes each node carries.
    planes: dict[str, PlaneSpec] = field(default_factory=dict)
    carried: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def default_plane(self) -> str:
        """The name of the default plane (the global routing table)."""
        return next((p.name for p in self.planes.values() if p.default), "extranet")

    def other_planes(self, name: str) -> list[PlaneSpec]:
        """The non-default planes node `name` carries, in declaration order."""
        return [self.planes[p] for p in self.carried.get(name, ()) if not self.planes[p].default]

    def host_mlps(self, name: str) -> int:
        """A host's MLPS level: its own, else the highest of the tenants it serves."""
        host = self.hosts[name]
        if host.mlps is not None:
            return host.mlps
        return max(self.tenants[t].mlps for t in host.tenants)

    @cached_property
    def links_by_node(self) -> dict[str, list[Link]]:
        """Each node's links in estate order."""
        index: dict[str, list[Link]] = {name: [] for name in self.nodes}
        for link in self.links:
            index[link.a].append(link)
            index[link.b].append(link)
        return index

    def prefix(self, pool: str, key: str) -> str | None:
        """The prefix allocated to `key` in `pool`, or None."""
        return self.allocation.prefixes.get(pool, {}).get(key)

    def dr_objective(self, level: int) -> DrLevel:
        """RTO/RPO objectives of a DR level from the policy table."""
        return self.policy.dr_levels[level]

    def levels(self) -> dict[str, int]:
        """Node count per level, in hierarchy order."""
        order = ["province", "city", "county", "town", "dc", "egress", "carrier"]
        counts = {level: 0 for level in order}
        for node in self.nodes.values():
            counts[node.level] += 1
        return {k: v for k, v in counts.items() if v}
