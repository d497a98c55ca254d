"""The failover manager's detection and choice of candidate, with the network faked."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from govops.drills import failover
from govops.drills.workdir import WorkDir


@pytest.fixture
def dc(tmp_path: Path) -> Path:
    spec = {"centres": [
        {"name": "dc-a", "role": "primary", "ipv4": "198.19.250.1/24"},
        {"name": "dc-b", "role": "same-city", "ipv4": "198.19.250.2/24"},
        {"name": "dc-c", "role": "remote-dr", "ipv4": "198.19.250.3/24"}], "pg_port": 5432}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    return tmp_path


def test_three_misses_in_a_row_declare_the_primary_dead(dc: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    dead_after = time.monotonic() + 0.1
    answers: list[bool] = []

    def alive(address: str, port: int, timeout: float) -> bool:
        ok = time.monotonic() < dead_after or (len(answers) == 2)  # one lucky probe resets
        answers.append(ok)
        return ok

    monkeypatch.setattr(failover, "tcp_alive", alive)
    work = WorkDir(tmp_path / "w").create()
    manager = failover.FailoverManager(work, dc, ["dc-b"], primary="dc-a", interval=0.02,
                                       misses=3, timeout=5)
    detected = manager.watch()
    assert detected is not None
    names = [e["event"] for e in work.read_events()]
    assert names[0] == "watching" and names[-1] == "detected"
    assert names.count("miss") >= 3


def test_no_failure_means_no_detection(dc: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failover, "tcp_alive", lambda *a: True)
    work = WorkDir(tmp_path / "w").create()
    manager = failover.FailoverManager(work, dc, ["dc-b"], primary="dc-a", interval=0.01,
                                       timeout=0.2)
    assert manager.watch() is None
    assert work.read_events()[-1]["event"] == "no-failure-detected"


def test_an_unreachable_same_city_centre_is_skipped_for_the_remote_one(
        dc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govops.lab import datacentres

    promoted: list[str] = []

    class Step:
        marks: dict[str, float] = {"promoted": time.time()}
        started_at = time.time()
        seconds = 0.1

    def promote(state_dir: Any, name: str) -> Step:
        promoted.append(name)
        return Step()

    monkeypatch.setattr(failover, "tcp_alive", lambda address, *a: address == "198.19.250.3")
    monkeypatch.setattr(datacentres, "promote", promote)
    work = WorkDir(tmp_path / "w").create()
    manager = failover.FailoverManager(work, dc, ["dc-b", "dc-c"], primary="dc-a")
    assert manager.fail_over() == "dc-c"
    assert promoted == ["dc-c"]
    names = [e["event"] for e in work.read_events()]
    assert names == ["candidate-unreachable", "promoting", "promoted", "failover-done"]
