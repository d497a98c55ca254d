"""The host baseline on real throwaway hosts: `molecule test` per MLPS level, then drift.

Needs root, podman, debootstrap and runc (see docs/adr/0008-host-baselines-podman-molecule.md).
Each scenario creates its podman host on its own namespace and veth, converges the estate's
playbook, converges again (must change nothing), verifies with testinfra and destroys the host.
The level-3 host is kept for the drift test: `govops hosts check` passes, PermitRootLogin is
switched back to yes, the check reports exactly that control with the observed value (exit 1),
the role runs again and the check passes. Afterwards nothing may be left on this machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from govops.audit.digests import display
from tests.conftest import ROOT

pytestmark = [pytest.mark.lab, pytest.mark.own_lab]

VENV_BIN = Path(sys.executable).parent
STATE = ROOT / ".state"
ANSIBLE_HOME = STATE / "ansible"
PODMAN = ["podman", "--root", str(STATE / "podman/root"), "--runroot", str(STATE / "podman/run"),
          "--tmpdir", str(STATE / "podman/tmp"), "--network-config-dir", str(STATE / "podman/net"),
          "--events-backend", "none", "--cgroup-manager", "cgroupfs", "--runtime", "runc"]
FIGURES = STATE / "hosts" / "figures.json"
# What the roles put on a host: none of it may appear on this machine.
ROLE_FILES = ["/usr/share/pam-configs/govops-faillock", "/usr/share/pam-configs/govops-faillock-preauth",
              "/etc/audit/rules.d/50-govops.rules", "/etc/sysctl.d/90-govops-hardening.conf",
              "/etc/profile.d/govops-tmout.sh", "/etc/rsyslog.d/90-govops-forward.conf",
              "/var/lib/prometheus/node-exporter/govops.prom"]
WATCHED_FILES = ["/etc/ssh/sshd_config", "/etc/login.defs", "/etc/issue.net", "/etc/apt/sources.list",
                 "/etc/security/faillock.conf", "/etc/security/pwquality.conf", "/etc/default/chrony",
                 "/etc/pam.d/common-auth", "/etc/pam.d/common-password"]
ROLE_USERS = {"_chrony", "prometheus"}


def _missing_tools() -> list[str]:
    return [tool for tool in ("podman", "debootstrap", "runc", "ip", "unshare") if not shutil.which(tool)]


if os.geteuid() != 0 or _missing_tools():
    pytest.skip(f"needs root and {', '.join(_missing_tools()) or 'root'} (apt-get install podman "
                "debootstrap runc)", allow_module_level=True)


def _env() -> dict[str, str]:
    dropped = ("GOVOPS_HOST_ADDRESSES", "GOVOPS_SSH_KEY", "ANSIBLE_CONFIG", "MOLECULE_EPHEMERAL_DIRECTORY")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(PATH=f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}", VIRTUAL_ENV=str(VENV_BIN.parent),
               ANSIBLE_HOME=str(ANSIBLE_HOME), PY_COLORS="0", ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    return env


def molecule(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "molecule"), *args], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=1800)


def govops_check(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "govops", "hosts", "check", *args], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300)
    return done, time.perf_counter() - started


def _figure(key: str, value: float) -> None:
    data = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    data[key] = round(value, 2)
    FIGURES.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _digest(path: str) -> str | None:
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None


def _machine() -> dict:
    """What this machine looks like where the roles or the test bed could leak."""
    packages = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\n"],
                              capture_output=True, text=True, check=True).stdout
    users = {line.split(":")[0] for line in Path("/etc/passwd").read_text().splitlines()}
    return {
        "packages": {ln.split()[0] for ln in packages.splitlines() if ln.split()[1:2] == ["ii"]},
        "role_users": users & ROLE_USERS,
        "role_files": [f for f in ROLE_FILES if Path(f).exists()],
        "files": {f: _digest(f) for f in WATCHED_FILES},
        # the router labs' login users (govlab-*) come and go with the own-lab tests beside
        # these scenarios; any other user or group change is still the roles' leak
        "accounts": {f: _digest_without_lab_users(f) for f in ("/etc/passwd", "/etc/group")},
        "var_lib_containers": Path("/var/lib/containers").exists(),
        "run_libpod": Path("/run/libpod").exists(),
        "home_molecule": sorted(str(p) for p in Path.home().glob(".ansible/tmp/molecule.*"))
        + sorted(str(p) for p in Path.home().glob(".cache/molecule")),
        "leftovers": [x for x in _leftovers() if not x.startswith("process ")],
    }


def _digest_without_lab_users(path: str) -> str:
    """Digest of an account file without the router labs' `govlab-*` entries."""
    kept = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("govlab-"):
            continue
        fields = line.split(":")
        if len(fields) == 4:  # a group: its member list may name a lab user (frrvty)
            members = [m for m in fields[3].split(",") if m and not m.startswith("govlab-")]
            line = ":".join(fields[:3] + [",".join(members)])
        kept.append(line)
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()


def _leftovers() -> list[str]:
    """Namespaces, links, containers, processes and cgroups of the test bed still present."""
    found = []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [f"netns {line.split()[0]}" for line in netns.splitlines() if line.startswith("gvh-")]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    found += [f"link {line.split(':')[1].strip()}" for line in links.splitlines() if ": gvh-" in line]
    containers = subprocess.run([*PODMAN, "ps", "-a", "--format", "{{.Names}}"], capture_output=True,
                                text=True, env={**os.environ, "TMPDIR": str(STATE / "podman/tmp")}).stdout
    found += [f"container {name}" for name in containers.split()]
    # zombies (state Z) are dead: PID 1 here reaps them only every few seconds
    procs = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True).stdout
    found += [f"process {line.strip()}" for line in procs.splitlines()
              if (".state/ansible/cp" in line or "govops-ssh-" in line or "conmon" in line)
              and "ps -eo" not in line and not line.split()[1].startswith("Z")]
    found += [f"cgroup {p}" for p in Path("/sys/fs/cgroup").glob("*/libpod_parent")]
    found += [f"cgroup {p}" for p in Path("/sys/fs/cgroup").glob("libpod_parent")]
    return found


def _assert_clean(before: dict, scenario: str) -> None:
    assert [x for x in _leftovers() if x not in before["leftovers"]] == []
    after = _machine()
    assert after["packages"] - before["packages"] == set(), "packages installed on this machine"
    assert {**after, "leftovers": None} == {**before, "packages": after["packages"], "leftovers": None}
    for ephemeral in ANSIBLE_HOME.glob(f"tmp/molecule.*.{scenario}"):
        shutil.rmtree(ephemeral)


def _ok(done: subprocess.CompletedProcess) -> str:
    text = done.stdout + done.stderr
    assert done.returncode == 0, text[-6000:]
    return text


def test_level2_scenario():
    before = _machine()
    started = time.perf_counter()
    text = _ok(molecule("test", "-s", "level2"))
    _figure("molecule_test_level2_s", time.perf_counter() - started)
    assert "idempotence: Executed: Successful" in " ".join(text.split())
    assert "passed" in text and "Verifier completed successfully" in " ".join(text.split())
    _assert_clean(before, "level2")


def test_level3_scenario_then_drift():
    before = _machine()
    try:
        started = time.perf_counter()
        text = _ok(molecule("test", "-s", "level3", "--destroy", "never"))
        _figure("molecule_test_level3_no_destroy_s", time.perf_counter() - started)
        assert "idempotence: Executed: Successful" in " ".join(text.split())

        ephemeral = next(ANSIBLE_HOME.glob("tmp/molecule.*.level3"))
        (instance,) = yaml.safe_load((ephemeral / "instance_config.yml").read_text())
        name, address, key = instance["instance"], instance["address"], instance["identity_file"]
        args = ["--limit", name, "--address", f"{name}={address}", "--ssh-key", key, "--no-host-key-check"]

        done, seconds = govops_check(*args, "--output", "json")
        assert done.returncode == 0, done.stderr
        _figure("hosts_check_one_host_process_s", seconds)
        _figure("hosts_check_one_host_probes_s", json.loads(done.stdout)["hosts"][0]["seconds"])

        ssh = ["ssh", "-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o",
               "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"root@{address}"]
        subprocess.run([*ssh, "sed -i 's/^PermitRootLogin .*/PermitRootLogin yes/' /etc/ssh/sshd_config"],
                       check=True, timeout=60)
        done, _ = govops_check(*args, "--output", "json")
        assert done.returncode == 1
        report = json.loads(done.stdout)
        failed = [(c["id"], c["ref"], c["observed"]) for h in report["hosts"] for c in h["controls"]
                  if c["status"] == "fail"]
        assert failed == [("ssh-root-login", "8.1.4.2 b)", "yes")]
        assert report["passed"] is False
        assert done.stderr.strip().splitlines() == [
            "error: 1 control(s) failed on 1 of 1 host(s): ops-gz-main-1: ssh-root-login = yes"]

        # the operator's way back: the roles again, through govops (run log + audit record)
        started = time.perf_counter()
        applied = subprocess.run(
            [sys.executable, "-m", "govops", "hosts", "apply", *args, "--output", "json",
             "--var", "baseline_apt_source=deb [trusted=yes] file:/srv/repo ./"],
            cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=900)
        _figure("reconverge_after_drift_s", time.perf_counter() - started)
        assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
        run = json.loads(applied.stdout)
        assert run["failed"] == [] and run["changed"] == [name]  # sshd_config restored (+ reload)
        record = json.loads(Path(os.environ["GOVOPS_AUDIT_LOG"]).read_text().splitlines()[-1])
        assert record["command"] == "hosts apply" and record["devices"] == [name]
        assert record["result"] == "ok" and list(record["artefacts"]) == [display(Path(run["log"]))]
        done, _ = govops_check(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "all pass" in done.stdout
    finally:
        destroyed = molecule("destroy", "-s", "level3")
    _ok(destroyed)
    _assert_clean(before, "level3")
