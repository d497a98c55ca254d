"""What the estate asks of IPAM, and the allocation of it against the lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govops.estate.errors import Problem
from govops.estate.estate import Estate
from govops.estate.ipam import (
    POOLS,
    Allocation,
    IpamIssue,
    PoolPlan,
    allocate_indexes,
    allocate_prefixes,
    check_pools,
)
from govops.estate.lockfile import LockData

if TYPE_CHECKING:
    from govops.estate.loader import Collected

AREA_LEVELS = ("city", "county", "town")


def requests(estate: Estate) -> dict[str, list[str]]:
    """Pool → keys wanted, in estate order (which fixes who gets the lower blocks)."""
    wanted: dict[str, list[str]] = {pool: [] for pool in POOLS}
    counties: dict[str, None] = {}
    for node in estate.nodes.values():
        for family in ("v4", "v6"):
            wanted[f"loopback-{family}"].append(node.name)
            wanted[f"mgmt-{family}"].append(node.name)
            if node.level == "town":
                wanted[f"lan-town-{family}"].append(node.name)
            if "isolated" in node.planes:
                wanted[f"isolated-{family}"].append(node.name)
        if node.level == "county" and node.county:
            counties[node.county] = None
    for link in estate.links:
        wanted["p2p-v4"].append(link.id)
        wanted["p2p-v6"].append(link.id)
    for county in counties:
        wanted["lan-county-v4"].append(county)
        wanted["lan-county-v6"].append(county)
    for host in estate.hosts.values():
        wanted["host-v4"].append(host.name)
        wanted["host-v6"].append(host.name)
    for tenant in estate.tenants.values():
        for net in tenant.networks:
            wanted["tenant-v4"].append(f"{tenant.name}/{net.name}")
            wanted["tenant-v6"].append(f"{tenant.name}/{net.name}")
    return wanted


def cities(estate: Estate) -> list[str]:
    """Cities in estate order; each is one OSPF area."""
    seen: dict[str, None] = {}
    for node in estate.nodes.values():
        if node.level in AREA_LEVELS and node.city:
            seen[node.city] = None
    return list(seen)


def plan_pools(collected: Collected, problems: list[Problem]) -> dict[str, PoolPlan]:
    """The IPAM pools parsed and checked against the aggregates and each other (this needs the
    `ipam` and `province` sections only, so it also runs when cross-checks failed)."""
    ipam = collected.singletons["ipam"]
    province = collected.singletons["province"].obj
    found: list[Problem] = []
    plans: dict[str, PoolPlan] = {}
    for name in POOLS:
        pool = ipam.obj.pools.get(name)
        if pool is None:
            found.append(ipam.problem(
                f'ipam: pool "{name}" ({POOLS[name]}) is missing: add it under ipam.pools',
                "pools"))
            continue
        try:
            plans[name] = PoolPlan.parse(name, pool.prefix, pool.length)
        except IpamIssue as exc:
            found.append(ipam.problem(f"ipam: {exc}", "pools", name))
    for name in ipam.obj.pools:
        if name not in POOLS:
            found.append(ipam.problem(
                f'ipam: unknown pool "{name}": the pools are {", ".join(POOLS)}', "pools", name))
    if not found:
        for issue in check_pools(plans.values(), {4: province.ipv4_aggregate,
                                                   6: province.ipv6_aggregate}):
            found.append(ipam.problem(f"ipam: {issue}", "pools", issue.pool))
    problems.extend(found)
    return plans


def allocate(estate: Estate, lock: LockData, prune: bool, problems: list[Problem],
             collected: Collected) -> Allocation:
    """Allocate every request; IPAM problems are located at the pool or the lock entry."""
    ipam = collected.singletons["ipam"]
    plans = plan_pools(collected, problems)
    if problems:
        return Allocation()
    allocation = Allocation()
    for name, keys in requests(estate).items():
        locked = lock.prefixes.get(name, {})
        result, new, stale, issues = allocate_prefixes(plans[name], keys, locked, prune)
        for issue in issues:
            if issue.key is not None and lock.source is not None:
                problems.append(lock.source.problem(("prefixes", name, issue.key), str(issue)))
            else:
                problems.append(ipam.problem(f"ipam: {issue}", "pools", name))
        allocation.prefixes[name] = result
        allocation.new[name] = new
        allocation.stale[name] = stale if not prune else []
        if prune:
            allocation.new[name] += len(stale)  # pruning changes the lock too
    for node in estate.nodes.values():
        keys = [link.id for link in estate.links_by_node[node.name]]
        result, new, stale = allocate_indexes(keys, lock.ports.get(node.name, {}), 1, prune)
        allocation.ports[node.name] = result
        allocation.new["ports"] = allocation.new.get("ports", 0) + new
        allocation.stale.setdefault("ports", []).extend(
            f"{node.name}/{k}" for k in stale if not prune)
    gone = [name for name in lock.ports if name not in estate.nodes]
    for name in gone:
        if prune:
            allocation.new["ports"] = allocation.new.get("ports", 0) + 1
        else:
            allocation.ports[name] = dict(lock.ports[name])
            allocation.stale.setdefault("ports", []).append(name)
    areas, new, stale = allocate_indexes(cities(estate), lock.areas, 1, prune)
    allocation.areas = areas
    allocation.new["areas"] = new
    allocation.stale["areas"] = stale if not prune else []
    if prune and stale:
        allocation.new["areas"] += len(stale)
    return allocation
