"""What govops knows per platform: template folder, hier_config driver, how its config reads.

One `PlatformSpec` per estate platform. `render` picks the template folder, `diff` the
hier_config driver and the normaliser that turns what the device prints
(`show running-config`, `display current-configuration`) and what govops renders into one
comparable text. The push engineer adds Netmiko device types here, not in the callers.
"""

from __future__ import annotations

from dataclasses import dataclass

from hier_config import Platform

from govops.errors import BadInput
from govops.network.scope import ManagedScope


@dataclass(frozen=True)
class PlatformSpec:
    """One platform: `name` as the estate spells it."""

    name: str
    #: Folder under network/templates/.
    templates: str
    #: hier_config driver (VRP and Comware have their own; FRR's vtysh reads like IOS).
    hier_platform: Platform
    #: Netmiko device_type for the push (FRR's vtysh answers like IOS).
    netmiko_device_type: str
    #: How the device negates a command.
    negation: str
    #: How a section is left in the remediation commands.
    section_exit: str
    #: The command that prints the running config.
    show_running: str
    #: What govops owns on a device of this platform (default: everything).
    scope: ManagedScope = ManagedScope(owns_all=True)
    #: The line every saved running config ends with (None: not checked).
    last_line: str | None = None


#: Names of the objects govops renders (route policies, prefix lists): govops' even when the
#: intent no longer uses them, so a stale one is removed.
GOVOPS_NAMES = ("EXTRANET-", "CARRIER-IN-", "CARRIER-OUT-", "ISOLATED-V", "DEFAULT-V",
                "PROVINCE-V", "RR-CLIENTS-", "GOVOPS-")
#: Descriptions govops gives interfaces, and its OSPF process: an interface carrying one is
#: govops' even when the estate no longer defines it.
GOVOPS_MARKS = (r"description (uplink|downlink|peer|eBGP) to \S+ \(\d+[GM]\)$",
                r"description (router-id, iBGP source|town LAN \(.*\)|management \(out of "
                r"band\))$",
                r"ospf (enable )?1 area ", r"ospfv3 1 area ")
_VENDOR_INTERFACE_LINES = ("description ", "ip address ", "ipv6 address ", "ipv6 enable",
                           "ospf ", "ospfv3 ", "traffic-filter ", "packet-filter ",
                           "ip binding ", "bfd ", "isis ")
_STATIC = r"ipv6? route-static .* description (town LAN|province) aggregate$"

VRP_SCOPE = ManagedScope(
    owned=(r"ospf 1( |$)", r"ospfv3 1$", r"bfd$", _STATIC),
    named=(r"^route-policy (?P<name>\S+) ", r"^ip ip-prefix (?P<name>\S+) ",
           r"^ip ipv6-prefix (?P<name>\S+) ", r"^acl (?:ipv6 )?(?:number|name) (?P<name>\S+)",
           r"^ip vpn-instance (?P<name>\S+)$"),
    name_prefixes=GOVOPS_NAMES,
    interface_lines=_VENDOR_INTERFACE_LINES,
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

COMWARE_SCOPE = ManagedScope(
    owned=(r"ospf 1( |$)", r"ospfv3 1$", r"bfd ", _STATIC),
    named=(r"^route-policy (?P<name>\S+) ", r"^ip prefix-list (?P<name>\S+) ",
           r"^ipv6 prefix-list (?P<name>\S+) ",
           r"^acl (?:ipv6 )?(?:advanced|basic|number|name) (?P<name>\S+)",
           r"^ip vpn-instance (?P<name>\S+)$", r"^vlan (?P<name>\d+)$"),
    name_prefixes=GOVOPS_NAMES,
    interface_lines=_VENDOR_INTERFACE_LINES,
    marks=GOVOPS_MARKS,
    prunable={
        "ntp": ((r"ntp-service (ipv6 )?unicast-(server|peer) ",),),
        "syslog": ((r"info-center loghost (?!source )",),),
        "snmp": ((r"snmp-agent (community|target-host|usm-user|group|mib-view|trap "
                  r"target-host) ",),),
        "users": ((r"local-user ",),),
        "aaa": ((r"hwtacacs scheme ",), (r"radius scheme ",), (r"domain (?!default )",)),
        "vty": ((r"line vty ",),),
        "static-routes": ((r"ipv6? route-static ",),),
    },
)

PLATFORMS: dict[str, PlatformSpec] = {
    "frr": PlatformSpec(
        name="frr", templates="frr", hier_platform=Platform.CISCO_IOS,
        netmiko_device_type="cisco_ios", negation="no ", section_exit="exit",
        show_running="show running-config",
    ),
    "cisco_ios": PlatformSpec(
        name="cisco_ios", templates="cisco_ios", hier_platform=Platform.CISCO_IOS,
        netmiko_device_type="cisco_ios", negation="no ", section_exit="exit",
        show_running="show running-config",
    ),
    "huawei_vrp": PlatformSpec(
        name="huawei_vrp", templates="huawei_vrp", hier_platform=Platform.HUAWEI_VRP,
        netmiko_device_type="huawei", negation="undo ", section_exit="quit",
        show_running="display current-configuration", scope=VRP_SCOPE, last_line="return",
    ),
    "h3c_comware": PlatformSpec(
        name="h3c_comware", templates="h3c_comware", hier_platform=Platform.HP_COMWARE5,
        netmiko_device_type="hp_comware", negation="undo ", section_exit="quit",
        show_running="display current-configuration", scope=COMWARE_SCOPE,
        last_line="return",
    ),
}


def platform_spec(name: str) -> PlatformSpec:
    """The spec of platform `name`; BadInput naming the known ones otherwise."""
    try:
        return PLATFORMS[name]
    except KeyError:
        known = ", ".join(sorted(PLATFORMS))
        raise BadInput(f'platform "{name}" is not supported: use one of {known}') from None
