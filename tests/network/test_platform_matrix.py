"""docs/platforms.md is generated from the registry and never stale."""

from __future__ import annotations

from govops.network.platforms import platforms
from govops.network.platforms.matrix import render_matrix, rows
from tests.conftest import ROOT


def test_committed_matrix_is_fresh() -> None:
    committed = (ROOT / "docs" / "platforms.md").read_text()
    assert committed == render_matrix(), (
        "docs/platforms.md is stale: python -m govops.network.platforms.matrix > docs/platforms.md")


def test_every_platform_has_a_row_naming_its_push_and_scope() -> None:
    table = {r["platform"].strip("`"): r for r in rows()}
    assert set(table) == set(platforms())
    assert table["frr"]["managed scope"] == "whole config"
    assert table["huawei_vrp"]["managed scope"].startswith("estate's lines only")
    assert "display bgp ipv6 peer" in table["huawei_vrp"]["verification reads"]
    assert table["h3c_comware"]["push (Netmiko)"] == "`hp_comware`"
