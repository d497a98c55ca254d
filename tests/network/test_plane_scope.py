"""Managed scope and lint with planes: govops owns its VPN instances, their OSPF processes and
its plane subinterfaces; a site's own VPN instance and process stay untouched."""

from __future__ import annotations

import pytest

from govops.estate.loader import load_estate
from govops.network.diff import diff_device
from govops.network.lint import lint_config
from govops.network.render import render_device
from tests.conftest import ROOT

SITE_OWN = ("ip vpn-instance MGMT\n ipv4-family\n  route-distinguisher 65010:999\n#\n"
            "ospf 99 router-id 10.0.0.1 vpn-instance MGMT\n area 0.0.0.0\n#\n")


@pytest.fixture(scope="module")
def chengguan() -> str:
    return render_device(load_estate(ROOT / "inventories" / "luan"), "huoqiu-chengguan")


def _without(text: str, head: str) -> str:
    """`text` without the section that starts with line `head`."""
    start = text.index(head + "\n")
    end = text.index("\n#\n", start) + 3
    return text[:start] + text[end:]


def test_missing_plane_parts_are_added_and_the_sites_instance_left_alone(chengguan) -> None:
    sub = next(line for line in chengguan.splitlines() if line.startswith("interface ")
               and line.endswith(".300"))
    process = next(line for line in chengguan.splitlines() if line.startswith("ospf 300 "))
    running = _without(_without(chengguan, sub), process).replace("#\nreturn", SITE_OWN + "return")
    result = diff_device("huawei_vrp", running, chengguan, device="huoqiu-chengguan")
    changes = "\n".join(result.changes)
    assert sub in changes and " dot1q termination vid 300" in changes
    assert process in changes
    assert "MGMT" not in changes and "ospf 99" not in changes
    assert result.unmanaged >= 4  # the site's VPN instance and its OSPF process


def test_a_stale_plane_subinterface_is_removed(chengguan) -> None:
    stale = ("interface GigabitEthernet0/0/9.300\n description uplink to gone-1 (100M), plane "
             "sensitive\n dot1q termination vid 300\n ip binding vpn-instance SENSITIVE\n#\n")
    running = chengguan.replace("#\nreturn", "#\n" + stale + "return")
    result = diff_device("huawei_vrp", running, chengguan, device="huoqiu-chengguan")
    assert "undo interface GigabitEthernet0/0/9.300" in result.changes


def test_lint_catches_an_undefined_vpn_instance(chengguan) -> None:
    broken = chengguan.replace("ip vpn-instance SENSITIVE\n", "ip vpn-instance SENSITIV\n")
    assert any("vpn-instance SENSITIVE used but not defined" in p
               for p in lint_config("huawei_vrp", broken))
    assert lint_config("huawei_vrp", chengguan) == []


def test_lint_follows_the_plane_references() -> None:
    estate = load_estate(ROOT / "inventories" / "luan")
    core = render_device(estate, "luan-core-1")
    assert lint_config("huawei_vrp", core) == []
    broken = core.replace("route-policy LEAK-SENSITIVE-COMMON-V4 permit node 10",
                          "route-policy LEAK-OTHER-V4 permit node 10")
    assert any("route-policy LEAK-SENSITIVE-COMMON-V4 used but not defined" in p
               for p in lint_config("huawei_vrp", broken))
    process = core.replace(" ipv4-family\n  route-distinguisher 65010:300",
                           " ipv4-family\n  route-distinguisher 65010:300", 1)
    process = process.replace("ip vpn-instance SENSITIVE\n", "ip vpn-instance OTHER\n").replace(
        " ip binding vpn-instance SENSITIVE\n", " ip binding vpn-instance OTHER\n")
    assert any("vpn-instance SENSITIVE used but not defined" in p
               for p in lint_config("huawei_vrp", process))  # the OSPF process names it
