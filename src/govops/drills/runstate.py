"""One drill at a time on a lab, and recovery after a runner that died mid-drill.

While a drill runs, `<lab dir>/drills/active.json` names its runner's PID, its work dir and its
experiment. The next drill (or `govops drill recover`) finds a marker whose runner is gone —
killed with SIGKILL, or the machine rebooted — and finishes that drill's job: it stops its
helper processes, runs the experiment's rollbacks with the configuration the drill recorded,
and writes its report with the verdict "aborted".
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from govops.drills import spawn
from govops.drills.workdir import WorkDir, read_json, write_json
from govops.errors import BadInput
from govops.paths import lab_dir


def marker_path() -> Path:
    return lab_dir() / "drills" / "active.json"


def _runner_alive(pid: int) -> bool:
    if pid == os.getpid() or not spawn.alive(pid):
        return False
    args = " ".join(spawn.cmdline(pid))
    return "govops" in args or "chaos" in args or "pytest" in args


def active() -> dict[str, Any] | None:
    """The marker of the drill running now (None when none runs or its runner is gone)."""
    data = read_json(marker_path())
    if not data or not _runner_alive(int(data.get("pid", 0))):
        return None
    return data


def claim(drill: str, work: WorkDir, experiment: str) -> None:
    """Mark `drill` as running in this process; BadInput when another drill runs."""
    other = read_json(marker_path())
    if other and int(other.get("pid", 0)) != os.getpid() and _runner_alive(int(other["pid"])):
        raise BadInput(
            f"drill {other.get('drill')} is running on this lab (pid {other['pid']}, "
            f"{other.get('work_dir')}): wait for it, or stop it with kill {other['pid']} "
            "(its rollback runs)")
    marker_path().parent.mkdir(parents=True, exist_ok=True)
    write_json(marker_path(), {"pid": os.getpid(), "drill": drill, "work_dir": str(work.path),
                               "experiment": experiment, "started_at": time.time()})


def release(work: WorkDir) -> None:
    data = read_json(marker_path())
    if data and data.get("work_dir") == str(work.path) and int(data.get("pid", 0)) == os.getpid():
        marker_path().unlink(missing_ok=True)


def recover_stale() -> dict[str, Any] | None:
    """Finish the job of a drill whose runner died; None when there is nothing to recover.

    Raises BadInput when a drill is running now (its runner is alive)."""
    data = read_json(marker_path())
    if not data:
        return None
    pid = int(data.get("pid", 0))
    if pid == os.getpid():
        return None
    if _runner_alive(pid):
        raise BadInput(
            f"drill {data.get('drill')} is running on this lab (pid {pid}, "
            f"{data.get('work_dir')}): wait for it, or stop it with kill {pid} "
            "(its rollback runs)")
    work = WorkDir(data["work_dir"])
    result: dict[str, Any] = {"drill": data.get("drill"), "work_dir": str(work.path), "pid": pid}
    if work.path.is_dir():
        result["stopped"] = spawn.stop_all(work)
        result["rollbacks"] = run_rollbacks(Path(data["experiment"]), work)
        work.event("recovered", runner_pid=pid, rollbacks=result["rollbacks"])
        from govops.drills.report import write_report

        reason = (f"the runner (pid {pid}) died during the drill; its rollbacks ran when the "
                  f"next drill started ({time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC)")
        try:
            from govops.drills.probes import measure

            if not work.measurement.exists() and work.ledger.exists():
                measure(str(work.path), str(work.read_context().get("dc_dir", "")))
        except Exception:  # noqa: BLE001 - best effort: the report says what is missing
            pass
        write_report(work, _journal(work), interrupted=reason)
    marker_path().unlink(missing_ok=True)
    return result


def _journal(work: WorkDir) -> dict[str, Any] | None:
    return read_json(work.journal)


def run_rollbacks(experiment_path: Path, work: WorkDir) -> list[dict[str, Any]]:
    """Run the experiment's rollbacks with the configuration the drill recorded."""
    from chaoslib.activity import run_activity

    try:
        experiment = json.loads(experiment_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [{"error": f"cannot read {experiment_path}: {exc}"}]
    configuration = dict(work.read_context().get("configuration", {}))
    done = []
    for activity in experiment.get("rollbacks", []):
        entry: dict[str, Any] = {"name": activity.get("name")}
        try:
            entry["output"] = run_activity(activity, configuration, {})
            entry["status"] = "succeeded"
        except Exception as exc:  # noqa: BLE001 - every rollback is tried
            entry["status"] = "failed"
            entry["error"] = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        done.append(entry)
    return done
