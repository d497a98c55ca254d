"""Which implementation computes SM3 and SM4: OpenSSL (through `cryptography`) or gmssl.

Both give the same bytes (the known-answer tests run against each). gmssl is pure Python
(about 0.15 MB/s) and is the reference and the fallback; OpenSSL is used when the OpenSSL that
`cryptography` is linked against offers SM3 and SM4, because estate hashes and backups would
otherwise take seconds each. SM2 always comes from gmssl (`cryptography` has no SM2).
`GOVOPS_SM_BACKEND=gmssl` (or `openssl`) forces one.
"""

from __future__ import annotations

import functools
import os

from govops.errors import BadInput

BACKENDS = ("openssl", "gmssl")


@functools.cache
def openssl_has_sm() -> bool:
    """True when `cryptography`'s OpenSSL computes SM3 and SM4-CBC."""
    try:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        digest = hashes.Hash(hashes.SM3())
        digest.update(b"abc")
        if digest.finalize()[:4] != bytes.fromhex("66c7f0f4"):
            return False
        Cipher(algorithms.SM4(bytes(16)), modes.CBC(bytes(16))).encryptor()
    except Exception:  # any failure means "not available"
        return False
    return True


def available() -> list[str]:
    """Backends usable here, preferred first."""
    return [b for b in BACKENDS if b != "openssl" or openssl_has_sm()]


@functools.cache
def _resolve(wanted: str) -> str:
    if not wanted:
        return available()[0]
    if wanted not in BACKENDS:
        raise BadInput(f"GOVOPS_SM_BACKEND={wanted!r}: expected one of {', '.join(BACKENDS)}")
    if wanted not in available():
        raise BadInput(f"GOVOPS_SM_BACKEND={wanted}: this OpenSSL has no SM3/SM4; use gmssl")
    return wanted


def current(name: str | None = None) -> str:
    """The backend to use: `name`, else `GOVOPS_SM_BACKEND`, else the fastest available."""
    return _resolve((name or os.environ.get("GOVOPS_SM_BACKEND", "")).strip().lower())
