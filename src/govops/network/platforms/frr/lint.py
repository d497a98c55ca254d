"""Lint references of frr: each (kind, definition regex, use regex), group 1 the name."""

from __future__ import annotations

LINT_REFS = (
    ("route-map", r"^route-map (\S+) (?:permit|deny) \d+$",
     r"^ {1,2}(?:neighbor \S+|redistribute \S+) route-map (\S+)(?: in| out)?$"),
    ("ip prefix-list", r"^ip prefix-list (\S+) ",
     r"^ match ip address prefix-list (\S+)$"),
    ("ipv6 prefix-list", r"^ipv6 prefix-list (\S+) ",
     r"^ match ipv6 address prefix-list (\S+)$"),
    ("bfd profile", r"^ profile (\S+)$",
     r"^ (?:ip ospf|ipv6 ospf6|neighbor \S+) bfd profile (\S+)$"),
    ("peer-group", r"^ neighbor (\S+) peer-group$",
     r"^ neighbor \S+ peer-group (\S+)$"),
)
