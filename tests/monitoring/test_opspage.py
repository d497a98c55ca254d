"""The ops page, rendered in headless Chromium against a recorded Prometheus (a site loss)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from govops.monitoring.opspage import make_server, render, summary
from govops.monitoring.prometheus import Prometheus
from tests.monitoring.browser import artifacts_dir, chromium_path, dump_dom, parse, screenshot

G = {"job": "govops", "instance": "127.0.0.1:9860"}
SITES = {"gz-main": "primary", "gz-sec": "same-city", "mz-dr": "remote-dr"}
CENTRES = {"dc-a": "gz-main", "dc-b": "gz-sec", "dc-c": "mz-dr"}


def pair(primary: str, standby: str, kind: str) -> dict[str, str]:
    return {**G, "primary": primary, "standby": standby, "kind": kind}


def town(node: str, county: str, family: str) -> dict[str, str]:
    return {"job": "icmp-town", "node": node, "city": "gz" if county in ("tianhe",) else "fs",
            "county": county, "family": family, "target_kind": "town"}


#: What Prometheus answers during a site loss: dc-a lost, dc-b promoted, a town lost on IPv6.
RESULTS: dict[str, list[tuple[dict[str, str], float]]] = {
    "govops_site_info": [({**G, "site": s, "role": r}, 1) for s, r in SITES.items()],
    "govops_dc_role == 1": [
        ({**G, "centre": "dc-a", "site": "gz-main", "designed_role": "primary", "role": "down"}, 1),
        ({**G, "centre": "dc-b", "site": "gz-sec", "designed_role": "same-city",
          "role": "primary"}, 1),
        ({**G, "centre": "dc-c", "site": "mz-dr", "designed_role": "remote-dr",
          "role": "standby"}, 1),
    ],
    "pg_up": [({"centre": c, "site": s}, 0 if c == "dc-a" else 1) for c, s in CENTRES.items()],
    "govops_dc_up": [({**G, "centre": c, "site": s}, 0 if c == "dc-a" else 1)
                     for c, s in CENTRES.items()],
    "site:govops_dc_probe_success:max": [({"site": s}, 0 if s == "gz-main" else 1)
                                         for s in SITES],
    "govops_dc_primaries": [(G, 1)],
    "govops_replication_rpo_seconds": [(pair("dc-b", "dc-a", "same-city"), 42),
                                       (pair("dc-b", "dc-c", "remote-dr"), 0.004)],
    "govops_replication_rpo_objective_seconds": [(pair("dc-b", "dc-a", "same-city"), 0),
                                                 (pair("dc-b", "dc-c", "remote-dr"), 0)],
    "govops_replication_streaming": [(pair("dc-b", "dc-a", "same-city"), 0),
                                     (pair("dc-b", "dc-c", "remote-dr"), 1)],
    "govops_replication_synchronous": [(pair("dc-b", "dc-a", "same-city"), 0),
                                       (pair("dc-b", "dc-c", "remote-dr"), 0)],
    "govops_replication_lag_bytes": [(pair("dc-b", "dc-c", "remote-dr"), 120)],
    "govops_drill_last_verdict": [({**G, "scenario": "site-loss", "verdict": "pass"}, 1),
                                  ({**G, "scenario": "switchover", "verdict": "fail"}, 1)],
    "govops_drill_last_success": [({**G, "scenario": "site-loss"}, 1),
                                  ({**G, "scenario": "switchover"}, 0)],
    "govops_drill_last_rto_seconds": [({**G, "scenario": "site-loss"}, 0.35),
                                      ({**G, "scenario": "switchover"}, 400)],
    "govops_drill_rto_objective_seconds": [({**G, "scenario": "site-loss"}, 300),
                                           ({**G, "scenario": "switchover"}, 300)],
    "govops_drill_last_rpo_seconds": [({**G, "scenario": "site-loss"}, 0),
                                      ({**G, "scenario": "switchover"}, 0)],
    "govops_drill_rpo_objective_seconds": [({**G, "scenario": "site-loss"}, 0),
                                           ({**G, "scenario": "switchover"}, 0)],
    "govops_drill_last_lost_writes": [({**G, "scenario": "site-loss"}, 0)],
    "govops_drill_last_finished_timestamp_seconds": [({**G, "scenario": "site-loss"}, 1.795e9),
                                                     ({**G, "scenario": "switchover"}, 1.795e9)],
    "govops_drill_interval_seconds": [({**G, "scenario": s}, 90 * 86400)
                                      for s in ("site-loss", "switchover", "failback")],
    'probe_success{target_kind="town"}': [
        (town("town-tianhe-a", "tianhe", "ipv6"), 1), (town("town-tianhe-a", "tianhe", "ipv4"), 1),
        (town("town-tianhe-b", "tianhe", "ipv6"), 0), (town("town-tianhe-b", "tianhe", "ipv4"), 1),
        (town("town-nanhai-a", "nanhai", "ipv6"), 1), (town("town-nanhai-a", "nanhai", "ipv4"), 1),
    ],
    "govops_kpi_intensification_ratio": [(G, 1.0)],
    "govops_kpi_department_systems": [(G, 5)],
    "govops_kpi_department_systems_unified": [(G, 5)],
    "govops_kpi_ipv6_node_coverage_ratio": [(G, 1.0)],
    "govops_kpi_ipv6_link_coverage_ratio": [(G, 1.0)],
    "govops:kpi_ipv6_town_reachability:ratio": [({}, 2 / 3)],
    "up": [({"job": j, "instance": str(i)}, 0 if j == "postgres" else 1)
           for i, j in enumerate(["govops", "prometheus", "frr", "postgres", "blackbox"])],
    "govops_source_up": [({**G, "source": "estate"}, 1), ({**G, "source": "replication"}, 1)],
    "govops_estate_exception_info": [({**G, "rule": "single_homed", "kind": "town",
                                       "name": "town-island-a", "display_name": "海岛镇",
                                       "reason": "one fibre route until 2027"}, 1)],
}
ALERTS = [
    {"labels": {"alertname": "SiteDown", "severity": "critical", "site": "gz-main"},
     "annotations": {"summary": "Data centre gz-main is unreachable",
                     "runbook_url": "docs/runbooks/data-centres.md#sitedown"},
     "state": "firing", "activeAt": "2026-11-28T10:00:00Z"},
    {"labels": {"alertname": "TownUnreachableIPv6", "severity": "warning"},
     "annotations": {"summary": "Town town-tianhe-b (tianhe, gz) is unreachable over IPv6",
                     "runbook_url": "docs/runbooks/extranet.md#townunreachableipv6"},
     "state": "pending", "activeAt": "2026-11-28T10:00:30Z"},
]


@pytest.fixture(scope="module")
def fake_prometheus() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/api/v1/query":
                expr = urllib.parse.parse_qs(url.query)["query"][0]
                result = [{"metric": m, "value": [1.8e9, str(v)]} for m, v in RESULTS.get(expr, [])]
                body = {"status": "success", "data": {"resultType": "vector", "result": result}}
            elif url.path == "/api/v1/alerts":
                body = {"status": "success", "data": {"alerts": ALERTS}}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def ops_page(fake_prometheus: str) -> Iterator[str]:
    server = make_server("127.0.0.1:0", fake_prometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_summary_of_a_site_loss(fake_prometheus: str) -> None:
    data = summary(Prometheus(fake_prometheus))
    roles = {c["centre"]: c["role"] for c in data["data_centres"]}
    assert roles == {"dc-a": "down", "dc-b": "primary", "dc-c": "standby"}
    within = {p["standby"]: p["within_objective"] for p in data["replication"]}
    assert within == {"dc-a": False, "dc-c": True}
    drills = {d["scenario"]: d for d in data["drills"]}
    assert drills["failback"]["verdict"] == "never run" and drills["failback"]["overdue"]
    assert drills["switchover"]["passed"] is False
    cities = {c["city"]: c for c in data["extranet"]["cities"]}
    assert cities["gz"] == {"city": "gz", "towns": 2, "ipv6": 1, "ipv4": 2}
    assert data["health"] == {"targets": 5, "targets_up": 4,
                              "sources": {"estate": True, "replication": True}}
    assert "SiteDown" in render(data)
    assert data["exceptions"] == [{"rule": "single_homed", "kind": "town", "name": "town-island-a",
                                   "display_name": "海岛镇", "reason": "one fibre route until 2027"}]
    assert "town town-island-a (海岛镇)" in render(data)  # the ops page lists every exception


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed "
                    "(apt-get install -y --no-install-recommends chromium)")
def test_ops_page_in_headless_chromium(ops_page: str) -> None:
    shot = screenshot(ops_page, artifacts_dir() / "ops-page-site-loss.png")
    assert shot.stat().st_size > 10_000
    dom = parse(dump_dom(ops_page))
    dc = dom.by_id("dc").rows("centre")
    assert dc["dc-a"].attrs["data-role"] == "down" and "down" in dc["dc-a"].text
    assert dc["dc-b"].attrs["data-role"] == "primary" and "same-city" in dc["dc-b"].text
    pairs = dom.by_id("replication").rows("pair")
    assert pairs["dc-b-dc-a"].attrs["data-within"] == "False" and "42 s" in pairs["dc-b-dc-a"].text
    assert pairs["dc-b-dc-c"].attrs["data-within"] == "True"
    drills = dom.by_id("drills").rows("scenario")
    assert drills["site-loss"].attrs["data-verdict"] == "pass" and "0.35 s" in drills["site-loss"].text
    assert "5 min" in drills["site-loss"].text  # the RTO objective next to the measurement
    assert drills["switchover"].attrs["data-verdict"] == "fail"
    assert "never" in drills["failback"].text and "overdue" in drills["failback"].text
    ext = dom.by_id("extranet")
    cities = ext.rows("city")
    assert cities["gz"].attrs["data-ipv6"] == "1" and cities["gz"].attrs["data-towns"] == "2"
    assert ext.rows("county")["nanhai"].attrs["data-ipv6"] == "1"
    towns = ext.rows("town")
    assert set(towns) == {"town-tianhe-a", "town-tianhe-b", "town-nanhai-a"}
    assert towns["town-tianhe-b"].attrs["data-ipv6"] == "False"
    alerts = dom.by_id("alerts")
    assert "1 firing, 1 pending" in alerts.text
    site_down = alerts.rows("alert")["SiteDown"]
    links = site_down.find_all("a")
    assert links and links[0].attrs["href"] == "/docs/runbooks/data-centres.md#sitedown"
    kpis = {e.attrs["data-kpi"]: e.text for e in dom.by_id("kpis").find_all("div")}
    assert "100.0 %" in kpis["intensification"] and "66.7 %" in kpis["ipv6-reach"]
    assert "5 / 5" in kpis["systems"]
    assert "4/5" in dom.by_id("targets").text


def test_runbook_links_resolve_on_the_page_server(ops_page: str) -> None:
    with urllib.request.urlopen(f"{ops_page}/docs/runbooks/data-centres.md", timeout=5) as resp:
        assert "## SiteDown" in resp.read().decode()
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{ops_page}/docs/runbooks/../../pyproject.toml", timeout=5)


def test_unreachable_prometheus_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1:0", f"http://127.0.0.1:{port}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/", timeout=10)
        assert err.value.code == 503
        text = err.value.read().decode()
        banner = parse(text).by_id("error").text
        assert "unreachable" in banner and "\n" not in banner.strip()
    finally:
        server.shutdown()


def test_prometheus_client_helpers_for_drills(fake_prometheus: str) -> None:
    from govops.monitoring.prometheus import PrometheusError

    prom = Prometheus(fake_prometheus)
    assert prom.value("govops_dc_primaries") == 1
    assert prom.value("no_such_series") is None
    with pytest.raises(PrometheusError, match="expected one"):
        prom.value("pg_up")
    assert [a["labels"]["site"] for a in prom.firing("SiteDown")] == ["gz-main"]
    assert prom.firing("TownUnreachableIPv6") == []  # pending, not firing
