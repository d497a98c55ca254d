"""Managed scope: which parts of a running config govops owns, declared per platform as data.

    from govops.network.scope import restrict

    unmanaged = restrict(running_tree, intended_tree, spec.scope, prune={"ntp"})

`restrict` removes from the running tree everything govops does not own, so that the
remediation computed afterwards adds and changes what the intent says and removes only owned
lines the intent no longer has. What it removed is the site's, left alone on the device, and
counted (`unmanaged`, in lines as the device prints them).

What govops owns on a device (the default is additive):

* every line the intent has (removing nothing), and a running line the intent changes
  (an idempotent command such as `sysname`);
* `owned` sections, whole: the routing processes, BFD, govops' static routes;
* `named` objects (prefix lists, route policies, ACLs, VPN instances) whose name the intent
  uses or that starts with one of govops' name prefixes;
* the interfaces the intent defines, and in them the `interface_lines` kinds govops renders;
  an interface the intent does not define is govops' only when it carries govops' marks
  (`marks`): a logical one may then be removed, a physical port never is (its govops lines
  are negated one by one instead, see `keep_physical_ports`);
* in the BGP process: govops' peers (those the intent names, the iBGP peers of the
  estate's AS, and peers in `peer_networks`) and the address families the intent has;
* a `prunable` section the user names (`--prune-unmanaged ntp`) or the estate declares it
  owns (`network.owns`): then every line of that kind is owned, and removed unless intended.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from hier_config import HConfig, HConfigChild

from govops.errors import BadInput
from govops.network.textblocks import line_count


@dataclass(frozen=True)
class ManagedScope:
    """What govops owns on one platform (regular expressions, matched against a line's text
    without its indentation). `owns_all` platforms are govops' entirely (the lab's FRR)."""

    owns_all: bool = False
    #: Top-level sections owned whole.
    owned: tuple[str, ...] = ()
    #: Top-level named objects: a regex with a `name` group.
    named: tuple[str, ...] = ()
    #: Name prefixes that mark an object as govops' even when the intent no longer has it.
    name_prefixes: tuple[str, ...] = ()
    #: The interface section (a regex with a `name` group).
    interface: str = r"^interface (?P<name>\S+)$"
    #: Line kinds govops renders inside an interface (prefixes).
    interface_lines: tuple[str, ...] = ()
    #: Lines that mark an interface as govops' (its description, govops' OSPF process).
    marks: tuple[str, ...] = ()
    #: Interface names that are logical (may be removed); every other one is a physical port.
    logical: str = r"^(LoopBack|Vlanif|Vlan-interface|Tunnel|Eth-Trunk|Bridge-Aggregation|" \
                   r"Route-Aggregation|Vbdif|Virtual-Template|Dialer)|\."
    #: The BGP process (a regex with an `asn` group) and its peer lines (a `peer` group).
    bgp: str = r"^bgp (?P<asn>\d+)$"
    bgp_peer: str = r"^(?:undo )?peer (?P<peer>\S+) "
    #: The attribute that gives a peer its AS (`peer X as-number N`).
    peer_as: str = r"^peer (?P<peer>\S+) as-number (?P<asn>\d+)$"
    #: Sections a user may widen the scope to: name → paths, each a tuple of regexes from
    #: the top level down (`("^aaa$", "^local-user ")`: local users inside `aaa`).
    prunable: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    @cached_property
    def compiled(self) -> _Compiled:
        """The regular expressions, compiled once."""
        return _Compiled(self)


class _Compiled:
    def __init__(self, scope: ManagedScope) -> None:
        self.owned = _any(scope.owned)
        self.named = [re.compile(p) for p in scope.named]
        self.interface = re.compile(scope.interface)
        self.interface_lines = tuple(scope.interface_lines)
        self.marks = _any(scope.marks)
        self.logical = re.compile(scope.logical)
        self.bgp = re.compile(scope.bgp)
        self.bgp_peer = re.compile(scope.bgp_peer)
        self.peer_as = re.compile(scope.peer_as)
        self.prunable = {name: tuple(tuple(re.compile(p) for p in path) for path in paths)
                         for name, paths in scope.prunable.items()}


def _any(patterns: Iterable[str]) -> re.Pattern[str]:
    joined = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(joined or r"(?!)")


def check_prune(scope: ManagedScope, platform: str, sections: Iterable[str]) -> None:
    """BadInput naming the known sections when one of `sections` is not prunable."""
    unknown = sorted(set(sections) - set(scope.prunable))
    if unknown and not scope.owns_all:
        known = ", ".join(sorted(scope.prunable)) or "none"
        raise BadInput(f"--prune-unmanaged {unknown[0]}: no such section on {platform}: use "
                       f"one of {known}")


def physical(scope: ManagedScope, name: str) -> bool:
    """True when interface `name` is a physical port (never removed)."""
    return not scope.compiled.logical.search(name)


def restrict(running: HConfig, intended: HConfig, scope: ManagedScope,
             prune: Iterable[str] = (), peer_networks: Iterable[str] = (),
             names: set[str] | None = None) -> int:
    """Delete from `running` what govops does not own; return how many device lines that was.

    `names`: the object names the whole intent uses (`intended_names`), when `intended` is
    only the part of the intent that differs from the running config."""
    if scope.owns_all:
        return 0
    c = scope.compiled
    pruned = [path for name in prune for path in c.prunable.get(name, ())]
    if names is None:
        names = intended_names(scope, (child.text for child in intended.children))
    networks = [ipaddress.ip_network(n, strict=False) for n in peer_networks]
    count = 0
    for child in list(running.children):
        want = intended.get_child(equals=child.text)
        if _pruned(child, pruned):
            continue
        if c.owned.match(child.text) or _named_owned(child.text, c, names, scope):
            continue
        if m := c.interface.match(child.text):
            count += _restrict_interface(child, want, m.group("name"), scope)
            continue
        if m := c.bgp.match(child.text):
            if want is None:
                count += _drop(child)
            else:
                count += _restrict_bgp(child, want, m.group("asn"), c, networks, pruned)
            continue
        if want is None:
            if running.driver.idempotent_for(child, intended.children) is None:
                count += _drop(child)
            continue
        count += _keep_intended(child, want, pruned)
    return count


def _drop(child: HConfigChild) -> int:
    lines = sum(line_count(x.text) for x in child.all_children()) + line_count(child.text)
    child.delete()
    return lines


def _pruned(child: HConfigChild, paths: list[tuple[re.Pattern[str], ...]]) -> bool:
    texts = [x.text for x in child.lineage()]
    return any(len(path) == len(texts) and all(p.match(t) for p, t in zip(path, texts, strict=True))
               for path in paths)


def intended_names(scope: ManagedScope, heads: Iterable[str]) -> set[str]:
    """The names of the objects (policies, prefix lists, ACLs, VPNs) among top-level lines."""
    names = set()
    for text in heads:
        for pattern in scope.compiled.named:
            if m := pattern.match(text):
                names.add(m.group("name"))
    return names


def _named_owned(text: str, c: _Compiled, names: set[str], scope: ManagedScope) -> bool:
    for pattern in c.named:
        if m := pattern.match(text):
            name = m.group("name")
            return name in names or name.startswith(scope.name_prefixes)
    return False


def _restrict_interface(child: HConfigChild, want: HConfigChild | None, name: str,
                        scope: ManagedScope) -> int:
    c = scope.compiled
    if want is None:
        marked = any(c.marks.match(x.text) for x in child.children)
        if not marked:
            return _drop(child)
        if not physical(scope, name):
            return 0  # a logical interface govops made: removed whole
    count = 0
    for line in list(child.children):
        intended_line = want is not None and want.get_child(equals=line.text) is not None
        if not intended_line and not line.text.startswith(c.interface_lines):
            count += _drop(line)
    return count


def _restrict_bgp(child: HConfigChild, want: HConfigChild, asn: str, c: _Compiled,
                  networks: list, pruned: list) -> int:
    ours = set()
    for line in want.all_children():
        if m := c.bgp_peer.match(line.text):
            ours.add(m.group("peer"))
    for line in child.all_children():  # Comware 5 defines IPv6 peers in `ipv6-family`
        if (m := c.peer_as.match(line.text)) and m.group("asn") == asn:
            ours.add(m.group("peer"))

    def owned(peer: str) -> bool:
        if peer in ours:
            return True
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in n for n in networks)

    def walk(node: HConfigChild, wanted: HConfigChild) -> int:
        count = 0
        for line in list(node.children):
            if (m := c.bgp_peer.match(line.text)) and not owned(m.group("peer")):
                count += _drop(line)
            elif line.children:
                sub = wanted.get_child(equals=line.text)
                count += _drop(line) if sub is None else walk(line, sub)
        return count

    return walk(child, want)


def _keep_intended(child: HConfigChild, want: HConfigChild, pruned: list) -> int:
    """A section the intent has but govops does not own whole (`aaa`, `user-interface vty`):
    only its intended lines (and lines the intent changes) are govops'."""
    count = 0
    for line in list(child.children):
        if _pruned(line, pruned):
            continue
        sub = want.get_child(equals=line.text)
        if sub is None:
            if child.driver.idempotent_for(line, want.children) is None:
                count += _drop(line)
        elif line.children:
            count += _keep_intended(line, sub, pruned)
    return count


def keep_physical_ports(remediation: HConfig, running: HConfig, scope: ManagedScope,
                        negation: str) -> None:
    """A physical port is never removed: `undo interface 100GE1/0/1` becomes the negation of
    govops' lines inside it (the lines `restrict` left in the running tree)."""
    c = scope.compiled
    for child in list(remediation.children):
        if not child.text.startswith(negation):
            continue
        m = c.interface.match(child.text.removeprefix(negation))
        if m is None or not physical(scope, m.group("name")):
            continue
        child.delete()
        negate_lines_of(remediation, running, f"interface {m.group('name')}")


def negate_lines_of(remediation: HConfig, running: HConfig, section: str) -> None:
    """Instead of removing `section` (a physical port, which cannot go), negate each of its
    lines in `running` one by one."""
    current = running.get_child(equals=section)
    if current is None or not current.children:
        return
    target = remediation.add_child(section)
    for line in current.children:
        target.add_child(line.text).negate()
