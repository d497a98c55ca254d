"""One simulated device: its running config, commits, trial timer, flash files and faults.

Everything here runs on the simulator's event loop (one thread), so no locks are needed; the
timers (`commit trial`, `configuration commit delay`) are `loop.call_later` handles. Time is
scaled by `World.time_scale` so tests can watch a 60-second trial expire in a second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from govops.lab.simdevices import tree
from govops.lab.simdevices.tree import Node

#: The `version` line Comware prints first in its configs (part 1's real S5130 and MSR26-30).
_COMWARE_VERSION = {"comware7": "7.1.070, Release 6710", "comware5": "5.20, Release 2516P12"}


@dataclass
class Faults:
    """What is wrong with a device (all off by default).

    unreachable: its SSH listener refuses connections (management plane lost);
    down: the box is off for routing: no neighbour, no session anywhere;
    slow_s: seconds added before each answer; drop_after: close the SSH session after this
    many configuration commands in one session (mid-change); refuse_commit: `commit`,
    `configuration commit` and `save` fail; reject: commands matching this regex fail.
    """

    unreachable: bool = False
    down: bool = False
    slow_s: float = 0.0
    drop_after: int = 0
    refuse_commit: bool = False
    reject: str = ""

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        FAULT_CHANGES[0] += 1


#: How many times any device's faults were set: the protocol state re-reads who is down when
#: it changed (a fault can be set by the server, by the faults file or directly by a test).
FAULT_CHANGES = [0]


@dataclass
class Commit:
    """One entry of `display configuration commit list` (VRP V8)."""

    commit_id: int
    user: str
    at: float
    before: Node
    label: str = "-"


@dataclass
class SimDevice:
    """A VRP or Comware box."""

    name: str
    platform: str
    flavour: str
    running: Node
    #: Ports are shut until `undo shutdown` (CE, NE40E: the model table's `undo_shutdown`).
    ports_start_shut: bool = False
    faults: Faults = field(default_factory=Faults)
    #: Its physical ports: listed in `display current-configuration` even when unconfigured.
    fitted: tuple[str, ...] = ()
    flash: dict[str, str] = field(default_factory=dict)
    commits: list[Commit] = field(default_factory=list)
    #: Bumped on every change of the running config (the world recomputes protocol state).
    version: int = 0
    on_change: Callable[[], None] | None = None
    _timer: asyncio.TimerHandle | None = None
    _timer_before: Node | None = None
    _timer_kind: str = ""

    def __post_init__(self) -> None:
        #: Lines it does not print because they state the default (`tree.hidden_defaults`).
        self.hidden = tree.hidden_defaults(self.ports_start_shut)
        tree.add_ports(self.running, list(self.fitted),
                       ("shutdown",) if self.ports_start_shut else ())
        self.flash.setdefault("vrpcfg.cfg" if self.flavour.startswith("vrp") else "startup.cfg",
                              self.display_current())

    # -- config --------------------------------------------------------------------------
    def display_current(self) -> str:
        """`display current-configuration` of the running config."""
        banner = ("!Software Version V800R021C10SPC600" if self.flavour == "vrp8"
                  else "!Software Version V200R019C10SPC500" if self.flavour == "vrp5"
                  else "")
        text = tree.render(self.running, self.flavour, banner)
        if self.flavour in _COMWARE_VERSION:
            text = f"#\n version {_COMWARE_VERSION[self.flavour]}\n" + text
        return text

    def replace_running(self, new: Node) -> None:
        """Make `new` the running config."""
        self.running = new
        self.changed()

    def changed(self) -> None:
        """Record that the running config changed."""
        self.version += 1
        if self.on_change:
            self.on_change()

    # -- VRP V8 two-stage commit ----------------------------------------------------------
    def commit(self, candidate: Node, user: str, trial_s: float | None, scale: float) -> int:
        """Make `candidate` running; with `trial_s`, roll back unless confirmed in time.
        Returns the commit id."""
        before = self.running.copy()
        commit_id = 1000000001 + len(self.commits)
        self.commits.append(Commit(commit_id, user, time.time(), before))
        if trial_s is not None:
            self._arm("trial", trial_s * scale, before)
        elif self._timer_kind == "trial":
            self._disarm()  # `commit` confirms a trial
        self.replace_running(candidate)
        return commit_id

    def confirm(self) -> bool:
        """Confirm a pending trial or commit delay; False when none was pending."""
        pending = self._timer is not None
        self._disarm()
        return pending

    def abort_trial(self) -> bool:
        """Roll a pending trial (or commit delay) back now; False when none was pending."""
        if self._timer is None or self._timer_before is None:
            return False
        before = self._timer_before
        self._disarm()
        self.replace_running(before)
        return True

    def rollback_to(self, commit_id: int) -> bool:
        """`rollback configuration to commit-id N`: the config as that commit left it."""
        for i, c in enumerate(self.commits):
            if c.commit_id == commit_id:
                after = self.commits[i + 1].before if i + 1 < len(self.commits) else self.running
                self.commit(after.copy(), "rollback", None, 1.0)
                return True
        return False

    def rollback_last(self, count: int) -> bool:
        """`rollback configuration last N`: the config before the last N commits."""
        if count < 1 or count > len(self.commits):
            return False
        self.commit(self.commits[-count].before.copy(), "rollback", None, 1.0)
        return True

    @property
    def trial_pending(self) -> bool:
        """A trial commit or commit delay waits for its confirmation."""
        return self._timer is not None

    # -- Comware commit delay -------------------------------------------------------------
    def commit_delay(self, minutes: float, scale: float) -> None:
        """`configuration commit delay M`: roll back to now unless confirmed in M minutes."""
        self._arm("delay", minutes * 60 * scale, self.running.copy())

    # -- flash ----------------------------------------------------------------------------
    def save(self, filename: str | None = None) -> str:
        """Write the running config to flash (the startup file by default); its name."""
        name = _flash_name(filename or ("vrpcfg.cfg" if self.flavour.startswith("vrp")
                                        else "startup.cfg"))
        self.flash[name] = self.display_current()
        return name

    def load(self, filename: str) -> Node | None:
        """The tree of a config file on flash; None when there is no such file."""
        text = self.flash.get(_flash_name(filename))
        return None if text is None else tree.parse(text)

    def expire_now(self) -> bool:
        """Let a pending trial or commit delay run out now (tests: time passes); False when
        none was pending."""
        if self._timer is None:
            return False
        self._timer.cancel()
        self._expire()
        return True

    # -- timers ---------------------------------------------------------------------------
    def _arm(self, kind: str, seconds: float, before: Node) -> None:
        self._disarm()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(max(0.0, seconds), self._expire)
        self._timer_before, self._timer_kind = before, kind

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_before, self._timer_kind = None, None, ""

    def _expire(self) -> None:
        before = self._timer_before
        self._timer, self._timer_before, self._timer_kind = None, None, ""
        if before is not None:
            self.replace_running(before)


def _flash_name(filename: str) -> str:
    return filename.removeprefix("flash:/").removeprefix("flash:")
