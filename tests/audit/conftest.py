"""Audit fixtures: a private log, keyring and backup key per test; one operator key per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from govops.audit import keys

PASSPHRASE = "correct horse battery"
BACKUP_KEY = "0f" * 32


@pytest.fixture(autouse=True)
def audit_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every audit test writes its own log and uses its own backup key; no operator key."""
    log = tmp_path / "audit" / "audit.jsonl"
    monkeypatch.setenv("GOVOPS_AUDIT_LOG", str(log))
    monkeypatch.setenv("GOVOPS_BACKUP_KEY", BACKUP_KEY)
    for name in ("GOVOPS_AUDIT_KEY", "GOVOPS_AUDIT_PASSPHRASE", "GOVOPS_AUDIT_KEYRING",
                 "GOVOPS_BACKUP_KEY_FILE", "GOVOPS_SM_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return log


@pytest.fixture(scope="session")
def operator_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(private key file, public key file) of operator alice (fewer PBKDF2 rounds: tests)."""
    folder = tmp_path_factory.mktemp("operator")
    key_path, pub_path, _ = keys.generate(folder, "alice", PASSPHRASE, iterations=2000)
    return key_path, pub_path


@pytest.fixture
def signing(operator_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> keys.OperatorKey:
    """Configure alice's key in the environment, as an operator would; returns it unlocked."""
    monkeypatch.setenv("GOVOPS_AUDIT_KEY", str(operator_files[0]))
    monkeypatch.setenv("GOVOPS_AUDIT_PASSPHRASE", PASSPHRASE)
    return keys.unlock(operator_files[0], PASSPHRASE)
