"""Huawei VRP managed scope: what govops owns on a VRP device (see `govops.network.scope`)."""

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
    owned=(r"ospf 1( |$)", r"ospfv3 1$", r"bfd$", GOVOPS_STATIC),
    named=(r"^route-policy (?P<name>\S+) ", r"^ip ip-prefix (?P<name>\S+) ",
           r"^ip ipv6-prefix (?P<name>\S+) ", r"^acl (?:ipv6 )?(?:number|name) (?P<name>\S+)",
           r"^ip vpn-instance (?P<name>\S+)$", *PLANE_PROCESSES),
    name_prefixes=GOVOPS_NAMES,
    interface_lines=VENDOR_INTERFACE_LINES,
    marks=GOVOPS_MARKS,
    prunable={
        "ntp": ((r"ntp-service unicast-(server|peer) ",),),
        "syslog": ((r"info-center loghost (?!source )",),),
        "snmp": ((r"snmp-agent (community|target-host|usm-user|group|mib-view|trap "
                  r"target-host) ",),),
        "users": ((r"aaa$", r"local-user "),),
        "aaa": ((r"hwtacacs-server template ",), (r"radius-server template ",),
                (r"aaa$", r"(authentication|authorization|accounting)-scheme (?!default$)"),
                (r"aaa$", r"domain (?!default(_admin)?$)")),
        "vty": ((r"user-interface vty ",),),
        "static-routes": ((r"ipv6? route-static ",),),
    },
)
