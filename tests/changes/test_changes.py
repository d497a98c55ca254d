"""Issue 18 point 4: on an estate marked `change_approval: required`, net push and cloud up run
only as a change that a second operator approved, bound to the estate and the exact diff; it
runs once and expires. Fake devices behind `pushing` (no lab)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.audit.test_backup import RUNNING, FakeDevice, replace_diff

DEVICES = ["town-tianhe-a", "town-tianhe-b"]


def records(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeDevice]:
    """Two fake towns; every connection is counted in `fleet["_contacts"]`-free form: the
    devices note `opened`."""
    from govops.network import pushing

    devices = {n: FakeDevice(n, RUNNING.format(name=n) + "! drifted\n") for n in DEVICES}
    contacts: list[str] = []

    def connect(view):
        contacts.append(view.name)
        return devices[view.name]

    monkeypatch.setattr(pushing, "_connector", lambda: connect)
    monkeypatch.setattr(pushing, "_remediation", lambda: replace_diff)
    monkeypatch.setattr(pushing, "_intended",
                        lambda _estate, chosen: {n: RUNNING.format(name=n) for n in chosen})
    # a changed device has nothing to verify against here: the fake applies, the rollout checks
    monkeypatch.setattr("govops.network.rollout.wait_until_verified", lambda *_a, **_k: [])
    monkeypatch.setattr("govops.network.rollout.expectation", lambda *_a, **_k: None)
    FakeDevice.get_state = lambda self: None  # type: ignore[attr-defined]
    devices["contacts"] = contacts  # type: ignore[assignment]
    return devices


def _request(cli, estate: Path, *extra: str) -> str:
    code, out, err = cli("change", "request", "--estate", estate, "--limit", "town-tianhe-*",
                         "--reason", "IPv6 on the Tianhe towns", *extra, "--output", "json")
    assert code == 0, err
    return json.loads(out)["id"]


def test_push_without_an_approved_change_is_refused_before_any_device(
        production: Path, fleet, act_as, cli, audit_env: Path) -> None:
    act_as("alice")
    code, out, err = cli("net", "push", "--estate", production, "--limit", "town-tianhe-a")
    assert code == 2 and out == ""
    assert "refused: net push on" in err and "change_approval: required" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert fleet["contacts"] == []  # no device was contacted
    rec = records(audit_env)[-1]
    assert rec["command"] == "net push" and rec["result"].startswith("refused:") and rec["sig"]
    # a dry run needs no change
    code, _, err = cli("net", "push", "--estate", production, "--limit", "town-tianhe-a", "--check")
    assert code == 0, err


def test_request_approve_push_runs_once(production: Path, fleet, act_as, cli,
                                        audit_env: Path) -> None:
    act_as("alice")
    change = _request(cli, production)
    code, out, _ = cli("change", "show", change, "--output", "json")
    shown = json.loads(out)
    assert shown["status"] == "requested" and shown["requester"] == "alice"
    assert shown["devices"] == {n: [f"replace:{RUNNING.format(name=n)}"] for n in DEVICES}
    assert fleet["town-tianhe-a"].applied == []  # the request only read the devices

    code, _, err = cli("net", "push", "--estate", production, "--change", change)
    assert code == 2 and f"change {change} is not approved yet" in err

    code, _, err = cli("change", "approve", change)  # alice asked: she may not approve
    assert code == 2 and f"operator alice may not approve change {change}: they requested it" in err
    act_as("王芳")
    code, _, err = cli("change", "approve", change)
    assert code == 2 and "may not run change approve: it needs approver" in err
    act_as("bob")
    code, out, err = cli("change", "approve", change, "--output", "json")
    assert code == 0, err
    assert json.loads(out)["status"] == "approved" and json.loads(out)["approver"] == "bob"
    code, _, err = cli("change", "approve", change)
    assert code == 2 and "is approved, not waiting for approval" in err

    act_as("alice")  # the requester (or any system administrator) runs it
    code, out, err = cli("net", "push", "--estate", production, "--change", change,
                         "--canary", "0", "--output", "json")
    assert code == 0, err
    assert all(d.running == RUNNING.format(name=n) for n, d in fleet.items() if n in DEVICES)
    push = records(audit_env)[-1]
    assert push["command"] == "net push" and push["detail"]["change"] == change and push["sig"]
    assert any(p.endswith(f"{change}.used.json") for p in push["artefacts"])

    code, _, err = cli("net", "push", "--estate", production, "--change", change)
    assert code == 2 and f"change {change} already ran" in err
    code, out, _ = cli("change", "list", "--output", "json")
    (listed,) = json.loads(out)
    assert listed["status"] == "used" and listed["used_by"] == "alice"
    steps = [(r["command"], r["result"].split(":")[0]) for r in records(audit_env)]
    assert ("change request", "ok") in steps and ("change approve", "ok") in steps
    assert ("change approve", "refused") in steps and ("net push", "refused") in steps
    assert cli("audit", "verify", "--require-signed")[0] == 0


def _approved(cli, act_as, production: Path) -> str:
    act_as("alice")
    change = _request(cli, production)
    act_as("bob")
    assert cli("change", "approve", change)[0] == 0
    act_as("alice")
    return change


def test_a_diff_that_moved_is_refused_showing_the_difference(production: Path, fleet, act_as,
                                                             cli) -> None:
    change = _approved(cli, act_as, production)
    fleet["town-tianhe-b"].running = RUNNING.format(name="town-tianhe-b")  # fixed by hand
    code, _, err = cli("net", "push", "--estate", production, "--change", change)
    assert code == 2
    lines = err.splitlines()
    assert ("differs from what was approved on 1 device(s); nothing was pushed" in lines[0])
    assert any("town-tianhe-b (approved)" in line for line in lines)
    assert any(line.removeprefix("error:").strip().startswith("-replace:") for line in lines), err
    assert fleet["town-tianhe-a"].applied == [] and fleet["town-tianhe-b"].applied == []
    code, out, _ = cli("change", "show", change, "--output", "json")
    assert json.loads(out)["status"] == "approved"  # a refusal does not use the change


def test_an_edited_estate_is_refused_naming_the_file(production: Path, fleet, act_as,
                                                     cli) -> None:
    change = _approved(cli, act_as, production)
    tenants = production / "tenants.yaml"
    tenants.write_text(tenants.read_text() + "# edited after approval\n")
    code, _, err = cli("net", "push", "--estate", production, "--change", change)
    assert code == 2 and "is not the one that was approved" in err and "tenants.yaml: changed" in err
    assert fleet["contacts"] == [n for n in DEVICES]  # only the request read them


def test_a_limit_other_than_the_approved_one_is_refused(production: Path, fleet, act_as,
                                                       cli) -> None:
    change = _approved(cli, act_as, production)
    code, _, err = cli("net", "push", "--estate", production, "--change", change,
                       "--limit", "town-tianhe-a")
    assert code == 2 and "town-tianhe-b: approved, but not in this push" in err


def test_an_expired_approval_is_refused(production: Path, fleet, act_as, cli) -> None:
    province = production / "province.yaml"
    province.write_text(province.read_text().replace("change_expiry: 2h", "change_expiry: 1s"))
    change = _approved(cli, act_as, production)
    time.sleep(1.2)
    code, _, err = cli("net", "push", "--estate", production, "--change", change)
    assert code == 2 and "the approval expired at" in err
    code, out, _ = cli("change", "list", "--output", "json")
    assert json.loads(out)[0]["status"] == "expired"


def test_a_request_edited_after_approval_is_refused(production: Path, fleet, act_as, cli,
                                                   changes_folder: Path) -> None:
    change = _approved(cli, act_as, production)
    path = changes_folder / f"{change}.json"
    doc = json.loads(path.read_text())
    doc["devices"]["town-tianhe-a"].append("no ipv6 forwarding")
    path.write_text(json.dumps(doc))
    code, _, err = cli("net", "push", "--estate", production, "--change", change)
    assert code == 2 and "the request is not signed by an operator" in err


def test_an_unknown_change_is_exit_2(cli, act_as) -> None:
    act_as("bob")
    for args in (("approve", "no-such-change"), ("show", "no-such-change")):
        code, _, err = cli("change", *args)
        assert code == 2 and "no such change" in err and "Traceback" not in err


def test_the_rollout_sends_nothing_but_the_approved_remediation(tmp_path: Path) -> None:
    """Between the check and the push a device may still change: the rollout compares again."""
    from govops.estate.loader import load_estate
    from govops.network.journal import Journal
    from govops.network.rollout import Rollout, RolloutOptions
    from tests.conftest import ROOT

    lab = load_estate(ROOT / "inventories" / "lab")
    device = FakeDevice("town-tianhe-a", "hostname moved\n")
    rollout = Rollout(lab, {"town-tianhe-a": "hostname intended\n"}, RolloutOptions(canary=0),
                      Journal(tmp_path, "r1"), replace_diff, lambda _view: device,
                      approved={"town-tianhe-a": ["replace:hostname something else\n"]})
    (result,) = rollout.run(["town-tianhe-a"]).results
    assert result.status == "failed" and "no longer the approved change's" in result.error
    assert device.applied == []


def test_cloud_up_runs_only_the_approved_stack_spec(production: Path, act_as, cli,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path, audit_env: Path) -> None:
    from govops.cloud import automation

    ran: list[str] = []
    monkeypatch.setattr(automation, "require_cli", lambda: None)
    monkeypatch.setattr(automation, "run", lambda action, folder, stack, on_output=None:
                        ran.append(f"{action} {stack}") or {"create": 1})
    stacks = tmp_path / "stacks"
    code, _, err = cli("cloud", "up", "--estate", production, "--stack", "gd-gov", "--stacks", stacks)
    assert code == 2 and "change_approval: required" in err and ran == []
    act_as("alice")
    code, out, err = cli("change", "request", "--estate", production, "--stack", "gd-gov",
                         "--reason", "new tenant", "--output", "json")
    assert code == 0, err
    change = json.loads(out)["id"]
    act_as("bob")
    assert cli("change", "approve", change)[0] == 0
    act_as("alice")
    code, _, err = cli("cloud", "up", "--estate", production, "--stack", "gd-health",
                       "--stacks", stacks, "--change", change)
    assert code == 2 and f"change {change} is for stack gd-gov, not gd-health" in err
    code, _, err = cli("cloud", "destroy", "--estate", production, "--stack", "gd-gov", "--yes",
                       "--stacks", stacks, "--change", change)
    assert code == 2 and "is a cloud up change, not cloud destroy" in err
    code, _, err = cli("cloud", "up", "--estate", production, "--stack", "gd-gov",
                       "--stacks", stacks, "--change", change)
    assert code == 0, err
    assert ran == ["up gd-gov"] and records(audit_env)[-1]["detail"]["change"] == change
    code, _, err = cli("cloud", "up", "--estate", production, "--stack", "gd-gov",
                       "--stacks", stacks, "--change", change)
    assert code == 2 and "already ran" in err and ran == ["up gd-gov"]


def test_resume_and_rollback_pass_the_gate(production: Path, fleet, act_as, tmp_path: Path) -> None:
    from govops.errors import NotAllowed
    from govops.network import pushing
    from govops.network.journal import Journal

    root = tmp_path / "rollouts"
    journal = Journal(root, "20261207-100000-ab12")
    journal.write("start", estate=str(production), limit=None, devices=["town-tianhe-a"],
                  options={"canary": 0, "batch_size": 1, "max_failures": 1, "workers": 1,
                           "check": False, "verify_timeout_s": 1})
    journal.write("backup", device="town-tianhe-a",
                  path=str(journal.save_backup("town-tianhe-a", "hostname before\n")))
    act_as("王芳")
    with pytest.raises(NotAllowed, match="may not run net rollback: it needs system-admin"):
        pushing.rollback(journal.id, root=root)
    with pytest.raises(NotAllowed, match="net resume on .*change_approval: required"):
        pushing.resume(journal.id, root=root)  # not begun as an approved change
    act_as("bob")
    assert pushing.rollback(journal.id, root=root) == {"town-tianhe-a": "restored"}
    assert fleet["contacts"] == ["town-tianhe-a"]
