"""Push, resume and roll back rollouts: wires estate, render, diff, drivers, journal together."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from govops.errors import BadInput
from govops.estate.errors import did_you_mean
from govops.estate.estate import Estate
from govops.estate.loader import load_estate
from govops.estate.views import NodeView
from govops.network.credentials import address_book, load_credentials
from govops.network.diff import select
from govops.network.drivers.registry import driver_for, make_driver
from govops.network.instances import platform_of
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

#: Where journals go: GOVOPS_ROLLOUTS (read at import: tests, benchmarks, the Ansible module
#: of a test run), else rollouts/ in the checkout.
ROLLOUTS = Path(os.environ.get("GOVOPS_ROLLOUTS") or REPO_ROOT / "rollouts")


def _connector():
    creds = load_credentials()
    book = address_book()

    def connect(view: NodeView):
        return make_driver(view, creds, book)

    return connect


def _intended(estate: Estate, devices: list[str]) -> dict[str, str]:
    """Every device's intended config (routers and plane instances), rendered before any
    device is touched (the routers' estate-wide context once: render_device per device
    recomputes it, quadratic in a province)."""
    from govops.network.instances import render_intended

    return render_intended(estate, devices)


def _remediation():
    from govops.network.diff import remediation

    return remediation


def _full_remediation():
    """The diff that restores a backup: everything, not only managed scope (ADR 0011), so the
    lines govops added that the backup lacks are removed too."""
    import functools

    from govops.network.diff import remediation

    return functools.partial(remediation, full=True)


def _touched(journal: Journal, offset: int) -> list[str]:
    """Devices this run sent changes to or restored: `apply` and `rollback` events of the
    journal lines written from byte `offset` on."""
    if not journal.path.exists():
        return []
    with journal.path.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().splitlines()
    devices: dict[str, None] = {}
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") in ("apply", "rollback"):
            devices[str(event.get("device"))] = None
    return list(devices)


@contextlib.contextmanager
def _audited(command: str, journal: Journal, estate_dir: Path, *, check: bool = False,
             backups: str = "written", argv: list[str] | None = None,
             device: str | None = None) -> Iterator[Any]:
    """An audit record for one run of a rollout (ADR 0010): the devices it touched, the
    journal and backups it wrote, the templates or backups it read. A `--check` run changes
    no device and leaves no record (yields None). `device`: the one device this process
    pushes (Ansible forks share the journal: the others' events are not this record's)."""
    if check:
        yield None
        return
    from govops.audit import audited
    from govops.network.render import templates_dir

    offset = journal.path.stat().st_size if journal.path.exists() else 0
    inputs = [journal.backups] if backups == "read" else [templates_dir()]
    artefacts = [journal.path] + ([journal.backups] if backups == "written" else [])
    with audited(command, estate_dir=estate_dir, inputs=inputs, artefacts=artefacts,
                 argv=argv) as audit:
        audit.detail["rollout"] = journal.id
        try:
            yield audit
        finally:
            audit.device(*(d for d in _touched(journal, offset) if device in (None, d)))


def _conclude(audit: Any, summary: RolloutSummary) -> None:
    """The rollout's result in its audit record: failed when any device failed."""
    if audit is None:
        return
    audit.detail.update(counts=summary.counts(), stopped=summary.stopped or None)
    if summary.failed:
        audit.result = (f"failed: {len(summary.failed)} device(s) failed"
                        + (f"; {summary.stopped}" if summary.stopped else ""))


def plan_remediation(estate: Estate, devices: list[str],
                     intended: dict[str, str] | None = None, workers: int = 8
                     ) -> dict[str, list[str]]:
    """Each device's exact remediation as a push would compute it now: its running config is
    read (nothing is sent), the intended config rendered, the same diff function applied.
    What `change request` binds and `net push --change` compares. BadInput naming every
    device that cannot be read."""
    from concurrent.futures import ThreadPoolExecutor

    from govops.network.drivers.base import DeviceError
    from govops.network.instances import device_view

    intended = intended if intended is not None else _intended(estate, devices)
    connect, diff = _connector(), _remediation()

    def one(name: str) -> tuple[str, list[str] | str]:
        view = device_view(estate, name)
        driver = connect(view)
        try:
            driver.open()
        except DeviceError as exc:
            return name, str(exc)
        try:
            return name, diff(view.platform, driver.get_running(), intended[name])
        except DeviceError as exc:
            return name, str(exc)
        finally:
            driver.close()

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(devices) or 1))) as pool:
        found = dict(pool.map(one, devices))
    unread = [f"{n}: {v}" for n, v in found.items() if isinstance(v, str)]
    if unread:
        raise BadInput(f"cannot read the running config of {len(unread)} device(s), so the "
                       f"change cannot be bound: {unread[0]}"
                       + (f" (+{len(unread) - 1} more)" if len(unread) > 1 else ""))
    return {n: list(v) for n, v in found.items()}


def _change_limit(change: str) -> str | None:
    """The `--limit` a change was requested with (None when it cannot be read: the gate
    refuses that change later, on record)."""
    from govops.changes import store
    from govops.errors import GovopsError

    try:
        return store.load(change).request.get("limit")
    except GovopsError:
        return None


def _gate(command: str, estate_dir: Path, estate: Estate, check: bool, unsigned: bool,
          change: str | None):
    """Who may run `command` and under which change, before any device is contacted:
    `(operator or None, the change or None)`. A dry run (`--check`) needs neither."""
    if check:
        return None, None
    from govops.changes import gate
    from govops.operators.roles import act

    gate.require_change(estate_dir, estate.settings.approval_required, command, change)
    operator = act(estate_dir, command, unsigned=unsigned)
    if change is None:
        return operator, None
    if operator is None:
        raise BadInput("--change needs an operator to run it: drop --unsigned")
    from govops.operators.registry import load_registry

    return operator, gate.runnable(change, estate_dir, command, load_registry(estate_dir))


def push(estate_dir: Path, limit: str | None, options: RolloutOptions,
         hooks: RolloutHooks | None = None, root: Path = ROLLOUTS, *, unsigned: bool = False,
         change: str | None = None, planes: bool = False) -> RolloutSummary:
    """Start a new rollout; everything is validated and rendered, the operator's role and (on
    an estate that requires it) the approved change checked, before any device is touched.
    With `change`, the remediation of every device is read first and must be the approved
    one; the rollout then sends nothing else. Without `limit`, a change's own limit applies.
    `planes`: the selected routers' plane instances too (`router@plane`, ADR 0021)."""
    estate = load_estate(estate_dir)
    if change is not None and limit is None:
        limit = _change_limit(change)
    devices = order_devices(estate, select(estate, limit, planes=planes))
    if not devices:
        raise BadInput("no managed device selected: check --limit")
    for name in devices:
        driver_for(platform_of(estate, name))  # unsupported platform: fail before any push
    operator, approved_change = _gate("net push", estate_dir, estate, options.check, unsigned,
                                      change)
    intended = _intended(estate, devices)
    approved = None
    if approved_change is not None:
        from govops.changes import gate

        approved = plan_remediation(estate, devices, intended)  # reads; sends nothing
        gate.same_remediation(approved_change, approved, "net push", Path(estate_dir))
    connect = _connector()
    journal = Journal(root, new_id())
    with _audited("net push", journal, estate_dir, check=options.check) as audit:
        if approved_change is not None:
            _use_change(audit, approved_change, operator, journal.id)
        journal.write("start", estate=str(estate_dir), limit=limit, devices=devices,
                      options=options.__dict__,
                      **({"change": approved_change.id} if approved_change else {}))
        rollout = Rollout(estate, intended, options, journal, _remediation(), connect, hooks,
                          approved=approved)
        rollout.restore_diff = _full_remediation()
        summary = rollout.run(devices)
        journal.write("end", stopped=summary.stopped, counts=summary.counts())
        _conclude(audit, summary)
    return summary


def _use_change(audit: Any, change: Any, operator: Any, run: str) -> None:
    """Mark the approved change as run (once), in this command's audit record."""
    from govops.changes import gate
    from govops.operators.roles import acting_key

    used = gate.mark_used(change, acting_key(), operator.name, run)
    audit.add(used)
    audit.detail["change"] = change.id


def _resumable_change(estate_dir: Path, estate: Estate, start: dict, rollout_id: str,
                      unsigned: bool, check: bool) -> dict[str, list[str]] | None:
    """On an estate that requires approval, a rollout resumes only if it began as an approved
    change, on the estate that change bound: its devices then get the approved remediation and
    nothing else. Returns that remediation (None when no change applies)."""
    from govops.changes import gate, store
    from govops.operators.roles import act

    change_id = start.get("change")
    if check:
        return None
    if change_id is None:
        gate.require_change(estate_dir, estate.settings.approval_required, "net resume", None)
        act(estate_dir, "net resume", unsigned=unsigned)
        return None
    act(estate_dir, "net resume", unsigned=False)
    change = store.load(str(change_id))
    if (change.used or {}).get("run") != rollout_id:
        raise gate.record_refusal_for("net resume", estate_dir, f"rollout {rollout_id} is not "
                                      f"the run of change {change_id}", change_id)
    now = gate.binding_files(estate_dir)
    if gate.binding_digest(now) != (change.request.get("estate") or {}).get("sm3"):
        raise gate.record_refusal_for("net resume", estate_dir, f"rollout {rollout_id}: the "
                                      f"estate changed since change {change_id} was approved",
                                      change_id)
    return change.request.get("devices") or {}


def resume(rollout_id: str, hooks: RolloutHooks | None = None, root: Path = ROLLOUTS, *,
           unsigned: bool = False) -> RolloutSummary:
    """Finish an interrupted rollout: devices without a final status are pushed again."""
    journal, state = open_journal(root, rollout_id)
    if state.rolled_back:
        raise BadInput(f"rollout {rollout_id} was rolled back: start a new push instead")
    start = state.start
    estate = load_estate(Path(start["estate"]))
    options = RolloutOptions(**start["options"])
    approved = _resumable_change(Path(start["estate"]), estate, start, rollout_id, unsigned,
                                 options.check)
    done_ok = {d for d, s in state.final.items() if s in ("changed", "unchanged")}
    remaining = [d for d in start["devices"] if d not in state.final or state.final[d] == "skipped"]
    intended = _intended(estate, remaining)
    connect = _connector()
    with _audited("net resume", journal, Path(start["estate"]), check=options.check) as audit:
        journal.write("resume", remaining=remaining)
        if audit is not None and start.get("change"):
            audit.detail["change"] = start["change"]
        rollout = Rollout(estate, intended, options, journal, _remediation(), connect, hooks,
                          approved=approved)
        rollout.restore_diff = _full_remediation()
        rollout.backed_up = set(state.backed_up)
        rollout.armed = dict(state.armed)
        summary = rollout.run(remaining, already_ready=done_ok, scope=set(start["devices"]))
        journal.write("end", stopped=summary.stopped, counts=summary.counts(), resumed=True)
        _conclude(audit, summary)
    return summary


def rollback(rollout_id: str, root: Path = ROLLOUTS, workers: int = 4, *,
             unsigned: bool = False) -> dict[str, str]:
    """Restore every device the rollout backed up to that backup (bottom-up). A system
    administrator's job; it needs no approved change even where changes do (it puts back what
    was there before one: the way out of a bad change must not wait for a second person)."""
    from govops.operators.roles import act

    journal, state = open_journal(root, rollout_id)
    estate = load_estate(Path(state.start["estate"]))
    act(Path(state.start["estate"]), "net rollback", unsigned=unsigned)
    devices = list(reversed(order_devices(estate, list(dict.fromkeys(state.backed_up)))))
    # decrypt every backup before any device is touched: a wrong key stops here (exit 2)
    backups = {name: journal.read_backup(name) for name in devices}
    connect = _connector()
    with _audited("net rollback", journal, Path(state.start["estate"]), backups="read") as audit:
        journal.write("rollback-start", devices=devices)
        results = restore_devices(backups, estate, journal, _full_remediation(), connect, workers)
        journal.write("rollback-end", results=results)
        bad = [d for d, status in results.items() if status != "restored"]
        audit.detail["results"] = results
        if bad:
            audit.result = f"failed: {len(bad)} device(s) not restored"
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
    # the Ansible module takes no --change yet: on an estate that requires approval it refuses
    _gate("net push", estate_dir, estate, check, False, None)
    journal = Journal(root, rollout_id)
    intended = _intended(estate, [device])
    connect = _connector()
    argv = ["ansible", "govops_net_push", f"device={device}", f"rollout_id={rollout_id}",
            f"estate={estate_dir}"]
    with _audited("net push", journal, estate_dir, check=check, backups="none", argv=argv,
                  device=device) as audit:
        if audit is not None:  # only this device's backup: the play's other hosts write theirs
            audit.add(journal.backups / f"{device}.cfg.sm4")
            audit.detail.update(driver="ansible", device=device)
        if not journal.path.exists():
            journal.write("start", estate=str(estate_dir), limit=None, devices=list(scope),
                          options={"canary": 0, "batch_size": 1, "max_failures": 1, "workers": 1,
                                   "check": check, "verify_timeout_s": verify_timeout_s},
                          driver="ansible")
        _, state = open_journal(root, rollout_id)
        ready = {d for d, s in state.final.items() if s in ("changed", "unchanged")}
        options = RolloutOptions(canary=0, batch_size=1, max_failures=1, workers=1, check=check,
                                 verify_timeout_s=verify_timeout_s)
        rollout = Rollout(estate, intended, options, journal, _remediation(), connect)
        rollout.restore_diff = _full_remediation()
        summary = rollout.run([device], already_ready=ready, scope=set(scope) | {device})
        _conclude(audit, summary)
    backed_up = any((journal.backups / f"{device}{ext}").exists() for ext in (".cfg", ".cfg.sm4"))
    before = journal.read_backup(device) if backed_up else ""
    return summary, before, intended[device]
