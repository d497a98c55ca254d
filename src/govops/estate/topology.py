"""What the estate asks of IPAM, and the allocation of it against the lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govops.estate.errors import Problem, did_you_mean
from govops.estate.estate import Estate
from govops.estate.ipam import (
    LEGACY_POOLS,
    POOLS,
    Allocation,
    IpamIssue,
    PoolPlan,
    allocate_indexes,
    allocate_prefixes,
    check_pools,
)
from govops.estate.lockfile import LockData
from govops.estate.model import ISOLATED_PLANE

if TYPE_CHECKING:
    from govops.estate.loader import Collected

AREA_LEVELS = ("city", "county", "town")


def requests(estate: Estate) -> dict[str, list[str]]:
    """Pool → keys wanted, in estate order (which fixes who gets the lower blocks). The
    default plane's requests come first, then each other plane's, so adding a plane never
    moves an address the estate already had (`plane_requests`)."""
    wanted: dict[str, list[str]] = {pool: [] for pool in POOLS}
    for pool in estate.ipam.pools:
        wanted.setdefault(pool, [])
    counties: dict[str, None] = {}
    for node in estate.nodes.values():
        for family in ("v4", "v6"):
            wanted[f"loopback-{family}"].append(node.name)
            wanted[f"mgmt-{family}"].append(node.name)
            if node.level == "town":
                wanted[f"lan-town-{family}"].append(node.name)
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
    plane_requests(estate, wanted)
    return wanted


def plane_key(name: str, plane: str) -> str:
    """The IPAM key of a node's loopback or a link in a plane other than the default one."""
    return f"{name}@{plane}"


def leak_key(at: str, plane: str, to: str) -> str:
    """The IPAM key of the link a leak from `plane` to `to` uses at router `at`."""
    return f"{at}@{plane}~{to}"


def plane_requests(estate: Estate, wanted: dict[str, list[str]]) -> None:
    """Each non-default plane's keys: a LAN per attached node, a loopback per node carrying
    it, a link per link carrying it (VRF-lite: one logical link per plane), and a link per
    leak."""
    for spec in estate.planes.values():
        for leak in spec.leaks:
            for family in ("v4", "v6"):
                wanted[spec.pool(f"p2p-{family}") or f"p2p-{family}"].append(
                    leak_key(leak.at, spec.name, leak.to))
        if spec.default:
            continue
        for node in estate.nodes.values():
            if spec.name not in estate.carried.get(node.name, ()):
                continue
            for family in ("v4", "v6"):
                if spec.name in node.planes and spec.pool(f"lan-{family}"):
                    wanted[spec.pool(f"lan-{family}")].append(node.name)
                wanted[spec.pool(f"loopback-{family}")].append(plane_key(node.name, spec.name))
        for link in estate.links:
            if spec.name in link.planes:
                for family in ("v4", "v6"):
                    wanted[spec.pool(f"p2p-{family}")].append(plane_key(link.id, spec.name))


def cities(estate: Estate) -> list[str]:
    """Cities in estate order; each is one OSPF area."""
    seen: dict[str, None] = {}
    for node in estate.nodes.values():
        if node.level in AREA_LEVELS and node.city:
            seen[node.city] = None
    return list(seen)


def _plane_pools(collected: Collected) -> dict[str, str]:
    """Pools the planes use besides the standard ones: pool → what it serves. Without
    `planes:`, the implicit isolated plane's LAN pools when a node or link names it."""
    declared = collected.lists.get("planes") or []
    if declared:  # a pool a plane names but ipam lacks is the plane's problem (planes.resolve)
        pools = collected.singletons["ipam"].obj.pools
        return {pool: f'plane "{item.obj.name}" {role}' for item in declared
                for role, pool in item.obj.pools.items() if pool not in POOLS and pool in pools}
    named = any(ISOLATED_PLANE in item.obj.planes for item in collected.lists["nodes"]) or any(
        ISOLATED_PLANE in (item.obj.only or ()) for item in collected.lists["links"])
    return dict(LEGACY_POOLS) if named else {}


def plan_pools(collected: Collected, problems: list[Problem]) -> dict[str, PoolPlan]:
    """The IPAM pools parsed and checked against the aggregates and each other (this needs the
    `ipam`, `province` and `planes` sections only, so it also runs when cross-checks failed)."""
    ipam = collected.singletons["ipam"]
    province = collected.singletons["province"].obj
    found: list[Problem] = []
    plans: dict[str, PoolPlan] = {}
    required = {**POOLS, **_plane_pools(collected)}
    known = {**required, **LEGACY_POOLS}
    for name in required:
        if name not in ipam.obj.pools:
            found.append(ipam.problem(
                f'ipam: pool "{name}" ({required[name]}) is missing: add it under ipam.pools',
                "pools"))
    for name, pool in ipam.obj.pools.items():
        if name not in known:
            found.append(ipam.problem(
                f'ipam: unknown pool "{name}"{did_you_mean(name, known)}: the pools are '
                f'{", ".join(POOLS)}, and those a plane names in its pools', "pools", name))
            continue
        try:
            plans[name] = PoolPlan.parse(name, pool.prefix, pool.length)
        except IpamIssue as exc:
            found.append(ipam.problem(f"ipam: {exc}", "pools", name))
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
