"""Run a drill in this process with chaoslib, as `chaos run` would, and return its report.

`run_drill("site-loss")` validates the experiment (every activity bound to its function's
signature before anything runs), checks the lab and the tenant, recovers a drill whose runner
died, then runs the experiment with the rollback strategy "always" (rollbacks also run when
the method is interrupted or aborted). The chaoslib log goes to the work dir's
`chaostoolkit.log`; progress (one line per activity) goes to `progress`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaoslib.run import RunEventHandler

from govops.drills import catalogue, control, labinfo, probes, runstate
from govops.drills.workdir import WorkDir, read_json
from govops.errors import BadInput

Progress = Callable[[str], None]
SETTINGS = {"runtime": {"rollbacks": {"strategy": "always"}, "hypothesis": {"strategy": "default"}}}


@dataclass
class RunResult:
    report: dict[str, Any]
    journal: dict[str, Any] | None
    signal: str | None  # "SIGINT"/"SIGTERM"/"SIGHUP" when the run was interrupted by one


class _Progress(RunEventHandler):
    def __init__(self, say: Progress):
        self.say = say
        self.phase = "steady state (before)"

    def start_hypothesis_before(self, experiment: Any) -> None:
        self.phase = "steady state (before)"

    def start_method(self, experiment: Any) -> None:
        self.phase = "method"

    def start_hypothesis_after(self, experiment: Any) -> None:
        self.phase = "steady state (after)"

    def start_rollbacks(self, experiment: Any) -> None:
        self.phase = "rollback"

    def activity_completed(self, activity: Any, run: Any) -> None:
        status = run.get("status", "?")
        out = run.get("output")
        ok = status == "succeeded" and not (isinstance(out, dict) and out.get("ok") is False)
        mark = "ok" if ok else "FAILED" if status == "failed" else "not met"
        self.say(f"{self.phase}: {activity.get('name')} … {mark} "
                 f"({float(run.get('duration') or 0):.2f} s)")


def preflight(name: str, *, tenant: str | None, estate: str) -> tuple[Path, dict[str, Any]]:
    """Everything that makes a run pointless, as BadInput: unknown drill, invalid experiment,
    unknown tenant, lab not up, extranet not configured, no Prometheus for the PromQL probes."""
    from chaoslib.exceptions import ChaosException
    from chaoslib.experiment import ensure_experiment_is_valid

    path, experiment = catalogue.load(name)
    logging.getLogger("chaostoolkit").addHandler(logging.NullHandler())
    try:
        ensure_experiment_is_valid(experiment)
    except ChaosException as exc:
        raise BadInput(f"{path}: invalid experiment: {exc}") from None
    probes.objective_for(estate, tenant)
    ext = catalogue.extension(experiment)
    requires = ext.get("requires", ["dc-lab"])
    if "dc-lab" in requires:
        labinfo.require_dc_lab(labinfo.dc_dir())
    if "extranet" in requires:
        from govops.drills.extranet import require_extranet

        require_extranet(estate, ext.get("router", ""), ext.get("target", ""))
    if _asks_prometheus(experiment) and not labinfo.prometheus_url():
        raise BadInput(f"{name}'s steady state reads Prometheus, and none runs: the lab's "
                       "monitoring is not up (govops lab up starts it), or set "
                       f"{labinfo.PROMETHEUS_ENV}")
    return path, experiment


def _asks_prometheus(experiment: dict[str, Any]) -> bool:
    hypothesis = experiment.get("steady-state-hypothesis") or {}
    return any(p.get("provider", {}).get("func") == "promql_within"
               for p in hypothesis.get("probes", []))


def run_drill(name: str, *, tenant: str | None = None, rate: float = 200.0,
              estate: str = "inventories/lab", reports_dir: Path | None = None,
              progress: Progress | None = None) -> RunResult:
    from chaoslib.experiment import run_experiment

    say = progress or (lambda _m: None)
    path, experiment = preflight(name, tenant=tenant, estate=estate)
    recovered = runstate.recover_stale()
    if recovered:
        say(f"recovered drill {recovered['drill']} whose runner (pid {recovered['pid']}) died: "
            f"rollbacks run, report in {recovered['work_dir']}")
    reports = Path(reports_dir or catalogue.drills_dir() / "reports").resolve()
    work = WorkDir(control.new_work_dir(reports, name)).create()
    config = {"tenant": tenant or "", "estate": estate, "rate": rate, "work_dir": str(work.path),
              "reports_dir": str(reports), "experiment": str(path)}
    log = logging.getLogger("chaostoolkit")
    handler = logging.FileHandler(work.path / "chaostoolkit.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    old_level, old_propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    say(f"{name}: {experiment.get('title', '')} (report in {work.path})")
    try:
        journal = run_experiment(experiment, settings=SETTINGS, experiment_vars=(config, {}),
                                 event_handlers=[_Progress(say)])
    finally:
        log.removeHandler(handler)
        handler.close()
        log.setLevel(old_level)
        log.propagate = old_propagate
    report = control.STATE.report or read_json(work.path / "report.json") or {
        "scenario": name, "verdict": "aborted", "reasons": ["no report was written"]}
    return RunResult(report=report, journal=journal, signal=control.interrupted_by())


def summary_line(report: dict[str, Any], tr: Any = None) -> str:
    """One line: verdict, RTO and RPO against the objective (and the drill's target)."""
    from govops.i18n import translator
    from govops.i18n.terms import term

    tr = tr or translator("en")
    obj = report.get("objective") or {}
    target = report.get("target") or {}
    rto = report.get("rto_s")
    rpo = report.get("rpo_s")
    rto_text = "–" if rto is None else f"{rto:.3f} s"
    rpo_text = "–" if rpo is None else f"{rpo:.3f} s"
    verdict = term(tr, "verdict", str(report.get("verdict")))
    parts = [tr("{scenario}: {verdict}", scenario=report.get("scenario"), verdict=verdict)]
    if target.get("rto_s") is not None:
        parts.append(tr("RTO {rto} (objective {objective} s, target {target} s)", rto=rto_text,
                        objective=f"{obj.get('rto_s', 0):g}", target=f"{target['rto_s']:g}"))
    else:
        parts.append(tr("RTO {rto} (objective {objective} s)", rto=rto_text,
                        objective=f"{obj.get('rto_s', 0):g}"))
    parts.append(tr("RPO {lost} writes lost, {rpo} (objective {objective} s)",
                    lost=report.get("lost_writes", "?"), rpo=rpo_text,
                    objective=f"{obj.get('rpo_s', 0):g}"))
    return "  ".join(parts)
