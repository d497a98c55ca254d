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

SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN, APPROVER = ROLES
#: Every command that changes something, and the one role it needs (ADR 0018). Audit
#: administrators need none of these: `audit show/verify/export`, like every read-only
#: command, are open to whoever can read the trail.
COMMAND_ROLES: dict[str, str] = {
    "net push": SYSTEM_ADMIN,
    "net resume": SYSTEM_ADMIN,
    "net rollback": SYSTEM_ADMIN,
    "estate lock": SYSTEM_ADMIN,
    "tenant add": SYSTEM_ADMIN,
    "cloud up": SYSTEM_ADMIN,
    "cloud destroy": SYSTEM_ADMIN,
    "drill run": SYSTEM_ADMIN,
    "drill recover": SYSTEM_ADMIN,
    "hosts apply": SYSTEM_ADMIN,
    "lab up": SYSTEM_ADMIN,     # on a non-lab estate only
    "lab down": SYSTEM_ADMIN,   # of a lab built from a non-lab estate only
    "change request": SYSTEM_ADMIN,
    "change approve": APPROVER,
    "operators add": SECURITY_ADMIN,
    "operators remove": SECURITY_ADMIN,
    "operators rotate": SECURITY_ADMIN,
    "operators seal-policy": SECURITY_ADMIN,
}


def acting_key() -> keys.OperatorKey | None:
    """The operator key this process acts with (`GOVOPS_AUDIT_KEY`, unlocked), or None."""
    return keys.from_env()


def _refuse(message: str, command: str, role: str, estate_dir: Path,
            key: keys.OperatorKey | None, operator: str, detail: dict | None = None,
            more: list[str] | None = None) -> NotAllowed:
    """Record the refusal in the audit trail and return the error to raise: one line, then
    `more` (a difference to show) on the lines after it."""
    from govops.audit.trail import record

    tail = "".join(f"\n{line}" for line in more or [])
    refusal = NotAllowed(f"refused: {message}{tail}")
    try:
        record(command, ["govops", *sys.argv[1:]], f"refused: {message}", estate_dir=estate_dir,
               detail={"refused": {"operator": operator, "role": role}, **(detail or {})},
               key=key, unsigned="refusal" if key is None else None)
    except GovopsError as exc:  # the refusal stands; say that it is not on record
        refusal = NotAllowed(f"refused: {message} (and the refusal could not be recorded: "
                             f"{(str(exc).splitlines() or [''])[0]}){tail}")
    return refusal


def record_refusal(command: str, estate_dir: Path, message: str, role: str,
                   detail: dict | None = None, more: list[str] | None = None) -> NotAllowed:
    """A refusal that is not about a role (an unapproved change, a diff that moved), recorded
    and signed by whoever tried (their name from the registry when it lists them)."""
    key = acting_key_or_none()
    name = key.public.operator if key else ""
    if key is not None:
        try:
            found = load_registry(Path(estate_dir)).by_key(key.public.key_id)
            name = found.name if found else name
        except GovopsError:
            pass
    return _refuse(message, command, role, Path(estate_dir), key, name, detail, more)


def authorize(registry: Registry, key: keys.OperatorKey | None, role: str, command: str,
              estate_dir: Path) -> Operator:
    """The registry entry of `key` when it holds `role`; else record and raise a refusal."""
    if key is None:
        raise _refuse(f"{command} needs an operator holding {role}, and no operator key is set "
                      "(GOVOPS_AUDIT_KEY, unlocked with GOVOPS_AUDIT_PASSPHRASE, "
                      "GOVOPS_AUDIT_PASSPHRASE_FILE or the terminal)", command, role,
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


def act(estate_dir: Path, command: str, *, unsigned: bool = False) -> Operator | None:
    """The gate every state-changing command passes before it touches anything: the acting
    operator when the estate's registry gives them the role `command` needs (COMMAND_ROLES).

    `unsigned` (`--unsigned`): no operator at all, and the command's audit record unsigned
    (chain only) — allowed on the lab estate only (`lab: true`, not `change_approval:
    required`); returns None. Anywhere else it is a refusal, recorded like the others."""
    from govops.audit.trail import allow_unsigned
    from govops.estate.settings import read_settings

    role = COMMAND_ROLES[command]
    estate_dir = Path(estate_dir)
    if unsigned:
        if not read_settings(estate_dir).is_lab:
            key = acting_key_or_none()
            raise _refuse(f"{command} --unsigned: unsigned records are allowed only on the lab "
                          f"estate (lab: true in province.yaml, without change_approval: "
                          f"required), and {estate_dir} is not one", command, role, estate_dir,
                          key, key.public.operator if key else "")
        allow_unsigned("lab")
        return None
    allow_unsigned(None)  # a command that did not ask for --unsigned signs its record
    registry = load_registry(estate_dir)
    key = acting_key()
    operator = authorize(registry, key, role, command, estate_dir)
    if role == SYSTEM_ADMIN and registry.policy is not None:
        from govops.operators.seal import differences

        changed = differences(registry.policy, estate_dir)
        if changed:
            raise _refuse(f"{command}: the policy tables or waived rules of {estate_dir} are not "
                          f"the ones security administrator {registry.policy.get('sealed_by')} "
                          f"sealed ({'; '.join(changed)}): a security administrator reviews them "
                          "and runs govops operators seal-policy", command, SECURITY_ADMIN,
                          estate_dir, key, operator.name)
    return operator


def acting_key_or_none() -> keys.OperatorKey | None:
    """The acting key if one is configured and unlocks; None otherwise (for refusals)."""
    try:
        return acting_key()
    except GovopsError:
        return None
