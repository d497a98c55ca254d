"""`govops hosts check` on bad input: one clear line per problem, exit 2, nothing reported as checked.

None of these needs a test host: input is validated before any connection, and an unreachable
host is a closed local port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from govops.errors import BadInput
from govops.estate.loader import load_estate
from govops.hosts.check import select_hosts, targets
from govops.hosts.inventory import host_groups, host_vars, parse_addresses
from tests.conftest import ROOT

GOVOPS = [sys.executable, "-m", "govops"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("GOVOPS_HOST_ADDRESSES", "GOVOPS_SSH_KEY")}
    full_env.update(env or {})
    return subprocess.run([*GOVOPS, "hosts", "check", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=full_env)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def key(tmp_path: Path) -> str:
    path = tmp_path / "id_test"
    path.write_text("not really a key\n")
    path.chmod(0o600)
    return str(path)


def test_unknown_host_in_limit_exits_2_without_connecting():
    result = run("--limit", "no-such-host-xyz")
    assert result.returncode == 2
    line = one_error_line(result)
    assert "--limit 'no-such-host-xyz' matches no host" in line
    assert result.stdout == ""


def test_missing_key_exits_2(tmp_path: Path):
    result = run("--limit", "ops-gz-main-1", "--ssh-key", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "SSH key" in one_error_line(result) and "not found" in result.stderr


def test_malformed_address_exits_2(key):
    result = run("--address", "ops-gz-main-1=not-an-ip", "--ssh-key", key)
    assert result.returncode == 2
    assert "expected NAME=IP" in one_error_line(result)


def test_address_for_unknown_host_exits_2(key):
    result = run("--limit", "ops-gz-main-1", "--address", "ghost-1=198.18.255.2", "--ssh-key", key)
    assert result.returncode == 2
    assert "--address ghost-1: no such host" in one_error_line(result)


def test_report_in_missing_folder_exits_2(key, tmp_path: Path):
    result = run("--limit", "ops-gz-main-1", "--ssh-key", key, "--report", str(tmp_path / "x" / "r.md"))
    assert result.returncode == 2
    assert "does not exist" in one_error_line(result)


def test_unknown_mlps_level_exits_2(lab_copy: Path, key):
    hosts = lab_copy / "hosts.yaml"
    hosts.write_text(hosts.read_text().replace("role: ops, mlps: 3", "role: ops, mlps: 4"))
    result = run("--estate", str(lab_copy), "--limit", "role_ops", "--ssh-key", key)
    assert result.returncode == 2
    assert "host ops-gz-main-1: MLPS level 4 has no baseline (known levels: 2, 3)" in one_error_line(result)


def test_unreachable_host_exits_2_and_reports_nothing(key):
    port = str(closed_port())
    result = run("--limit", "ops-gz-main-1", "--address", "ops-gz-main-1=127.0.0.1", "--port", port,
                 "--ssh-key", key, "--no-host-key-check", "--output", "json")
    assert result.returncode == 2
    line = one_error_line(result)
    assert "host ops-gz-main-1 (127.0.0.1) cannot be reached over SSH" in line
    assert "Connection refused" in line
    assert result.stdout == ""


def test_every_unreachable_host_is_named(key):
    port = str(closed_port())
    result = run("--limit", "ops-gz-main-1,app-*", "--address", "ops-gz-main-1=127.0.0.1",
                 "--address", "app-gz-main-1=127.0.0.1", "--address", "app-gz-sec-1=127.0.0.1",
                 "--port", port, "--ssh-key", key, "--no-host-key-check")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert [ln.split(" (")[0] for ln in lines] == ["error: host ops-gz-main-1", "error: host app-gz-main-1",
                                                  "error: host app-gz-sec-1"]
    assert result.stdout == ""


def test_bad_address_env_exits_2(key):
    result = run("--limit", "ops-gz-main-1", "--ssh-key", key,
                 env={"GOVOPS_HOST_ADDRESSES": "ops-gz-main-1"})
    assert result.returncode == 2
    assert "expected NAME=IP" in one_error_line(result)


# --- selection and inventory view, in-process ---

@pytest.fixture(scope="module")
def lab():
    return load_estate(ROOT / "inventories" / "lab")


def test_limit_by_groups_globs_and_names(lab):
    assert select_hosts(lab, "mlps_2") == ["app-gz-sec-1"]
    assert select_hosts(lab, "role_db:ops-*") == ["db-gz-main-1", "db-gz-sec-1", "db-mz-dr-1",
                                                  "ops-gz-main-1"]
    assert select_hosts(lab, "site_gz_sec") == ["db-gz-sec-1", "app-gz-sec-1"]
    assert select_hosts(lab, "site_gz-sec") == ["db-gz-sec-1", "app-gz-sec-1"]
    assert len(select_hosts(lab, None)) == len(lab.hosts) == len(select_hosts(lab, "hosts"))
    with pytest.raises(BadInput, match="'nope' matches no host"):
        select_hosts(lab, "ops-gz-main-1,nope")


def test_targets_take_level_and_expectations_from_the_estate(lab):
    (target,) = targets(lab, ["ops-gz-main-1"], {"ops-gz-main-1": "198.18.255.6"})
    assert target.address == "198.18.255.6" and target.level == 3
    assert target.context.ntp_servers == tuple(lab.network.ntp_servers)
    (default,) = targets(lab, ["app-gz-sec-1"], {})
    assert default.address == lab.prefix("host-v4", "app-gz-sec-1").split("/")[0] and default.level == 2


def test_inventory_view(lab):
    assert host_groups(lab, "app-gz-sec-1") == ["hosts", "site_gz-sec", "role_app", "mlps_2"]
    data = host_vars(lab, "db-gz-main-1", {})
    assert data["govops_mlps"] == 3 and data["govops_role"] == "db" and data["govops_site"] == "gz-main"
    assert data["ansible_host"] == lab.prefix("host-v4", "db-gz-main-1").split("/")[0]
    assert data["govops_syslog_servers"] == lab.network.syslog_servers
    assert parse_addresses("a=198.18.255.2, b=2001:db8::1") == {"a": "198.18.255.2", "b": "2001:db8::1"}


def _plain(value):
    """ansible-inventory --list marks plugin strings as {"__ansible_unsafe": ...}: unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_ansible_inventory_plugin_lists_hosts_by_group(tmp_path: Path):
    env = {**os.environ, "ANSIBLE_HOME": str(tmp_path / "ansible"),
           "GOVOPS_HOST_ADDRESSES": "app-gz-sec-1=198.18.255.2"}
    exe = Path(sys.executable).parent / "ansible-inventory"
    done = subprocess.run([str(exe), "-i", "inventories/lab/ansible.yml", "--list"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data["hosts"]["hosts"]) == {"db-gz-main-1", "app-gz-main-1", "db-gz-sec-1", "db-mz-dr-1",
                                           "app-gz-sec-1", "ops-gz-main-1"}
    assert data["mlps_2"]["hosts"] == ["app-gz-sec-1"]
    assert set(data["role_db"]["hosts"]) == {"db-gz-main-1", "db-gz-sec-1", "db-mz-dr-1"}
    assert "app-gz-sec-1" in data["site_gz_sec"]["hosts"]
    assert "extranet" in data and "app-gz-sec-1" not in data["extranet"]["hosts"]
    hostvars = _plain(data["_meta"]["hostvars"])
    assert hostvars["app-gz-sec-1"]["ansible_host"] == "198.18.255.2"
    assert hostvars["app-gz-sec-1"]["govops_mlps"] == 2
    assert hostvars["ops-gz-main-1"]["govops_role"] == "ops"
