"""The `display` outputs a VRP device's verifier reads, and their TextFSM templates."""

from __future__ import annotations

from govops.network.parse import Display

DISPLAYS = (
    Display("display ospf peer brief", "ospf", "display_ospf_peer_brief.textfsm",
            r"Peer Statistic Information|OSPF Process \d+",
            {"peer": "NEIGHBOR_ID", "state": "STATE", "interface": "INTERFACE"}),
    Display("display ospfv3 peer", "ospf6", "display_ospfv3_peer.textfsm",
            r"OSPFv3 Process \(\d+\)",
            {"peer": "NEIGHBOR_ID", "state": "STATE", "interface": "INTERFACE"}),
    Display("display bgp peer", "bgp", "ntc:huawei_vrp_display_bgp_peer.textfsm",
            r"BGP [Ll]ocal router ID", {"peer": "PEER", "state": "STATE"}),
    Display("display bgp ipv6 peer", "bgp", "display_bgp_ipv6_peer.textfsm",
            r"BGP [Ll]ocal router ID", {"peer": "PEER", "state": "STATE"}),
    Display("display bfd session all", "bfd", "display_bfd_session_all.textfsm",
            r"Local\s+Remote\s+PeerIpAddr",
            {"peer": "PEER", "state": "STATE", "interface": "INTERFACE"}),
    Display("display ip routing-table", "routes4", "display_ip_routing-table.textfsm",
            r"Destination/Mask\s+Proto", {"prefix": "DESTINATION", "length": "MASK"},
            lookup="display ip routing-table {address} {length}"),
    Display("display ipv6 routing-table", "routes6", "display_ipv6_routing-table.textfsm",
            r"Routing Table\s*:|Destinations\s*:",
            {"prefix": "DESTINATION", "length": "PREFIX_LENGTH"},
            lookup="display ipv6 routing-table {address} {length}"),
)
