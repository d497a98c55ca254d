"""Molecule verifier (testinfra): the scenario's hosts against the MLPS baseline.

The controls are `govops.hosts.controls`, evaluated by the same code as `govops hosts check`
(over SSH with testinfra), with the level and expectations taken from the estate. The other
tests look at what only a client sees: sshd refusing passwords and weak ciphers, the banner,
the node exporter answering the ops platform, the package source.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml

from govops.estate.loader import load_estate
from govops.hosts.check import SshOptions, run_check, targets
from govops.hosts.controls import FAIL, NA, NODE_EXPORTER_PORT, controls_for

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
INSTANCES = yaml.safe_load(Path(os.environ["MOLECULE_INSTANCE_CONFIG"]).read_text()) or []
ESTATE = load_estate(PROJECT / "inventories" / "lab")
ADDRESSES = {i["instance"]: i["address"] for i in INSTANCES}
KEY = INSTANCES[0]["identity_file"] if INSTANCES else None
SSH = ["ssh", "-i", str(KEY), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
       "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5"]


@pytest.fixture(scope="module")
def report():
    """`govops hosts check` on every instance, once."""
    chosen = targets(ESTATE, list(ADDRESSES), ADDRESSES)
    return run_check(ESTATE, chosen, SshOptions(key=KEY, strict_host_keys=False))


def _cases():
    for name in ADDRESSES:
        level = ESTATE.host_mlps(name)
        for control in controls_for(level):
            yield pytest.param(name, control.id, id=f"{name}-{control.id}")


@pytest.mark.parametrize("name,control_id", list(_cases()))
def test_control(report, name, control_id):
    host = next(h for h in report.hosts if h.target.name == name)
    result = next(r for r in host.results if r.id == control_id)
    assert result.status != FAIL, f"{result.ref} {result.title}: observed {result.observed}, " \
                                  f"expected {result.expected}"
    # Only kernel-wide controls may be n/a (the test hosts are containers).
    assert result.status != NA or control_id in ("sysctl-running", "auditd-running")


@pytest.mark.parametrize("name", list(ADDRESSES))
def test_password_login_refused(name):
    done = subprocess.run([*SSH, "-o", "PubkeyAuthentication=no", "-o",
                           "PreferredAuthentications=password,keyboard-interactive",
                           f"root@{ADDRESSES[name]}", "true"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 255
    assert "Permission denied (publickey)" in done.stderr


@pytest.mark.parametrize("name", list(ADDRESSES))
def test_weak_cipher_refused_banner_shown(name):
    weak = "aes128-cbc" if ESTATE.host_mlps(name) == 2 else "aes128-ctr"
    done = subprocess.run([*SSH, "-c", weak, f"root@{ADDRESSES[name]}", "true"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 255 and "no matching cipher" in done.stderr
    done = subprocess.run([*SSH, "-o", "LogLevel=INFO", f"root@{ADDRESSES[name]}", "true"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "Authorised use only" in done.stderr


@pytest.mark.parametrize("name", list(ADDRESSES))
def test_node_exporter_scraped_from_outside(name):
    with urllib.request.urlopen(f"http://{ADDRESSES[name]}:{NODE_EXPORTER_PORT}/metrics", timeout=5) as r:
        body = r.read().decode()
    assert "node_cpu_seconds_total" in body
    assert f'govops_host_info{{host="{name}"' in body
    assert f'mlps="{ESTATE.host_mlps(name)}"' in body


@pytest.mark.parametrize("name", list(ADDRESSES))
def test_packages_from_the_internal_mirror_only(name):
    done = subprocess.run([*SSH, f"root@{ADDRESSES[name]}",
                           "grep -hv '^#' /etc/apt/sources.list; ls /etc/apt/sources.list.d"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert [line for line in done.stdout.splitlines() if line.strip()] == [
        "deb [trusted=yes] file:/srv/repo ./"]


@pytest.mark.parametrize("name", list(ADDRESSES))
def test_rsyslog_config_valid_and_forwarding_queued(name):
    done = subprocess.run([*SSH, f"root@{ADDRESSES[name]}",
                           "rsyslogd -N1 2>&1; grep -c omfwd /etc/rsyslog.d/90-govops-forward.conf"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout
    assert "End of config validation run" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == str(len(ESTATE.network.syslog_servers))
