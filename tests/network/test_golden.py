"""Golden files: rendered configs of a few generated-Guangdong devices, and one lab FRR town.

A change to a template or to the estate shows here as a readable diff. After checking that
the new output is what a vendor engineer would write, regenerate the files with

    GOVOPS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/network/test_golden.py

and commit them with the change.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from govops.network.render import instance_name, render_device, render_plane

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GOVOPS_UPDATE_GOLDEN") == "1"

#: device → why it is here
GUANGDONG = {
    "guangzhou-core-1": "Huawei VRP city core: ABR (area 0 up, city area down), RR client",
    "zhuhai-c01-1": "H3C Comware county router: BFD timers per interface, packet filter",
    "guangzhou-c02-t11": "Huawei VRP town with the isolated plane: VPN instance, ACL 3900",
    "zhuhai-c01-t01": "H3C Comware town: LAN origination, Vlan-interface100",
    "egress-1": "Huawei VRP egress: eBGP to two carriers (multi-line), aggregates, next-hop-local",
    "isp-telecom": "a carrier router rendered for simulation: default route to the egress",
}
LAB = {"town-tianhe-a": "FRR 8.4 town with the isolated plane (the lab's routers)",
       "prov-core-1": "FRR province core: the way back of the isolated plane's declared leak"}
#: (router, plane) → why: the lab's per-plane FRR instances (`router@plane`, ADR 0021)
LAB_PLANES = {
    ("town-tianhe-a", "isolated"): "a town's isolated-plane instance: LAN, logical uplinks",
    ("prov-core-1", "isolated"): "the core's isolated-plane instance with the declared leak",
}


def check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.cfg"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
        return
    if not path.exists():
        pytest.fail(f"{path} missing: run with GOVOPS_UPDATE_GOLDEN=1 to create it")
    want = path.read_text()
    if text != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                            f"golden/{name}.cfg", "rendered", n=2))
        pytest.fail(f"{name} differs from its golden file (GOVOPS_UPDATE_GOLDEN=1 "
                    f"regenerates):\n{diff[:6000]}")


@pytest.mark.parametrize("name", sorted(GUANGDONG))
def test_guangdong_golden(gd_estate, name: str) -> None:
    check(name, render_device(gd_estate, name))


@pytest.mark.parametrize("name", sorted(LAB))
def test_lab_golden(lab_estate, name: str) -> None:
    check(name, render_device(lab_estate, name))


@pytest.mark.parametrize("router,plane", sorted(LAB_PLANES))
def test_lab_plane_golden(lab_estate, router: str, plane: str) -> None:
    check(instance_name(router, plane), render_plane(lab_estate, router, plane))
