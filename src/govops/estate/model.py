"""The estate model: one validated description of the provincial estate (pydantic v2).

The YAML shapes are the classes below; every class forbids unknown fields. Cross-references
(a tenant's cloud, a node's uplinks) are names; `rules.py` checks them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

SiteRole = Literal["primary", "same-city", "remote-dr"]
CloudKind = Literal["provincial", "industry", "regional"]
Level = Literal["province", "city", "county", "town", "dc", "egress", "carrier"]
Platform = Literal["frr", "huawei_vrp", "h3c_comware", "cisco_ios"]
#: The planes an estate has when it declares none (`planes:` absent): the default plane, and
#: the strongly isolated plane (Guangdong 001 §6.3) when a node or link names it.
DEFAULT_PLANE = "extranet"
ISOLATED_PLANE = "isolated"
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


def _prefix_check(version: int):
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the str type reports it
        example = "2001:db8::/32" if version == 6 else "198.18.0.0/15"
        try:
            net = ipaddress.ip_network(value.strip())
        except ValueError as exc:
            if "host bits" in str(exc):
                raise ValueError(f"host bits are set: write the network address, as in "
                                 f"{example}") from None
            raise ValueError(f"not an IPv{version} prefix: write ADDRESS/LENGTH, as in "
                             f"{example}") from None
        if net.version != version:
            raise ValueError(f"an IPv{net.version} prefix where IPv{version} is needed: write one "
                             f"like {example}")
        return value.strip()
    return check


def _address_check(value: Any) -> Any:
    if isinstance(value, str):
        try:
            ipaddress.ip_address(value.strip())
        except ValueError:
            raise ValueError("not an IP address: write one such as 2001:db8::123 or "
                             "198.18.16.123") from None
        return value.strip()
    return value


Ipv6Prefix = Annotated[str, BeforeValidator(_prefix_check(6))]
Ipv4Prefix = Annotated[str, BeforeValidator(_prefix_check(4))]
IpAddress = Annotated[str, BeforeValidator(_address_check)]


#: An identifier: ASCII letters, digits, '-', '_' and '.', starting and ending with a letter or
#: digit. Names key the lock, interfaces, files and resource names, so they stay ASCII.
IDENTIFIER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
#: A DNS label (lower case): what a tenant's department and system become in its DNS zone.
DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def identifier_problem(value: str, dns: bool = False) -> str | None:
    """Why `value` cannot be an identifier (a DNS label with `dns`), with the fix; None if it can.

    The one check behind the YAML model and `tenant add`: both accept the same values."""
    if (DNS_LABEL if dns else IDENTIFIER).match(value):
        return None
    if not value.isascii():
        return (f"{value!r} is not ASCII: identifiers are ASCII; put the Chinese name in "
                "display_name and use an ASCII name here (pinyin, for example)")
    if dns:
        return (f"{value!r} is not a DNS label: use lower-case letters, digits and hyphens "
                "(it names the tenant's project, resources and DNS zone)")
    return (f"{value!r} is not an identifier: use letters, digits, '-', '_' or '.' (at most 63, "
            "starting and ending with a letter or digit)")


#: Checked by pydantic's own (Rust) regex: names are the bulk of a large estate. A mismatch is
#: explained by `identifier_problem` (see `validation.describe`).
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER.pattern)]
DnsLabel = Annotated[str, StringConstraints(pattern=DNS_LABEL.pattern)]


def _domain(value: Any) -> Any:
    """A DNS domain as its ASCII (IDNA, punycode) form; Chinese labels are allowed here."""
    if not isinstance(value, str):
        return value
    text = value.strip().rstrip(".")
    try:
        ascii_form = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError("not a DNS domain (each label 1-63 characters, letters, digits and "
                         "hyphens, or Chinese): fix it") from None
    labels = ascii_form.split(".")
    if not all(DNS_LABEL.match(label) for label in labels):
        raise ValueError("not a DNS domain: use labels of letters, digits and hyphens (Chinese "
                         "labels are written as punycode automatically)")
    return ascii_form


def _uplink_from_name(value: Any) -> Any:
    return {"to": value} if isinstance(value, str) else value


class Strict(BaseModel):
    """Base: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class Named(Strict):
    """An entity a person names: an ASCII identifier for machines, a display name for people."""

    display_name: str = ""

    @property
    def label(self) -> str:
        """'name (display name)' or the name alone."""
        name = getattr(self, "name", "")
        return f"{name} ({self.display_name})" if self.display_name else name


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


class Province(Named):
    """The province: name, aggregates and estate-wide overrides of policy."""

    name: str
    code: str
    ipv6_aggregate: Ipv6Prefix
    ipv4_aggregate: Ipv4Prefix
    remote_dr_min_km: float | None = None
    bandwidth: dict[str, Bandwidth] = Field(default_factory=dict)


class Bfd(Strict):
    """BFD timers for uplinks."""

    interval_ms: int = Field(default=100, ge=10)
    multiplier: int = Field(default=3, ge=2, le=50)


class OspfTimers(Strict):
    """OSPF/OSPFv3 hello and dead intervals on every internal link (the protocol's defaults
    are 10 s and 40 s; with BFD on the uplinks they mostly decide how soon a new or repaired
    link forms its adjacency)."""

    hello_s: int = Field(default=10, ge=1, le=65535)
    dead_s: int = Field(default=40, ge=2, le=65535)

    @model_validator(mode="after")
    def _dead_after_hellos(self) -> OspfTimers:
        if self.dead_s <= self.hello_s:
            raise ValueError(f"dead_s ({self.dead_s}) must be longer than hello_s "
                             f"({self.hello_s}): make it at least {self.hello_s * 3}")
        return self


class BgpTimers(Strict):
    """How often a BGP speaker retries a session that is not up (seconds)."""

    connect_retry_s: int = Field(default=10, ge=1, le=65535)


class NetworkSettings(Strict):
    """Estate-wide routing and management settings."""

    asn: int = Field(ge=1, le=4294967295)
    domain: Annotated[str, BeforeValidator(_domain)] = "gov.example"
    ntp_servers: list[IpAddress] = Field(default_factory=list)
    syslog_servers: list[IpAddress] = Field(default_factory=list)
    snmp_location: str = ""
    bfd: Bfd = Field(default_factory=Bfd)
    ospf: OspfTimers = Field(default_factory=OspfTimers)
    bgp: BgpTimers = Field(default_factory=BgpTimers)
    #: Sections govops owns outright: other lines of that kind are removed from devices.
    owns: list[OwnedSection] = Field(default_factory=list)


class Site(Named):
    """A data centre."""

    name: Identifier
    role: SiteRole
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    city: Identifier | None = None
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


class Cloud(Named):
    """One cloud of the 1+N+M model."""

    name: Identifier
    kind: CloudKind
    sites: list[str] = Field(min_length=1)
    capacity: Capacity
    city: Identifier | None = None
    description: str = ""


class TenantNetwork(Strict):
    """A dual-stack tenant network; addresses come from IPAM."""

    name: DnsLabel
    public_ports: list[int] = Field(default_factory=list)


class Tenant(Named):
    """A department system hosted on one cloud."""

    department: DnsLabel
    system: DnsLabel
    name: Identifier | Literal[""] = ""
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


class Node(Named):
    """A router or switch of the extranet (or a carrier's router at the internet egress)."""

    name: Identifier
    level: Level
    platform: Platform
    #: The device model (`CE6881`, `S6850`): port names and what the device prints; the
    #: platform's default model when left out (see govops.estate.devices).
    model: str | None = None
    site: str | None = None
    city: Identifier | None = None
    county: Identifier | None = None
    uplinks: list[Annotated[Uplink, BeforeValidator(_uplink_from_name)]] = Field(
        default_factory=list
    )
    #: Planes the node attaches to (a LAN in each); empty: the default plane only. The routers
    #: above it carry these planes to the province core (`govops.estate.planes`).
    planes: list[Identifier] = Field(default_factory=list)
    single_homed: str | None = None
    managed: bool = True
    asn: int | None = None
    description: str = ""


HostRole = Literal["db", "app", "ops"]


class Host(Named):
    """A server in a data centre; its MLPS level defaults to the highest of its tenants'."""

    name: Identifier
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
    #: The planes this link carries (default: every plane both ends carry); `plane: NAME` is
    #: the older spelling of `planes: [NAME]`.
    planes: list[Identifier] | None = None
    plane: Identifier | None = None

    @model_validator(mode="after")
    def _one_spelling(self) -> LinkDecl:
        if self.plane is not None and self.planes is not None:
            raise ValueError("write either plane: NAME or planes: [NAMES], not both")
        return self

    @property
    def only(self) -> list[str] | None:
        """The planes the declaration restricts the link to (None: no restriction)."""
        return [self.plane] if self.plane is not None else self.planes


PoolRole = Literal["lan-v4", "lan-v6", "p2p-v4", "p2p-v6", "loopback-v4", "loopback-v6"]


class PlanePolicy(Strict):
    """How a plane is kept apart from the others."""

    #: Other planes' uplinks drop this plane's addresses (ACL 3900) and their BGP refuses its
    #: prefixes (route-policy EXTRANET-V4/V6): defence in depth on top of the separate
    #: routing instance.
    filter: bool = True


class Leak(Strict):
    """A declared hole between two planes, at one router: the plane reaches `prefixes` of
    plane `to` there (for example a shared-services prefix at the province core), and the
    router routes the answers back. Nothing else crosses."""

    at: Identifier
    to: Identifier
    prefixes: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _prefixes(self) -> Leak:
        for i, text in enumerate(self.prefixes):
            try:
                ipaddress.ip_network(str(text).strip())
            except ValueError:
                raise ValueError(f"prefixes[{i}]: {text!r} is not a prefix: write "
                                 "ADDRESS/LENGTH with the host bits zero, as in "
                                 "198.18.24.0/24 or 2001:db8:0:3::/64") from None
        return self


class PlaneDecl(Named):
    """A routing plane of the estate ("one network, two planes"): its own routing instance
    (VPN instance / VRF) on every router that carries it, its own addresses and policy."""

    name: Identifier
    purpose: str = ""
    mlps: int = 2
    #: The base plane: the routers' global routing table, the internet egress. Exactly one.
    default: bool = False
    #: Routing instance (VPN instance, VRF) name; default: the plane's name. Not for the
    #: default plane, which is the global table.
    instance: Identifier | None = None
    #: One number per plane: the dot1q VLAN of its logical links and LAN, the OSPF/OSPFv3
    #: process and the route-distinguisher (ASN:id). Default: 200, 300, … in order.
    id: int | None = Field(default=None, ge=2, le=4094)
    #: Pool role → a pool of `ipam.pools`; roles left out share the estate's pools
    #: (p2p-v4, loopback-v4, …), whose blocks are distinct anyway.
    pools: dict[PoolRole, Identifier] = Field(default_factory=dict)
    policy: PlanePolicy = Field(default_factory=PlanePolicy)
    leaks: list[Leak] = Field(default_factory=list)
