"""SM3 (GB/T 32905-2016): hashes, HMAC-SM3 and PBKDF2-HMAC-SM3, on the backend of `backend.py`."""

from __future__ import annotations

from pathlib import Path

from govops.audit import backend

DIGEST_SIZE = 32
BLOCK_SIZE = 64
_CHUNK = 1 << 20


def _gmssl_sm3(data: bytes) -> bytes:
    from gmssl import sm3 as gm

    # gmssl takes a list of ints, appends its padding to that list and returns hex
    return bytes.fromhex(gm.sm3_hash(list(data)))


_SM3_CLASSES: tuple | None = None


def _openssl_hash():
    """A fresh OpenSSL SM3 context (the classes are looked up once: this is a hot path)."""
    global _SM3_CLASSES
    if _SM3_CLASSES is None:
        from cryptography.hazmat.primitives import hashes

        _SM3_CLASSES = (hashes.Hash, hashes.SM3())
    return _SM3_CLASSES[0](_SM3_CLASSES[1])


class Hasher:
    """An incremental SM3 (gmssl keeps the data and hashes it at the end: it cannot stream)."""

    def __init__(self, impl: str | None = None):
        self.impl = backend.current(impl)
        if self.impl == "openssl":
            self._ctx = _openssl_hash()
        else:
            self._parts: list[bytes] = []

    def update(self, data: bytes) -> None:
        if self.impl == "openssl":
            self._ctx.update(data)
        else:
            self._parts.append(bytes(data))

    def digest(self) -> bytes:
        if self.impl == "openssl":
            return self._ctx.copy().finalize()
        return _gmssl_sm3(b"".join(self._parts))

    def hexdigest(self) -> str:
        return self.digest().hex()


def sm3(data: bytes, impl: str | None = None) -> bytes:
    """SM3 of `data` (32 bytes)."""
    if backend.current(impl) == "openssl":
        ctx = _openssl_hash()
        ctx.update(data)
        return ctx.finalize()
    return _gmssl_sm3(bytes(data))


def sm3_hex(data: bytes, impl: str | None = None) -> str:
    """SM3 of `data` as 64 lower-case hex digits."""
    return sm3(data, impl).hex()


def file_sm3(path: Path, impl: str | None = None) -> tuple[str, int]:
    """SM3 (hex) and size of a file, read in 1 MiB chunks."""
    hasher = Hasher(impl)
    size = 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def hmac_sm3(key: bytes, data: bytes, impl: str | None = None) -> bytes:
    """HMAC-SM3 (RFC 2104 with SM3, 64-byte block)."""
    impl = backend.current(impl)
    if impl == "openssl":
        from cryptography.hazmat.primitives import hashes, hmac

        mac = hmac.HMAC(key, hashes.SM3())
        mac.update(data)
        return mac.finalize()
    if len(key) > BLOCK_SIZE:
        key = sm3(key, impl)
    key = key.ljust(BLOCK_SIZE, b"\0")
    inner = sm3(bytes(b ^ 0x36 for b in key) + data, impl)
    return sm3(bytes(b ^ 0x5C for b in key) + inner, impl)


def pbkdf2_sm3(password: bytes, salt: bytes, iterations: int, length: int = 32,
               impl: str | None = None) -> bytes:
    """PBKDF2 (RFC 8018) with HMAC-SM3. The gmssl path is pure Python: slow at real counts."""
    impl = backend.current(impl)
    if impl == "openssl":
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

        return PBKDF2HMAC(hashes.SM3(), length, salt, iterations).derive(password)
    out = b""
    block = 1
    while len(out) < length:
        u = hmac_sm3(password, salt + block.to_bytes(4, "big"), impl)
        acc = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = hmac_sm3(password, u, impl)
            acc ^= int.from_bytes(u, "big")
        out += acc.to_bytes(DIGEST_SIZE, "big")
        block += 1
    return out[:length]
