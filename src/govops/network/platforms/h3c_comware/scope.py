"""H3C Comware managed scope: what govops owns on a Comware device (see `govops.network.scope`)."""

from __future__ import annotations

from govops.network.platforms._vendor_scope import (
    GOVOPS_MARKS,
    GOVOPS_NAMES,
    GOVOPS_STATIC,
    PLANE_PROCESSES,
    VENDOR_INTERFACE_LINES,
)
from govops.network.scope import ManagedScope

SCOPE = ManagedScope(
    owned=(r"ospf 1( |$)", r"ospfv3 1$", GOVOPS_STATIC),
    named=(r"^route-policy (?P<name>\S+) ", r"^ip prefix-list (?P<name>\S+) ",
           r"^ipv6 prefix-list (?P<name>\S+) ",
           # Comware 5's prefix lists
           r"^ip ip-prefix (?P<name>\S+) ", r"^ip ipv6-prefix (?P<name>\S+) ",
           r"^acl (?:ipv6 )?(?:advanced|basic|number|name) (?P<name>\S+)",
           r"^ip vpn-instance (?P<name>\S+)$", *PLANE_PROCESSES, r"^vlan (?P<name>\d+)$"),
    name_prefixes=GOVOPS_NAMES,
    # Comware 5 MSR routers filter with `firewall packet-filter`
    interface_lines=(*VENDOR_INTERFACE_LINES, "firewall packet-filter "),
    marks=GOVOPS_MARKS,
    prunable={
        "ntp": ((r"ntp-service (ipv6 )?unicast-(server|peer) ",),),
        "syslog": ((r"info-center loghost (?!source )",),),
        "snmp": ((r"snmp-agent (community|target-host|usm-user|group|mib-view|trap "
                  r"target-host) ",),),
        "users": ((r"local-user ",),),
        "aaa": ((r"hwtacacs scheme ",), (r"radius scheme ",), (r"domain (?!default )",)),
        "vty": ((r"line vty ",), (r"user-interface vty ",)),
        "static-routes": ((r"ipv6? route-static ",),),
    },
)
