"""Typed arguments of the cloud components: everything `govops.cloud` needs, nothing more.

Plain frozen dataclasses, standard library only: no pydantic, no estate import. The estate
loader (or a test, or a stack config file) builds them; `from_dict` reads the JSON shape that
`to_dict` writes, so a stack spec can be saved next to `stacks/` and read back by the program.

Sequences are stored as tuples (hashable, immutable); lists given to the constructors are
converted. Values are *not* range-checked here: an MLPS level of 7 or a network without an
IPv6 prefix is a guardrail violation (`govops.cloud.guardrails`), reported with every other
problem at once, not an exception raised on the first one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

CloudKind = Literal["provincial", "industry", "regional"]
ReplicaRole = Literal["same-city", "remote-dr"]

CLOUD_KINDS: tuple[str, ...] = get_args(CloudKind)
REPLICA_ROLES: tuple[str, ...] = get_args(ReplicaRole)

DEFAULT_MANAGEMENT_PORTS: tuple[int, ...] = (22, 9100)
"""ssh, and node-exporter scraped by the ops monitoring: reachable from the ops network only."""


def _tuple(value: Sequence[Any] | None) -> tuple[Any, ...]:
    return tuple(value) if value is not None else ()


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Quotas:
    """What a tenant (or a replica, or a whole cloud as capacity) may use."""

    vcpu: int
    ram_gb: int
    volume_gb: int
    floating_ips: int = 0

    DIMENSIONS = ("vcpu", "ram_gb", "volume_gb", "floating_ips")

    def __add__(self, other: Quotas) -> Quotas:
        return Quotas(*(getattr(self, d) + getattr(other, d) for d in self.DIMENSIONS))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quotas:
        return cls(**{k: int(v) for k, v in data.items()})


Capacity = Quotas
"""A cloud's capacity has the shape of a quota: what it can give out in total."""


@dataclass(frozen=True)
class NetworkArgs:
    """One dual-stack tenant network; both prefixes come from the estate's IPAM.

    `ipv6_cidr` must be a /64 (SLAAC); `None` in either prefix fails guardrail GR006.
    `public_ports` are the TCP ports opened to the world (0.0.0.0/0 and ::/0) on this network.
    """

    name: str
    ipv4_cidr: str | None
    ipv6_cidr: str | None
    public_ports: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "public_ports", tuple(int(p) for p in _tuple(self.public_ports)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NetworkArgs:
        return cls(name=data["name"], ipv4_cidr=data.get("ipv4_cidr"),
                   ipv6_cidr=data.get("ipv6_cidr"),
                   public_ports=tuple(data.get("public_ports") or ()))


@dataclass(frozen=True)
class IngressRule:
    """An extra ingress rule a tenant asks for, beyond what its MLPS level derives.

    `network` limits the rule to one network's public security group for the "declared public
    port" exception of GR004; `None` means the tenant's base group. `protocol` is a Neutron
    protocol name (tcp, udp, icmp, ipv6-icmp). The ethertype follows `remote_cidr`'s family.
    """

    protocol: str
    remote_cidr: str
    port_min: int | None = None
    port_max: int | None = None
    network: str | None = None
    description: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IngressRule:
        return cls(**dict(data))


@dataclass(frozen=True)
class ReplicaArgs:
    """Where one copy of a tenant lives: role, cloud and the replica's own networks.

    `quotas` defaults to the tenant's own (DR level 4+ means "all equipment ready").
    `ops_ipv4_cidr`/`ops_ipv6_cidr` are the replica cloud's ops network, the only source of
    management traffic on the copy. `availability_zone` pins the copy to a site of a cloud
    that spans several (a same-city copy in the second data centre of the same cloud).
    """

    role: ReplicaRole
    cloud: str
    networks: tuple[NetworkArgs, ...]
    ops_ipv4_cidr: str | None = None
    ops_ipv6_cidr: str | None = None
    quotas: Quotas | None = None
    availability_zone: str | None = None

    def __post_init__(self) -> None:
        _set(self, "networks", _tuple(self.networks))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReplicaArgs:
        quotas = data.get("quotas")
        return cls(role=data["role"], cloud=data["cloud"],
                   networks=tuple(NetworkArgs.from_dict(n) for n in data.get("networks") or ()),
                   ops_ipv4_cidr=data.get("ops_ipv4_cidr"),
                   ops_ipv6_cidr=data.get("ops_ipv6_cidr"),
                   quotas=Quotas.from_dict(quotas) if quotas else None,
                   availability_zone=data.get("availability_zone"))


@dataclass(frozen=True)
class TenantArgs:
    """One department system as a tenant of one cloud.

    `name` defaults to `department-system` (the estate's convention) and prefixes every
    resource name. `mlps` is the MLPS (等保) level 1–5, `dr_level` the GB/T 20988 level 1–6;
    `None` fails guardrail GR001. `ops_ipv4_cidr`/`ops_ipv6_cidr` are the home cloud's ops
    network: management ports are reachable from there only.
    """

    department: str
    system: str
    cloud: str
    mlps: int | None
    dr_level: int | None
    quotas: Quotas
    networks: tuple[NetworkArgs, ...]
    ops_ipv4_cidr: str | None = None
    ops_ipv6_cidr: str | None = None
    dns_domain: str | None = None
    replicas: tuple[ReplicaArgs, ...] = ()
    extra_ingress: tuple[IngressRule, ...] = ()
    management_ports: tuple[int, ...] = DEFAULT_MANAGEMENT_PORTS
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            _set(self, "name", f"{self.department}-{self.system}")
        _set(self, "networks", _tuple(self.networks))
        _set(self, "replicas", _tuple(self.replicas))
        _set(self, "extra_ingress", _tuple(self.extra_ingress))
        _set(self, "management_ports", tuple(int(p) for p in _tuple(self.management_ports)))

    def replica(self, role: str) -> ReplicaArgs | None:
        """The placement with this role, or None."""
        return next((r for r in self.replicas if r.role == role), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TenantArgs:
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        kw["quotas"] = Quotas.from_dict(data["quotas"])
        kw["networks"] = tuple(NetworkArgs.from_dict(n) for n in data.get("networks") or ())
        kw["replicas"] = tuple(ReplicaArgs.from_dict(r) for r in data.get("replicas") or ())
        kw["extra_ingress"] = tuple(IngressRule.from_dict(r)
                                    for r in data.get("extra_ingress") or ())
        if "management_ports" in data:
            kw["management_ports"] = tuple(data["management_ports"])
        return cls(**kw)


@dataclass(frozen=True)
class ExternalNetworkArgs:
    """A provider (external) network of a cloud: internet zone, e-gov extranet (政务外网)…

    `physical_network`/`network_type`/`segmentation_id` describe the Neutron segment.
    The prefixes give the external subnets router gateways take their addresses from.
    """

    name: str
    ipv4_cidr: str | None = None
    ipv6_cidr: str | None = None
    physical_network: str = "external"
    network_type: str = "flat"
    segmentation_id: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExternalNetworkArgs:
        return cls(**dict(data))


@dataclass(frozen=True)
class CloudArgs:
    """One cloud of the 1+N+M model and its shared pieces.

    `external_network` names the external network tenant routers use as gateway; it must be one
    of `external_networks` (when that is empty, a bare one of that name is assumed).
    `subnet_pool_v4`/`subnet_pool_v6` are the prefixes tenant subnets are carved from (the
    estate's tenant IPAM pools), `*_length` their block sizes. `os_cloud` names the entry in
    `clouds.yaml` a provider for this cloud uses (default: the cloud's name).
    """

    name: str
    kind: CloudKind
    capacity: Quotas
    external_network: str = "public"
    subnet_pool_v4: tuple[str, ...] = ()
    subnet_pool_v6: tuple[str, ...] = ()
    subnet_pool_v4_length: int = 27
    subnet_pool_v6_length: int = 64
    ops_ipv4_cidr: str | None = None
    ops_ipv6_cidr: str | None = None
    external_networks: tuple[ExternalNetworkArgs, ...] = ()
    os_cloud: str | None = None
    domain_id: str | None = None

    def __post_init__(self) -> None:
        _set(self, "subnet_pool_v4", _tuple(self.subnet_pool_v4))
        _set(self, "subnet_pool_v6", _tuple(self.subnet_pool_v6))
        externals = _tuple(self.external_networks)
        if not externals:
            externals = (ExternalNetworkArgs(name=self.external_network),)
        _set(self, "external_networks", externals)

    @property
    def gateway_network(self) -> ExternalNetworkArgs | None:
        """The external network tenant routers attach to, or None if misnamed."""
        return next((n for n in self.external_networks if n.name == self.external_network),
                    None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CloudArgs:
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        kw["capacity"] = Quotas.from_dict(data["capacity"])
        kw["external_networks"] = tuple(ExternalNetworkArgs.from_dict(n)
                                        for n in data.get("external_networks") or ())
        for key in ("subnet_pool_v4", "subnet_pool_v6"):
            kw[key] = tuple(data.get(key) or ())
        return cls(**kw)


@dataclass(frozen=True)
class StackSpec:
    """What one stack (one cloud) is built from: its cloud, every cloud, every tenant.

    All clouds are needed because replicas of this cloud's tenants live on other clouds.
    """

    cloud: str
    clouds: tuple[CloudArgs, ...]
    tenants: tuple[TenantArgs, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _set(self, "clouds", _tuple(self.clouds))
        _set(self, "tenants", _tuple(self.tenants))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StackSpec:
        return cls(cloud=data["cloud"],
                   clouds=tuple(CloudArgs.from_dict(c) for c in data["clouds"]),
                   tenants=tuple(TenantArgs.from_dict(t) for t in data.get("tenants") or ()))
