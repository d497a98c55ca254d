"""FRR 8.4 (vtysh): the hier_config driver and the normaliser of `show running-config`."""

from __future__ import annotations

import re

from hier_config.models import NegationDefaultWithRule
from hier_config.platforms.cisco_ios.driver import HConfigDriverCiscoIOS
from hier_config.platforms.driver_base import HConfigDriverRules

from govops.network.platforms.common import SECRET, idem, order, rule


class FrrDriver(HConfigDriverCiscoIOS):
    """FRR 8.4's vtysh: IOS-like, with FRR's own idempotency and ordering."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        rules = HConfigDriverCiscoIOS._instantiate_rules()
        # FRR keeps every `ip address` given: changing one needs the old one removed.
        idempotent = [
            r for r in rules.idempotent_commands
            if not any(m.startswith == "ip address " for m in r.match_rules)
        ] + idem(
            ("hostname ",),
            ("log syslog",),
            ("interface ", "ip ospf cost "),
            ("interface ", "ip ospf network "),
            ("interface ", "ip ospf bfd profile "),
            ("interface ", "ipv6 ospf6 cost "),
            ("interface ", "ipv6 ospf6 network "),
            ("interface ", "ipv6 ospf6 bfd profile "),
            ("router ospf", "ospf router-id "),
            ("router ospf6", "ospf6 router-id "),
            ("router bgp ", "bgp router-id "),
            ("bfd", "profile ", "detect-multiplier "),
            ("bfd", "profile ", "transmit-interval "),
            ("bfd", "profile ", "receive-interval "),
        )
        ordering = rules.ordering + order([
            (("bfd",), -50),
            (("ip prefix-list ",), -40),
            (("ipv6 prefix-list ",), -40),
            (("route-map ",), -30),
            (("router ospf",), -20),  # also matches router ospf6
            (("router bgp ",), 50),
        ])
        # `no description TEXT` is not a command in FRR 8.4; `no description` is.
        negate_with = rules.negate_with + [
            NegationDefaultWithRule(match_rules=rule("interface ", "description "),
                                    use="no description"),
        ]
        return rules.model_copy(update={"idempotent_commands": idempotent,
                                        "ordering": ordering, "negate_with": negate_with,
                                        "indentation": 1})


_FRR_NOISE = re.compile(
    r"^(Building configuration\.\.\.|Current configuration:?|frr version .*|end|"
    r"exit|exit-address-family|exit-vrf|exit-vni|!.*)$"
)
#: BFD profile / peer values FRR does not print because they are its defaults.
_FRR_BFD_DEFAULTS = {"detect-multiplier 3", "transmit-interval 300", "receive-interval 300",
                     "echo-interval 50", "minimum-ttl 254"}
#: Top-level sections in the order FRR 8.4's `show running-config` prints them.
_FRR_ORDER: tuple[tuple[str, int], ...] = (
    ("frr defaults", 0), ("hostname ", 1), ("domainname ", 1), ("log ", 2),
    ("service ", 3), ("vrf ", 5), ("ip route ", 6), ("ipv6 route ", 7),
    ("interface ", 10), ("router bgp ", 20), ("router ospf6", 31), ("router ospf", 30),
    ("access-list ", 40), ("ipv6 access-list ", 41), ("ip prefix-list ", 42),
    ("ipv6 prefix-list ", 43), ("bgp as-path ", 44), ("bgp community-list ", 45),
    ("route-map ", 50), ("bfd", 60), ("line vty", 70),
)


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _frr_key(block: list[str], index: int) -> tuple:
    head = block[0]
    rank = 4  # unknown global lines sit with the other globals, after `service`
    for prefix, r in _FRR_ORDER:
        if head.startswith(prefix):
            rank = r
            break
    if rank == 10:
        return (rank, _natural(head.split(None, 1)[1]), index)
    if rank in (42, 43):  # prefix-list NAME seq N ...
        parts = head.split()
        seq = int(parts[4]) if len(parts) > 4 and parts[3] == "seq" and parts[4].isdigit() else 0
        return (rank, parts[2], seq, index)
    if rank == 50:  # route-map NAME permit|deny SEQ
        parts = head.split()
        seq = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
        return (rank, parts[1], seq, index)
    return (rank, index)


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    for line in lines:
        if line[:1] == " " and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def normalise_frr(text: str) -> str:
    """FRR 8.4 config (rendered or as `show running-config` prints it) in canonical form."""
    kept: list[str] = []
    in_bfd = False
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or _FRR_NOISE.match(stripped) or SECRET.match(line):
            continue
        if line[:1] != " ":
            in_bfd = stripped == "bfd"
        elif in_bfd and stripped in _FRR_BFD_DEFAULTS:
            continue
        kept.append(line)
    blocks = _blocks(kept)
    ordered = sorted(enumerate(blocks), key=lambda ib: _frr_key(ib[1], ib[0]))
    return "\n".join(line for _, block in ordered for line in block) + "\n"
