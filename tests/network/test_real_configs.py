"""Real-world VRP and Comware running configs (tests/network/<platform>/real/, sources in
SOURCES.md beside them) as the running config of a lab device of that platform: the diff
parses, adds the intent, removes nothing outside managed scope, and applying it reaches the
intent (issue 13)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from govops.network.diff import (
    DirectorySource,
    applied,
    diff_device,
    diff_estate,
    normalise,
    peer_networks,
)
from govops.network.platforms import platform_spec
from govops.network.scope import physical
from tests.conftest import ROOT
from tests.network.conftest import VENDOR_DEVICES, vendor_estate_copy

HERE = Path(__file__).resolve().parent
REAL = sorted(HERE.glob("*/real/*.cfg"))

_COMMON = (r"snmp-agent|info-center|local-user|hwtacacs|radius|domain\b|stp\b|ntp-service|"
           r"header|sysname|clock|ssh\s|stelnet|telnet|lldp|dhcp|dns|nat\b|vlan\b|role\b|"
           r"user-group|password-recovery|wlan|license|"
           # static routes, but for govops' own (marked by their description)
           r"ipv6? route-static (?!.* description (town LAN|province) aggregate$)")
#: What a diff may never remove, per vendor (beyond physical ports, checked on their own).
DENY = {
    "huawei_vrp": re.compile(rf"^\s*undo\s+({_COMMON}|aaa\b|authentication-scheme|"
                             r"authorization-scheme|accounting-scheme|user-interface|css\b|"
                             r"isis|mpls|acl number (?!3900$)|"
                             r"route-policy (?!(EXTRANET|CARRIER)-)|"
                             r"ip ip-prefix (?!(ISOLATED|DEFAULT|PROVINCE)-)|"
                             r"ip vpn-instance (?!isolated$)|peer (?!198\.18\.))"),
    "h3c_comware": re.compile(rf"^\s*undo\s+({_COMMON}|line\s|user-interface|irf|"
                              r"acl (advanced|basic|number) (?!3900$)|"
                              r"route-policy (?!(EXTRANET|CARRIER)-)|"
                              r"ip prefix-list (?!(ISOLATED|DEFAULT|PROVINCE)-)|"
                              r"ip vpn-instance (?!isolated$)|peer (?!198\.18\.))"),
}


#: A routing process govops does not run (`ospf 100`), at the top level.
OTHER_PROCESS = re.compile(r"^undo (ospf|ospfv3) (?!1( |$))\d")


#: Site lines (management, AAA, banners) that must survive a remediation untouched.
SITE_LINES = re.compile(r"^\s*(info-center loghost|ntp-service unicast-server|"
                        r"snmp-agent (?!sys-info location)|local-user|hwtacacs|radius|header|"
                        r"user-interface|line vty|stp )")


def fixture_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.stem}"


def test_enough_real_fixtures_each_with_its_sources() -> None:
    for platform in ("huawei_vrp", "h3c_comware"):
        files = [p for p in REAL if p.parent.parent.name == platform]
        assert len(files) >= 10, platform
        sources = (HERE / platform / "real" / "SOURCES.md").read_text()
        for path in files:
            assert f"## {path.name}" in sources, f"{path.name}: no sources noted"


def _removed_ports(platform: str, changes: list[str]) -> list[str]:
    scope = platform_spec(platform).scope
    return [c for c in changes if (m := re.match(r"^\s*undo interface (\S+)$", c))
            and physical(scope, m.group(1))]


@pytest.mark.parametrize("path", REAL, ids=fixture_id)
def test_real_config_diff_stays_in_managed_scope(path: Path, vendor_estate,
                                                 vendor_intended) -> None:
    platform = path.parent.parent.name
    intended = vendor_intended[platform]
    d = diff_device(platform, path.read_text(), intended, device=VENDOR_DEVICES[platform],
                    peer_networks=peer_networks(vendor_estate))
    assert d.changes, "the intent is added"
    assert d.unmanaged > 0
    denied = [c for c in d.changes if DENY[platform].match(c) or OTHER_PROCESS.match(c)]
    assert not denied, f"removes lines outside managed scope: {denied}"
    assert not _removed_ports(platform, d.changes)
    # the intent is added: every intended top-level line the device lacks is in the changes
    running_heads = set(normalise(platform, path.read_text()).splitlines())
    for head in normalise(platform, intended).splitlines():
        if head[:1] != " " and head not in running_heads:
            assert head in d.changes, f"{head!r} is not added"


@pytest.mark.parametrize("path", REAL, ids=fixture_id)
def test_applying_the_remediation_reaches_the_intent(path: Path, vendor_estate,
                                                     vendor_intended) -> None:
    platform = path.parent.parent.name
    intended = vendor_intended[platform]
    networks = peer_networks(vendor_estate)
    first = diff_device(platform, path.read_text(), intended, peer_networks=networks)
    after = applied(platform, path.read_text(), first.changes)
    again = diff_device(platform, after, intended, peer_networks=networks)
    assert again.changes == []
    # the site's lines are all still there
    site = [" ".join(ln.split()) for ln in normalise(platform, path.read_text()).splitlines()
            if SITE_LINES.match(ln)]
    kept = {" ".join(ln.split()) for ln in after.splitlines()}
    assert [ln for ln in site if ln not in kept] == []


def as_device_prints(platform: str, text: str, flavour: str = "") -> str:
    """The intended config the way a device prints it: version banner, upper-case IPv6,
    defaults govops does not render, indented globals (Comware), `return`, CRLF. `flavour`
    "comware5": Comware 5.20's banner and console `user-interface`."""
    text = re.sub(r"\b[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7}(/\d+)?", lambda m: m.group(0).upper(),
                  text)
    if platform == "huawei_vrp":
        head = "!Software Version V200R021C10SPC600\n!Last configuration was updated at x\n"
        text = head + text.replace("\nreturn\n", "\n#\ninterface NULL0\n#\nuser-interface con 0"
                                   "\n authentication-mode password\n#\nreturn\n")
    else:
        lines = []
        for line in text.splitlines():
            is_global = line and line[0] not in " #" and not re.match(
                r"^(interface|ospf|ospfv3|bgp|route-policy|acl|ip vpn-instance|vlan|line|"
                r"user-interface|local-user|return)\b", line)
            lines.append(f" {line}" if is_global else line)
        if flavour == "comware5":
            text = "#\n version 5.20, Release 2516P12\n" + "\n".join(lines) + "\n"
            text = text.replace("\nreturn\n", "\n#\ninterface NULL0\n#\nuser-interface con 0"
                                "\nuser-interface aux 0\n#\nreturn\n")
        else:
            text = "#\n version 7.1.070, Release 6635P07\n" + "\n".join(lines) + "\n"
            text = text.replace("\nreturn\n", "\n#\ninterface NULL0\n#\nline class console\n"
                                " user-role network-admin\n#\nreturn\n")
    return text.replace("\n", "\r\n")


@pytest.mark.parametrize("platform", ["huawei_vrp", "h3c_comware"])
def test_intent_printed_by_a_device_is_in_sync(platform: str, vendor_intended) -> None:
    printed = as_device_prints(platform, vendor_intended[platform])
    assert "2001:DB8" in printed and "\r\n" in printed
    d = diff_device(platform, printed, vendor_intended[platform])
    assert d.changes == [] and d.unified_diff == ""


def _bad_running(folder: Path) -> Path:
    folder.mkdir()
    vrp = (HERE / "huawei_vrp" / "real" / "ce6881_dc_leaf.cfg").read_text()
    cw = (HERE / "h3c_comware" / "real" / "s5130_ei_access.cfg").read_text()
    (folder / "egress-1.cfg").write_text(vrp[: len(vrp) // 2])            # cut short
    (folder / "egress-2.cfg").write_bytes(bytes(range(256)) * 8)          # binary
    (folder / "town-tianhe-a.cfg").write_text(cw)                          # banner repeats
    (folder / "town-tianhe-b.cfg").write_text(                             # repeated section
        "!\ninterface eth1\n ip address 198.18.64.1/31\n!\ninterface eth1\n description x\n!\n")
    return folder


def test_unreadable_configs_fail_alone(tmp_path: Path, vendor_estate) -> None:
    running = _bad_running(tmp_path / "running")
    names = ["egress-1", "egress-2", "town-tianhe-a", "town-tianhe-b"]
    diffs = {d.device: d for d in diff_estate(vendor_estate, DirectorySource(running), names)}
    assert re.match(r"^egress-1: \S+egress-1\.cfg:\d+: .*cut short", diffs["egress-1"].error)
    assert "binary data" in diffs["egress-2"].error
    assert not diffs["town-tianhe-a"].error and diffs["town-tianhe-a"].changes
    assert re.search(r"town-tianhe-b\.cfg:5: section `interface eth1` is repeated",
                     diffs["town-tianhe-b"].error)
    assert all("\n" not in d.error for d in diffs.values())


def test_cli_unreadable_config_is_one_line_and_others_get_results(tmp_path: Path) -> None:
    estate = vendor_estate_copy(tmp_path)
    running = _bad_running(tmp_path / "running")
    proc = subprocess.run(
        [sys.executable, "-m", "govops", "net", "diff", "-e", str(estate), "-r", str(running),
         "-l", "egress-1,egress-2,town-tianhe-a,town-tianhe-b", "--output", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    data = {d["device"]: d for d in json.loads(proc.stdout)}
    assert data["town-tianhe-a"]["changes"] and data["town-tianhe-a"]["unmanaged"] > 0
    assert {n for n, d in data.items() if "error" in d} == {"egress-1", "egress-2",
                                                            "town-tianhe-b"}
    assert proc.stderr.count("could not read") == 3


def test_prune_unmanaged_widens_scope_on_request(vendor_estate, vendor_intended) -> None:
    text = (HERE / "huawei_vrp" / "real" / "ce6881_dc_leaf.cfg").read_text()
    plain = diff_device("huawei_vrp", text, vendor_intended["huawei_vrp"])
    pruned = diff_device("huawei_vrp", text, vendor_intended["huawei_vrp"], prune=["ntp"])
    assert "undo ntp-service unicast-server 10.250.1.20" in pruned.changes
    assert not any(c.startswith("undo ntp-service") for c in plain.changes)
    assert pruned.unmanaged < plain.unmanaged


def test_comware_port_link_mode_route_comes_before_layer3_lines(vendor_intended) -> None:
    """A bridged port turned into an uplink: `port link-mode route` first, or the device
    refuses the address."""
    text = (HERE / "h3c_comware" / "real" / "s5130_ei_access.cfg").read_text()
    changes = diff_device("h3c_comware", text, vendor_intended["h3c_comware"]).changes
    start = changes.index("interface GigabitEthernet1/0/1")
    section = changes[start:changes.index("quit", start)]
    assert section[1] == " port link-mode route"
    assert all(section.index(" port link-mode route") < i for i, line in enumerate(section)
               if line.startswith(" ip"))
