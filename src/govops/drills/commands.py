"""`govops drill …`: list the DR drills, run them against the lab, recover an interrupted one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from govops.console import UNSIGNED_HELP, Output, emit_json, err, lang_option, language, out
from govops.errors import BadInput

app = typer.Typer(help="DR drills (Chaos Toolkit experiments in dr-drills/) against the lab: "
                       "measured RTO and RPO against each system's DR level.",
                  no_args_is_help=True)

DEFAULT_ESTATE = Path("inventories/lab")
_EXIT_ON_SIGNAL = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}


@app.command("list")
def list_drills(output: Output = typer.Option(Output.text, "--output", "-o", help="text or json.")
                ) -> None:
    """List the drills: name, what they do, what they need."""
    from rich.table import Table

    from govops.drills.catalogue import describe

    rows = describe()
    if output is Output.json:
        emit_json(rows)
        return
    table = Table(show_edge=False)
    for col in ("drill", "what", "needs", "target RTO"):
        table.add_column(col)
    for r in rows:
        target = r["target"].get("rto_s")
        table.add_row(r["name"], r["summary"] or r["title"], ", ".join(r["requires"]),
                      f"{target:g} s" if target is not None else "–")
    out.print(table)


def _need_root() -> None:
    if os.geteuid() != 0:
        raise BadInput("drills need root (they cut and kill lab centres): run as root")


def _aggregate(runs: list[dict[str, Any]], failbacks: list[dict[str, Any]]) -> dict[str, Any]:
    rtos = [r["rto_s"] for r in runs if r.get("rto_s") is not None]
    rpos = [r["rpo_s"] for r in runs if r.get("rpo_s") is not None]
    lost = [r["lost_writes"] for r in runs if r.get("lost_writes") is not None]
    everything = runs + failbacks
    verdict = "pass" if all(r["verdict"] == "pass" for r in everything) else (
        "aborted" if any(r["verdict"] == "aborted" for r in everything) else "fail")
    return {
        "scenario": runs[0].get("scenario") if runs else None,
        "tenant": runs[0].get("tenant") if runs else None,
        "verdict": verdict,
        "repeat": len(runs),
        "rto_s": max(rtos) if rtos else None,
        "rpo_s": max(rpos) if rpos else None,
        "lost_writes": sum(lost) if lost else None,
        "objective": runs[0].get("objective") if runs else None,
        "rto_s_each": [r.get("rto_s") for r in runs],
        "lost_writes_each": [r.get("lost_writes") for r in runs],
        "runs": runs,
        "failbacks": failbacks,
    }


@app.command()
def run(
    name: str = typer.Argument(..., help="Drill name (govops drill list)."),
    tenant: str | None = typer.Option(None, "--tenant",
                                      help="Tenant whose DR objective applies (default: the "
                                           "first with the highest DR level)."),
    repeat: int = typer.Option(1, "--repeat", min=1,
                               help="Run it N times; drills that leave the lab failed over are "
                                    "each followed by the failback drill."),
    rate: float = typer.Option(200.0, "--rate", min=1, help="Writes per second offered."),
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder."),
    reports_dir: Path | None = typer.Option(None, "--reports-dir",
                                            help="Where report folders go (default: "
                                                 "dr-drills/reports)."),
    unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
    lang: str = lang_option(),
) -> None:
    """Run a drill: verdict, measured RTO and RPO against the DR objective, report folder.

    With --lang zh (or GOVOPS_LANG=zh) the Chinese report, report.zh.md and timeline.zh.png,
    is written beside the English one.

    Exit 1 when an objective was missed, the steady state did not come back or the drill was
    aborted; 2 for an unknown drill or a lab that is not up."""
    from govops.audit import audited
    from govops.drills import catalogue
    from govops.drills.runner import preflight, run_drill, summary_line
    from govops.operators.roles import act

    tr = language(lang)
    act(estate, "drill run", unsigned=unsigned)  # who may run it, before anything else
    experiment, _ = preflight(name, tenant=tenant, estate=str(estate))
    _need_root()  # unknown drill or tenant, lab not up, not root: no audit record (ADR 0010)
    text = output is Output.text
    say = (lambda m: err.print(f"[dim]{m}[/]", highlight=False)) if text else None
    then = catalogue.extension(catalogue.load(name)[1]).get("then")
    runs: list[dict[str, Any]] = []
    failbacks: list[dict[str, Any]] = []
    stopped_by: str | None = None
    inputs = [experiment, *([catalogue.load(then)[0]] if repeat > 1 and then else [])]
    with audited("drill run", estate_dir=estate, inputs=inputs) as audit:
        for i in range(repeat):
            try:
                result = run_drill(name, tenant=tenant, rate=rate, estate=str(estate),
                                   reports_dir=reports_dir, progress=say)
            except BadInput:  # e.g. another drill's runner is alive: nothing was touched
                if not runs:
                    audit.discard()
                raise
            runs.append(result.report)
            _translate(result.report, tr)
            _audit_report(audit, result.report)
            if text:
                _print_run(result.report, f"#{i + 1} " if repeat > 1 else "", tr)
            if result.signal:
                stopped_by = result.signal
                break
            if repeat > 1 and then:
                fb = run_drill(then, tenant=tenant, rate=rate, estate=str(estate),
                               reports_dir=reports_dir, progress=say)
                failbacks.append(fb.report)
                _translate(fb.report, tr)
                _audit_report(audit, fb.report)
                if text:
                    _print_run(fb.report, "   ", tr)
                if fb.signal:
                    stopped_by = fb.signal
                    break
        data = runs[0] if repeat == 1 and not failbacks else _aggregate(runs, failbacks)
        audit.detail.update(drill=name, verdict=data["verdict"], rto_s=data.get("rto_s"),
                            rpo_s=data.get("rpo_s"), lost_writes=data.get("lost_writes"),
                            runs=len(runs), failbacks=len(failbacks))
        audit.result = (f"interrupted: {stopped_by}" if stopped_by else "ok"
                        if data["verdict"] == "pass" else f"failed: verdict {data['verdict']}")
    if output is Output.json:
        emit_json(data)
    elif repeat > 1:
        out.print(summary_line(data, tr) + tr("  over {n} runs", n=len(runs)))
    if stopped_by:
        raise typer.Exit(_EXIT_ON_SIGNAL.get(stopped_by, 1))
    if data["verdict"] != "pass":
        raise typer.Exit(1)


#: The files of a drill's report folder that the audit record digests (helpers' logs are not
#: evidence and may still be flushed after the run).
REPORT_FILES = ("report.json", "report.md", "ledger.csv", "journal.json", "timeline.png")
#: Files of the Chinese report, written beside the English one with --lang zh.
REPORT_FILES_ZH = ("report.zh.md", "timeline.zh.png")


def _translate(report: dict[str, Any], tr: Any) -> None:
    """Write the report in the reader's language beside the English one (zh: report.zh.md,
    timeline.zh.png); a failure is a warning, never a lost drill result."""
    from govops.drills.report import write_language

    if tr.lang == "en" or not report.get("report_dir"):
        return
    try:
        written = write_language(Path(report["report_dir"]), tr.lang)
    except Exception as exc:  # noqa: BLE001 - the English report is already written
        report.setdefault("warnings", []).append(f"report.{tr.lang}.md not written: {exc}")
        return
    report[f"report_{tr.lang}"] = str(written["report"])


def _audit_report(audit: Any, report: dict[str, Any]) -> None:
    """Add one run's report files and tenant to the drill's audit record."""
    if report.get("tenant"):
        audit.tenant(report["tenant"])
    if report.get("report_dir"):
        folder = Path(report["report_dir"])
        audit.add(*(folder / f for f in REPORT_FILES))
        audit.add(*(folder / f for f in REPORT_FILES_ZH if (folder / f).exists()))


def _print_run(report: dict[str, Any], prefix: str, tr: Any) -> None:
    """One run's summary line, reasons, warnings and report path, for people."""
    from rich.markup import escape

    from govops.drills.report_md import file_name, reasons, warnings
    from govops.drills.runner import summary_line

    colour = {"pass": "green", "fail": "red"}.get(report.get("verdict", ""), "yellow")
    out.print(f"{prefix}[{colour}]{escape(summary_line(report, tr))}[/]", highlight=False)
    for reason in reasons(report, tr):
        out.print(prefix + escape(tr("  why: {reason}", reason=reason)), highlight=False)
    for warning in warnings(report, tr):
        out.print(prefix + "  [yellow]" + escape(tr("warning:")) + "[/] " + escape(warning),
                  highlight=False)
    if report.get("report_dir"):
        out.print(prefix + escape(tr("  report: {path}", path=f"{report['report_dir']}/"
                                     f"{file_name(tr.lang)}")), highlight=False)


@app.command()
def report(
    folder: Path = typer.Argument(..., help="A drill's report folder (dr-drills/reports/<run>)."),
    lang: str = lang_option(),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Re-render a saved drill report in zh or en: report.zh.md (or report.md) and its timeline
    PNG, from the folder's report.json and events; nothing is run."""
    from govops.drills.report import write_language
    from govops.errors import BadInput

    tr = language(lang)
    if not folder.is_dir():
        raise BadInput(f"{folder}: no such folder: give a drill's report folder "
                       "(dr-drills/reports/<run>)")
    written = write_language(folder, tr.lang)
    if output is Output.json:
        emit_json({"folder": str(folder), "lang": tr.lang,
                   **{k: str(v) for k, v in written.items()}})
        return
    for path in written.values():
        out.print(tr("wrote {path}", path=str(path)), highlight=False)


@app.command()
def recover(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder the drill ran on."),
    unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Finish a drill whose runner died (SIGKILL, reboot): stop its helpers, run its
    rollbacks, write its report. Every drill run does this first anyway."""
    from govops.audit import audited
    from govops.drills.runstate import recover_stale
    from govops.operators.roles import act

    act(estate, "drill recover", unsigned=unsigned)
    _need_root()
    with audited("drill recover") as audit:
        try:
            result = recover_stale()
        except BadInput:  # a drill is running now: nothing was touched
            audit.discard()
            raise
        if result is None:
            audit.discard()  # nothing was interrupted: nothing changed
        else:
            audit.detail.update(drill=result["drill"], pid=result["pid"],
                                stopped=result.get("stopped", []))
            audit.add(*(Path(result["work_dir"]) / f for f in REPORT_FILES))
    if output is Output.json:
        emit_json(result or {"recovered": None})
    elif result is None:
        out.print("nothing to recover: no drill was interrupted")
    else:
        out.print(f"recovered {result['drill']} (runner pid {result['pid']} had died): "
                  f"stopped {', '.join(result['stopped']) or 'nothing'}; rollbacks "
                  + ", ".join(f"{r.get('name')} {r.get('status')}" for r in result["rollbacks"])
                  + f"; report in {result['work_dir']}")
