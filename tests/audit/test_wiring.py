"""The state-changing commands write audit records (ADR 0010): estate lock, tenant add, cloud up,
drill run, net push/rollback (fake devices here; real ones in the lab tests). Rejected input
and --check leave none; `audit verify` names an artefact changed afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govops.audit import keys
from govops.audit.digests import display
from govops.errors import BadInput
from govops.hosts.apply import ansible_playbook as REAL_ANSIBLE_PLAYBOOK
from govops.network.drivers.base import DeviceError
from tests.audit.test_backup import RUNNING, FakeDevice, replace_diff
from tests.cloud.fake_pulumi import failing_pulumi
from tests.conftest import ROOT

LAB = ROOT / "inventories" / "lab"


def records(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_estate_lock_records_the_lock_file_and_verify_names_it_when_edited(
        lab_copy: Path, audit_env: Path, cli, signing: keys.OperatorKey) -> None:
    code, _, err = cli("estate", "lock", lab_copy)
    assert code == 0, err
    (rec,) = records(audit_env)
    lock = lab_copy / "ipam.lock.yaml"
    assert rec["command"] == "estate lock" and rec["result"] == "ok" and rec["sig"]
    assert rec["argv"] == ["govops", "estate", "lock", str(lab_copy)]
    assert rec["who"]["key_id"] == signing.public.key_id and rec["estate"]["dir"] == display(lab_copy)
    assert list(rec["artefacts"]) == [display(lock)] and rec["detail"]["changed"] is False
    code, out, err = cli("audit", "verify")
    assert code == 0 and "1 records intact (1 signed" in out, err
    lock.write_text(lock.read_text() + "# pinned by hand\n")
    code, _, err = cli("audit", "verify")
    assert code == 1 and f"artefact {display(lock)} changed after it was written" in err


def test_rejected_input_leaves_no_record(lab_copy: Path, audit_env: Path, cli) -> None:
    (lab_copy / "sites.yaml").write_text("sites: [\n")
    assert cli("estate", "lock", lab_copy)[0] == 2
    code, _, err = cli("tenant", "add", "--estate", str(LAB), "--department", "a",
                       "--system", "b", "--cloud", "gd-gvo", "--mlps", "2", "--dr-level", "2")
    assert code == 2 and "unknown cloud" in err
    assert not audit_env.exists()


def test_tenant_add_records_its_files_and_show_filters_them(
        lab_copy: Path, audit_env: Path, cli, signing: keys.OperatorKey) -> None:
    assert cli("estate", "lock", lab_copy)[0] == 0
    code, _, err = cli("tenant", "add", "--estate", str(lab_copy), "--department", "ecology",
                       "--system", "water", "--cloud", "gd-gov", "--mlps", "2", "--dr-level", "3")
    assert code == 0, err
    rec = records(audit_env)[-1]
    tenants, lock = lab_copy / "tenants.yaml", lab_copy / "ipam.lock.yaml"
    assert rec["command"] == "tenant add" and rec["result"] == "ok" and rec["sig"]
    assert rec["tenants"] == ["ecology-water"] and rec["detail"]["stack"] == "gd-gov"
    assert set(rec["artefacts"]) == {display(tenants), display(lock)}
    assert "department: ecology" in tenants.read_text()

    code, out, _ = cli("audit", "show", "--command", "tenant", "--tenant", "ecology-water",
                       "--output", "json")
    assert code == 0 and [(r["record"], r["command"]) for r in json.loads(out)] == [(2, "tenant add")]
    code, out, _ = cli("audit", "show", "--tenant", "health-e-health", "--output", "json")
    assert json.loads(out) == []
    code, out, _ = cli("audit", "show", "--command", "estate", "--output", "json")
    assert [r["seq"] for r in json.loads(out)] == [1]
    assert cli("audit", "verify")[0] == 0
    tenants.write_text(tenants.read_text().replace("mlps: 2", "mlps: 1"))
    code, _, err = cli("audit", "verify")
    assert code == 1 and f"(seq 2, tenant add): artefact {display(tenants)} changed" in err


def test_cloud_up_without_pulumi_leaves_no_record_and_a_failing_one_records_failed(
        tmp_path: Path, audit_env: Path, cli, monkeypatch: pytest.MonkeyPatch,
        signing: keys.OperatorKey) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    code, _, err = cli("cloud", "up", "--stack", "gd-gov")
    assert code == 2 and "pulumi CLI is not on PATH" in err and not audit_env.exists()

    bin_dir, stacks = failing_pulumi(tmp_path)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    code, _, err = cli("cloud", "up", "--stack", "gd-gov", "--stacks", stacks)
    assert code == 1, err
    (rec,) = records(audit_env)
    assert rec["command"] == "cloud up" and rec["detail"]["stack"] == "gd-gov"
    assert rec["result"] == ("failed: pulumi up of stack gd-gov failed: error: "
                             "PULUMI_ACCESS_TOKEN must be set for login")
    assert set(rec["inputs"]) == {display(stacks / "Pulumi.gd-gov.yaml"),
                                  display(stacks / "specs" / "gd-gov.json")}
    assert "hrss-social-security" in rec["tenants"] and rec["estate"]["dir"] == "inventories/lab"


def test_drill_run_records_its_reports_tenant_and_verdict(
        tmp_path: Path, audit_env: Path, cli, monkeypatch: pytest.MonkeyPatch,
        signing: keys.OperatorKey) -> None:
    from govops.drills import catalogue, commands, runner

    reports = tmp_path / "reports" / "site-loss-1"

    def fake_run(name: str, **_kw):
        reports.mkdir(parents=True)
        report = {"scenario": name, "verdict": "fail", "tenant": "health-e-health",
                  "rto_s": 400.0, "rpo_s": 0.0, "lost_writes": 0, "reasons": ["RTO missed"],
                  "report_dir": str(reports)}
        (reports / "report.json").write_text(json.dumps(report))
        (reports / "report.md").write_text("# site-loss: FAIL\n")
        (reports / "chaostoolkit.log").write_text("not evidence\n")
        return runner.RunResult(report=report, journal=None, signal=None)

    monkeypatch.setattr(runner, "preflight", lambda name, **_kw: catalogue.load(name))
    monkeypatch.setattr(runner, "run_drill", fake_run)
    monkeypatch.setattr(commands, "_need_root", lambda: None)
    code, _, _ = cli("drill", "run", "site-loss", "--output", "json")
    assert code == 1
    (rec,) = records(audit_env)
    assert rec["command"] == "drill run" and rec["result"] == "failed: verdict fail"
    assert rec["tenants"] == ["health-e-health"] and rec["detail"]["rto_s"] == 400.0
    assert list(rec["inputs"]) == [display(catalogue.load("site-loss")[0])]
    assert set(rec["artefacts"]) == {display(reports / "report.json"), display(reports / "report.md")}
    assert cli("audit", "verify")[0] == 0
    (reports / "report.json").write_text((reports / "report.json").read_text()
                                         .replace('"fail"', '"pass"'))
    code, _, err = cli("audit", "verify")
    assert code == 1 and f"artefact {display(reports / 'report.json')} changed" in err


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeDevice]:
    """`pushing` talks to fake devices running their intended config; town-tianhe-b is down."""
    from govops.network import pushing

    names = ["town-tianhe-a", "town-tianhe-b"]
    devices = {n: FakeDevice(n, RUNNING.format(name=n)) for n in names}

    def connect(view):
        device = devices[view.name]
        if view.name == "town-tianhe-b":
            def down() -> None:
                raise DeviceError(view.name, "unreachable", unreachable=True)
            device.open = down
        return device

    monkeypatch.setattr(pushing, "_connector", lambda: connect)
    monkeypatch.setattr(pushing, "_remediation", lambda: replace_diff)
    monkeypatch.setattr(pushing, "_full_remediation", lambda: replace_diff)
    monkeypatch.setattr(pushing, "_intended",
                        lambda _estate, chosen: {n: RUNNING.format(name=n) for n in chosen})
    return devices


def test_net_push_records_journal_and_backups_and_check_records_nothing(
        tmp_path: Path, audit_env: Path, cli, fleet: dict[str, FakeDevice],
        signing: keys.OperatorKey) -> None:
    from govops.network import pushing
    from govops.network.rollout import RolloutOptions

    root = tmp_path / "rollouts"
    options = RolloutOptions(canary=0, workers=1, max_failures=5)
    checked = pushing.push(LAB, "town-tianhe-*", RolloutOptions(canary=0, check=True), root=root)
    assert (root / f"{checked.rollout_id}.jsonl").exists() and not audit_env.exists()

    summary = pushing.push(LAB, "town-tianhe-*", options, root=root)
    assert summary.counts() == {"unchanged": 1, "failed": 1}
    (rec,) = records(audit_env)
    journal = root / f"{summary.rollout_id}.jsonl"
    backup = root / summary.rollout_id / "backups" / "town-tianhe-a.cfg.sm4"
    assert rec["command"] == "net push" and rec["result"] == "failed: 1 device(s) failed"
    assert set(rec["artefacts"]) == {display(journal), display(backup)}
    assert rec["devices"] == []  # nothing was sent to any device
    assert rec["detail"]["rollout"] == summary.rollout_id
    assert rec["estate"]["dir"] == "inventories/lab" and rec["sig"]
    assert any(p.startswith("network/templates/") for p in rec["inputs"])


def test_net_rollback_records_the_devices_and_verify_names_an_edited_journal(
        tmp_path: Path, audit_env: Path, cli, fleet: dict[str, FakeDevice],
        signing: keys.OperatorKey, monkeypatch: pytest.MonkeyPatch) -> None:
    from govops.network import pushing
    from govops.network.journal import Journal
    from tests.audit.conftest import BACKUP_KEY

    root = tmp_path / "rollouts"
    journal = Journal(root, "20261128-100000-ab12")
    journal.write("start", estate=str(LAB), limit=None, devices=["town-tianhe-a"], options={})
    path = journal.save_backup("town-tianhe-a", "hostname before\n")
    journal.write("backup", device="town-tianhe-a", path=str(path))
    monkeypatch.setenv("GOVOPS_BACKUP_KEY", "ab" * 32)
    with pytest.raises(BadInput):  # a wrong backup key stops it before any device: no record
        pushing.rollback(journal.id, root=root)
    assert not audit_env.exists()

    monkeypatch.setenv("GOVOPS_BACKUP_KEY", BACKUP_KEY)
    assert pushing.rollback(journal.id, root=root) == {"town-tianhe-a": "restored"}
    assert fleet["town-tianhe-a"].running == "hostname before\n"
    (rec,) = records(audit_env)
    assert rec["command"] == "net rollback" and rec["result"] == "ok"
    assert rec["devices"] == ["town-tianhe-a"]
    assert list(rec["artefacts"]) == [display(journal.path)]
    assert list(rec["inputs"]) == [display(path)]  # the backups it restored from
    assert cli("audit", "verify")[0] == 0

    lines = journal.path.read_text().splitlines()
    lines[0] = lines[0].replace('"limit": null', '"limit": "town-*"')
    journal.path.write_text("\n".join(lines) + "\n")
    code, _, err = cli("audit", "verify")
    assert code == 1 and f"artefact {display(journal.path)} changed" in err


def test_ansible_push_records_only_its_own_device_and_backup(
        tmp_path: Path, audit_env: Path, fleet: dict[str, FakeDevice],
        monkeypatch: pytest.MonkeyPatch, signing: keys.OperatorKey) -> None:
    """Forks of one play share a journal: another host's events are not this record's."""
    from govops.network import pushing
    from govops.network.rollout import DeviceResult, RolloutSummary

    class Forks:
        def __init__(self, _estate, _intended, _options, journal, *_args):
            self.journal = journal

        def run(self, devices, **_kw):
            self.journal.write("apply", device="town-tianhe-b", changes=["x"])  # another fork
            self.journal.save_backup("town-tianhe-b", "hostname b\n")
            self.journal.write("apply", device=devices[0], changes=["y"])
            self.journal.save_backup(devices[0], "hostname a\n")
            return RolloutSummary(self.journal.id, [DeviceResult(devices[0], "changed", ["y"])])

    monkeypatch.setattr(pushing, "Rollout", Forks)
    root = tmp_path / "rollouts"
    pushing.push_one(LAB, "town-tianhe-a", "ansible-1", ["town-tianhe-a", "town-tianhe-b"],
                     check=True, verify_timeout_s=1, root=root)
    assert not audit_env.exists()  # check mode
    pushing.push_one(LAB, "town-tianhe-a", "ansible-1", ["town-tianhe-a", "town-tianhe-b"],
                     check=False, verify_timeout_s=1, root=root)
    (rec,) = records(audit_env)
    assert rec["command"] == "net push" and rec["devices"] == ["town-tianhe-a"]
    assert rec["argv"][:3] == ["ansible", "govops_net_push", "device=town-tianhe-a"]
    assert rec["detail"]["driver"] == "ansible"
    assert set(rec["artefacts"]) == {display(root / "ansible-1.jsonl"),
                                     display(root / "ansible-1" / "backups" / "town-tianhe-a.cfg.sm4")}


FAKE_ANSIBLE = """#!/bin/sh
# stands in for ansible-playbook: prints its arguments and a PLAY RECAP, exits $FAKE_RC
echo "argv: $*"
echo "PLAY RECAP *********"
echo "ops-gz-main-1 : ok=12 changed=${FAKE_CHANGED:-3} unreachable=0 failed=${FAKE_FAILED:-0} skipped=1"
exit ${FAKE_RC:-0}
"""


@pytest.fixture
def fake_ansible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`hosts apply` runs a fake ansible-playbook and writes its run logs under tmp_path."""
    from govops.hosts import apply

    program = tmp_path / "bin" / "ansible-playbook"
    program.parent.mkdir()
    program.write_text(FAKE_ANSIBLE)
    program.chmod(0o755)
    monkeypatch.setattr(apply, "ansible_playbook", lambda: str(program))
    monkeypatch.setattr(apply, "RUNS", tmp_path / "runs")
    return tmp_path / "runs"


def test_hosts_apply_records_hosts_roles_and_run_log(
        audit_env: Path, cli, signing: keys.OperatorKey, fake_ansible: Path) -> None:
    code, out, err = cli("hosts", "apply", "--estate", LAB, "--limit", "ops-gz-main-1", "-o", "json",
                         "--var", "baseline_apt_source=deb [trusted=yes] file:/srv/repo ./")
    assert code == 0, err
    data = json.loads(out)
    assert data["recap"]["ops-gz-main-1"]["changed"] == 3 and data["failed"] == []
    log = Path(data["log"])
    text = log.read_text()
    assert "--limit ops-gz-main-1" in text and log.parent == fake_ansible
    assert '-e {"baseline_apt_source": "deb [trusted=yes] file:/srv/repo ./"}' in text
    (rec,) = records(audit_env)
    assert rec["command"] == "hosts apply" and rec["result"] == "ok" and rec["sig"]
    assert rec["devices"] == ["ops-gz-main-1"] and list(rec["artefacts"]) == [display(log)]
    assert display(ROOT / "playbooks" / "hosts.yml") in rec["inputs"]
    assert any("roles/baseline" in path for path in rec["inputs"])
    code, out, err = cli("audit", "show", "--device", "ops-gz-main-1", "-o", "json")
    assert code == 0 and [r["command"] for r in json.loads(out)] == ["hosts apply"]
    log.write_text(log.read_text() + "changed=0\n")
    code, _, err = cli("audit", "verify")
    assert code == 1 and f"artefact {display(log)} changed after it was written" in err


def test_hosts_apply_failure_is_recorded_and_exit_1(
        audit_env: Path, cli, fake_ansible: Path, monkeypatch: pytest.MonkeyPatch,
        signing: keys.OperatorKey) -> None:
    monkeypatch.setenv("FAKE_RC", "2")
    monkeypatch.setenv("FAKE_FAILED", "1")
    code, _, err = cli("hosts", "apply", "--estate", LAB, "--limit", "ops-gz-main-1")
    assert code == 1 and "hosts apply failed on ops-gz-main-1 (ansible-playbook exit 2)" in err
    (rec,) = records(audit_env)
    assert rec["result"].startswith("failed: hosts apply failed on ops-gz-main-1")


def test_hosts_apply_check_and_bad_input_leave_no_record(
        audit_env: Path, cli, fake_ansible: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = cli("hosts", "apply", "--estate", LAB, "--limit", "ops-gz-main-1", "--check")
    assert code == 0 and "--check" in out, err
    code, _, err = cli("hosts", "apply", "--estate", LAB, "--limit", "ops-nowhere")
    assert code == 2 and "'ops-nowhere' matches no host" in err
    code, _, err = cli("hosts", "apply", "--estate", LAB, "--var", "no value")
    assert code == 2 and "--var 'no value': expected NAME=VALUE" in err
    from govops.hosts import apply

    monkeypatch.setattr(apply, "ansible_playbook", REAL_ANSIBLE_PLAYBOOK)
    monkeypatch.setattr("sys.executable", str(fake_ansible / "python"))  # no venv beside it
    monkeypatch.setenv("PATH", str(fake_ansible))
    code, _, err = cli("hosts", "apply", "--estate", LAB, "--limit", "ops-gz-main-1")
    assert code == 2 and "ansible-playbook not found: run `make install`" in err
    assert not audit_env.exists()
