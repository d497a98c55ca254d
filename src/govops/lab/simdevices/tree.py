"""A device config as a tree of lines: read `display current-configuration`, print it in the
vendor's layout, and change it the way the device does (set, replace, undo).

Layouts follow the real outputs kept in part 1's fixtures (`tests/network/<platform>/real/`):
VRP prints every top-level block after a `#` line and ends with `return`; Comware indents the
global commands after a `#` by one space (` sysname X`) and prints its `version` line first.
A `header … "` text block is one line (folded with `govops.network.textblocks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from govops.lab.simdevices import grammar
from govops.network.textblocks import SEP, global_lines


@dataclass
class Node:
    """One config line and the lines under it."""

    text: str
    children: list[Node] = field(default_factory=list)

    def find(self, text: str) -> Node | None:
        """The child whose line is `text`."""
        return next((c for c in self.children if c.text == text), None)

    def copy(self) -> Node:
        """A deep copy."""
        return Node(self.text, [c.copy() for c in self.children])

    def lines(self, depth: int = 0) -> list[str]:
        """Every line below this node, indented by depth (one space a level)."""
        out = []
        for child in self.children:
            out.append(" " * depth + child.text)
            out += child.lines(depth + 1)
        return out


#: Where a new top-level block goes in `display current-configuration` (VRP and Comware
#: print blocks in a fixed order, by kind): (regex, rank); lower prints first.
_RANK = [(re.compile(p), r) for p, r in (
    (r"^version ", 0), (r"^sysname ", 1), (r"^(clock|irf|lldp|system-working-mode|xbar|"
                                          r"password-recovery|drop|set) ", 2),
    (r"^ipv6$", 3), (r"^firewall ", 3), (r"^info-center ", 4), (r"^bfd$", 5), (r"^vlan ", 6),
    (r"^ip vpn-instance ", 7), (r"^(ospf|ospfv3) ", 8 if False else 14), (r"^acl ", 9),
    (r"^(aaa|domain|role|user-group|local-user)", 10), (r"^interface ", 12),
    (r"^bgp ", 13), (r"^route-policy ", 15), (r"^ip (ip|ipv6)-prefix ", 16),
    (r"^ip (ipv6-)?prefix", 16), (r"^ipv6 prefix", 16), (r"^(ip|ipv6) route-static ", 17),
    (r"^snmp-agent", 18), (r"^(stelnet|ssh|telnet) ", 19), (r"^ntp-service ", 20),
    (r"^(user-interface|line) ", 21),
)]


#: Interfaces print by kind (VLAN, management, physical, aggregates, loopbacks, NULL0), then
#: physical ports slowest type first, then by slot/card/port numbers.
_IF_KIND = [(re.compile(p), r) for p, r in (
    (r"^(Vlanif|Vlan-interface)", 0), (r"^(MEth|M-GigabitEthernet)", 1),
    (r"^(Eth-Trunk|Bridge-Aggregation|Route-Aggregation)", 3), (r"^(LoopBack|Tunnel)", 4),
    (r"^NULL", 5))]
_PORT_TYPES = ("Ethernet", "GigabitEthernet", "XGigabitEthernet", "Ten-GigabitEthernet", "10GE",
               "Twenty-FiveGigE", "25GE", "FortyGigE", "40GE", "HundredGigE", "100GE")


def _interface_rank(name: str) -> tuple:
    kind = next((r for p, r in _IF_KIND if p.match(name)), 2)
    prefix = re.match(r"^[A-Za-z-]*(?:\d+GE)?", name).group(0)
    numbers = tuple(int(n) for n in re.findall(r"\d+", name[len(prefix):]))
    typed = _PORT_TYPES.index(prefix) if prefix in _PORT_TYPES else len(_PORT_TYPES)
    return (kind, typed, prefix, numbers)


def _rank(text: str) -> tuple:
    rank = next((r for p, r in _RANK if p.match(text)), 11)
    if rank == 12:
        return (rank, *_interface_rank(text.split(None, 1)[1]))
    return (rank,)


def _block(node: Node) -> bool:
    """Printed as a block of its own after `#`: a section, or an interface even when empty."""
    return bool(node.children) or node.text.startswith("interface ")


def parse(text: str) -> Node:
    """The tree of a saved or displayed config (VRP or Comware layout)."""
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for indent, stripped in global_lines(
            text, lambda line: line == "return" or line.startswith("!")):
        while stack[-1][0] >= indent:
            stack.pop()
        node = Node(stripped)
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    return root


def render(root: Node, flavour: str, banner: str = "") -> str:
    """`display current-configuration` of the tree, in the flavour's layout."""
    comware = grammar.family(flavour) == "comware"
    out: list[str] = []
    if banner:
        out.append(banner)
    previous_leaf_rank: tuple | None = None
    for node in root.children:
        text = node.text.replace(SEP, "\n")
        if _block(node):
            out.append("#")
            out.append(text)
            _render_children(node, 1, out, comware)
            previous_leaf_rank = None
            continue
        rank = _rank(node.text)
        if previous_leaf_rank != rank:
            out.append("#")
        out.append((" " if comware else "") + text)
        previous_leaf_rank = rank
    out += ["#", "return"]
    return "\n".join(out) + "\n"


def _render_children(node: Node, depth: int, out: list[str], comware: bool) -> None:
    # ` #` before an address family: in BGP (VRP when it holds lines); Comware also in a VPN
    # instance, even an empty one (part 1's real configs)
    parent = grammar.view_kind(node.text)
    for child in node.children:
        if depth == 1 and grammar.view_kind(child.text) == "family" and (
                (parent == "bgp" and (child.children or comware))
                or (parent == "vpn" and comware)):
            out.append(" " * depth + "#")
        out.append(" " * depth + child.text.replace(SEP, "\n"))
        _render_children(child, depth + 1, out, comware)


def insert_top(root: Node, node: Node) -> None:
    """Add a top-level block where the device would print it."""
    rank = _rank(node.text)
    at = len(root.children)
    for i in range(len(root.children) - 1, -1, -1):
        if _rank(root.children[i].text) <= rank:
            at = i + 1
            break
    else:
        at = 0
    root.children.insert(at, node)


def add_ports(root: Node, names: list[str], lines: tuple[str, ...] = ()) -> None:
    """Give every port of `names` the tree lacks an `interface` block (holding `lines`), and
    put all interface blocks in the order the device prints them."""
    have = {c.text for c in root.children}
    new = [Node(f"interface {n}", [Node(x) for x in lines]) for n in names
           if f"interface {n}" not in have]
    if not new:
        return
    ports = [c for c in root.children if c.text.startswith("interface ")] + new
    ports.sort(key=lambda n: _rank(n.text))
    rest = [c for c in root.children if not c.text.startswith("interface ")]
    root.children = rest
    insert_top(root, ports[0])
    at = root.children.index(ports[0])
    root.children[at + 1:at + 1] = ports[1:]


def enter(parent: Node, command: str, top: bool) -> tuple[Node, str]:
    """The section `command` opens under `parent` (created when missing); returns it and a
    message ("" or an error the device prints)."""
    key = grammar.section_key(command)
    for child in parent.children:
        if grammar.section_key(child.text) == key:
            if child.text != command and len(command.split()) > len(key.split()):
                child.text = command  # `ospf 1 router-id Y` changes the router ID
            return child, ""
    if command.startswith("bgp "):
        other = next((c for c in parent.children if c.text.startswith("bgp ")), None)
        if other is not None:
            return other, f"Error: BGP is already running in AS {other.text.split()[1]}."
    node = Node(command)
    if top:
        insert_top(parent, node)
    else:
        parent.children.append(node)
    return node, ""


#: Negations the device prints as lines (`undo shutdown` on CE, `undo portswitch`,
#: `undo synchronization`): typing `undo X` stores it, typing `X` replaces it. A line that
#: states the default is not printed (`hidden`, see `hidden_defaults`).
PRINTED_NEGATIONS = frozenset({"shutdown", "portswitch", "synchronization"})


def hidden_defaults(ports_start_shut: bool) -> frozenset[str]:
    """The lines a device does not print because they say what is the default anyway:
    `portswitch` (ports are layer 2 until `undo portswitch`), and `undo shutdown` where ports
    start up (VRP V5, Comware). Where ports start shut (CE, NE40E) the device prints a port's
    state both ways: `undo shutdown` on a port in use, `shutdown` on the others (part 1's real
    NE40E and CE configs)."""
    return frozenset({"portswitch"} if ports_start_shut else {"portswitch", "undo shutdown"})


#: What binding an interface to a VPN instance clears on it (both vendors: the addresses
#: belong to the table the port leaves), so the binding must come before the addresses.
_UNBOUND_BY_BINDING = ("ip address ", "ipv6 address ", "ipv6 enable")


def set_line(parent: Node, command: str, hidden: frozenset[str] = frozenset()) -> bool:
    """Add a line, replacing the line of the same one-value command if there is one. True
    when an `ip binding vpn-instance` cleared the interface's addresses."""
    if parent.find(command) is not None:
        return False
    cleared = False
    if command.startswith("ip binding vpn-instance ") and parent.text.startswith("interface "):
        keep = [c for c in parent.children if not c.text.startswith(_UNBOUND_BY_BINDING)]
        cleared = len(keep) != len(parent.children)
        parent.children = keep
    if command in PRINTED_NEGATIONS:
        parent.children = [c for c in parent.children if c.text != f"undo {command}"]
    if command in hidden:
        return cleared
    key = grammar.replace_key(command)
    if key is not None:
        for child in parent.children:
            if not child.children and grammar.replace_key(child.text) == key:
                child.text = command
                return cleared
    if parent.text == "":
        insert_top(parent, Node(command))
    else:
        parent.children.append(Node(command))
    return cleared


_PEER_DEFINING = re.compile(r"^peer (\S+) (as-number|group)\b")


def undo(parent: Node, target: str, hidden: frozenset[str] = frozenset()) -> bool:
    """Remove what `undo target` removes; False when nothing matched.

    The line itself, or the lines it is a word-prefix of (`undo ospf cost` removes
    `ospf cost 1000`; `undo peer X` every `peer X …`). In BGP, undoing a peer's AS number or
    group deletes the peer everywhere in the BGP view, its address families included.
    """
    if target in PRINTED_NEGATIONS:
        parent.children = [c for c in parent.children if c.text != target]
        set_line(parent, f"undo {target}", hidden)
        return True
    peer = _PEER_DEFINING.match(target)
    if peer and grammar.view_kind(parent.text) == "bgp":
        return _drop_peer(parent, peer.group(1))
    before = len(parent.children)
    parent.children = [c for c in parent.children
                       if not (c.text == target or c.text.startswith(target + " ")
                               or grammar.section_key(c.text) == target)]
    return len(parent.children) != before


def _drop_peer(bgp: Node, address: str) -> bool:
    found = False
    prefix = f"peer {address} "
    for node in [bgp, *bgp.children]:
        keep = [c for c in node.children if not c.text.startswith(prefix)]
        found = found or len(keep) != len(node.children)
        node.children = keep
    return found
