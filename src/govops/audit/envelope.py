"""A sealed blob: SM4-CBC then HMAC-SM3 over everything (encrypt-then-MAC), versioned header.

Layout (version 1)::

    b"GSM4" | 0x01 | key id (8) | IV (16, random) | SM4-CBC ciphertext (16·n) | tag (32)

`tag = HMAC-SM3(mac key, header ‖ IV ‖ ciphertext ‖ len(aad) as 8 bytes ‖ aad)`. The SM4 key and
the MAC key are derived from one master key with HMAC-SM3 and distinct labels; the key id
(HMAC-SM3 of a third label, 8 bytes) says which master key sealed the blob, so a wrong key is
told apart from a damaged file without trying to decrypt. `aad` binds the blob to a context
(the device a backup belongs to) so blobs cannot be swapped. gmssl has no SM4-GCM, so CBC with
HMAC it is; the version byte leaves room for GCM later.
"""

from __future__ import annotations

import hmac
import secrets

from govops.audit import sm4
from govops.audit.sm3 import hmac_sm3

MAGIC = b"GSM4"
VERSION = 1
KEY_ID_SIZE = 8
TAG_SIZE = 32
HEADER_SIZE = len(MAGIC) + 1 + KEY_ID_SIZE
MIN_KEY_SIZE = 16


class SealError(ValueError):
    """A blob that cannot be opened; the message says why in a few words, `kind` is one of
    "format", "key" (sealed under another key) or "integrity"."""

    def __init__(self, message: str, kind: str = "integrity"):
        super().__init__(message)
        self.kind = kind


def key_id(master: bytes) -> str:
    """The public 16-hex-digit name of a master key."""
    return hmac_sm3(master, b"govops/key-id")[:KEY_ID_SIZE].hex()


def _keys(master: bytes) -> tuple[bytes, bytes]:
    if len(master) < MIN_KEY_SIZE:
        raise ValueError(f"master key must be at least {MIN_KEY_SIZE} bytes")
    return hmac_sm3(master, b"govops/sm4-cbc/enc")[:sm4.KEY_SIZE], hmac_sm3(master, b"govops/hmac-sm3/mac")


def _tag(mac_key: bytes, body: bytes, aad: bytes) -> bytes:
    return hmac_sm3(mac_key, body + len(aad).to_bytes(8, "big") + aad)


def seal(master: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt and authenticate `plaintext` under `master`, bound to `aad`."""
    enc_key, mac_key = _keys(master)
    iv = secrets.token_bytes(sm4.BLOCK_SIZE)
    body = (MAGIC + bytes([VERSION]) + bytes.fromhex(key_id(master)) + iv
            + sm4.cbc_encrypt(enc_key, iv, plaintext))
    return body + _tag(mac_key, body, aad)


def sealed_key_id(blob: bytes) -> str | None:
    """The key id in a sealed blob's header, or None when it is not one."""
    if len(blob) < HEADER_SIZE or not blob.startswith(MAGIC):
        return None
    return blob[len(MAGIC) + 1:HEADER_SIZE].hex()


def open_sealed(master: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    """The plaintext of a blob from `seal`; SealError when it is not one, the key is wrong,
    or any byte (or the context `aad`) differs."""
    if not blob.startswith(MAGIC):
        raise SealError("not an SM4-sealed govops file (no GSM4 header)", "format")
    if len(blob) < HEADER_SIZE or blob[len(MAGIC)] != VERSION:
        version = blob[len(MAGIC)] if len(blob) > len(MAGIC) else None
        raise SealError(f"format version {version} is not supported (expected {VERSION})", "format")
    theirs, ours = sealed_key_id(blob), key_id(master)
    if theirs != ours:
        raise SealError(f"it was sealed with key {theirs}, this key is {ours}", "key")
    iv_end = HEADER_SIZE + sm4.BLOCK_SIZE
    if len(blob) < iv_end + sm4.BLOCK_SIZE + TAG_SIZE:
        raise SealError("file is truncated")
    body, tag = blob[:-TAG_SIZE], blob[-TAG_SIZE:]
    enc_key, mac_key = _keys(master)
    if not hmac.compare_digest(_tag(mac_key, body, aad), tag):
        raise SealError("integrity check failed: the file was altered, truncated or belongs "
                        "to another context")
    try:
        return sm4.cbc_decrypt(enc_key, body[HEADER_SIZE:iv_end], body[iv_end:])
    except ValueError as exc:  # cannot happen after a good tag, short of a bug
        raise SealError(str(exc)) from exc
