"""Audit trail and encryption at rest with China's commercial cryptography (SM2, SM3, SM4).

- `record(...)` / `audited(...)`: append a signed, hash-chained record of a state-changing
  command to `audit/audit.jsonl` (`trail.py`); `verify.py` checks it.
- `encrypt_backup` / `decrypt_backup`: SM4 encryption of stored secrets (`backup.py`).
- `sm3.py`, `sm4.py`, `envelope.py`, `sm2.py`, `keys.py`: the primitives and key files.

See docs/adr/0009-audit-chain-and-sm-crypto.md.
"""

from __future__ import annotations

from govops.audit.backup import decrypt_backup, encrypt_backup
from govops.audit.trail import AuditRecord, audited, current, record

__all__ = ["AuditRecord", "audited", "current", "decrypt_backup", "encrypt_backup", "record"]
