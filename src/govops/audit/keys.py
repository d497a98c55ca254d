"""Operator SM2 keys: passphrase-protected key files, public key files and the keyring.

Private key file (`<operator>.sm2.key`, mode 600, JSON): the public key, its id, and d sealed
with `envelope.seal` under a key derived from the passphrase with PBKDF2-HMAC-SM3 (random 16-byte
salt, 200,000 iterations by default; both stored in the file). Public key file
(`<operator>.sm2.pub`): operator, key id, x‖y. The keyring is a folder of `<key id>.pub` files
(default `keys/` beside the audit log): `audit verify` trusts exactly those keys, so adding a key
is a reviewed change to that folder.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from govops.audit import envelope, sm2
from govops.audit.sm3 import pbkdf2_sm3, sm3_hex
from govops.errors import BadInput

PRIVATE_FORMAT = "govops-sm2-private-key"
PUBLIC_FORMAT = "govops-sm2-public-key"
ITERATIONS = 200_000
MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class PublicKey:
    """An operator's public key."""

    operator: str
    key_id: str
    public: str
    created: str = ""

    def to_json(self) -> dict:
        return {"format": PUBLIC_FORMAT, "version": 1, "operator": self.operator,
                "key_id": self.key_id, "public": self.public, "created": self.created}


@dataclass(frozen=True)
class OperatorKey:
    """An unlocked operator key pair (the private half never appears in repr)."""

    public: PublicKey
    private: str = field(repr=False)
    path: Path | None = None

    def sign(self, message: bytes) -> str:
        return sm2.sign(self.private, self.public.public, message)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _write_private(path: Path, data: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def generate(out_dir: Path, operator: str, passphrase: str,
             iterations: int = ITERATIONS) -> tuple[Path, Path, PublicKey]:
    """Write `<operator>.sm2.key` (mode 600) and `<operator>.sm2.pub` into `out_dir`."""
    if not operator or not operator.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise BadInput(f"operator name {operator!r}: use letters, digits, '-', '_' or '.'")
    if len(passphrase) < MIN_PASSPHRASE:
        raise BadInput(f"passphrase too short: at least {MIN_PASSPHRASE} characters")
    key_path, pub_path = out_dir / f"{operator}.sm2.key", out_dir / f"{operator}.sm2.pub"
    for path in (key_path, pub_path):
        if path.exists():
            raise BadInput(f"{path} already exists: keep it, or move it away to make a new key")
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private, public = sm2.generate()
    pub = PublicKey(operator, sm2.key_id(public), public, _now())
    salt = secrets.token_bytes(16)
    wrap = pbkdf2_sm3(passphrase.encode("utf-8"), salt, iterations)
    sealed = envelope.seal(wrap, bytes.fromhex(private), _aad(pub.key_id))
    _write_private(key_path, {
        "format": PRIVATE_FORMAT, "version": 1, "operator": operator, "key_id": pub.key_id,
        "public": public, "created": pub.created,
        "kdf": {"name": "pbkdf2-hmac-sm3", "salt": salt.hex(), "iterations": iterations},
        "cipher": "sm4-cbc+hmac-sm3", "sealed": base64.b64encode(sealed).decode("ascii")})
    write_public(pub_path, pub)
    return key_path, pub_path, pub


def _aad(key_id: str) -> bytes:
    return b"govops-sm2-private-key:" + key_id.encode("ascii")


def write_public(path: Path, pub: PublicKey) -> None:
    path.write_text(json.dumps(pub.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{what} {path}: not found") from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"{what} {path}: not readable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{what} {path}: not a govops key file")
    return data


def load_public(path: Path) -> PublicKey:
    """A public key file (or a private key file: its public half)."""
    data = _read_json(path, "public key")
    if data.get("format") not in (PUBLIC_FORMAT, PRIVATE_FORMAT):
        raise BadInput(f"public key {path}: not a govops SM2 key file")
    try:
        public = sm2.normalise_public(str(data.get("public", "")))
    except ValueError as exc:
        raise BadInput(f"public key {path}: {exc}") from None
    key_id = sm2.key_id(public)
    if data.get("key_id") != key_id:
        raise BadInput(f"public key {path}: key_id {data.get('key_id')} does not match the key "
                       f"({key_id})")
    return PublicKey(str(data.get("operator", "")), key_id, public, str(data.get("created", "")))


def unlock(path: Path, passphrase: str) -> OperatorKey:
    """Decrypt a private key file; BadInput on a wrong passphrase or a damaged file."""
    data = _read_json(path, "operator key")
    if data.get("format") != PRIVATE_FORMAT:
        raise BadInput(f"operator key {path}: not a govops SM2 private key file")
    pub = load_public(path)
    try:
        kdf = data["kdf"]
        wrap = pbkdf2_sm3(passphrase.encode("utf-8"), bytes.fromhex(kdf["salt"]),
                          int(kdf["iterations"]))
        sealed = base64.b64decode(data["sealed"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"operator key {path}: damaged key file ({exc})") from None
    try:
        private = envelope.open_sealed(wrap, sealed, _aad(pub.key_id)).hex()
    except envelope.SealError:
        raise BadInput(f"operator key {path}: wrong passphrase (or the file was altered)") from None
    if sm2.public_from_private(private) != pub.public:
        raise BadInput(f"operator key {path}: private and public halves do not match")
    return OperatorKey(pub, private, Path(path))


_UNLOCKED: dict[tuple[str, int, str], OperatorKey] = {}


def passphrase_file(path: Path) -> str:
    """The passphrase kept in `path` (`GOVOPS_AUDIT_PASSPHRASE_FILE`): the first line of a file
    only its owner may read (mode 600 or 400), as ssh wants of a private key."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise BadInput(f"passphrase file {path} (GOVOPS_AUDIT_PASSPHRASE_FILE) is readable by "
                           f"others (mode {mode & 0o777:o}): chmod 600 it")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"passphrase file {path} (GOVOPS_AUDIT_PASSPHRASE_FILE): not found") from None
    except OSError as exc:
        raise BadInput(f"passphrase file {path}: cannot read it ({exc.strerror or exc})") from None
    return (text.splitlines() or [""])[0]


def passphrase_for(path: Path) -> str:
    """The passphrase of operator key `path`: `GOVOPS_AUDIT_PASSPHRASE`, else the file named by
    `GOVOPS_AUDIT_PASSPHRASE_FILE`, else asked for on the terminal. Never a command-line
    argument: argv is logged verbatim and visible to every local user."""
    value = os.environ.get("GOVOPS_AUDIT_PASSPHRASE")
    if value is not None:
        return value
    file = os.environ.get("GOVOPS_AUDIT_PASSPHRASE_FILE", "").strip() or (
        identity().get("passphrase_file", "") if "GOVOPS_AUDIT_PASSPHRASE_FILE" not in os.environ
        else "")
    if file:
        return passphrase_file(Path(file).expanduser())
    import sys

    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"passphrase for operator key {path}: ")
    raise BadInput(f"operator key {path}: no passphrase: set GOVOPS_AUDIT_PASSPHRASE or "
                   "GOVOPS_AUDIT_PASSPHRASE_FILE, or run in a terminal to be asked")


def identity() -> dict[str, str]:
    """The operator's defaults when the environment says nothing: the YAML mapping in
    `GOVOPS_IDENTITY` (default `~/.config/govops/identity.yaml`): `key` (private key file),
    `passphrase_file`, `lab_operators` (the lab estate's registry). `make demo` writes one for
    its demo operator when there is none. It holds paths, not secrets; a file others may
    write is refused."""
    import yaml

    raw = os.environ.get("GOVOPS_IDENTITY", "").strip()
    path = Path(raw).expanduser() if raw else Path.home() / ".config" / "govops" / "identity.yaml"
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    if mode & 0o022:
        raise BadInput(f"operator identity {path} may be changed by others (mode "
                       f"{mode & 0o777:o}): chmod 600 it")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise BadInput(f"operator identity {path}: not readable YAML") from None
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k in ("key", "passphrase_file", "lab_operators")
            and v}


def from_env(key_path: Path | None = None) -> OperatorKey | None:
    """The operator key named by `GOVOPS_AUDIT_KEY` (or `key_path`), unlocked with the
    passphrase from `passphrase_for`; None when no key is configured. Unlocked once per
    process (a prompt is asked once)."""
    raw = key_path or os.environ.get("GOVOPS_AUDIT_KEY", "").strip()
    if not raw and "GOVOPS_AUDIT_KEY" not in os.environ:
        raw = identity().get("key", "")
    if not raw:
        return None
    path = Path(raw).expanduser()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise BadInput(f"operator key {path} (GOVOPS_AUDIT_KEY): not found") from None
    unlocked = _PROMPTED.get((str(path.resolve()), mtime))
    if unlocked is not None:
        return unlocked
    prompted = ("GOVOPS_AUDIT_PASSPHRASE" not in os.environ
                and not os.environ.get("GOVOPS_AUDIT_PASSPHRASE_FILE", "").strip()
                and not identity().get("passphrase_file"))
    passphrase = passphrase_for(path)
    cache_key = (str(path.resolve()), mtime, sm3_hex(passphrase.encode("utf-8")))
    if cache_key not in _UNLOCKED:
        _UNLOCKED[cache_key] = unlock(path, passphrase)
    if prompted:
        _PROMPTED[(str(path.resolve()), mtime)] = _UNLOCKED[cache_key]
    return _UNLOCKED[cache_key]


_PROMPTED: dict[tuple[str, int], OperatorKey] = {}


def load_keyring(folder: Path) -> dict[str, PublicKey]:
    """Trusted public keys by key id (empty when the folder does not exist)."""
    if not folder.is_dir():
        return {}
    keys = {}
    for path in sorted(folder.glob("*.pub")):
        pub = load_public(path)
        keys[pub.key_id] = pub
    return keys


def register(folder: Path, pub: PublicKey) -> Path:
    """Put `pub` into the keyring as `<key id>.pub` (no-op when it is there)."""
    path = folder / f"{pub.key_id}.pub"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_public(path, pub)
    return path
