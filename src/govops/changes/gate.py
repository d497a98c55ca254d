"""Two-person change approval: what `net push --change` and `cloud up|destroy --change` check
before they touch anything (issue 18, ADR 0018).

The order: on an estate with `change_approval: required`, no `--change` is refused at once
(`require_change`); then the acting operator's role (`operators.roles.act`); then the change
itself (`runnable`): the same command, estate files unchanged since the request, request and
approval signed by their operators' registry keys, approved by another operator who holds
`approver`, not expired, not run before. What will run is compared last (`same_remediation`,
`same_stack`): any difference refuses, and shows it. `mark_used` then records the one run.
Every refusal is an audit record, like a role refusal.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Any

from govops.audit import keys
from govops.audit.sm3 import sm3_hex
from govops.audit.trail import canonical, now_iso
from govops.changes import store
from govops.errors import NotAllowed

#: Lines of difference shown in a refusal (the rest counted).
SHOWN = 30


def binding_files(estate_dir: Path) -> dict[str, str]:
    """What a change binds of the estate: SM3 of every file the model is built from — the
    estate's YAML files, its IPAM lock and the policy tables (not the operator registry, the
    saved plans or anything else in the folder)."""
    from govops.estate.loader import estate_files
    from govops.estate.lockfile import LOCK_NAME
    from govops.estate.policy import POLICY_FILES, find_policy_dir

    root = Path(estate_dir)
    files = {p.name: store.file_sm3(p) for p in estate_files(root)}
    if (root / LOCK_NAME).is_file():
        files[LOCK_NAME] = store.file_sm3(root / LOCK_NAME)
    try:
        policy = find_policy_dir(root)
    except Exception:  # noqa: BLE001 - no policy folder: load_estate has said so already
        policy = None
    for name in POLICY_FILES:
        if policy is not None and (policy / name).is_file():
            files[f"policy/{name}"] = store.file_sm3(policy / name)
    return files


def binding_digest(files: dict[str, str]) -> str:
    return sm3_hex(canonical(files))


def _refuse(command: str, estate_dir: Path, message: str, role: str, change_id: str | None,
            more: list[str] | None = None) -> NotAllowed:
    """Record the refusal (signed by whoever tried, if anyone) and return the error."""
    from govops.operators.roles import record_refusal

    return record_refusal(command, estate_dir, message, role, {"change": change_id},
                          more=more)


def record_refusal_for(command: str, estate_dir: Path, message: str,
                       change_id: str | None) -> NotAllowed:
    """A recorded refusal about a change (for the commands that check one)."""
    return _refuse(command, Path(estate_dir), message, "approver", change_id)


def require_change(estate_dir: Path, approval_required: bool, command: str,
                   change_id: str | None) -> None:
    """On a `change_approval: required` estate a change command runs only with `--change`."""
    if change_id is None and approval_required:
        raise _refuse(command, estate_dir, f"{command} on {estate_dir}: the estate says "
                      "change_approval: required, so it runs only as an approved change: "
                      f"govops change request --estate {estate_dir} …, approval by another "
                      f"operator (govops change approve ID), then {command} --change ID",
                      "approver", None)


def _registry_check(change: store.Change, registry: Any, command: str, estate_dir: Path) -> None:
    """Request and approval signed by operators of the registry; two different people."""
    req = change.request
    requester = registry.by_key(str((req.get("requested") or {}).get("key_id")))
    if requester is None or not store.signature_ok(req, requester.public):
        raise _refuse(command, estate_dir, f"change {change.id}: the request is not signed by "
                      f"an operator of {registry.path} (edited after it was requested, or its "
                      "requester's key was rotated or removed)", "approver", change.id)
    if change.approval is None:
        raise _refuse(command, estate_dir, f"change {change.id} is not approved yet: another "
                      f"operator holding approver runs govops change approve {change.id}",
                      "approver", change.id)
    approval = change.approval
    approved = approval.get("approved") or {}
    approver = registry.by_key(str(approved.get("key_id")))
    if approver is None or not store.signature_ok(approval, approver.public) \
            or approval.get("request_sm3") != store.file_sm3(change.path):
        raise _refuse(command, estate_dir, f"change {change.id}: the approval does not verify "
                      f"with an operator key of {registry.path}, or approves another request "
                      "(edited after approval, or its approver's key was rotated or removed)",
                      "approver", change.id)
    if not approver.holds("approver"):
        raise _refuse(command, estate_dir, f"change {change.id}: approved by {approver.name}, "
                      "who no longer holds approver", "approver", change.id)
    if approver.name == requester.name:
        raise _refuse(command, estate_dir, f"change {change.id}: approved by its own requester "
                      f"{approver.name}: a second operator must approve it", "approver",
                      change.id)


def runnable(change_id: str, estate_dir: Path, command: str, registry: Any) -> store.Change:
    """The change, when `command` may run it now on `estate_dir`; a recorded refusal if not."""
    from govops.errors import BadInput

    try:
        change = store.load(change_id)
    except BadInput as exc:
        raise _refuse(command, estate_dir, str(exc), "approver", change_id) from None
    if change.command != command:
        raise _refuse(command, estate_dir, f"change {change.id} is a {change.command} change, "
                      f"not {command}", "approver", change.id)
    if change.used:
        used = change.used
        raise _refuse(command, estate_dir, f"change {change.id} already ran at {used.get('at')} "
                      f"({used.get('run')}, by {(used.get('by') or {}).get('operator')}): an "
                      "approved change runs once; request a new one", "approver", change.id)
    _registry_check(change, registry, command, estate_dir)
    if change.status() == "expired":
        raise _refuse(command, estate_dir, f"change {change.id}: the approval expired at "
                      f"{change.approval['expires_at']}: request and approve it again",
                      "approver", change.id)
    bound = (change.request.get("estate") or {}).get("files") or {}
    now = binding_files(estate_dir)
    if binding_digest(now) != (change.request.get("estate") or {}).get("sm3") or bound != now:
        def how(name: str) -> str:
            return "changed" if name in bound and name in now else "added" if name in now else "removed"

        lines = [f"  {name}: {how(name)}" for name in sorted(set(bound) | set(now))
                 if bound.get(name) != now.get(name)]
        raise _refuse(command, estate_dir, f"change {change.id}: the estate {estate_dir} is not "
                      "the one that was approved (files differ since the request): request the "
                      "change again", "approver", change.id, lines or ["  (another estate)"])
    return change


def _diff_lines(old: list[str], new: list[str], name: str) -> list[str]:
    return [f"  {line}" for line in difflib.unified_diff(
        old, new, f"{name} (approved)", f"{name} (now)", lineterm="", n=1)]


def same_remediation(change: store.Change, current: dict[str, list[str]], command: str,
                     estate_dir: Path) -> None:
    """The devices and their exact remediation are those approved; else a refusal showing
    every difference (nothing has been sent to any device)."""
    approved: dict[str, list[str]] = change.request.get("devices") or {}
    lines: list[str] = []
    for name in sorted(set(approved) | set(current)):
        if name not in current:
            lines.append(f"  {name}: approved, but not in this push")
        elif name not in approved:
            lines.append(f"  {name}: in this push, but not in the approved change")
        elif approved[name] != current[name]:
            lines.extend(_diff_lines(approved[name], current[name], name))
    if lines:
        differ = sum(1 for n in set(approved) | set(current) if approved.get(n) != current.get(n))
        shown = lines[:SHOWN] + ([f"  … {len(lines) - SHOWN} more lines"] if len(lines) > SHOWN else [])
        raise _refuse(command, estate_dir, f"change {change.id}: what would be pushed differs "
                      f"from what was approved on {differ} device(s); nothing was pushed: "
                      "request the change again", "approver", change.id, shown)


def same_stack(change: store.Change, stack: str, spec: str, command: str,
               estate_dir: Path) -> None:
    """The stack and the exact spec Pulumi is given are those approved; else a refusal."""
    req = change.request
    if req.get("stack") != stack:
        raise _refuse(command, estate_dir, f"change {change.id} is for stack {req.get('stack')}, "
                      f"not {stack}", "approver", change.id)
    if req.get("plan_sm3") != sm3_hex(spec.encode("utf-8")):
        lines = _diff_lines(str(req.get("spec", "")).splitlines(), spec.splitlines(),
                            f"specs/{stack}.json")
        raise _refuse(command, estate_dir, f"change {change.id}: the plan of stack {stack} "
                      "differs from the approved one; nothing was deployed: request the change "
                      "again", "approver", change.id, lines[:SHOWN])


def mark_used(change: store.Change, key: keys.OperatorKey, operator: str, run: str) -> Path:
    """Record the one run of `change` (O_EXCL: a second run, even a concurrent one, fails)."""
    from govops.errors import BadInput

    doc = store.sign({"version": store.VERSION, "id": change.id,
                      "request_sm3": store.file_sm3(change.path),
                      "by": {"operator": operator, "key_id": key.public.key_id},
                      "at": now_iso(), "run": run}, key)
    try:
        return store.write_new(change.path.with_name(f"{change.id}.used.json"), doc)
    except BadInput:
        raise NotAllowed(f"refused: change {change.id} already ran: an approved change runs "
                         "once") from None


def expired(change: store.Change) -> bool:
    when = change.expires_at()
    return when is not None and dt.datetime.now(dt.UTC) >= when
