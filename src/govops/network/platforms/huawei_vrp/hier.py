"""Huawei VRP: the hier_config driver and the normaliser of `display current-configuration`."""

from __future__ import annotations

import re

from hier_config.models import PerLineSubRule
from hier_config.platforms.driver_base import HConfigDriverRules
from hier_config.platforms.huawei_vrp.driver import HConfigDriverHuaweiVrp

from govops.network.platforms._vendor import vendor_idempotent, vendor_lines, vendor_ordering


class VrpDriver(HConfigDriverHuaweiVrp):
    """Huawei VRP (system-view): `undo`, `quit`, one-space indentation."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        rules = HConfigDriverHuaweiVrp._instantiate_rules()
        return rules.model_copy(update={
            "idempotent_commands": rules.idempotent_commands + vendor_idempotent(),
            "ordering": rules.ordering + vendor_ordering(),
            "per_line_sub": rules.per_line_sub + [PerLineSubRule(search=r"^return$",
                                                                 replace="")],
            "indentation": 1,
        })


#: Sections and lines VRP prints on every box that govops does not manage.
_VRP_UNMANAGED = (
    re.compile(r"^(drop illegal-mac alarm|set cpu-usage threshold .*|undo telnet server enable"
               r"|undo telnet ipv6 server enable|diffserv domain default|"
               r"clock timezone .*|undo http server enable|undo http secure-server enable|"
               r"http server enable|http secure-server enable|dot1x-template \d+|"
               r"undo ntp-service enable|authentication-profile name default_authen_profile)$"),
)
_VRP_UNMANAGED_SECTIONS = re.compile(
    r"^(interface NULL0|user-interface (con|maint-interface) .*|dot1x-template \d+|"
    r"authentication-profile name .*|free-rule-template name .*|portal-access-profile .*|"
    r"mac-access-profile name .*|dhcp-access-profile .*|ssl policy .*|pki realm default|"
    r"pki entity .*|ip vpn-instance __LOCAL_OAM_VPN__|license|wlan)$"
)
#: Lines VRP prints inside `aaa` whatever one configures.
_VRP_AAA_DEFAULTS = re.compile(
    r"^ (authentication-scheme default|authorization-scheme default|accounting-scheme default"
    r"|domain default|domain default_admin|authentication-scheme radius|"
    r"local-aaa-user password policy administrator)$"
)


def normalise_vrp(text: str) -> str:
    """Huawei VRP config (rendered, or `display current-configuration`) in canonical form."""
    def unmanaged(head: str) -> bool:
        return bool(_VRP_UNMANAGED[0].match(head) or _VRP_UNMANAGED_SECTIONS.match(head))

    def inner(section: str, line: str) -> bool:
        return section == "aaa" and bool(_VRP_AAA_DEFAULTS.match(line))

    return "\n".join(vendor_lines(text, unmanaged, inner)) + "\n"
