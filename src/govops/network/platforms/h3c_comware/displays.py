"""The `display` outputs a Comware device's verifier reads, and their TextFSM templates."""

from __future__ import annotations

from govops.network.parse import Display

DISPLAYS = (
    Display("display ospf peer", "ospf", "display_ospf_peer.textfsm",
            r"Neighbor Brief Information|OSPF Process \d+",
            {"peer": "NEIGHBOR_ID", "state": "STATE", "interface": "INTERFACE"}),
    Display("display ospfv3 peer", "ospf6", "display_ospfv3_peer.textfsm",
            r"OSPFv3 Process \d+", {"peer": "NEIGHBOR_ID", "state": "STATE",
                                    "interface": "INTERFACE"}),
    Display("display bgp peer ipv4", "bgp", "ntc:hp_comware_display_bgp_peer_ipv4.textfsm",
            r"BGP local router ID", {"peer": "PEER", "state": "STATE"}),
    Display("display bgp peer ipv6", "bgp", "display_bgp_peer_ipv6.textfsm",
            r"BGP local router ID", {"peer": "PEER", "state": "STATE"}),
    Display("display bfd session", "bfd", "display_bfd_session.textfsm",
            r"Total Session Num", {"peer": "PEER", "state": "STATE",
                                   "interface": "INTERFACE"}),
    Display("display ip routing-table", "routes4", "ntc:hp_comware_display_ip_routing-table.textfsm",
            r"Destination/Mask\s+Proto", {"prefix": "NETWORK", "length": "PREFIX_LENGTH"},
            "display ip routing-table {address} {length}"),
    Display("display ipv6 routing-table", "routes6", "display_ipv6_routing-table.textfsm",
            r"Destinations\s*:|Summary\s+count\s*:",
            {"prefix": "DESTINATION", "length": "PREFIX_LENGTH"},
            "display ipv6 routing-table {address} {length}"),
)
