"""Operator fixtures: key pairs made once per session, a private audit log and an estate
folder per test, and `act_as(name)` to set the acting operator's key as an operator would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from govops.audit import keys

PASSPHRASE = "correct horse battery"
#: Key files made once per session; `*-new` are the keys a rotation moves to.
NAMES = ("alice", "bob", "王芳", "alice-new", "bob-new")


@pytest.fixture(autouse=True)
def audit_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test writes its own audit log; no operator key until `act_as`."""
    log = tmp_path / "audit" / "audit.jsonl"
    monkeypatch.setenv("GOVOPS_AUDIT_LOG", str(log))
    for name in ("GOVOPS_AUDIT_KEY", "GOVOPS_AUDIT_PASSPHRASE", "GOVOPS_AUDIT_KEYRING",
                 "GOVOPS_LAB_OPERATORS"):
        monkeypatch.delenv(name, raising=False)
    return log


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """{name: (private key file, public key file)} (fewer PBKDF2 rounds: tests)."""
    folder = tmp_path_factory.mktemp("operator-keys")
    made = {}
    for name in NAMES:
        key_path, pub_path, _ = keys.generate(folder, name, PASSPHRASE, iterations=2000)
        made[name] = (key_path, pub_path)
    return made


@pytest.fixture
def act_as(key_files: dict[str, tuple[Path, Path]],
           monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], None]:
    """Make `name`'s key the acting operator key (None: no key)."""

    def use(name: str | None) -> None:
        if name is None:
            monkeypatch.delenv("GOVOPS_AUDIT_KEY", raising=False)
            monkeypatch.delenv("GOVOPS_AUDIT_PASSPHRASE", raising=False)
            return
        monkeypatch.setenv("GOVOPS_AUDIT_KEY", str(key_files[name][0]))
        monkeypatch.setenv("GOVOPS_AUDIT_PASSPHRASE", PASSPHRASE)

    return use


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    """An estate folder (the registry commands need only the folder)."""
    folder = tmp_path / "estate"
    folder.mkdir()
    (folder / "province.yaml").write_text("province:\n  name: test\n", encoding="utf-8")
    return folder


@pytest.fixture
def staffed(estate: Path, act_as, key_files, cli) -> Path:
    """An estate whose registry holds alice (security-admin), bob (system-admin, approver)
    and 王芳 (audit-admin); alice is acting."""
    act_as("alice")
    for args in (("init",), ("add", "bob", "--key", key_files["bob"][1], "--role", "system-admin",
                             "--role", "approver"),
                 ("add", "王芳", "--key", key_files["王芳"][1], "--role", "audit-admin")):
        code, _, err = cli("operators", *args, "--estate", estate)
        assert code == 0, err
    return estate
