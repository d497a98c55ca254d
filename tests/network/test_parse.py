"""Verification from `display` output (issue 13): every TextFSM template reads its recorded
outputs (tests/network/<platform>/displays/<command>/<case>.txt, sources in SOURCES.md) into
the fields the verifier uses; an output that does not parse is an error, never an empty
result; `govops net parse` prints the rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from govops.errors import BadInput
from govops.network.parse import UnreadableOutput, parse_output, read_device_state, read_state
from govops.network.platforms import platform_spec
from tests.conftest import ROOT

HERE = Path(__file__).resolve().parent
CASES = sorted(HERE.glob("*/displays/*/*.txt"))


def case_id(path: Path) -> str:
    return f"{path.parent.parent.parent.name}/{path.parent.name}/{path.stem}"


def _display(path: Path):
    platform = path.parent.parent.parent.name
    command = path.parent.name.replace("_", " ")
    for d in platform_spec(platform).displays:
        if d.command == command:
            return platform, d
    raise AssertionError(f"{path}: no display {command!r} on {platform}")


@pytest.mark.parametrize("path", CASES, ids=case_id)
def test_template_reads_recorded_output(path: Path) -> None:
    platform, display = _display(path)
    rows = parse_output(platform, display.command, path.read_text())
    flavour = "" if "" in display.flavours else display.flavours[0]
    state = read_state(platform, {display.command: path.read_text()}, flavour=flavour)
    expected = json.loads(path.with_suffix(".json").read_text())
    if display.feeds.startswith("routes"):
        got = [{"prefix": f"{r[display.fields['prefix'].lower()]}/"
                           f"{r[display.fields['length'].lower()]}".lower()} for r in rows]
        target = state.routes4 if display.feeds == "routes4" else state.routes6
        assert {e["prefix"] for e in expected} == target
    else:
        got = [{key: state_row for key, state_row in (
            ("peer", n.peer), ("state", n.state), ("interface", n.interface))
            if key in expected[0]} for n in getattr(state, display.feeds)] if expected else []
        assert len(rows) == len(expected)
    assert got == expected


def test_every_display_has_a_recorded_output_and_sources() -> None:
    for platform in ("huawei_vrp", "h3c_comware"):
        sources = (HERE / platform / "displays" / "SOURCES.md").read_text()
        for display in platform_spec(platform).displays:
            folder = display.command.replace(" ", "_")
            assert list((HERE / platform / "displays" / folder).glob("*.txt")), display.command
            assert f"`{display.command}`" in sources, display.command


def test_device_state_from_every_display() -> None:
    """What the verifier reads from a VRP device: each display asked once, parsed."""
    recorded = {}
    for path in CASES:
        platform, display = _display(path)
        if platform == "huawei_vrp" and "no_" not in path.stem:
            recorded[display.command] = path.read_text()
    asked = []

    def run(command: str) -> str:
        asked.append(command)
        return recorded[command]

    state = read_device_state("huawei_vrp", run, source="egress-1")
    assert len(asked) == len(platform_spec("huawei_vrp").displays)
    assert {n.peer for n in state.ospf if n.up} == {"198.18.0.1", "198.18.0.2"}
    assert {n.peer for n in state.bgp if n.up} >= {"198.18.0.1", "2001:db8::1"}
    assert "198.18.0.5/32" in state.routes4 and "2001:db8::5/128" in state.routes6


def test_up_means_full_established_up() -> None:
    text = (HERE / "huawei_vrp/displays/display_bgp_ipv6_peer/ce6881_upper_case.txt").read_text()
    state = read_state("huawei_vrp", {"display bgp ipv6 peer": text})
    assert [n.up for n in state.bgp] == [True, True, False]


@pytest.mark.parametrize("text, why", [
    ("", "empty"),
    ("\x00\x01garbage\xff" * 50, "not that command's output"),
    ("Error: Unrecognized command found at '^' position.\n", "not that command's output"),
])
def test_unreadable_output_is_an_error_never_empty(text: str, why: str) -> None:
    with pytest.raises(UnreadableOutput, match=rf"could not read `display bgp ipv6 peer` from "
                                                rf"egress-1: .*{why}"):
        parse_output("huawei_vrp", "display bgp ipv6 peer", text, source="egress-1")


def test_a_changed_format_is_an_error() -> None:
    text = (" BGP local router ID : 198.18.0.5\n Local AS number : 65000\n"
            "  Peer  V  AS  Rcvd  Sent  Up/Down  State\n  2001:DB8::1 4 65000 1 1 01:00 Up\n")
    with pytest.raises(UnreadableOutput, match="line .* is not what the template expects"):
        parse_output("huawei_vrp", "display bgp ipv6 peer", text, source="egress-1")


def test_unknown_command_names_the_known_ones() -> None:
    with pytest.raises(BadInput, match="govops reads no such output on huawei_vrp: use one of"):
        parse_output("huawei_vrp", "display version", "x")


def govops(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govops", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_net_parse(tmp_path: Path) -> None:
    sample = HERE / "h3c_comware/displays/display_bgp_peer_ipv6/s6850_rr_clients.txt"
    proc = govops("net", "parse", "--platform", "h3c_comware", "--command",
                  "display bgp peer ipv6", str(sample), "--output", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["peer"] for r in rows] == ["2001:DB8::1", "2001:DB8::2"]
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(bytes(range(256)) * 10)
    proc = govops("net", "parse", "--platform", "huawei_vrp", "--command",
                  "display bgp ipv6 peer", str(garbage), "--output", "json")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "could not read `display bgp ipv6 peer`" in proc.stderr and "Traceback" not in proc.stderr


def test_a_comware5_device_is_asked_its_own_bgp_commands() -> None:
    """Comware 5 prints IPv4 peers with `display bgp peer` and IPv6 ones with `display bgp
    ipv6 peer` (it refuses Comware 7's `display bgp peer ipv4`); the rest is shared, and the
    shared templates read Comware 5's layouts (tests/network/h3c_comware/displays/*/
    msr2630_comware5.txt)."""
    recorded = {}
    for path in CASES:
        platform, display = _display(path)
        if platform == "h3c_comware" and path.stem == "msr2630_comware5":
            recorded[display.command] = path.read_text()
    asked = []

    def run(command: str) -> str:
        asked.append(command)
        return recorded[command]

    state = read_device_state("h3c_comware", run, source="town-tianhe-b", flavour="comware5")
    assert "display bgp peer" in asked and "display bgp ipv6 peer" in asked
    assert not {"display bgp peer ipv4", "display bgp peer ipv6"} & set(asked)
    assert sorted(asked) == sorted(recorded)
    assert {(n.peer, n.up) for n in state.bgp} == {("198.18.0.1", True), ("198.18.0.2", False),
                                                   ("2001:db8::1", True), ("2001:db8::2", True)}
    assert {(n.peer, n.interface, n.up) for n in state.ospf} == {
        ("198.18.0.11", "GE0/1", True), ("198.18.0.12", "GE0/2", False)}
    assert {n.peer for n in state.ospf6 if n.up} == {"198.18.0.11", "198.18.0.12"}
    assert {n.peer for n in state.bfd if n.up} == {"198.18.64.60", "198.18.64.62"}
    assert "2001:db8:1000:100::/56" in state.routes6 and "198.19.0.16/28" in state.routes4

