"""SM2 signatures (GB/T 32918.2-2016, curve sm2p256v1) with gmssl's point arithmetic.

gmssl quirks worked around here:

- its nonce comes from `random.choice` (not a CSPRNG): we always pass our own from `secrets`;
- `CryptSM2(public_key="04…")` strips the prefix with `str.lstrip("04")`, which also eats an
  x coordinate that starts with 0 or 4: we set `public_key` after construction;
- it neither checks that a public key lies on the curve nor that r and s are in [1, n-1]: we do;
- it hashes Z_A ‖ M with its pure-Python SM3 over a hex string: we compute
  e = SM3(Z_A ‖ M) with `sm3.py` and call its raw `sign`/`verify` on e;
- `sign` returns None for the rare unusable nonce: we draw again;
- it has no key generation: d is drawn with `secrets` and d·G computed with its `_kg`.

Keys and signatures are hex: private d (64 digits), public x‖y (128 digits, no 04 prefix),
signature r‖s (128 digits).
"""

from __future__ import annotations

import functools
import secrets

from govops.audit.sm3 import sm3

P = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
A = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC", 16)
B = int("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16)
N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
GX = "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7"
GY = "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0"
DEFAULT_ID = b"1234567812345678"


def _engine(private_hex: str | None = None, public_hex: str = ""):
    from gmssl import sm2 as gm

    engine = gm.CryptSM2(private_key=private_hex, public_key="")
    engine.public_key = public_hex  # never through the constructor: see the module docstring
    return engine


def normalise_public(public_hex: str) -> str:
    """x‖y as 128 lower-case hex digits; accepts an uncompressed 04‖x‖y. ValueError if not
    a point of the curve."""
    text = public_hex.strip().lower()
    if len(text) == 130 and text.startswith("04"):
        text = text[2:]
    if len(text) != 128:
        raise ValueError("SM2 public key must be 64 bytes x‖y (or 65 with the 04 prefix)")
    x, y = int(text[:64], 16), int(text[64:], 16)
    if not (0 <= x < P and 0 <= y < P) or (y * y - (x * x * x + A * x + B)) % P:
        raise ValueError("SM2 public key is not a point of the curve")
    return text


def public_from_private(private_hex: str) -> str:
    """d·G for a private key d."""
    d = int(private_hex, 16)
    if not 1 <= d <= N - 2:
        raise ValueError("SM2 private key out of range")
    return _engine(private_hex)._kg(d, GX + GY)


def generate() -> tuple[str, str]:
    """A new key pair (private hex, public hex); d uniform in [1, n-2]."""
    private_hex = "%064x" % (secrets.randbelow(N - 2) + 1)
    return private_hex, public_from_private(private_hex)


def key_id(public_hex: str) -> str:
    """A short stable name for a public key: the first 8 bytes of SM3(x‖y), 16 hex digits."""
    return sm3(bytes.fromhex(normalise_public(public_hex)))[:8].hex()


@functools.lru_cache(maxsize=64)
def z_a(public_hex: str, user_id: bytes = DEFAULT_ID) -> bytes:
    """Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)."""
    data = ((len(user_id) * 8).to_bytes(2, "big") + user_id + A.to_bytes(32, "big")
            + B.to_bytes(32, "big") + bytes.fromhex(GX + GY) + bytes.fromhex(public_hex))
    return sm3(data)


def _e(public_hex: str, message: bytes, user_id: bytes) -> bytes:
    return sm3(z_a(public_hex, user_id) + message)


def sign(private_hex: str, public_hex: str, message: bytes, user_id: bytes = DEFAULT_ID,
         nonce_hex: str | None = None) -> str:
    """SM3withSM2 signature r‖s of `message`. `nonce_hex` is for known-answer tests only."""
    public_hex = normalise_public(public_hex)
    e = _e(public_hex, message, user_id)
    engine = _engine(private_hex, public_hex)
    while True:
        k = nonce_hex or "%064x" % (secrets.randbelow(N - 1) + 1)
        signature = engine.sign(e, k)
        if signature:
            return signature
        if nonce_hex:
            raise ValueError("this nonce gives no signature")


def verify(public_hex: str, message: bytes, signature_hex: str, user_id: bytes = DEFAULT_ID) -> bool:
    """True when `signature_hex` is a valid SM3withSM2 signature of `message` by `public_hex`."""
    try:
        public_hex = normalise_public(public_hex)
        if len(signature_hex) != 128:
            return False
        r, s = int(signature_hex[:64], 16), int(signature_hex[64:], 16)
    except ValueError:
        return False
    if not (1 <= r < N and 1 <= s < N):
        return False
    return bool(_engine(None, public_hex).verify(signature_hex.lower(), _e(public_hex, message, user_id)))
