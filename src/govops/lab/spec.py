"""The plain description of a router lab: routers, links, and where the lab keeps its state.

The spec is data only; `govops.lab.routers.build` turns it into network namespaces, veth pairs,
FRR daemons and sshd. `validate` reports every problem at once before anything is touched.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govops.lab.errors import LabError

#: The only IPv4 range lab traffic may use (RFC 2544 benchmarking).
LAB_IPV4 = ipaddress.ip_network("198.18.0.0/15")
#: The only IPv6 range lab traffic may use (RFC 3849 documentation).
LAB_IPV6 = ipaddress.ip_network("2001:db8::/32")

IFNAME_MAX = 15
#: Interface names the lab itself uses inside every router namespace.
RESERVED_IFNAMES = frozenset({"lo", "mgmt0"})
_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
#: A plane instance of a router (ADR 0021): `router@plane`.
_INSTANCE_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?@[a-z0-9]([a-z0-9_-]{0,30}[a-z0-9])?$")
_NETNS_RE = re.compile(r"^[a-z0-9][a-z0-9@_.-]{0,99}$")
#: FRR's daemons, the ones a router runs unless its spec names fewer (govops.lab.frr).
ALL_DAEMONS: tuple[str, ...] = ("zebra", "staticd", "bfdd", "ospfd", "ospf6d", "bgpd")
_IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")


@dataclass(frozen=True)
class RouterSpec:
    name: str  # router hostname == estate node name (e.g. "town-th-1"), or "router@plane"
    mgmt_ipv4: str  # router side of its management /31, with prefix, e.g. "198.18.32.1/31"
    mgmt_host_ipv4: str  # host (root-namespace) side of that /31, e.g. "198.18.32.0/31"
    #: Its network namespace; "" = `name`. A lab beside another one names its own (a prefix).
    netns: str = ""
    #: The FRR daemons it runs; () = all of them (a plane instance: zebra, staticd, ospfd, ospf6d).
    daemons: tuple[str, ...] = ()

    @property
    def namespace(self) -> str:
        """The network namespace the router lives in."""
        return self.netns or self.name

    @property
    def frr_daemons(self) -> tuple[str, ...]:
        """The FRR daemons it runs, in start order."""
        return tuple(self.daemons) or ALL_DAEMONS

    @property
    def hostname(self) -> str:
        """Its UTS hostname: its name, `@` included for a plane instance (FRR shows the UTS
        hostname in `show running-config`, so it must be the config's `hostname`)."""
        return self.name


@dataclass(frozen=True)
class LinkSpec:
    a: str
    a_ifname: str  # router name and interface name in its namespace (<=15 chars, e.g. "eth3")
    b: str
    b_ifname: str
    bandwidth_mbps: int  # shape both ends with tbf/htb to this rate


@dataclass(frozen=True)
class LabSpec:
    routers: tuple[RouterSpec, ...]
    links: tuple[LinkSpec, ...]
    state_dir: Path  # everything the lab writes goes under here (e.g. /work/main/.lab)
    #: Login user for sshd/vtysh; "" derives one from `state_dir` ("govlab-" + 6 hex digits),
    #: so two labs with different state directories never share (or delete) each other's user.
    login_user: str = ""


def validate(spec: LabSpec) -> None:
    """Raise `LabError` listing every problem in `spec` (names, interfaces, addresses)."""
    problems: list[str] = []
    names: set[str] = set()
    seen_ips: dict[ipaddress.IPv4Address, str] = {}
    if not spec.routers:
        problems.append("lab has no routers: add at least one RouterSpec")
    namespaces: dict[str, str] = {}
    for r in spec.routers:
        if not (_NAME_RE.match(r.name) or _INSTANCE_RE.match(r.name)):
            problems.append(
                f"router {r.name!r}: name must be lower-case letters, digits and '-' "
                "(a valid hostname and namespace name), or router@plane for a plane instance"
            )
        if r.name in names:
            problems.append(f"router {r.name!r}: defined twice")
        names.add(r.name)
        if r.netns and not _NETNS_RE.match(r.netns):
            problems.append(f"router {r.name!r}: namespace {r.netns!r} must be lower-case "
                            "letters, digits, '@', '_', '.', '-' (at most 100)")
        if r.namespace in namespaces:
            problems.append(f"router {r.name!r}: namespace {r.namespace!r} is router "
                            f"{namespaces[r.namespace]!r}'s too")
        namespaces.setdefault(r.namespace, r.name)
        unknown = [d for d in r.daemons if d not in ALL_DAEMONS]
        if unknown or (r.daemons and "zebra" not in r.daemons):
            problems.append(f"router {r.name!r}: daemons must be FRR's "
                            f"({', '.join(ALL_DAEMONS)}) and include zebra")
        router_if = _mgmt_iface(r.name, "mgmt_ipv4", r.mgmt_ipv4, problems)
        host_if = _mgmt_iface(r.name, "mgmt_host_ipv4", r.mgmt_host_ipv4, problems)
        if router_if is None or host_if is None:
            continue
        if router_if.network != host_if.network or router_if.ip == host_if.ip:
            problems.append(
                f"router {r.name!r}: mgmt_ipv4 {r.mgmt_ipv4} and mgmt_host_ipv4 "
                f"{r.mgmt_host_ipv4} must be the two addresses of one /31"
            )
        for ip in (router_if.ip, host_if.ip):
            if ip in seen_ips:
                problems.append(
                    f"router {r.name!r}: management address {ip} already used by "
                    f"router {seen_ips[ip]!r}"
                )
            seen_ips[ip] = r.name
    ends: set[tuple[str, str]] = set()
    for i, link in enumerate(spec.links):
        where = f"link {i} ({link.a}:{link.a_ifname} - {link.b}:{link.b_ifname})"
        if link.a == link.b:
            problems.append(f"{where}: both ends on the same router")
        for router, ifname in ((link.a, link.a_ifname), (link.b, link.b_ifname)):
            if router not in names:
                problems.append(f"{where}: unknown router {router!r}")
            if not _IFNAME_RE.match(ifname):
                problems.append(
                    f"{where}: interface name {ifname!r} must be 1-{IFNAME_MAX} characters "
                    "of letters, digits, '_', '.', '-'"
                )
            if ifname in RESERVED_IFNAMES:
                problems.append(f"{where}: interface name {ifname!r} is reserved by the lab")
            if (router, ifname) in ends:
                problems.append(f"{where}: interface {router}:{ifname} used by two links")
            ends.add((router, ifname))
        if not isinstance(link.bandwidth_mbps, int) or not 1 <= link.bandwidth_mbps <= 100_000:
            problems.append(f"{where}: bandwidth_mbps must be an integer from 1 to 100000")
    if spec.login_user and not _USER_RE.match(spec.login_user):
        problems.append(
            f"login_user {spec.login_user!r}: must be a valid user name "
            "(lower-case letters, digits, '_', '-'; at most 31 characters)"
        )
    if problems:
        raise LabError("invalid lab spec: " + "; ".join(problems))


def _mgmt_iface(
    router: str, field: str, value: str, problems: list[str]
) -> ipaddress.IPv4Interface | None:
    try:
        iface = ipaddress.IPv4Interface(value)
    except ValueError:
        problems.append(f"router {router!r}: {field} {value!r} is not an IPv4 address/prefix")
        return None
    if iface.network.prefixlen != 31:
        problems.append(f"router {router!r}: {field} {value} must be a /31")
    if iface.ip not in LAB_IPV4:
        problems.append(f"router {router!r}: {field} {value} must lie in {LAB_IPV4}")
    return iface


def spec_to_dict(spec: LabSpec) -> dict[str, Any]:
    """JSON-ready form of `spec` (stored in the state directory as `lab.json`)."""
    def router(r: RouterSpec) -> dict[str, Any]:
        # the optional fields only when set: a lab recorded before them reads the same
        data = {k: v for k, v in vars(r).items() if k not in ("netns", "daemons")}
        return data | ({"netns": r.netns} if r.netns else {}) | (
            {"daemons": list(r.daemons)} if r.daemons else {})

    return {
        "routers": [router(r) for r in spec.routers],
        "links": [vars(link).copy() for link in spec.links],
        "state_dir": str(spec.state_dir),
        "login_user": spec.login_user,
    }


def spec_from_dict(data: dict[str, Any]) -> LabSpec:
    """Inverse of `spec_to_dict`."""
    return LabSpec(
        routers=tuple(RouterSpec(**(r | {"daemons": tuple(r.get("daemons", ()))}))
                      for r in data["routers"]),
        links=tuple(LinkSpec(**link) for link in data["links"]),
        state_dir=Path(data["state_dir"]),
        login_user=data.get("login_user", ""),
    )
