"""Push, resume and roll back rollouts: wires estate, render, diff, drivers, journal together."""

from __future__ import annotations

from pathlib import Path

from govops.errors import BadInput
from govops.estate.errors import did_you_mean
from govops.estate.estate import Estate
from govops.estate.loader import load_estate
from govops.estate.views import NodeView
from govops.network.credentials import load_credentials
from govops.network.diff import select
from govops.network.drivers.registry import driver_for
from govops.network.journal import Journal, new_id, open_journal
from govops.network.rollout import (
    Rollout,
    RolloutHooks,
    RolloutOptions,
    RolloutSummary,
    order_devices,
    restore_devices,
)
from govops.paths import REPO_ROOT

ROLLOUTS = REPO_ROOT / "rollouts"


def _connector():
    creds = load_credentials()

    def connect(view: NodeView):
        cls = driver_for(view.platform)
        return cls(view.name, view.mgmt_ipv4.split("/")[0], creds)

    return connect


def _intended(estate: Estate, devices: list[str]) -> dict[str, str]:
    from govops.network.render import render_device

    return {name: render_device(estate, name) for name in devices}


def _remediation():
    from govops.network.diff import remediation

    return remediation


def push(estate_dir: Path, limit: str | None, options: RolloutOptions,
         hooks: RolloutHooks | None = None, root: Path = ROLLOUTS) -> RolloutSummary:
    """Start a new rollout; everything is validated and rendered before any device is touched."""
    estate = load_estate(estate_dir)
    devices = order_devices(estate, select(estate, limit))
    if not devices:
        raise BadInput("no managed device selected: check --limit")
    for name in devices:
        driver_for(estate.nodes[name].platform)  # unsupported platform: fail before any push
    intended = _intended(estate, devices)
    connect = _connector()
    journal = Journal(root, new_id())
    journal.write("start", estate=str(estate_dir), limit=limit, devices=devices,
                  options=options.__dict__)
    rollout = Rollout(estate, intended, options, journal, _remediation(), connect, hooks)
    summary = rollout.run(devices)
    journal.write("end", stopped=summary.stopped, counts=summary.counts())
    return summary


def resume(rollout_id: str, hooks: RolloutHooks | None = None, root: Path = ROLLOUTS
           ) -> RolloutSummary:
    """Finish an interrupted rollout: devices without a final status are pushed again."""
    journal, state = open_journal(root, rollout_id)
    if state.rolled_back:
        raise BadInput(f"rollout {rollout_id} was rolled back: start a new push instead")
    start = state.start
    estate = load_estate(Path(start["estate"]))
    options = RolloutOptions(**start["options"])
    done_ok = {d for d, s in state.final.items() if s in ("changed", "unchanged")}
    remaining = [d for d in start["devices"] if d not in state.final or state.final[d] == "skipped"]
    journal.write("resume", remaining=remaining)
    intended = _intended(estate, remaining)
    rollout = Rollout(estate, intended, options, journal, _remediation(), _connector(), hooks)
    summary = rollout.run(remaining, already_ready=done_ok, scope=set(start["devices"]))
    journal.write("end", stopped=summary.stopped, counts=summary.counts(), resumed=True)
    return summary


def rollback(rollout_id: str, root: Path = ROLLOUTS, workers: int = 4) -> dict[str, str]:
    """Restore every device the rollout backed up to that backup (bottom-up)."""
    journal, state = open_journal(root, rollout_id)
    estate = load_estate(Path(state.start["estate"]))
    devices = list(reversed(order_devices(estate, list(dict.fromkeys(state.backed_up)))))
    # decrypt every backup before any device is touched: a wrong key stops here (exit 2)
    backups = {name: journal.read_backup(name) for name in devices}
    journal.write("rollback-start", devices=devices)
    results = restore_devices(backups, estate, journal, _remediation(), _connector(), workers)
    journal.write("rollback-end", results=results)
    return results


def push_one(estate_dir: Path, device: str, rollout_id: str, scope: list[str], check: bool,
             verify_timeout_s: float, root: Path = ROLLOUTS) -> tuple[RolloutSummary, str, str]:
    """One device of a rollout driven from outside (Ansible: one module call per host).

    Devices of `scope` that the journal shows finished are ready; the others are not.
    Returns the summary, the running config before and the intended config.
    """
    estate = load_estate(estate_dir)
    if device not in estate.nodes:
        raise BadInput(f"device {device!r} is not in estate {estate_dir}"
                       f"{did_you_mean(device, estate.nodes)}")
    journal = Journal(root, rollout_id)
    if not journal.path.exists():
        journal.write("start", estate=str(estate_dir), limit=None, devices=list(scope),
                      options={"canary": 0, "batch_size": 1, "max_failures": 1, "workers": 1,
                               "check": check, "verify_timeout_s": verify_timeout_s},
                      driver="ansible")
    _, state = open_journal(root, rollout_id)
    ready = {d for d, s in state.final.items() if s in ("changed", "unchanged")}
    options = RolloutOptions(canary=0, batch_size=1, max_failures=1, workers=1, check=check,
                             verify_timeout_s=verify_timeout_s)
    intended = _intended(estate, [device])
    rollout = Rollout(estate, intended, options, journal, _remediation(), _connector())
    summary = rollout.run([device], already_ready=ready, scope=set(scope) | {device})
    backed_up = any((journal.backups / f"{device}{ext}").exists() for ext in (".cfg", ".cfg.sm4"))
    before = journal.read_backup(device) if backed_up else ""
    return summary, before, intended[device]
