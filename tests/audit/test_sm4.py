"""SM4 known answers (GB/T 32907-2016 Appendix A) and the sealed format (encrypt-then-MAC)."""

from __future__ import annotations

import os

import pytest

from govops.audit import backend, envelope, sm4

BACKENDS = backend.available()

# GB/T 32907-2016, Appendix A, example 1: key = plaintext
KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
ONCE = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
# example 2: the same block encrypted 1,000,000 times with the same key
MILLION = bytes.fromhex("595298c7c6fd271f0402f804c33d3f66")


@pytest.mark.parametrize("impl", BACKENDS)
def test_known_answer(impl: str) -> None:
    assert sm4.encrypt_block(KEY, KEY, impl) == ONCE
    assert sm4.decrypt_block(KEY, ONCE, impl) == KEY


def test_million_iterations() -> None:
    """Example 2 with OpenSSL (about half a second); gmssl (pure Python) would take ~100 s:
    example 1 and the cross-backend tests below cover it."""
    assert "openssl" in BACKENDS, "OpenSSL here has no SM4: install OpenSSL >= 1.1.1"
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.SM4(KEY), modes.ECB()).encryptor()
    block = KEY
    for _ in range(1_000_000):
        block = enc.update(block)
    assert block == MILLION


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100])
def test_cbc_backends_agree_and_round_trip(size: int) -> None:
    key, iv, data = os.urandom(16), os.urandom(16), os.urandom(size)
    outputs = {sm4.cbc_encrypt(key, iv, data, impl) for impl in BACKENDS}
    assert len(outputs) == 1
    ciphertext = outputs.pop()
    assert len(ciphertext) == (size // 16 + 1) * 16
    for impl in BACKENDS:
        assert sm4.cbc_decrypt(key, iv, ciphertext, impl) == data


def test_bad_padding_is_refused_by_every_backend() -> None:
    key, iv = os.urandom(16), os.urandom(16)
    garbage = sm4.cbc_encrypt(key, iv, b"x" * 16)[:16]  # first block only: padding is wrong
    for impl in BACKENDS:
        with pytest.raises(ValueError):
            sm4.cbc_decrypt(key, iv, garbage, impl)


MASTER = os.urandom(32)


def test_seal_round_trip_with_fresh_iv() -> None:
    one, two = envelope.seal(MASTER, b"secret", b"r1"), envelope.seal(MASTER, b"secret", b"r1")
    assert one != two  # random IV
    assert one.startswith(b"GSM4\x01") and b"secret" not in one
    assert envelope.open_sealed(MASTER, one, b"r1") == b"secret"


@pytest.mark.parametrize("impl", BACKENDS)
def test_sealed_by_one_backend_opens_with_the_other(impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVOPS_SM_BACKEND", impl)
    blob = envelope.seal(MASTER, b"running-config", b"r1")
    for other in BACKENDS:
        monkeypatch.setenv("GOVOPS_SM_BACKEND", other)
        assert envelope.open_sealed(MASTER, blob, b"r1") == b"running-config"


def test_wrong_key_is_named_as_such() -> None:
    blob = envelope.seal(MASTER, b"x")
    with pytest.raises(envelope.SealError) as caught:
        envelope.open_sealed(os.urandom(32), blob)
    assert caught.value.kind == "key" and envelope.key_id(MASTER) in str(caught.value)


@pytest.mark.parametrize("where", [5, 14, 30, -40, -1], ids=["key-id", "iv", "ciphertext", "tag-edge", "tag"])
def test_any_flipped_byte_is_refused(where: int) -> None:
    blob = bytearray(envelope.seal(MASTER, b"y" * 40))
    blob[where] ^= 1
    with pytest.raises(envelope.SealError):
        envelope.open_sealed(MASTER, bytes(blob))


def test_context_and_truncation_are_bound() -> None:
    blob = envelope.seal(MASTER, b"z" * 40, b"r1")
    with pytest.raises(envelope.SealError, match="integrity"):
        envelope.open_sealed(MASTER, blob, b"r2")
    with pytest.raises(envelope.SealError):
        envelope.open_sealed(MASTER, blob[:-16], b"r1")
    with pytest.raises(envelope.SealError, match="GSM4"):
        envelope.open_sealed(MASTER, b"hostname r1\n", b"r1")
