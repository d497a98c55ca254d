"""Running vs intended, per device: a unified diff and hier_config remediation commands.

    from govops.network.diff import diff_device, DirectorySource, diff_estate

    d = diff_device("frr", running_text, intended_text, device="town-tianhe-a")
    d.changes        # ['interface eth1', ' ip ospf cost 100', 'exit']  ([] when in sync)
    d.unified_diff   # '--- town-tianhe-a (running)\\n+++ town-tianhe-a (intended)\\n@@ ...'

Both sides are first *normalised* per platform (each platform's `hier.py` in
`govops.network.platforms`; multi-line banners folded into one line first), so that what a
device prints and what govops renders compare equal when they mean the same (`normalise`):

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

Only what govops manages is compared on VRP and Comware (`govops.network.scope`, ADR 0011):
the site's lines are counted in `unmanaged` and left alone, physical ports are never removed;
a running config that cannot be read fails its device alone (`DeviceDiff.error`).

Remediation uses hier_config 3 with a driver per platform (`PlatformSpec.hier_driver`): VRP
and Comware leave sections with `quit` and negate with `undo`; FRR uses an IOS-like driver in
which `ip address` is NOT idempotent (FRR keeps several addresses on an interface, so a
changed address needs `no ip address OLD`), and policy/BFD/OSPF processes are ordered before the interfaces
and BGP that refer to them. `changes` are the commands to type, with section exits.

Where running configs come from is a `RunningSource` (`get(name) -> str`): `DirectorySource`
reads saved files; the push engine supplies one that asks the devices.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from hier_config import HConfig, HConfigChild, WorkflowRemediation, get_hconfig
from hier_config.platforms.driver_base import HConfigDriverBase

from govops.errors import BadInput
from govops.estate.errors import did_you_mean
from govops.estate.estate import Estate
from govops.network.platforms import BgpSyntax, platform_spec
from govops.network.scope import (
    check_prune,
    intended_names,
    keep_physical_ports,
    negate_lines_of,
    restrict,
)
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


# -- hier_config drivers and normalisers (per platform, in govops.network.platforms) ----------


@cache
def driver_for(platform: str) -> HConfigDriverBase:
    """The hier_config driver govops uses for `platform` (one instance per process)."""
    return platform_spec(platform).hier_driver()


# -- normalisation -------------------------------------------------------------------------

# VRP / Comware --------------------------------------------------------------------------

def normalise(platform: str, text: str) -> str:
    """`text` in the canonical form both sides of a diff are compared in."""
    return platform_spec(platform).normalise(text)


# -- diff -------------------------------------------------------------------------------------


def hconfig(platform: str, text: str) -> HConfig:
    """A normalised config as a hier_config tree."""
    return get_hconfig(driver_for(platform), normalise(platform, text))


def _collapse_removed_peers(syntax: BgpSyntax, remediation: HConfig,
                            intended: HConfig) -> None:
    """A peer gone from the intended config is removed with one `no neighbor X` /
    `undo peer X`. Negating its defining attribute (`remote-as`, `as-number`, its group)
    deletes the whole peer on FRR, VRP and Comware alike; every further negation of one of
    its attributes would then be refused ("Specify remote-as or peer-group commands first").
    The `undo peer X` goes where the peer was defined: the BGP view, or the address family
    view that defines its peers (Comware 5's `ipv6-family`)."""
    peer_re = re.compile(rf"^(?:{syntax.negation})?{syntax.peer} (\S+)(?: |$)")
    for bgp in remediation.get_children(startswith=syntax.section):
        wanted = intended.get_child(equals=bgp.text)
        keep = set()
        if wanted is not None:
            for line in wanted.all_children():
                if m := peer_re.match(line.text):
                    keep.add(m.group(1))
        gone: dict[str, HConfigChild | HConfig] = {}  # peer → the view that defines it
        for line in bgp.all_children():
            m = peer_re.match(line.text)
            if not m or not line.text.startswith(syntax.negation) or m.group(1) in keep:
                continue
            words = line.text.split()
            if len(words) > 3 and words[3] in syntax.defining:
                gone.setdefault(m.group(1), line.parent)
        if not gone:
            continue
        for line in list(bgp.all_children()):
            m = peer_re.match(line.text)
            if m and line.text.startswith(syntax.negation) and m.group(1) in gone:
                line.delete()
        for name, view in gone.items():
            view.add_child(f"{syntax.negation}{syntax.peer} {name}").order_weight = -10
        for af in list(bgp.children):
            if af.text.startswith(syntax.families) and not af.children:
                af.delete()


def _keep_management(platform: str, remediation: HConfig) -> None:
    """Never take the management port's addresses away: the session doing the push runs over
    it. (A lab router's management address is set outside FRR, so a blank backup does not
    list it; restoring that backup must not remove it.) A changed address is still added."""
    spec = platform_spec(platform)
    negation = spec.negation
    ports = spec.mgmt_ports   # the device's model is not known here: any model's
    for child in list(remediation.children):
        if child.text.startswith(f"{negation}interface ") and \
                child.text.removeprefix(f"{negation}interface ") in ports:
            child.delete()
        elif child.text.startswith("interface ") and child.text.removeprefix("interface ") in ports:
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
        child.delete()
        negate_lines_of(remediation, running, child.text.replace("no interface ", "interface ", 1))


def remediation_lines(platform: str, running: HConfig, intended: HConfig) -> list[str]:
    """The commands that take `running` to `intended`, with section exits."""
    remediation = WorkflowRemediation(running, intended).remediation_config
    spec = platform_spec(platform)
    if platform == "frr":
        _fix_frr_interfaces(remediation, running)
    else:
        keep_physical_ports(remediation, running, spec.scope, spec.negation)
    _keep_management(platform, remediation)
    if spec.bgp is not None:
        _collapse_removed_peers(spec.bgp, remediation, intended)
    remediation.set_order_weight()
    exit_text = spec.section_exit
    views = _views(platform)
    lines: list[str] = []
    for child in sorted(remediation.children):
        _emit(child, views, exit_text, lines)
    return spec.order_remediation(lines) if spec.order_remediation else lines


@cache
def _views(platform: str) -> dict[int, re.Pattern[str]]:
    """Commands that enter a configuration view/node, by depth (1: root)."""
    return {depth: re.compile(p) for depth, p in platform_spec(platform).views.items()}


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
    if full or spec.scope.owns_all:
        run_tree = _tree(driver, run_text, running)
        want_tree = _tree(driver, want_text, intended)
        unified = _unified(run_text, want_text, device or "device")
        changes = remediation_lines(platform, run_tree, want_tree)
        return DeviceDiff(device, unified, changes, platform)
    # Sections both sides print alike need no remediation and are govops' or harmless: only
    # the others are parsed (a province core's 16,000-line BGP section, in sync, is skipped).
    run_blocks, want_blocks = _blocks(run_text), _blocks(want_text)
    same = set(want_blocks) & set(run_blocks)
    heads = Counter(block.split("\n", 1)[0] for block in run_blocks)
    same = {b for b in same if heads[b.split("\n", 1)[0]] == 1}  # a repeat is an error
    run_tree = _tree(driver, "".join(b for b in run_blocks if b not in same), running)
    want_tree = _tree(driver, "".join(b for b in want_blocks if b not in same), intended)
    names = intended_names(spec.scope, (b.split("\n", 1)[0] for b in want_blocks))
    unmanaged = restrict(run_tree, want_tree, spec.scope, prune, peer_networks, names)
    run_text = _restricted_text(run_blocks, same, run_tree)
    if run_text == want_text:
        return DeviceDiff(device, "", [], platform, unmanaged)
    unified = _unified(run_text, want_text, device or "device")
    changes = remediation_lines(platform, run_tree, want_tree)
    return DeviceDiff(device, unified, changes, platform, unmanaged)


def _blocks(text: str) -> list[str]:
    """Normalised text as its top-level sections, each with its lines and final newline."""
    blocks: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if line[:1] == " " and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return ["".join(block) for block in blocks]


def _restricted_text(blocks: list[str], same: set[str], tree: HConfig) -> str:
    """The running text after `restrict`: unchanged sections as they were, the others as the
    restricted tree holds them (gone when nothing of them was govops')."""
    out = []
    for block in blocks:
        if block in same:
            out.append(block)
            continue
        child = tree.get_child(equals=" ".join(block.split("\n", 1)[0].split()))
        if child is not None:
            out.append(f"{child.text}\n" + "".join(
                f"{' ' * (c.depth() - 1)}{c.text}\n" for c in child.all_children()))
    return "".join(out)


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


def select(estate: Estate, limit: str | None, *, planes: bool = False) -> list[str]:
    """Device names matching `--limit` (fnmatch patterns, comma-separated), estate order.

    Carrier routers (`managed: false`) are left out unless a pattern names them. A pattern
    that matches nothing is BadInput with a did-you-mean. Plane instances (`router@plane`,
    `govops.network.instances`) are selected by a pattern containing `@`, or with `planes`
    (every selected router's instances, each right after its router).
    """
    from govops.network.instances import instances, is_instance, router_of

    names = list(estate.nodes)
    all_instances = instances(estate)
    order = {n: i for i, n in enumerate(names)}

    def key(name: str) -> tuple[int, int, str]:
        return order[router_of(name)], is_instance(name), name

    def with_planes(routers: list[str]) -> list[str]:
        if not planes:
            return routers
        chosen = set(routers)
        return routers + [i for i in all_instances if router_of(i) in chosen]

    if not limit:
        return sorted(with_planes([n for n in names if estate.nodes[n].managed]), key=key)
    patterns = [p.strip() for p in limit.split(",") if p.strip()]
    if not patterns:
        raise BadInput(f"--limit {limit!r}: give device names or patterns, comma-separated")
    chosen: dict[str, None] = {}
    for pattern in patterns:
        pool = all_instances if "@" in pattern else names
        hits = [n for n in pool if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise BadInput(f'--limit: no device matches "{pattern}"'
                           f"{did_you_mean(pattern, pool)}: use device names or patterns like "
                           "'town-*'" + (" (plane instances: router@plane)" if pool is
                                         all_instances else ""))
        chosen.update(dict.fromkeys(hits))
    routers = [n for n in chosen if not is_instance(n)]
    picked = dict.fromkeys([*with_planes(routers), *(n for n in chosen if is_instance(n))])
    return sorted(picked, key=key)


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
    from govops.network.instances import platform_of, render_intended

    wanted = list(names) if names is not None else select(estate, None)
    sections = list(dict.fromkeys([*estate.network.owns, *prune]))
    for platform in sorted({platform_of(estate, n) for n in wanted}):
        check_prune(platform_spec(platform).scope, platform, prune)
    missing = [n for n in wanted if n not in (intended or {})]
    configs = dict(intended or {})
    if missing:
        configs.update(render_intended(estate, missing))
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
        platform = platform_of(estate, name)
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


def applied(platform: str, running: str, changes: list[str]) -> str:
    """`running` (normalised) after `changes` are typed into it, as hier_config predicts it
    (its `future`), plus the one rule it does not know: `undo peer X` / `no neighbor X`
    deletes every line of that peer. What a device would hold, for tests and simulators."""
    spec = platform_spec(platform)
    exits = {spec.section_exit, "quit", "exit"}
    commands = "\n".join(line for line in changes if line.strip() not in exits)
    driver = driver_for(platform)
    current = get_hconfig(driver, normalise(platform, running))
    future = current.future(get_hconfig(driver, commands))
    if spec.bgp is not None:
        gone = {line.strip().split()[-1] for line in changes
                if re.match(rf"^ +{spec.bgp.negation}{spec.bgp.peer} \S+$", line)}
        for bgp in future.get_children(startswith=spec.bgp.section):
            for line in list(bgp.all_children()):
                words = line.text.split()
                if len(words) > 1 and words[0] == spec.bgp.peer and words[1] in gone:
                    line.delete()
    return _text(future)
