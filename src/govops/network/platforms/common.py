"""What the platforms' hier_config drivers and normalisers share: rule helpers, secrets, IPv6 case."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache

from hier_config.models import IdempotentCommandsRule, MatchRule, OrderingRule


def rule(*prefixes: str) -> tuple[MatchRule, ...]:
    """Match rules for a lineage, one `startswith` per level."""
    return tuple(MatchRule(startswith=p) for p in prefixes)


def idem(*lineages: tuple[str, ...]) -> list[IdempotentCommandsRule]:
    """Idempotent-command rules, one per lineage of prefixes."""
    return [IdempotentCommandsRule(match_rules=rule(*lin)) for lin in lineages]


def order(weights: Iterable[tuple[tuple[str, ...], int]]) -> list[OrderingRule]:
    """Ordering rules from (lineage, weight) pairs."""
    return [OrderingRule(match_rules=rule(*lin), weight=w) for lin, w in weights]


#: Lines never compared: secrets are set by the push from the environment/vault, not rendered.
SECRET = re.compile(
    r"^\s*(local-user \S+ password\b|password\b|enable (secret|password)\b|username \S+ "
    r"(password|secret)\b|snmp-agent community\b|snmp-agent usm-user\b|super password\b"
    r"|snmp-server community\b)"
)
_IPV6_TOKEN = re.compile(r"(?<![\w:.])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(/\d{1,3})?"
                         r"(?![\w:.])")


def canon_ipv6(line: str) -> str:
    """`line` with every IPv6 address written the RFC 5952 way (VRP prints upper case)."""
    return _IPV6_TOKEN.sub(_fix_token, line) if ":" in line else line


def _fix_token(match: re.Match[str]) -> str:
    return _canon_token(match.group(1)) + (match.group(2) or "")


@lru_cache(maxsize=65536)
def _canon_token(token: str) -> str:
    try:
        return ipaddress.IPv6Address(token).compressed
    except ValueError:
        return token
