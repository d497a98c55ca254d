"""Generated estates: seed scale, bandwidths, vendors, byte-identical output."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from govops.errors import BadInput
from govops.estate.generator import generate
from govops.estate.loader import load_estate


def _same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(
        _same_tree(a / d, b / d) for d in cmp.common_dirs)


def test_guangdong_scale_and_bandwidth(guangdong: Path) -> None:
    estate = load_estate(guangdong)
    levels = estate.levels()
    assert levels["city"] == 42 and levels["county"] == 242 and levels["town"] == 1600
    assert len({n.city for n in estate.nodes.values() if n.level == "city"}) == 21
    assert len({n.county for n in estate.nodes.values() if n.level == "county"}) == 121
    by_level = {}
    for link in estate.links:
        if link.kind == "uplink":
            by_level.setdefault(estate.nodes[link.b].level, set()).add(link.bandwidth_mbps)
    assert by_level["city"] == {10000} and by_level["county"] == {1000}
    assert by_level["town"] == {100}
    assert {n.platform for n in estate.nodes.values()} == {"huawei_vrp", "h3c_comware"}
    assert sum(1 for c in estate.clouds.values() if c.kind == "provincial") == 1


def test_generator_is_byte_identical(guangdong: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate("guangdong", again)
    assert _same_tree(guangdong, again)


def test_sichuan_scale(tmp_path: Path) -> None:
    generate("sichuan", tmp_path / "sc")
    estate = load_estate(tmp_path / "sc")
    assert len({n.county for n in estate.nodes.values() if n.level == "county"}) == 183
    assert estate.levels()["town"] == 3000
    assert len({t.department for t in estate.tenants.values()}) == 82
    assert len(estate.tenants) == 504


def test_xianyang_bandwidth_overrides(tmp_path: Path) -> None:
    generate("xianyang", tmp_path / "xy")
    estate = load_estate(tmp_path / "xy")
    assert len({n.county for n in estate.nodes.values() if n.level == "county"}) == 13
    assert len({n.city for n in estate.nodes.values() if n.level == "city"}) == 1
    speeds = {estate.nodes[link.b].level: link.bandwidth_mbps for link in estate.links
              if link.kind == "uplink"}
    assert speeds["county"] == 2000 and speeds["town"] == 200
    for node in estate.nodes.values():
        if node.level in ("county", "town"):
            assert len({u.to for u in node.uplinks}) == 2


def test_unknown_profile() -> None:
    with pytest.raises(BadInput, match="unknown profile 'hainan'"):
        generate("hainan", Path("/nonexistent"))
