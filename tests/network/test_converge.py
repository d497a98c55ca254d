"""A routing process that crashes during a change (issue 19): the push waits for its
supervisor, applies what the restart undid once, and journals the crash; with no crash
reported it applies nothing more (no blind retry)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from govops.network import rollout
from govops.network.drivers.base import Daemon
from govops.network.journal import Journal


def line_diff(platform: str, running: str, target: str) -> list[str]:
    have = set(running.splitlines())
    return [ln for ln in target.splitlines() if ln not in have]


class CrashingDevice:
    """Applies the first change only half (ospf6d died half-way and came back with the old
    config); its zebra sessions say so."""

    def __init__(self, crash: bool) -> None:
        self.running = "hostname r1"
        self.crash = crash
        self.applied: list[list[str]] = []
        self.polls = 0

    def apply(self, lines: list[str]) -> str:
        self.applied.append(lines)
        kept = lines[: len(lines) // 2] if self.crash and len(self.applied) == 1 else lines
        self.running += "\n" + "\n".join(kept)
        return ""

    def get_running(self) -> str:
        return self.running

    def get_daemons(self) -> list[Daemon]:
        self.polls += 1
        if not self.crash:
            return [Daemon(name="ospf6d", up=True, uptime_s=900)]
        if self.polls == 1:  # right after the change: the supervisor has not restarted it yet
            return [Daemon(name="ospf6d", up=False)]
        return [Daemon(name="ospf6d", up=True, uptime_s=1)]


TARGET = "hostname r1\nrouter ospf6\ninterface eth1\n ipv6 ospf6 area 0.0.0.0\n ipv6 ospf6 cost 10"


def test_a_crash_during_the_change_is_waited_for_and_the_rest_applied(tmp_path: Path,
                                                                      monkeypatch) -> None:
    monkeypatch.setattr(rollout.time, "sleep", lambda s: None)
    device, journal = CrashingDevice(crash=True), Journal(tmp_path, "r")
    device.apply(line_diff("frr", device.get_running(), TARGET))
    rollout.converge_after_crash(device, "frr", TARGET, line_diff, journal, "r1", since=time.monotonic())
    assert line_diff("frr", device.get_running(), TARGET) == []
    assert len(device.applied) == 2 and device.applied[1]  # the half the restart undid
    (event,) = [json.loads(x) for x in journal.path.read_text().splitlines()]
    assert event["event"] == "crashed-during-apply" and event["reapplied"] == 2
    assert event["findings"] == ["ospf6d on r1 is not running"]


def test_no_crash_no_second_apply(tmp_path: Path) -> None:
    device, journal = CrashingDevice(crash=False), Journal(tmp_path, "r")
    device.apply(line_diff("frr", device.get_running(), TARGET))
    rollout.converge_after_crash(device, "frr", TARGET, line_diff, journal, "r1", since=time.monotonic())
    assert len(device.applied) == 1 and not journal.path.exists()
