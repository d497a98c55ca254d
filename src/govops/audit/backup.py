"""Encryption at rest for device backups (and any other stored secret), with SM4.

The key is 32 random bytes, from (first that is set):

1. `GOVOPS_BACKUP_KEY`: 64 hex digits;
2. `GOVOPS_BACKUP_KEY_FILE`: a file holding those 64 hex digits, outside the checkout and not
   readable by group or others;
3. otherwise `~/.config/govops/backup.key` (`$XDG_CONFIG_HOME/govops/backup.key`), created on
   first use with mode 600 in a mode-700 folder. Back it up: without it the backups are lost.

Blobs are `envelope.seal` (SM4-CBC + HMAC-SM3, versioned, key id in the header); `context`
(the device name for rollout backups) is bound in as associated data, so one device's backup
cannot be passed off as another's.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from govops.audit import envelope
from govops.errors import BadInput
from govops.paths import REPO_ROOT

KEY_SIZE = 32
SUFFIX = ".sm4"


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base) / "govops" / "backup.key"


def _parse(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise BadInput(f"{where}: not hex digits") from None
    if len(key) != KEY_SIZE:
        raise BadInput(f"{where}: expected {2 * KEY_SIZE} hex digits ({KEY_SIZE} bytes), got "
                       f"{len(key)} bytes")
    return key


def _inside_checkout(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO_ROOT)


def _read_key_file(path: Path, where: str) -> bytes:
    if _inside_checkout(path):
        raise BadInput(f"{where} {path}: the backup key must live outside the repository")
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise BadInput(f"{where} {path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{where} {path}: cannot read it: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BadInput(f"{where} {path}: readable by others (mode {stat.S_IMODE(mode):o}): "
                       f"chmod 600 {path}")
    return _parse(text, f"{where} {path}")


def _create_default(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_SIZE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read_key_file(path, "backup key file")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


def backup_key() -> bytes:
    """The backup key, from the environment or the default key file (made when missing)."""
    raw = os.environ.get("GOVOPS_BACKUP_KEY", "").strip()
    if raw:
        return _parse(raw, "GOVOPS_BACKUP_KEY")
    named = os.environ.get("GOVOPS_BACKUP_KEY_FILE", "").strip()
    if named:
        return _read_key_file(Path(named).expanduser(), "GOVOPS_BACKUP_KEY_FILE")
    path = default_key_file()
    if path.exists():
        return _read_key_file(path, "backup key file")
    return _create_default(path)


def new_key_hex() -> str:
    """A fresh backup key, for `GOVOPS_BACKUP_KEY` or a key file."""
    return secrets.token_hex(KEY_SIZE)


def encrypt_backup(plaintext: bytes, context: str = "") -> bytes:
    """Seal `plaintext` with the backup key, bound to `context` (e.g. the device name)."""
    return envelope.seal(backup_key(), plaintext, context.encode("utf-8"))


def decrypt_backup(blob: bytes, context: str = "", source: str | Path = "<data>") -> bytes:
    """Open a blob from `encrypt_backup`; BadInput, one line, when the key or the blob is wrong:
    nothing is returned then, not even in part."""
    try:
        return envelope.open_sealed(backup_key(), blob, context.encode("utf-8"))
    except envelope.SealError as exc:
        hint = (" (set GOVOPS_BACKUP_KEY or GOVOPS_BACKUP_KEY_FILE to the key that wrote it)"
                if exc.kind == "key" else "")
        raise BadInput(f"backup {source}: cannot decrypt with this key: {exc}{hint}") from None
