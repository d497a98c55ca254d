"""From the estate to the cloud components' arguments: one `StackSpec` per cloud (1+N+M).

Everything here is a pure function of the validated estate (its model and its IPAM
allocation), so the same estate always gives byte-identical stack specs. The decisions (see
`docs/adr/0005-cloud-stacks.md`):

* **One stack per cloud**, named after the cloud. Each spec carries every cloud (DR copies live
  on other clouds) and every tenant (guardrail GR005 sums what every tenant places on a cloud);
  the program builds only the tenants homed on the stack's cloud.
* **Cloud** (`CloudArgs`): kind and capacity from `clouds:`; its subnet pools are the estate's
  `tenant-v4`/`tenant-v6` IPAM pools (prefix and block length), so a tenant subnet is always
  an IPAM block inside its cloud's pool. The external network is the default `public`.
* **Ops network** of each cloud (the management source of MLPS 3+ rules): tenant-sized blocks
  (the `tenant-v4`/`tenant-v6` block lengths) taken from the *top* of the IPv4 `host-v4` pool
  (data-centre management, where IPv4 space is to spare: hosts take its lowest addresses) and
  of the IPv6 `tenant-v6` pool (2^28 /64s), counted down in `clouds:` order — the first cloud
  takes the last block of each, the second the ones before, and so on. IPAM hands blocks out
  lowest first, so the two ends meet only when a pool is nearly full; `ops_networks` then stops
  with a BadInput naming the allocation and the fix instead of planning an overlap. (Not the
  top of `tenant-v4`: a province-sized estate fills it — the generated Sichuan estate uses 504
  of its 512 blocks.) Keep `clouds:` append-only (as every IPAM request): moving a cloud
  renumbers its ops network.
* **Tenant** (`TenantArgs`): department, system, cloud, levels, quotas; each network's IPv4 and
  IPv6 prefix is its IPAM block (`tenant-v4`/`tenant-v6`, key `<tenant>/<network>`); the DNS
  zone is `<system>.<department>.<network.domain>`.
* **DR copies** (`ReplicaArgs`) from the DR level (GB/T 20988): level ≥ 4 a remote-DR copy, level
  ≥ 5 a same-city copy as well. A copy stands at a *site*: remote-DR — a site of role remote-dr;
  same-city — a primary or same-city site in the home site's city (when both name a city)
  other than the home site (the cloud's first primary site, else its first site). The cloud is
  chosen in this order: the tenant's own cloud if it spans such a site, else the provincial
  cloud, else the first cloud in `clouds:` that does. The copy is pinned to that site
  (`availability_zone` = site name). When no cloud spans such a site there is no copy, and
  guardrail GR002/GR003 reports it.
* A copy keeps its home networks' **prefixes** (IP-preserving failover: no renumbering, DNS and
  firewall rules stay valid; the copy's routes are announced only on failover). The copy's
  quotas are its home's (levels 4+ mean "all equipment ready").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from govops.cloud.args import CloudArgs, NetworkArgs, Quotas, ReplicaArgs, StackSpec, TenantArgs
from govops.cloud.policy import required_roles
from govops.errors import BadInput
from govops.estate.estate import Estate
from govops.estate.model import Cloud, Tenant

TENANT_POOLS = ("tenant-v4", "tenant-v6")
OPS_POOLS = ("host-v4", "tenant-v6")
"""Where ops networks come from (IPv4, IPv6); their block sizes are the tenant pools'."""
SITE_ROLES = {"remote-dr": ("remote-dr",), "same-city": ("same-city", "primary")}
"""Site roles a copy of each role may stand on, in order of preference."""


def _top_blocks(estate: Estate, pool_name: str, length: int, count: int) -> list[str]:
    """The last `count` blocks of `length` bits of a pool, from its top down."""
    pool = ipaddress.ip_network(estate.ipam.pools[pool_name].prefix)
    step = 1 << (pool.max_prefixlen - length)
    if length < pool.prefixlen or count * step > pool.num_addresses:
        raise BadInput(f"IPAM pool {pool_name} ({pool}) cannot hold {count} ops networks of "
                       f"/{length} at its top (one per cloud): widen pool {pool_name} in "
                       "province.yaml")
    top = int(pool.broadcast_address) + 1
    return [f"{ipaddress.ip_address(top - (i + 1) * step)}/{length}" for i in range(count)]


def ops_networks(estate: Estate) -> dict[str, tuple[str, str]]:
    """Cloud name → (IPv4, IPv6) prefix of its ops network, from the top of the ops pools.

    BadInput when an IPAM allocation of those pools lies in one (the pool is nearly full).
    """
    count = len(estate.clouds)
    blocks = {pool: _top_blocks(estate, pool, estate.ipam.pools[sized].length, count)
              for pool, sized in zip(OPS_POOLS, TENANT_POOLS, strict=True)}
    result = {name: (blocks[OPS_POOLS[0]][i], blocks[OPS_POOLS[1]][i])
              for i, name in enumerate(estate.clouds)}
    for pool_name in OPS_POOLS:
        ranges = [(int(n.network_address), int(n.broadcast_address), cloud)
                  for cloud, pair in result.items()
                  for n in [ipaddress.ip_network(pair[OPS_POOLS.index(pool_name)])]]
        low = min(r[0] for r in ranges)
        for key, prefix in estate.allocation.prefixes.get(pool_name, {}).items():
            net = ipaddress.ip_network(prefix)
            first, last = int(net.network_address), int(net.broadcast_address)
            if last < low:
                continue
            for start, end, cloud in ranges:
                if first <= end and start <= last:
                    raise BadInput(
                        f"IPAM pool {pool_name}: {key} holds {prefix}, inside the ops network "
                        f"of cloud {cloud} (the pool's last blocks serve the clouds' ops "
                        f"networks): widen pool {pool_name} in province.yaml")
    return result


def cloud_args(estate: Estate, cloud: Cloud, ops: tuple[str, str]) -> CloudArgs:
    """The `CloudArgs` of one estate cloud."""
    v4, v6 = (estate.ipam.pools[p] for p in TENANT_POOLS)
    c = cloud.capacity
    return CloudArgs(
        name=cloud.name, kind=cloud.kind,
        capacity=Quotas(c.vcpu, c.ram_gb, c.volume_gb, c.floating_ips),
        subnet_pool_v4=(v4.prefix,), subnet_pool_v6=(v6.prefix,),
        subnet_pool_v4_length=v4.length, subnet_pool_v6_length=v6.length,
        ops_ipv4_cidr=ops[0], ops_ipv6_cidr=ops[1])


def home_site(estate: Estate, cloud: Cloud) -> str:
    """Where a cloud's tenants run: its first primary site, else its first site."""
    return next((s for s in cloud.sites if estate.sites[s].role == "primary"), cloud.sites[0])


def _candidate_clouds(estate: Estate, own: str) -> list[Cloud]:
    """The tenant's own cloud, then the provincial cloud(s), then the others, estate order."""
    clouds = list(estate.clouds.values())
    return sorted(clouds, key=lambda c: (c.name != own, c.kind != "provincial"))


def copy_site(estate: Estate, tenant: Tenant, role: str) -> tuple[str, str] | None:
    """(cloud, site) of a tenant's copy with this role, or None when no cloud has such a site."""
    home_cloud = estate.clouds[tenant.cloud]
    home = home_site(estate, home_cloud)
    home_city = estate.sites[home].city
    for cloud in _candidate_clouds(estate, tenant.cloud):
        for site_role in SITE_ROLES[role]:
            for name in cloud.sites:
                site = estate.sites[name]
                if site.role != site_role or name == home:
                    continue
                if role == "same-city" and home_city and site.city and site.city != home_city:
                    continue
                return cloud.name, name
    return None


def networks(estate: Estate, tenant: Tenant) -> tuple[NetworkArgs, ...]:
    """A tenant's dual-stack networks with their IPAM prefixes (None if not allocated)."""
    return tuple(
        NetworkArgs(name=n.name,
                    ipv4_cidr=estate.prefix("tenant-v4", f"{tenant.name}/{n.name}"),
                    ipv6_cidr=estate.prefix("tenant-v6", f"{tenant.name}/{n.name}"),
                    public_ports=tuple(n.public_ports))
        for n in tenant.networks)


def tenant_args(estate: Estate, tenant: Tenant) -> TenantArgs:
    """The `TenantArgs` of one estate tenant, DR copies placed by its DR level."""
    nets = networks(estate, tenant)
    replicas = []
    for role in required_roles(tenant.dr_level):
        where = copy_site(estate, tenant, role)
        if where is not None:
            replicas.append(ReplicaArgs(role=role, cloud=where[0], networks=nets,  # type: ignore[arg-type]
                                        availability_zone=where[1]))
    q = tenant.quotas
    return TenantArgs(
        department=tenant.department, system=tenant.system, cloud=tenant.cloud,
        mlps=tenant.mlps, dr_level=tenant.dr_level,
        quotas=Quotas(q.vcpu, q.ram_gb, q.volume_gb, q.floating_ips), networks=nets,
        dns_domain=f"{tenant.system}.{tenant.department}.{estate.network.domain}",
        replicas=tuple(replicas), name=tenant.name)


def estate_args(estate: Estate) -> tuple[tuple[CloudArgs, ...], tuple[TenantArgs, ...]]:
    """Every cloud and every tenant of the estate as component arguments, estate order."""
    ops = ops_networks(estate)
    clouds = tuple(cloud_args(estate, c, ops[c.name]) for c in estate.clouds.values())
    tenants = tuple(tenant_args(estate, t) for t in estate.tenants.values())
    return clouds, tenants


def stack_specs(estate: Estate, only: Iterable[str] | None = None) -> dict[str, StackSpec]:
    """Cloud name → the `StackSpec` of its stack (every cloud unless `only` names some)."""
    clouds, tenants = estate_args(estate)
    wanted = set(only) if only is not None else None
    return {c.name: StackSpec(cloud=c.name, clouds=clouds, tenants=tenants)
            for c in clouds if wanted is None or c.name in wanted}
