"""Plain-data summaries of an estate, for `estate validate` and `estate show`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from govops.estate.estate import Estate
from govops.estate.ipam import POOLS, PoolPlan
from govops.estate.views import node_views
from govops.estate.waivers import waivers


def pool_usage(estate: Estate) -> dict[str, dict[str, Any]]:
    """Per pool: prefix, block length, blocks used and capacity."""
    usage = {}
    for name in [*(p for p in POOLS if p in estate.ipam.pools),
                 *(p for p in estate.ipam.pools if p not in POOLS)]:
        pool = estate.ipam.pools[name]
        plan = PoolPlan.parse(name, pool.prefix, pool.length)
        used = len(estate.allocation.prefixes.get(name, {}))
        usage[name] = {
            "prefix": pool.prefix,
            "length": pool.length,
            "used": used,
            "capacity": plan.usable,
            "percent": round(100 * used / plan.usable, 3) if plan.usable else 100.0,
        }
    return usage


def planes_summary(estate: Estate) -> dict[str, dict[str, Any]]:
    """Per plane: what it is, and how many routers and links carry it."""
    return {
        name: {"display_name": spec.display_name, "default": spec.default,
               "instance": spec.instance, "id": spec.id, "mlps": spec.mlps,
               "routers": sum(1 for c in estate.carried.values() if name in c),
               "links": sum(1 for link in estate.links if name in link.planes),
               "leaks": [f"{leak.at} → {leak.to} {', '.join(leak.prefixes)}"
                         for leak in spec.leaks]}
        for name, spec in estate.planes.items()
    }


def summary(estate: Estate) -> dict[str, Any]:
    """Counts a person checks first: sites, clouds, tenants, nodes per level, links, pools."""
    alloc = estate.allocation
    return {
        "estate": estate.directory,
        "province": estate.province.name,
        "province_display_name": estate.province.display_name,
        "sites": dict(Counter(s.role for s in estate.sites.values())),
        "clouds": dict(Counter(c.kind for c in estate.clouds.values())),
        "tenants": len(estate.tenants),
        "hosts": len(estate.hosts),
        "departments": len({t.department for t in estate.tenants.values()}),
        "nodes": estate.levels(),
        "links": len(estate.links),
        "planes": planes_summary(estate),
        "pools": pool_usage(estate),
        "lock": {
            "path": estate.lock_path,
            "unlocked": sum(alloc.new.values()),
            "stale": sum(len(v) for v in alloc.stale.values()),
        },
        "declared_empty": dict(estate.empty_sections),
        "exceptions": [w.to_dict() for w in waivers(estate)],
    }


def model(estate: Estate) -> dict[str, Any]:
    """The estate's sections as the model holds them: written to an estate file (JSON is
    YAML), they load back into the same model."""
    def dump(obj: Any) -> dict[str, Any]:
        return obj.model_dump(exclude_defaults=True)

    links = [{"a": link.a, "b": link.b, "kind": link.kind, "bandwidth": f"{link.bandwidth_mbps}M",
              **({"planes": list(link.only)} if link.only is not None else {})}
             for link in estate.links if link.kind != "uplink"]
    declared = [p for p in estate.planes.values() if p.declared]
    return {
        "province": dump(estate.province),
        "network": dump(estate.network),
        "ipam": estate.ipam.model_dump(),
        "sites": [dump(s) for s in estate.sites.values()],
        "clouds": [dump(c) for c in estate.clouds.values()],
        "tenants": [dump(t) for t in estate.tenants.values()],
        "nodes": [dump(n) for n in estate.nodes.values()],
        "links": links,
        "hosts": [dump(h) for h in estate.hosts.values()],
        **({"planes": [_plane_decl(p) for p in declared]} if declared else {}),
    }


def _plane_decl(spec: Any) -> dict[str, Any]:
    """A resolved plane written back as its declaration."""
    data: dict[str, Any] = {"name": spec.name, "mlps": spec.mlps}
    if spec.display_name:
        data["display_name"] = spec.display_name
    if spec.purpose:
        data["purpose"] = spec.purpose
    if spec.default:
        data["default"] = True
    else:
        data.update(instance=spec.instance, id=spec.id,
                    pools={r: p for r, p in spec.pools if p != r})
    if not spec.filter:
        data["policy"] = {"filter": False}
    if spec.leaks:
        data["leaks"] = [leak.model_dump() for leak in spec.leaks]
    return data


def full(estate: Estate) -> dict[str, Any]:
    """The whole validated model with every allocation, as plain data."""
    prefix = estate.prefix
    links = [
        {
            "id": link.id, "a": link.a, "b": link.b, "kind": link.kind,
            "bandwidth_mbps": link.bandwidth_mbps, "plane": link.plane,
            "planes": list(link.planes),
            "ipv4": prefix("p2p-v4", link.id), "ipv6": prefix("p2p-v6", link.id),
        }
        for link in estate.links
    ]
    tenants = []
    for tenant in estate.tenants.values():
        data = tenant.model_dump()
        objective = estate.dr_objective(tenant.dr_level)
        data["dr_objective"] = {"rto_s": objective.rto_s, "rpo_s": objective.rpo_s,
                                "name": objective.name}
        for net in data["networks"]:
            key = f"{tenant.name}/{net['name']}"
            net["ipv4"], net["ipv6"] = prefix("tenant-v4", key), prefix("tenant-v6", key)
        tenants.append(data)
    counties = {
        county: {"ipv4": prefix("lan-county-v4", county), "ipv6": prefix("lan-county-v6", county)}
        for county in estate.allocation.prefixes.get("lan-county-v4", {})
    }
    return {
        "directory": estate.directory,
        "province": estate.province.model_dump(),
        "network": estate.network.model_dump(),
        "policy": {
            "directory": estate.policy.directory,
            "standard": estate.policy.standard,
            "remote_dr_min_km": estate.policy.remote_dr_min_km,
            "dr_levels": {k: v.model_dump() for k, v in estate.policy.dr_levels.items()},
            "uplink_mbps": estate.policy.uplink_mbps,
        },
        "sites": [s.model_dump() for s in estate.sites.values()],
        "clouds": [c.model_dump() for c in estate.clouds.values()],
        "tenants": tenants,
        "nodes": [v.to_dict() for v in node_views(estate)],
        "hosts": [
            {**h.model_dump(), "mlps": estate.host_mlps(h.name),
             "mgmt_ipv4": prefix("host-v4", h.name), "mgmt_ipv6": prefix("host-v6", h.name)}
            for h in estate.hosts.values()
        ],
        "links": links,
        "planes": [p.to_dict() for p in estate.planes.values()],
        "counties": counties,
        "areas": estate.allocation.areas,
        "ipam": pool_usage(estate),
        "allocations": estate.allocation.prefixes,
        "declared_empty": dict(estate.empty_sections),
        "exceptions": [w.to_dict() for w in waivers(estate)],
        "model": model(estate),
    }
