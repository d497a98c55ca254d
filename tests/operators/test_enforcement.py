"""Issue 18 point 2: every state-changing command passes the role gate before it touches
anything. The role matrix (every role × every gated command) runs on `act` itself; a wiring
test shows each CLI command calls it first; a few refusals run end to end; `--unsigned` only on
the lab estate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govops.errors import NotAllowed
from govops.operators.registry import ROLES
from govops.operators.roles import COMMAND_ROLES, act
from tests.conftest import make_registry
from tests.operators.conftest import PASSPHRASE


def records(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _staff(estate: Path, key_files, role: str) -> None:
    """alice: the registry's security administrator (and signer); bob: exactly `role`."""
    make_registry(estate / "operators.yaml", key_files["alice"][0], PASSPHRASE,
                  [(key_files["alice"][1], ["security-admin"]), (key_files["bob"][1], [role])])


@pytest.mark.parametrize("command", sorted(COMMAND_ROLES))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role: str, command: str, estate: Path, key_files, act_as,
                     audit_env: Path) -> None:
    """bob holds only `role`: `command` passes the gate iff that is the role it needs; a
    refusal is one line naming bob, the role and the command, and an audit record signed by
    bob's key."""
    _staff(estate, key_files, role)
    act_as("bob")
    needed = COMMAND_ROLES[command]
    if role == needed:
        assert act(estate, command).name == "bob"
        assert not audit_env.exists()  # passing the gate records nothing by itself
        return
    with pytest.raises(NotAllowed) as caught:
        act(estate, command)
    message = str(caught.value)
    assert message == (f"refused: operator bob may not run {command}: it needs {needed}, and "
                       f"bob holds {role}")
    assert caught.value.exit_code == 2
    (rec,) = records(audit_env)
    assert rec["command"] == command and rec["result"] == message and rec["sig"]
    assert rec["detail"]["refused"] == {"operator": "bob", "role": needed}


def test_audit_admins_change_nothing() -> None:
    """No gated command is an audit administrator's: they read, verify and export the trail,
    which needs no role."""
    assert "audit-admin" not in COMMAND_ROLES.values()
    assert {COMMAND_ROLES[c] for c in ("operators add", "operators remove", "operators rotate")} \
        == {"security-admin"}
    assert COMMAND_ROLES["change approve"] == "approver"


@pytest.fixture
def production(lab_copy: Path) -> Path:
    """A copy of the lab estate that is not the lab: `lab: true` removed."""
    province = lab_copy / "province.yaml"
    province.write_text(province.read_text().replace("\nlab: true\n", "\n"))
    return lab_copy


class Gate(Exception):
    pass


@pytest.fixture
def sentinel(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, bool]]:
    """Replace the gate by one that notes its call and stops the command right there."""
    from govops.operators import roles

    calls: list[tuple[str, str, bool]] = []

    def gate(estate_dir, command, *, unsigned=False):
        calls.append((str(estate_dir), command, unsigned))
        raise NotAllowed(f"GATE {command}")

    monkeypatch.setattr(roles, "act", gate)
    return calls


def test_every_command_calls_the_gate_before_it_touches_anything(
        production: Path, sentinel, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from govops.cloud import automation
    from govops.hosts import apply
    from govops.network import pushing

    def no_device(_view):
        raise AssertionError("a device was contacted before the gate")

    monkeypatch.setattr(pushing, "_connector", lambda: no_device)
    monkeypatch.setattr(apply, "ansible_playbook", lambda: "/bin/false")
    monkeypatch.setattr(automation, "require_cli", lambda: None)
    monkeypatch.setenv("GOVOPS_LAB_DIR", str(tmp_path / "labstate"))
    (tmp_path / "labstate").mkdir()
    (tmp_path / "labstate" / "built-from-estate").write_text(f"{production}\n")
    lock = (production / "ipam.lock.yaml").read_bytes()
    tenants = (production / "tenants.yaml").read_bytes()
    e = str(production)
    runs = {
        "net push": ("net", "push", "--estate", e, "--limit", "town-tianhe-a"),
        "estate lock": ("estate", "lock", e),
        "tenant add": ("tenant", "add", "--estate", e, "--department", "ecology", "--system",
                       "water", "--cloud", "gd-gov", "--mlps", "2", "--dr-level", "3"),
        "cloud up": ("cloud", "up", "--estate", e, "--stack", "gd-gov"),
        "cloud destroy": ("cloud", "destroy", "--estate", e, "--stack", "gd-gov", "--yes"),
        "drill run": ("drill", "run", "site-loss", "--estate", e),
        "drill recover": ("drill", "recover", "--estate", e),
        "hosts apply": ("hosts", "apply", "--estate", e, "--limit", "ops-gz-main-1"),
        "lab up": ("lab", "up", "--estate", e),
        "lab down": ("lab", "down"),
        "change request": ("change", "request", "--estate", e, "--reason", "x"),
    }
    for command, args in runs.items():
        code, _, err = cli(*args)
        assert code == 2 and f"GATE {command}" in err, (command, err)
        assert sentinel[-1][1] == command and Path(sentinel[-1][0]).resolve() == production.resolve()
    assert (production / "ipam.lock.yaml").read_bytes() == lock
    assert (production / "tenants.yaml").read_bytes() == tenants
    gated = {c for _, c, _ in sentinel}
    # resume and rollback need a rollout journal (test_changes); approve a change (test_changes);
    # the operators commands have their own tests
    assert set(COMMAND_ROLES) - gated == {"net resume", "net rollback", "change approve",
                                          "operators add", "operators remove", "operators rotate",
                                          "operators seal-policy"}


def test_lab_up_and_down_on_the_lab_estate_need_no_operator(lab_copy: Path, sentinel, cli,
                                                            tmp_path: Path, monkeypatch) -> None:
    from govops.lab import commands as lab_commands
    from govops.lab import routers

    def reached(*_args, **_kwargs):
        raise SystemExit(7)  # the build: past the gate, and no lab is brought up here

    monkeypatch.setenv("GOVOPS_LAB_DIR", str(tmp_path / "labstate"))
    monkeypatch.setattr(routers, "build", reached)
    monkeypatch.setattr(lab_commands, "_need_root", lambda: None)
    code, _, err = cli("lab", "up", "--estate", lab_copy)
    assert sentinel == [] and code == 7, err


def test_refusal_end_to_end(lab_copy: Path, staffed_lab, act_as, cli, audit_env: Path) -> None:
    act_as("王芳")
    before = (lab_copy / "ipam.lock.yaml").read_bytes()
    code, out, err = cli("estate", "lock", lab_copy)
    assert code == 2 and out == ""
    assert err.strip() == ("error: refused: operator 王芳 may not run estate lock: it needs "
                           "system-admin, and 王芳 holds audit-admin")
    assert (lab_copy / "ipam.lock.yaml").read_bytes() == before
    rec = records(audit_env)[-1]
    assert rec["result"].startswith("refused: operator 王芳") and rec["sig"]
    act_as("bob")
    code, out, err = cli("estate", "lock", lab_copy, "--output", "json")
    assert code == 0, err
    rec = records(audit_env)[-1]
    assert rec["command"] == "estate lock" and rec["who"]["operator"] == "bob" and rec["sig"]


@pytest.fixture
def staffed_lab(lab_copy: Path, key_files, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The lab copy's registry (through GOVOPS_LAB_OPERATORS): alice security-admin, bob
    system-admin and approver, 王芳 audit-admin."""
    path = make_registry(tmp_path / "lab-operators.yaml", key_files["alice"][0], PASSPHRASE,
                         [(key_files["alice"][1], ["security-admin"]),
                          (key_files["bob"][1], ["system-admin", "approver"]),
                          (key_files["王芳"][1], ["audit-admin"])])
    monkeypatch.setenv("GOVOPS_LAB_OPERATORS", str(path))
    return path


def test_no_key_is_refused_and_recorded_unsigned(lab_copy: Path, staffed_lab, act_as, cli,
                                                 audit_env: Path) -> None:
    act_as(None)
    code, _, err = cli("estate", "lock", lab_copy)
    assert code == 2 and "estate lock needs an operator holding system-admin, and no operator " \
        "key is set" in err
    (rec,) = records(audit_env)
    assert rec["sig"] is None and rec["detail"]["unsigned"] == "refusal"
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "1 unsigned refusals" in out


def test_unsigned_only_on_the_lab_estate(lab_copy: Path, staffed_lab, act_as,
                                         cli, audit_env: Path, tmp_path: Path) -> None:
    act_as(None)
    code, _, err = cli("estate", "lock", lab_copy, "--unsigned")
    assert code == 0, err
    (rec,) = records(audit_env)
    assert rec["sig"] is None and rec["detail"]["unsigned"] == "lab"
    other = tmp_path / "other"
    shutil.copytree(lab_copy, other)
    province = other / "province.yaml"
    province.write_text(province.read_text().replace("\nlab: true\n", "\n"))
    code, _, err = cli("estate", "lock", other, "--unsigned")
    assert code == 2 and "--unsigned: unsigned records are allowed only on the lab estate" in err
    assert records(audit_env)[-1]["result"].startswith("refused: estate lock --unsigned")
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "1 unsigned on request (lab, chain only), 1 unsigned refusals" in out


def test_a_production_estate_marked_lab_is_not_the_lab(lab_copy: Path, staffed_lab, act_as,
                                                       cli) -> None:
    """`change_approval: required` wins over `lab: true`: no --unsigned, no lab registry."""
    (lab_copy / "province.yaml").write_text((lab_copy / "province.yaml").read_text()
                                            + "change_approval: required\n")
    act_as(None)
    code, _, err = cli("estate", "lock", lab_copy, "--unsigned")
    assert code == 2 and "allowed only on the lab estate" in err
    act_as("bob")
    code, _, err = cli("estate", "lock", lab_copy)
    assert code == 2 and f"no operator registry {lab_copy / 'operators.yaml'}" in err


def test_a_trust_anchor_pins_who_may_sign_the_registry(estate: Path, key_files, act_as, cli,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """operators init trusts whoever runs first, unless the machine pins the signers."""
    from govops.audit import keys

    anchor = tmp_path / "anchor.yaml"
    alice = keys.load_public(key_files["alice"][1]).key_id
    anchor.write_text(f"signers: [{alice}]\n")
    monkeypatch.setenv("GOVOPS_OPERATORS_ANCHOR", str(anchor))
    act_as("bob")
    code, _, err = cli("operators", "init", "--estate", estate)
    assert code == 2 and "is not pinned in the operator trust anchor" in err
    assert not (estate / "operators.yaml").exists()
    act_as("alice")
    assert cli("operators", "init", "--estate", estate)[0] == 0
    assert cli("operators", "list", "--estate", estate)[0] == 0
    # a registry replaced wholesale by someone else (bob signs a fresh one) does not load
    make_registry(estate / "operators.yaml", key_files["bob"][0], PASSPHRASE,
                  [(key_files["bob"][1], ["security-admin", "system-admin"])])
    code, _, err = cli("operators", "list", "--estate", estate)
    assert code == 2 and "signed by bob" in err and "not pinned" in err


def test_an_identity_file_names_the_key_when_the_environment_does_not(
        lab_copy: Path, key_files, cli, audit_env: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What `make demo` leaves for its operator: ~/.config/govops/identity.yaml with paths only."""
    registry = make_registry(tmp_path / "lab-operators.yaml", key_files["alice"][0], PASSPHRASE,
                             [(key_files["alice"][1], ["security-admin", "system-admin"])])
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)
    ident = tmp_path / "identity.yaml"
    ident.write_text(f"key: {key_files['alice'][0]}\npassphrase_file: {secret}\n"
                     f"lab_operators: {registry}\n")
    ident.chmod(0o600)
    monkeypatch.setenv("GOVOPS_IDENTITY", str(ident))
    code, _, err = cli("estate", "lock", lab_copy)
    assert code == 0, err
    assert records(audit_env)[-1]["who"]["operator"] == "alice"
    secret.chmod(0o644)  # a passphrase file others can read is refused, naming it
    from govops.audit import keys

    keys._UNLOCKED.clear()
    code, _, err = cli("estate", "lock", lab_copy)
    assert code == 2 and f"passphrase file {secret}" in err and "mode 644" in err
    ident.chmod(0o666)
    code, _, err = cli("estate", "lock", lab_copy)
    assert code == 2 and "may be changed by others" in err


def test_generated_estates_are_rehearsal_estates(guangdong: Path) -> None:
    from govops.estate.settings import read_settings

    assert read_settings(guangdong).is_lab


def test_policy_tables_and_waivers_change_only_under_a_security_administrators_seal(
        production: Path, key_files, act_as, cli, audit_env: Path) -> None:
    """operators init seals the policy tables and waived rules of a non-lab estate; a system
    administrator's command refuses while they differ, until a security administrator seals
    them again."""
    act_as("alice")
    assert cli("operators", "init", "--estate", production)[0] == 0
    assert cli("operators", "add", "bob", "--key", key_files["bob"][1], "--role", "system-admin",
               "--estate", production)[0] == 0
    act_as("bob")
    assert cli("estate", "lock", production)[0] == 0
    table = production.parent / "policy" / "dr-levels.yaml"
    table.write_text(table.read_text() + "# RTO of level 5 relaxed by hand\n")
    code, _, err = cli("estate", "lock", production)
    assert code == 2 and "policy/dr-levels.yaml changed" in err and "sealed" in err
    assert "seal-policy" in err and records(audit_env)[-1]["result"].startswith("refused:")
    network = production / "network.yaml"
    text = network.read_text()
    assert "name: town-tianhe-a" in text
    network.write_text(text.replace("name: town-tianhe-a,", "name: town-tianhe-a, single_homed: "
                                    "fibre works,", 1))
    code, _, err = cli("estate", "lock", production)
    assert code == 2 and "the waived rules changed (0 sealed, 1 now)" in err
    code, _, err = cli("operators", "seal-policy", "--estate", production)
    assert code == 2 and "operator bob may not run operators seal-policy: it needs security-admin" in err
    act_as("alice")
    code, out, err = cli("operators", "seal-policy", "--estate", production, "--output", "json")
    assert code == 0, err
    assert json.loads(out)["changed"] == ["policy/dr-levels.yaml changed",
                                          "the waived rules changed (0 sealed, 1 now)"]
    act_as("bob")
    code, _, err = cli("estate", "lock", production)
    assert code == 0, err
    # switching two-person approval off by editing province.yaml is a policy change too
    province = production / "province.yaml"
    province.write_text(province.read_text() + "change_approval: none\n")
    assert cli("estate", "lock", production)[0] == 0  # "none" is the default: nothing changed
    province.write_text(province.read_text().replace("change_approval: none", "change_expiry: 9d"))
    code, _, err = cli("estate", "lock", production)
    assert code == 2 and "province.yaml change_expiry_s: 86400 sealed, 777600 now" in err
