"""Secrets by reference (issue 18): a device or database credential is named, never written in
the estate, on the command line or in a log.

A reference is one of:

- `env:NAME` — the environment variable NAME (where a CI system or `pass`/`secret-tool` in a
  wrapper puts it);
- `file:PATH` — the first line of PATH, a file only its owner may read (mode 600 or 400);
- `vault:PATH#KEY` — KEY of the YAML mapping in PATH, an ansible-vault encrypted file (the same
  files Ansible's `group_vars` use), opened with the vault password in the file that
  `GOVOPS_VAULT_PASSWORD_FILE` or Ansible's own `ANSIBLE_VAULT_PASSWORD_FILE` names (mode 600).

Errors name the reference and what is wrong with it, never a value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from govops.errors import BadInput

SCHEMES = ("env", "file", "vault")


def _private_file(path: Path, what: str) -> str:
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise BadInput(f"{what}: {path} may be read by others (mode {mode & 0o777:o}): "
                           "chmod 600 it")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{what}: {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{what}: cannot read {path} ({getattr(exc, 'strerror', None) or exc})") from None


def vault_password() -> bytes:
    """The ansible-vault password: the file `GOVOPS_VAULT_PASSWORD_FILE` or
    `ANSIBLE_VAULT_PASSWORD_FILE` names (first line, mode 600)."""
    for name in ("GOVOPS_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE"):
        raw = os.environ.get(name, "").strip()
        if raw:
            text = _private_file(Path(raw).expanduser(), name)
            return (text.splitlines() or [""])[0].encode("utf-8")
    raise BadInput("an ansible-vault secret needs its vault password: set "
                   "GOVOPS_VAULT_PASSWORD_FILE (or ANSIBLE_VAULT_PASSWORD_FILE) to a mode-600 file")


def read_vault(path: Path) -> dict[str, Any]:
    """The YAML mapping inside an ansible-vault file."""
    import yaml

    try:
        from ansible.parsing.vault import AnsibleVaultError, VaultLib, VaultSecret
    except ImportError:  # pragma: no cover - Ansible is a dependency of govops
        raise BadInput("vault: secrets need Ansible installed (make install)") from None
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"vault:{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        plain = VaultLib([("default", VaultSecret(vault_password()))]).decrypt(blob)
    except AnsibleVaultError as exc:
        first = (str(exc).splitlines() or ["?"])[0]
        raise BadInput(f"vault:{path}: cannot decrypt it with the vault password ({first})") from None
    data = yaml.safe_load(plain)
    if not isinstance(data, dict):
        raise BadInput(f"vault:{path}: expected a YAML mapping of names to secrets")
    return data


def resolve(ref: str, what: str = "secret") -> str:
    """The secret a reference names; BadInput naming `what` and the reference when it cannot."""
    scheme, _, rest = ref.partition(":")
    if scheme not in SCHEMES or not rest:
        raise BadInput(f"{what} {ref!r}: not a secret reference: use env:NAME, file:PATH or "
                       "vault:PATH#KEY")
    if scheme == "env":
        value = os.environ.get(rest)
        if not value:
            raise BadInput(f"{what} env:{rest}: the environment variable is not set")
        return value
    if scheme == "file":
        line = (_private_file(Path(rest).expanduser(), f"{what} file:{rest}").splitlines() or [""])[0]
        if not line:
            raise BadInput(f"{what} file:{rest}: the file is empty")
        return line
    path, _, key = rest.partition("#")
    if not key:
        raise BadInput(f"{what} vault:{path}: say which key of the vault: vault:PATH#KEY")
    data = read_vault(Path(path).expanduser())
    if key not in data or data[key] in (None, ""):
        raise BadInput(f"{what} vault:{path}#{key}: no such key in the vault")
    return str(data[key])


def from_env(value_var: str, ref_var: str, what: str) -> str | None:
    """A secret given either as the value of `value_var` or as a reference in `ref_var`
    (None when neither is set)."""
    ref = os.environ.get(ref_var, "").strip()
    if ref:
        return resolve(ref, f"{what} ({ref_var})")
    return os.environ.get(value_var) or None
