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
from govops.i18n import N_, translator

#: events shown on the timeline (table and plot), with their label
TIMELINE = {
    "cut": N_("traffic of {centre} dropped"),
    "killed": N_("{centre} processes killed"),
    "fault": N_("FAULT: {label}"),
    "detected": N_("{centre} declared dead"),
    "promoting": N_("promoting {centre}"),
    "promoted": N_("{centre} promoted (accepts writes)"),
    "repointed": N_("{centre} re-pointed at {upstream}"),
    "rewound": N_("{centre} rewound (pg_rewind) and streaming"),
    "first-write": N_("first acknowledged write ({centre})"),
    "stopped": N_("{centre} stopped cleanly"),
    "caught-up": N_("target replayed {centre}'s last WAL"),
    "rejoined": N_("{centre} rejoined as standby of {upstream}"),
    "restored": N_("traffic of {centre} restored"),
    "kept-lost": N_("{centre} left lost until failback"),
    "link-restored": N_("link {router}–{neighbour} restored"),
    "restore-centre-network": N_("traffic of {centre} restored"),
    "start": N_("{centre} started"),
    "promote": N_("{centre} promoted"),
    "repoint-standby": N_("{centre} follows the primary again"),
    "reclone": N_("{centre} re-cloned (pg_basebackup)"),
    "async-lag": N_("async lag of {centre}: max {max_bytes} B ≈ {est_seconds} s of writes "
                 "(replay_lag {max_seconds} s)"),
    "abort": N_("ABORT: {reason}"),
    "signal": N_("signal {signal}"),
    "rollback-started": N_("rollback started"),
    "rollback-done": N_("rollback done"),
    "candidate-unreachable": N_("{centre} unreachable: not a candidate"),
    "failover-failed": N_("failover failed"),
}


#: Warnings of a report, by code (report.json keeps `warning_codes` beside the English text).
WARNINGS = {
    "rto-above-target": N_("RTO {rto} s is above the drill's target of {target} s"),
    "no-timeline": N_("timeline.png not drawn: {error}"),
}


def say_warning(warning: dict[str, Any], tr: Any) -> str:
    """One warning (`{"code": …, fields}`) in the translator's language."""
    message = WARNINGS.get(warning.get("code", ""))
    fields = {k: v for k, v in warning.items() if k != "code"}
    return tr(message, **fields) if message else str(fields)


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
    verdict, reason_codes = m.verdict_of(objective, rto_s=rto_s, rpo_s=rpo_s, lost_writes=lost,
                               faults_injected=len(fault_events), steady_before=before,
                               steady_after=after, interrupted=interrupted,
                               before_detail=before_detail, after_detail=after_detail)
    reasons = [m.say_reason(r, translator("en")) for r in reason_codes]
    target = ctx.get("target") or {}
    warnings: list[str] = []
    warning_codes: list[dict[str, Any]] = []
    if target.get("rto_s") is not None and rto_s is not None and rto_s > target["rto_s"]:
        code = {"code": "rto-above-target", "rto": f"{rto_s:.3f}", "target": target["rto_s"]}
        warning_codes.append(code)
        warnings.append(say_warning(code, translator("en")))
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
        "reason_codes": reason_codes,
        "warnings": warnings,
        "warning_codes": warning_codes,
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
        "timeline": [{"t": round(e["t"] - t0, 4), "at": e["t"], "event": e["event"],
                      "text": _fmt(TIMELINE[e["event"]], e),
                      "fields": {k: v for k, v in e.items() if k not in ("t", "event")}}
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
        code = {"code": "no-timeline", "error": str(exc)}
        report["warning_codes"].append(code)
        report["warnings"].append(say_warning(code, translator("en")))
    write_json(work.path / "report.json", report)
    (work.path / "report.md").write_text(markdown(report), encoding="utf-8")
    return report


def markdown(r: dict[str, Any]) -> str:
    """report.md: the report in English (report_md renders either language)."""
    from govops.drills.report_md import markdown as render

    return render(r, translator("en"))


def write_language(folder: Path, lang: str) -> dict[str, Path]:
    """Re-render a saved report folder in `lang`: report.md / report.zh.md and the timeline
    (timeline.png / timeline.zh.png, drawn when the folder still has its events); returns the
    files written. BadInput when the folder has no readable report.json."""
    from govops.drills.report_md import file_name
    from govops.drills.report_md import markdown as render
    from govops.errors import BadInput

    report = read_json(folder / "report.json")
    if not isinstance(report, dict) or "verdict" not in report or "objective" not in report:
        raise BadInput(f"{folder}: no drill report here (report.json missing or not a drill's): "
                       "give a folder under dr-drills/reports/")
    tr = translator(lang)
    written = {}
    png = folder / file_name(lang, "timeline", ".png")
    if (folder / "events.jsonl").exists():
        plot_timeline(WorkDir(folder), report, png, tr)
        written["timeline"] = png
    md = folder / file_name(lang)
    md.write_text(render(report, tr), encoding="utf-8")
    written["report"] = md
    return written


_COLOURS = {"fault": "red", "detected": "orange", "promoted": "green", "first-write": "blue",
            "repointed": "grey", "rewound": "purple", "restored": "black",
            "link-restored": "black"}


def plot_timeline(work: WorkDir, report: dict[str, Any], path: Path, tr: Any = None) -> None:
    """timeline.png: acknowledged writes per second, failed attempts, and the moments; labels
    in the translator's language (Chinese in the installed CJK font)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from govops.i18n.fonts import font_context
    from govops.i18n.terms import term

    tr = tr or translator("en")
    with font_context(tr.lang):
        _plot(work, report, path, tr, plt, term)


def _plot(work: WorkDir, report: dict[str, Any], path: Path, tr: Any, plt: Any, term: Any) -> None:
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
                label=tr("acknowledged writes/s"))
    if fails:
        xs, ys = m.rate_series(fails, start, end, 0.1)
        ax.plot([x - t0 for x in xs], ys, color="tab:red", lw=0.8, alpha=0.6,
                label=tr("writes not acknowledged/s"))
    if ping:
        xs, ys = m.rate_series(ping, start, end, 0.1)
        ax.plot([x - t0 for x in xs], ys, color="tab:green", lw=1.0, label=tr("ping replies/s"))
    link = report.get("link") or {}
    if link.get("gap_from") and link.get("gap_to"):
        ax.axvspan(link["gap_from"] - t0, link["gap_to"] - t0, color="red", alpha=0.08)
    seen = set()
    for e in events:
        colour = _COLOURS.get(e["event"])
        if colour is None:
            continue
        label = _event_label(e["event"], tr) if e["event"] not in seen else None
        seen.add(e["event"])
        ax.axvline(e["t"] - t0, color=colour, ls="--", lw=1, label=label)
    for o in report.get("outages") or []:
        if o.get("first_write_at"):
            ax.axvspan(o["fault_at"] - t0, o["first_write_at"] - t0, color="red", alpha=0.08)
    ax.set_xlabel(tr("seconds from the first fault"))
    ax.set_ylabel(tr("per second"))
    rto = report.get("rto_s")
    rto_text = "–" if rto is None else f"{rto:.3f} s"
    if report.get("link"):
        what = tr("extranet outage {rto}", rto=rto_text)
    else:
        what = tr("RTO {rto}, {lost} acknowledged writes lost (RPO {rpo} s)", rto=rto_text,
                  lost=report.get("lost_writes"), rpo=report.get("rpo_s"))
    tenant = tr.named(report["tenant"], report.get("tenant_display_name")) \
        if tr.lang == "zh" else report["tenant"]
    ax.set_title(tr("{scenario} ({tenant}): {verdict} — {what}", scenario=report["scenario"],
                    tenant=tenant, verdict=term(tr, "verdict", report["verdict"]), what=what),
                 fontsize=10)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


#: Legend labels of the event lines on the plot.
EVENT_LABELS = {"fault": N_("fault"), "detected": N_("detected"), "promoted": N_("promoted"),
                "first-write": N_("first write"), "repointed": N_("re-pointed"),
                "rewound": N_("rewound"), "restored": N_("restored"),
                "link-restored": N_("link restored")}


def _event_label(event: str, tr: Any) -> str:
    return tr(EVENT_LABELS[event]) if event in EVENT_LABELS else event


def _ping_times(work: WorkDir) -> list[float]:
    path = work.path / "ping.txt"
    if not path.exists():
        return []
    return [t for t, _ in m.ping_replies(path.read_text(errors="replace").splitlines())]
