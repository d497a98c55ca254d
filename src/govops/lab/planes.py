"""A router lab of an estate with its planes as real separate routing (ADR 0021).

Every router of the estate is built as `govops.lab.routers` builds the full lab, and each
non-default plane it carries is one more lab router, `<router>@<plane>`: its own network
namespace, FRR instance (zebra, staticd, ospfd, ospf6d: no BGP, no BFD), management veth and
sshd, so `govops net push --planes` reaches it as it reaches any FRR box (through the
address book, `GOVOPS_NET_ADDRESSES`). Per physical link that carries a plane, the plane's
instances at both ends get a veth of their own, each end named like the router's port for
that link (link N is `ethN` in every plane). A declared leak is a veth between the router's
two planes (`leak<id>`, `leak0` towards the default plane), and the side it leaks into gets
an nftables guard: out of the leak veth go only packets from the declared prefixes. FRR has
no packet filter; on VRP/Comware ACL 3900 does this job.

The lab may sit beside the full lab: it takes its namespaces' names with a prefix and its
management /31s from a pool of its own, so nothing it makes has a name or address of the
full lab's. Example::

    lab = plane_lab_spec(estate, Path("/tmp/planes"), netns_prefix="gvp-",
                         mgmt_pool="198.19.248.0/24")
    build(lab, configs=render_all(estate) | render_planes(estate))
    ...  # GOVOPS_NET_ADDRESSES=/tmp/planes/addresses.json govops net push --planes
    routers.teardown(lab.spec.state_dir)
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from govops.estate.estate import Estate
from govops.estate.views import NodeView, node_views
from govops.lab import netns, routers
from govops.lab.errors import LabError
from govops.lab.spec import LAB_IPV4, LabSpec, LinkSpec, RouterSpec

#: What a plane instance runs: no BGP (a plane is one IGP domain) and no BFD (the plane rides
#: the default plane's fibre, whose BFD watches it).
PLANE_DAEMONS: tuple[str, ...] = ("zebra", "staticd", "ospfd", "ospf6d")
#: A leak veth's rate: it is a link inside one box.
LEAK_MBPS = 10_000
#: Devices started at the same time: starting one is mostly waiting (daemons opening their vty
#: sockets, sshd), and a plane lab has half again as many devices as the full lab.
START_PARALLELISM = 6
#: The nftables table of the leak guards.
GUARD_TABLE = "govops_leak"


@dataclass(frozen=True)
class LeakGuard:
    """Out of `ifname` in `namespace` go only packets from `allowed` (both families)."""

    router: str
    namespace: str
    ifname: str
    allowed_v4: tuple[str, ...]
    allowed_v6: tuple[str, ...]

    def ruleset(self) -> str:
        """The nftables script: ND stays allowed (the veth's own addresses must resolve)."""
        q = f'"{self.ifname}"'
        lines = [f"table inet {GUARD_TABLE} {{", "  chain out {",
                 "    type filter hook postrouting priority 0; policy accept;",
                 f"    oifname {q} icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} "
                 "accept"]
        for family, allowed in (("ip", self.allowed_v4), ("ip6", self.allowed_v6)):
            match = f"{family} saddr != {{ {', '.join(allowed)} }} " if allowed else ""
            lines.append(f"    oifname {q} meta nfproto {'ipv4' if family == 'ip' else 'ipv6'} "
                         f"{match}counter drop")
        return "\n".join([*lines, "  }", "}"]) + "\n"


@dataclass(frozen=True)
class PlaneLab:
    """The spec of a plane lab, its leak guards, and where each device listens."""

    spec: LabSpec
    guards: tuple[LeakGuard, ...]
    #: device (router or `router@plane`) → namespace
    namespaces: Mapping[str, str]

    def addresses(self) -> dict[str, dict[str, object]]:
        """The address book (`{device: {host, port}}`) the product reads from
        GOVOPS_NET_ADDRESSES: every device at its management address in this lab."""
        return {r.name: {"host": str(ipaddress.IPv4Interface(r.mgmt_ipv4).ip), "port": 22}
                for r in self.spec.routers}


def _mgmt_pairs(pool: str, count: int) -> list[tuple[str, str]]:
    """`count` management /31s from `pool`: (router side, host side)."""
    net = ipaddress.ip_network(pool)
    if not net.subnet_of(LAB_IPV4):  # type: ignore[arg-type]
        raise LabError(f"management pool {pool} must lie in {LAB_IPV4}")
    pairs = list(net.subnets(new_prefix=31))
    if len(pairs) < count:
        raise LabError(f"management pool {pool} has {len(pairs)} /31s; the lab needs {count}")
    return [(f"{p.network_address + 1}/31", f"{p.network_address}/31") for p in pairs[:count]]


def plane_lab_spec(estate: Estate, state_dir: Path, *, netns_prefix: str,
                   mgmt_pool: str) -> PlaneLab:
    """The lab of an all-FRR estate with one FRR instance per non-default plane per router.

    Namespaces are `<prefix><router>` and `<prefix><router>@<plane>`; management /31s come
    from `mgmt_pool` in estate order (routers, then each router's instances)."""
    from govops.network.render import instance_name, plane_instances

    views = {v.name: v for v in node_views(estate)}
    others = sorted({v.platform for v in views.values() if v.platform != "frr"})
    if others:
        raise LabError(f"estate {estate.directory} has {', '.join(others)} nodes: the plane lab "
                       "runs FRR only")
    instances = plane_instances(estate)
    names = [*views, *(instance_name(r, p) for r, p in instances)]
    pairs = dict(zip(names, _mgmt_pairs(mgmt_pool, len(names)), strict=True))
    where = {n: f"{netns_prefix}{n}" for n in names}
    devices = [RouterSpec(name=n, mgmt_ipv4=pairs[n][0], mgmt_host_ipv4=pairs[n][1],
                          netns=where[n],
                          daemons=PLANE_DAEMONS if "@" in n else ())
               for n in names]
    links = [LinkSpec(a=link.a, a_ifname=_port(views[link.a], link.id), b=link.b,
                      b_ifname=_port(views[link.b], link.id), bandwidth_mbps=link.bandwidth_mbps)
             for link in estate.links]
    guards: list[LeakGuard] = []
    for router, plane in instances:
        name = instance_name(router, plane)
        pv = next(p for p in views[router].plane_views if p.name == plane)
        for i in pv.interfaces:  # each plane link once, from its lower end
            peer = instance_name(i.peer, plane)
            if peer in where and names.index(name) < names.index(peer):
                links.append(LinkSpec(a=name, a_ifname=i.name, b=peer,
                                      b_ifname=_plane_port(views[i.peer], plane, i.link),
                                      bandwidth_mbps=i.bandwidth_mbps))
        for leak in pv.leaks:
            if not leak.outbound:
                continue  # made once, from the plane that declares it
            other = router if leak.peer_id == 0 else instance_name(router, leak.peer_plane)
            back = f"leak{pv.id}"
            links.append(LinkSpec(a=name, a_ifname=f"leak{leak.peer_id}", b=other,
                                  b_ifname=back, bandwidth_mbps=LEAK_MBPS))
            guards.append(LeakGuard(other, where[other], back, leak.routes_v4, leak.routes_v6))
    spec = LabSpec(routers=tuple(devices), links=tuple(links), state_dir=state_dir)
    return PlaneLab(spec, tuple(guards), where)


def _port(view: NodeView, link: str) -> str:
    return next(i.name for i in view.interfaces if i.link == link)


def _plane_port(view: NodeView, plane: str, link: str) -> str:
    pv = next(p for p in view.plane_views if p.name == plane)
    return next(i.name for i in pv.interfaces if i.link == link)


def build(lab: PlaneLab, progress: routers.Progress | None = None,
          configs: Mapping[str, str] | None = None) -> routers.LabState:
    """Build the lab (`routers.build`), put up the leak guards and write the address book
    (`addresses.json` in the state directory). `configs`: each device's day-0 config."""
    state = routers.build(lab.spec, progress=progress, configs=configs,
                          parallelism=START_PARALLELISM)
    for guard in lab.guards:
        netns.run(["ip", "netns", "exec", guard.namespace, netns.tool("nft"), "-f", "-"],
                  input=guard.ruleset())
    (state.state_dir / "addresses.json").write_text(
        json.dumps(lab.addresses(), indent=2) + "\n")
    return state


def guard_drops(guard: LeakGuard) -> int:
    """Packets the guard has dropped so far (its counters)."""
    proc = netns.run(["ip", "netns", "exec", guard.namespace, netns.tool("nft"), "-j", "list",
                      "table", "inet", GUARD_TABLE])
    total = 0
    for item in json.loads(proc.stdout).get("nftables", []):
        for expr in (item.get("rule") or {}).get("expr", []):
            if "counter" in expr:
                total += int(expr["counter"].get("packets", 0))
    return total
