"""Guardrails: policy checks run on the component arguments before anything is planned.

Each rule has an id, a one-line statement and a check; a `Violation` names the rule, the
tenant and the fix in one message, e.g.::

    GR002 tenant hrss-social-security: DR level 4 needs a remote-DR placement;
    fix: add a replica with role remote-dr on a cloud with a remote DR site, or lower dr_level

`check(clouds, tenants)` returns every violation at once (tenants in the given order, rules
in id order); `enforce` raises `GuardrailError` (exit 1) when there is any. Security rules
are judged on exactly what the components will create (`govops.cloud.policy`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from govops.cloud import policy
from govops.cloud.args import REPLICA_ROLES, CloudArgs, NetworkArgs, Quotas, TenantArgs
from govops.errors import CheckFailed

MLPS_LEVELS = range(1, 6)
DR_LEVELS = range(1, 7)


@dataclass(frozen=True)
class Violation:
    """One broken rule: `message` is '<rule> tenant <tenant>: <problem>; fix: <fix>'."""

    rule: str
    tenant: str
    problem: str
    fix: str

    @property
    def message(self) -> str:
        return f"{self.rule} tenant {self.tenant}: {self.problem}; fix: {self.fix}"

    def __str__(self) -> str:
        return self.message


class GuardrailError(CheckFailed):
    """Guardrails failed: nothing is planned. Carries every violation, one per line."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        super().__init__("\n".join(v.message for v in self.violations))


@dataclass(frozen=True)
class Context:
    """What a check may look at besides the tenant: clouds by name, findings that need the
    whole list (capacity sums, first position of each name) and the tenant's position."""

    clouds: dict[str, CloudArgs]
    capacity: dict[str, list[Violation]]
    first_index: dict[str, int]
    position: int


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    check: Callable[[TenantArgs, Context], Iterator[Violation]]


def _v(rule: str, tenant: TenantArgs, problem: str, fix: str) -> Violation:
    return Violation(rule, tenant.name, problem, fix)


def _levels(t: TenantArgs, ctx: Context) -> Iterator[Violation]:
    if t.mlps is None:
        yield _v("GR001", t, "has no MLPS level", "set mlps to its MLPS (等保) level, 1-5")
    elif t.mlps not in MLPS_LEVELS:
        yield _v("GR001", t, f"MLPS level {t.mlps} is not 1-5",
                 "set mlps to its MLPS (等保) level, 1-5")
    if t.dr_level is None:
        yield _v("GR001", t, "has no DR level", "set dr_level to its GB/T 20988 level, 1-6")
    elif t.dr_level not in DR_LEVELS:
        yield _v("GR001", t, f"DR level {t.dr_level} is not 1-6",
                 "set dr_level to its GB/T 20988 level, 1-6")


def _remote_dr(t: TenantArgs, ctx: Context) -> Iterator[Violation]:
    if "remote-dr" in policy.required_roles(t.dr_level) and t.replica("remote-dr") is None:
        yield _v("GR002", t, f"DR level {t.dr_level} needs a remote-DR placement",
                 "add a replica with role remote-dr on a cloud with a remote DR site, "
                 f"or lower dr_level below {policy.REMOTE_DR_FROM}")


def _same_city(t: TenantArgs, ctx: Context) -> Iterator[Violation]:
    if "same-city" in policy.required_roles(t.dr_level) and t.replica("same-city") is None:
        yield _v("GR003", t, f"DR level {t.dr_level} needs a same-city placement as well",
                 "add a replica with role same-city (a second data centre in the same city), "
                 f"or lower dr_level below {policy.SAME_CITY_FROM}")


def _rule_text(spec: policy.RuleSpec) -> str:
    proto = spec.protocol or "any protocol"
    return f"{proto} port {spec.ports()}" if spec.protocol in ("tcp", "udp") else proto


def _world_ingress(t: TenantArgs, ctx: Context) -> Iterator[Violation]:
    if not policy.strict(t.mlps) or t.mlps is None:
        return
    clouds = ctx.clouds
    cloud = clouds.get(t.cloud)
    places: list[tuple[str, Sequence[NetworkArgs], str | None, str | None]] = [(
        "", t.networks, t.ops_ipv4_cidr or (cloud.ops_ipv4_cidr if cloud else None),
        t.ops_ipv6_cidr or (cloud.ops_ipv6_cidr if cloud else None))]
    for r in t.replicas:
        rc = clouds.get(r.cloud)
        places.append((f" on its {r.role} copy", r.networks,
                       r.ops_ipv4_cidr or (rc.ops_ipv4_cidr if rc else None),
                       r.ops_ipv6_cidr or (rc.ops_ipv6_cidr if rc else None)))
    seen: set[str] = set()
    for where, networks, ops4, ops6 in places:
        for spec in policy.security_rules(t.mlps, networks, ops4, ops6, t.management_ports,
                                          t.extra_ingress):
            if not spec.from_anywhere or policy.world_rule_allowed(spec, networks):
                continue
            target = f" of network {spec.network}" if spec.network else ""
            problem = (f"MLPS {t.mlps} forbids ingress from {spec.remote_ip_prefix} on "
                       f"{_rule_text(spec)}{target}{where} (not a declared public port)")
            if problem in seen:
                continue
            seen.add(problem)
            yield _v("GR004", t, problem,
                     "narrow the source to the ops network or a partner prefix, or declare "
                     "the port in public_ports of the network it serves")


def _dual_stack_problems(net: NetworkArgs) -> Iterator[str]:
    for version, cidr in ((4, net.ipv4_cidr), (6, net.ipv6_cidr)):
        if not cidr:
            yield f"network {net.name} has no IPv{version} prefix"
            continue
        try:
            parsed = ipaddress.ip_network(cidr)
        except ValueError:
            yield f"network {net.name} has an invalid IPv{version} prefix {cidr}"
            continue
        if parsed.version != version:
            yield f"network {net.name} has IPv{parsed.version} prefix {cidr} as its IPv{version}"
        elif version == 6 and parsed.prefixlen != policy.IPV6_PREFIX_LENGTH:
            yield (f"network {net.name} IPv6 prefix {cidr} is not a /"
                   f"{policy.IPV6_PREFIX_LENGTH} (SLAAC)")


def _dual_stack(t: TenantArgs, ctx: Context) -> Iterator[Violation]:
    fix = ("allocate both prefixes from the estate's IPAM (an IPv4 block and an IPv6 /64) "
           "and run estate lock")
    if not t.networks:
        yield _v("GR006", t, "has no network", "declare at least one network")
    for net in t.networks:
        for problem in _dual_stack_problems(net):
            yield _v("GR006", t, problem, fix)
    for r in t.replicas:
        for net in r.networks:
            for problem in _dual_stack_problems(net):
                yield _v("GR006", t, f"{r.role} copy {problem}", fix)


def _references(t: TenantArgs, ctx: Context) -> Iterator[Violation]:
    clouds = ctx.clouds
    known = ", ".join(sorted(clouds)) or "none"
    if t.cloud not in clouds:
        yield _v("GR007", t, f"cloud {t.cloud} does not exist",
                 f"use one of the clouds: {known}")
    roles: set[str] = set()
    for r in t.replicas:
        if r.role not in REPLICA_ROLES:
            yield _v("GR007", t, f"replica role {r.role} is unknown",
                     f"use {' or '.join(REPLICA_ROLES)}")
        elif r.role in roles:
            yield _v("GR007", t, f"has two {r.role} placements", "keep one per role")
        roles.add(r.role)
        if r.cloud not in clouds:
            yield _v("GR007", t, f"{r.role} copy on cloud {r.cloud}, which does not exist",
                     f"use one of the clouds: {known}")


def _capacity_of(t: TenantArgs, ctx: Context) -> Iterator[Violation]:
    yield from ctx.capacity.get(t.name, [])


def _unique(t: TenantArgs, ctx: Context) -> Iterator[Violation]:
    first = ctx.first_index[t.name]
    if first != ctx.position:
        yield _v("GR008", t, f"tenant number {ctx.position + 1} has the name of tenant "
                 f"number {first + 1}", "give one of them another system name")


RULES: tuple[Rule, ...] = (
    Rule("GR001", "every tenant has an MLPS level (1-5) and a DR level (1-6)", _levels),
    Rule("GR002", "DR level 4 and up needs a remote-DR placement", _remote_dr),
    Rule("GR003", "DR level 5 and up needs a same-city placement too", _same_city),
    Rule("GR004", "MLPS 3 and up: no ingress from 0.0.0.0/0 or ::/0 except declared public "
                  "ports", _world_ingress),
    Rule("GR005", "the quotas placed on a cloud fit its capacity", _capacity_of),
    Rule("GR006", "every network is dual-stack (IPv4 + IPv6 /64)", _dual_stack),
    Rule("GR007", "clouds and replica roles referenced exist, one placement per role",
         _references),
    Rule("GR008", "tenant names are unique", _unique),
)


def _capacity(clouds: dict[str, CloudArgs],
              tenants: Sequence[TenantArgs]) -> dict[str, list[Violation]]:
    """GR005 by tenant: the first tenant whose quota pushes a cloud over a dimension."""
    used = {name: Quotas(0, 0, 0, 0) for name in clouds}
    found: dict[str, list[Violation]] = {}
    reported: set[tuple[str, str]] = set()
    for t in tenants:
        demands = [(t.cloud, t.quotas, "")]
        demands += [(r.cloud, r.quotas or t.quotas, f" ({r.role} copy)") for r in t.replicas]
        for cloud_name, quotas, what in demands:
            cloud = clouds.get(cloud_name)
            if cloud is None:
                continue
            used[cloud_name] = after = used[cloud_name] + quotas
            for dim in Quotas.DIMENSIONS:
                total, cap = getattr(after, dim), getattr(cloud.capacity, dim)
                if total > cap and (cloud_name, dim) not in reported:
                    reported.add((cloud_name, dim))
                    found.setdefault(t.name, []).append(Violation(
                        "GR005", t.name,
                        f"its {dim} quota{what} brings cloud {cloud_name} to {total} {dim}, "
                        f"over its capacity of {cap}",
                        f"lower the quota by {total - cap} or more, place the tenant on "
                        f"another cloud, or raise the capacity of {cloud_name}"))
    return found


def check(clouds: Iterable[CloudArgs], tenants: Iterable[TenantArgs]) -> list[Violation]:
    """Every violation of every rule, tenants in the given order, rules in id order."""
    by_name = {c.name: c for c in clouds}
    tenants = list(tenants)
    capacity = _capacity(by_name, tenants)
    first_index: dict[str, int] = {}
    for i, t in enumerate(tenants):
        first_index.setdefault(t.name, i)
    out: list[Violation] = []
    for i, t in enumerate(tenants):
        ctx = Context(by_name, capacity if first_index[t.name] == i else {}, first_index, i)
        for rule in RULES:
            out.extend(rule.check(t, ctx))
    return out


def enforce(clouds: Iterable[CloudArgs], tenants: Iterable[TenantArgs]) -> None:
    """Raise `GuardrailError` with every violation, if there is any."""
    violations = check(clouds, tenants)
    if violations:
        raise GuardrailError(violations)
