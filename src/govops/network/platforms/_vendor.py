"""What Huawei VRP and H3C Comware share: rules, and reading `display current-configuration`."""

from __future__ import annotations

from collections.abc import Callable

from hier_config.models import IdempotentCommandsRule, OrderingRule

from govops.network.platforms.common import SECRET, canon_ipv6, idem, order
from govops.network.textblocks import global_lines


def vendor_idempotent() -> list[IdempotentCommandsRule]:
    """Commands VRP and Comware replace rather than add (one value each)."""
    return idem(
        ("sysname ",),
        ("interface ", "description "),
        ("interface ", "ip address "),
        ("interface ", "ospf cost "),
        ("interface ", "ospfv3 cost "),
        ("interface ", "ospf network-type "),
        ("interface ", "ospfv3 network-type "),
        ("interface ", "ospf bfd min"),
        ("interface ", "ospfv3 bfd min"),
        ("interface ", "ospf enable "),
        ("interface ", "ospf 1 area "),
        ("interface ", "ospfv3 1 area "),
        ("ospfv3 ", "router-id "),
        ("bgp ", "router-id "),
        ("snmp-agent sys-info location ",),
    )


def vendor_ordering() -> list[OrderingRule]:
    """Objects before the sections that refer to them; BGP last."""
    return order([
        (("bfd",), -60),
        (("ip vpn-instance ",), -55),
        (("acl ",), -50),
        (("ip ip-prefix ",), -45),
        (("ip ipv6-prefix ",), -45),
        (("ip prefix-list ",), -45),
        (("ipv6 prefix-list ",), -45),
        (("route-policy ",), -40),
        (("ospf ",), -30),
        (("ospfv3 ",), -30),
        (("bgp ",), 50),
    ])


def _header(line: str) -> bool:
    return line == "return" or line.startswith(("!Software Version", "!Last configuration",
                                                "!Time of last", "!Config"))


def vendor_lines(text: str, unmanaged: Callable[[str], bool],
                  inner_default: Callable[[str, str], bool]) -> list[str]:
    """Common VRP/Comware clean-up: separators, banners, indented globals, IPv6 case."""
    out: list[str] = []
    section = ""        # the current top-level line
    skipping = False    # inside an unmanaged section
    dropped = 0         # indentation of a default sub-section being dropped (0: none)
    for indent, stripped in global_lines(text, _header):
        line = " " * indent + stripped
        if indent == 0:
            section = stripped
            skipping = unmanaged(stripped)
            dropped = 0
            if skipping:
                continue
        elif skipping or (dropped and indent > dropped):
            continue
        elif inner_default(section, line):
            dropped = indent  # a default sub-section: its own lines go with it
            continue
        else:
            dropped = 0
        if SECRET.match(line):
            continue
        out.append(canon_ipv6(line))
    return out
