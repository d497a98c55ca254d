"""H3C Comware 7 and 5: like VRP on the wire (`undo`, `quit`, `#`), managed scope.

A model whose table entry says `flavour = "comware5"` gets Comware 5's dialect from the same
templates (`ipv6-family`, `ip ip-prefix`, `acl number`, `user-interface`; SOURCES.md in this
folder) and its own `display` commands (`displays.py`); the normaliser, scope and lint
references read both dialects."""

from __future__ import annotations

from govops.network.platforms import BgpSyntax, PlatformSpec
from govops.network.platforms.h3c_comware.displays import DISPLAYS
from govops.network.platforms.h3c_comware.hier import ComwareDriver, normalise_comware
from govops.network.platforms.h3c_comware.lint import LINT_REFS
from govops.network.platforms.h3c_comware.scope import SCOPE

SPEC = PlatformSpec(
    name="h3c_comware", templates="h3c_comware", hier_driver=ComwareDriver,
    normalise=normalise_comware, netmiko_device_type="hp_comware", negation="undo ",
    section_exit="quit", show_running="display current-configuration",
    views={1: r"^(interface |route-policy |ospf |ospfv3 |bgp |acl |"
              r"ip vpn-instance |ip public-instance$|line |user-interface |local-user |"
              r"vlan \d+$)",
           2: r"^(area |address-family |ipv[46]-family( |$))"},
    bgp=BgpSyntax("bgp ", "undo ", "peer", ("as-number", "group"),
                  ("address-family ", "ipv4-family", "ipv6-family")),
    scope=SCOPE, last_line="return",
    displays=DISPLAYS, lint_refs=LINT_REFS, lint_shape="vendor",
    live_driver="govops.network.platforms.h3c_comware.driver:ComwareDriver",
)
