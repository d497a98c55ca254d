"""Cloud policy as pure functions, shared by the components and the guardrails.

The components build resources from these functions and the guardrails judge the same
output, so what is checked is exactly what will be planned.

Security groups from the MLPS (等保) level — the decision, for every tenant network:

* Every level: the declared public ports of a network are open over TCP from 0.0.0.0/0 and
  ::/0 (group `<tenant>-sg-<network>-public`); management ports (`TenantArgs.management_ports`,
  default ssh 22 and node-exporter 9100) are open from the ops network only, IPv4 and IPv6;
  the tenant's own instances reach each other freely (remote group = the base group itself).
  Neutron's default egress rules (allow all, both families) stay.
* MLPS ≤ 2 ("broader"): ICMP echo and ICMPv6 from anywhere, and the tenant's extra ingress
  rules from any source are planned as asked.
* MLPS ≥ 3: ICMP and ICMPv6 from the ops network only, and no rule may admit 0.0.0.0/0 or ::/0
  except TCP/UDP on a declared public port (guardrail GR004 rejects the estate otherwise).
  A tenant without an MLPS level is treated as level 3+ here (and fails GR001 anyway).

IPv6: every tenant subnet uses SLAAC for both `ipv6_ra_mode` and `ipv6_address_mode`. SLAAC
works with every cloud image without a DHCPv6 client, and Neutron still knows each port's
address (EUI-64 from the port's MAC), so anti-spoofing and audit attribution hold. SLAAC
needs a /64 (guardrail GR006).

DR placement from the GB/T 20988 level: level ≥ 4 needs a remote-DR copy, level ≥ 5 a
same-city copy too. Replication is synchronous to the same-city copy at level 6 (RPO 0),
asynchronous otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from govops.cloud.args import IngressRule, NetworkArgs, TenantArgs

IPV6_RA_MODE = "slaac"
IPV6_ADDRESS_MODE = "slaac"
IPV6_PREFIX_LENGTH = 64

STRICT_MLPS = 3
"""From this MLPS level on, nothing but declared public ports is open to the world."""

REMOTE_DR_FROM = 4
SAME_CITY_FROM = 5
SYNC_SAME_CITY_FROM = 6

ANY_V4 = "0.0.0.0/0"
ANY_V6 = "::/0"


@dataclass(frozen=True)
class RuleSpec:
    """One ingress security-group rule, before it becomes a `networking.SecGroupRule`.

    `group` is the security group's key ("base" or "<network>-public"), `key` the rule's
    stable suffix: the resource is named `<prefix>-sg-<group>-<key>`. `remote_self` means
    "from members of this group" (remote_group_id); otherwise `remote_ip_prefix` is the source.
    `protocol` None means any protocol; ports None mean any port.
    """

    group: str
    key: str
    ethertype: str
    protocol: str | None
    port_min: int | None
    port_max: int | None
    remote_ip_prefix: str | None
    remote_self: bool = False
    description: str = ""
    extra: bool = False
    network: str | None = None

    @property
    def from_anywhere(self) -> bool:
        """True when the source is 0.0.0.0/0 or ::/0."""
        if self.remote_self or self.remote_ip_prefix is None:
            return False
        try:
            return ipaddress.ip_network(self.remote_ip_prefix, strict=False).prefixlen == 0
        except ValueError:
            return False

    def ports(self) -> str:
        """'443', '8000-8080' or 'any'."""
        if self.port_min is None:
            return "any"
        if self.port_max is None or self.port_max == self.port_min:
            return str(self.port_min)
        return f"{self.port_min}-{self.port_max}"


def strict(mlps: int | None) -> bool:
    """Whether the MLPS ≥ 3 rules apply (an unknown level counts as strict)."""
    return mlps is None or mlps >= STRICT_MLPS


def public_group(network: str) -> str:
    return f"{network}-public"


def _family(cidr: str) -> str:
    try:
        return "IPv6" if ipaddress.ip_network(cidr, strict=False).version == 6 else "IPv4"
    except ValueError:
        return "IPv6" if ":" in cidr else "IPv4"


def _cidr_key(cidr: str) -> str:
    """A URN-safe, readable rendering of a prefix: 'any-v4', '10.0.0.0_8', '2001.db8.._32'."""
    if cidr == ANY_V4:
        return "any-v4"
    if cidr == ANY_V6:
        return "any-v6"
    return cidr.replace(":", ".").replace("/", "_")


def extra_rule_spec(rule: IngressRule) -> RuleSpec:
    """The RuleSpec of a tenant's extra ingress rule."""
    group = public_group(rule.network) if rule.network else "base"
    port_max = rule.port_max if rule.port_max is not None else rule.port_min
    spec = RuleSpec(group=group, key="", ethertype=_family(rule.remote_cidr),
                    protocol=rule.protocol or None, port_min=rule.port_min, port_max=port_max,
                    remote_ip_prefix=rule.remote_cidr, description=rule.description or "extra",
                    extra=True, network=rule.network)
    key = f"extra-{rule.protocol or 'any'}-{spec.ports()}-{_cidr_key(rule.remote_cidr)}"
    return replace(spec, key=key)


def security_rules(
    mlps: int | None,
    networks: Sequence[NetworkArgs],
    ops_ipv4_cidr: str | None,
    ops_ipv6_cidr: str | None,
    management_ports: Iterable[int],
    extra_ingress: Iterable[IngressRule] = (),
) -> list[RuleSpec]:
    """Every ingress rule of a tenant (or a replica) at this MLPS level, in a stable order."""
    rules: list[RuleSpec] = []
    ops = [(fam, cidr) for fam, cidr in (("v4", ops_ipv4_cidr), ("v6", ops_ipv6_cidr)) if cidr]
    ethertype = {"v4": "IPv4", "v6": "IPv6"}
    for port in management_ports:
        for fam, cidr in ops:
            rules.append(RuleSpec("base", f"mgmt-{port}-{fam}", ethertype[fam], "tcp", port, port,
                                  cidr, description=f"management {port} from the ops network"))
    for fam in ("v4", "v6"):
        rules.append(RuleSpec("base", f"east-west-{fam}", ethertype[fam], None, None, None, None,
                              remote_self=True, description="between the tenant's own instances"))
    icmp = {"v4": "icmp", "v6": "ipv6-icmp"}
    if strict(mlps):
        icmp_sources = ops
        why = "ICMP from the ops network (MLPS 3+)"
    else:
        icmp_sources = [("v4", ANY_V4), ("v6", ANY_V6)]
        why = "ICMP from anywhere (MLPS 1-2)"
    for fam, cidr in icmp_sources:
        rules.append(RuleSpec("base", f"icmp-{fam}", ethertype[fam], icmp[fam], None, None, cidr,
                              description=why))
    for net in networks:
        for port in net.public_ports:
            for fam, cidr in (("v4", ANY_V4), ("v6", ANY_V6)):
                rules.append(RuleSpec(public_group(net.name), f"{port}-{fam}", ethertype[fam],
                                      "tcp", port, port, cidr,
                                      description=f"declared public port {port}",
                                      network=net.name))
    rules.extend(extra_rule_spec(r) for r in extra_ingress)
    return rules


def tenant_rules(tenant: TenantArgs) -> list[RuleSpec]:
    """The security rules of a tenant on its home cloud."""
    return security_rules(tenant.mlps, tenant.networks, tenant.ops_ipv4_cidr,
                          tenant.ops_ipv6_cidr, tenant.management_ports, tenant.extra_ingress)


def security_groups(rules: Iterable[RuleSpec], networks: Sequence[NetworkArgs]) -> list[str]:
    """The security-group keys to create: 'base', then one '<network>-public' per network
    with public ports or rules, in network order."""
    used = {r.group for r in rules}
    groups = ["base"]
    for net in networks:
        key = public_group(net.name)
        if net.public_ports or key in used:
            groups.append(key)
    groups.extend(sorted(used - set(groups)))
    return groups


def world_rule_allowed(rule: RuleSpec, networks: Sequence[NetworkArgs]) -> bool:
    """Whether a from-anywhere rule only opens declared public ports (MLPS ≥ 3)."""
    if rule.protocol not in ("tcp", "udp") or rule.port_min is None:
        return False
    candidates = [n for n in networks if rule.network in (None, n.name)]
    port_max = rule.port_max if rule.port_max is not None else rule.port_min
    wanted = set(range(rule.port_min, port_max + 1))
    return any(wanted <= set(n.public_ports) for n in candidates)


def required_roles(dr_level: int | None) -> tuple[str, ...]:
    """The replica roles a DR level needs: ≥4 remote-dr, ≥5 same-city as well."""
    if dr_level is None:
        return ()
    roles: list[str] = []
    if dr_level >= REMOTE_DR_FROM:
        roles.append("remote-dr")
    if dr_level >= SAME_CITY_FROM:
        roles.append("same-city")
    return tuple(roles)


def replication_mode(dr_level: int | None, role: str) -> str:
    """'sync' to the same-city copy at DR level 6, 'async' otherwise."""
    if role == "same-city" and dr_level is not None and dr_level >= SYNC_SAME_CITY_FROM:
        return "sync"
    return "async"
