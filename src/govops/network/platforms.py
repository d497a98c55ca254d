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
        show_running="display current-configuration",
    ),
    "h3c_comware": PlatformSpec(
        name="h3c_comware", templates="h3c_comware", hier_platform=Platform.HP_COMWARE5,
        netmiko_device_type="hp_comware", negation="undo ", section_exit="quit",
        show_running="display current-configuration",
    ),
}


def platform_spec(name: str) -> PlatformSpec:
    """The spec of platform `name`; BadInput naming the known ones otherwise."""
    try:
        return PLATFORMS[name]
    except KeyError:
        known = ", ".join(sorted(PLATFORMS))
        raise BadInput(f'platform "{name}" is not supported: use one of {known}') from None
