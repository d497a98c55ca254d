"""The Ansible way on the real lab: inventory plugin, check/diff, push, idempotence."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from govops.estate.loader import load_estate
from govops.network.diff import remediation
from tests.conftest import ROOT
from tests.network.lab_tools import govops, lab_is_up, running, strip_services, underlay_config

pytestmark = pytest.mark.lab
TOWNS = ["town-shunde-a", "town-shunde-b"]


def playbook(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_HOME": str(ROOT / ".state" / "ansible-home"),
           "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}", "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i",
                           "inventories/lab/ansible.yml", "playbooks/extranet.yml", *args],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)


def recap(output: str) -> dict[str, dict[str, int]]:
    hosts = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        if ":" in line and "ok=" in line:
            host, counters = line.split(":", 1)
            hosts[host.strip()] = {k: int(v) for k, v in
                                   (c.split("=") for c in counters.split())}
    return hosts


def test_inventory_groups_from_the_estate() -> None:
    env = {**os.environ, "ANSIBLE_HOME": str(ROOT / ".state" / "ansible-home")}
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-inventory"), "-i",
                           "inventories/lab/ansible.yml", "--list"], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["extranet"]["hosts"]) == 24
    assert set(data["level_town"]["hosts"]) >= set(TOWNS)
    assert "town-tianhe-a" in data["plane_isolated"]["hosts"]
    assert data["extranet"]["hosts"][0] == "prov-core-1"  # top-down order
    hostvars = data["_meta"]["hostvars"]["town-shunde-b"]
    loopback = hostvars["govops_loopback_ipv6"]
    loopback = loopback.get("__ansible_unsafe", loopback) if isinstance(loopback, dict) else loopback
    assert loopback.startswith("2001:db8::")


@pytest.fixture(scope="module")
def configured() -> None:
    """Every router at its intended config (the playbook's peers must be ready)."""
    if not lab_is_up():
        pytest.fail("the lab is not up: run govops lab up")
    proc = govops("net", "push", "--estate", "inventories/lab", "--workers", "6")
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_check_diff_then_push_then_idempotent(configured) -> None:
    estate = load_estate(ROOT / "inventories" / "lab")
    strip_services(estate, TOWNS)
    check = playbook("--limit", ",".join(TOWNS), "--check", "--diff")
    assert check.returncode == 0, check.stdout[-3000:]
    assert all(recap(check.stdout)[t]["changed"] == 1 for t in TOWNS)
    assert "town-shunde-a intended" in check.stdout and "router bgp 65000" in check.stdout
    for town in TOWNS:  # check mode changed nothing
        assert not remediation("frr", running(estate, town), underlay_config(estate, town))
    first = playbook("--limit", ",".join(TOWNS))
    assert first.returncode == 0, first.stdout[-3000:]
    assert all(recap(first.stdout)[t]["changed"] == 1 for t in TOWNS)
    second = playbook("--limit", ",".join(TOWNS))
    assert second.returncode == 0
    assert all(recap(second.stdout)[t]["changed"] == 0 for t in TOWNS)
