"""Change requests, approvals and runs as signed JSON files (issue 18, ADR 0018).

One change is up to three files in the change folder (`GOVOPS_CHANGES_DIR`, else `changes/` in
the checkout), each signed (SM3withSM2 over its canonical JSON without `sig`) by the operator
who wrote it, with the key the estate's registry lists for them:

- `<id>.json`: the request: estate (folder, SM3 over its files, each file's SM3), what will
  run (`net push`: the exact remediation per device; `cloud up|destroy`: the stack and the
  SM3 of the spec Pulumi is given), the requester, the reason, when, and how long an
  approval stays valid.
- `<id>.approval.json`: the approval: the SM3 of the request file it approves, the approver
  (another operator holding `approver`), when, and until when it may run.
- `<id>.used.json`: the one run: who ran it, when, which rollout or stack. Made with O_EXCL:
  of two concurrent runs of one change, one wins.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govops.audit import keys, sm2
from govops.audit.sm3 import sm3_hex
from govops.audit.trail import canonical, now_iso, parse_time
from govops.errors import BadInput
from govops.paths import REPO_ROOT

VERSION = 1
KINDS = {"net push": "net", "cloud up": "cloud", "cloud destroy": "cloud"}


def changes_dir() -> Path:
    """Where change files live: `GOVOPS_CHANGES_DIR`, else `changes/` in the checkout. The
    requester and the approver must see the same folder (a shared checkout on the jump host,
    or shared storage)."""
    raw = os.environ.get("GOVOPS_CHANGES_DIR", "").strip()
    return Path(raw).expanduser() if raw else REPO_ROOT / "changes"


def new_id() -> str:
    """`chg-YYYYMMDD-HHMMSS-xxxx` (UTC)."""
    return "chg-" + dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _signed_bytes(doc: dict[str, Any]) -> bytes:
    return canonical({k: v for k, v in doc.items() if k != "sig"})


def sign(doc: dict[str, Any], key: keys.OperatorKey) -> dict[str, Any]:
    """`doc` with its `sig` by `key`."""
    body = {k: v for k, v in doc.items() if k != "sig"}
    return {**body, "sig": key.sign(_signed_bytes(body))}


def signature_ok(doc: dict[str, Any], public: str) -> bool:
    sig = doc.get("sig")
    return isinstance(sig, str) and sm2.verify(public, _signed_bytes(doc), sig)


def file_sm3(path: Path) -> str:
    return sm3_hex(path.read_bytes())


@dataclass
class Change:
    """A change as stored: the request and, when they exist, its approval and its run."""

    id: str
    request: dict[str, Any]
    approval: dict[str, Any] | None = None
    used: dict[str, Any] | None = None
    folder: Path | None = None

    @property
    def path(self) -> Path:
        return (self.folder or changes_dir()) / f"{self.id}.json"

    @property
    def command(self) -> str:
        return str(self.request.get("command", ""))

    @property
    def requester(self) -> str:
        return str((self.request.get("requested") or {}).get("operator", ""))

    @property
    def approver(self) -> str | None:
        return (self.approval or {}).get("approved", {}).get("operator")

    def expires_at(self) -> dt.datetime | None:
        if not self.approval:
            return None
        return parse_time(self.approval["expires_at"])

    def status(self, now: dt.datetime | None = None) -> str:
        """requested | approved | used | expired."""
        if self.used:
            return "used"
        if not self.approval:
            return "requested"
        when = self.expires_at()
        if when is not None and (now or dt.datetime.now(dt.UTC)) >= when:
            return "expired"
        return "approved"

    def summary(self) -> dict[str, Any]:
        """The JSON of `change list` (and the head of `change show`)."""
        req = self.request
        target = ({"devices": len(req.get("devices") or {}),
                   "commands": sum(len(v) for v in (req.get("devices") or {}).values())}
                  if req.get("kind") == "net" else {"stack": req.get("stack")})
        return {"id": self.id, "command": self.command, "status": self.status(),
                "estate": (req.get("estate") or {}).get("dir"), "limit": req.get("limit"),
                **target, "reason": req.get("reason"), "requester": self.requester,
                "requested_at": (req.get("requested") or {}).get("at"),
                "approver": self.approver,
                "approved_at": (self.approval or {}).get("approved", {}).get("at"),
                "expires_at": (self.approval or {}).get("expires_at"),
                "used_at": (self.used or {}).get("at"),
                "used_by": (self.used or {}).get("by", {}).get("operator"),
                "run": (self.used or {}).get("run")}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise BadInput(f"change file {path}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput(f"change file {path}: not a change file")
    return data


def check_id(change_id: str) -> str:
    if not change_id or not all(c.isalnum() or c == "-" for c in change_id):
        raise BadInput(f"change {change_id!r}: not a change id (govops change list)")
    return change_id


def load(change_id: str, folder: Path | None = None) -> Change:
    """The change `change_id`; BadInput naming it when there is no such change."""
    folder = folder or changes_dir()
    check_id(change_id)
    request = _read(folder / f"{change_id}.json")
    if request is None:
        raise BadInput(f"change {change_id}: no such change in {folder} (govops change list)")
    if request.get("version") != VERSION or request.get("id") != change_id:
        raise BadInput(f"change file {folder / f'{change_id}.json'}: not a version-{VERSION} "
                       f"change {change_id}")
    return Change(change_id, request, _read(folder / f"{change_id}.approval.json"),
                  _read(folder / f"{change_id}.used.json"), folder)


def all_changes(folder: Path | None = None) -> list[Change]:
    """Every change in the folder, oldest first."""
    folder = folder or changes_dir()
    if not folder.is_dir():
        return []
    ids = sorted(p.name[:-len(".json")] for p in folder.glob("chg-*.json")
                 if p.name.count(".") == 1)
    return [load(i, folder) for i in ids]


def write_new(path: Path, doc: dict[str, Any]) -> Path:
    """Write `doc` to `path`, which must not exist (O_EXCL): BadInput naming it if it does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise BadInput(f"{path} already exists") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path


def expiry(approved_at: str, seconds: int) -> str:
    when = parse_time(approved_at) + dt.timedelta(seconds=seconds)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


__all__ = ["Change", "KINDS", "all_changes", "changes_dir", "check_id", "expiry", "file_sm3",
           "load", "new_id", "now_iso", "sign", "signature_ok", "write_new"]
