"""SM2 signatures: the GM/T 0003.5 example on the recommended curve, round trips, failures,
and gmssl's quirks (see govops.audit.sm2)."""

from __future__ import annotations

import pytest

from govops.audit import sm2

# GM/T 0003.5-2012 / GB/T 32918 example on sm2p256v1, default ID "1234567812345678"
D = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
PUBLIC = ("09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
          "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13")
Z_A = "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
K = "59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21"
R = "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
S = "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"
MESSAGE = b"message digest"


def test_standard_example() -> None:
    assert sm2.public_from_private(D) == PUBLIC
    assert sm2.z_a(PUBLIC).hex() == Z_A
    assert sm2.sign(D, PUBLIC, MESSAGE, nonce_hex=K) == R + S
    assert sm2.verify(PUBLIC, MESSAGE, R + S)
    assert sm2.verify("04" + PUBLIC.upper(), MESSAGE, (R + S).upper())


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return sm2.generate()


def test_round_trip_with_random_nonces(pair: tuple[str, str]) -> None:
    private, public = pair
    one, two = sm2.sign(private, public, b"record"), sm2.sign(private, public, b"record")
    assert one != two  # fresh nonce from secrets each time
    assert sm2.verify(public, b"record", one) and sm2.verify(public, b"record", two)


def test_tampered_message_fails(pair: tuple[str, str]) -> None:
    private, public = pair
    sig = sm2.sign(private, public, b"result: failed")
    assert not sm2.verify(public, b"result: ok", sig)


def test_wrong_key_fails(pair: tuple[str, str]) -> None:
    private, public = pair
    _, other = sm2.generate()
    assert not sm2.verify(other, b"x", sm2.sign(private, public, b"x"))


def test_other_user_id_fails(pair: tuple[str, str]) -> None:
    private, public = pair
    sig = sm2.sign(private, public, b"x")
    assert not sm2.verify(public, b"x", sig, user_id=b"ALICE123@YAHOO.COM")


@pytest.mark.parametrize("bad", ["", "00" * 64, "ff" * 64, "zz" * 64, R + S[:-2], R + "0" * 64],
                         ids=["empty", "zero", "too-big", "not-hex", "short", "s-zero"])
def test_malformed_signatures_are_false_not_errors(bad: str) -> None:
    assert sm2.verify(PUBLIC, MESSAGE, bad) is False


def test_off_curve_public_key_is_refused() -> None:
    off = PUBLIC[:-1] + ("4" if PUBLIC[-1] != "4" else "5")
    with pytest.raises(ValueError, match="curve"):
        sm2.normalise_public(off)
    assert sm2.verify(off, MESSAGE, R + S) is False


def test_public_key_starting_with_zero_survives_gmssl_lstrip() -> None:
    """gmssl's constructor does `public_key.lstrip("04")`: with a 04 prefix, an x coordinate
    that starts with 0 or 4 would lose digits. The example key's x starts with 09."""
    assert PUBLIC.startswith("0")
    assert sm2.verify("04" + PUBLIC, MESSAGE, R + S)
    from gmssl import sm2 as gm

    assert gm.CryptSM2(private_key=None, public_key="04" + PUBLIC).public_key != PUBLIC


def test_key_id_is_stable_and_short() -> None:
    assert sm2.key_id(PUBLIC) == sm2.key_id("04" + PUBLIC.upper())
    assert len(sm2.key_id(PUBLIC)) == 16
