"""The validated estate: what every other area of govops reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from govops.estate.ipam import Allocation
from govops.estate.model import Cloud, Host, Ipam, NetworkSettings, Node, Province, Site, Tenant
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
    plane: str
    bfd_interval_ms: int | None = None
    bfd_multiplier: int | None = None

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
