"""Who may run a command: the acting operator's unlocked key against the estate's registry.

`require_role` is what state-changing commands call before they touch anything. A refusal is
one line naming the operator, the role needed and the command (`NotAllowed`, exit 2), and it
is itself an audit record (result `refused: …`), signed by the key that tried.
"""

from __future__ import annotations

import sys
from pathlib import Path

from govops.audit import keys
from govops.errors import GovopsError, NotAllowed
from govops.operators.registry import ROLES, Operator, Registry, load_registry


def acting_key() -> keys.OperatorKey | None:
    """The operator key this process acts with (`GOVOPS_AUDIT_KEY`, unlocked), or None."""
    return keys.from_env()


def _refuse(message: str, command: str, role: str, estate_dir: Path,
            key: keys.OperatorKey | None, operator: str) -> NotAllowed:
    """Record the refusal in the audit trail and return the error to raise."""
    from govops.audit.trail import record

    refusal = NotAllowed(f"refused: {message}")
    try:
        record(command, ["govops", *sys.argv[1:]], f"refused: {message}", estate_dir=estate_dir,
               detail={"refused": {"operator": operator, "role": role}}, key=key)
    except GovopsError as exc:  # the refusal stands; say that it is not on record
        refusal = NotAllowed(f"refused: {message} (and the refusal could not be recorded: "
                             f"{(str(exc).splitlines() or [''])[0]})")
    return refusal


def authorize(registry: Registry, key: keys.OperatorKey | None, role: str, command: str,
              estate_dir: Path) -> Operator:
    """The registry entry of `key` when it holds `role`; else record and raise a refusal."""
    if key is None:
        raise _refuse(f"{command} needs an operator holding {role}, and no operator key is set "
                      "(GOVOPS_AUDIT_KEY and GOVOPS_AUDIT_PASSPHRASE)", command, role,
                      estate_dir, None, "")
    operator = registry.by_key(key.public.key_id)
    if operator is None:
        who = key.public.operator or "?"
        raise _refuse(f"operator {who} (key {key.public.key_id}) is not in {registry.path}, so "
                      f"may not run {command}, which needs {role} (a rotated or unknown key)",
                      command, role, estate_dir, key, who)
    if not operator.holds(role):
        raise _refuse(f"operator {operator.name} may not run {command}: it needs {role}, and "
                      f"{operator.name} holds {', '.join(operator.roles)}", command, role,
                      estate_dir, key, operator.name)
    return operator


def require_role(estate_dir: Path, role: str, command: str) -> Operator:
    """The acting operator (from the unlocked `GOVOPS_AUDIT_KEY`) when the estate's registry
    gives them `role`; otherwise `NotAllowed`, one line naming the operator, the role and the
    command, after an audit record of the refusal. BadInput when the registry is missing or
    does not verify."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    registry = load_registry(Path(estate_dir))
    return authorize(registry, acting_key(), role, command, Path(estate_dir))
