"""What the three-centre lab ("two sites, three centres") is made of: data only.

`govops.lab.datacentres.build` turns a `DcLabSpec` into network namespaces and PostgreSQL
clusters. Address scheme (all inside the benchmarking and documentation ranges):

| what                              | IPv4              | IPv6              |
|-----------------------------------|-------------------|-------------------|
| DC interconnect (one L2 segment)  | 198.19.250.0/24   | 2001:db8:dc::/64  |
| dc-a, the primary centre          | 198.19.250.1      | 2001:db8:dc::1    |
| dc-b, the same-city centre        | 198.19.250.2      | 2001:db8:dc::2    |
| dc-c, the remote DR centre        | 198.19.250.3      | 2001:db8:dc::3    |
| the root namespace (service, tests) | 198.19.250.254  | 2001:db8:dc::fe   |

198.19.250.0/24 sits in the upper half of 198.18.0.0/15, away from the router lab's ranges.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROLES = ("primary", "same-city", "remote-dr")
#: The helper namespace that holds the interconnect bridge.
CORE_NETNS = "dc-core"
#: libpq's limit on a Unix socket path (sun_path is 108 bytes with the NUL).
_SOCKET_PATH_MAX = 107
_NAME_RE = re.compile(r"^dc-[a-z0-9]+(-[a-z0-9]+)*$")
_V4_RANGE = ipaddress.ip_network("198.18.0.0/15")
_V6_RANGE = ipaddress.ip_network("2001:db8::/32")


@dataclass(frozen=True)
class CentreSpec:
    """One data centre: a network namespace with one PostgreSQL cluster."""

    name: str  # namespace name: "dc-a" | "dc-b" | "dc-c"
    site: str  # estate site name, e.g. "gz-main"
    role: str  # "primary" | "same-city" | "remote-dr"
    ipv4: str  # address/prefix on the DC interconnect, e.g. "198.19.250.1/24"
    ipv6: str  # address/prefix on the DC interconnect, e.g. "2001:db8:dc::1/64"

    @property
    def address(self) -> str:
        """The IPv4 address without its prefix length."""
        return str(ipaddress.ip_interface(self.ipv4).ip)

    @property
    def address6(self) -> str:
        """The IPv6 address without its prefix length."""
        return str(ipaddress.ip_interface(self.ipv6).ip)

    @property
    def app_name(self) -> str:
        """Name of this centre in PostgreSQL (application_name, slot, standby names)."""
        return self.name.replace("-", "_")


@dataclass(frozen=True)
class DcLabSpec:
    """The three-centre lab: exactly one primary, one same-city and one remote-dr centre."""

    centres: tuple[CentreSpec, ...]
    remote_delay_ms: float  # one-way delay on the path to the remote-dr centre
    state_dir: Path  # everything the lab writes goes under here, e.g. /work/main/.lab/dc
    client_ipv4: str = "198.19.250.254/24"  # the root namespace's address on the interconnect
    client_ipv6: str = "2001:db8:dc::fe/64"
    pg_port: int = 5432
    dbname: str = "govops"  # created on the primary by build()

    def centre(self, name: str) -> CentreSpec:
        """The centre called `name`; KeyError when there is none."""
        for c in self.centres:
            if c.name == name:
                return c
        raise KeyError(name)

    def by_role(self, role: str) -> CentreSpec:
        """The centre with `role` ("primary", "same-city" or "remote-dr")."""
        for c in self.centres:
            if c.role == role:
                return c
        raise KeyError(role)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.centres)

    def partner(self, name: str) -> str | None:
        """The synchronous partner of centre `name` when it holds the primary role.

        The primary and same-city centres protect each other synchronously; the remote-dr
        centre, when it is primary (regional disaster), has no synchronous partner.
        """
        pair = (self.by_role("primary").name, self.by_role("same-city").name)
        if name not in pair:
            return None
        return pair[1] if name == pair[0] else pair[0]


def default_spec(
    state_dir: Path,
    *,
    sites: tuple[str, str, str] = ("gz-main", "gz-samecity", "sg-dr"),
    remote_delay_ms: float = 2.5,
) -> DcLabSpec:
    """The standard lab: dc-a primary, dc-b same-city, dc-c remote DR, per the table above."""
    names = ("dc-a", "dc-b", "dc-c")
    return DcLabSpec(
        centres=tuple(
            CentreSpec(
                name=name,
                site=site,
                role=role,
                ipv4=f"198.19.250.{i}/24",
                ipv6=f"2001:db8:dc::{i}/64",
            )
            for i, (name, site, role) in enumerate(zip(names, sites, ROLES, strict=True), 1)
        ),
        remote_delay_ms=remote_delay_ms,
        state_dir=Path(state_dir),
    )


def validate_spec(spec: DcLabSpec) -> list[str]:
    """Every problem with `spec`, one line each (empty when it is fine)."""
    problems: list[str] = []
    roles = [c.role for c in spec.centres]
    for role in ROLES:
        if roles.count(role) != 1:
            problems.append(
                f"centres: need exactly one {role} centre, found {roles.count(role)}"
            )
    for role in roles:
        if role not in ROLES:
            problems.append(f"centres: unknown role {role!r}: use one of {', '.join(ROLES)}")
    names = [c.name for c in spec.centres]
    for name in sorted(set(names)):
        if names.count(name) > 1:
            problems.append(f"centre {name}: name used {names.count(name)} times")
    nets4: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = set()
    nets6: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = set()
    seen: dict[str, str] = {}
    ifaces = [(c.name, c.ipv4, c.ipv6) for c in spec.centres]
    ifaces.append(("client", spec.client_ipv4, spec.client_ipv6))
    for c in spec.centres:
        if not _NAME_RE.match(c.name) or len(c.name) > 15 or c.name == CORE_NETNS:
            problems.append(
                f"centre {c.name!r}: name must look like dc-<letters/digits>, at most 15 "
                f"characters, and not be {CORE_NETNS}"
            )
        if not c.site:
            problems.append(f"centre {c.name}: site is empty: give the estate site's name")
    for who, v4, v6 in ifaces:
        for text, family, rng, nets in ((v4, 4, _V4_RANGE, nets4), (v6, 6, _V6_RANGE, nets6)):
            try:
                iface = ipaddress.ip_interface(text)
            except ValueError:
                problems.append(f"{who}: {text!r} is not an IPv{family} address/prefix")
                continue
            if iface.version != family or "/" not in text:
                problems.append(f"{who}: {text!r} must be an IPv{family} address with /prefix")
                continue
            if not iface.network.subnet_of(rng):  # type: ignore[arg-type]
                problems.append(f"{who}: {text} is outside the lab range {rng}")
            if iface.ip in (iface.network.network_address, iface.network.broadcast_address):
                problems.append(f"{who}: {text} is the subnet's network or broadcast address")
            nets.add(iface.network)
            if str(iface.ip) in seen:
                problems.append(f"{who}: {iface.ip} is also used by {seen[str(iface.ip)]}")
            seen[str(iface.ip)] = who
    if len(nets4) > 1 or len(nets6) > 1:
        problems.append(
            "addresses: all centres and the client must share one IPv4 and one IPv6 subnet "
            "(the interconnect is one segment)"
        )
    if not 0 <= spec.remote_delay_ms <= 1000:
        problems.append(f"remote_delay_ms: {spec.remote_delay_ms} must be between 0 and 1000")
    if not 1024 <= spec.pg_port <= 65535:
        problems.append(f"pg_port: {spec.pg_port} must be between 1024 and 65535")
    if not re.match(r"^[a-z_][a-z0-9_]*$", spec.dbname):
        problems.append(f"dbname: {spec.dbname!r} must be a plain lower-case identifier")
    state_dir = Path(spec.state_dir)
    if not state_dir.is_absolute():
        problems.append(f"state_dir {state_dir}: must be an absolute path")
    longest = max((len(n) for n in names), default=4)
    sock = len(str(state_dir)) + len(f"/{'x' * longest}/run/.s.PGSQL.{spec.pg_port}")
    if sock > _SOCKET_PATH_MAX:
        problems.append(
            f"state_dir {state_dir}: too long for PostgreSQL's Unix sockets ({sock} > "
            f"{_SOCKET_PATH_MAX} characters): choose a shorter path"
        )
    return problems


def spec_to_dict(spec: DcLabSpec) -> dict[str, Any]:
    """A JSON-ready form of `spec` (stored as spec.json in the state directory)."""
    return {
        "centres": [
            {"name": c.name, "site": c.site, "role": c.role, "ipv4": c.ipv4, "ipv6": c.ipv6}
            for c in spec.centres
        ],
        "remote_delay_ms": spec.remote_delay_ms,
        "state_dir": str(spec.state_dir),
        "client_ipv4": spec.client_ipv4,
        "client_ipv6": spec.client_ipv6,
        "pg_port": spec.pg_port,
        "dbname": spec.dbname,
    }


def spec_from_dict(data: dict[str, Any]) -> DcLabSpec:
    """The inverse of `spec_to_dict`."""
    return DcLabSpec(
        centres=tuple(CentreSpec(**c) for c in data["centres"]),
        remote_delay_ms=float(data["remote_delay_ms"]),
        state_dir=Path(data["state_dir"]),
        client_ipv4=data["client_ipv4"],
        client_ipv6=data["client_ipv6"],
        pg_port=int(data["pg_port"]),
        dbname=data["dbname"],
    )


def spec_to_json(spec: DcLabSpec) -> str:
    return json.dumps(spec_to_dict(spec), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
