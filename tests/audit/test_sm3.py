"""SM3 known answers (GB/T 32905-2016 Appendix A) on every backend, HMAC and PBKDF2 cross-checks."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest

from govops.audit import backend
from govops.audit.sm3 import Hasher, file_sm3, hmac_sm3, pbkdf2_sm3, sm3_hex

BACKENDS = backend.available()

# GB/T 32905-2016, Appendix A: example 1 ("abc") and example 2 ("abcd" × 16, 512 bits)
VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]


@pytest.mark.parametrize("impl", BACKENDS)
@pytest.mark.parametrize(("message", "digest"), VECTORS, ids=["abc", "abcd*16"])
def test_known_answers(impl: str, message: bytes, digest: str) -> None:
    assert sm3_hex(message, impl) == digest


def test_both_backends_exist_here() -> None:
    assert "gmssl" in BACKENDS
    assert "openssl" in BACKENDS, "cryptography's OpenSSL lost SM3/SM4: everything falls back to gmssl"


@pytest.mark.parametrize("size", [0, 1, 55, 56, 63, 64, 65, 1000])
def test_backends_agree_around_block_edges(size: int) -> None:
    data = os.urandom(size)
    assert len({sm3_hex(data, impl) for impl in BACKENDS}) == 1


def test_incremental_equals_one_shot() -> None:
    for impl in BACKENDS:
        hasher = Hasher(impl)
        for part in (b"ab", b"c"):
            hasher.update(part)
        assert hasher.hexdigest() == VECTORS[0][1]


def test_file_digest_streams(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abcd" * 16)
    assert file_sm3(path) == (VECTORS[1][1], 64)


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"y" * 100], ids=["short", "block", "long"])
def test_hmac_matches_stdlib_and_across_backends(key: bytes) -> None:
    message = b"govops audit"
    macs = {hmac_sm3(key, message, impl) for impl in BACKENDS}
    assert len(macs) == 1
    if "sm3" in hashlib.algorithms_available:
        assert macs == {hmac.new(key, message, "sm3").digest()}


def test_pbkdf2_backends_agree() -> None:
    results = {pbkdf2_sm3(b"passphrase", b"salt" * 4, 3, 40, impl) for impl in BACKENDS}
    assert len(results) == 1 and len(results.pop()) == 40
    if "sm3" in hashlib.algorithms_available:
        assert pbkdf2_sm3(b"pw", b"salt", 50) == hashlib.pbkdf2_hmac("sm3", b"pw", b"salt", 50, 32)
