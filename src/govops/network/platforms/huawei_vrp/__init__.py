"""Huawei VRP (CE, NE40E, S-series, AR): `undo`, `quit`, `#` separators, managed scope."""

from __future__ import annotations

from govops.network.platforms import BgpSyntax, PlatformSpec
from govops.network.platforms.huawei_vrp.displays import DISPLAYS
from govops.network.platforms.huawei_vrp.hier import VrpDriver, normalise_vrp
from govops.network.platforms.huawei_vrp.lint import LINT_REFS
from govops.network.platforms.huawei_vrp.scope import SCOPE

SPEC = PlatformSpec(
    name="huawei_vrp", templates="huawei_vrp", hier_driver=VrpDriver, normalise=normalise_vrp,
    netmiko_device_type="huawei", negation="undo ", section_exit="quit",
    show_running="display current-configuration",
    views={1: r"^(interface |bfd$|route-policy |aaa$|ospf |ospfv3 |bgp |acl |"
              r"ip vpn-instance |user-interface )",
           2: r"^(area |ipv4-family|ipv6-family)"},
    bgp=BgpSyntax("bgp ", "undo ", "peer", ("as-number", "group"),
                  ("ipv4-family ", "ipv6-family ")),
    scope=SCOPE, last_line="return",
    displays=DISPLAYS, lint_refs=LINT_REFS, lint_shape="vendor",
    live_driver="govops.network.platforms.huawei_vrp.driver:VrpDriver",
)
