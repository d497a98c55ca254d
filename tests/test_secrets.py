"""Secrets by reference (issue 18 point 5): env:, file: (mode 600), vault: (ansible-vault);
device credentials take a reference; errors name the reference, never the secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from govops import secrets
from govops.errors import BadInput

SECRET = "Kn0wn-Device-Pass-91"


def _private(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from ansible.parsing.vault import VaultLib, VaultSecret

    password = _private(tmp_path / "vault-pass", "vault words\n")
    monkeypatch.setenv("GOVOPS_VAULT_PASSWORD_FILE", str(password))
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    blob = VaultLib([("default", VaultSecret(b"vault words"))]).encrypt(
        f"net_password: {SECRET}\ndb_password: other\n")
    path = tmp_path / "secrets.vault.yml"
    path.write_bytes(blob)
    return path


def test_each_kind_of_reference(tmp_path: Path, vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SECRET", SECRET)
    assert secrets.resolve("env:MY_SECRET") == SECRET
    assert secrets.resolve(f"file:{_private(tmp_path / 'pw', SECRET + chr(10))}") == SECRET
    assert secrets.resolve(f"vault:{vault}#net_password") == SECRET


@pytest.mark.parametrize("ref, says", [
    ("plain-text", "not a secret reference"),
    ("env:NOPE_NOT_SET", "env:NOPE_NOT_SET: the environment variable is not set"),
    ("file:/nonexistent/pw", "not found"),
])
def test_bad_references_name_themselves(ref: str, says: str) -> None:
    with pytest.raises(BadInput, match=says):
        secrets.resolve(ref, "device password")


def test_a_file_others_can_read_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = _private(tmp_path / "pw", SECRET, 0o644)
    with pytest.raises(BadInput) as caught:
        secrets.resolve(f"file:{path}")
    assert "mode 644" in str(caught.value) and SECRET not in str(caught.value)


def test_vault_errors(vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BadInput, match="no such key"):
        secrets.resolve(f"vault:{vault}#nope")
    with pytest.raises(BadInput, match="vault:PATH#KEY"):
        secrets.resolve(f"vault:{vault}")
    monkeypatch.setenv("GOVOPS_VAULT_PASSWORD_FILE", str(_private(tmp_path / "wrong", "wrong\n")))
    with pytest.raises(BadInput) as caught:
        secrets.resolve(f"vault:{vault}#net_password")
    assert "cannot decrypt it" in str(caught.value) and SECRET not in str(caught.value)


def test_device_credentials_by_reference(tmp_path: Path, vault: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from govops.network.credentials import load_credentials

    known = tmp_path / "known_hosts"
    known.write_text("")
    monkeypatch.setenv("GOVOPS_NET_USERNAME", "ops")
    monkeypatch.setenv("GOVOPS_KNOWN_HOSTS", str(known))
    monkeypatch.delenv("GOVOPS_NET_PASSWORD", raising=False)
    monkeypatch.setenv("GOVOPS_NET_PASSWORD_REF", f"vault:{vault}#net_password")
    creds = load_credentials()
    assert creds.password == SECRET and SECRET not in repr(creds)
    monkeypatch.setenv("GOVOPS_NET_PASSWORD_REF", "")
    with pytest.raises(BadInput, match="GOVOPS_NET_USERNAME is set but no password"):
        load_credentials()
