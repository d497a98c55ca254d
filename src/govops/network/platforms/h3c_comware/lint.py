"""Lint references of h3c_comware: each (kind, definition regex, use regex), group 1 the name."""

from __future__ import annotations

LINT_REFS = (
    # one entry per kind: a definition matches only the first entry that defines its kind
    ("route-policy", r"^route-policy (\S+) (?:permit|deny) node \d+$",
     r"^  (?:peer \S+|route-replicate from .*) route-policy (\S+)(?: import| export)?$"),
    ("ip prefix-list", r"^ip prefix-list (\S+) ",
     r"^ if-match ip address prefix-list (\S+)$"),
    ("ipv6 prefix-list", r"^ipv6 prefix-list (\S+) ",
     r"^ if-match ipv6 address prefix-list (\S+)$"),
    ("acl", r"^acl advanced (\d+)$",
     r"^ packet-filter (\d+) (?:in|out)bound$"),
    ("acl ipv6", r"^acl ipv6 advanced (\d+)$",
     r"^ packet-filter ipv6 (\d+) (?:in|out)bound$"),
    ("vpn-instance", r"^ip vpn-instance (\S+)$",
     r"^(?: ip binding |ospfv3? \d+ (?:router-id \S+ )?|  route-replicate from )"
     r"vpn-instance (\S+)(?: .*)?$"),
    ("peer group", r"^ group (\S+) (?:internal|external)$",
     r"^ peer \S+ group (\S+)$"),
)
