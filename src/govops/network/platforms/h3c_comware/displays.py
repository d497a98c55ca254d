"""The `display` outputs a Comware device's verifier reads, and their TextFSM templates.

Comware 7 and Comware 5 share the OSPF, OSPFv3, BFD and routing-table commands (the templates
read both layouts: Comware 5 prints an OSPF neighbour's interface before its state, and its
OSPFv3 peers under `OSPFv3 Process (1)` / `OSPFv3 Area (…)` headings). BGP differs in the
command itself: Comware 7 has `display bgp peer ipv4|ipv6`; Comware 5 `display bgp peer` for
IPv4 and `display bgp ipv6 peer` for IPv6 (`display bgp peer ipv4` is refused there), so a
device is asked by its model's CLI flavour (`parse.displays_of`). Sources: SOURCES.md.
"""

from __future__ import annotations

from govops.network.parse import Display

BOTH = ("", "comware5")
_BGP = {"peer": "PEER", "state": "STATE"}

DISPLAYS = (
    Display("display ospf peer", "ospf", "display_ospf_peer.textfsm",
            r"Neighbor Brief Information|OSPF Process \d+",
            {"peer": "NEIGHBOR_ID", "state": "STATE", "interface": "INTERFACE"}, BOTH),
    Display("display ospfv3 peer", "ospf6", "display_ospfv3_peer.textfsm",
            r"OSPFv3 Process \(?\d+", {"peer": "NEIGHBOR_ID", "state": "STATE",
                                       "interface": "INTERFACE"}, BOTH),
    Display("display bgp peer ipv4", "bgp", "ntc:hp_comware_display_bgp_peer_ipv4.textfsm",
            r"BGP local router ID", _BGP),
    Display("display bgp peer ipv6", "bgp", "display_bgp_peer.textfsm",
            r"BGP local router ID", _BGP),
    Display("display bgp peer", "bgp", "display_bgp_peer.textfsm",
            r"BGP local router ID", _BGP, ("comware5",)),
    Display("display bgp ipv6 peer", "bgp", "display_bgp_peer.textfsm",
            r"BGP local router ID", _BGP, ("comware5",)),
    Display("display bfd session", "bfd", "display_bfd_session.textfsm",
            r"Total Session Num", {"peer": "PEER", "state": "STATE",
                                   "interface": "INTERFACE"}, BOTH),
    Display("display ip routing-table", "routes4", "ntc:hp_comware_display_ip_routing-table.textfsm",
            r"Destination/Mask\s+Proto", {"prefix": "NETWORK", "length": "PREFIX_LENGTH"}, BOTH,
            lookup="display ip routing-table {address} {length}"),
    Display("display ipv6 routing-table", "routes6", "display_ipv6_routing-table.textfsm",
            r"Destinations\s*:|Summary\s+[Cc]ount\s*:",
            {"prefix": "DESTINATION", "length": "PREFIX_LENGTH"}, BOTH,
            lookup="display ipv6 routing-table {address} {length}"),
)
