"""Hermetic lab tests: a clean-lab check between the modules that share the full lab.

Before each module marked `lab` runs on the full lab (`govops lab up`), the lab is proved
clean with `govops.lab.health.check`: every daemon alive and not restarted since the last
check, no nftables table, no foreign qdisc, every link up, every router blank or at its
intent with its sessions up, the centres in their roles. A leftover fails that module's
setup loudly, naming the leftover and the module that ran before (the one that left it);
kernel leftovers are then removed so that later modules start clean. After the last module,
one more check names anything the last module left.

Modules that build labs of their own (router triangle, three centres, podman hosts,
throwaway FRR) are marked `own_lab` and are not checked: they run while the full lab is down.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from govops.paths import lab_dir

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _Guard:
    previous: str = "`govops lab up`"
    checked_at: float = 0.0
    used: bool = False
    #: leftovers already reported: each fails one module, not every module after it
    reported: set[str] = field(default_factory=set)


#: GOVOPS_LABGUARD_SINCE: a run nested in another (the guard's own test) ignores older restarts
_GUARD = _Guard(checked_at=float(os.environ.get("GOVOPS_LABGUARD_SINCE", "0")))


def full_lab_up() -> bool:
    """True when `govops lab up` has built the full lab on this machine."""
    return (lab_dir() / "routers" / "lab.json").exists()


def leftovers(since: float) -> list[str]:
    """Check the full lab; repair kernel leftovers; return each leftover as a sentence."""
    from govops.lab import health

    estate = ROOT / "inventories" / "lab"
    report = health.check(lab_dir(), estate, since=since, sessions=False)
    health.repair(report, lab_dir())  # a fault left in place would also take sessions down
    sessions, _, _ = health.check_sessions(estate)
    if health.repair_configs(sessions, estate):  # a push or rollback cut short
        health.check_sessions(estate)  # let the repaired routers converge
    return [x.detail for x in (*report.leftovers, *sessions)]


def _checked_module(module: pytest.Module) -> bool:
    marks = {m.name for m in module.iter_markers()}
    return "lab" in marks and "own_lab" not in marks and full_lab_up()


@pytest.fixture(scope="module", autouse=True)
def clean_lab_between_modules(request: pytest.FixtureRequest):
    """Prove the full lab clean before a lab module starts; blame the module before it."""
    module = request.node
    if not isinstance(module, pytest.Module) or not _checked_module(module):
        yield
        return
    name = module.nodeid
    found = [x for x in leftovers(_GUARD.checked_at) if x not in _GUARD.reported]
    _GUARD.reported.update(found)
    blamed, _GUARD.previous = _GUARD.previous, name
    _GUARD.checked_at, _GUARD.used = time.time(), True
    if found:
        pytest.fail(f"the lab is not clean before {name}; {blamed} left: " + "; ".join(found),
                    pytrace=False)
    yield


def final_check() -> list[str]:
    """After the session: what the last lab module left (empty when clean or unused)."""
    if not _GUARD.used or not full_lab_up():
        return []
    return [f"{_GUARD.previous} left: {x}" for x in leftovers(_GUARD.checked_at)
            if x not in _GUARD.reported]
