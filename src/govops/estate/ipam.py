"""Deterministic address allocation, pinned in `ipam.lock.yaml`.

Every request is a (pool, key) pair: a node's loopback, a link's point-to-point prefix, a
county's LAN, a tenant network's subnet. A key already in the lock keeps its prefix forever;
a new key takes the lowest free block of its pool. Keys no longer requested stay reserved
("stale") until `estate lock --prune`. The same holds for interface (port) numbers per node and
OSPF area numbers per city, which the lock pins too so adding a town renumbers nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Pool name → what it serves. Every estate's `ipam.pools` must define all of them.
POOLS: dict[str, str] = {
    "loopback-v4": "router loopbacks (/32)",
    "loopback-v6": "router loopbacks (/128)",
    "mgmt-v4": "management point-to-point (/31)",
    "mgmt-v6": "management point-to-point (/127)",
    "p2p-v4": "links (/31)",
    "p2p-v6": "links (/127)",
    "lan-county-v4": "county LANs",
    "lan-county-v6": "county LANs",
    "lan-town-v4": "town LANs",
    "lan-town-v6": "town LANs",
    "host-v4": "data-centre host management (/32)",
    "host-v6": "data-centre host management (/128)",
    "tenant-v4": "tenant subnets",
    "tenant-v6": "tenant subnets",
}


#: Pools an estate may define without a plane naming them: the isolated plane's LANs, which an
#: estate without `planes:` takes them from.
LEGACY_POOLS: dict[str, str] = {
    "isolated-v4": "isolated-plane LANs",
    "isolated-v6": "isolated-plane LANs",
}


class IpamIssue(Exception):
    """A pool problem (bad prefix, exhaustion, overlap); `pool` names it."""

    def __init__(self, pool: str, message: str, key: str | None = None):
        super().__init__(message)
        self.pool = pool
        self.key = key


@dataclass(frozen=True)
class PoolPlan:
    """A pool as integers: `capacity` blocks of `2**(bits-length)` addresses from `base`."""

    name: str
    version: int
    base: int
    prefixlen: int
    length: int

    @classmethod
    def parse(cls, name: str, prefix: str, length: int) -> PoolPlan:
        """Build from the YAML values; IpamIssue when the prefix or length is wrong."""
        try:
            net = ipaddress.ip_network(prefix)
        except ValueError as exc:
            raise IpamIssue(name, f'pool "{name}": {exc}: write it as ADDRESS/LENGTH') from exc
        if not net.prefixlen <= length <= net.max_prefixlen:
            raise IpamIssue(
                name,
                f'pool "{name}": block length /{length} must lie between /{net.prefixlen} '
                f"and /{net.max_prefixlen}",
            )
        return cls(name, net.version, int(net.network_address), net.prefixlen, length)

    @property
    def bits(self) -> int:
        """Address width: 32 or 128."""
        return 32 if self.version == 4 else 128

    @property
    def step(self) -> int:
        """Addresses per block."""
        return 1 << (self.bits - self.length)

    @property
    def capacity(self) -> int:
        """Blocks in the pool."""
        return 1 << (self.length - self.prefixlen)

    @property
    def first_index(self) -> int:
        """Host-sized pools skip the all-zero address; others start at block 0."""
        return 1 if self.length == self.bits else 0

    @property
    def usable(self) -> int:
        """Blocks that can be handed out."""
        return self.capacity - self.first_index

    @property
    def last(self) -> int:
        """Last address of the pool."""
        return self.base + (1 << (self.bits - self.prefixlen)) - 1

    def prefix_at(self, index: int) -> str:
        """The block at `index` as text."""
        address = ipaddress.ip_address(self.base + index * self.step) if self.version == 4 else (
            ipaddress.IPv6Address(self.base + index * self.step)
        )
        return f"{address}/{self.length}"

    def index_of(self, prefix: str) -> int:
        """Block index of `prefix`; ValueError when it is not a block of this pool."""
        address, _, length = str(prefix).partition("/")
        if length != str(self.length):
            raise ValueError(f"{prefix} is not a /{self.length}")
        try:  # inet_pton, not ipaddress: a province's lock holds some 20,000 entries
            packed = socket.inet_pton(socket.AF_INET6 if self.version == 6 else socket.AF_INET,
                                      address)
        except OSError:
            ipaddress.ip_address(address)  # a malformed address: ipaddress says why
            raise ValueError(f"{prefix} lies outside the pool") from None  # the other family
        offset = int.from_bytes(packed, "big") - self.base
        if not 0 <= offset <= (self.last - self.base):
            raise ValueError(f"{prefix} lies outside the pool")
        if offset % self.step:
            raise ValueError(f"{prefix} is not aligned to a /{self.length} block")
        return offset // self.step

    def describe(self) -> str:
        """'2001:db8::/64 in /128 blocks'."""
        net = ipaddress.ip_network((self.base, self.prefixlen))
        return f"{net} in /{self.length} blocks"


def check_pools(plans: Iterable[PoolPlan], aggregates: dict[int, str]) -> list[IpamIssue]:
    """Pools must sit inside the aggregate of their family and must not overlap each other."""
    issues: list[IpamIssue] = []
    plans = list(plans)
    for plan in plans:
        aggregate = ipaddress.ip_network(aggregates[plan.version])
        start, end = int(aggregate.network_address), int(aggregate.broadcast_address)
        if not (start <= plan.base and plan.last <= end):
            issues.append(
                IpamIssue(
                    plan.name,
                    f'pool "{plan.name}" ({plan.describe()}) lies outside the province '
                    f"aggregate {aggregate}: move it inside",
                )
            )
    ordered = sorted(plans, key=lambda p: (p.version, p.base))
    for left, right in zip(ordered, ordered[1:], strict=False):
        if left.version == right.version and right.base <= left.last:
            issues.append(
                IpamIssue(
                    right.name,
                    f'pool "{right.name}" ({right.describe()}) overlaps pool "{left.name}" '
                    f"({left.describe()}): give each pool its own prefix",
                )
            )
    return issues


@dataclass
class Allocation:
    """Result of allocating every request against the lock."""

    prefixes: dict[str, dict[str, str]] = field(default_factory=dict)
    ports: dict[str, dict[str, int]] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    new: dict[str, int] = field(default_factory=dict)
    stale: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when the lock file would change (new or pruned entries)."""
        return any(self.new.values()) or any(self.stale.values())


def _lowest_free(used: set[int], start: int):
    index = start
    while True:
        while index in used:
            index += 1
        yield index
        index += 1


def allocate_prefixes(
    plan: PoolPlan, keys: list[str], locked: dict[str, str], prune: bool
) -> tuple[dict[str, str], int, list[str], list[IpamIssue]]:
    """Allocate `keys` from one pool keeping `locked`; returns (result, new, stale, issues)."""
    issues: list[IpamIssue] = []
    holder: dict[int, str] = {}
    for key, prefix in locked.items():
        try:
            index = plan.index_of(prefix)
        except ValueError as exc:
            issues.append(
                IpamIssue(plan.name, f'lock: pool "{plan.name}" entry "{key}": {exc}: '
                          "delete the entry and run estate lock", key)
            )
            continue
        if index in holder:
            issues.append(
                IpamIssue(plan.name, f'lock: pool "{plan.name}": "{key}" and "{holder[index]}" '
                          f"overlap on {prefix}: delete one entry and run estate lock", key)
            )
        holder[index] = key
    wanted = set(keys)
    stale = [k for k in locked if k not in wanted]
    result = {k: v for k, v in locked.items() if k in wanted or not prune}
    if prune:
        for key in stale:
            holder = {i: k for i, k in holder.items() if k != key}
    missing = [k for k in keys if k not in locked]
    if missing:
        free = _lowest_free(set(holder), plan.first_index)
        for key in missing:
            index = next(free)
            if index >= plan.capacity:
                left = plan.usable - len(holder) - (missing.index(key))
                issues.append(
                    IpamIssue(
                        plan.name,
                        f'pool "{plan.name}" ({plan.describe()}) is exhausted: '
                        f"{len(missing) - max(left, 0)} more blocks needed than are free "
                        f"({plan.usable} in all): widen the pool",
                    )
                )
                break
            result[key] = plan.prefix_at(index)
    return result, len(missing), stale, issues


def allocate_indexes(
    keys: list[str], locked: dict[str, int], start: int, prune: bool
) -> tuple[dict[str, int], int, list[str]]:
    """Pin small integers (ports, areas) to keys the same way prefixes are pinned."""
    wanted = set(keys)
    stale = [k for k in locked if k not in wanted]
    result = {k: int(v) for k, v in locked.items() if k in wanted or not prune}
    missing = [k for k in keys if k not in locked]
    if missing:
        free = _lowest_free(set(result.values()), start)
        for key in missing:
            result[key] = next(free)
    return result, len(missing), stale
