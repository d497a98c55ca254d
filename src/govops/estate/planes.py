"""Routing planes: which the estate has, which routers and links carry them, and the checks.

An estate declares its planes (`planes:`), or has the two it always had: the default plane
`extranet`, plus `isolated` when a node or link names it. Every router carries the default
plane (its global routing table). A node's `planes:` are the planes it attaches to (a LAN in
each); the routers above it carry those planes up to the province core, over every uplink,
as one logical link per plane (VRF-lite, ADR 0021). A link carries every plane both ends
carry, unless its declaration narrows that (`planes: [...]`); eBGP links only the default
plane. Leaks between planes exist only where a plane declares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from govops.estate.devices import device_model
from govops.estate.errors import Problem, did_you_mean
from govops.estate.model import DEFAULT_PLANE, ISOLATED_PLANE, Leak, Node, PlaneDecl

if TYPE_CHECKING:
    from govops.estate.estate import Link
    from govops.estate.loader import Located

#: The first plane id handed out (then 300, 400, …): VLAN, OSPF process and RD suffix.
FIRST_ID = 200
ID_STEP = 100
#: Pool roles a plane may own, and the estate pool a role shares when the plane has none.
SHARED_POOLS = {"p2p-v4": "p2p-v4", "p2p-v6": "p2p-v6",
                "loopback-v4": "loopback-v4", "loopback-v6": "loopback-v6"}
LAN_ROLES = ("lan-v4", "lan-v6")
#: The pools the implicit isolated plane takes its LANs from (kept for the existing locks).
ISOLATED_POOLS = {"lan-v4": "isolated-v4", "lan-v6": "isolated-v6"}


@dataclass(frozen=True)
class PlaneSpec:
    """A plane, resolved: every default filled in."""

    name: str
    default: bool
    #: Routing instance (VPN instance / VRF) name; "" for the default plane (global table).
    instance: str
    #: dot1q VLAN, OSPF/OSPFv3 process and RD suffix; 0 for the default plane.
    id: int
    mlps: int
    purpose: str = ""
    display_name: str = ""
    #: Role → pool name, for every role the plane uses (LAN roles only when it has LANs).
    pools: tuple[tuple[str, str], ...] = ()
    #: Pools that belong to this plane alone (not shared with the estate's underlay).
    own_pools: tuple[str, ...] = ()
    filter: bool = True
    leaks: tuple[Leak, ...] = ()
    declared: bool = True

    def pool(self, role: str) -> str | None:
        """The pool serving `role` (None: the plane has none, e.g. no LAN pool)."""
        return dict(self.pools).get(role)

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return {"name": self.name, "display_name": self.display_name, "default": self.default,
                "instance": self.instance, "id": self.id, "mlps": self.mlps,
                "purpose": self.purpose, "pools": dict(self.pools), "filter": self.filter,
                "leaks": [leak.model_dump() for leak in self.leaks],
                "declared": self.declared}


def _implicit(nodes: dict[str, Located], decls: list[Located]) -> list[PlaneDecl]:
    """The planes of an estate that declares none: extranet, and isolated where named."""
    planes = [PlaneDecl(name=DEFAULT_PLANE, default=True, mlps=2,
                        purpose="the e-government extranet (global routing table)")]
    named = any(ISOLATED_PLANE in n.obj.planes for n in nodes.values()) or any(
        ISOLATED_PLANE in (d.obj.only or ()) for d in decls)
    if named:
        planes.append(PlaneDecl(name=ISOLATED_PLANE, mlps=3, id=FIRST_ID,
                                pools=dict(ISOLATED_POOLS),
                                purpose="strongly isolated plane for sensitive non-classified "
                                        "systems (Guangdong 001 §6.3)"))
    return planes


def resolve(declared: dict[str, Located], nodes: dict[str, Located], decls: list[Located],
            pools: set[str], standard: set[str], problems: list[Problem]) -> dict[str, PlaneSpec]:
    """The estate's planes, checked (each problem located at the plane's declaration)."""
    located = dict(declared)
    decls_list = [item.obj for item in declared.values()] or _implicit(nodes, decls)
    defaults = [p for p in decls_list if p.default]
    if declared and not defaults:
        first = next(iter(declared.values()))
        problems.append(first.problem(
            "planes: no default plane: mark the base plane (the global routing table, the "
            "internet egress) with default: true", "name"))
    for extra in defaults[1:]:
        problems.append(located[extra.name].problem(
            f'plane "{extra.name}": a second default plane (first is "{defaults[0].name}"): '
            "keep default: true on one plane", "default"))
    specs: dict[str, PlaneSpec] = {}
    used_ids: dict[int, str] = {}
    instances: dict[str, str] = {}
    owners: dict[str, str] = {}
    next_id = FIRST_ID
    for plane in decls_list:
        where = located.get(plane.name)

        def report(message: str, *path: object, _where=where, _name=plane.name) -> None:
            if _where is not None:
                problems.append(_where.problem(f'plane "{_name}": {message}', *path))

        if not 1 <= plane.mlps <= 5:
            report(f"MLPS level {plane.mlps} is out of range: use 1 to 5", "mlps")
        if plane.default:
            if plane.instance or plane.id or plane.pools:
                report("the default plane is the global routing table: it takes no instance, "
                       "id or pools (remove them)", "default")
            specs[plane.name] = PlaneSpec(plane.name, True, "", 0, plane.mlps, plane.purpose,
                                          plane.display_name, filter=plane.policy.filter,
                                          leaks=tuple(plane.leaks), declared=where is not None)
            continue
        pid = plane.id
        if pid is None:
            while next_id in used_ids:
                next_id += ID_STEP
            pid = next_id
            next_id += ID_STEP
        if pid in used_ids:
            report(f"id {pid} is already plane \"{used_ids[pid]}\"'s: give each plane its own "
                   "id (it is the VLAN, OSPF process and RD of the plane)", "id")
        used_ids[pid] = plane.name
        instance = plane.instance or plane.name
        if instance in instances:
            report(f'routing instance "{instance}" is already plane "{instances[instance]}"\'s: '
                   "name another", "instance")
        instances[instance] = plane.name
        roles: dict[str, str] = {}
        own: list[str] = []
        for role, pool in plane.pools.items():
            if pool not in pools:
                report(f'pool "{pool}" ({role}) is not in ipam.pools'
                       f"{did_you_mean(pool, pools)}: add it there or fix the name",
                       "pools", role)
                roles[role] = pool  # named: its nodes' LANs are not a second problem
                continue
            if pool not in standard:
                if pool in owners and owners[pool] != plane.name:
                    report(f'pool "{pool}" is already plane "{owners[pool]}"\'s: give each plane '
                           "its own pools (or leave the role out to share the estate's)",
                           "pools", role)
                owners[pool] = plane.name
                own.append(pool)
            roles[role] = pool
        for role, pool in SHARED_POOLS.items():
            roles.setdefault(role, pool)
        specs[plane.name] = PlaneSpec(
            plane.name, False, instance, pid, plane.mlps, plane.purpose, plane.display_name,
            pools=tuple(sorted(roles.items())), own_pools=tuple(dict.fromkeys(own)),
            filter=plane.policy.filter, leaks=tuple(plane.leaks), declared=where is not None)
    return specs


def default_plane(planes: dict[str, PlaneSpec]) -> str:
    """The name of the default plane."""
    return next((p.name for p in planes.values() if p.default), DEFAULT_PLANE)


def check_names(planes: dict[str, PlaneSpec], nodes: dict[str, Located], decls: list[Located],
                problems: list[Problem]) -> None:
    """Every plane a node or link names exists (with a did-you-mean); a node that attaches to
    a plane can get a LAN there."""
    for item in nodes.values():
        node = item.obj
        for i, name in enumerate(node.planes):
            if name not in planes:
                problems.append(item.problem(
                    f'{node.level} "{node.name}": unknown plane "{name}"'
                    f"{did_you_mean(name, planes)}: use one of {', '.join(planes)}",
                    "planes", i))
                continue
            spec = planes[name]
            if not spec.default and not all(spec.pool(r) for r in LAN_ROLES):
                problems.append(item.problem(
                    f'{node.level} "{node.name}": attaches to plane "{name}", which has no LAN '
                    f"pools: give the plane pools: {{lan-v4: POOL, lan-v6: POOL}}", "planes", i))
    for item in decls:
        decl = item.obj
        field = "plane" if decl.plane is not None else "planes"
        for i, name in enumerate(decl.only or ()):
            if name not in planes:
                path = (field,) if decl.plane is not None else (field, i)
                problems.append(item.problem(
                    f'link {decl.a}~{decl.b}: unknown plane "{name}"'
                    f"{did_you_mean(name, planes)}: use one of {', '.join(planes)}", *path))


_DEPTH = {"town": 4, "county": 3, "city": 2, "dc": 1, "egress": 1}


def carried(planes: dict[str, PlaneSpec], nodes: dict[str, Located]) -> dict[str, tuple[str, ...]]:
    """Node → the planes it carries, default first, then in declaration order: its own, and
    every plane of a node below it (through its uplinks, up to the province core)."""
    default = default_plane(planes)
    sets: dict[str, set[str]] = {name: {default} | {p for p in item.obj.planes if p in planes}
                                 for name, item in nodes.items()}
    order = sorted(nodes, key=lambda n: -_DEPTH.get(nodes[n].obj.level, 0))
    for name in order:
        for uplink in nodes[name].obj.uplinks:
            if uplink.to in sets and uplink.to != name:
                sets[uplink.to] |= sets[name]
    rank = {p: i for i, p in enumerate(planes)}
    return {name: tuple(sorted(s, key=lambda p: (p != default, rank.get(p, 0))))
            for name, s in sets.items()}


def link_planes(links: list[Link], carry: dict[str, tuple[str, ...]],
                decls: dict[str, Located], default: str, problems: list[Problem]
                ) -> dict[str, tuple[str, ...]]:
    """Link id → the planes it carries; a declared plane an end does not carry is an error."""
    out: dict[str, tuple[str, ...]] = {}
    for link in links:
        if link.kind == "ebgp":
            out[link.id] = (default,)
            continue
        both = tuple(p for p in carry[link.a] if p in carry[link.b])
        item = decls.get(link.id)
        only = item.obj.only if item is not None else None
        if only is None:
            out[link.id] = both
            continue
        known = {p for c in carry.values() for p in c}
        for name in only:
            if name not in both and name in known:  # an unknown name: check_names says so
                ends = [e for e in (link.a, link.b) if name not in carry[e]]
                problems.append(item.problem(
                    f'link {link.id}: plane "{name}" is not carried by {" and ".join(ends)}: '
                    f"attach a node below to it, or remove it from the link",
                    "plane" if item.obj.plane is not None else "planes"))
        out[link.id] = tuple(p for p in both if p in only)
    return out


def check_leaks(planes: dict[str, PlaneSpec], declared: dict[str, Located],
                carry: dict[str, tuple[str, ...]], problems: list[Problem],
                nodes: dict[str, Located] | None = None) -> None:
    """A leak names a known router that carries both planes, and another plane; the router
    can leak (H3C Comware 5 has no `route-replicate`, the only way govops leaks on Comware)."""
    for spec in planes.values():
        where = declared.get(spec.name)
        if where is None:
            continue
        for i, leak in enumerate(spec.leaks):
            label = f'plane "{spec.name}": leak {i + 1}'
            if spec.default:
                problems.append(where.problem(
                    f"{label}: the default plane declares no leaks: declare it on the plane that "
                    "needs to reach the prefix (its `to` is this plane)", "leaks", i))
                continue
            if leak.to not in planes or leak.to == spec.name:
                others = [p for p in planes if p != spec.name]
                problems.append(where.problem(
                    f'{label}: "{leak.to}" is not another plane{did_you_mean(leak.to, others)}: '
                    f"use one of {', '.join(others)}", "leaks", i, "to"))
                continue
            if leak.at not in carry:
                problems.append(where.problem(
                    f'{label}: unknown node "{leak.at}"{did_you_mean(leak.at, carry)}',
                    "leaks", i, "at"))
                continue
            if not spec.own_pools:
                problems.append(where.problem(
                    f"{label}: the plane has no pools of its own, so the router cannot route the "
                    "answers back through the leak alone: give the plane its own LAN pools "
                    "(pools: {lan-v4: POOL, lan-v6: POOL})", "leaks", i))
            cannot = _cannot_leak(nodes[leak.at].obj) if nodes and leak.at in nodes else None
            if cannot:
                problems.append(where.problem(f'{label}: "{leak.at}" {cannot}', "leaks", i, "at"))
            missing = [p for p in (spec.name, leak.to) if p not in carry[leak.at]]
            if missing:
                problems.append(where.problem(
                    f'{label}: "{leak.at}" does not carry plane {" or ".join(missing)}: leak at '
                    "a router that carries both (the province core carries every plane a town "
                    "attaches to)", "leaks", i, "at"))


def _cannot_leak(node: Node) -> str | None:
    """Why `node` cannot carry a leak between planes (with the fix), None when it can."""
    try:
        model = device_model(node.platform, node.model)
    except KeyError:
        return None  # no model table (FRR, IOS), or an unknown model (reported on the node)
    if model.flavour != "comware5":
        return None
    return (f"is an {model.name} on H3C Comware 5, which cannot leak between VPN instances "
            "(`route-replicate` is Comware 7's): declare the leak at a router on Comware 7 or "
            f"VRP, or give \"{node.name}\" a Comware 7 model")

