"""Activities as plain functions, without the runner or a lab: objectives, abort conditions,
waits on the ledger, the control's abort rule, recovery of a dead runner, the report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from chaoslib.exceptions import InterruptExecution

from govops.drills import control, probes, report, runstate
from govops.drills.workdir import Ack, WorkDir, ack_line, append_line, write_json
from govops.errors import BadInput

ROOT = Path(__file__).resolve().parents[2]
ESTATE = str(ROOT / "inventories" / "lab")


def test_default_tenant_is_the_first_with_the_highest_dr_level() -> None:
    tenant, objective = probes.objective_for(ESTATE, None)
    assert tenant == "hrss-social-security"
    assert (objective.rto_s, objective.rpo_s, objective.level) == (300, 0, 6)
    assert probes.objective_for(ESTATE, "health-e-health")[1].level == 5
    with pytest.raises(BadInput, match="unknown tenant 'x'"):
        probes.objective_for(ESTATE, "x")


def test_is_ok_tolerance() -> None:
    assert probes.is_ok({"ok": True, "detail": "x"})
    assert not probes.is_ok({"ok": False}) and not probes.is_ok(None) and not probes.is_ok(True)


def _work(tmp_path: Path) -> WorkDir:
    return WorkDir(tmp_path / "run").create()


def test_load_is_flowing_is_an_abort_condition(tmp_path: Path) -> None:
    work = _work(tmp_path)
    now = time.time()
    for i in range(150):
        append_line(work.ledger, ack_line(Ack(f"w-{i}", now - 1.05 + i / 200, now - 1.05 + i / 200,
                                              "dc-a")))
    assert probes.load_is_flowing(str(work.path), rate=100)["ok"]
    with pytest.raises(RuntimeError, match="load is not flowing"):
        probes.load_is_flowing(str(work.path), rate=400)


def test_wait_for_first_write_after_the_fault(tmp_path: Path) -> None:
    work = _work(tmp_path)
    t = time.time()
    work.event("fault", t=t, lost=["dc-a"], label="loss of dc-a")
    work.event("promoted", t=t + 0.5, centre="dc-b")
    for i, (acked, centre) in enumerate([(t - 0.1, "dc-a"), (t + 0.2, "dc-a"), (t + 0.7, "dc-b")]):
        append_line(work.ledger, ack_line(Ack(f"w-{i}", acked, acked, centre)))
    result = probes.wait_for_first_write(str(work.path), timeout_s=1)
    assert result["centre"] == "dc-b" and result["rto_s"] == pytest.approx(0.7)
    assert work.read_events()[-1]["event"] == "first-write"


def test_wait_for_first_write_gives_up(tmp_path: Path) -> None:
    work = _work(tmp_path)
    work.event("fault", t=time.time(), lost=["dc-a"])
    with pytest.raises(RuntimeError, match="no write acknowledged within 0.2 s"):
        probes.wait_for_first_write(str(work.path), timeout_s=0.2)
    empty = _work(tmp_path / "b")
    assert probes.wait_for_first_write(str(empty.path), required=False) == {
        "skipped": "no fault in this drill"}


def test_wait_for_failover(tmp_path: Path) -> None:
    work = _work(tmp_path)
    t = time.time()
    work.event("fault", t=t, lost=["dc-a"])
    work.event("detected", t=t + 0.6, centre="dc-a")
    work.event("promoted", t=t + 0.8, centre="dc-b")
    work.event("failover-done", t=t + 0.9, primary="dc-b")
    result = probes.wait_for_failover(str(work.path), timeout_s=1)
    assert result["primary"] == "dc-b" and result["detected_after_s"] == pytest.approx(0.6)
    bad = _work(tmp_path / "b")
    bad.event("fault", t=t, lost=["dc-a", "dc-b"])
    bad.event("failover-failed", t=t + 1, candidates=["dc-b"])
    with pytest.raises(RuntimeError, match="failover-failed"):
        probes.wait_for_failover(str(bad.path), timeout_s=1)


def test_a_failed_method_activity_aborts_the_drill(tmp_path: Path) -> None:
    control.configure_control()
    control.STATE.work_dir = str(_work(tmp_path).path)
    failed = {"status": "failed",
              "exception": ["Traceback…", "chaoslib.exceptions.ActivityFailed: RuntimeError: "
                                          "no failover within 60 s of the fault (abort)\n"]}
    # outside the method (steady-state probes, rollbacks) a failure is only recorded
    control.after_activity_control({"name": "x"}, state=failed, configuration={"phase": "before"})
    with pytest.raises(InterruptExecution, match="failover-completes: RuntimeError: no failover"):
        control.after_activity_control({"name": "failover-completes"}, state=failed,
                                       configuration={"phase": "method"})
    control.after_activity_control({"name": "ok"}, state={"status": "succeeded"},
                                   configuration={"phase": "method"})


def _context(work: WorkDir, experiment: Path) -> None:
    work.write_context({"scenario": "site-loss", "tenant": "t", "kind": "service",
                        "tenant_display_name": "人社厅社保系统",
                        "objective": {"rto_s": 300, "rpo_s": 0, "level": 6, "name": "x"},
                        "target": {"rto_s": 5}, "rate": 200, "started_at": time.time(),
                        "dc_dir": "", "configuration": {"work_dir": str(work.path),
                                                        "dc_dir": ""},
                        "experiment": str(experiment)})


def test_report_of_a_synthetic_run(tmp_path: Path) -> None:
    work = _work(tmp_path)
    _context(work, tmp_path / "none.json")
    t = time.time()
    work.event("fault", t=t, lost=["dc-a"], label="loss of dc-a")
    work.event("promoted", t=t + 0.9, centre="dc-b")
    write_json(work.measurement, {"rto_s": 1.0, "rpo_s": 0.0, "lost_writes": 0, "outages": [],
                                  "loss": {"checked": 10, "lost": 0, "rpo_s": 0.0,
                                           "first_lost_at": None, "last_lost_at": None,
                                           "lost_ids": []}})
    for i in range(10):
        append_line(work.ledger, ack_line(Ack(f"w-{i}", t - 1 + i * 0.2, t - 1 + i * 0.2, "dc-a")))
    journal = {"status": "completed", "steady_states": {
        "before": {"steady_state_met": True, "probes": [
            {"activity": {"name": "p"}, "status": "succeeded", "tolerance_met": True,
             "output": {"ok": True, "detail": "fine"}}]},
        "after": {"steady_state_met": True, "probes": []}}, "run": [], "rollbacks": []}
    data = report.write_report(work, journal)
    for key in ("scenario", "tenant", "verdict", "rto_s", "rpo_s", "lost_writes", "objective",
                "started_at", "finished_at", "steady_state"):
        assert key in data
    assert data["verdict"] == "pass" and data["objective"]["rto_s"] == 300
    assert json.loads((work.path / "report.json").read_text())["verdict"] == "pass"
    assert "— PASS" in (work.path / "report.md").read_text()
    assert "Tenant **t** (人社厅社保系统)" in (work.path / "report.md").read_text(encoding="utf-8")
    assert "人社厅社保系统" in (work.path / "report.json").read_text(encoding="utf-8")  # unescaped
    assert (work.path / "timeline.png").stat().st_size > 10_000


def test_recover_a_drill_whose_runner_died(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVOPS_LAB_DIR", str(tmp_path / "lab"))
    work = _work(tmp_path)
    experiment = tmp_path / "x.json"
    experiment.write_text(json.dumps({"rollbacks": [
        {"type": "action", "name": "stop-helpers", "provider": {
            "type": "python", "module": "govops.drills.actions", "func": "stop_helpers",
            "arguments": {"work_dir": "${work_dir}"}}}]}))
    _context(work, experiment)
    work.event("method-started")
    marker = runstate.marker_path()
    marker.parent.mkdir(parents=True)
    write_json(marker, {"pid": 2 ** 22 + 7, "drill": "site-loss", "work_dir": str(work.path),
                        "experiment": str(experiment), "started_at": time.time()})
    result = runstate.recover_stale()
    assert result is not None and result["rollbacks"][0]["status"] == "succeeded"
    assert not marker.exists()
    data = json.loads((work.path / "report.json").read_text())
    assert data["verdict"] == "aborted" and "died during the drill" in data["reasons"][0]
    assert runstate.recover_stale() is None


def test_promql_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"status": "success", "data": {"result": [{"value": [0, "0.2"]},
                                                        {"value": [0, "0.9"]}]}}
    monkeypatch.setattr(probes, "_http", lambda *a, **k: (200, answers))
    assert probes.promql_within("http://127.0.0.1:9090", "x", 0, 1)["ok"]
    assert not probes.promql_within("http://127.0.0.1:9090", "x", 0, 0.5)["ok"]
    monkeypatch.setattr(probes, "_http", lambda *a, **k: (_ for _ in ()).throw(OSError("refused")))
    result = probes.promql_within("http://127.0.0.1:9090", "x", 0, 1)
    assert not result["ok"] and "refused" in result["detail"]
