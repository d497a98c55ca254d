"""Lint references of huawei_vrp: each (kind, definition regex, use regex), group 1 the name."""

from __future__ import annotations

LINT_REFS = (
    # one entry per kind: a definition matches only the first entry that defines its kind
    ("route-policy", r"^route-policy (\S+) (?:permit|deny) node \d+$",
     r"^  (?:peer \S+|import-(?:rib|route) .*) route-policy (\S+)(?: import| export)?$"),
    ("ip-prefix", r"^ip ip-prefix (\S+) ",
     r"^ if-match ip-prefix (\S+)$"),
    ("ipv6-prefix", r"^ip ipv6-prefix (\S+) ",
     r"^ if-match ipv6 address prefix-list (\S+)$"),
    ("acl", r"^acl number (\d+)$",
     r"^ traffic-filter (?:inbound|outbound) acl (\d+)$"),
    ("acl ipv6", r"^acl ipv6 number (\d+)$",
     r"^ traffic-filter (?:inbound|outbound) ipv6 acl (\d+)$"),
    ("vpn-instance", r"^ip vpn-instance (\S+)$",
     r"^(?: ip binding |ospfv3? \d+ (?:router-id \S+ )?| ipv[46]-family |  import-rib )"
     r"vpn-instance (\S+)(?: .*)?$"),
    ("peer group", r"^ group (\S+) (?:internal|external)$",
     r"^ peer \S+ group (\S+)$"),
)
