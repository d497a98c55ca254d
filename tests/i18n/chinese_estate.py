"""A copy of the lab estate whose sites, clouds, tenants, nodes, hosts and province carry Chinese
display names (what inventories/luan is for real)."""

from __future__ import annotations

from pathlib import Path

from tests.estate.helpers import replace

NAMES = {
    "province": "广东省（实验）",
    "site": "广州主数据中心",
    "cloud": "广东省政务云",
    "tenant": "人社厅社保系统",
    "node": "天河区甲镇",
    "host": "运维平台主机",
}


def add_chinese_names(lab: Path) -> Path:
    """Give the lab copy at `lab` the display names of NAMES; returns `lab`."""
    replace(lab / "province.yaml", "  code: GD-LAB\n",
            f"  code: GD-LAB\n  display_name: {NAMES['province']}\n")
    replace(lab / "sites.yaml", "description: main data centre}",
            f"description: main data centre, display_name: {NAMES['site']}}}")
    replace(lab / "clouds.yaml", "  - name: gd-gov\n",
            f"  - name: gd-gov\n    display_name: {NAMES['cloud']}\n")
    replace(lab / "tenants.yaml", "    system: social-security\n",
            f"    system: social-security\n    display_name: {NAMES['tenant']}\n")
    replace(lab / "network.yaml", "  - {name: town-tianhe-a, level: town,",
            f"  - {{name: town-tianhe-a, display_name: {NAMES['node']}, level: town,")
    replace(lab / "hosts.yaml", 'mlps: 3, description: "ops platform',
            f'mlps: 3, display_name: {NAMES["host"]}, description: "ops platform')
    return lab
