"""Lint references of h3c_comware: each (kind, definition regex, use regex), group 1 the name.
Both dialects: Comware 7's and Comware 5's spelling of a kind are one kind (`ip prefix-list` /
`ip ip-prefix`, `acl advanced` / `acl number`, peer groups in `ipv6-family`)."""

from __future__ import annotations

LINT_REFS = (
    # one entry per kind: a definition matches only the first entry that defines its kind
    ("route-policy", r"^route-policy (\S+) (?:permit|deny) node \d+$",
     r"^ +(?:peer \S+|route-replicate from .*) route-policy (\S+)(?: import| export)?$"),
    ("ip prefix-list", r"^ip (?:prefix-list|ip-prefix) (\S+) ",
     r"^ if-match (?:ip address prefix-list|ip-prefix) (\S+)$"),
    ("ipv6 prefix-list", r"^(?:ipv6 prefix-list|ip ipv6-prefix) (\S+) ",
     r"^ if-match ipv6 address prefix-list (\S+)$"),
    ("acl", r"^acl (?:advanced|number) (\d+)$",
     r"^ (?:firewall )?packet-filter (\d+) (?:in|out)bound$"),
    ("acl ipv6", r"^acl ipv6 (?:advanced|number) (\d+)$",
     r"^ (?:firewall )?packet-filter ipv6 (\d+) (?:in|out)bound$"),
    ("vpn-instance", r"^ip vpn-instance (\S+)$",
     r"^(?: ip binding |ospfv3? \d+ (?:router-id \S+ )?|  route-replicate from )"
     r"vpn-instance (\S+)(?: .*)?$"),
    ("peer group", r"^ +group (\S+) (?:internal|external)$",
     r"^ +peer \S+ group (\S+)$"),
)
