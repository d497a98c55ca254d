"""What VRP and Comware scopes share: govops' object names, interface marks and line kinds."""

from __future__ import annotations

#: Names of the objects govops renders (route policies, prefix lists): govops' even when the
#: intent no longer uses them, so a stale one is removed.
GOVOPS_NAMES = ("EXTRANET-", "CARRIER-IN-", "CARRIER-OUT-", "ISOLATED-V", "DEFAULT-V",
                "PROVINCE-V", "RR-CLIENTS-", "GOVOPS-", "LEAK-")
#: Descriptions govops gives interfaces, and its OSPF process: an interface carrying one is
#: govops' even when the estate no longer defines it.
GOVOPS_MARKS = (r"description (uplink|downlink|peer|eBGP) to \S+ \(\d+[GM]\)(, plane \S+)?$",
                r"description (router-id, iBGP source|router-id, plane \S+|(town )?LAN \(.*\)|"
                r"management \(out of band\))$",
                r"ospf (enable )?1 area ", r"ospfv3 1 area ")
VENDOR_INTERFACE_LINES = ("description ", "ip address ", "ipv6 address ", "ipv6 enable",
                           "ospf ", "ospfv3 ", "traffic-filter ", "packet-filter ",
                           "ip binding ", "bfd ", "isis ", "dot1q termination ",
                           "vlan-type dot1q ")
#: OSPF/OSPFv3 processes of a plane's VPN instance: govops' when the intent has that instance
#: (or the name starts with one of govops' prefixes), the site's otherwise.
PLANE_PROCESSES = (r"^ospf \d+ (?:router-id \S+ )?vpn-instance (?P<name>\S+)$",
                   r"^ospfv3 \d+ vpn-instance (?P<name>\S+)$")
GOVOPS_STATIC = r"ipv6? route-static .* description (town LAN|province) aggregate$"
