"""Checks on a rendered configuration, cheap enough to run on every render of a province.

`lint_config(platform, text)` returns the problems of one config (empty when fine):

* template leftovers: `{{`, `{%`, `None`, `Undefined` in the output;
* every policy object a config uses is defined in it: route-maps / route-policies,
  prefix-lists, ACLs, BFD profiles, BGP peer groups, VPN instances;
* every interface address parses and no address is configured twice;
* the shape each platform needs: FRR sections closed with `exit` and the file ended by `end`;
  VRP/Comware opened by `#` + `sysname` and ended by `return`.

It works on the text with a few multi-line regular expressions (no parsing into a tree):
the whole generated Guangdong estate (≈1,900 configs, 12 MB) lints in a fraction of a second,
where building hier_config trees for it takes several seconds.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from functools import cache

M = re.MULTILINE


@dataclass(frozen=True)
class _Refs:
    """(kind, pattern for definitions, pattern for uses) — group 1 is the name."""

    kind: str
    defined: re.Pattern[str]
    used: re.Pattern[str]


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, M)


@cache
def _refs(platform: str) -> tuple[_Refs, ...]:
    """The platform's lint references (`PlatformSpec.lint_refs`), compiled once."""
    from govops.network.platforms import platform_spec

    return tuple(_Refs(kind, _r(d), _r(u)) for kind, d, u in platform_spec(platform).lint_refs)


_LEFTOVER = re.compile(r"\{\{|\{%|\}\}|%\}|\bNone\b|\bUndefined\b")
_ADDRESSES = _r(r"^ ip(?:v6)? address (?:(\d+\.\d+\.\d+\.\d+/\d+)|(\d+\.\d+\.\d+\.\d+) "
                r"(\d+\.\d+\.\d+\.\d+)|([0-9A-Fa-f:]+/\d+))$")
_FRR_SECTION = _r(r"^(?:interface|router|route-map|bfd|line|vrf)\b.*\n(?: .*\n)*+(?!exit\n)")
#: The shape a rendered config must have, by `PlatformSpec.lint_shape`.
SHAPES = ("frr", "vendor", "")


def _combined(refs: tuple[_Refs, ...]) -> re.Pattern[str]:
    """One pattern finding every definition and use of every kind in a single pass: group
    2k+1 is a definition of refs[k], group 2k+2 a use."""
    parts = []
    for ref in refs:
        for pattern in (ref.defined, ref.used):
            body = pattern.pattern.removeprefix("^").removesuffix("$")
            parts.append(f"(?:{body})" + ("$" if pattern.pattern.endswith("$") else ""))
    return re.compile("^(?:" + "|".join(parts) + ")", M)


@cache
def _combined_for(platform: str) -> re.Pattern[str]:
    return _combined(_refs(platform))


def _check_address(cidr4: str, addr4: str, mask4: str, cidr6: str) -> str | None:
    """A comparable form of one interface address, None when it is not valid.
    (inet_pton and int() instead of ipaddress: this runs some 20,000 times per province.)"""
    try:
        if cidr6:
            addr, _, length = cidr6.partition("/")
            packed = socket.inet_pton(socket.AF_INET6, addr)
            return f"{packed.hex()}/{length}" if 0 <= int(length) <= 128 else None
        if cidr4:
            addr4, _, length = cidr4.partition("/")
            ok = 0 <= int(length) <= 32
        else:
            mask = int.from_bytes(socket.inet_aton(mask4), "big")
            ok = mask4.count(".") == 3 and (mask | (mask - 1)) & 0xFFFFFFFF == 0xFFFFFFFF
            length = str(bin(mask).count("1"))
        socket.inet_pton(socket.AF_INET, addr4)
        return f"{addr4}/{length}" if ok else None
    except (OSError, ValueError):
        return None


def lint_config(platform: str, text: str) -> list[str]:
    """Problems of one rendered config; [] when it is fine."""
    problems: list[str] = []
    if ("{" in text or "None" in text or "Undefined" in text) and (
            m := _LEFTOVER.search(text)):
        line = text.count("\n", 0, m.start()) + 1
        problems.append(f"line {line}: template leftover {m.group(0)!r}")
    refs = _refs(platform)
    if refs:
        found: list[tuple[set[str], set[str]]] = [(set(), set()) for _ in refs]
        for match in _combined_for(platform).finditer(text):
            k = match.lastindex or 0
            if k:
                found[(k - 1) // 2][(k - 1) % 2].add(match.group(k))
        for ref, (defined, used) in zip(refs, found, strict=True):
            if missing := sorted(used - defined):
                problems.append(f"{ref.kind} {', '.join(missing)} used but not defined")
    seen: set[str] = set()
    dupes: set[str] = set()
    for cidr4, addr4, mask4, cidr6 in _ADDRESSES.findall(text):
        address = _check_address(cidr4, addr4, mask4, cidr6)
        if address is None:
            problems.append(f"bad address: {cidr4 or cidr6 or f'{addr4} {mask4}'}")
            continue
        (dupes if address in seen else seen).add(address)
    if dupes:
        problems.append(f"address configured twice: {', '.join(sorted(dupes))}")
    problems += shape_problems(platform, text)
    return problems


def shape_problems(platform: str, text: str) -> list[str]:
    """The shape checks of the platform's `lint_shape`: FRR sections closed by `exit` and
    the file ended by `end`; VRP/Comware opened by `#` + `sysname`, ended by `return`."""
    from govops.network.platforms import platform_spec

    shape = platform_spec(platform).lint_shape
    problems = []
    if shape == "frr":
        if not text.endswith("\nend\n"):
            problems.append("does not end with `end`")
        unclosed = [m.group(0).split("\n", 1)[0] for m in _FRR_SECTION.finditer(text)]
        if unclosed:
            problems.append(f"section not closed by exit: {unclosed[0]}")
    elif shape == "vendor":
        if not text.startswith("#\nsysname "):
            problems.append("does not start with `#` and `sysname`")
        if not text.endswith("\nreturn\n"):
            problems.append("does not end with `return`")
    return problems
