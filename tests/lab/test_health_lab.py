"""The clean-lab check between lab modules (tests/labguard.py, govops.lab.health) on the full
lab: a fault that one module's teardown leaves behind is named by the next module's check,
with the module that left it, and is removed so that later modules start clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.network.lab_tools import govops, lab_is_up

pytestmark = pytest.mark.lab

PLANTED = "govops_planted"
#: a silent drop on prov-core-1's side of its link to city-gz-1: a city uplink
CORE, CITY = "prov-core-1", "city-gz-1"

LEAKY_MODULE = '''
import subprocess
import pytest

pytestmark = pytest.mark.lab
TABLE = """table netdev {table} {{
 chain in {{ type filter hook ingress device {dev} priority 0; policy drop; }}
}}
"""


@pytest.fixture
def fault():
    yield
    # a teardown path that, instead of removing its fault, leaves one behind
    subprocess.run(["ip", "netns", "exec", "{core}", "nft", "-f", "-"], input=TABLE,
                   text=True, check=True)


def test_leaves_a_fault(fault):
    pass
'''

NEXT_MODULE = '''
import pytest

pytestmark = pytest.mark.lab


def test_runs_on_a_clean_lab():
    pass
'''


def _uplink_device() -> str:
    from govops.estate.loader import load_estate
    from govops.estate.views import node_view

    view = node_view(load_estate(ROOT / "inventories" / "lab"), CORE)
    return next(i.name for i in view.interfaces if i.peer == CITY)


def _tables() -> str:
    return subprocess.run(["ip", "netns", "exec", CORE, "nft", "list", "tables"],
                          capture_output=True, text=True, check=True).stdout


def test_a_fault_left_by_one_module_is_named_by_the_next_modules_check(tmp_path: Path) -> None:
    if not lab_is_up():
        pytest.fail("the lab is not up: run govops lab up (make test does it)")
    (tmp_path / "test_a_leaky.py").write_text(
        LEAKY_MODULE.format(table=PLANTED, dev=_uplink_device(), core=CORE))
    (tmp_path / "test_b_next.py").write_text(NEXT_MODULE)
    env = {**os.environ, "GOVOPS_LABGUARD_SINCE": str(time.time()),
           "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "tests.labguard", "-p", "no:cacheprovider",
             "-o", "markers=lab: on the full lab", "-q", str(tmp_path / "test_a_leaky.py"),
             str(tmp_path / "test_b_next.py")],
            cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    finally:
        if PLANTED in _tables():  # never leave it, whatever the guard did
            subprocess.run(["ip", "netns", "exec", CORE, "nft", "delete", "table", "netdev",
                            PLANTED], check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, text[-3000:]
    summary = text.strip().splitlines()[-1]
    assert "1 passed" in summary and "1 error" in summary, text[-3000:]
    # the next module's check names the leftover and the module that left it
    assert "the lab is not clean before" in text and "test_b_next.py;" in text, text[-3000:]
    assert "test_a_leaky.py left:" in text, text[-3000:]
    assert f"nftables table netdev {PLANTED} in {CORE}" in text, text[-3000:]
    # and the guard removed it, so that later modules start clean
    assert PLANTED not in _tables()


def test_lab_check_command_names_a_planted_qdisc_and_repairs_it() -> None:
    dev = _uplink_device()
    subprocess.run(["tc", "-n", CORE, "qdisc", "replace", "dev", dev, "root", "tbf", "rate",
                    "1mbit", "burst", "16kb", "latency", "50ms"], check=True)
    try:
        proc = govops("lab", "check", "--settle", "30", "--repair", "--output", "json")
    finally:
        after = govops("lab", "check", "--settle", "30", "--output", "json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 1 and not data["clean"]
    assert any(x["kind"] == "qdisc" and x["where"] == f"{CORE}:{dev}" for x in data["leftovers"])
    assert data["repaired"]
    assert after.returncode == 0, after.stdout[-2000:]
    assert json.loads(after.stdout)["clean"]
