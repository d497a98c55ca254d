"""Issue 15: no silent loss, exceptions visible, Chinese names first-class.

The broken-estate corpus lives in `test_broken_corpus.py`; these are the behaviours around it:
what is accepted (a BOM, `tenants: []`, Chinese display names), what is reported together,
and the lock and its audit record as one unit.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govops.estate.loader import load_estate
from govops.estate.report import full
from tests.estate.helpers import line_of, problems, replace

TENANTS_HEAD = "tenants:\n"
SHUNDE_1 = ("{name: cnty-shunde-1, level: county, platform: frr, city: fs, county: shunde, "
            "uplinks: [city-fs-1, city-fs-2]}")
ISLAND = ("{name: cnty-shunde-1, level: county, platform: frr, city: fs, county: shunde, "
          "uplinks: [city-fs-1], single_homed: '一条光缆 until 2027', display_name: 顺德区一号}")


def _no_tenants(estate: Path) -> None:
    """An estate that says explicitly it has no tenants (hosts then serve none)."""
    text = (estate / "tenants.yaml").read_text()
    (estate / "tenants.yaml").write_text(text[:text.index(TENANTS_HEAD)] + "tenants: []\n")
    hosts = (estate / "hosts.yaml").read_text()
    import re

    (estate / "hosts.yaml").write_text(re.sub(r"tenants: \[[^]]*\]", "mlps: 3", hosts))


# --- no silent loss ---------------------------------------------------------------------------

def test_a_utf8_bom_is_accepted(lab_copy: Path) -> None:
    path = lab_copy / "sites.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert "gz-main" in load_estate(lab_copy).sites


def test_duplicate_key_names_both_lines(lab_copy: Path) -> None:
    f = lab_copy / "tenants.yaml"
    first = replace(f, "    mlps: 3\n    dr_level: 6\n", "    mlps: 3\n    mlps: 1\n    dr_level: 6\n")
    (p,) = problems(lab_copy)
    assert (Path(p.file).name, p.line) == ("tenants.yaml", first + 1)
    assert f'duplicate key "mlps" (lines {first} and {first + 1})' in p.message


def test_explicitly_empty_tenants_are_allowed_and_shown(lab_copy: Path, cli) -> None:
    _no_tenants(lab_copy)
    code, out, err = cli("estate", "validate", lab_copy)
    assert code == 0, err
    assert "tenants: none (declared empty at " in out and "tenants.yaml:" in out
    code, out, _ = cli("estate", "validate", lab_copy, "--output", "json")
    line = line_of(lab_copy / "tenants.yaml", "tenants: []")
    assert json.loads(out)["declared_empty"]["tenants"].endswith(f"tenants.yaml:{line}")


def test_errors_of_independent_stages_come_together(lab_copy: Path) -> None:
    (lab_copy / "sites.yaml").write_text("sites: [\n")                        # a syntax error
    with (lab_copy / "clouds.yaml").open("a") as handle:                     # a schema error
        handle.write("cloudz: []\n")
    replace(lab_copy / "ipam.lock.yaml", "    prov-core-1~egress-2: 2\n",    # a damaged lock
            "    prov-core-1~egress-2: 1\n")
    with (lab_copy.parent / "policy" / "placement.yaml").open("a") as handle:  # the policy
        handle.write("remote_dr_min_km: 100\n")
    found = {Path(p.file).name: p.message for p in problems(lab_copy)}
    assert "YAML syntax" in found["sites.yaml"]
    assert 'unknown field "cloudz"' in found["clouds.yaml"]
    assert "port 1 is given to both" in found["ipam.lock.yaml"]
    assert '"remote_dr_min_km" appears twice' in found["placement.yaml"]
    assert not any("no \"sites:\" section" in m for m in found.values())  # not a follow-on error


def test_pool_problems_come_with_cross_check_problems(lab_copy: Path) -> None:
    replace(lab_copy / "province.yaml", "198.18.0.0/20,", "198.18.0.0/2x,")
    replace(lab_copy / "network.yaml", "site: gz-main, uplinks: [prov-core-1, prov-core-2]}",
            "site: gz-main, uplinks: [prov-core-1, prov-core-9]}")
    found = {Path(p.file).name: p.message for p in problems(lab_copy)}
    assert 'pool "loopback-v4"' in found["province.yaml"]
    assert 'uplink to unknown node "prov-core-9"' in found["network.yaml"]


def test_lock_is_written_only_with_its_audit_record(lab_copy: Path, private_audit_log: Path,
                                                   monkeypatch: pytest.MonkeyPatch, cli) -> None:
    from govops.audit import trail
    from govops.audit.digests import display
    from govops.audit.sm3 import file_sm3

    lock = lab_copy / "ipam.lock.yaml"
    lock.write_text(lock.read_text().replace("  fs: 2\n", ""))  # one allocation to pin again
    before = lock.read_bytes()

    def broken(*args, **kwargs):
        raise trail.AuditLogError("audit log: disk full")

    with monkeypatch.context() as patch:
        patch.setattr(trail, "record", broken)
        code, _, err = cli("estate", "lock", lab_copy)
    assert code == 1 and "disk full" in err
    assert lock.read_bytes() == before  # no lock without its record
    assert not list(lab_copy.glob(".ipam.lock.*"))  # and no staged file left behind
    code, _, err = cli("estate", "lock", lab_copy)
    assert code == 0, err
    rec = json.loads(private_audit_log.read_text().splitlines()[-1])
    assert rec["command"] == "estate lock" and rec["detail"]["changed"] is True
    assert rec["artefacts"][display(lock)]["sm3"] == file_sm3(lock)[0]  # the record names the new lock
    assert lock.read_bytes() != before


# --- exceptions visible -----------------------------------------------------------------------

def test_single_homed_is_visible_everywhere(lab_copy: Path, cli) -> None:
    from govops.monitoring.estate_metrics import estate_families
    from govops.network.render import render_device

    replace(lab_copy / "network.yaml", SHUNDE_1, ISLAND)
    code, out, err = cli("estate", "validate", lab_copy)
    assert code == 0, err
    assert "exceptions: 1 waived rule" in out
    assert "single_homed: county cnty-shunde-1 (顺德区一号): 一条光缆 until 2027" in out
    code, out, _ = cli("estate", "show", lab_copy)
    assert code == 0 and "single_homed: 一条光缆 until 2027" in out
    code, out, _ = cli("estate", "show", lab_copy, "--output", "json")
    data = json.loads(out)
    assert data["exceptions"] == [{"rule": "single_homed", "kind": "county", "name": "cnty-shunde-1",
                                   "reason": "一条光缆 until 2027", "display_name": "顺德区一号"}]
    estate = load_estate(lab_copy)
    assert "! govops exception: single_homed: 一条光缆 until 2027\n" in render_device(estate, "cnty-shunde-1")
    families = {f.name: f for f in estate_families(estate)}
    (sample,) = families["govops_estate_exceptions"].samples
    assert sample.labels == {"rule": "single_homed"} and sample.value == 1
    (info,) = families["govops_estate_exception_info"].samples
    assert info.labels["name"] == "cnty-shunde-1" and info.labels["display_name"] == "顺德区一号"


def test_the_exception_comment_leaves_the_diff_idempotent(lab_copy: Path, tmp_path: Path) -> None:
    from govops.network.diff import DirectorySource, diff_estate
    from govops.network.render import render_device

    replace(lab_copy / "network.yaml", SHUNDE_1, ISLAND)
    estate = load_estate(lab_copy)
    running = tmp_path / "running"
    running.mkdir()
    text = render_device(estate, "cnty-shunde-1")
    # FRR drops `!` comments from its running config: what the router shows after a push
    (running / "cnty-shunde-1.cfg").write_text(
        "".join(line for line in text.splitlines(True) if not line.startswith("! govops")))
    (diff,) = diff_estate(estate, DirectorySource(running), ["cnty-shunde-1"])
    assert diff.changes == []


# --- Chinese names ----------------------------------------------------------------------------

def _chinese(estate: Path) -> None:
    replace(estate / "province.yaml", "  name: Guangdong (lab)\n",
            "  name: Guangdong (lab)\n  display_name: 广东省（实验）\n")
    replace(estate / "province.yaml", "  domain: lab.gd.gov.example\n", "  domain: 政务.gd.example\n")
    replace(estate / "sites.yaml", "description: main data centre}",
            "description: 主数据中心, display_name: 广州主中心}")
    replace(estate / "tenants.yaml", "  - department: hrss\n",
            "  - department: hrss\n    display_name: 人社厅社保系统\n")
    replace(estate / "network.yaml", SHUNDE_1, ISLAND)


def test_show_json_keeps_chinese_raw_and_loads_back_to_the_same_model(lab_copy: Path, tmp_path: Path,
                                                                      cli) -> None:
    _chinese(lab_copy)
    code, out, err = cli("estate", "show", lab_copy, "--output", "json")
    assert code == 0, err
    assert "人社厅社保系统" in out and "广州主中心" in out and "\\u" not in out
    data = json.loads(out)
    again = tmp_path / "again" / "estate"
    again.mkdir(parents=True)
    shutil.copytree(lab_copy.parent / "policy", again.parent / "policy")
    (again / "estate.yaml").write_text(json.dumps(data["model"], ensure_ascii=False))  # JSON is YAML
    shutil.copy(lab_copy / "ipam.lock.yaml", again / "ipam.lock.yaml")
    first, second = load_estate(lab_copy), load_estate(again)
    for section in ("sites", "clouds", "tenants", "nodes", "hosts"):
        assert getattr(first, section) == getattr(second, section), section
    assert (first.province, first.network, first.ipam) == (second.province, second.network, second.ipam)
    assert first.links == second.links
    assert first.allocation.prefixes == second.allocation.prefixes
    assert full(second)["model"] == data["model"]


def test_dns_names_use_idna(lab_copy: Path) -> None:
    from govops.cloud.from_estate import estate_args

    _chinese(lab_copy)
    estate = load_estate(lab_copy)
    punycode = "政务".encode("idna").decode()
    assert punycode.startswith("xn--") and estate.network.domain == f"{punycode}.gd.example"
    _, tenants = estate_args(estate)
    zone = next(t.dns_domain for t in tenants if t.name == "hrss-social-security")
    assert zone == f"social-security.hrss.{punycode}.gd.example" and zone.isascii()


def test_a_chinese_identifier_points_to_display_name(lab_copy: Path, cli) -> None:
    f = lab_copy / "tenants.yaml"
    line = replace(f, "  - department: hrss\n", "  - department: 人社厅\n")
    (p,) = problems(lab_copy)
    assert (Path(p.file).name, p.line) == ("tenants.yaml", line)
    assert "is not ASCII" in p.message and "display_name" in p.message
    # tenant add accepts and rejects exactly what the YAML does: the same check
    shutil.copytree(lab_copy, lab_copy.parent / "clean")
    (lab_copy.parent / "clean" / "tenants.yaml").write_text(f.read_text().replace("人社厅", "hrss"))
    code, _, err = cli("tenant", "add", "--estate", lab_copy.parent / "clean", "--department",
                       "人社厅", "--system", "portal", "--cloud", "gd-gov", "--mlps", "3",
                       "--dr-level", "4")
    assert code == 2 and "--department: '人社厅' is not ASCII" in err and "display_name" in err


def test_tenant_add_takes_a_chinese_display_name(lab_copy: Path, cli) -> None:
    code, _, err = cli("tenant", "add", "--estate", lab_copy, "--department", "ecology",
                       "--system", "water", "--cloud", "gd-gov", "--mlps", "2", "--dr-level", "3",
                       "--display-name", "生态环境厅水质监测")
    assert code == 0, err
    assert "display_name: 生态环境厅水质监测" in (lab_copy / "tenants.yaml").read_text()
    assert load_estate(lab_copy).tenants["ecology-water"].display_name == "生态环境厅水质监测"


def test_the_lock_keeps_chinese_unescaped() -> None:
    from govops.estate.ipam import Allocation
    from govops.estate.lockfile import render

    text = render(Allocation(prefixes={"tenant-v4": {"人社/main": "198.18.192.0/27"}}))
    assert "人社/main" in text and "\\u" not in text
