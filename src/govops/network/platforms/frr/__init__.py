"""FRR 8.4 (the lab's routers): govops owns the whole config; vtysh reads like IOS."""

from __future__ import annotations

from govops.network.platforms import BgpSyntax, PlatformSpec
from govops.network.platforms.frr.hier import FrrDriver, normalise_frr
from govops.network.platforms.frr.lint import LINT_REFS

SPEC = PlatformSpec(
    name="frr", templates="frr", hier_driver=FrrDriver, normalise=normalise_frr,
    netmiko_device_type="cisco_ios", negation="no ", section_exit="exit",
    show_running="show running-config",
    views={1: r"^(interface |router |route-map |bfd$|line vty$|vrf )",
           2: r"^(profile |address-family )"},
    bgp=BgpSyntax("router bgp ", "no ", "neighbor", ("remote-as", "peer-group"),
                  ("address-family ",)),
    lint_refs=LINT_REFS, lint_shape="frr", plane_configs=True,
    live_driver="govops.network.drivers.frr:FrrDriver",
)
