"""Cross-checks of the estate: names resolve, levels fit, dual homing, DR distance, capacity.

Every check appends located Problems; none stops the others, so a user sees all at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from govops.estate import planes as plane_rules
from govops.estate.devices import model_table
from govops.estate.errors import Problem, did_you_mean
from govops.estate.estate import Estate, Link
from govops.estate.geo import distance_km
from govops.estate.ipam import POOLS as STANDARD_POOLS
from govops.estate.ipam import Allocation
from govops.estate.model import UPSTREAM_LEVEL, Node, Site, Tenant
from govops.estate.policy import Policy

if TYPE_CHECKING:
    from govops.estate.loader import Collected, Located

QUOTA_FIELDS = ("vcpu", "ram_gb", "volume_gb", "floating_ips")
MLPS_RANGE = range(1, 6)


def _unique(items: list[Located], key, kind: str, problems: list[Problem]) -> dict[str, Located]:
    seen: dict[str, Located] = {}
    for item in items:
        name = key(item.obj)
        if name in seen:
            first = seen[name]
            problems.append(item.problem(
                f'duplicate {kind} "{name}" (first at {first.source.path}:'
                f"{first.source.line_of(first.path)}): rename one", "name"))
            continue
        seen[name] = item
    return seen


def check_sites(sites: dict[str, Located], policy: Policy, min_km: float,
                problems: list[Problem]) -> None:
    """A remote-DR site must be at least `min_km` from every primary and same-city site."""
    anchors = [s.obj for s in sites.values() if s.obj.role in ("primary", "same-city")]
    for located in sites.values():
        site: Site = located.obj
        if site.role != "remote-dr":
            continue
        for anchor in anchors:
            km = distance_km(site.lat, site.lon, anchor.lat, anchor.lon)
            if km < min_km:
                problems.append(located.problem(
                    f'site "{site.name}": remote-DR site is {km:.0f} km from {anchor.role} site '
                    f'"{anchor.name}"; policy needs at least {min_km:.0f} km: move it farther '
                    f"(lat/lon) or change remote_dr_min_km", "lat"))


def check_clouds(clouds: dict[str, Located], sites: dict[str, Located], root: Path,
                 problems: list[Problem]) -> None:
    """Exactly one provincial cloud; every cloud's sites exist."""
    provincial = [c for c in clouds.values() if c.obj.kind == "provincial"]
    if not provincial:
        where = next(iter(clouds.values()), None)
        message = ("no provincial cloud: the 1+N+M model needs exactly one cloud with "
                   "kind: provincial")
        problems.append(where.problem(message, "kind") if where else
                        Problem(str(root / "clouds.yaml"), 1, message))
    for extra in provincial[1:]:
        problems.append(extra.problem(
            f'cloud "{extra.obj.name}": a second provincial cloud (first is '
            f'"{provincial[0].obj.name}"): the 1+N+M model has exactly one; make it industry '
            "or regional", "kind"))
    for located in clouds.values():
        for i, site in enumerate(located.obj.sites):
            if site not in sites:
                problems.append(located.problem(
                    f'cloud "{located.obj.name}": unknown site "{site}"'
                    f"{did_you_mean(site, sites)}: use a site from sites", "sites", i))


def check_tenants(tenants: dict[str, Located], clouds: dict[str, Located], policy: Policy,
                  problems: list[Problem]) -> None:
    """Tenants name a known cloud, valid levels, and fit their cloud's capacity."""
    used: dict[str, Counter] = {name: Counter() for name in clouds}
    for located in tenants.values():
        tenant: Tenant = located.obj
        label = f'tenant "{tenant.name}"'
        if tenant.mlps not in MLPS_RANGE:
            problems.append(located.problem(
                f"{label}: MLPS level {tenant.mlps} is out of range: use 1 to 5", "mlps"))
        if tenant.dr_level not in policy.dr_levels:
            levels = ", ".join(str(k) for k in policy.dr_levels)
            problems.append(located.problem(
                f"{label}: DR level {tenant.dr_level} is out of range: use one of {levels} "
                "(policy/dr-levels.yaml)", "dr_level"))
        names = Counter(n.name for n in tenant.networks)
        for i, net in enumerate(tenant.networks):
            if names[net.name] > 1:
                problems.append(located.problem(
                    f'{label}: network "{net.name}" is listed twice: rename one', "networks", i))
            for port in net.public_ports:
                if not 1 <= port <= 65535:
                    problems.append(located.problem(
                        f'{label}: network "{net.name}": port {port} is not 1-65535',
                        "networks", i, "public_ports"))
        cloud = clouds.get(tenant.cloud)
        if cloud is None:
            problems.append(located.problem(
                f'{label}: unknown cloud "{tenant.cloud}"{did_you_mean(tenant.cloud, clouds)}: '
                "use a cloud from clouds", "cloud"))
            continue
        capacity = cloud.obj.capacity
        for quota in QUOTA_FIELDS:
            asked, has = getattr(tenant.quotas, quota), getattr(capacity, quota)
            used[tenant.cloud][quota] += asked
            if asked > has:
                problems.append(located.problem(
                    f'{label}: quota {quota}={asked} is above cloud "{cloud.obj.name}" capacity '
                    f"{has}: lower the quota or raise the capacity", "quotas", quota))
    for name, located in clouds.items():
        capacity = located.obj.capacity
        for quota in QUOTA_FIELDS:
            total, has = used[name][quota], getattr(capacity, quota)
            if has < total and not any(
                getattr(t.obj.quotas, quota) > has for t in tenants.values()
                if t.obj.cloud == name
            ):
                problems.append(located.problem(
                    f'cloud "{name}": tenants\' {quota} quotas add up to {total}, above the '
                    f"capacity {has}: raise capacity.{quota} or move tenants to another cloud",
                    "capacity", quota))


def check_hosts(hosts: dict[str, Located], sites: dict[str, Located],
                tenants: dict[str, Located], problems: list[Problem]) -> None:
    """Hosts stand on a known site, serve known tenants, and have an MLPS level 1–5."""
    for located in hosts.values():
        host = located.obj
        label = f'host "{host.name}"'
        if host.site not in sites:
            problems.append(located.problem(
                f'{label}: unknown site "{host.site}"{did_you_mean(host.site, sites)}', "site"))
        for i, name in enumerate(host.tenants):
            if name not in tenants:
                problems.append(located.problem(
                    f'{label}: unknown tenant "{name}"{did_you_mean(name, tenants)}',
                    "tenants", i))
        if host.mlps is not None and host.mlps not in MLPS_RANGE:
            problems.append(located.problem(
                f"{label}: MLPS level {host.mlps} is out of range: use 1 to 5", "mlps"))
        if host.mlps is None and not host.tenants:
            problems.append(located.problem(
                f"{label}: no MLPS level: set mlps: 1-5 or list the tenants it serves"))


def model_problem(node: Node) -> str | None:
    """Why `node.model` is not a model of its platform, with the fix; None when it is."""
    try:
        known = sorted(model_table(node.platform).models)
    except KeyError:
        return f"{node.platform} has no device models: remove model"
    if node.model in known:
        return None
    hint = did_you_mean(node.model.upper(), known) or did_you_mean(node.model, known)
    return (f'unknown {node.platform} model "{node.model}"{hint}: '
            f"use one of {', '.join(known)}, or leave model out for the default")


def _needs(node: Node) -> list[str]:
    return {"city": ["city"], "county": ["city", "county"], "town": ["city", "county"],
            "dc": ["site"]}.get(node.level, [])


def check_nodes(nodes: dict[str, Located], sites: dict[str, Located], problems: list[Problem]
                ) -> None:
    """Node attributes per level; uplinks exist, point one level up, and are dual-homed."""
    for located in nodes.values():
        node: Node = located.obj
        label = f'{node.level} "{node.name}"'
        for attr in _needs(node):
            if not getattr(node, attr):
                problems.append(located.problem(f"{label}: needs {attr}: add {attr}: NAME"))
        if node.site and node.site not in sites:
            problems.append(located.problem(
                f'{label}: unknown site "{node.site}"{did_you_mean(node.site, sites)}', "site"))
        if node.model is not None:
            problem = model_problem(node)
            if problem:
                problems.append(located.problem(f"{label}: {problem}", "model"))
        if node.level == "carrier" and node.asn is None:
            problems.append(located.problem(f"{label}: a carrier needs its asn: add asn: NUMBER"))
        upstream = UPSTREAM_LEVEL.get(node.level)
        if upstream is None:
            if node.uplinks:
                problems.append(located.problem(
                    f"{label}: a {node.level} node has no uplinks; remove them (use links: for "
                    "peer links)", "uplinks"))
            continue
        targets: list[str] = []
        for i, uplink in enumerate(node.uplinks):
            target = nodes.get(uplink.to)
            if uplink.to == node.name:
                problems.append(located.problem(f"{label}: uplink to itself: remove it",
                                                "uplinks", i))
                continue
            if target is None:
                problems.append(located.problem(
                    f'{label}: uplink to unknown node "{uplink.to}"'
                    f"{did_you_mean(uplink.to, nodes)}: fix the name or add the node",
                    "uplinks", i))
                continue
            peer: Node = target.obj
            if peer.level != upstream:
                problems.append(located.problem(
                    f'{label}: uplink to {peer.level} "{peer.name}"; a {node.level} uplinks to '
                    f"{upstream} nodes", "uplinks", i))
            elif node.level == "town" and peer.county != node.county:
                problems.append(located.problem(
                    f'{label}: uplink to "{peer.name}" of county "{peer.county}", but the town '
                    f'is in county "{node.county}": uplink within the county', "uplinks", i))
            elif node.level == "county" and peer.city != node.city:
                problems.append(located.problem(
                    f'{label}: uplink to "{peer.name}" of city "{peer.city}", but the county is '
                    f'in city "{node.city}": uplink within the city', "uplinks", i))
            if uplink.to in targets:
                problems.append(located.problem(
                    f'{label}: uplink to "{uplink.to}" is listed twice: dual homing needs two '
                    "distinct upstream devices", "uplinks", i))
            targets.append(uplink.to)
        if len({u.to for u in node.uplinks}) < 2 and not node.single_homed:
            problems.append(located.problem(
                f"{label}: not dual-homed ({len(node.uplinks)} uplink"
                f"{'' if len(node.uplinks) == 1 else 's'}): add a second uplink to another "
                f"{upstream} node, or state why with single_homed: REASON",
                "uplinks" if node.uplinks else "name"))
        if node.single_homed is not None and not node.single_homed.strip():
            problems.append(located.problem(
                f"{label}: single_homed needs a reason (text), not an empty value", "single_homed"))


def default_bandwidth(level: str, policy: Policy, overrides: dict[str, int], peer: bool) -> int:
    """Bandwidth of a link by the level of its lower end: estate override, then policy."""
    if level in overrides:
        return overrides[level]
    if peer and level in policy.peer_mbps:
        return policy.peer_mbps[level]
    return policy.uplink_mbps.get(level, 0)


def build_links(nodes: dict[str, Located], decls: list[Located], policy: Policy,
                overrides: dict[str, int], problems: list[Problem]) -> list[Link]:
    """Links from uplinks and from `links:` declarations, with bandwidths resolved."""
    from govops.estate.model import bandwidth_mbps

    links: list[Link] = []
    seen: dict[frozenset, Located] = {}
    for located in nodes.values():
        node: Node = located.obj
        for i, uplink in enumerate(node.uplinks):
            if uplink.to not in nodes or uplink.to == node.name:
                continue
            mbps = (bandwidth_mbps(uplink.bandwidth) if uplink.bandwidth
                    else default_bandwidth(node.level, policy, overrides, peer=False))
            if not mbps:
                problems.append(located.problem(
                    f'{node.level} "{node.name}": no default bandwidth for level {node.level} in '
                    "policy/bandwidth.yaml: add it or set bandwidth on the uplink", "uplinks", i))
            pair = frozenset((node.name, uplink.to))
            seen.setdefault(pair, located)
            links.append(Link(f"{uplink.to}~{node.name}", uplink.to, node.name, "uplink", mbps,
                              bfd_interval_ms=uplink.bfd.interval_ms if uplink.bfd else None,
                              bfd_multiplier=uplink.bfd.multiplier if uplink.bfd else None))
    for located in decls:
        decl = located.obj
        ok = True
        for end in ("a", "b"):
            name = getattr(decl, end)
            if name not in nodes:
                problems.append(located.problem(
                    f'link {decl.a}~{decl.b}: unknown node "{name}"{did_you_mean(name, nodes)}',
                    end))
                ok = False
        if not ok:
            continue
        if decl.a == decl.b:
            problems.append(located.problem(f"link {decl.a}~{decl.b}: a link needs two nodes"))
            continue
        pair = frozenset((decl.a, decl.b))
        if pair in seen:
            first = seen[pair]
            problems.append(located.problem(
                f"link {decl.a}~{decl.b}: these nodes are already linked (at {first.source.path}:"
                f"{first.source.line_of(first.path)}): remove the duplicate"))
            continue
        seen[pair] = located
        a_node, b_node = nodes[decl.a].obj, nodes[decl.b].obj
        if decl.kind == "ebgp" and "carrier" not in (a_node.level, b_node.level):
            problems.append(located.problem(
                f"link {decl.a}~{decl.b}: kind ebgp needs a carrier node at one end", "kind"))
        lower = max((a_node, b_node), key=lambda n: _DEPTH[n.level])
        mbps = (bandwidth_mbps(decl.bandwidth) if decl.bandwidth
                else default_bandwidth(lower.level, policy, overrides, peer=True))
        only = decl.only
        links.append(Link(f"{decl.a}~{decl.b}", decl.a, decl.b, decl.kind, mbps,
                          only=tuple(only) if only is not None else None))
    return links


_DEPTH = {"province": 0, "egress": 1, "dc": 1, "carrier": 1, "city": 2, "county": 3, "town": 4}


def build_checked(root: Path, collected: Collected, policy: Policy, problems: list[Problem]
                  ) -> Estate | None:
    """Run every cross-check; return the Estate (without allocations) when the model is sound."""
    from govops.estate.model import bandwidth_mbps

    lists = collected.lists
    sites = _unique(lists["sites"], lambda o: o.name, "site", problems)
    clouds = _unique(lists["clouds"], lambda o: o.name, "cloud", problems)
    tenants = _unique(lists["tenants"], lambda o: o.name, "tenant", problems)
    nodes = _unique(lists["nodes"], lambda o: o.name, "node", problems)
    hosts = _unique(lists["hosts"], lambda o: o.name, "host", problems)
    province = collected.singletons["province"].obj
    min_km = province.remote_dr_min_km if province.remote_dr_min_km is not None else (
        policy.remote_dr_min_km)
    for level in province.bandwidth:
        if level not in _DEPTH:
            problems.append(collected.singletons["province"].problem(
                f'bandwidth override for unknown level "{level}"'
                f"{did_you_mean(level, _DEPTH)}", "bandwidth", level))
    overrides = {k: bandwidth_mbps(v) for k, v in province.bandwidth.items()}
    check_sites(sites, policy, min_km, problems)
    check_clouds(clouds, sites, root, problems)
    check_tenants(tenants, clouds, policy, problems)
    check_nodes(nodes, sites, problems)
    check_hosts(hosts, sites, tenants, problems)
    links = build_links(nodes, lists["links"], policy, overrides, problems)
    planes = _unique(lists["planes"], lambda o: o.name, "plane", problems)
    resolved = plane_rules.resolve(planes, nodes, lists["links"],
                                   set(collected.singletons["ipam"].obj.pools),
                                   set(STANDARD_POOLS), problems)
    plane_rules.check_names(resolved, nodes, lists["links"], problems)
    carry = plane_rules.carried(resolved, nodes)
    plane_rules.check_leaks(resolved, planes, carry, problems, nodes)
    decls = {f"{d.obj.a}~{d.obj.b}": d for d in lists["links"]}
    per_link = plane_rules.link_planes(links, carry, decls, plane_rules.default_plane(resolved),
                                       problems)
    links = [replace(link, planes=per_link[link.id]) for link in links]
    if problems:
        return None
    return Estate(
        directory=str(root),
        province=province,
        network=collected.singletons["network"].obj,
        ipam=collected.singletons["ipam"].obj,
        sites={k: v.obj for k, v in sites.items()},
        clouds={k: v.obj for k, v in clouds.items()},
        tenants={k: v.obj for k, v in tenants.items()},
        nodes={k: v.obj for k, v in nodes.items()},
        hosts={k: v.obj for k, v in hosts.items()},
        links=links,
        policy=policy,
        allocation=Allocation(),
        lock_path=str(root / "ipam.lock.yaml"),
        planes=resolved,
        carried=carry,
    )

