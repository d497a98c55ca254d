"""The drill report: report.json (for people's tools and the exporter), report.md, timeline.png.

report.json keeps a stable core the metrics exporter reads — `scenario`, `tenant`, `verdict`
("pass" | "fail" | "aborted"), `rto_s`, `rpo_s`, `lost_writes`, `objective` {rto_s, rpo_s},
`started_at`, `finished_at` (epoch seconds), `steady_state` {before, after} — plus detail:
reasons, the drill target, outages, the loss, the async lag, the load and a timeline.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from govops.drills import measure as m
from govops.drills.workdir import WorkDir, read_json, write_json

#: events shown on the timeline (table and plot), with their label
TIMELINE = {
    "cut": "traffic of {centre} dropped",
    "killed": "{centre} processes killed",
    "fault": "FAULT: {label}",
    "detected": "{centre} declared dead",
    "promoting": "promoting {centre}",
    "promoted": "{centre} promoted (accepts writes)",
    "repointed": "{centre} re-pointed at {upstream}",
    "rewound": "{centre} rewound (pg_rewind) and streaming",
    "first-write": "first acknowledged write ({centre})",
    "stopped": "{centre} stopped cleanly",
    "caught-up": "target replayed {centre}'s last WAL",
    "rejoined": "{centre} rejoined as standby of {upstream}",
    "restored": "traffic of {centre} restored",
    "kept-lost": "{centre} left lost until failback",
    "link-restored": "link {router}–{neighbour} restored",
    "restore-centre-network": "traffic of {centre} restored",
    "start": "{centre} started",
    "promote": "{centre} promoted",
    "repoint-standby": "{centre} follows the primary again",
    "reclone": "{centre} re-cloned (pg_basebackup)",
    "async-lag": "async lag of {centre}: max {max_bytes} B ≈ {est_seconds} s of writes "
                 "(replay_lag {max_seconds} s)",
    "abort": "ABORT: {reason}",
    "signal": "signal {signal}",
    "rollback-started": "rollback started",
    "rollback-done": "rollback done",
    "candidate-unreachable": "{centre} unreachable: not a candidate",
    "failover-failed": "failover failed",
}


def _fmt(template: str, event: dict[str, Any]) -> str:
    class _Missing(dict):
        def __missing__(self, key: str) -> str:
            return "?"

    return template.format_map(_Missing(event))


def _steady(journal: dict[str, Any] | None, phase: str) -> tuple[bool | None, str, list[dict]]:
    state = ((journal or {}).get("steady_states") or {}).get(phase)
    if not state:
        return None, "", []
    probes = []
    detail = ""
    for run in state.get("probes", []):
        output = run.get("output")
        if isinstance(output, dict) and output.get("skipped") and run.get("tolerance_met"):
            continue  # a probe of the other phase (`phases`): not checked here
        text = output.get("detail", "") if isinstance(output, dict) else ""
        if run.get("status") == "failed":
            exc = run.get("exception") or []
            text = str(exc[-1]).strip().splitlines()[-1] if exc else "failed"
        ok = bool(run.get("tolerance_met")) and run.get("status") == "succeeded"
        name = run.get("activity", {}).get("name", "?")
        probes.append({"probe": name, "ok": ok, "detail": text})
        if not ok and not detail:
            detail = f"{name}: {text}"
    return bool(state.get("steady_state_met")), detail, probes


def _steps(journal: dict[str, Any] | None) -> list[dict[str, Any]]:
    steps = []
    for phase, runs in (("method", (journal or {}).get("run") or []),
                        ("rollback", (journal or {}).get("rollbacks") or [])):
        for run in runs:
            if not isinstance(run, dict):
                continue
            steps.append({"phase": phase, "activity": run.get("activity", {}).get("name"),
                          "type": run.get("activity", {}).get("type"),
                          "status": run.get("status", "interrupted"),
                          "seconds": round(float(run.get("duration") or 0.0), 3)})
    return steps


def build(work: WorkDir, journal: dict[str, Any] | None, *,
          interrupted: str | None = None) -> dict[str, Any]:
    """The report as data (see the module docstring)."""
    ctx = work.read_context()
    events = sorted(work.read_events(), key=lambda e: e.get("t", 0.0))
    meas = read_json(work.measurement) or {}
    objective = m.Objective(**{k: v for k, v in (ctx.get("objective") or {"rto_s": 0,
                                                                          "rpo_s": 0}).items()})
    before, before_detail, before_probes = _steady(journal, "before")
    after, after_detail, after_probes = _steady(journal, "after")
    if journal is None and any(e.get("event") == "method-started" for e in events):
        before = True  # the run died after the hypothesis held (recovered run)
    fault_events = m.faults(events)
    kind = ctx.get("kind", "service")
    rto_s = meas.get("rto_s")
    rpo_s = meas.get("rpo_s")
    lost = meas.get("lost_writes")
    if kind == "link":
        rpo_s, lost = 0.0, 0
    verdict, reasons = m.judge(objective, rto_s=rto_s, rpo_s=rpo_s, lost_writes=lost,
                               faults_injected=len(fault_events), steady_before=before,
                               steady_after=after, interrupted=interrupted,
                               before_detail=before_detail, after_detail=after_detail)
    target = ctx.get("target") or {}
    warnings = []
    if target.get("rto_s") is not None and rto_s is not None and rto_s > target["rto_s"]:
        warnings.append(f"RTO {rto_s:.3f} s is above the drill's target of {target['rto_s']} s")
    lag = next((e for e in reversed(events) if e.get("event") == "async-lag"), None)
    t0 = fault_events[0]["t"] if fault_events else ctx.get("started_at", 0.0)
    load_stopped = next((e for e in reversed(events) if e.get("event") == "load-stopped"), None)
    started = float(ctx.get("started_at") or (events[0]["t"] if events else time.time()))
    report: dict[str, Any] = {
        "scenario": ctx.get("scenario"),
        "title": ctx.get("title"),
        "tenant": ctx.get("tenant"),
        "tenant_display_name": ctx.get("tenant_display_name") or "",
        "dr_level": objective.level,
        "verdict": verdict,
        "reasons": reasons,
        "warnings": warnings,
        "rto_s": rto_s,
        "rpo_s": rpo_s,
        "lost_writes": lost,
        "objective": {"rto_s": objective.rto_s, "rpo_s": objective.rpo_s,
                      "dr_level": objective.level, "name": objective.name},
        "target": target,
        "started_at": started,
        "finished_at": time.time(),
        "steady_state": {"before": before, "after": after,
                         "before_probes": before_probes, "after_probes": after_probes},
        "interrupted": interrupted,
        "journal_status": (journal or {}).get("status"),
        "outages": meas.get("outages", []),
        "loss": meas.get("loss"),
        "link": meas.get("link"),
        "acknowledged_writes": meas.get("acknowledged_writes"),
        "split_brain_writes": meas.get("split_brain_writes", 0),
        "async_lag": {k: lag.get(k) for k in ("centre", "max_bytes", "mean_bytes", "max_seconds",
                                               "mean_seconds", "samples", "wal_bytes_per_s",
                                               "est_seconds")} if lag else None,
        "load": {"rate": ctx.get("rate"), **({k: load_stopped.get(k) for k in
                                               ("sent", "acked", "failed", "shed")}
                                              if load_stopped else {})},
        "timeline": [{"t": round(e["t"] - t0, 4), "event": e["event"],
                      "text": _fmt(TIMELINE[e["event"]], e)}
                     for e in events if e.get("event") in TIMELINE],
        "steps": _steps(journal),
        "report_dir": str(work.path),
    }
    if report["async_lag"]:
        bounds = [report["async_lag"].get(k) for k in ("max_seconds", "est_seconds")]
        bounds = [b for b in bounds if b is not None]
        report["rpo_bound_s"] = max(bounds) if bounds else None
    return report


def write_report(work: WorkDir, journal: dict[str, Any] | None, *,
                 interrupted: str | None = None) -> dict[str, Any]:
    """Write report.json, report.md and timeline.png into the work dir; returns the report."""
    report = build(work, journal, interrupted=interrupted)
    try:
        plot_timeline(work, report, work.path / "timeline.png")
        report["timeline_png"] = "timeline.png"
    except Exception as exc:  # noqa: BLE001 - a missing plot must not lose the report
        report["timeline_png"] = None
        report["warnings"].append(f"timeline.png not drawn: {exc}")
    write_json(work.path / "report.json", report)
    (work.path / "report.md").write_text(markdown(report), encoding="utf-8")
    return report


def _s(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f} s"


def _shown_as(display_name: str | None) -> str:
    return f" ({display_name})" if display_name else ""


def markdown(r: dict[str, Any]) -> str:
    utc = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["started_at"]))
    obj = r["objective"]
    lines = [
        f"# DR drill `{r['scenario']}` — {r['verdict'].upper()}",
        "",
        f"{r.get('title') or ''}",
        "",
        f"Tenant **{r['tenant']}**{_shown_as(r.get('tenant_display_name'))}, "
        f"DR level {obj['dr_level']} ({obj['name']}); started {utc} UTC, "
        f"{r['finished_at'] - r['started_at']:.1f} s.",
        "",
        "| | measured | objective (DR level) | drill target |",
        "|---|---|---|---|",
        f"| RTO | {_s(r['rto_s'])} | {obj['rto_s']:g} s | "
        f"{(str(r['target'].get('rto_s')) + ' s') if r['target'].get('rto_s') is not None else '–'} |",
        f"| RPO | {r['lost_writes'] if r['lost_writes'] is not None else '?'} acknowledged writes "
        f"lost, {_s(r['rpo_s'])} | {obj['rpo_s']:g} s | "
        f"{(str(r['target'].get('rpo_s')) + ' s') if r['target'].get('rpo_s') is not None else '–'} |",
        "",
    ]
    if r["reasons"]:
        lines += ["**Why:** " + "; ".join(r["reasons"]), ""]
    if r["warnings"]:
        lines += ["Warnings: " + "; ".join(r["warnings"]), ""]
    ss = r["steady_state"]

    def held(value: bool | None, unknown: str) -> str:
        return "held" if value else "did not hold" if value is False else unknown

    lines += ["## Steady state", "", f"- before: {held(ss['before'], 'unknown')}"]
    lines += [f"  - {'✓' if p['ok'] else '✗'} {p['probe']}: {p['detail']}" for p in ss["before_probes"]]
    lines += [f"- after: {held(ss['after'], 'not checked')}"]
    lines += [f"  - {'✓' if p['ok'] else '✗'} {p['probe']}: {p['detail']}" for p in ss["after_probes"]]
    lines += ["", "## Timeline (t = 0 at the first fault)", "", "| t | event |", "|---:|---|"]
    lines += [f"| {e['t']:+.3f} s | {e['text']} |" for e in r["timeline"]]
    if r["outages"]:
        lines += ["", "## Outages", "", "| fault | detected | promoted | first write | RTO |",
                  "|---|---:|---:|---:|---:|"]
        for o in r["outages"]:
            def rel(t: float | None, o: dict[str, Any] = o) -> str:
                return "–" if t is None else f"+{t - o['fault_at']:.3f} s"
            lines.append(f"| {o['label']} | {rel(o['detected_at'])} | {rel(o['promoted_at'])} | "
                         f"{rel(o['first_write_at'])} | {_s(o['seconds'])} |")
    loss = r.get("loss")
    if loss:
        lines += ["", "## Data", "",
                  f"{loss['checked']} acknowledged writes checked against the primary after "
                  f"recovery: {loss['lost']} missing."]
        if loss["lost"]:
            lines.append(f"Lost ids (first {len(loss['lost_ids'])}): "
                         + ", ".join(f"`{i}`" for i in loss["lost_ids"]))
    if r.get("async_lag"):
        lag = r["async_lag"]
        lines += ["", f"Async replication to {lag['centre']} just before the fault: up to "
                      f"{lag['max_bytes']} bytes behind, ≈ {lag.get('est_seconds')} s of writes "
                      f"at {lag.get('wal_bytes_per_s')} WAL bytes/s; replay lag max "
                      f"{lag['max_seconds']} s (mean {lag['mean_seconds']} s, {lag['samples']} "
                      f"samples). RPO bound: {r.get('rpo_bound_s')} s."]
    if r.get("link"):
        link = r["link"]
        lines += ["", f"Extranet: largest gap between ping replies {_s(link.get('seconds'))}, "
                      f"{link.get('lost')} echo requests unanswered."]
    load = r["load"]
    if load.get("sent") is not None:
        lines += ["", "## Load", "",
                  f"Offered {load['rate']:g} writes/s: {load['sent']} sent, {load['acked']} "
                  f"acknowledged, {load['failed']} failed, {load['shed']} shed."]
    if r["steps"]:
        lines += ["", "## Steps (Chaos Toolkit journal)", "", "| phase | activity | status | s |",
                  "|---|---|---|---:|"]
        lines += [f"| {s['phase']} | {s['activity']} | {s['status']} | {s['seconds']:.3f} |"
                  for s in r["steps"]]
    lines += ["", "Files: `report.json`, `timeline.png`, `ledger.csv` (acknowledged writes), "
                  "`events.jsonl`, `journal.json`.", ""]
    return "\n".join(lines)


_COLOURS = {"fault": "red", "detected": "orange", "promoted": "green", "first-write": "blue",
            "repointed": "grey", "rewound": "purple", "restored": "black",
            "link-restored": "black"}


def plot_timeline(work: WorkDir, report: dict[str, Any], path: Path) -> None:
    """timeline.png: acknowledged writes per second, failed attempts, and the moments."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events = sorted(work.read_events(), key=lambda e: e.get("t", 0.0))
    faults = m.faults(events)
    t0 = faults[0]["t"] if faults else report["started_at"]
    acks = [a.acked for a in work.read_ledger()]
    fails = [f.failed for f in work.read_failures()]
    ping = _ping_times(work)
    times = acks + fails + [p for p in ping] + [e["t"] for e in events if e["event"] in _COLOURS]
    start = min(times) if times else t0 - 1
    end = max(times) if times else t0 + 1
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
    if acks:
        xs, ys = m.rate_series(acks, start, end, 0.1)
        ax.plot([x - t0 for x in xs], ys, color="tab:blue", lw=1.2,
                label="acknowledged writes/s")
    if fails:
        xs, ys = m.rate_series(fails, start, end, 0.1)
        ax.plot([x - t0 for x in xs], ys, color="tab:red", lw=0.8, alpha=0.6,
                label="writes not acknowledged/s")
    if ping:
        xs, ys = m.rate_series(ping, start, end, 0.1)
        ax.plot([x - t0 for x in xs], ys, color="tab:green", lw=1.0, label="ping replies/s")
    link = report.get("link") or {}
    if link.get("gap_from") and link.get("gap_to"):
        ax.axvspan(link["gap_from"] - t0, link["gap_to"] - t0, color="red", alpha=0.08)
    seen = set()
    for e in events:
        colour = _COLOURS.get(e["event"])
        if colour is None:
            continue
        label = e["event"] if e["event"] not in seen else None
        seen.add(e["event"])
        ax.axvline(e["t"] - t0, color=colour, ls="--", lw=1, label=label)
    for o in report.get("outages") or []:
        if o.get("first_write_at"):
            ax.axvspan(o["fault_at"] - t0, o["first_write_at"] - t0, color="red", alpha=0.08)
    ax.set_xlabel("seconds from the first fault")
    ax.set_ylabel("per second")
    rto = report.get("rto_s")
    rto_text = "–" if rto is None else f"{rto:.3f} s"
    if report.get("link"):
        what = f"extranet outage {rto_text}"
    else:
        what = (f"RTO {rto_text}, {report.get('lost_writes')} acknowledged writes lost "
                f"(RPO {report.get('rpo_s')} s)")
    ax.set_title(f"{report['scenario']} ({report['tenant']}): {report['verdict'].upper()} — "
                 f"{what}", fontsize=10)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _ping_times(work: WorkDir) -> list[float]:
    path = work.path / "ping.txt"
    if not path.exists():
        return []
    return [t for t, _ in m.ping_replies(path.read_text(errors="replace").splitlines())]
