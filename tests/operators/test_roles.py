"""`require_role` as other commands will call it, and the registry's signer rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from govops.audit import keys
from govops.audit.trail import read_records
from govops.errors import BadInput, NotAllowed
from govops.estate.loader import NOT_MODEL, load_estate
from govops.operators import require_role
from govops.operators.registry import REGISTRY_NAME, _signed_bytes, registry_path
from tests.operators.conftest import PASSPHRASE


def test_the_holder_of_a_role_passes_and_leaves_no_record(staffed: Path, act_as, audit_env: Path) -> None:
    count = len(list(read_records(audit_env)))
    act_as("bob")
    op = require_role(staffed, "approver", "change approve")
    assert op.name == "bob" and op.roles == ("system-admin", "approver")
    assert len(list(read_records(audit_env))) == count
    with pytest.raises(ValueError, match="unknown role"):
        require_role(staffed, "root", "net push")


def test_a_refusal_names_operator_role_and_command_and_is_recorded(staffed: Path, act_as,
                                                                   audit_env: Path) -> None:
    act_as("王芳")
    with pytest.raises(NotAllowed) as refused:
        require_role(staffed, "system-admin", "net push")
    message = str(refused.value)
    assert "\n" not in message and "王芳" in message and "system-admin" in message
    assert "net push" in message and "audit-admin" in message  # what they do hold
    last = [rec for _, rec in read_records(audit_env)][-1]
    assert last.command == "net push" and last.result == f"refused: {message.removeprefix('refused: ')}"
    assert last.who["operator"] == "王芳" and last.signed
    act_as(None)
    with pytest.raises(NotAllowed, match="no operator key"):
        require_role(staffed, "system-admin", "cloud up")
    last = [rec for _, rec in read_records(audit_env)][-1]
    assert last.command == "cloud up" and last.result.startswith("refused:") and not last.signed


def test_a_registry_signed_by_a_non_security_admin_refuses(staffed: Path, key_files, act_as) -> None:
    path = registry_path(staffed)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    bob = keys.unlock(key_files["bob"][0], PASSPHRASE)
    doc["signature"] = {"operator": "bob", "key_id": bob.public.key_id, "signed_at": "now"}
    doc["signature"]["sig"] = bob.sign(_signed_bytes(doc))  # a valid signature, by the wrong person
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    act_as("bob")
    with pytest.raises(BadInput, match=f"{path}: signed by key {bob.public.key_id}, which is not a "
                       "security administrator's key"):
        require_role(staffed, "system-admin", "net push")


def test_the_estate_model_ignores_the_registry(lab_copy: Path, act_as, cli) -> None:
    assert REGISTRY_NAME in NOT_MODEL
    act_as("alice")
    assert cli("operators", "init", "--estate", lab_copy)[0] == 0
    assert load_estate(lab_copy).files and registry_path(lab_copy).exists()
