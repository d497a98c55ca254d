"""Change approval fixtures: the operators' keys and acting operator (tests/operators), a
production copy of the lab estate with its own registry, and a fake fleet behind `pushing`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_registry
from tests.operators.conftest import PASSPHRASE, act_as, audit_env, key_files  # noqa: F401


@pytest.fixture(autouse=True)
def changes_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "changes"
    monkeypatch.setenv("GOVOPS_CHANGES_DIR", str(folder))
    return folder


@pytest.fixture
def production(lab_copy: Path, key_files) -> Path:  # noqa: F811
    """The lab estate marked `change_approval: required` (so: not the lab), with a registry:
    alice security-admin + system-admin + approver, bob system-admin + approver, 王芳 only
    audit-admin."""
    province = lab_copy / "province.yaml"
    province.write_text(province.read_text() + "change_approval: required\nchange_expiry: 2h\n")
    make_registry(lab_copy / "operators.yaml", key_files["alice"][0], PASSPHRASE,
                  [(key_files["alice"][1], ["system-admin", "security-admin", "approver"]),
                   (key_files["bob"][1], ["system-admin", "approver"]),
                   (key_files["王芳"][1], ["audit-admin"])])
    return lab_copy
