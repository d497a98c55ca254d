"""The Ansible way on simulated VRP V8, VRP V5 and Comware devices: `ansible-playbook` with the
estate inventory plugin and the govops_net_push module, check/diff, push, idempotence, and
`govops net rollback` of the play's rollout. The simulator runs on 127.0.0.1 inside this test
process (tests/lab/simharness.py); no namespace, no root, never the shared lab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govops.network import pushing
from govops.network.diff import remediation
from tests.conftest import ROOT
from tests.lab import simharness
from tests.network.test_ansible_lab import recap

BLANK = ["city-fs-1", "cnty-tianhe-1", "town-tianhe-a"]
ANSIBLE = Path(sys.executable).parent / "ansible-playbook"

pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason="ansible-core is not installed")


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    lab = simharness.start(tmp_path, blank=BLANK, time_scale=0.5)
    for key, value in lab.env.items():  # net rollback, in this process
        monkeypatch.setenv(key, value)
    (lab.estate_dir / "ansible.yml").write_text("plugin: govops_estate\nestate: .\n")
    yield lab
    lab.thread.stop()


def playbook(sim, tmp_path: Path, *args: str, rollout_id: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **sim.env, "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
           "ANSIBLE_NOCOLOR": "1", "GOVOPS_ROLLOUT_ID": rollout_id,
           "GOVOPS_ROLLOUTS": str(tmp_path / "rollouts"),
           "PATH": f"{ANSIBLE.parent}:{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.run([str(ANSIBLE), "-i", str(sim.estate_dir / "ansible.yml"),
                           "playbooks/extranet.yml", "--limit", ",".join(BLANK), *args],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


def test_check_push_idempotent_and_rollback(sim, tmp_path: Path) -> None:
    before = {n: sim.running(n) for n in BLANK}
    check = playbook(sim, tmp_path, "--check", "--diff", rollout_id="ansible-sim-check")
    assert check.returncode == 0, check.stdout[-2000:]
    assert "intended" in check.stdout  # the diff of each host
    assert {n: sim.running(n) for n in BLANK} == before  # check mode touched nothing
    first = playbook(sim, tmp_path, rollout_id="ansible-sim-1")
    assert first.returncode == 0, first.stdout[-3000:]
    hosts = recap(first.stdout)
    assert all(hosts[n]["changed"] == 1 and hosts[n]["failed"] == 0 for n in BLANK), hosts
    for name in BLANK:
        state = sim.world.call(sim.world.estate.state, name)
        assert state.ospf and state.bfd and not sim.world.devices[name].trial_pending
    second = playbook(sim, tmp_path, rollout_id="ansible-sim-2")
    assert second.returncode == 0, second.stdout[-2000:]
    assert all(h["changed"] == 0 for h in recap(second.stdout).values())
    results = pushing.rollback("ansible-sim-1", root=tmp_path / "rollouts")
    assert set(results.values()) == {"restored"}, results
    for name in BLANK:
        platform = sim.estate.nodes[name].platform
        assert remediation(platform, sim.running(name), before[name], full=True) == []
