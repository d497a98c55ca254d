"""H3C Comware 7 and 5: the hier_config driver and the normaliser of `display
current-configuration` (one for both dialects: Comware 5's `ipv6-family` is a BGP view left
with `quit` like Comware 7's `address-family`)."""

from __future__ import annotations

import re

from hier_config.models import PerLineSubRule, SectionalExitingRule
from hier_config.platforms.driver_base import HConfigDriverRules
from hier_config.platforms.hp_comware5.driver import HConfigDriverHPComware5
from hier_config.platforms.huawei_vrp.driver import HConfigDriverHuaweiVrp

from govops.network.platforms._vendor import vendor_idempotent, vendor_lines, vendor_ordering
from govops.network.platforms.common import idem, rule


class ComwareDriver(HConfigDriverHPComware5):
    """H3C Comware 7: like VRP on the wire (`undo`, `quit`, `#` separators)."""

    def swap_negation(self, child):  # noqa: ANN001, ANN201 - hier_config's signature
        return HConfigDriverHuaweiVrp.swap_negation(self, child)

    def sectional_exit(self, config):  # noqa: ANN001, ANN201
        result = super().sectional_exit(config)
        return "quit" if result == "exit" else result

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        rules = HConfigDriverHPComware5._instantiate_rules()
        return rules.model_copy(update={
            "per_line_sub": rules.per_line_sub + [
                PerLineSubRule(search=r"^\s*#.*", replace=""),
                PerLineSubRule(search=r"^return$", replace=""),
            ],
            "idempotent_commands": rules.idempotent_commands + vendor_idempotent() + idem(
                ("interface ", "bfd min-transmit-interval "),
                ("interface ", "bfd min-receive-interval "),
                ("interface ", "bfd detect-multiplier "),
            ),
            "ordering": rules.ordering + vendor_ordering(),
            "sectional_exiting": rules.sectional_exiting + [
                SectionalExitingRule(match_rules=rule("bgp ", family), exit_text="quit")
                for family in ("address-family ", "ipv4-family", "ipv6-family")
            ],
            "indentation": 1,
        })


_COMWARE_UNMANAGED = re.compile(
    r"^(version .*|irf mac-address persistent .*|irf auto-update enable|"
    r"undo irf link-delay|irf member \d+ priority \d+|lldp global enable|"
    r"system-working-mode .*|xbar .*|password-recovery enable|"
    r"undo copyright-info enable|clock timezone .*|"
    r"ip unreachables enable|ip ttl-expires enable|"
    r"domain default enable system|domain system|role name level-\d+|"
    r"user-group system|line class (aux|vty|console)|line aux \d+|line con \d+|"
    r"vlan 1|interface NULL0|interface Vlan-interface1|"
    r"ssh server ipv6 enable|undo telnet server enable|undo ip http enable|"
    r"undo ip https enable)$"
)


def normalise_comware(text: str) -> str:
    """H3C Comware 7 config (rendered, or `display current-configuration`), canonical."""
    def unmanaged(head: str) -> bool:
        return bool(_COMWARE_UNMANAGED.match(head))

    def inner(section: str, line: str) -> bool:
        return False

    return "\n".join(vendor_lines(text, unmanaged, inner)) + "\n"
