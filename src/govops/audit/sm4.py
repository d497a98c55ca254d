"""SM4 (GB/T 32907-2016): one-block ECB (for known answers) and CBC with PKCS#7 padding.

These are raw primitives with no integrity: use `envelope.seal`/`envelope.open_sealed`.
"""

from __future__ import annotations

from govops.audit import backend

KEY_SIZE = 16
BLOCK_SIZE = 16


def _check(key: bytes, iv: bytes | None = None) -> None:
    if len(key) != KEY_SIZE:
        raise ValueError(f"SM4 key must be {KEY_SIZE} bytes, not {len(key)}")
    if iv is not None and len(iv) != BLOCK_SIZE:
        raise ValueError(f"SM4 IV must be {BLOCK_SIZE} bytes, not {len(iv)}")


def _gmssl(key: bytes, decrypt: bool, padded: bool):
    from gmssl import sm4 as gm

    # padding_mode=None turns gmssl's automatic PKCS#7 off for ECB (CBC always pads)
    cipher = gm.CryptSM4(padding_mode=gm.PKCS7 if padded else None)
    cipher.set_key(key, gm.SM4_DECRYPT if decrypt else gm.SM4_ENCRYPT)
    return cipher


def encrypt_block(key: bytes, block: bytes, impl: str | None = None) -> bytes:
    """SM4 of one 16-byte block (ECB, no padding)."""
    _check(key)
    if len(block) != BLOCK_SIZE:
        raise ValueError("SM4 block must be 16 bytes")
    if backend.current(impl) == "openssl":
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
        return enc.update(block) + enc.finalize()
    return _gmssl(key, False, False).crypt_ecb(block)


def decrypt_block(key: bytes, block: bytes, impl: str | None = None) -> bytes:
    """SM4 inverse of one 16-byte block (ECB, no padding)."""
    _check(key)
    if backend.current(impl) == "openssl":
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        dec = Cipher(algorithms.SM4(key), modes.ECB()).decryptor()
        return dec.update(block) + dec.finalize()
    return _gmssl(key, True, False).crypt_ecb(block)


def _pad(data: bytes) -> bytes:
    n = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    n = data[-1] if data else 0
    if not 1 <= n <= BLOCK_SIZE or data[-n:] != bytes([n]) * n:
        raise ValueError("bad PKCS#7 padding")
    return data[:-n]


def cbc_encrypt(key: bytes, iv: bytes, plaintext: bytes, impl: str | None = None) -> bytes:
    """SM4-CBC with PKCS#7 padding (the ciphertext is 1..16 bytes longer than the plaintext)."""
    _check(key, iv)
    if backend.current(impl) == "openssl":
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        enc = Cipher(algorithms.SM4(key), modes.CBC(iv)).encryptor()
        return enc.update(_pad(plaintext)) + enc.finalize()
    return _gmssl(key, False, True).crypt_cbc(iv, plaintext)


def cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes, impl: str | None = None) -> bytes:
    """Inverse of `cbc_encrypt`; ValueError on a bad length or padding."""
    _check(key, iv)
    if not ciphertext or len(ciphertext) % BLOCK_SIZE:
        raise ValueError("SM4-CBC ciphertext is not a whole number of blocks")
    if backend.current(impl) == "openssl":
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        dec = Cipher(algorithms.SM4(key), modes.CBC(iv)).decryptor()
        return _unpad(dec.update(ciphertext) + dec.finalize())
    # gmssl strips padding without checking it, so decrypt without it and check here
    blocks = []
    cipher = _gmssl(key, True, False)
    previous = iv
    for i in range(0, len(ciphertext), BLOCK_SIZE):
        block = ciphertext[i:i + BLOCK_SIZE]
        plain = cipher.crypt_ecb(block)
        blocks.append(bytes(a ^ b for a, b in zip(plain, previous, strict=True)))
        previous = block
    return _unpad(b"".join(blocks))
