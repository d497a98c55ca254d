"""The govops exporter: what it serves, how it survives bad sources, its HTTP side."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from govops.monitoring.exporter import Exporter, ExporterOptions, parse_listen
from govops.monitoring.replication import Centre, Probe, ReplicationSource

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventories" / "lab"


def samples(exporter: Exporter) -> dict[str, list[tuple[dict[str, str], float]]]:
    """name → [(labels, value)] from a real text scrape."""
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(exporter.metrics().decode()):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def value(data: dict, name: str, **labels: str) -> float:
    hits = [v for ls, v in data.get(name, []) if all(ls.get(k) == x for k, x in labels.items())]
    assert len(hits) == 1, f"{name}{labels}: {len(hits)} samples"
    return hits[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_estate_series_of_the_lab_estate() -> None:
    from govops.estate.loader import load_estate

    estate = load_estate(LAB)
    exporter = Exporter(ExporterOptions(estate=LAB))
    exporter.refresh_all()
    data = samples(exporter)
    roles = {ls["site"]: ls["role"] for ls, _ in data["govops_site_info"]}
    assert roles == {"gz-main": "primary", "gz-sec": "same-city", "mz-dr": "remote-dr"}
    assert value(data, "govops_cloud_quota_allocated_vcpus", cloud="gd-gov") == 128 + 32 + 16
    assert value(data, "govops_cloud_capacity_ram_bytes", cloud="gd-gov") == 8192 * 2**30
    assert value(data, "govops_tenant_quota_volume_bytes",
                 tenant="hrss-social-security") == 16384 * 2**30
    # a loopback per router, and one per router in each other plane it carries
    assert value(data, "govops_ipam_pool_used_blocks", pool="loopback-v4") == sum(
        len(planes) for planes in estate.carried.values())
    assert value(data, "govops_kpi_department_systems") == 5
    assert value(data, "govops_kpi_intensification_ratio") == 1.0
    assert value(data, "govops_kpi_ipv6_node_coverage_ratio") == 1.0
    assert value(data, "govops_node_ospf_neighbours_expected", node="town-tianhe-a") == 2
    assert value(data, "govops_dr_level_rpo_objective_seconds", level="6") == 0
    assert value(data, "govops_source_up", source="estate") == 1
    assert len(data["govops_node_info"]) == len(estate.nodes)


def test_metric_names_follow_the_conventions(tmp_path: Path) -> None:
    exporter = Exporter(ExporterOptions(estate=LAB, drills=tmp_path, rollouts=tmp_path,
                                        dsn="host=127.0.0.1 port=1"))
    exporter.refresh_all()
    names = {f.name for f in exporter.registry.collect()}
    ours = {n for n in names if not n.startswith("process_")}
    assert ours and all(re.fullmatch(r"govops_[a-z0-9_]+", n) for n in ours)
    for name in ours:
        # base units only, and time stamps say so
        assert not re.search(r"_(ms|milliseconds|minutes|hours|days|gb|mb|kb|gib|percent)(_|$)",
                             name), name
        if "timestamp" in name:
            assert name.endswith("_timestamp_seconds"), name


def test_the_estate_is_read_once_per_change(lab_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import govops.estate.loader as loader

    calls = []
    real = loader.load_estate
    monkeypatch.setattr(loader, "load_estate", lambda d, **kw: calls.append(d) or real(d, **kw))
    exporter = Exporter(ExporterOptions(estate=lab_copy))
    for _ in range(3):
        exporter.refresh_all()
    assert len(calls) == 1
    path = lab_copy / "tenants.yaml"
    path.write_text(path.read_text() + "\n# touched\n")
    exporter.refresh_all()
    assert len(calls) == 2


def test_invalid_estate_keeps_serving_the_last_valid_one(
        lab_copy: Path, caplog: pytest.LogCaptureFixture) -> None:
    exporter = Exporter(ExporterOptions(estate=lab_copy))
    exporter.refresh_all()
    network = lab_copy / "network.yaml"
    good = network.read_text()
    network.write_text(good.replace("uplinks: [cnty-tianhe-1, cnty-tianhe-2]}",
                                    "uplinks: [cnty-tianhe-1, cnty-nowhere-9]}", 1))
    with caplog.at_level(logging.INFO, logger="govops.exporter"):
        exporter.refresh_all()
        exporter.refresh_all()
    data = samples(exporter)
    assert value(data, "govops_source_up", source="estate") == 0
    assert len(data["govops_site_info"]) == 3  # the last valid estate is still served
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    line = errors[0].getMessage()
    assert "\n" not in line and "network.yaml:" in line and "cnty-nowhere-9" in line
    assert "serving the last valid estate" in line
    network.write_text(good)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="govops.exporter"):
        exporter.refresh_all()
    assert value(samples(exporter), "govops_source_up", source="estate") == 1
    assert any("up again" in r.getMessage() for r in caplog.records)


def test_missing_estate_is_a_down_source_not_a_crash(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    exporter = Exporter(ExporterOptions(estate=tmp_path / "nowhere"))
    with caplog.at_level(logging.INFO, logger="govops.exporter"):
        exporter.refresh_all()
    data = samples(exporter)
    assert value(data, "govops_source_up", source="estate") == 0
    assert "govops_site_info" not in data
    assert any("no such directory" in r.getMessage() for r in caplog.records)


def test_unreachable_database_marks_the_source_down_once(
        caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there: connection refused at once
    exporter = Exporter(ExporterOptions(estate=LAB, dsn=f"host=127.0.0.1 port={port} "
                                        "user=postgres dbname=govops"))
    with caplog.at_level(logging.INFO, logger="govops.exporter"):
        exporter.refresh_all()
        exporter.refresh_all()
    data = samples(exporter)
    assert value(data, "govops_source_up", source="replication") == 0
    assert value(data, "govops_dc_up", centre="127.0.0.1") == 0
    assert value(data, "govops_dc_primaries") == 0
    assert value(data, "govops_source_up", source="estate") == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "replication" in errors[0] and "\n" not in errors[0]


def test_no_database_configured_means_no_replication_series(tmp_path: Path) -> None:
    exporter = Exporter(ExporterOptions(estate=LAB, dc_lab=tmp_path / "no-dc-lab"))
    exporter.refresh_all()
    data = samples(exporter)
    assert not [ls for ls, _ in data["govops_source_up"] if ls["source"] == "replication"]
    assert "govops_dc_up" not in data


class _EstateSource:
    def __init__(self) -> None:
        from govops.estate.loader import load_estate

        self.estate = load_estate(LAB)


def _centre(name: str, role: str, site: str) -> Centre:
    return Centre(name, f"198.19.250.{'abc'.index(name[-1]) + 1}", 5432, site, role,
                  name.replace("-", "_"))


def test_replication_rpo_per_pair_through_a_site_loss() -> None:
    a, b, c = (_centre("dc-a", "primary", "gz-main"), _centre("dc-b", "same-city", "gz-sec"),
               _centre("dc-c", "remote-dr", "mz-dr"))
    src = ReplicationSource(dc_lab=Path("/nonexistent"), estate_source=_EstateSource())
    # steady state: dc-b synchronous, dc-c asynchronous 4 ms behind
    rows = [("dc_b", b.host, "streaming", "sync", 0.0, 0.0, None, None),
            ("dc_c", c.host, "streaming", "async", 120.0, 120.0, 0.004, 0.006)]
    fams = {f.name: f for f in src._families(
        [Probe(a, True, False, rows), Probe(b, True, True), Probe(c, True, True)], now=1000.0)}

    def get(name: str, standby: str) -> float:
        return next(s.value for s in fams[name].samples if s.labels["standby"] == standby)

    assert get("govops_replication_rpo_seconds", "dc-b") == 0
    assert get("govops_replication_rpo_seconds", "dc-c") == pytest.approx(0.004)
    assert get("govops_replication_synchronous", "dc-b") == 1
    # DR levels 6 (hrss) needs both copies: objective 0 for both kinds
    assert get("govops_replication_rpo_objective_seconds", "dc-b") == 0
    kinds = {s.labels["standby"]: s.labels["kind"] for s in
             fams["govops_replication_rpo_seconds"].samples}
    assert kinds == {"dc-b": "same-city", "dc-c": "remote-dr"}
    # dc-a is lost, dc-b promoted: dc-a does not stream, its RPO grows from now on
    fams = {f.name: f for f in src._families(
        [Probe(a, False, error="timeout"), Probe(b, True, False, []), Probe(c, True, True)],
        now=1010.0)}
    assert next(s.value for s in fams["govops_dc_primaries"].samples) == 1
    fams = {f.name: f for f in src._families(
        [Probe(a, False, error="timeout"), Probe(b, True, False, []), Probe(c, True, True)],
        now=1040.0)}
    assert get("govops_replication_rpo_seconds", "dc-a") == 30.0
    assert get("govops_replication_streaming", "dc-a") == 0
    role = {(s.labels["centre"], s.labels["role"]): s.value for s in fams["govops_dc_role"].samples}
    assert role[("dc-a", "down")] == 1 and role[("dc-b", "primary")] == 1


def _report(folder: Path, name: str, **fields: object) -> None:
    (folder / name).mkdir(parents=True)
    base = {"scenario": "site-loss", "verdict": "pass", "rto_s": 1.2, "rpo_s": 0.0,
            "lost_writes": 0, "objective": {"rto_s": 300, "rpo_s": 0},
            "finished_at": "2026-11-20T10:00:00Z"}
    (folder / name / "report.json").write_text(json.dumps({**base, **fields}))


def test_latest_drill_per_scenario_and_schedule(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _report(reports, "20261101-site-loss", verdict="fail", rto_s=400,
            finished_at="2026-11-01T10:00:00Z")
    _report(reports, "20261120-site-loss")
    _report(reports, "20261121-switchover", scenario="switchover", rto_s=0.4,
            finished_at=1795000000)
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text("drills:\n  - {scenario: failback, every_days: 30}\n")
    exporter = Exporter(ExporterOptions(estate=LAB, drills=reports, schedule=schedule))
    exporter.refresh_all()
    data = samples(exporter)
    assert value(data, "govops_drill_last_success", scenario="site-loss") == 1
    assert value(data, "govops_drill_last_rto_seconds", scenario="site-loss") == 1.2
    assert value(data, "govops_drill_reports", scenario="site-loss") == 2
    assert value(data, "govops_drill_last_finished_timestamp_seconds",
                 scenario="switchover") == 1795000000
    assert value(data, "govops_drill_interval_seconds", scenario="failback") == 30 * 86400
    assert value(data, "govops_drill_interval_seconds", scenario="site-loss") == 90 * 86400
    assert value(data, "govops_source_up", source="drills") == 1
    # a broken report: the others are still served, the source says it is down
    (reports / "20261122-broken").mkdir()
    (reports / "20261122-broken" / "report.json").write_text("{not json")
    exporter.refresh_all()
    data = samples(exporter)
    assert value(data, "govops_source_up", source="drills") == 0
    assert value(data, "govops_drill_last_success", scenario="site-loss") == 1


def test_config_drift_and_last_rollout_result_from_journals(tmp_path: Path) -> None:
    from govops.network.journal import Journal

    root = tmp_path / "rollouts"
    first = Journal(root, "20261128-100000-aaaa")
    first.write("start", devices=["town-a", "town-b", "town-c"], options={"check": True})
    first.write("done", device="town-a", status="would-change")
    first.write("done", device="town-b", status="unchanged")
    first.write("done", device="town-c", status="would-change")
    first.write("end", stopped=None)
    time.sleep(0.01)
    second = Journal(root, "20261128-110000-bbbb")
    second.write("start", devices=["town-a", "town-c"], options={"check": False})
    second.write("done", device="town-a", status="changed")
    second.write("done", device="town-c", status="failed", restored=True)
    exporter = Exporter(ExporterOptions(estate=LAB, rollouts=root))
    exporter.refresh_all()
    data = samples(exporter)
    assert value(data, "govops_device_config_drift", device="town-a") == 0
    assert value(data, "govops_device_config_drift", device="town-b") == 0
    assert value(data, "govops_device_config_drift", device="town-c") == 1
    assert value(data, "govops_device_rollout_last_status", device="town-c") == 1
    status = {ls["device"]: ls["status"] for ls, _ in data["govops_device_rollout_last_status"]}
    assert status == {"town-a": "changed", "town-b": "unchanged", "town-c": "failed"}
    assert value(data, "govops_rollout_finished", rollout="20261128-110000-bbbb") == 0
    assert value(data, "govops_rollout_devices", rollout="20261128-100000-aaaa",
                 status="would-change") == 2


def test_http_metrics_healthz_and_404() -> None:
    exporter = Exporter(ExporterOptions(estate=LAB, listen="127.0.0.1:0"))
    server = exporter.bind()
    port = server.server_address[1]
    thread = threading.Thread(target=exporter.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        with pytest.raises(urllib.error.HTTPError) as not_ready:
            urllib.request.urlopen(f"{base}/healthz", timeout=5)
        assert not_ready.value.code == 503
        exporter.start()
        deadline = time.monotonic() + 20
        while not exporter.ready and time.monotonic() < deadline:
            time.sleep(0.05)
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
            assert json.load(resp)["sources"]["estate"]["up"] is True
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
            assert resp.headers["Content-Type"].startswith("text/plain")
            assert b"govops_site_info{" in resp.read()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/nope", timeout=5)
        assert missing.value.code == 404
    finally:
        exporter.shutdown()


@pytest.mark.parametrize("text", ["9860", "host:port", "127.0.0.1:70000"])
def test_bad_listen_address(text: str) -> None:
    from govops.errors import BadInput

    with pytest.raises(BadInput, match="ADDR:PORT"):
        parse_listen(text)


def test_listen_forms() -> None:
    assert parse_listen("[::1]:9860") == ("::1", 9860)
    assert parse_listen(":9860") == ("0.0.0.0", 9860)


def test_cli_exporter_with_bad_estate_and_database_keeps_serving(lab_copy: Path) -> None:
    """The real process: an invalid estate and an unreachable database are two down sources,
    one log line each, and the exporter keeps answering."""
    import subprocess
    import sys

    (lab_copy / "sites.yaml").write_text("sites:\n  - {name: gz-main, role: primery, lat: 1, lon: 1}\n")
    port, db_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "govops", "exporter", "--estate", str(lab_copy), "--listen",
         f"127.0.0.1:{port}", "--dsn", f"host=127.0.0.1 port={db_port} user=postgres",
         "--drills", str(lab_copy / "none"), "--rollouts", str(lab_copy / "none")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"exporter exited {proc.returncode}: {proc.stderr.read()[-2000:]}")
                assert time.monotonic() < deadline, "exporter not ready after 30 s"
                time.sleep(0.2)
        time.sleep(6)  # a few more refreshes: still one line per source
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        assert 'govops_source_up{source="estate"} 0.0' in text
        assert 'govops_source_up{source="replication"} 0.0' in text
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    errors = [line for line in err.splitlines() if " ERROR " in line]
    assert len(errors) == 2, err
    assert any("sites.yaml:2:" in e and "primery" in e for e in errors)
    assert any("replication" in e and "Connection refused" in e for e in errors)
    assert "Traceback" not in err
