"""Platforms: everything govops knows about one network OS lives in one folder, found by name.

    from govops.network.platforms import platform_spec, platforms

    spec = platform_spec("huawei_vrp")
    spec.normalise(text); spec.hier_driver(); spec.scope; spec.displays

Each subpackage (`frr/`, `huawei_vrp/`, `h3c_comware/`, `cisco_ios/`) exports `SPEC`, a
`PlatformSpec`: its template folder (under `network/templates/`), hier_config driver and
normaliser (`hier.py`), managed scope (`scope.py`), the `display` commands its verifier reads
with their TextFSM templates (`displays.py`, `textfsm/`), lint references and live driver;
its device models (port names, what a routed port prints) are data in `models.toml`.
The registry finds the subpackages by listing this folder, and other packages'
platforms through the `govops.platforms` entry-point group: adding a vendor (Ruijie, ZTE) is
adding one folder and its tests, never an `if platform == …` elsewhere. See ADR 0011.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from govops.errors import BadInput
from govops.estate.devices import DeviceModel, model_table
from govops.network.scope import ManagedScope

if TYPE_CHECKING:
    from hier_config.platforms.driver_base import HConfigDriverBase

    from govops.network.parse import Display


@dataclass(frozen=True)
class BgpSyntax:
    """How a platform spells BGP (for removing a whole peer with one command)."""

    section: str               # "router bgp " / "bgp "
    negation: str              # "no " / "undo "
    peer: str                  # "neighbor" / "peer"
    defining: tuple[str, ...]  # attributes whose negation deletes the whole peer
    families: tuple[str, ...]  # address-family sub-sections


@dataclass(frozen=True)
class PlatformSpec:
    """One platform: `name` as the estate spells it."""

    name: str
    #: Folder under network/templates/.
    templates: str
    #: The hier_config driver (a factory: one instance per process, see diff.driver_for).
    hier_driver: Callable[[], HConfigDriverBase]
    #: Running or rendered text → the canonical text both sides of a diff are compared in.
    normalise: Callable[[str], str]
    #: Netmiko device_type for the push (FRR's vtysh answers like IOS).
    netmiko_device_type: str
    #: How the device negates a command.
    negation: str
    #: How a section is left in the remediation commands.
    section_exit: str
    #: The command that prints the running config.
    show_running: str
    #: Commands that enter a configuration view, by depth (1: root), as regexes: a view
    #: entered with nothing under it is left again in the remediation.
    views: dict[int, str] = field(default_factory=dict)
    #: BGP spelling, for collapsing a removed peer into one command (None: no BGP).
    bgp: BgpSyntax | None = None
    #: What govops owns on a device of this platform (default: everything).
    scope: ManagedScope = ManagedScope(owns_all=True)
    #: The line every saved running config ends with (None: not checked).
    last_line: str | None = None
    #: The `display`/`show` outputs the verifier reads, and their TextFSM templates.
    displays: tuple[Display, ...] = ()
    #: Lint: (kind, definition regex, reference regex) triples, see govops.network.lint.
    lint_refs: tuple[tuple[str, str, str], ...] = ()
    #: Shape checks of a rendered config (govops.network.lint.SHAPES): "frr", "vendor", "".
    lint_shape: str = ""
    #: The live driver class as "module:Class" (None: render and diff only, no push yet).
    live_driver: str | None = None
    #: One routing instance, and one config, per plane of a router (`<router>@<plane>`, from
    #: the folder's `plane.j2`): FRR in the lab, where each plane is its own FRR instance and
    #: namespace. False: every plane is a VPN instance inside the one device config.
    plane_configs: bool = False
    #: A last reordering of the remediation commands (None: hier_config's order stands).
    order_remediation: Callable[[list[str]], list[str]] | None = None

    @property
    def models(self) -> dict[str, DeviceModel]:
        """The device models of this platform (its folder's models.toml), by name."""
        return model_table(self.name).models

    @property
    def default_model(self) -> DeviceModel:
        """The model of a node whose estate entry names none."""
        table = model_table(self.name)
        return table.models[table.default]

    @property
    def mgmt_ports(self) -> frozenset[str]:
        """The management interface of every model (never stripped of its address)."""
        return frozenset(m.mgmt for m in self.models.values())


#: Entry-point group through which other packages add platforms (each entry: a PlatformSpec).
ENTRY_POINTS = "govops.platforms"


@cache
def platforms() -> dict[str, PlatformSpec]:
    """Every platform, by name: this folder's subpackages, then the entry-point group."""
    found: dict[str, PlatformSpec] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg and not module.name.startswith("_"):
            spec = importlib.import_module(f"{__name__}.{module.name}").SPEC
            found[spec.name] = spec
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINTS):
        spec = entry.load()
        found.setdefault(spec.name, spec)
    return found


def platform_spec(name: str) -> PlatformSpec:
    """The spec of platform `name`; BadInput naming the known ones otherwise."""
    try:
        return platforms()[name]
    except KeyError:
        known = ", ".join(sorted(platforms()))
        raise BadInput(f'platform "{name}" is not supported: use one of {known}') from None
