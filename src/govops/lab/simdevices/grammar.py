"""What each simulated CLI flavour knows: its views, its keywords, the commands that replace.

Modelled on the vendors' command references (sources beside each table):
- Huawei CloudEngine 6800 V200R019 and NE40E V800R012 "Command Reference" (VRP V8, two-stage
  commit: `commit`, `commit trial`, `abort trial`, `display configuration commit list`);
- Huawei S5731/S5735 V200R019 "Command Reference" and AR6300 V300R019 (VRP V5, immediate mode);
- H3C S6850/S5560X Comware 7 "Fundamentals Command Reference" (`configuration commit delay`,
  `configuration replace file`, `save force`) and "Layer 3 IP Routing Command Reference";
- H3C Comware 5.20 "Fundamentals Configuration Guide" (S5500-HI, S5810, MSR; configuration
  rollback with `archive configuration` and `configuration replace file`, no commit delay;
  `user-interface` instead of `line`), and its routing references (SR8800 Release 3347, MSR):
  OSPF `network` in the area view, BGP `ipv6-family`, `ip ip-prefix`, `acl number`; the
  Comware-7-only lines it refuses are listed in `_REFUSED` (sources:
  src/govops/network/platforms/h3c_comware/SOURCES.md).

A flavour is "vrp8", "vrp5", "comware7" or "comware5"; Netmiko's device type picks it
(`FLAVOUR_OF`), unless the model table names one (`flavour = "comware5"`: Netmiko's
`hp_comware` serves Comware 5 and 7 alike).
"""

from __future__ import annotations

import re

FLAVOURS = ("vrp8", "vrp5", "comware7", "comware5")
#: Netmiko device type → simulated CLI flavour.
FLAVOUR_OF = {"huawei_vrpv8": "vrp8", "huawei": "vrp5", "huawei_vrp": "vrp5",
              "hp_comware": "comware7", "h3c_comware": "comware7"}

#: Commands that enter a view, by the kind of the view they are typed in. A view's kind is
#: the first key of its header (see `view_kind`). Sources: the command references above.
_VIEWS = {
    "vrp": {
        "system": r"^(interface \S+|bfd|route-policy \S+ (permit|deny) node \d+|aaa|"
                  r"ospf \d+( router-id \S+)?( vpn-instance \S+)?|ospfv3 \d+( vpn-instance \S+)?|"
                  r"bgp \d+(\.\d+)?|"
                  r"acl (ipv6 )?(number|name) \S+( .*)?|ip vpn-instance \S+|"
                  r"user-interface (vty|con|maint-interface) .*)$",
        "ospf": r"^area \S+$", "ospfv3": r"^area \S+$",
        "bgp": r"^(ipv4|ipv6)-family( unicast| vpn-instance \S+)?$",
        "vpn": r"^ipv[46]-family$",
        "aaa": r"^((authentication|authorization|accounting)-scheme \S+|domain \S+)$",
    },
    "comware": {
        "system": r"^(interface \S+|route-policy \S+ (permit|deny) node \d+|"
                  r"ospf \d+( router-id \S+)?( vpn-instance \S+)?|ospfv3 \d+( vpn-instance \S+)?|"
                  r"bgp \d+|acl (ipv6 )?(advanced|basic|number) \S+( .*)?|"
                  r"ip vpn-instance \S+|ip public-instance|"
                  r"line (vty|class|aux|con) .*|user-interface (vty|aux|con) .*|"
                  r"local-user \S+( class \S+)?|vlan \d+|"
                  r"domain \S+|role name \S+|user-group \S+)$",
        "ospf": r"^area \S+$", "ospfv3": r"^area \S+$",
        "bgp": r"^(address-family (ipv4|ipv6)( unicast)?|ip vpn-instance \S+|"
               r"ipv6-family( unicast)?|ipv4-family( unicast| vpn-instance \S+)?)$",
        "vpn": r"^address-family ipv[46]$",
    },
}

#: First keywords each family accepts (in any configuration view). Anything else is an
#: unrecognised command, as on the device.
_KEYWORDS = {
    "vrp": set("""sysname ipv6 ip info-center bfd vlan acl aaa interface bgp ospf ospfv3
        route-policy snmp-agent stelnet ssh ntp-service user-interface description undo
        portswitch shutdown traffic-filter peer router-id network import-route
        ipv4-family ipv6-family route-distinguisher vpn-target area bandwidth-reference
        rule if-match apply local-user authentication-mode protocol clock dhcp lldp stp
        port sflow set drop http dot1x-template authentication-profile license telnet
        header filter-policy preference maximum-paths silent-interface default
        synchronization undo timer graceful-restart frr authentication-scheme
        authorization-scheme accounting-scheme domain idle-timeout user privilege
        mtu speed duplex negotiation loopback-detect carrier cpu-defend qos
        free-rule-template portal-access-profile mac-access-profile dhcp-access-profile
        ssl pki wlan capwap arp mac-address isis mpls lacp eth-trunk load-balance
        ospf-enable group reflect-client dot1q vpn-instance-capability import-rib""".split()),
    "comware": set("""sysname ipv6 ip info-center bfd vlan acl interface bgp ospf ospfv3
        route-policy snmp-agent ssh ntp-service line description undo port shutdown
        packet-filter peer router-id network import-route address-family
        route-distinguisher vpn-target area bandwidth-reference rule if-match apply
        local-user authentication-mode protocol clock dhcp lldp stp set password
        user-role service-type domain role user-group irf system-working-mode xbar
        password-recovery copyright-info version header telnet mtu speed duplex
        balance preference maximum silent-interface default timer graceful-restart
        authorization-attribute public-key scheme ntp ntp-service mac-address arp
        link-aggregation jumboframe combo enable group reflect-client
        user-interface archive vlan-type vpn-instance-capability route-replicate
        firewall ipv4-family ipv6-family synchronization next-hop-local""".split()),
}

#: What one flavour of a family does not know: (regex on the command, with a group `bad` on
#: the word the device's caret points at). Comware 5.20 lacks Comware 7's spellings (and
#: the other way round); sources: src/govops/network/platforms/h3c_comware/SOURCES.md.
_U = r"^(?:undo )?"
_REFUSED = {
    "comware5": [re.compile(p) for p in (
        _U + r"(?P<bad>address-family)\b", _U + r"(?P<bad>line) ",
        _U + r"acl (?:ipv6 )?(?P<bad>advanced|basic)\b", _U + r"ip (?P<bad>prefix-list)\b",
        _U + r"ip (?P<bad>public-instance)\b", _U + r"ipv6 (?P<bad>prefix-list)\b",
        _U + r"if-match ip (?P<bad>address)\b", _U + r"(?P<bad>route-replicate)\b",
        _U + r"ntp-service (?P<bad>enable)$", _U + r"ntp-service (?P<bad>ipv6)\b",
        _U + r"(?P<bad>user-role)\b", _U + r"authorization-attribute (?P<bad>user-role)\b",
        r"^local-user \S+ (?P<bad>class)\b", _U + r"ospf (?P<bad>\d+) area\b",
        _U + r"ospfv3 (?P<bad>bfd)\b", _U + r"info-center source \S+ (?P<bad>(?!channel\b)\S+)",
    )],
    "comware7": [re.compile(p) for p in (
        _U + r"(?P<bad>user-interface)\b", _U + r"(?P<bad>ipv[46]-family)\b",
        _U + r"ip (?P<bad>ip-prefix|ipv6-prefix)\b",
    )],
}

#: Single-keyword commands that are complete on their own.
_ALONE = {"bfd", "aaa", "ipv6", "quit", "return", "shutdown", "portswitch", "snmp-agent",
          "ipv4-family", "ipv6-family", "synchronization"}

#: Lines that hold one value: typing the command again replaces the line (key → regex whose
#: match, with the numbered groups joined, is the key). Both vendors' references say so for
#: each ("the latest configuration overrides the previous one").
_REPLACE = [re.compile(p) for p in (
    r"^(sysname) ",
    r"^(description) ",
    r"^(ip address) \S+ \S+$",
    r"^(ospf cost) ", r"^(ospfv3 cost) ", r"^(ospf network-type) ", r"^(ospfv3 network-type) ",
    r"^(ospf bfd min)", r"^(ospfv3 bfd min)", r"^(ospf enable \d+) ", r"^(ospf \d+ area) ",
    r"^(ospfv3 \d+ area) ", r"^(router-id) ", r"^(bandwidth-reference) ",
    r"^(peer \S+ as-number) ", r"^(peer \S+ description) ", r"^(peer \S+ connect-interface) ",
    r"^(peer \S+ group) ", r"^(peer \S+ route-policy) \S+ (import|export)$",
    r"^(route-distinguisher) ", r"^(bfd min-transmit-interval) ",
    r"^(bfd min-receive-interval) ", r"^(bfd detect-multiplier) ",
    r"^(snmp-agent sys-info location) ", r"^(rule \d+) ",
    r"^(ip (ip|ipv6)-prefix \S+ index \d+) ", r"^(packet-filter (ipv6 )?)\S+ (inbound|outbound)$",
    r"^(traffic-filter (inbound|outbound) (ipv6 )?acl) ",
    r"^(ipv6 route-static \S+ \S+ \S+)", r"^(ip route-static \S+ \S+ \S+)",
    r"^(authentication-mode) ", r"^(user-role) ", r"^(ip binding vpn-instance) ",
)]


#: Interfaces that can be created and deleted; every other one is a port of the box
#: (physical, management, NULL0), which `undo interface` cannot remove.
_LOGICAL = re.compile(r"^(LoopBack|Vlanif|Vlan-interface|Tunnel|Eth-Trunk|Bridge-Aggregation|"
                      r"Route-Aggregation|Vbdif|Virtual-Template|Dialer)|\.", re.IGNORECASE)


def physical_port(name: str) -> bool:
    """True when interface `name` is part of the box (it cannot be created or deleted)."""
    return not _LOGICAL.search(name)


def family(flavour: str) -> str:
    """'vrp' or 'comware'."""
    return "comware" if flavour.startswith("comware") else "vrp"


def view_kind(header: str) -> str:
    """The kind of the view a section header opens: interface, bgp, ospf, family, …"""
    words = header.split()
    if not words:
        return "system"
    if words[0] in ("ipv4-family", "ipv6-family", "address-family"):
        return "family"
    if words[:2] in (["ip", "vpn-instance"], ["ip", "public-instance"]):
        return "vpn"
    return words[0]


def enters_view(flavour: str, parent_kind: str, command: str) -> bool:
    """True when `command`, typed in a view of `parent_kind`, opens a sub-view."""
    pattern = _VIEWS[family(flavour)].get(parent_kind)
    return bool(pattern and re.match(pattern, command))


def section_key(command: str) -> str:
    """What identifies a section: `ospf 1` for `ospf 1 router-id X` (and `ospf 200` for `ospf
    200 router-id X vpn-instance P`, `ospfv3 200` for `ospfv3 200 vpn-instance P`: a process
    number names one process whatever instance it serves), else the whole header."""
    words = command.split()
    if words[0] in ("ospf", "ospfv3") and len(words) >= 2:
        return " ".join(words[:2])
    return command


def replace_key(command: str) -> str | None:
    """The key of a one-value line (typing it again replaces the old value), else None."""
    for pattern in _REPLACE:
        m = pattern.match(command)
        if m:
            return " ".join(g for g in m.groups() if g)
    return None


def refused(flavour: str, command: str) -> int | None:
    """Where in `command` the word is that this flavour does not know (a spelling of the
    family's other flavour), else None."""
    for pattern in _REFUSED.get(flavour, ()):
        if m := pattern.match(command):
            return m.start("bad")
    return None


def check(flavour: str, command: str) -> str | None:
    """None when the command is known; else 'unrecognized' or 'incomplete'."""
    words = command.split()
    if not words:
        return None
    first = words[1] if words[0] == "undo" and len(words) > 1 else words[0]
    if first not in _KEYWORDS[family(flavour)] or refused(flavour, command) is not None:
        return "unrecognized"
    if len(words) == 1 and words[0] not in _ALONE:
        return "incomplete"
    return None


def error_text(flavour: str, kind: str, command: str, prompt_len: int = 0) -> str:
    """The device's answer to an unknown or incomplete command: a caret under the bad word
    (counting the prompt it was typed after), then the error marker."""
    words = command.split()
    if kind == "physical":  # wording: the simulator's own (ADR 0020)
        if family(flavour) == "comware":
            return "% Physical interfaces cannot be deleted."
        return "Error: The physical interface cannot be deleted."
    bad = words[1] if words[0] == "undo" and len(words) > 1 else words[0]
    at = command.find(bad) if kind == "unrecognized" else len(command)
    if kind == "unrecognized" and (where := refused(flavour, command)) is not None:
        at = where
    caret = " " * (prompt_len + at) + "^"
    what = "Unrecognized" if kind == "unrecognized" else "Incomplete"
    if family(flavour) == "comware":
        return f"{caret}\n % {what} command found at '^' position."
    return f"{caret}\nError: {what} command found at '^' position."
