"""Audit fixtures: a private log, keyring and backup key per test; one operator key per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govops.audit import keys

PASSPHRASE = "correct horse battery"
BACKUP_KEY = "0f" * 32


@pytest.fixture(autouse=True)
def audit_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every audit test writes its own log and uses its own backup key; no operator key, and
    the trail's own tests may write unsigned ("lab") records through `audited` directly (a
    command still needs --unsigned, or the `signing` fixture's operator)."""
    from govops.audit.trail import allow_unsigned

    log = tmp_path / "audit" / "audit.jsonl"
    monkeypatch.setenv("GOVOPS_AUDIT_LOG", str(log))
    monkeypatch.setenv("GOVOPS_BACKUP_KEY", BACKUP_KEY)
    for name in ("GOVOPS_AUDIT_KEY", "GOVOPS_AUDIT_PASSPHRASE", "GOVOPS_AUDIT_KEYRING",
                 "GOVOPS_BACKUP_KEY_FILE", "GOVOPS_SM_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    allow_unsigned("lab")
    yield log
    allow_unsigned(None)


@pytest.fixture(scope="session")
def operator_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(private key file, public key file) of operator alice (fewer PBKDF2 rounds: tests)."""
    folder = tmp_path_factory.mktemp("operator")
    key_path, pub_path, _ = keys.generate(folder, "alice", PASSPHRASE, iterations=2000)
    return key_path, pub_path


@pytest.fixture
def signing(operator_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> keys.OperatorKey:
    """Configure alice's key in the environment, as an operator would, with every role on the
    lab estate; returns it unlocked."""
    from govops.operators.registry import ROLES
    from tests.conftest import make_registry

    monkeypatch.setenv("GOVOPS_AUDIT_KEY", str(operator_files[0]))
    monkeypatch.setenv("GOVOPS_AUDIT_PASSPHRASE", PASSPHRASE)
    registry = make_registry(tmp_path / "lab-operators.yaml", operator_files[0], PASSPHRASE,
                             [(operator_files[0], list(ROLES))])
    monkeypatch.setenv("GOVOPS_LAB_OPERATORS", str(registry))
    return keys.unlock(operator_files[0], PASSPHRASE)
