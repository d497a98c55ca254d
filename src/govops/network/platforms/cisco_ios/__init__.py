"""Cisco IOS (the simulated carriers' syntax): hier_config's own IOS driver."""

from __future__ import annotations

from hier_config.platforms.cisco_ios.driver import HConfigDriverCiscoIOS

from govops.network.platforms import BgpSyntax, PlatformSpec
from govops.network.platforms.cisco_ios.hier import normalise_ios
from govops.network.platforms.frr.lint import LINT_REFS
from govops.network.scope import ManagedScope

SPEC = PlatformSpec(
    name="cisco_ios", templates="cisco_ios", hier_driver=HConfigDriverCiscoIOS,
    normalise=normalise_ios, netmiko_device_type="cisco_ios", negation="no ",
    section_exit="exit", show_running="show running-config",
    views={1: r"^(interface |router |route-map |line |ip access-list )"},
    bgp=BgpSyntax("router bgp ", "no ", "neighbor", ("remote-as", "peer-group"),
                  ("address-family ",)),
    lint_refs=LINT_REFS[:3],
    # the simulated carriers are govops' whole; their physical ports are still never removed
    scope=ManagedScope(owns_all=True, logical=r"^(Loopback|Tunnel|Vlan|Port-channel|BDI)|\."),
)
