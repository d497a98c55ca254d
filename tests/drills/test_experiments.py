"""The drills are data: every experiment in dr-drills/ is valid Chaos Toolkit, binds its
activities to govops.drills functions, and has a hypothesis, abort conditions and rollbacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chaoslib.experiment import ensure_experiment_is_valid

from govops.drills.catalogue import describe, extension

ROOT = Path(__file__).resolve().parents[2]
DRILLS = sorted((ROOT / "dr-drills").glob("*.json"))
NAMES = {"switchover", "site-loss", "regional-disaster", "link-cut", "failback"}


def test_all_five_drills_exist() -> None:
    assert {p.stem for p in DRILLS} == NAMES


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_experiment_is_valid_and_safe(path: Path) -> None:
    experiment = json.loads(path.read_text())
    ensure_experiment_is_valid(experiment)  # binds every activity to its function's signature
    ext = extension(experiment)
    assert ext["drill"] == path.stem
    assert experiment["runtime"]["rollbacks"]["strategy"] == "always"
    assert experiment["controls"][0]["provider"]["module"] == "govops.drills.control"
    assert experiment["steady-state-hypothesis"]["probes"]
    assert experiment["rollbacks"], "a drill without rollbacks cannot leave the lab healthy"
    activities = (experiment["steady-state-hypothesis"]["probes"] + experiment["method"]
                  + experiment["rollbacks"])
    for activity in activities:
        assert activity["provider"]["module"].startswith("govops.drills."), activity["name"]
    # the fault is never the first step: an abort condition or a preparation comes first
    faults = {"lose_centres", "switch_over", "fail_back", "cut_link"}
    first_fault = next(i for i, a in enumerate(experiment["method"])
                       if a["provider"]["func"] in faults)
    assert first_fault > 0


def test_unplanned_drills_are_followed_by_failback_and_have_targets() -> None:
    rows = {r["name"]: r for r in describe()}
    assert rows["site-loss"]["then"] == rows["regional-disaster"]["then"] == "failback"
    assert rows["site-loss"]["target"]["rto_s"] == 5
    assert rows["regional-disaster"]["target"]["rto_s"] == 30
    assert rows["link-cut"]["requires"] == ["routers", "extranet"]
