"""The estate model: one validated description of the provincial estate (pydantic v2).

The YAML shapes are the classes below; every class forbids unknown fields. Cross-references
(a tenant's cloud, a node's uplinks) are names; `rules.py` checks them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

SiteRole = Literal["primary", "same-city", "remote-dr"]
CloudKind = Literal["provincial", "industry", "regional"]
Level = Literal["province", "city", "county", "town", "dc", "egress", "carrier"]
Platform = Literal["frr", "huawei_vrp", "h3c_comware", "cisco_ios"]
Plane = Literal["extranet", "isolated"]
LinkKind = Literal["uplink", "peer", "ebgp"]
#: Management sections govops may own outright on VRP/Comware (default: additive, see
#: `govops.network.scope`).
OwnedSection = Literal["ntp", "syslog", "snmp", "users", "aaa", "vty", "static-routes"]

#: Which level a node's uplinks must reach.
UPSTREAM_LEVEL: dict[str, str] = {
    "city": "province",
    "county": "city",
    "town": "county",
    "dc": "province",
    "egress": "province",
}

_BANDWIDTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([MGT])(?:bps|b)?\s*$", re.IGNORECASE)


def bandwidth_mbps(text: str | int) -> int:
    """'10G' → 10000, '100M' → 100, an int is taken as Mbit/s; ValueError otherwise."""
    if isinstance(text, int):
        return text
    match = _BANDWIDTH.match(str(text))
    if not match:
        raise ValueError(f"bandwidth {text!r} is not like 100M, 1G or 10G")
    value, unit = float(match.group(1)), match.group(2).upper()
    return int(value * {"M": 1, "G": 1000, "T": 1_000_000}[unit])


def _check_bandwidth(value: Any) -> Any:
    if value is None:
        return value
    bandwidth_mbps(value)
    return str(value)


Bandwidth = Annotated[str, BeforeValidator(_check_bandwidth)]


def _uplink_from_name(value: Any) -> Any:
    return {"to": value} if isinstance(value, str) else value


class Strict(BaseModel):
    """Base: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class Pool(Strict):
    """An IPAM pool: a prefix carved into equal blocks of `length` bits."""

    prefix: str
    length: int = Field(ge=0, le=128)

    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The pool's prefix as a network object."""
        return ipaddress.ip_network(self.prefix)


class Ipam(Strict):
    """The address plan: named pools inside the province aggregates."""

    pools: dict[str, Pool]


class Province(Strict):
    """The province: name, aggregates and estate-wide overrides of policy."""

    name: str
    code: str
    ipv6_aggregate: str
    ipv4_aggregate: str
    remote_dr_min_km: float | None = None
    bandwidth: dict[str, Bandwidth] = Field(default_factory=dict)


class Bfd(Strict):
    """BFD timers for uplinks."""

    interval_ms: int = Field(default=100, ge=10)
    multiplier: int = Field(default=3, ge=2, le=50)


class NetworkSettings(Strict):
    """Estate-wide routing and management settings."""

    asn: int = Field(ge=1, le=4294967295)
    domain: str = "gov.example"
    ntp_servers: list[str] = Field(default_factory=list)
    syslog_servers: list[str] = Field(default_factory=list)
    snmp_location: str = ""
    bfd: Bfd = Field(default_factory=Bfd)
    #: Sections govops owns outright: other lines of that kind are removed from devices.
    owns: list[OwnedSection] = Field(default_factory=list)


class Site(Strict):
    """A data centre."""

    name: str
    role: SiteRole
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    city: str | None = None
    description: str = ""


class Capacity(Strict):
    """What a cloud can give out in total."""

    vcpu: int = Field(ge=0)
    ram_gb: int = Field(ge=0)
    volume_gb: int = Field(ge=0)
    floating_ips: int = Field(default=0, ge=0)


class Quotas(Strict):
    """What a tenant may use."""

    vcpu: int = Field(ge=0)
    ram_gb: int = Field(ge=0)
    volume_gb: int = Field(ge=0)
    floating_ips: int = Field(default=0, ge=0)


class Cloud(Strict):
    """One cloud of the 1+N+M model."""

    name: str
    kind: CloudKind
    sites: list[str] = Field(min_length=1)
    capacity: Capacity
    city: str | None = None
    description: str = ""


class TenantNetwork(Strict):
    """A dual-stack tenant network; addresses come from IPAM."""

    name: str
    public_ports: list[int] = Field(default_factory=list)


class Tenant(Strict):
    """A department system hosted on one cloud."""

    department: str
    system: str
    name: str = ""
    cloud: str
    mlps: int
    dr_level: int
    quotas: Quotas
    networks: list[TenantNetwork] = Field(default_factory=lambda: [TenantNetwork(name="main")])
    contacts: list[str] = Field(default_factory=list)

    def model_post_init(self, __context: Any) -> None:
        if not self.name:
            self.name = f"{self.department}-{self.system}"


class Uplink(Strict):
    """One uplink of a node; bandwidth defaults from the policy table for the node's level."""

    to: str
    bandwidth: Bandwidth | None = None
    bfd: Bfd | None = None


class Node(Strict):
    """A router or switch of the extranet (or a carrier's router at the internet egress)."""

    name: str
    level: Level
    platform: Platform
    site: str | None = None
    city: str | None = None
    county: str | None = None
    uplinks: list[Annotated[Uplink, BeforeValidator(_uplink_from_name)]] = Field(
        default_factory=list
    )
    planes: list[Plane] = Field(default_factory=lambda: ["extranet"])
    single_homed: str | None = None
    managed: bool = True
    asn: int | None = None
    description: str = ""


HostRole = Literal["db", "app", "ops"]


class Host(Strict):
    """A server in a data centre; its MLPS level defaults to the highest of its tenants'."""

    name: str
    site: str
    role: HostRole
    mlps: int | None = None
    tenants: list[str] = Field(default_factory=list)
    description: str = ""


class LinkDecl(Strict):
    """A link written out in the estate (peer links, eBGP to carriers)."""

    a: str
    b: str
    kind: LinkKind = "peer"
    bandwidth: Bandwidth | None = None
    plane: Plane = "extranet"
