"""Verification from `display` output: parsed by TextFSM, never grepped.

    from govops.network.parse import parse_output, read_state

    rows = parse_output("huawei_vrp", "display bgp ipv6 peer", text)   # [{'peer': …}, …]
    state = read_state("huawei_vrp", {"display bgp ipv6 peer": text, …}, source="egress-1")

Each platform lists the `Display` commands its verifier reads (`PlatformSpec.displays`): the
command, which part of `DeviceState` it feeds, and its TextFSM template, ntc-templates' where it
has the command (`ntc:<file>`), else the project's own in `platforms/<platform>/textfsm/`.
An output that does not parse is UnreadableOutput ("could not read `display bgp ipv6 peer`
from X: …"), never an empty result that would read as "peer down".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from govops.errors import BadInput
from govops.network.drivers.base import DeviceState, Neighbor


class UnreadableOutput(BadInput):
    """A `display`/`show` output that its template cannot read: one line."""


@dataclass(frozen=True)
class Display:
    """One command the verifier reads.

    `feeds` is the DeviceState field it fills (ospf, ospf6, bgp, bfd, routes4, routes6);
    `template` a file of the platform's `textfsm/` folder, or `ntc:<file>` for
    ntc-templates'; `header` a line every real output of the command holds (so garbage, or
    the output of another command, is refused even by a template that ignores odd lines);
    `fields` maps peer/state/interface/prefix/length to the template's value names;
    `flavours` the CLIs that print it, as the model table names them ("": the platform's
    usual CLI; "comware5": H3C Comware 5, whose BGP displays are other commands).
    """

    command: str
    feeds: str
    template: str
    header: str
    fields: dict[str, str] = field(default_factory=dict)
    flavours: tuple[str, ...] = ("",)
    #: For a routing table: the command showing one prefix (`{address}`, `{length}`), whose
    #: output the same template reads. A device with thousands of routes then prints the few
    #: the verifier checks instead of the whole table.
    lookup: str = ""


def displays_of(platform: str, flavour: str = "") -> tuple[Display, ...]:
    """The Display commands the verifier asks a device of that CLI flavour."""
    from govops.network.platforms import platform_spec

    return tuple(d for d in platform_spec(platform).displays if (flavour or "") in d.flavours)


#: Prompt and echo lines a saved session holds (`<egress-1>display bgp peer`, `[~egress-1]`).
_PROMPT = re.compile(r"^\s*[<\[][~*]?[\w.\-]+[>\]].*$")


def _key(command: str) -> str:
    return " ".join(command.lower().split())


def display_for(displays: tuple[Display, ...], platform: str, command: str) -> Display:
    """The Display of `command`; BadInput naming the commands the platform has."""
    for d in displays:
        if _key(d.command) == _key(command):
            return d
    known = "; ".join(d.command for d in displays) or "none"
    raise BadInput(f"--command {command!r}: govops reads no such output on {platform}: use "
                   f"one of: {known}")


@cache
def _template_text(platform: str, template: str) -> str:
    if template.startswith("ntc:"):
        import ntc_templates

        path = Path(ntc_templates.__file__).parent / "templates" / template.removeprefix("ntc:")
    else:
        path = Path(__file__).parent / "platforms" / platform / "textfsm" / template
    return path.read_text()


def parse_output(platform: str, command: str, text: str, *, source: str = "the output"
                 ) -> list[dict[str, str]]:
    """The rows of `command`'s output `text` (keys lower-case); UnreadableOutput when the
    output is not one of that command."""
    import io

    import textfsm

    from govops.network.platforms import platform_spec

    display = display_for(platform_spec(platform).displays, platform, command)
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").splitlines()
             if not _PROMPT.match(ln)]
    what = f"could not read `{display.command}` from {source}"
    if not any(ln.strip() for ln in lines):
        raise UnreadableOutput(f"{what}: the output is empty")
    if not any(re.search(display.header, ln) for ln in lines):
        raise UnreadableOutput(f"{what}: it is not that command's output (no line like "
                               f"{display.header!r})")
    fsm = textfsm.TextFSM(io.StringIO(_template_text(platform, display.template)))
    try:
        rows = fsm.ParseText("\n".join(lines) + "\n")
    except textfsm.TextFSMError as exc:
        detail = str(exc).splitlines()[0]
        if m := re.search(r"Line: (\d+)", str(exc)):
            detail = f"line {m.group(1)} is not what the template expects"
        raise UnreadableOutput(f"{what}: {detail}") from None
    names = [h.lower() for h in fsm.header]
    return [dict(zip(names, row, strict=True)) for row in rows]


def read_state(platform: str, outputs: dict[str, str], *, source: str = "the device",
               flavour: str = "") -> DeviceState:
    """DeviceState from the outputs of the Display commands of the platform and CLI flavour
    (`{command: text}`); a command missing from `outputs` leaves its part empty."""
    state = DeviceState()
    for display in displays_of(platform, flavour):
        text = next((t for c, t in outputs.items() if _key(c) == _key(display.command)), None)
        if text is None:
            continue
        rows = parse_output(platform, display.command, text, source=source)
        _feed(state, display, rows)
    return state


def read_device_state(platform: str, run: Callable[[str], str], *, source: str,
                      flavour: str = "") -> DeviceState:
    """DeviceState of a live device: `run(command)` returns a command's output (the live
    driver's session); every Display of the platform (and CLI flavour) is asked once."""
    outputs = {d.command: run(d.command) for d in displays_of(platform, flavour)}
    return read_state(platform, outputs, source=source, flavour=flavour)


def _feed(state: DeviceState, display: Display, rows: list[dict[str, str]]) -> None:
    f = {k: v.lower() for k, v in display.fields.items()}
    if display.feeds in ("routes4", "routes6"):
        target = state.routes4 if display.feeds == "routes4" else state.routes6
        for row in rows:
            prefix = f"{row[f['prefix']]}/{row[f['length']]}"
            try:
                target.add(str(ipaddress.ip_network(prefix, strict=False)))
            except ValueError:
                continue
        return
    neighbours: list[Neighbor] = getattr(state, display.feeds)
    for row in rows:
        status = row.get(f.get("state", "state"), "")
        neighbours.append(Neighbor(
            peer=_canon(row[f.get("peer", "peer")]),
            interface=row.get(f.get("interface", "interface"), ""),
            state=status,
            up=_is_up(display.feeds, status)))


def _canon(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def _is_up(feeds: str, status: str) -> bool:
    if feeds in ("ospf", "ospf6"):
        return status.replace(" ", "").lower().startswith("full")
    if feeds == "bgp":
        return status.lower() == "established"
    return status.lower() == "up"
