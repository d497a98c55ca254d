"""`display …` outputs of the simulated devices, in each vendor's layout.

The layouts are those of the real outputs part 1 recorded (`tests/network/<platform>/displays/`,
sources in their `SOURCES.md`: Huawei CE6881/CE12800/NE40E and AR manuals, H3C S6850 manuals;
Comware 5's from its V5 references, `msr2630_comware5.txt`),
so the same TextFSM templates (ntc-templates' and the project's) read them. A protocol that is
not configured prints nothing, as the devices do.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable

from govops.lab.simdevices import grammar
from govops.lab.simdevices.device import SimDevice
from govops.lab.simdevices.protocols import Estate, Facts, Route, Session

_RULE = " " + "-" * 76


def _up(address: str) -> str:
    return address.upper() if ":" in address else address


def _updown(since: float) -> str:
    s = int(max(0, time.time() - since))
    if s >= 86400:
        return f"{s // 86400}d{(s % 86400) // 3600:02d}h"
    return f"{s // 3600:02d}:{(s % 3600) // 60:02d}:{s % 60:02d}"


def _msgs(session: Session) -> tuple[int, int]:
    if session.state != "Established":
        return 0, 0
    age = int(max(0, time.time() - session.since))
    return 3 + age // 30, 3 + age // 30


# -- VRP ------------------------------------------------------------------------------------
def _processes(f: Facts, st, v6: bool) -> list[tuple[int, str, list]]:  # noqa: ANN001
    """(process, router ID, neighbours) of every OSPF (OSPFv3) process: 1, then the planes'."""
    out = [(1, f.router_id, st.ospf6 if v6 else st.ospf)] if (f.ospf6 if v6 else f.ospf) else []
    planes, adj = (f.planes6, st.planes6) if v6 else (f.planes, st.planes)
    return out + [(proc, rid, adj.get(proc, [])) for proc, (rid, _) in sorted(planes.items())]


def _by_area(peers: list, head: Callable[[str], list[str]], row: Callable[[int, object], str]
             ) -> list[str]:
    """One process's neighbours grouped by area: each area's heading lines, then its rows.
    `row` gets the neighbour's index in the whole process (the dead-time column varies by it)."""
    out: list[str] = []
    for area in sorted({a.area for a in peers}):
        out += head(area)
        out += [row(i, a) for i, a in enumerate(peers) if a.area == area]
    return out


def _vrp_ospf(f: Facts, st) -> str:  # noqa: ANN001
    out: list[str] = []
    for proc, rid, peers in _processes(f, st, v6=False):
        rows = [f" {a.area:<16} {a.port:<32} {a.router_id:<16} Full" for a in peers]
        out += ["", f"          OSPF Process {proc} with Router ID {rid}",
                "                  Peer Statistic Information", _RULE,
                " Area Id          Interface                        Neighbor id      State",
                *rows, _RULE, f" Total Peer(s):     {len(rows)}"]
    return "\n".join(out)


def _vrp_ospf6(f: Facts, st) -> str:  # noqa: ANN001
    blocks = []
    for proc, _, peers in _processes(f, st, v6=True):
        out = [f"OSPFv3 Process ({proc})", f"Total number of peer(s): {len(peers)}",
               f" Peer(s) in full state: {len(peers)}"]
        out += _by_area(peers, lambda area: [
            f"OSPFv3 Area ({area})",
            "Neighbor ID     Pri  State            Dead Time   Interface                "
            "Instance ID"],
            lambda i, a: f"{a.router_id:<15} 1    Full/ -          00:00:3{i % 10}    "
                         f"{a.port:<24} 0")
        blocks.append("\n".join(out))
    return "\n\n".join(blocks)


def _vrp_bgp(f: Facts, sessions: list[Session]) -> str:
    if not f.asn:
        return ""
    up = sum(1 for s in sessions if s.state == "Established")
    out = ["", f" BGP local router ID : {f.bgp_router_id or f.router_id}",
           f" Local AS number : {f.asn}",
           f" Total number of peers : {len(sessions):<18}Peers in established state : {up}", "",
           "  Peer            V          AS  MsgRcvd  MsgSent  OutQ  Up/Down       State  PrefRcv"]
    for s in sessions:
        rcvd, sent = _msgs(s)
        out.append(f"  {_up(s.address):<15} 4 {s.asn:>11} {rcvd:>8} {sent:>8} {0:>5} "
                   f"{_updown(s.since):<10} {s.state:>11} {s.received:>8}")
    return "\n".join(out)


def _vrp_bfd(f: Facts, st) -> str:  # noqa: ANN001
    if not f.bfd_global:
        return ""
    line = "-" * 80
    out = [line, "Local Remote     PeerIpAddr      State     Type        InterfaceName", line]
    for i, a in enumerate(st.bfd):
        out.append(f"{8192 + i:<5} {8192 + i:<10} {a.address:<15} Up        D_IP_IF     {a.port}")
    out += [line, f"     Total UP/DOWN Session Number : {len(st.bfd)}/0"]
    return "\n".join(out)


def _flags(r: Route) -> str:
    return "DB" if r.port == "NULL0" else "RD" if r.proto in ("IBGP", "EBGP") else "D"


def _vrp_routes4(routes: list[Route]) -> str:
    out = ["Route Flags: R - relay, D - download to fib, T - to vpn-instance, B - black hole route",
           "-" * 78, "Routing Tables: _public_",
           f"         Destinations : {len(routes)}        Routes : {len(routes)}", "",
           "Destination/Mask    Proto   Pre  Cost      Flags NextHop         Interface", ""]
    for r in routes:
        dest = f"{r.address or r.prefix.network_address}/{r.prefix.prefixlen}"
        out.append(f"{dest:>19}   {r.proto:<7} {r.pref:<4} {r.cost:<11} {_flags(r):<3} "
                   f"{r.nexthop:<15} {r.port}")
    return "\n".join(out)


def _vrp_routes6(routes: list[Route]) -> str:
    out = ["Routing Table : _public_",
           f"         Destinations : {len(routes)}        Routes : {len(routes)}"]
    for r in routes:
        out += ["", f" Destination  : {_up(r.address or str(r.prefix.network_address)):<40}"
                    f"PrefixLength : {r.prefix.prefixlen}",
                f" NextHop      : {_up(r.nexthop):<40}Preference   : {r.pref}",
                f" Cost         : {r.cost:<40}Protocol     : {r.proto}",
                f" RelayNextHop : {'::':<40}TunnelID     : 0x0",
                f" Interface    : {r.port:<40}Flags        : {_flags(r)}"]
    return "\n".join(out)


# -- Comware --------------------------------------------------------------------------------
def _cw_ospf(f: Facts, st) -> str:  # noqa: ANN001
    out: list[str] = []
    for proc, rid, peers in _processes(f, st, v6=False):
        out += ["", f"         OSPF Process {proc} with Router ID {rid}",
                "               Neighbor Brief Information"]
        out += _by_area(peers, lambda area: [
            "", f" Area: {area}",
            " Router ID       Address         Pri Dead-Time  State             Interface"],
            lambda i, a: f" {a.router_id:<15} {a.address:<15} 1   3{i % 10}         Full/ -"
                         f"           {a.port}")
    return "\n".join(out)


def _cw_ospf6(f: Facts, st) -> str:  # noqa: ANN001
    out: list[str] = []
    for proc, rid, peers in _processes(f, st, v6=True):
        out += ["", f"                 OSPFv3 Process {proc} with Router ID {rid}"]
        out += _by_area(peers, lambda area: [
            "", f" Area: {area}", "-" * 73,
            " Router ID       Pri State             Dead-Time InstID Interface"],
            lambda i, a: f" {a.router_id:<15} 1   Full/-            00:00:3{i % 10}  0      "
                         f"{a.port}")
    return "\n".join(out)


def _cw_peer_rows(sessions: list[Session]) -> list[str]:
    """The peer rows of Comware's `display bgp peer` (Comware 5 and 7 print them alike)."""
    rows = []
    for s in sessions:
        rcvd, sent = _msgs(s)
        rows.append(f"  {_up(s.address):<20} {s.asn:>5} {rcvd:>8} {sent:>8} {0:>4} "
                    f"{s.received:>7} {_updown(s.since)} {s.state}")
    return rows


def _cw_bgp(f: Facts, sessions: list[Session]) -> str:
    if not f.asn:
        return ""
    up = sum(1 for s in sessions if s.state == "Established")
    out = ["", f" BGP local router ID: {f.bgp_router_id or f.router_id}",
           f" Local AS number: {f.asn}",
           f" Total number of peers: {len(sessions):<19}Peers in established state: {up}", "",
           "  * - Dynamically created peer",
           "  Peer                    AS  MsgRcvd  MsgSent OutQ PrefRcv Up/Down  State", ""]
    return "\n".join(out + _cw_peer_rows(sessions))


def _cw_bfd(f: Facts, st) -> str:  # noqa: ANN001
    if not st.bfd:
        return ""
    out = ["", f" Total Session Num: {len(st.bfd)}     Up Session Num: {len(st.bfd)}     "
               "Init Mode: Active", "", " IPv4 session working in control packet mode:", "",
           " LD/RD            SourceAddr      DestAddr        State  Holdtime  Interface"]
    for i, a in enumerate(st.bfd):
        out.append(f" {f'{513 + i}/{513 + i}':<16} {a.local:<15} {a.address:<15} Up     142ms     "
                   f"{a.port}")
    return "\n".join(out)


_CW_PROTO = {"OSPF": "O_INTRA", "OSPFv3": "O_INTRA", "IBGP": "BGP", "EBGP": "BGP"}


# -- Comware 5 ------------------------------------------------------------------------------
# Its own layouts (tests/network/h3c_comware/displays/*/msr2630_comware5.txt): abbreviated
# port names, the OSPF neighbour's interface before its state, OSPFv3 under `OSPFv3 Process
# (1)`, and BGP peers by `display bgp peer` (IPv4) and `display bgp ipv6 peer`.
_CW5_PORT = (("Ten-GigabitEthernet", "XGE"), ("GigabitEthernet", "GE"), ("Vlan-interface", "Vlan"),
             ("LoopBack", "Loop"), ("Ethernet", "Eth"))


def _cw5_port(name: str) -> str:
    for long, short in _CW5_PORT:
        if name.startswith(long):
            return short + name[len(long):]
    return name


def _cw5_ospf(f: Facts, st) -> str:  # noqa: ANN001
    out: list[str] = []
    for proc, rid, peers in _processes(f, st, v6=False):
        out += ["", f"          OSPF Process {proc} with Router ID {rid}",
                "                Neighbor Brief Information"]
        out += _by_area(peers, lambda area: [
            "", f" Area: {area}",
            " Router ID       Address         Pri Dead-Time Interface       State"],
            lambda i, a: f" {a.router_id:<15} {a.address:<15} 1   3{i % 10}        "
                         f"{_cw5_port(a.port):<15} Full/ -")
    return "\n".join(out)


def _cw5_ospf6(f: Facts, st) -> str:  # noqa: ANN001
    out: list[str] = []
    for proc, _, peers in _processes(f, st, v6=True):
        out += ["", f"                   OSPFv3 Process ({proc})"]
        out += _by_area(peers, lambda area: [
            f" OSPFv3 Area ({area})",
            " Neighbor ID     Pri  State            Dead Time   Interface         "
            "Instance ID"],
            lambda i, a: f" {a.router_id:<15}   1  Full/ -          00:00:3{i % 10}    "
                         f"{_cw5_port(a.port):<17} 0")
    return "\n".join(out)


def _cw5_bgp(f: Facts, sessions: list[Session]) -> str:
    if not f.asn:
        return ""
    up = sum(1 for s in sessions if s.state == "Established")
    out = ["", f" BGP local router ID : {f.bgp_router_id or f.router_id}",
           f" Local AS number : {f.asn}",
           f" Total number of peers : {len(sessions):<18}Peers in established state : {up}", "",
           "  Peer                    AS  MsgRcvd  MsgSent OutQ PrefRcv Up/Down  State", ""]
    return "\n".join(out + _cw_peer_rows(sessions))


def _cw5_bfd(f: Facts, st) -> str:  # noqa: ANN001
    if not st.bfd:
        return ""
    out = ["", f" Total Session Num: {len(st.bfd)}     Init Mode: Active", "",
           " Session Working Under Ctrl Mode:", "",
           " LD/RD            SourceAddr      DestAddr        State    Holdtime    Interface"]
    for i, a in enumerate(st.bfd):
        out.append(f" {f'{1 + i}/{1 + i}':<16} {a.local:<15} {a.address:<15} Up       300ms"
                   f"       {_cw5_port(a.port)}")
    return "\n".join(out)


_CW5_PROTO = {"OSPF": "OSPF", "OSPFv3": "OSPFv3", "IBGP": "BGP", "EBGP": "BGP"}


def _cw5_routes4(routes: list[Route]) -> str:
    out = ["Routing Tables: Public", f"         Destinations : {len(routes)}        Routes : "
           f"{len(routes)}", "", "Destination/Mask    Proto  Pre  Cost         NextHop         "
           "Interface", ""]
    for r in routes:
        dest = f"{r.address or r.prefix.network_address}/{r.prefix.prefixlen}"
        out.append(f"{dest:<19} {_CW5_PROTO.get(r.proto, r.proto):<6} {r.pref:<4} {r.cost:<12} "
                   f"{r.nexthop:<15} {_cw5_port(r.port)}")
    return "\n".join(out)


def _cw5_routes6(routes: list[Route]) -> str:
    return _cw_ipv6_table("Routing Table :", " " * 9, routes, _CW5_PROTO, _cw5_port)


def _cw_routes4(routes: list[Route]) -> str:
    out = ["", f"Destinations : {len(routes)}        Routes : {len(routes)}", "",
           "Destination/Mask   Proto   Pre Cost        NextHop         Interface"]
    for r in routes:
        dest = f"{r.address or r.prefix.network_address}/{r.prefix.prefixlen}"
        out.append(f"{dest:<18} {_CW_PROTO.get(r.proto, r.proto):<7} {r.pref:<3} {r.cost:<11} "
                   f"{r.nexthop:<15} {r.port}")
    return "\n".join(out)


def _cw_routes6(routes: list[Route]) -> str:
    return _cw_ipv6_table("", "", routes, _CW_PROTO, str)


def _cw_ipv6_table(title: str, indent: str, routes: list[Route], protos: dict[str, str],
                   port_name: Callable[[str], str]) -> str:
    """Comware's `display ipv6 routing-table`: one block per route; Comware 5 and 7 differ
    only in the heading, the protocol names and the port names."""
    out = [title, f"{indent}Destinations : {len(routes)}        Routes : {len(routes)}"]
    for r in routes:
        dest = f"{_up(r.address or str(r.prefix.network_address))}/{r.prefix.prefixlen}"
        out += ["", f"Destination: {dest:<41}Protocol  : {protos.get(r.proto, r.proto)}",
                f"NextHop    : {_up(r.nexthop):<41}Preference: {r.pref}",
                f"Interface  : {port_name(r.port):<41}Cost      : {r.cost}"]
    return "\n".join(out)


def _commit_list(dev: SimDevice) -> str:
    line = "-" * 94
    out = [time.strftime("%Y-%m-%d %H:%M:%S.000"), line,
           " No.   CommitId        Label                 User           Date & Time", line]
    for i, c in enumerate(reversed(dev.commits), start=1):
        out.append(f" {i:>3}   {c.commit_id:<15} {c.label:<21} {c.user:<14} "
                   + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(c.at)))
    out.append(line)
    return "\n".join(out)


def _dir(dev: SimDevice) -> str:
    out = ["Directory of flash:/", ""]
    for i, (name, text) in enumerate(sorted(dev.flash.items())):
        out.append(f"  {i:>2}  -rw-  {len(text):>10}  {time.strftime('%b %d %Y %H:%M:%S')}   {name}")
    out += ["", "1,090,732 KB total (790,056 KB free)"]
    return "\n".join(out)


def display(dev: SimDevice, estate: Estate, command: str) -> str | None:
    """The output of `display …` (or `dir`) on `dev`; None for a command it does not know."""
    key = " ".join(command.split()).lower()
    vrp = grammar.family(dev.flavour) == "vrp"
    simple: dict[str, Callable[[], str]] = {
        "display current-configuration": dev.display_current,
        "display saved-configuration": lambda: dev.flash.get(
            "vrpcfg.cfg" if vrp else "startup.cfg", ""),
        "dir": lambda: _dir(dev),
        "display version": lambda: _version(dev),
    }
    if dev.flavour == "vrp8":
        simple["display configuration commit list"] = lambda: _commit_list(dev)
    if key in simple:
        return simple[key]()
    f, st = estate.facts(dev.name), estate.state(dev.name)
    table: dict[str, Callable[[], str]] = {
        "display ospf peer brief": lambda: _vrp_ospf(f, st),
        "display ospfv3 peer": lambda: _vrp_ospf6(f, st),
        "display bgp peer": lambda: _vrp_bgp(f, st.bgp[4]),
        "display bgp ipv6 peer": lambda: _vrp_bgp(f, st.bgp[6]),
        "display bfd session all": lambda: _vrp_bfd(f, st),
        "display ip routing-table": lambda: _vrp_routes4(st.routes[4]),
        "display ipv6 routing-table": lambda: _vrp_routes6(st.routes[6]),
    } if vrp else {
        "display ospf peer": lambda: _cw5_ospf(f, st),
        "display ospfv3 peer": lambda: _cw5_ospf6(f, st),
        "display bgp peer": lambda: _cw5_bgp(f, st.bgp[4]),
        "display bgp ipv6 peer": lambda: _cw5_bgp(f, st.bgp[6]),
        "display bfd session": lambda: _cw5_bfd(f, st),
        "display ip routing-table": lambda: _cw5_routes4(st.routes[4]),
        "display ipv6 routing-table": lambda: _cw5_routes6(st.routes[6]),
    } if dev.flavour == "comware5" else {
        "display ospf peer": lambda: _cw_ospf(f, st),
        "display ospfv3 peer": lambda: _cw_ospf6(f, st),
        "display bgp peer ipv4": lambda: _cw_bgp(f, st.bgp[4]),
        "display bgp peer ipv6": lambda: _cw_bgp(f, st.bgp[6]),
        "display bfd session": lambda: _cw_bfd(f, st),
        "display ip routing-table": lambda: _cw_routes4(st.routes[4]),
        "display ipv6 routing-table": lambda: _cw_routes6(st.routes[6]),
    }
    fn = table.get(key)
    if fn is None:
        return _lookup(key, estate, dev.name, dev.flavour)
    if "routing-table" not in key:
        return fn()
    if key not in st.shown:  # a routing table changes only with the state: render it once
        st.shown[key] = fn()
    return st.shown[key]


_LOOKUP = re.compile(r"display (ip|ipv6) routing-table (\S+) (\d+)")


def _lookup(key: str, estate: Estate, name: str, flavour: str) -> str | None:
    """`display ip routing-table ADDRESS LENGTH` (and IPv6): the routes of exactly that
    prefix, in the table's layout of the CLI flavour with a `Summary Count` line; nothing
    when there is none."""
    m = _LOOKUP.fullmatch(key)
    if m is None:
        return None
    fam = 4 if m.group(1) == "ip" else 6
    try:
        net = ipaddress.ip_network(f"{m.group(2)}/{m.group(3)}", strict=False)
    except ValueError:
        return None
    if net.version != fam:
        return None
    found = estate.lookup(name, fam, net)
    if not found:
        return ""
    kind = "comware5" if flavour == "comware5" else grammar.family(flavour)
    render = {("vrp", 4): _vrp_routes4, ("vrp", 6): _vrp_routes6,
              ("comware", 4): _cw_routes4, ("comware", 6): _cw_routes6,
              ("comware5", 4): _cw5_routes4, ("comware5", 6): _cw5_routes6}[(kind, fam)]
    return re.sub(r"Destinations : \d+\s+Routes : \d+",
                  f"Summary {'count' if kind == 'comware' else 'Count'} : {len(found)}",
                  render(found), count=1)


def _version(dev: SimDevice) -> str:
    if dev.flavour == "comware7":
        return ("H3C Comware Software, Version 7.1.070, Release 6710\n"
                f"Copyright (c) 2004-2021 New H3C Technologies Co., Ltd. All rights reserved.\n"
                f"{dev.name} uptime is 0 weeks, 0 days, 1 hour, 2 minutes (govops simulator)")
    if dev.flavour == "comware5":
        return ("H3C Comware Platform Software\n"
                "Comware Software, Version 5.20, Release 2516P12\n"
                "Copyright (c) 2004-2013 Hangzhou H3C Tech. Co., Ltd. All rights reserved.\n"
                f"{dev.name} uptime is 0 week, 0 day, 1 hour, 2 minutes (govops simulator)")
    release = "V800R021C10SPC600" if dev.flavour == "vrp8" else "V200R019C10SPC500"
    return (f"Huawei Versatile Routing Platform Software\nVRP (R) software, Version 8.210 "
            f"({release})\nCopyright (C) 2012-2021 Huawei Technologies Co., Ltd.\n"
            f"{dev.name} uptime is 0 days, 1 hours, 2 minutes (govops simulator)")
