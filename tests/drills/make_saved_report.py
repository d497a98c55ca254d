"""Write tests/drills/saved/site-loss: a saved drill result as `drill run site-loss` leaves it
(context, events, ledger, measurement, journal, report.json/.md), from a synthetic run with
fixed times, so that `drill report DIR` can be tested without the lab.

Run it by hand after the report format changes: `python -m tests.drills.make_saved_report`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from govops.drills import report
from govops.drills.workdir import Ack, WorkDir, ack_line, append_line, write_json

HERE = Path(__file__).resolve().parent / "saved" / "site-loss"
T = 1796638200.0  # 2026-12-07 10:10:00 UTC, 18:10 in Beijing


def make(folder: Path = HERE) -> Path:
    """Write the saved run into `folder` (replacing it)."""
    shutil.rmtree(folder, ignore_errors=True)
    work = WorkDir(folder).create()
    work.write_context({
        "scenario": "site-loss", "tenant": "hrss-social-security", "kind": "service",
        "tenant_display_name": "人社厅社保系统",
        "title": "Site loss: the main data centre dc-a is lost without warning; the same-city "
                 "dc-b takes over",
        "objective": {"rto_s": 300, "rpo_s": 0, "level": 6, "name": "level 6"},
        "target": {"rto_s": 30}, "rate": 200, "started_at": T - 20, "dc_dir": "",
        "configuration": {"work_dir": "dr-drills/reports/site-loss", "dc_dir": ""},
        "experiment": "dr-drills/site-loss.json"})
    events = [("fault", T, {"lost": ["dc-a"], "label": "loss of dc-a", "expect": "dc-b"}),
              ("cut", T, {"centre": "dc-a"}), ("detected", T + 0.31, {"centre": "dc-a"}),
              ("promoting", T + 0.32, {"centre": "dc-b"}),
              ("promoted", T + 0.35, {"centre": "dc-b"}),
              ("repointed", T + 0.44, {"centre": "dc-c", "upstream": "dc-b"}),
              ("first-write", T + 0.41, {"centre": "dc-b"}),
              ("kept-lost", T + 12.0, {"centre": "dc-a"}),
              ("rollback-started", T + 12.5, {}), ("restored", T + 12.6, {"centre": "dc-a"}),
              ("rollback-done", T + 13.0, {})]
    for name, t, fields in events:
        work.event(name, t=t, **fields)
    acks = []
    for i in range(400):
        sent = T - 10 + i * 0.05
        if T <= sent < T + 0.4:
            continue  # the outage: nothing acknowledged
        acks.append(Ack(f"w-{i:04d}", sent, sent + 0.01, "dc-a" if sent < T else "dc-b"))
    for ack in acks:
        append_line(work.ledger, ack_line(ack))
    write_json(work.measurement, {
        "rto_s": 0.41, "rpo_s": 0.0, "lost_writes": 0, "acknowledged_writes": len(acks),
        "outages": [{"label": "loss of dc-a", "fault_at": T, "lost": ["dc-a"], "centre": "dc-b",
                     "detected_at": T + 0.31, "promoted_at": T + 0.35, "first_write_at": T + 0.41,
                     "split_brain_writes": 0, "seconds": 0.41}],
        "loss": {"checked": len(acks), "lost": 0, "rpo_s": 0.0, "first_lost_at": None,
                 "last_lost_at": None, "lost_ids": []}})
    probe = {"status": "succeeded", "tolerance_met": True}
    journal = {"status": "completed", "steady_states": {
        "before": {"steady_state_met": True, "probes": [
            {**probe, "activity": {"name": "service-accepts-writes"},
             "output": {"ok": True, "detail": "201 from dc-a in 12 ms"}},
            {**probe, "activity": {"name": "replication-healthy"},
             "output": {"ok": True, "detail": "dc-b sync, dc-c async 0 B behind"}}]},
        "after": {"steady_state_met": True, "probes": [
            {**probe, "activity": {"name": "service-accepts-writes"},
             "output": {"ok": True, "detail": "201 from dc-b in 14 ms"}}]}},
        "run": [{"activity": {"name": "cut-dc-a", "type": "action"}, "status": "succeeded",
                 "duration": 0.05},
                {"activity": {"name": "failover-completes", "type": "probe"},
                 "status": "succeeded", "duration": 0.4}],
        "rollbacks": [{"activity": {"name": "restore-dc-a-network", "type": "action"},
                       "status": "succeeded", "duration": 0.5}]}
    write_json(work.journal, journal)
    data = report.write_report(work, journal)
    data.update(started_at=T - 20, finished_at=T + 14, report_dir="dr-drills/reports/site-loss")
    write_json(folder / "report.json", data)
    (folder / "report.md").write_text(report.markdown(data), encoding="utf-8")
    (folder / "timeline.png").unlink()
    for log in folder.glob("*.log"):
        log.unlink()
    return folder


if __name__ == "__main__":
    print(make())
