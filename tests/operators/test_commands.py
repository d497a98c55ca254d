"""`govops operators …` as an operator runs them: bootstrap, changes by a security
administrator, refusals, a tampered registry, rotation, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govops.audit.trail import read_records
from govops.errors import BadInput, NotAllowed
from govops.operators import load_registry, require_role
from govops.operators.registry import registry_path


def _records(log: Path) -> list[dict]:
    return [rec.data for _, rec in read_records(log)] if log.exists() else []


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_init_bootstraps_the_first_security_admin(estate: Path, act_as, cli, audit_env: Path) -> None:
    act_as("alice")
    code, out, err = cli("operators", "init", "--estate", estate)
    assert code == 0, err
    registry = load_registry(estate)
    assert [(op.name, op.roles) for op in registry.operators] == [("alice", ("security-admin",))]
    assert registry.signature["operator"] == "alice"
    [rec] = _records(audit_env)
    assert rec["command"] == "operators init" and rec["result"] == "ok" and rec["sig"]
    assert rec["who"]["operator"] == "alice"
    assert any(path.endswith("estate/operators.yaml") for path in rec["artefacts"])
    assert not list(estate.glob(".operators.yaml.*"))  # no staged file left behind
    before = registry_path(estate).read_bytes()
    code, _, err = cli("operators", "init", "--estate", estate)
    assert code == 2 and "already exists" in _one_line(err)
    assert registry_path(estate).read_bytes() == before and len(_records(audit_env)) == 1


def test_init_needs_an_operator_key(estate: Path, cli, audit_env: Path) -> None:
    code, _, err = cli("operators", "init", "--estate", estate)
    assert code == 2 and "GOVOPS_AUDIT_KEY" in _one_line(err)
    assert not registry_path(estate).exists() and not _records(audit_env)
    code, _, err = cli("operators", "list", "--estate", estate)
    assert code == 2 and "no operator registry" in _one_line(err) and "operators init" in err


def test_add_remove_rotate_by_a_security_admin(staffed: Path, cli, key_files, act_as,
                                               audit_env: Path) -> None:
    registry = load_registry(staffed)
    assert [(op.name, op.roles) for op in registry.operators] == [
        ("alice", ("security-admin",)), ("bob", ("system-admin", "approver")),
        ("王芳", ("audit-admin",))]
    old_bob = registry.by_name("bob").key_id
    code, out, err = cli("operators", "rotate", "bob", "--key", key_files["bob-new"][1],
                         "--estate", staffed)
    assert code == 0 and "no longer accepted" in out, err
    assert load_registry(staffed).by_name("bob").key_id != old_bob
    code, out, err = cli("operators", "remove", "王芳", "--estate", staffed)
    assert code == 0, err
    registry = load_registry(staffed)
    assert [op.name for op in registry.operators] == ["alice", "bob"]
    assert registry.signature["operator"] == "alice"
    commands = [(r["command"], r["result"], r["who"]["operator"]) for r in _records(audit_env)]
    assert commands == [("operators init", "ok", "alice"), ("operators add", "ok", "alice"),
                        ("operators add", "ok", "alice"), ("operators rotate", "ok", "alice"),
                        ("operators remove", "ok", "alice")]
    assert _records(audit_env)[3]["detail"]["old_key_id"] == old_bob


def test_a_non_security_admin_is_refused_and_the_refusal_recorded(staffed: Path, cli, act_as,
                                                                   key_files, audit_env: Path) -> None:
    before, count = registry_path(staffed).read_bytes(), len(_records(audit_env))
    act_as("bob")
    code, _, err = cli("operators", "add", "carol", "--key", key_files["alice-new"][1],
                       "--role", "approver", "--estate", staffed)
    line = _one_line(err)
    assert code == 2
    assert "refused" in line and "bob" in line and "security-admin" in line and "operators add" in line
    act_as("王芳")
    code, _, err = cli("operators", "remove", "bob", "--estate", staffed)
    assert code == 2 and "王芳" in _one_line(err) and "operators remove" in err
    assert registry_path(staffed).read_bytes() == before
    refusals = _records(audit_env)[count:]
    assert [(r["command"], r["who"]["operator"], bool(r["sig"])) for r in refusals] == [
        ("operators add", "bob", True), ("operators remove", "王芳", True)]
    assert all(r["result"].startswith("refused: ") for r in refusals)
    assert refusals[0]["detail"]["refused"] == {"operator": "bob", "role": "security-admin"}


@pytest.mark.parametrize("edit", ["promote", "drop-signature", "add-field"])
def test_a_registry_edited_by_hand_refuses_to_load(staffed: Path, cli, act_as, edit: str) -> None:
    path = registry_path(staffed)
    original = text = path.read_text(encoding="utf-8")
    if edit == "promote":  # bob makes himself a security administrator
        text = text.replace("  - system-admin\n", "  - system-admin\n  - security-admin\n", 1)
    elif edit == "drop-signature":
        text = text[:text.index("signature:")]
    else:
        text = text.replace("version: 1\n", "version: 1\nnote: harmless\n")
    assert text != original
    path.write_text(text, encoding="utf-8")
    act_as("alice")
    for args in (("list",), ("remove", "bob")):
        code, _, err = cli("operators", *args, "--estate", staffed)
        line = _one_line(err)
        assert code == 2 and str(path) in line and "by hand" in line, line
    assert path.read_text(encoding="utf-8") == text
    with pytest.raises(BadInput, match="by hand"):
        require_role(staffed, "security-admin", "operators add")


def test_rotation_invalidates_the_old_key(staffed: Path, cli, act_as, key_files) -> None:
    act_as("bob")
    assert require_role(staffed, "system-admin", "net push").name == "bob"
    act_as("alice")
    assert cli("operators", "rotate", "bob", "--key", key_files["bob-new"][1],
               "--estate", staffed)[0] == 0
    act_as("bob")
    with pytest.raises(NotAllowed, match=r"operator bob \(key [0-9a-f]{16}\) is not in .*"
                       r"net push.*system-admin"):
        require_role(staffed, "system-admin", "net push")
    act_as("bob-new")
    assert require_role(staffed, "system-admin", "net push").name == "bob"


def test_a_security_admin_rotates_their_own_key_with_the_new_private_key(
        staffed: Path, cli, act_as, key_files) -> None:
    before = registry_path(staffed).read_bytes()
    code, _, err = cli("operators", "rotate", "alice", "--key", key_files["alice-new"][1],
                       "--estate", staffed)
    assert code == 2 and "private key file" in _one_line(err)
    assert registry_path(staffed).read_bytes() == before
    code, out, err = cli("operators", "rotate", "alice", "--key", key_files["alice-new"][0],
                         "--estate", staffed)
    assert code == 0, err
    registry = load_registry(staffed)
    assert registry.signature["key_id"] == registry.by_name("alice").key_id
    with pytest.raises(NotAllowed, match="alice"):
        require_role(staffed, "security-admin", "operators add")
    act_as("alice-new")
    assert require_role(staffed, "security-admin", "operators add").name == "alice"


def test_user_errors_are_one_line_and_change_nothing(staffed: Path, cli, key_files,
                                                     audit_env: Path) -> None:
    before, count = registry_path(staffed).read_bytes(), len(_records(audit_env))
    cases = [
        (("add", "carol", "--key", key_files["alice-new"][1], "--role", "root"), "unknown role"),
        (("add", "bob", "--key", key_files["alice-new"][1], "--role", "approver"), "already in"),
        (("add", "carol", "--key", key_files["bob"][1], "--role", "approver"), "belongs to operator bob"),
        (("add", "carol", "--key", staffed / "nope.pub", "--role", "approver"), "not found"),
        (("add", "bad name", "--key", key_files["alice-new"][1], "--role", "approver"), "operator name"),
        (("remove", "alice"), "cannot remove themselves"),
        (("remove", "carol"), "not in"),
        (("rotate", "carol", "--key", key_files["alice-new"][1]), "not in"),
        (("rotate", "bob", "--key", key_files["王芳"][1]), "belongs to operator 王芳"),
    ]
    for args, expected in cases:
        code, _, err = cli("operators", *args, "--estate", staffed)
        assert code == 2 and expected in _one_line(err), (args, err)
    code, _, err = cli("operators", "list", "--estate", staffed / "missing")
    assert code == 2 and "no such directory" in _one_line(err)
    assert registry_path(staffed).read_bytes() == before
    assert len(_records(audit_env)) == count


def test_list_text_and_json_keep_chinese_names(staffed: Path, cli) -> None:
    code, out, err = cli("operators", "list", "--estate", staffed, "--output", "json")
    assert code == 0, err
    assert "王芳" in out and "\\u" not in out
    data = json.loads(out)
    assert data["signed_by"] == "alice"
    assert [(o["name"], o["roles"]) for o in data["operators"]] == [
        ("alice", ["security-admin"]), ("bob", ["system-admin", "approver"]),
        ("王芳", ["audit-admin"])]
    assert "王芳" in registry_path(staffed).read_text(encoding="utf-8")  # raw in the file too
    code, out, _ = cli("operators", "list", "--estate", staffed)
    assert code == 0 and "王芳" in out and "3 operator(s)" in out
    code, out, err = cli("operators", "remove", "王芳", "--estate", staffed, "--output", "json")
    assert code == 0 and '"operator": "王芳"' in out, err
    assert json.loads(out)["command"] == "operators remove"
