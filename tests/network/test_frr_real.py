"""Rendered configs and remediations against a real FRR 8.4 (root; throwaway namespaces).

For every router of the lab estate, in its own throwaway FRR:
1. the rendered config loads with `vtysh -f` without a single complaint, and what
   `show running-config` then prints diffs EMPTY against it (unified diff and remediation);
2. the remediation back to a blank router applies cleanly and leaves it blank (rollback);
3. the remediation from blank to intended applies cleanly and leaves nothing to change (push).
And every recorded FRR case: its expected changes, applied to its running config, reach the
intended config.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from govops.network.diff import diff_device
from govops.network.render import render_all
from tests.network.frr_harness import ThrowawayFrr, available

# throwaway FRR namespaces of its own; a generous timeout for shared, busy machines
pytestmark = [pytest.mark.lab, pytest.mark.own_lab, pytest.mark.timeout(300)]

REASON = available()
skip = pytest.mark.skipif(REASON is not None, reason=REASON or "")
CASES = sorted((Path(__file__).resolve().parent / "frr" / "recorded").glob("*/"))
WORKERS = 4


def interfaces(*configs: str) -> list[str]:
    return [ln.split()[1] for c in configs for ln in c.splitlines()
            if ln.startswith("interface ")]


def strip_banner(running: str) -> str:
    """`show running-config` output as a file vtysh can load."""
    return "".join(ln for ln in running.splitlines(keepends=True)
                   if not ln.startswith(("Building configuration", "Current configuration")))


def cycle(name: str, intended: str) -> list[str]:
    """Load, round-trip, roll back, push again; return the problems found."""
    problems = []
    with ThrowawayFrr(name, interfaces(intended)) as router:
        blank = router.running_config()
        if complaints := router.load(intended):
            problems.append(f"{name}: vtysh -f complained:\n{complaints}")
        after = diff_device("frr", router.running_config(), intended, device=name)
        if after.changes or after.unified_diff:
            problems.append(f"{name}: not in sync after load:\n{after.unified_diff}\n"
                            + "\n".join(after.changes))
        for label, target in (("rollback", blank), ("push", intended)):
            changes = diff_device("frr", router.running_config(), target, device=name).changes
            if complaints := router.load("\n".join(changes) + "\n"):
                problems.append(f"{name}: {label} remediation refused:\n{complaints}")
            left = diff_device("frr", router.running_config(), target, device=name)
            if left.changes:
                problems.append(f"{name}: {label} left changes: {left.changes[:8]}")
    return problems


@skip
def test_every_lab_config_loads_round_trips_and_remediates(lab_estate) -> None:
    configs = render_all(lab_estate)
    with ThreadPoolExecutor(WORKERS) as pool:
        problems = [p for found in pool.map(lambda kv: cycle(*kv), configs.items())
                    for p in found]
    assert not problems, "\n\n".join(problems)


@skip
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_recorded_frr_changes_apply(case: Path) -> None:
    running = (case / "running.cfg").read_text()
    intended = (case / "intended.cfg").read_text()
    changes = (case / "expected_changes.txt").read_text()
    with ThrowawayFrr("town-tianhe-a", interfaces(running, intended)) as router:
        # FRR prints `router bgp` before the route-maps it names: replaying its own output
        # warns "The route-map 'X' does not exist" (and then finds it). Only warnings.
        complaints = router.load(strip_banner(running)).splitlines()
        assert all("does not exist" in ln for ln in complaints if ln.strip()), complaints
        assert router.load(changes) == ""
        left = diff_device("frr", router.running_config(), intended)
        assert left.changes == [], (case / "about.txt").read_text()
