"""Detached SM2 signatures for reports and exports: `FILE.sig` beside `FILE`.

The signature file is JSON: file name, size and SM3 of the file, the signer's operator name,
key id and public key, the time, and an SM3withSM2 signature over all of that. An auditor checks
it with `govops audit verify-file FILE` against the keyring or a public key given with `--key`
(the public key inside the file is only trusted when its id is one of those).
"""

from __future__ import annotations

import json
from pathlib import Path

from govops.audit import keys, sm2
from govops.audit.sm3 import file_sm3
from govops.audit.trail import canonical, now_iso, signed_bytes
from govops.errors import BadInput, CheckFailed

FORMAT = "govops-sm2-signature"


def default_sig_path(path: Path) -> Path:
    return path.with_name(path.name + ".sig")


def sign_file(path: Path, key: keys.OperatorKey, out: Path | None = None) -> Path:
    """Write a detached signature of `path`; returns the signature file."""
    if not path.is_file():
        raise BadInput(f"{path}: not a file")
    digest, size = file_sm3(path)
    data = {"format": FORMAT, "version": 1, "file": path.name, "size": size, "sm3": digest,
            "operator": key.public.operator, "key_id": key.public.key_id,
            "public": key.public.public, "signed_at": now_iso()}
    data["sig"] = key.sign(signed_bytes(data))
    out = out or default_sig_path(path)
    out.write_bytes(canonical(data) + b"\n")
    return out


def verify_file(path: Path, sig_path: Path | None = None,
                trusted: dict[str, keys.PublicKey] | None = None) -> dict:
    """Check `path` against its detached signature; CheckFailed naming what is wrong, BadInput
    when a file is missing or not a signature. Returns the signature's fields."""
    sig_path = sig_path or default_sig_path(path)
    if not path.is_file():
        raise BadInput(f"{path}: not a file")
    try:
        data = json.loads(sig_path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("not a govops signature")
        key_id, public, sig = str(data["key_id"]), str(data["public"]), str(data["sig"])
        want, size = str(data["sm3"]), int(data["size"])
    except FileNotFoundError:
        raise BadInput(f"{sig_path}: no signature file (make one with govops audit sign-file)") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadInput(f"{sig_path}: not a govops signature file ({exc})") from None
    who = f"{data.get('operator') or '?'} (key {key_id})"
    trusted = trusted or {}
    if key_id not in trusted:
        raise CheckFailed(f"{path}: signed by {who}, which is not a trusted key: add it to the "
                          "keyring or pass --key PUBLIC_KEY_FILE")
    if trusted[key_id].public != public.lower():
        raise CheckFailed(f"{sig_path}: public key does not match trusted key {key_id}")
    if not sm2.verify(trusted[key_id].public, signed_bytes(data), sig):
        raise CheckFailed(f"{sig_path}: the SM2 signature does not verify: the signature file was "
                          "edited")
    digest, actual = file_sm3(path)
    if digest != want or actual != size:
        raise CheckFailed(f"{path}: changed since {who} signed it ({size} → {actual} bytes, SM3 "
                          f"{want[:12]}… → {digest[:12]}…)")
    return data
