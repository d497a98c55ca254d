"""Chaos Toolkit control of the govops drills: set-up, abort conditions, signals, report.

Declared in every `dr-drills/*.json` (`"controls": [{"name": "govops-drill", "provider":
{"type": "python", "module": "govops.drills.control"}}]`), so `chaos run dr-drills/X.json`
and `govops drill run X` behave the same:

- before the experiment: resolve the tenant and its DR objective, check the lab, recover a
  drill whose runner died, create the work dir, start the service and the load; the work dir,
  the lab, the service URL and Prometheus (`$GOVOPS_PROMETHEUS_URL`, else the lab's) go into
  the configuration (`${work_dir}`, `${dc_dir}`, `${service_url}`, `${prometheus_url}`;
  `${phase}` is "before", then "method", then "after");
- abort conditions: a method activity that fails (a fault that could not be injected, no
  failover or no acknowledged write within its deadline, load not flowing before the fault)
  interrupts the run, and the rollbacks run;
- signals: SIGINT, SIGTERM and SIGHUP interrupt the method (the rollbacks run); during
  rollbacks and the report they are only recorded, so a second Ctrl-C cannot cut a rollback
  short;
- after the experiment: stop the helpers, measure, judge, write the report, and make the
  journal say so: status "aborted" when the steady state did not hold at the start, deviated
  when an objective was missed (so `chaos run` exits 1 too).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

from chaoslib.exceptions import InterruptExecution

logger = logging.getLogger("govops.drills")

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _State:
    def __init__(self) -> None:
        self.signals: list[int] = []
        self.deferring = False
        self.previous: dict[int, Any] = {}
        self.abort: str | None = None
        self.work_dir: str | None = None
        self.report: dict[str, Any] | None = None


STATE = _State()


def extension(experiment: dict[str, Any]) -> dict[str, Any]:
    """The experiment's `govops` extension (drill name, requirements, targets)."""
    for ext in experiment.get("extensions", []) or []:
        if ext.get("name") == "govops":
            return ext
    return {}


def _on_signal(signum: int, frame: FrameType | None) -> None:
    STATE.signals.append(signum)
    name = signal.Signals(signum).name
    if STATE.work_dir:
        from govops.drills.workdir import WorkDir

        WorkDir(STATE.work_dir).event("signal", signal=name, deferred=STATE.deferring)
    if STATE.deferring:
        logger.warning("%s received during rollback/report: finishing them first", name)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise InterruptExecution(f"{name} received")


def interrupted_by() -> str | None:
    if not STATE.signals:
        return None
    return signal.Signals(STATE.signals[0]).name


def _install_signal_handlers() -> None:
    for sig in _SIGNALS:
        try:
            STATE.previous[sig] = signal.signal(sig, _on_signal)
        except ValueError:  # not the main thread: leave signals alone
            return


def _restore_signal_handlers() -> None:
    for sig, handler in STATE.previous.items():
        if sig == signal.SIGTERM:
            continue  # chaoslib puts its own back when the run ends
        try:
            signal.signal(sig, handler)
        except (ValueError, TypeError):
            pass
    STATE.previous = {}


# --- hooks ---------------------------------------------------------------------------------


def configure_control(configuration: dict[str, Any] | None = None, **_: Any) -> None:
    global STATE
    STATE = _State()


def before_experiment_control(context: dict[str, Any], configuration: dict[str, Any] | None = None,
                              **_: Any) -> None:
    _install_signal_handlers()
    try:
        _set_up(context, configuration if configuration is not None else {})
    except InterruptExecution:
        raise
    except Exception as exc:  # noqa: BLE001 - chaoslib would swallow it: abort instead
        text = str(exc).strip()
        STATE.abort = text.splitlines()[0] if text else type(exc).__name__
        if STATE.work_dir:
            from govops.drills.workdir import WorkDir

            WorkDir(STATE.work_dir).event("abort", reason=STATE.abort)
        raise InterruptExecution(f"drill set-up failed: {STATE.abort}") from None


def _set_up(experiment: dict[str, Any], configuration: dict[str, Any]) -> None:
    from govops.drills import actions, labinfo, probes, runstate
    from govops.drills.workdir import WorkDir

    ext = extension(experiment)
    drill = ext.get("drill") or experiment.get("title", "drill")
    estate = str(configuration.get("estate") or "inventories/lab")
    tenant, objective = probes.objective_for(estate, configuration.get("tenant") or None)
    dc = labinfo.dc_dir()
    if "dc-lab" in ext.get("requires", ["dc-lab"]):
        labinfo.require_dc_lab(dc)
    if "extranet" in ext.get("requires", []):
        from govops.drills.extranet import require_extranet

        require_extranet(estate, ext.get("router", ""), ext.get("target", ""))
    runstate.recover_stale()
    work_dir = configuration.get("work_dir") or ""
    if not work_dir:
        work_dir = str(new_work_dir(Path(configuration.get("reports_dir") or "dr-drills/reports"),
                                    drill))
    work = WorkDir(Path(work_dir).resolve()).create()
    STATE.work_dir = str(work.path)
    rate = float(configuration.get("rate") or 200)
    configuration.update(work_dir=str(work.path), dc_dir=str(dc), phase="before", rate=rate,
                         service_url=configuration.get("service_url") or "",
                         prometheus_url=configuration.get("prometheus_url")
                         or labinfo.prometheus_url())
    from govops.drills import catalogue

    runstate.claim(drill, work, str(configuration.get("experiment") or catalogue.path_of(drill)))
    context = {
        "scenario": drill,
        "title": experiment.get("title", drill),
        "tenant": tenant,
        "tenant_display_name": probes.tenant_display_name(estate, tenant),
        "objective": {"rto_s": objective.rto_s, "rpo_s": objective.rpo_s,
                      "level": objective.level, "name": objective.name},
        "target": ext.get("target_objective", {}),
        "kind": ext.get("kind", "service"),
        "rate": rate,
        "estate": estate,
        "dc_dir": str(dc),
        "pid": os.getpid(),
        "started_at": time.time(),
        "experiment": configuration.get("experiment", ""),
    }
    work.write_context({**context, "configuration": _plain(configuration)})
    work.event("drill-started", scenario=drill, tenant=tenant)
    if ext.get("load", True):
        url = actions.start_service(str(work.path), str(dc))
        configuration["service_url"] = url
        actions.start_load(str(work.path), url, rate)
        _wait_first_ack(work, 5.0)
    work.write_context({**context, "service_url": configuration.get("service_url"),
                        "configuration": _plain(configuration)})


def _plain(configuration: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in configuration.items() if isinstance(v, (str, int, float, bool))}


def _wait_first_ack(work: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if work.ledger.exists() and work.ledger.stat().st_size > 40:
            return
        time.sleep(0.05)


def new_work_dir(reports: Path, drill: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = reports / f"{stamp}-{drill}"
    n = 2
    while path.exists():
        path = reports / f"{stamp}-{drill}-{n}"
        n += 1
    return path


def before_method_control(context: dict[str, Any], configuration: dict[str, Any] | None = None,
                          **_: Any) -> None:
    if configuration is not None:
        configuration["phase"] = "method"
    if STATE.work_dir:
        from govops.drills.workdir import WorkDir

        WorkDir(STATE.work_dir).event("method-started")


def after_method_control(context: dict[str, Any], configuration: dict[str, Any] | None = None,
                         **_: Any) -> None:
    if configuration is not None:
        configuration["phase"] = "after"
    if STATE.work_dir:
        from govops.drills.workdir import WorkDir

        WorkDir(STATE.work_dir).event("method-done")


def after_activity_control(context: dict[str, Any], state: dict[str, Any] | None = None,
                           configuration: dict[str, Any] | None = None, **_: Any) -> None:
    """Abort condition: a failed method activity interrupts the drill (rollbacks run)."""
    if not configuration or configuration.get("phase") != "method" or not state:
        return
    if state.get("status") != "failed" or STATE.deferring:
        return
    exc = state.get("exception") or []
    last = str(exc[-1]).strip().splitlines()[-1] if exc else "failed"
    last = last.removeprefix("chaoslib.exceptions.ActivityFailed: ")
    STATE.abort = f"{context.get('name')}: {last}"
    if STATE.work_dir:
        from govops.drills.workdir import WorkDir

        WorkDir(STATE.work_dir).event("abort", reason=STATE.abort)
    raise InterruptExecution(f"abort condition: {STATE.abort}")


def before_rollback_control(context: dict[str, Any], **_: Any) -> None:
    STATE.deferring = True
    if STATE.work_dir:
        from govops.drills.workdir import WorkDir

        WorkDir(STATE.work_dir).event("rollback-started")


def after_rollback_control(context: dict[str, Any], **_: Any) -> None:
    if STATE.work_dir:
        from govops.drills.workdir import WorkDir

        WorkDir(STATE.work_dir).event("rollback-done")


def after_experiment_control(context: dict[str, Any], state: dict[str, Any] | None = None,
                             configuration: dict[str, Any] | None = None, **_: Any) -> None:
    STATE.deferring = True
    try:
        _finish(state)
    finally:
        _restore_signal_handlers()


def _finish(journal: dict[str, Any] | None) -> None:
    from govops.drills import runstate, spawn
    from govops.drills.report import write_report
    from govops.drills.workdir import WorkDir, write_json

    if not STATE.work_dir:
        STATE.report = {"verdict": "aborted", "reasons": [STATE.abort or "drill set-up failed"]}
        return
    work = WorkDir(STATE.work_dir)
    spawn.stop_all(work, ("sentinel", "pinger", "loadgen", "service"))
    ctx = work.read_context()
    if not work.measurement.exists() and ctx.get("kind", "service") == "service":
        try:
            from govops.drills.probes import measure

            measure(str(work.path), str(ctx.get("dc_dir", "")))
        except Exception as exc:  # noqa: BLE001 - the report says lost writes are unknown
            logger.warning("measurement failed: %s", exc)
    if journal is not None:
        write_json(work.journal, journal)
    interrupted = None
    if interrupted_by():
        interrupted = f"interrupted by {interrupted_by()}"
    elif STATE.abort:
        interrupted = f"aborted: {STATE.abort}"
    elif journal is not None and journal.get("status") in ("interrupted", "aborted"):
        interrupted = f"run {journal.get('status')}"
    report = write_report(work, journal, interrupted=interrupted)
    STATE.report = report
    if journal is not None:
        if report["verdict"] == "aborted" and journal.get("status") == "completed":
            journal["status"] = "aborted"
        if report["verdict"] == "fail":
            journal["deviated"] = True
        journal["govops"] = {k: report.get(k) for k in ("verdict", "reasons", "rto_s", "rpo_s",
                                                         "lost_writes", "report_dir")}
        write_json(work.journal, journal)
    runstate.release(work)
