"""Monitoring in the lab, for real: Prometheus scrapes every exporter, the blackbox in the
province core reaches every town over IPv6, every dashboard query returns data, and the ops
page renders the lab in Chromium.

The lab is shared: when it is up (`govops lab status`) the tests use it; otherwise they bring
it up with `govops lab up` and take it down again with `govops lab down`. The DC lab and the
monitoring are treated the same way (started here only when absent, and then stopped here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.monitoring.browser import artifacts_dir, chromium_path, dump_dom, parse, screenshot

ROOT = Path(__file__).resolve().parents[2]
GOVOPS = str(ROOT / ".venv" / "bin" / "govops")
ESTATE = ROOT / "inventories" / "lab"

pytestmark = [
    pytest.mark.lab,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root"),
    pytest.mark.skipif(not Path("/usr/bin/prometheus").exists()
                       or not Path("/usr/lib/frr/zebra").exists(),
                       reason="needs prometheus, the exporters and FRR (scripts/install-deps.sh)"),
]


def govops(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([GOVOPS, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)
    assert proc.returncode == 0, f"govops {' '.join(args)}: {proc.stderr[-3000:]}"
    return proc


def eventually(check: Callable[[], Any], timeout: float, what: str, every: float = 2.0) -> Any:
    """Call `check` until it returns something truthy; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, ValueError, KeyError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    pytest.fail(f"{what} not reached in {timeout:.0f} s (last: {last!r})"[:3000])


def _push_extranet() -> None:
    """Give every lab router its intended config (idempotent: unchanged devices stay)."""
    if "push" in govops("net", "--help").stdout:
        subprocess.run([GOVOPS, "net", "push", "--estate", str(ESTATE)], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
        return
    from govops.network import pushing
    from govops.network.rollout import RolloutOptions

    pushing.push(ESTATE, None, RolloutOptions(canary=1, batch_size=8, workers=4))


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, Any]]:
    from govops.estate.loader import load_estate
    from govops.lab import datacentres
    from govops.lab import routers as router_lab
    from govops.lab.from_estate import dc_spec
    from govops.monitoring import lab as monitoring
    from govops.paths import lab_dir

    routers = router_lab.status(lab_dir() / "routers")
    brought_up = not routers
    if brought_up or not all(r.healthy for r in routers):
        govops("lab", "up")
    estate = load_estate(ESTATE)
    dc_dir = lab_dir() / "dc"
    built_dc = False
    if not datacentres.status(dc_dir).built:  # as `govops lab up` builds it
        datacentres.build(dc_spec(estate, dc_dir))
        built_dc = True
    _push_extranet()
    mon_dir = lab_dir() / "monitoring"
    started = not monitoring.status(mon_dir).up
    state = monitoring.start(estate, mon_dir)
    reports = ROOT / "dr-drills" / "reports"
    selftest = None
    if not list(reports.glob("*/report.json")):  # no drill has run: give the panels one
        selftest = reports / time.strftime("%Y%m%dT%H%M%SZ-monitoring-selftest", time.gmtime())
        selftest.mkdir(parents=True)
        (selftest / "report.json").write_text(json.dumps({
            "scenario": "monitoring-selftest", "verdict": "pass", "rto_s": 0.0, "rpo_s": 0.0,
            "lost_writes": 0, "objective": {"rto_s": 300, "rpo_s": 0},
            "finished_at": time.time()}))
    try:
        yield {"estate": estate, "state": state, "dir": mon_dir,
               "prometheus": state.prometheus_url, "ops": state.ops_url}
    finally:
        if selftest is not None:
            shutil.rmtree(selftest, ignore_errors=True)
        if started:
            monitoring.stop(mon_dir)
        if built_dc:
            datacentres.teardown(dc_dir)
        if brought_up:
            govops("lab", "down")


def query(prom: str, expr: str) -> list[dict[str, Any]]:
    url = f"{prom}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        data = json.load(resp)
    assert data["status"] == "success", data
    return data["data"]["result"]


def test_start_is_idempotent_and_status_shows_it(lab: dict[str, Any]) -> None:
    from govops.monitoring import lab as monitoring

    again = monitoring.start(lab["estate"], lab["dir"])
    assert again.started == ()
    status = monitoring.status(lab["dir"])
    assert status.up and status.prometheus_url == lab["prometheus"]
    names = {p.name for p in status.processes}
    assert {"prometheus", "govops-exporter", "blackbox-core", "ops-page"} <= names
    frr = {p.netns for p in status.processes if p.name.startswith("frr-")}
    assert frr == {n for n, node in lab["estate"].nodes.items() if node.managed}


def test_every_scrape_target_is_up(lab: dict[str, Any]) -> None:
    def targets() -> list[dict[str, Any]] | None:
        url = f"{lab['prometheus']}/api/v1/targets?state=active"
        with urllib.request.urlopen(url, timeout=10) as resp:
            active = json.load(resp)["data"]["activeTargets"]
        return active if active and all(t["health"] == "up" for t in active) else None

    active = eventually(targets, 120, "every target up")
    jobs: dict[str, int] = {}
    for t in active:
        jobs[t["labels"]["job"]] = jobs.get(t["labels"]["job"], 0) + 1
    managed = sum(1 for n in lab["estate"].nodes.values() if n.managed)
    towns = sum(1 for n in lab["estate"].nodes.values() if n.level == "town")
    assert jobs["frr"] == managed and jobs["icmp-town"] == 2 * towns
    assert jobs["govops"] == 1 and jobs["prometheus"] == 1
    assert jobs["postgres"] == 3 and jobs["icmp-dc"] == 6
    up = query(lab["prometheus"], "up")
    assert up and all(float(r["value"][1]) == 1 for r in up)


def test_blackbox_in_the_core_reaches_every_town_over_ipv6_and_ipv4(lab: dict[str, Any]) -> None:
    towns = {n for n, node in lab["estate"].nodes.items() if node.level == "town"}

    def reached(family: str) -> set[str]:
        rows = query(lab["prometheus"],
                     f'probe_success{{target_kind="town", family="{family}"}} == 1')
        got = {r["metric"]["node"] for r in rows}
        return got if got == towns else set()

    assert eventually(lambda: reached("ipv6"), 180, "every town over IPv6") == towns
    assert eventually(lambda: reached("ipv4"), 60, "every town over IPv4") == towns
    # the probes start in the province core: their source is its loopback
    assert query(lab["prometheus"], 'probe_ip_protocol{target_kind="town", family="ipv6"} == 6')


def test_frr_and_dc_series_carry_the_estate_names(lab: dict[str, Any]) -> None:
    managed = {n for n, node in lab["estate"].nodes.items() if node.managed}
    nodes = {r["metric"]["node"] for r in query(lab["prometheus"], 'frr_collector_up{collector="bgp"}')}
    assert nodes == managed
    bgp = eventually(lambda: query(lab["prometheus"], "frr_bgp_peer_state == 1"), 120,
                     "established BGP sessions")
    assert {r["metric"]["node"] for r in bgp} >= {"town-tianhe-a", "prov-core-1"}
    roles = eventually(lambda: query(lab["prometheus"], "govops_dc_role == 1"), 60, "DC roles")
    assert {r["metric"]["centre"] for r in roles} == {"dc-a", "dc-b", "dc-c"}
    assert query(lab["prometheus"], 'govops_source_up{source="replication"} == 1')


def test_every_dashboard_panel_query_returns_data(lab: dict[str, Any]) -> None:
    from govops.monitoring.dashboards import panel_queries

    def empty() -> list[str] | None:
        missing = [f"{uid} / {title}: {expr}" for uid, title, expr in panel_queries()
                   if not query(lab["prometheus"], expr)]
        return None if missing else ["ok"]

    try:
        eventually(empty, 120, "data for every panel", every=5)
    except pytest.fail.Exception:
        missing = [f"{uid} / {title}: {expr}" for uid, title, expr in panel_queries()
                   if not query(lab["prometheus"], expr)]
        pytest.fail("panels without data: " + "; ".join(missing))


def test_alerts_api_answers_and_no_town_alert_fires(lab: dict[str, Any]) -> None:
    with urllib.request.urlopen(f"{lab['prometheus']}/api/v1/rules?type=alert", timeout=10) as r:
        groups = json.load(r)["data"]["groups"]
    loaded = {rule["name"] for g in groups for rule in g["rules"]}
    assert {"SiteDown", "TownUnreachableIPv6", "ReplicationRpoAboveObjective"} <= loaded
    firing = query(lab["prometheus"], 'ALERTS{alertstate="firing", alertname=~"Town.*"}')
    assert firing == []


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")
def test_ops_page_shows_the_lab_in_chromium(lab: dict[str, Any]) -> None:
    towns = {n for n, node in lab["estate"].nodes.items() if node.level == "town"}
    screenshot(lab["ops"], artifacts_dir() / "ops-page-lab.png")

    def rendered() -> Any:
        dom = parse(dump_dom(lab["ops"]))
        rows = dom.by_id("extranet").rows("town")
        ok = set(rows) == towns and all(r.attrs["data-ipv6"] == "True" for r in rows.values())
        return dom if ok else None

    dom = eventually(rendered, 60, "every town up on the page", every=5)
    centres = dom.by_id("dc").rows("centre")
    assert set(centres) == {"dc-a", "dc-b", "dc-c"}
    assert sum(1 for c in centres.values() if c.attrs["data-role"] == "primary") == 1
    assert dom.by_id("replication").rows("pair")
    assert dom.by_id("drills").rows("scenario")
    kpis = {e.attrs["data-kpi"]: e.text for e in dom.by_id("kpis").find_all("div")}
    assert "100.0 %" in kpis["ipv6-reach"]
    up, _, total = dom.by_id("targets").text.rpartition(":")[2].strip().partition("/")
    assert up == total
