"""Running vs intended, per device: a unified diff and hier_config remediation commands.

    from govops.network.diff import diff_device, DirectorySource, diff_estate

    d = diff_device("frr", running_text, intended_text, device="town-tianhe-a")
    d.changes        # ['interface eth1', ' ip ospf cost 100', 'exit']  ([] when in sync)
    d.unified_diff   # '--- town-tianhe-a (running)\\n+++ town-tianhe-a (intended)\\n@@ ...'

Both sides are first *normalised* per platform, so that what a device prints and what govops
renders compare equal when they mean the same (see `normalise`):

* FRR 8.4 (`show running-config`): drop the banner (`Building configuration...`, `Current
  configuration:`, `frr version`, `end`), `!` separators and `exit`/`exit-address-family`
  lines; drop BFD profile values equal to FRR's defaults; put the top-level sections in the
  order FRR prints them (the rendered file loads `router ospf6` before the interfaces, FRR
  prints it after them); sort interfaces the way FRR does.
* Huawei VRP and H3C Comware (`display current-configuration`): drop `#` separators,
  `return`, `!Software Version…`/`version …` banners; un-indent the global commands these
  systems print with one leading space after a `#` (otherwise they would nest under the
  previous section); write IPv6 addresses the RFC 5952 way (VRP prints them upper case).
* Everywhere: lines holding secrets (local-user passwords, SNMP communities/users) are not
  compared; govops never renders secrets, the push sets them from the environment or vault.
  Device-default sections govops does not manage (VRP's `aaa` default schemes, `interface
  NULL0`, `user-interface con 0`, …) are left alone instead of being undone.

Remediation uses hier_config 3 with a driver per platform (`DRIVERS`): VRP and Comware leave
sections with `quit` and negate with `undo`; FRR uses an IOS-like driver in which `ip
address` is NOT idempotent (FRR keeps several addresses on an interface, so a changed address
needs `no ip address OLD`), and policy/BFD/OSPF processes are ordered before the interfaces
and BGP that refer to them. `changes` are the commands to type, with section exits.

Where running configs come from is a `RunningSource` (`get(name) -> str`): `DirectorySource`
reads saved files; the push engine supplies one that asks the devices.
"""

from __future__ import annotations

import difflib
import fnmatch
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from hier_config import HConfig, HConfigChild, WorkflowRemediation, get_hconfig
from hier_config.models import (
    IdempotentCommandsRule,
    MatchRule,
    NegationDefaultWithRule,
    OrderingRule,
    PerLineSubRule,
    SectionalExitingRule,
)
from hier_config.platforms.cisco_ios.driver import HConfigDriverCiscoIOS
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules
from hier_config.platforms.hp_comware5.driver import HConfigDriverHPComware5
from hier_config.platforms.huawei_vrp.driver import HConfigDriverHuaweiVrp

from govops.errors import BadInput
from govops.estate.errors import did_you_mean
from govops.estate.estate import Estate
from govops.estate.views import mgmt_port
from govops.network.platforms import platform_spec
from govops.network.scope import check_prune, keep_physical_ports, restrict
from govops.network.textblocks import fold
from govops.network.unreadable import UnreadableConfig, check_text, explain

# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceDiff:
    """Running vs intended for one device. `changes` is empty when they agree."""

    device: str
    unified_diff: str
    changes: list[str] = field(default_factory=list)
    platform: str = ""
    #: Lines of the running config outside managed scope, left alone (see `scope`).
    unmanaged: int = 0
    #: Why the device could not be diffed (one line); empty when it was.
    error: str = ""

    @property
    def in_sync(self) -> bool:
        """True when nothing needs to change (and the device could be read)."""
        return not self.changes and not self.error

    def to_dict(self) -> dict:
        """The JSON shape of `govops net diff --output json`."""
        data: dict = {"device": self.device, "changes": list(self.changes),
                      "unmanaged": self.unmanaged}
        if self.error:
            data["error"] = self.error
        return data


# -- where running configs come from ------------------------------------------------------


@runtime_checkable
class RunningSource(Protocol):
    """Gives the running configuration of a device by name (as the device prints it)."""

    def get(self, name: str) -> str:
        """The running config of `name`; raise `govops.errors.GovopsError` when it cannot."""
        ...


class DirectorySource:
    """Running configs saved as files: `<dir>/<name>.cfg` (or `.txt`, `.conf`, no suffix)."""

    SUFFIXES = (".cfg", ".txt", ".conf", "")

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise BadInput(f"--running {self.directory}: no such folder of saved running "
                           "configs")

    def path(self, name: str) -> Path | None:
        """The file holding `name`'s running config, or None."""
        for suffix in self.SUFFIXES:
            candidate = self.directory / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
        return None

    def get(self, name: str) -> str:
        path = self.path(name)
        if path is None:
            raise BadInput(f"{self.directory}/{name}.cfg: no saved running config for "
                           f"{name}: save it there, or leave the device out with --limit")
        return path.read_text(errors="replace")


# -- hier_config drivers ---------------------------------------------------------------------


def _rule(*prefixes: str) -> tuple[MatchRule, ...]:
    return tuple(MatchRule(startswith=p) for p in prefixes)


def _idem(*lineages: tuple[str, ...]) -> list[IdempotentCommandsRule]:
    return [IdempotentCommandsRule(match_rules=_rule(*lin)) for lin in lineages]


def _order(weights: Iterable[tuple[tuple[str, ...], int]]) -> list[OrderingRule]:
    return [OrderingRule(match_rules=_rule(*lin), weight=w) for lin, w in weights]


class FrrDriver(HConfigDriverCiscoIOS):
    """FRR 8.4's vtysh: IOS-like, with FRR's own idempotency and ordering."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        rules = HConfigDriverCiscoIOS._instantiate_rules()
        # FRR keeps every `ip address` given: changing one needs the old one removed.
        idempotent = [
            r for r in rules.idempotent_commands
            if not any(m.startswith == "ip address " for m in r.match_rules)
        ] + _idem(
            ("hostname ",),
            ("log syslog",),
            ("interface ", "ip ospf cost "),
            ("interface ", "ip ospf network "),
            ("interface ", "ip ospf bfd profile "),
            ("interface ", "ipv6 ospf6 cost "),
            ("interface ", "ipv6 ospf6 network "),
            ("interface ", "ipv6 ospf6 bfd profile "),
            ("router ospf", "ospf router-id "),
            ("router ospf6", "ospf6 router-id "),
            ("router bgp ", "bgp router-id "),
            ("bfd", "profile ", "detect-multiplier "),
            ("bfd", "profile ", "transmit-interval "),
            ("bfd", "profile ", "receive-interval "),
        )
        ordering = rules.ordering + _order([
            (("bfd",), -50),
            (("ip prefix-list ",), -40),
            (("ipv6 prefix-list ",), -40),
            (("route-map ",), -30),
            (("router ospf",), -20),  # also matches router ospf6
            (("router bgp ",), 50),
        ])
        # `no description TEXT` is not a command in FRR 8.4; `no description` is.
        negate_with = rules.negate_with + [
            NegationDefaultWithRule(match_rules=_rule("interface ", "description "),
                                    use="no description"),
        ]
        return rules.model_copy(update={"idempotent_commands": idempotent,
                                        "ordering": ordering, "negate_with": negate_with,
                                        "indentation": 1})


class VrpDriver(HConfigDriverHuaweiVrp):
    """Huawei VRP (system-view): `undo`, `quit`, one-space indentation."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        rules = HConfigDriverHuaweiVrp._instantiate_rules()
        return rules.model_copy(update={
            "idempotent_commands": rules.idempotent_commands + _vendor_idempotent(),
            "ordering": rules.ordering + _vendor_ordering(),
            "per_line_sub": rules.per_line_sub + [PerLineSubRule(search=r"^return$",
                                                                 replace="")],
            "indentation": 1,
        })


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
            "idempotent_commands": rules.idempotent_commands + _vendor_idempotent() + _idem(
                ("interface ", "bfd min-transmit-interval "),
                ("interface ", "bfd min-receive-interval "),
                ("interface ", "bfd detect-multiplier "),
            ),
            "ordering": rules.ordering + _vendor_ordering(),
            "sectional_exiting": rules.sectional_exiting + [
                SectionalExitingRule(match_rules=_rule("bgp ", "address-family "),
                                     exit_text="quit"),
            ],
            "indentation": 1,
        })


def _vendor_idempotent() -> list[IdempotentCommandsRule]:
    return _idem(
        ("sysname ",),
        ("interface ", "description "),
        ("interface ", "ip address "),
        ("interface ", "ospf cost "),
        ("interface ", "ospfv3 cost "),
        ("interface ", "ospf network-type "),
        ("interface ", "ospfv3 network-type "),
        ("interface ", "ospf bfd min"),
        ("interface ", "ospfv3 bfd min"),
        ("interface ", "ospf enable "),
        ("interface ", "ospf 1 area "),
        ("interface ", "ospfv3 1 area "),
        ("ospfv3 ", "router-id "),
        ("bgp ", "router-id "),
        ("snmp-agent sys-info location ",),
    )


def _vendor_ordering() -> list[OrderingRule]:
    return _order([
        (("bfd",), -60),
        (("ip vpn-instance ",), -55),
        (("acl ",), -50),
        (("ip ip-prefix ",), -45),
        (("ip ipv6-prefix ",), -45),
        (("ip prefix-list ",), -45),
        (("ipv6 prefix-list ",), -45),
        (("route-policy ",), -40),
        (("ospf ",), -30),
        (("ospfv3 ",), -30),
        (("bgp ",), 50),
    ])


DRIVERS: dict[str, Callable[[], HConfigDriverBase]] = {
    "frr": FrrDriver,
    "cisco_ios": HConfigDriverCiscoIOS,
    "huawei_vrp": VrpDriver,
    "h3c_comware": ComwareDriver,
}


@cache
def driver_for(platform: str) -> HConfigDriverBase:
    """The hier_config driver govops uses for `platform` (one instance per process)."""
    platform_spec(platform)
    return DRIVERS[platform]()


# -- normalisation -------------------------------------------------------------------------

#: Lines never compared: secrets are set by the push from the environment/vault, not rendered.
_SECRET = re.compile(
    r"^\s*(local-user \S+ password\b|password\b|enable (secret|password)\b|username \S+ "
    r"(password|secret)\b|snmp-agent community\b|snmp-agent usm-user\b|super password\b"
    r"|snmp-server community\b)"
)
_IPV6_TOKEN = re.compile(r"(?<![\w:.])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(/\d{1,3})?"
                         r"(?![\w:.])")


def _canon_ipv6(line: str) -> str:
    def fix(match: re.Match[str]) -> str:
        try:
            addr = ipaddress.IPv6Address(match.group(1))
        except ValueError:
            return match.group(0)
        return f"{addr.compressed}{match.group(2) or ''}"

    return _IPV6_TOKEN.sub(fix, line) if ":" in line else line


# FRR ---------------------------------------------------------------------------------------

_FRR_NOISE = re.compile(
    r"^(Building configuration\.\.\.|Current configuration:?|frr version .*|end|"
    r"exit|exit-address-family|exit-vrf|exit-vni|!.*)$"
)
#: BFD profile / peer values FRR does not print because they are its defaults.
_FRR_BFD_DEFAULTS = {"detect-multiplier 3", "transmit-interval 300", "receive-interval 300",
                     "echo-interval 50", "minimum-ttl 254"}
#: Top-level sections in the order FRR 8.4's `show running-config` prints them.
_FRR_ORDER: tuple[tuple[str, int], ...] = (
    ("frr defaults", 0), ("hostname ", 1), ("domainname ", 1), ("log ", 2),
    ("service ", 3), ("vrf ", 5), ("ip route ", 6), ("ipv6 route ", 7),
    ("interface ", 10), ("router bgp ", 20), ("router ospf6", 31), ("router ospf", 30),
    ("access-list ", 40), ("ipv6 access-list ", 41), ("ip prefix-list ", 42),
    ("ipv6 prefix-list ", 43), ("bgp as-path ", 44), ("bgp community-list ", 45),
    ("route-map ", 50), ("bfd", 60), ("line vty", 70),
)


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _frr_key(block: list[str], index: int) -> tuple:
    head = block[0]
    rank = 4  # unknown global lines sit with the other globals, after `service`
    for prefix, r in _FRR_ORDER:
        if head.startswith(prefix):
            rank = r
            break
    if rank == 10:
        return (rank, _natural(head.split(None, 1)[1]), index)
    if rank in (42, 43):  # prefix-list NAME seq N ...
        parts = head.split()
        seq = int(parts[4]) if len(parts) > 4 and parts[3] == "seq" and parts[4].isdigit() else 0
        return (rank, parts[2], seq, index)
    if rank == 50:  # route-map NAME permit|deny SEQ
        parts = head.split()
        seq = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
        return (rank, parts[1], seq, index)
    return (rank, index)


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    for line in lines:
        if line[:1] == " " and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def normalise_frr(text: str) -> str:
    """FRR 8.4 config (rendered or as `show running-config` prints it) in canonical form."""
    kept: list[str] = []
    in_bfd = False
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or _FRR_NOISE.match(stripped) or _SECRET.match(line):
            continue
        if line[:1] != " ":
            in_bfd = stripped == "bfd"
        elif in_bfd and stripped in _FRR_BFD_DEFAULTS:
            continue
        kept.append(line)
    blocks = _blocks(kept)
    ordered = sorted(enumerate(blocks), key=lambda ib: _frr_key(ib[1], ib[0]))
    return "\n".join(line for _, block in ordered for line in block) + "\n"


# VRP / Comware --------------------------------------------------------------------------

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


def _vendor_lines(text: str, unmanaged: Callable[[str], bool],
                  inner_default: Callable[[str, str], bool]) -> list[str]:
    """Common VRP/Comware clean-up: separators, banners, indented globals, IPv6 case."""
    out: list[str] = []
    dedent = 0          # indentation of the global command block we are in (0: none)
    after_hash = True   # the previous non-blank line was a column-0 '#'
    section = ""        # the current top-level line
    skipping = False    # inside an unmanaged section
    for raw in fold(text.replace("\r\n", "\n").replace("\t", " ")).splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        if stripped in ("return",) or stripped.startswith(("!Software Version",
                                                           "!Last configuration",
                                                           "!Time of last",
                                                           "!Config")):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if stripped.startswith("#"):
            if indent == 0:
                after_hash, dedent = True, 0
            continue
        if after_hash and indent > 0:
            dedent = indent   # ` sysname X` right after `#`: a global command
        after_hash = False
        if dedent and indent >= dedent:
            indent -= dedent
            line = " " * indent + stripped
        elif dedent and indent < dedent:
            dedent = 0
        if indent == 0:
            section = stripped
            skipping = unmanaged(stripped)
            if skipping:
                continue
        elif skipping or inner_default(section, line):
            continue
        if _SECRET.match(line):
            continue
        out.append(_canon_ipv6(line))
    return out


def normalise_vrp(text: str) -> str:
    """Huawei VRP config (rendered, or `display current-configuration`) in canonical form."""
    def unmanaged(head: str) -> bool:
        return bool(_VRP_UNMANAGED[0].match(head) or _VRP_UNMANAGED_SECTIONS.match(head))

    def inner(section: str, line: str) -> bool:
        return section == "aaa" and bool(_VRP_AAA_DEFAULTS.match(line))

    return "\n".join(_vendor_lines(text, unmanaged, inner)) + "\n"


def normalise_comware(text: str) -> str:
    """H3C Comware 7 config (rendered, or `display current-configuration`), canonical."""
    def unmanaged(head: str) -> bool:
        return bool(_COMWARE_UNMANAGED.match(head))

    def inner(section: str, line: str) -> bool:
        return False

    return "\n".join(_vendor_lines(text, unmanaged, inner)) + "\n"


def normalise_ios(text: str) -> str:
    """Cisco IOS: drop banners, `!`, `end`, secrets."""
    skip = re.compile(r"^(Building configuration.*|Current configuration.*|!.*|end|version .*)$")
    lines = [ln.rstrip() for ln in fold(text.replace("\r\n", "\n")).splitlines()
             if ln.strip() and not skip.match(ln.strip()) and not _SECRET.match(ln)]
    return "\n".join(lines) + "\n"


NORMALISERS: dict[str, Callable[[str], str]] = {
    "frr": normalise_frr,
    "cisco_ios": normalise_ios,
    "huawei_vrp": normalise_vrp,
    "h3c_comware": normalise_comware,
}


def normalise(platform: str, text: str) -> str:
    """`text` in the canonical form both sides of a diff are compared in."""
    platform_spec(platform)
    return NORMALISERS[platform](text)


# -- diff -------------------------------------------------------------------------------------


def hconfig(platform: str, text: str) -> HConfig:
    """A normalised config as a hier_config tree."""
    return get_hconfig(driver_for(platform), normalise(platform, text))


@dataclass(frozen=True)
class _BgpSyntax:
    section: str            # "router bgp " / "bgp "
    negation: str           # "no " / "undo "
    peer: str               # "neighbor" / "peer"
    defining: tuple[str, ...]  # attributes whose negation deletes the whole peer
    families: tuple[str, ...]  # address-family sub-sections


_BGP_SYNTAX = {
    "frr": _BgpSyntax("router bgp ", "no ", "neighbor", ("remote-as", "peer-group"),
                      ("address-family ",)),
    "cisco_ios": _BgpSyntax("router bgp ", "no ", "neighbor", ("remote-as", "peer-group"),
                            ("address-family ",)),
    "huawei_vrp": _BgpSyntax("bgp ", "undo ", "peer", ("as-number", "group"),
                             ("ipv4-family ", "ipv6-family ")),
    "h3c_comware": _BgpSyntax("bgp ", "undo ", "peer", ("as-number", "group"),
                              ("address-family ",)),
}


def _collapse_removed_peers(syntax: _BgpSyntax, remediation: HConfig,
                            intended: HConfig) -> None:
    """A peer gone from the intended config is removed with one `no neighbor X` /
    `undo peer X`. Negating its defining attribute (`remote-as`, `as-number`, its group)
    deletes the whole peer on FRR, VRP and Comware alike; every further negation of one of
    its attributes would then be refused ("Specify remote-as or peer-group commands first")."""
    peer_re = re.compile(rf"^(?:{syntax.negation})?{syntax.peer} (\S+)(?: |$)")
    for bgp in remediation.get_children(startswith=syntax.section):
        wanted = intended.get_child(equals=bgp.text)
        keep = set()
        if wanted is not None:
            for line in wanted.all_children():
                if m := peer_re.match(line.text):
                    keep.add(m.group(1))
        gone: list[str] = []
        for line in bgp.all_children():
            m = peer_re.match(line.text)
            if not m or not line.text.startswith(syntax.negation) or m.group(1) in keep:
                continue
            words = line.text.split()
            if len(words) > 3 and words[3] in syntax.defining:
                gone.append(m.group(1))
        if not gone:
            continue
        removed = set(gone)
        for line in list(bgp.all_children()):
            m = peer_re.match(line.text)
            if m and line.text.startswith(syntax.negation) and m.group(1) in removed:
                line.delete()
        for af in list(bgp.children):
            if af.text.startswith(syntax.families) and not af.children:
                af.delete()
        for name in dict.fromkeys(gone):
            bgp.add_child(f"{syntax.negation}{syntax.peer} {name}").order_weight = -10


#: Commands that enter a configuration view/node, by depth (1: root).
_VIEW_COMMANDS: dict[str, dict[int, re.Pattern[str]]] = {
    "frr": {1: re.compile(r"^(interface |router |route-map |bfd$|line vty$|vrf )"),
            2: re.compile(r"^(profile |address-family )")},
    "cisco_ios": {1: re.compile(r"^(interface |router |route-map |line |ip access-list )")},
    "huawei_vrp": {1: re.compile(r"^(interface |bfd$|route-policy |aaa$|ospf |ospfv3 |bgp |"
                                 r"acl |ip vpn-instance |user-interface )"),
                   2: re.compile(r"^(area |ipv4-family|ipv6-family)")},
    "h3c_comware": {1: re.compile(r"^(interface |route-policy |ospf |ospfv3 |bgp |acl |"
                                  r"ip vpn-instance |line |local-user |vlan \d+$)"),
                    2: re.compile(r"^(area |address-family )")},
}


def _keep_management(platform: str, remediation: HConfig) -> None:
    """Never take the management port's addresses away: the session doing the push runs over
    it. (A lab router's management address is set outside FRR, so a blank backup does not
    list it; restoring that backup must not remove it.) A changed address is still added."""
    port = mgmt_port(platform)
    negation = platform_spec(platform).negation
    for child in list(remediation.children):
        if child.text == f"{negation}interface {port}":
            child.delete()
        elif child.text == f"interface {port}":
            for line in list(child.children):
                if line.text.startswith((f"{negation}ip address", f"{negation}ipv6 address",
                                         f"{negation}ip binding", f"{negation}vrf ",
                                         f"{negation}ip vrf ")):
                    line.delete()
            if not child.children:
                child.delete()


def _fix_frr_interfaces(remediation: HConfig, running: HConfig) -> None:
    """A physical interface cannot be deleted in FRR (`no interface eth1`: "Only inactive
    interfaces can be deleted"): negate its lines one by one instead."""
    for child in list(remediation.children):
        if not child.text.startswith("no interface "):
            continue
        name = child.text.removeprefix("no interface ")
        current = running.get_child(equals=f"interface {name}")
        child.delete()
        if current is None or not current.children:
            continue
        section = remediation.add_child(f"interface {name}")
        for line in current.children:
            section.add_child(line.text).negate()


def remediation_lines(platform: str, running: HConfig, intended: HConfig) -> list[str]:
    """The commands that take `running` to `intended`, with section exits."""
    remediation = WorkflowRemediation(running, intended).remediation_config
    spec = platform_spec(platform)
    if platform == "frr":
        _fix_frr_interfaces(remediation, running)
    elif not spec.scope.owns_all:
        keep_physical_ports(remediation, running, spec.scope, spec.negation)
    _keep_management(platform, remediation)
    if platform in _BGP_SYNTAX:
        _collapse_removed_peers(_BGP_SYNTAX[platform], remediation, intended)
    remediation.set_order_weight()
    exit_text = spec.section_exit
    views = _VIEW_COMMANDS.get(platform, {})
    lines: list[str] = []
    for child in sorted(remediation.children):
        _emit(child, views, exit_text, lines)
    return lines


def _emit(child: HConfigChild, views: dict[int, re.Pattern[str]], exit_text: str,
          out: list[str]) -> None:
    """`child` and its children as commands, each section left with its exit. A command that
    enters a view but has nothing under it (`bfd`, `route-policy X permit node 100`, `area
    0.0.0.1` under `ospf 1`) is left too, so the next command is not typed inside it."""
    out.append(child.cisco_style_text())
    for sub in sorted(child.children):
        _emit(sub, views, exit_text, out)
    indent = child.indentation
    if child.children:
        if text := child.sectional_exit:
            if child.sectional_exit_text_parent_level:
                indent = indent[: max(0, len(indent) - child.driver.rules.indentation)]
            out.append(indent + text)
    elif (pattern := views.get(child.depth())) is not None and pattern.match(child.text):
        out.append(indent + exit_text)


_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _unified(run_text: str, want_text: str, device: str) -> str:
    """A unified diff whose hunk headers name the section they are in (like git's function
    context): `@@ -11,5 +11,5 @@ interface eth1`."""
    run_lines, want_lines = run_text.splitlines(), want_text.splitlines()

    def heads(lines: list[str]) -> list[str]:
        out, current = [], ""
        for line in lines:
            if line[:1] != " ":
                current = line
            out.append(current)
        return out

    run_heads, want_heads = heads(run_lines), heads(want_lines)
    out = []
    for line in difflib.unified_diff(run_lines, want_lines, fromfile=f"{device} (running)",
                                     tofile=f"{device} (intended)", lineterm="", n=2):
        if m := _HUNK.match(line):
            old, new = int(m.group(1)), int(m.group(2))
            # the section of the hunk's first line (when that line is itself a section
            # header, the hunk starts a new section: no context to name)
            head = (want_heads[new - 1] if 0 < new <= len(want_heads) and
                    want_lines[new - 1][:1] == " " else
                    run_heads[old - 1] if 0 < old <= len(run_heads) and
                    run_lines[old - 1][:1] == " " else "")
            line = f"{line} {head}" if head else line
        out.append(line + "\n")
    return "".join(out)


def diff_device(platform: str, running: str, intended: str, *, device: str = "",
                prune: Iterable[str] = (), peer_networks: Iterable[str] = (),
                full: bool = False) -> DeviceDiff:
    """Compare one device's running config with its intended config.

    Only what govops owns on the device is compared (`govops.network.scope`): the rest is
    counted in `unmanaged` and left alone. `prune` widens the scope by section name
    (`ntp`, `syslog`, …), `peer_networks` names the networks whose BGP peers are govops';
    `full` compares everything (restoring a backup). UnreadableConfig when `running` (or
    `intended`) cannot be read, with the line where known.
    """
    spec = platform_spec(platform)
    run_text = _read(platform, running)
    want_text = _read(platform, intended)
    if run_text == want_text:
        return DeviceDiff(device, "", [], platform)
    driver = driver_for(platform)
    run_tree = _tree(driver, run_text, running)
    want_tree = _tree(driver, want_text, intended)
    unmanaged = 0
    if not full and not spec.scope.owns_all:
        unmanaged = restrict(run_tree, want_tree, spec.scope, prune, peer_networks)
        run_text = _text(run_tree)
    unified = _unified(run_text, want_text, device or "device")
    if run_text == want_text:
        return DeviceDiff(device, "", [], platform, unmanaged)
    changes = remediation_lines(platform, run_tree, want_tree)
    return DeviceDiff(device, unified, changes, platform, unmanaged)


def _read(platform: str, text: str) -> str:
    """`normalise`, with any failure of the normaliser as UnreadableConfig."""
    try:
        return normalise(platform, text)
    except UnreadableConfig:
        raise
    except Exception as exc:  # a normaliser that chokes on odd input: that device only
        raise explain(exc, text) from None


def _tree(driver: HConfigDriverBase, text: str, original: str) -> HConfig:
    try:
        return get_hconfig(driver, text)
    except Exception as exc:  # DuplicateChildError and the like: one line, this device
        raise explain(exc, original) from None


def _text(tree: HConfig) -> str:
    """A (restricted) tree back as normalised text, one-space indentation."""
    return "".join(f"{' ' * (c.depth() - 1)}{c.text}\n" for c in tree.all_children())


def select(estate: Estate, limit: str | None) -> list[str]:
    """Device names matching `--limit` (fnmatch patterns, comma-separated), estate order.

    Carrier routers (`managed: false`) are left out unless a pattern names them. A pattern
    that matches nothing is BadInput with a did-you-mean.
    """
    names = list(estate.nodes)
    if not limit:
        return [n for n in names if estate.nodes[n].managed]
    patterns = [p.strip() for p in limit.split(",") if p.strip()]
    if not patterns:
        raise BadInput(f"--limit {limit!r}: give device names or patterns, comma-separated")
    chosen: dict[str, None] = {}
    for pattern in patterns:
        hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise BadInput(f'--limit: no device matches "{pattern}"'
                           f"{did_you_mean(pattern, names)}: use device names or patterns like 'town-*'")
        chosen.update(dict.fromkeys(hits))
    order = {n: i for i, n in enumerate(names)}
    return sorted(chosen, key=order.__getitem__)


def diff_estate(
    estate: Estate,
    source: RunningSource,
    names: Iterable[str] | None = None,
    intended: dict[str, str] | None = None,
    prune: Iterable[str] = (),
) -> list[DeviceDiff]:
    """Diff every device in `names` (default: every managed one) against `source`.

    `intended` may carry configs already rendered; the rest are rendered here. Running
    configs are all fetched before anything is compared, so a missing one is reported
    before any output. A running config that cannot be read fails that device alone: its
    DeviceDiff has `error` (`FILE:LINE: why`) and every other device still gets its diff.
    `prune` widens the managed scope (with the estate's `network.owns`).
    """
    from govops.network.render import render_all

    wanted = list(names) if names is not None else select(estate, None)
    sections = list(dict.fromkeys([*estate.network.owns, *prune]))
    for platform in sorted({estate.nodes[n].platform for n in wanted}):
        check_prune(platform_spec(platform).scope, platform, prune)
    missing = [n for n in wanted if n not in (intended or {})]
    configs = dict(intended or {})
    if missing:
        configs.update(render_all(estate, missing))
    running = {}
    problems = []
    for name in wanted:
        try:
            running[name] = source.get(name)
        except BadInput as exc:
            problems.append(str(exc))
    if problems:
        raise BadInput("\n".join(problems))
    networks = peer_networks(estate)
    results = []
    for name in wanted:
        platform = estate.nodes[name].platform
        spec = platform_spec(platform)
        known = [s for s in sections if s in spec.scope.prunable]
        try:
            check_text(running[name], spec.last_line)
            results.append(diff_device(platform, running[name], configs[name], device=name,
                                       prune=known, peer_networks=networks))
        except UnreadableConfig as exc:
            where = _where(source, name)
            results.append(DeviceDiff(name, "", [], platform,
                                      error=f"{name}: {exc.located(where)}"))
    return results


def peer_networks(estate: Estate) -> list[str]:
    """The networks whose BGP peers are govops': the province's aggregates."""
    return [estate.province.ipv4_aggregate, estate.province.ipv6_aggregate]


def _where(source: RunningSource, name: str) -> str:
    """The file (or device) a running config came from, for error messages."""
    locate = getattr(source, "path", None)
    path = locate(name) if callable(locate) else None
    return str(path) if path is not None else f"{name} (running config)"


def remediation(platform: str, running: str, intended: str, *, full: bool = False) -> list[str]:
    """Just the commands that take `running` to `intended` ([] when in sync): the `DiffFn`
    the rollout engine calls (backup ↔ intended, both ways). `full`: compare everything, not
    only managed scope (restoring a backup on a vendor platform)."""
    return diff_device(platform, running, intended, full=full).changes
