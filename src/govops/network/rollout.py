"""Staged rollout: canary, then batches, a global failure budget, verify, restore on failure.

Per device: back up running → compute remediation → apply → verify (parsed state, waiting for
convergence) → on any failure restore the backup and check it took. Devices go top-down
(province, egress, DC, city, county, town) so each one's upstream peers are already done.
Steps are plain functions returning a DeviceResult; the CLI watches through RolloutHooks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from govops.estate.estate import Estate
from govops.estate.views import NodeView
from govops.network.drivers.base import Daemon, DeviceError, Driver
from govops.network.instances import device_view, instances, is_instance, router_of
from govops.network.journal import Journal
from govops.network.verify import (
    address_owners,
    checked_prefixes,
    daemon_findings,
    daemon_used,
    expectation,
    state_reader,
    wait_until_verified,
)

DEPTH = {"province": 0, "egress": 1, "dc": 1, "city": 2, "county": 3, "town": 4, "carrier": 5}

DiffFn = Callable[[str, str, str], list[str]]
DriverFactory = Callable[[NodeView], Driver]


@dataclass
class RolloutOptions:
    """How a rollout proceeds."""

    canary: int = 1
    batch_size: int = 10
    max_failures: int = 3
    workers: int = 4
    check: bool = False
    verify_timeout_s: float = 90.0


@dataclass
class DeviceResult:
    """How one device ended."""

    device: str
    status: str  # unchanged | changed | failed | would-change | skipped
    changes: list[str] = field(default_factory=list)
    error: str = ""
    restored: bool = False
    seconds: float = 0.0


@dataclass
class RolloutSummary:
    """The whole rollout."""

    rollout_id: str
    results: list[DeviceResult]
    stopped: str = ""  # why the rollout stopped early, if it did
    seconds: float = 0.0

    @property
    def failed(self) -> list[DeviceResult]:
        """Devices that failed."""
        return [r for r in self.results if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        """Devices per status."""
        out: dict[str, int] = {}
        for result in self.results:
            out[result.status] = out.get(result.status, 0) + 1
        return out


class RolloutHooks:
    """No-op observer; the CLI overrides what it shows. Hooks never change the rollout."""

    def batch_started(self, number: int, devices: list[str], canary: bool) -> None:
        """A batch begins."""

    def device_done(self, result: DeviceResult) -> None:
        """A device finished (any status)."""

    def batch_done(self, number: int) -> None:
        """A batch ended."""


def level_of(estate: Estate, name: str) -> str:
    """The level of a router, or of a plane instance (its router's)."""
    return estate.nodes[router_of(name)].level


def order_devices(estate: Estate, names: list[str]) -> list[str]:
    """Managed devices top-down, estate order within a level; a plane instance
    (`router@plane`) right after its router."""
    position = {name: i for i, name in enumerate(estate.nodes)}
    managed = [n for n in names if estate.nodes[router_of(n)].managed]
    return sorted(managed, key=lambda n: (DEPTH[level_of(estate, n)], position[router_of(n)],
                                          is_instance(n), n))


def plan_batches(estate: Estate, devices: list[str], canary: int, batch_size: int
                 ) -> list[tuple[list[str], bool]]:
    """Canary batch first, then batches of at most `batch_size` that never mix levels."""
    batches: list[tuple[list[str], bool]] = []
    rest = list(devices)
    if canary > 0 and rest:
        batches.append((rest[:canary], True))
        rest = rest[canary:]
    current: list[str] = []
    for name in rest:
        level_changes = current and level_of(estate, current[-1]) != level_of(estate, name)
        if len(current) >= batch_size or level_changes:
            batches.append((current, False))
            current = []
        current.append(name)
    if current:
        batches.append((current, False))
    return batches


class Rollout:
    """One rollout run (fresh or resumed) over a set of devices."""

    def __init__(self, estate: Estate, intended: dict[str, str], options: RolloutOptions,
                 journal: Journal, diff: DiffFn, connect: DriverFactory,
                 hooks: RolloutHooks | None = None,
                 approved: dict[str, list[str]] | None = None):
        self.estate = estate
        #: An approved change's remediation per device: anything else is not sent (issue 18).
        self.approved = approved
        self.intended = intended
        self.options = options
        self.journal = journal
        self.diff = diff
        self.connect = connect
        self.hooks = hooks or RolloutHooks()
        #: The diff that puts a backup back (the whole config, ADR 0011; default `diff`).
        self.restore_diff: DiffFn = diff
        #: Resuming: devices an earlier run backed up (that backup stays: it is the config
        #: before any change), and those whose own safety net it armed and never confirmed.
        self.backed_up: set[str] = set()
        self.armed: dict[str, dict] = {}
        self.views = {name: device_view(estate, name) for name in estate.nodes}
        self.owners = address_owners(self.views.values())
        # plane instances (router@plane) are devices too; routers' addresses stay the owners
        self.views.update({name: device_view(estate, name) for name in instances(estate)})
        self.ready: set[str] = set()
        self.failures = 0
        self.stop_reason = ""
        self._lock = threading.Lock()

    def run(self, devices: list[str], already_ready: set[str] | None = None,
            scope: set[str] | None = None) -> RolloutSummary:
        """Push to `devices` (already ordered) batch by batch; returns every device's result.

        `scope` is every device of the whole rollout (default `devices`): those not yet done
        are not ready; `already_ready` are the ones an earlier run finished.
        """
        started = time.monotonic()
        in_rollout = scope or set(devices)
        # devices outside this rollout are taken to be at their intended config
        self.ready = {n for n in self.views if n not in in_rollout} | (already_ready or set())
        results: list[DeviceResult] = []
        batches = plan_batches(self.estate, devices, self.options.canary, self.options.batch_size)
        for number, (batch, canary) in enumerate(batches, start=1):
            if self.stop_reason:
                results += [self._skip(name) for name in batch]
                continue
            self.hooks.batch_started(number, batch, canary)
            ready_now = set(self.ready)
            workers = max(1, min(self.options.workers, len(batch)))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                batch_results = list(pool.map(self._device, batch, [ready_now] * len(batch)))
            results += batch_results
            self.hooks.batch_done(number)
            if canary and any(r.status == "failed" for r in batch_results):
                self.stop_reason = self.stop_reason or "canary failed"
        return RolloutSummary(self.journal.id, results, self.stop_reason,
                              time.monotonic() - started)

    def _skip(self, name: str) -> DeviceResult:
        result = DeviceResult(name, "skipped", error=self.stop_reason)
        self.journal.write("done", device=name, status="skipped", reason=self.stop_reason)
        self.hooks.device_done(result)
        return result

    def _device(self, name: str, ready: set[str]) -> DeviceResult:
        with self._lock:
            if self.stop_reason:
                return self._skip(name)
        started = time.monotonic()
        result = self._push(name, ready)
        result.seconds = round(time.monotonic() - started, 3)
        with self._lock:
            if result.status == "failed":
                self.failures += 1
                if self.failures >= self.options.max_failures and not self.stop_reason:
                    self.stop_reason = (f"failure budget spent: {self.failures} of "
                                        f"{self.options.max_failures} devices failed")
            elif result.status in ("changed", "unchanged"):
                self.ready.add(name)
        self.journal.write("done", device=name, status=result.status, error=result.error,
                           restored=result.restored, changes=len(result.changes))
        self.hooks.device_done(result)
        return result

    def _push(self, name: str, ready: set[str]) -> DeviceResult:
        view = self.views[name]
        intended = self.intended[name]
        driver = self.connect(view)
        try:
            driver.open()
        except DeviceError as exc:
            return DeviceResult(name, "failed", error=str(exc))
        try:
            running = driver.get_running()
            if name in self.backed_up:  # resuming: the first backup is the config before
                backup = self.journal.read_backup(name)
            else:
                backup = running
                path = self.journal.save_backup(name, backup)
                self.journal.write("backup", device=name, path=str(path))
            changes = self.diff(view.platform, running, intended)
            if self.approved is not None and changes != self.approved.get(name):
                self.journal.write("not-approved", device=name, changes=changes,
                                   approved=self.approved.get(name))
                return DeviceResult(name, "failed", changes, "its remediation is no longer the "
                                    "approved change's (the device changed since): nothing sent")
            if self.options.check:
                return DeviceResult(name, "would-change" if changes else "unchanged", changes)
            armed = self.armed.get(name)
            if armed is not None:
                changes, running = self._take_over(driver, name, armed, changes, running,
                                                   intended)
            if not changes and armed is None:
                return DeviceResult(name, "unchanged")
            try:
                read_state = state_reader(driver, checked_prefixes(self.estate, view,
                                                                   self.views))
                before = read_state()
                applied_at = time.monotonic()
                if changes:
                    self.journal.write("apply", device=name, changes=changes)
                    self._apply(driver, name, changes)
                converge_after_crash(driver, view.platform, intended, self.diff, self.journal,
                                     name, applied_at)
                exp = expectation(self.estate, view, intended, ready, self.views, self.owners,
                                  before)
                gaps = wait_until_verified(read_state, exp, self.options.verify_timeout_s)
                if gaps:  # a crashed routing process comes first: it explains the rest
                    gaps = [*_daemon_findings(driver, name, applied_at, intended), *gaps]
                    raise DeviceError(name, "verification failed: " + "; ".join(gaps[:4])
                                      + (f" (+{len(gaps) - 4} more)" if len(gaps) > 4 else ""))
                leftover = self.diff(view.platform, driver.get_running(), intended)
                if leftover:
                    raise DeviceError(name, f"config still differs after push: {leftover[0]}")
                confirm = getattr(driver, "confirm", None)
                if confirm is not None:  # the device's own safety net: keep the change
                    self.journal.write("confirmed", device=name, **confirm())
                    if self.diff(view.platform, driver.get_running(), intended):
                        raise DeviceError(name, "the device undid the change before it was "
                                          "confirmed (its trial timer ran out): raise "
                                          "--verify-timeout's margin or check the clock")
                self.journal.write("verified", device=name)
                return DeviceResult(name, "changed", changes)
            except DeviceError as exc:
                restored = self._restore(driver, view.platform, backup, name)
                return DeviceResult(name, "failed", changes, str(exc), restored)
        except DeviceError as exc:
            return DeviceResult(name, "failed", error=str(exc))
        finally:
            driver.close()

    def _take_over(self, driver: Driver, name: str, armed: dict, changes: list[str],
                   running: str, intended: str) -> tuple[list[str], str]:
        """Resuming a device whose safety net an earlier run armed and never confirmed.

        Nothing left to change: the trial still holds the change; it is verified and then
        confirmed as if this run had armed it. Something left (the trial ran out and the
        device went back, or the session died half-way): the device's own mechanism undoes
        what is left of the old trial first (`abort trial`, `configuration replace file`
        with the old rollback file), so the new trial starts from the config before the
        change, never from a half-changed one. Returns the changes and running config now."""
        adopt = getattr(driver, "adopt", None)
        if adopt is None:
            return changes, running
        adopt(armed)
        self.journal.write("resumed-trial", device=name, pending=not changes, **armed)
        if not changes:
            return changes, running
        abort = getattr(driver, "abort", None)
        if abort is not None and abort():
            self.journal.write("aborted", device=name, resumed=True)
            running = driver.get_running()
            changes = self.diff(self.views[name].platform, running, intended)
        return changes, running

    def trial_seconds(self) -> int:
        """How long a device waits for confirmation before undoing a change by itself: the
        verification time plus a margin for the leftover check and the confirmation."""
        return int(max(60.0, self.options.verify_timeout_s + 60.0))

    def _apply(self, driver: Driver, name: str, changes: list[str]) -> None:
        """Apply with the device's own safety net where the driver has one (VRP V8 `commit
        trial`, Comware commit delay, a backup file on flash), journalling what it armed."""
        trial = getattr(driver, "apply_trial", None)
        if trial is None:
            driver.apply(changes)
            return
        self.journal.write("trial", device=name, **trial(changes, self.trial_seconds()))

    def _restore(self, driver: Driver, platform: str, backup: str, name: str) -> bool:
        """Undo a failed change: the device's own mechanism first (`abort trial`,
        `configuration replace file`), then the backup's remaining differences line by line;
        True when nothing differs from the backup."""
        try:
            started = time.monotonic()
            abort = getattr(driver, "abort", None)
            if abort is not None and abort():
                self.journal.write("aborted", device=name)
            driver.apply(self.restore_diff(platform, driver.get_running(), backup))
            converge_after_crash(driver, platform, backup, self.restore_diff, self.journal,
                                 name, started)
            ok = not self.restore_diff(platform, driver.get_running(), backup)
        except DeviceError as exc:
            self.journal.write("restore-failed", device=name, error=str(exc))
            return False
        self.journal.write("restored", device=name, ok=ok)
        return ok


def _daemons(driver: Driver, config: str | None) -> list[Daemon] | None:
    """The device's routing processes that matter for `config` (None: all it reports); None
    when it cannot tell. A process down that `config` does not use is no finding: an FRR plane
    instance runs no bgpd or bfdd."""
    get_daemons = getattr(driver, "get_daemons", None)
    if get_daemons is None:
        return None
    try:
        daemons = get_daemons()
    except DeviceError:
        return None
    return [d for d in daemons if d.up or config is None or daemon_used(d.name, config)]


def _daemon_findings(driver: Driver, name: str, since: float,
                     config: str | None = None) -> list[str]:
    """What the device says of its routing processes since `since` (if it can tell)."""
    daemons = _daemons(driver, config)
    if daemons is None:
        return []
    return daemon_findings(name, daemons, time.monotonic() - since + 2.0)


#: How long a crashed routing process may take to come back under its supervisor.
RESTART_WAIT_S = 20.0


def converge_after_crash(driver: Driver, platform: str, target: str, diff: DiffFn,
                         journal: Journal, name: str, since: float) -> None:
    """After applying changes: if a routing process crashed meanwhile, wait for its supervisor
    to restart it and apply what the restart undid.

    A restarted daemon reloads the config saved before the change (FRR 8.4's ospf6d can
    crash when neighbours are deleted or created while its events for them are pending, see
    docs/lab-test-failures.md), so part of the change is gone. This is not a blind retry:
    it runs only when the device reports a process that restarted (or is down) since
    `since`, applies the remaining diff once, and the journal records the crash.
    """
    found = _daemon_findings(driver, name, since, target)
    if not found:
        return
    deadline = time.monotonic() + RESTART_WAIT_S
    while not all(d.up for d in _daemons(driver, target) or ()):
        if time.monotonic() > deadline:
            return  # verification names the dead process
        time.sleep(0.5)
    left = diff(platform, driver.get_running(), target)
    journal.write("crashed-during-apply", device=name, findings=found, reapplied=len(left))
    if left:
        driver.apply(left)


def restore_devices(backups: dict[str, str], estate: Estate, journal: Journal, diff: DiffFn,
                    connect: DriverFactory, workers: int = 4) -> dict[str, str]:
    """Roll back: give every device its backup (device → config) again.

    Returns device → 'restored' or what went wrong.
    """
    devices = list(backups)

    def one(name: str) -> tuple[str, str]:
        view = device_view(estate, name)
        driver = connect(view)
        try:
            driver.open()
            backup = backups[name]
            changes = diff(view.platform, driver.get_running(), backup)
            started = time.monotonic()
            driver.apply(changes)
            converge_after_crash(driver, view.platform, backup, diff, journal, name, started)
            left = diff(view.platform, driver.get_running(), backup)
            status = "restored" if not left else f"still differs: {left[0]}"
        except (DeviceError, OSError) as exc:
            status = f"failed: {exc}"
        finally:
            driver.close()
        journal.write("rollback", device=name, status=status)
        return name, status

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(devices) or 1))) as pool:
        return dict(pool.map(one, devices))
