"""Render: every platform's templates, determinism, bad input, template errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govops.errors import BadInput
from govops.network.render import RenderError, render_all, render_device, templates_dir
from tests.conftest import ROOT

GOVOPS = [sys.executable, "-m", "govops"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*GOVOPS, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def sections(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln and not ln.startswith((" ", "!", "#"))]


def test_every_lab_device_renders(lab_estate) -> None:
    configs = render_all(lab_estate)
    assert list(configs) == list(lab_estate.nodes)
    for name, text in configs.items():
        assert f"hostname {name}\n" in text
        assert text.endswith("end\n")


def test_render_is_deterministic(lab_estate, gd_estate) -> None:
    assert render_all(lab_estate) == render_all(lab_estate)
    names = ["prov-core-1", "egress-1", "guangzhou-core-1", "zhuhai-c01-1"]
    assert render_all(gd_estate, names) == render_all(gd_estate, list(reversed(names)))


def test_cli_render_twice_gives_identical_files(tmp_path: Path) -> None:
    for out in ("a", "b"):
        proc = run("net", "render", "--out", str(tmp_path / out))
        assert proc.returncode == 0, proc.stderr
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    # 26 devices, and the 12 isolated-plane FRR instances of the routers that carry it
    assert a == b and len(a) == 26 + 12 and "town-tianhe-a.cfg" in a
    assert "town-tianhe-a@isolated.cfg" in a and "town-tianhe-b@isolated.cfg" not in a


def test_frr_loads_ospf_processes_before_interfaces(lab_estate) -> None:
    text = render_device(lab_estate, "town-tianhe-a")
    heads = sections(text)
    first_interface = next(i for i, h in enumerate(heads) if h.startswith("interface "))
    assert heads.index("router ospf6") < first_interface
    assert heads.index("router ospf") < first_interface
    assert heads.index("bfd") < first_interface
    # every section ends with `exit` (vtysh -f does not leave a section on `!`)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("interface ", "router ", "route-map ")):
            j = i + 1
            while lines[j].startswith(" "):
                j += 1
            assert lines[j] == "exit", f"{line} not closed by exit"


def test_frr_uplinks_have_bfd_ospf_both_families(lab_estate) -> None:
    text = render_device(lab_estate, "cnty-yuexiu-1")
    blocks = text.split("\ninterface ")[1:]
    uplinks = [b for b in blocks if "uplink to" in b or "downlink to" in b]
    assert len(uplinks) == 4  # two city uplinks, two town downlinks
    for block in uplinks:
        for line in ("ip ospf bfd profile uplink", "ipv6 ospf6 bfd profile uplink",
                     "ip ospf network point-to-point", "ipv6 ospf6 network point-to-point"):
            assert f" {line}\n" in block
    assert "  transmit-interval 100\n  receive-interval 100\n" in text


def test_a_link_with_its_own_bfd_timers_gets_its_own_profile_at_both_ends(lab_estate) -> None:
    town = render_device(lab_estate, "town-tianhe-a")
    county = render_device(lab_estate, "cnty-tianhe-1")
    for text in (town, county):
        assert " profile uplink-50x3\n  transmit-interval 50\n  receive-interval 50\n" in text
    assert town.count("ip ospf bfd profile uplink-50x3") == 2
    assert county.count("ip ospf bfd profile uplink-50x3") == 1  # only the link to that town


def test_route_reflectors_and_clients(lab_estate) -> None:
    core = render_device(lab_estate, "prov-core-1")
    clients = [n for n, node in lab_estate.nodes.items()
               if node.managed and node.level != "province"]
    assert core.count("peer-group RR-CLIENTS-V4\n") == len(clients)
    assert core.count("peer-group RR-CLIENTS-V6\n") == len(clients)
    assert "  neighbor RR-CLIENTS-V6 route-reflector-client\n" in core
    assert " neighbor 198.18.0.2 remote-as 65000\n" in core  # the other reflector
    town = render_device(lab_estate, "town-tianhe-b")
    for rr in ("198.18.0.1", "198.18.0.2", "2001:db8::1", "2001:db8::2"):
        assert f" neighbor {rr} update-source lo\n" in town
    assert "  network 198.19.0.16/28\n" in town  # the town originates its LAN


def test_egress_and_carrier_ebgp(lab_estate) -> None:
    egress = render_device(lab_estate, "egress-1")
    assert " neighbor 198.18.64.93 remote-as 64500\n" in egress
    assert " neighbor 2001:db8:0:2::5d bfd\n" in egress
    assert "  neighbor 198.18.0.1 next-hop-self\n" in egress
    carrier = render_device(lab_estate, "isp-telecom")
    assert "router bgp 64500\n" in carrier
    assert "  neighbor 198.18.64.92 default-originate\n" in carrier
    assert "198.18.0.1" not in carrier  # no iBGP with the province's reflectors


def test_isolated_plane_kept_out(lab_estate, gd_estate) -> None:
    frr = render_device(lab_estate, "town-tianhe-a")
    assert "ip prefix-list ISOLATED-V4 seq 5 permit 198.18.16.0/21 le 32\n" in frr
    assert "  neighbor 198.18.0.1 route-map EXTRANET-V4 out\n" in frr
    vrp = render_device(gd_estate, "guangzhou-c02-t11")
    assert "ip vpn-instance isolated\n" in vrp
    assert " ip binding vpn-instance isolated\n" in vrp
    assert vrp.count(" traffic-filter inbound ipv6 acl 3900\n") == 2


@pytest.mark.parametrize("name,platform", [
    ("guangzhou-core-1", "huawei_vrp"), ("zhuhai-c01-1", "h3c_comware"),
    ("zhuhai-c01-t01", "h3c_comware"), ("isp-mobile", "huawei_vrp"),
])
def test_vendor_syntax(gd_estate, name: str, platform: str) -> None:
    text = render_device(gd_estate, name)
    assert gd_estate.nodes[name].platform == platform
    assert text.startswith(f"#\nsysname {name}\n") and text.endswith("#\nreturn\n")
    if gd_estate.nodes[name].level == "carrier":
        assert "default-route-advertise" in text
        return
    assert "ospfv3 1\n router-id " in text
    if platform == "huawei_vrp":
        assert " ipv4-family unicast\n" in text and " ipv6-family unicast\n" in text
    else:
        assert " address-family ipv6 unicast\n" in text and " ospfv3 bfd enable\n" in text


def test_unknown_device_is_bad_input_with_did_you_mean(lab_estate) -> None:
    with pytest.raises(BadInput, match='did you mean "town-tianhe-a"'):
        render_device(lab_estate, "town-tianhe-aa")
    proc = run("net", "render", "--device", "town-tianhe-aa", "--out", "/tmp/unused")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "town-tianhe-aa" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def broken_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(templates_dir(), folder)
    return folder


def test_template_error_names_template_line_and_device(lab_estate, broken_templates) -> None:
    bgp = broken_templates / "frr" / "_bgp.j2"
    lines = bgp.read_text().splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if "bgp router-id" in ln)
    lines.insert(at + 1, " bgp cluster-id {{ v.cluster_id }}\n")
    bgp.write_text("".join(lines))
    with pytest.raises(RenderError) as caught:
        render_device(lab_estate, "town-tianhe-a", templates=broken_templates)
    message = str(caught.value)
    assert f"frr/_bgp.j2:{at + 2}:" in message
    assert "town-tianhe-a" in message and "cluster_id" in message
    assert "\n" not in message


def test_template_syntax_error_is_one_line_exit_2(broken_templates) -> None:
    device = broken_templates / "frr" / "device.j2"
    device.write_text(device.read_text().replace("{% endfor %}", "{% endfor", 1))
    env = {"GOVOPS_TEMPLATES": str(broken_templates), "PATH": "/usr/bin:/bin"}
    proc = run("net", "render", "--out", str(broken_templates / "out"), env=env)
    assert proc.returncode == 2, proc.stderr
    assert "frr/device.j2:" in proc.stderr and "syntax" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_every_guangdong_config_lints_clean(gd_estate) -> None:
    from govops.network.render import validate_configs

    validate_configs(gd_estate, render_all(gd_estate))  # raises RenderError on any problem


@pytest.mark.parametrize("edit,problem", [
    (lambda t: t.replace("exit\n!\ninterface eth2", "!\ninterface eth2", 1),
     "section not closed by exit: interface eth1"),
    (lambda t: t.replace("ip ospf bfd profile uplink-50x3", "ip ospf bfd profile fast", 1),
     "bfd profile fast used but not defined"),
    (lambda t: t.replace("198.18.64.59/31", "198.18.64.57/31"),
     "address configured twice: 198.18.64.57/31"),
    (lambda t: t.replace("198.18.64.59/31", "None"), "template leftover 'None'"),
])
def test_lint_catches(lab_estate, edit, problem: str) -> None:
    from govops.network.lint import lint_config

    text = render_device(lab_estate, "town-tianhe-a")
    assert lint_config("frr", text) == []
    assert any(problem in p for p in lint_config("frr", edit(text)))


def test_lint_failure_is_bad_input_naming_device(lab_estate) -> None:
    from govops.network.render import validate_configs

    text = render_device(lab_estate, "town-tianhe-a").replace("ISOLATED-V4 seq", "ISO-V4 seq")
    with pytest.raises(RenderError, match=r"^town-tianhe-a \(frr\): rendered config invalid: "
                                          r"ip prefix-list ISOLATED-V4 used but not defined"):
        validate_configs(lab_estate, {"town-tianhe-a": text})


def test_cisco_ios_renders_and_lints(lab_copy: Path) -> None:
    from govops.estate.loader import load_estate
    from govops.network.diff import diff_device
    from govops.network.render import validate_configs

    network = lab_copy / "network.yaml"
    network.write_text(network.read_text().replace("platform: frr", "platform: cisco_ios"))
    estate = load_estate(lab_copy)
    configs = render_all(estate)
    validate_configs(estate, configs)
    town = configs["town-tianhe-a"]
    assert "interface GigabitEthernet0/1\n" in town and " bfd template UPLINK\n" in town
    assert " vrf forwarding isolated\n" in town
    assert diff_device("cisco_ios", town, town).changes == []


def test_parallel_render_is_identical_and_reports_errors(gd_estate, broken_templates) -> None:
    serial = render_all(gd_estate, jobs=1)
    assert render_all(gd_estate, jobs=2, validate=True) == serial
    bgp = broken_templates / "huawei_vrp" / "_bgp.j2"
    bgp.write_text(bgp.read_text().replace(" router-id {{ router_id }}",
                                           " router-id {{ router_idd }}"))
    with pytest.raises(RenderError, match=r"huawei_vrp/_bgp\.j2:\d+: rendering \S+ "
                                          r"\(huawei_vrp\) failed: 'router_idd' is undefined"):
        render_all(gd_estate, jobs=2, templates=broken_templates)
