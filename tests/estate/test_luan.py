"""inventories/luan, the second committed example estate (issue 15 point 6): it validates with
its two planes and its one waived rule, its lock is pinned, every platform it uses renders and
lints (VRP, Comware, FRR and its plane instances), the planes stay apart in the configs, and
`govops cloud plan` plans it under Pulumi's mocks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govops.estate.estate import Estate
from govops.estate.loader import load_estate
from govops.network.render import render_all, render_planes
from tests.conftest import ROOT

LUAN = ROOT / "inventories" / "luan"


@pytest.fixture(scope="module")
def luan() -> Estate:
    return load_estate(LUAN)


@pytest.fixture(scope="module")
def configs(luan: Estate) -> dict[str, str]:
    return {**render_all(luan, validate=True), **render_planes(luan, validate=True)}


def test_validates_with_its_planes_and_its_exception(cli) -> None:
    code, out, err = cli("estate", "validate", LUAN)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Lu'an (六安市)" in flat
    assert "plane common (政务外网公共业务平面): global table, MLPS 2" in flat
    assert "plane sensitive (敏感业务隔离平面): instance SENSITIVE, id 300, MLPS 3" in flat
    assert "leak at luan-core-1 → common 198.18.240.0/24, 2001:db8:0:5::/64" in flat
    assert "single_homed: town jinzhai-tiantangzhai (金寨县天堂寨镇)" in flat
    assert "not pinned" not in flat  # the committed lock is complete


def test_shape_the_issue_asks_for(luan: Estate) -> None:
    assert [p.name for p in luan.planes.values()] == ["common", "sensitive"]
    assert sum(1 for n in luan.nodes.values() if n.level == "carrier") == 3
    assert [n.name for n in luan.nodes.values() if n.single_homed] == ["jinzhai-tiantangzhai"]
    dr = next(s for s in luan.sites.values() if s.role == "remote-dr")
    assert dr.city == "wuhan" and "湖北" in dr.display_name
    assert all(n.display_name for n in luan.nodes.values())
    assert {n.platform for n in luan.nodes.values()} == {"huawei_vrp", "h3c_comware", "frr"}


def test_show_json_keeps_chinese_and_the_planes(cli) -> None:
    code, out, _ = cli("estate", "show", LUAN, "--output", "json")
    assert code == 0 and "敏感业务隔离平面" in out and "\\u" not in out
    data = json.loads(out)
    assert [p["name"] for p in data["model"]["planes"]] == ["common", "sensitive"]


def test_every_platform_renders_and_lints(luan: Estate, configs: dict[str, str]) -> None:
    managed = [n for n in luan.nodes]
    assert set(managed) <= set(configs)
    instances = sorted(n for n in configs if "@" in n)
    assert instances == ["jinzhai-1@sensitive", "jinzhai-2@sensitive",
                         "jinzhai-meishan@sensitive", "jinzhai-tiantangzhai@sensitive"]


def test_vrf_lite_on_the_vendors(configs: dict[str, str]) -> None:
    vrp = configs["huoqiu-chengguan"]
    assert "ip vpn-instance SENSITIVE\n" in vrp and "  route-distinguisher 65010:300\n" in vrp
    assert " dot1q termination vid 300\n ip binding vpn-instance SENSITIVE\n" in vrp
    assert "interface Vlanif300\n" in vrp
    assert "ospf 300 router-id " in vrp and " vpn-instance SENSITIVE\n" in vrp
    assert "ospfv3 300 vpn-instance SENSITIVE\n" in vrp
    comware = configs["jinan-sanshipu"]
    assert " vlan-type dot1q vid 300\n ip binding vpn-instance SENSITIVE\n" in comware
    assert "ospfv3 300 vpn-instance SENSITIVE\n" in comware
    # a town that does not attach carries nothing of the plane
    assert "SENSITIVE" not in configs["jinan-dongqiao"]
    # the peer link declared `planes: [common]` has no sensitive subinterface
    huoqiu = configs["huoqiu-1"]
    assert "peer to huoqiu-2 (10G), plane sensitive" not in huoqiu
    assert "downlink to huoqiu-chengguan (100M), plane sensitive" in huoqiu


def test_the_leak_is_only_where_declared(configs: dict[str, str]) -> None:
    core = configs["luan-core-1"]
    assert " ipv4-family vpn-instance SENSITIVE\n" in core
    assert "  import-rib public valid-route route-policy LEAK-SENSITIVE-COMMON-V4\n" in core
    assert ("ip ip-prefix LEAK-SENSITIVE-COMMON-V4 index 10 permit 198.18.240.0 24 "
            "greater-equal 24 less-equal 32\n") in core
    others = [n for n, text in configs.items() if "LEAK-" in text]
    assert others == ["luan-core-1"]
    # the way back stays on the core: the common plane's iBGP refuses the sensitive pools
    assert "ip ip-prefix ISOLATED-V4 index 10 permit 198.19.16.0 20" in core
    assert "ip ip-prefix ISOLATED-V4 index 30 permit 198.19.0.0 24" in core


def test_the_common_plane_never_carries_sensitive_addresses(luan: Estate,
                                                           configs: dict[str, str]) -> None:
    sensitive_lan = luan.prefix("sensitive-lan-v4", "jinzhai-meishan")
    assert sensitive_lan and sensitive_lan not in configs["jinzhai-meishan"]
    plane = configs["jinzhai-meishan@sensitive"]
    assert f"ip route {sensitive_lan} blackhole\n" in plane
    assert "router bgp" not in plane and "hostname jinzhai-meishan@sensitive\n" in plane
    # ACL 3900 on the common plane's uplinks drops every sensitive pool, both ways
    acl = configs["huoqiu-chengguan"].split("acl number 3900\n", 1)[1].split("#", 1)[0]
    assert "rule 5 deny ip source 198.19.16.0 0.0.15.255" in acl  # LANs
    assert "rule 20 deny ip destination 198.19.1.0 0.0.0.255" in acl  # logical links
    assert "rule 25 deny ip source 198.19.0.0 0.0.0.255" in acl  # loopbacks


def test_cloud_plan_under_pulumi_mocks(cli, tmp_path: Path) -> None:
    shutil.copytree(LUAN, tmp_path / "luan")
    shutil.copytree(ROOT / "inventories" / "policy", tmp_path / "policy")
    code, out, err = cli("cloud", "plan", "--estate", tmp_path / "luan", "--output", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert {s["stack"] for s in plan["stacks"]} == {"luan-gov", "luan-health", "jinzhai-gov"}
    assert plan["summary"]["create"] == plan["resources"] > 50
