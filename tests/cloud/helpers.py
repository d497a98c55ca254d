"""Small, valid cloud estates for the cloud tests: two clouds, tenants built by keyword."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from govops.cloud.args import (
    CloudArgs,
    ExternalNetworkArgs,
    NetworkArgs,
    Quotas,
    ReplicaArgs,
    StackSpec,
    TenantArgs,
)

GOV_OPS_V4 = "10.255.0.0/24"
GOV_OPS_V6 = "2001:db8:0:ff::/64"
DR_OPS_V4 = "10.254.0.0/24"
DR_OPS_V6 = "2001:db8:0:fe::/64"


def clouds(capacity: Quotas | None = None) -> tuple[CloudArgs, ...]:
    """gd-gov (provincial, with an internet and an e-gov extranet) and gd-dr (remote DR)."""
    cap = capacity or Quotas(vcpu=2048, ram_gb=8192, volume_gb=262144, floating_ips=256)
    return (
        CloudArgs(name="gd-gov", kind="provincial", capacity=cap, external_network="internet",
                  external_networks=(
                      ExternalNetworkArgs("internet", "203.0.113.0/24", "2001:db8:ffff::/64"),
                      ExternalNetworkArgs("egov", "198.51.100.0/24", "2001:db8:fffe::/64",
                                          physical_network="egov", network_type="vlan",
                                          segmentation_id=100)),
                  subnet_pool_v4=("198.18.192.0/18",), subnet_pool_v6=("2001:db8:f000::/36",),
                  ops_ipv4_cidr=GOV_OPS_V4, ops_ipv6_cidr=GOV_OPS_V6),
        CloudArgs(name="gd-dr", kind="provincial", capacity=cap, external_network="internet",
                  subnet_pool_v4=("198.19.0.0/18",), subnet_pool_v6=("2001:db8:f100::/40",),
                  ops_ipv4_cidr=DR_OPS_V4, ops_ipv6_cidr=DR_OPS_V6, os_cloud="gd-dr-admin"),
    )


def net(name: str = "app", i: int = 1, ports: tuple[int, ...] = (443,), *,
        v4: str = "198.18", v6: str = "2001:db8:f000") -> NetworkArgs:
    """A dual-stack network numbered `i`: a /27 and a /64."""
    return NetworkArgs(name, f"{v4}.{192 + i // 8}.{(i % 8) * 32}/27", f"{v6}:{i:x}::/64",
                       ports)


def replica(role: str, i: int = 1, cloud: str = "gd-dr", **kw: Any) -> ReplicaArgs:
    v4, v6 = ("198.19", "2001:db8:f100") if role == "remote-dr" else ("198.20", "2001:db8:f200")
    return ReplicaArgs(role, cloud, (net("app", i, v4=v4, v6=v6),), **kw)  # type: ignore[arg-type]


def tenant(system: str = "portal", i: int = 1, *, mlps: int | None = 3,
           dr_level: int | None = 3, **kw: Any) -> TenantArgs:
    """A valid tenant on gd-gov; DR 4+ gets the placements it needs unless given."""
    if "replicas" not in kw:
        reps = []
        if dr_level is not None and dr_level >= 4:
            reps.append(replica("remote-dr", i))
        if dr_level is not None and dr_level >= 5:
            reps.append(replica("same-city", i, cloud="gd-gov", availability_zone="gz-sec"))
        kw["replicas"] = tuple(reps)
    base: dict[str, Any] = dict(
        department="gov-affairs", system=system, cloud="gd-gov", mlps=mlps, dr_level=dr_level,
        quotas=Quotas(vcpu=16, ram_gb=64, volume_gb=1024, floating_ips=2),
        networks=(net("app", i),), ops_ipv4_cidr=GOV_OPS_V4, ops_ipv6_cidr=GOV_OPS_V6,
        dns_domain=f"{system}.gov-affairs.gd.gov.cn")
    base.update(kw)
    return TenantArgs(**base)


def spec(*tenants: TenantArgs, cloud: str = "gd-gov") -> StackSpec:
    return StackSpec(cloud=cloud, clouds=clouds(), tenants=tenants)


def with_(obj: Any, **changes: Any) -> Any:
    return replace(obj, **changes)
