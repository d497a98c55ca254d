"""`govops operators …`: init, add, remove, rotate, list."""

from __future__ import annotations

from pathlib import Path

import typer

from govops.console import Output, emit_json, out

app = typer.Typer(help="Operators and roles: the estate's signed registry (operators.yaml).",
                  no_args_is_help=True)

ESTATE_HELP = "Estate folder (the registry is its operators.yaml)."
ROLE_HELP = "system-admin, security-admin, audit-admin or approver (repeat for several)."


def _estate(estate: Path) -> Path:
    from govops.errors import BadInput

    if not estate.is_dir():
        raise BadInput(f"--estate {estate}: no such directory")
    return estate


def _write(command: str, registry, signer, detail: dict, output: Output,
           estate: Path | None = None) -> bool:
    """Sign and write `registry`; the file moves into place only once its audit record is
    written (the record holds the new registry's SM3). Prints JSON for `--output json`;
    returns True when the caller should print its text line."""
    from govops.audit import audited
    from govops.operators.registry import check_pinned, stage

    estate = estate or registry.path.parent
    if signer is not None:
        check_pinned(estate, signer.public.key_id, f"{command}: {registry.path}")
    staged = stage(registry, signer)  # a refused signer or an unwritable folder stops here
    try:
        with audited(command, estate_dir=estate, artefacts=[registry.path]) as audit:
            audit.stage(registry.path, staged)
            audit.detail.update(detail)
    finally:
        staged.unlink(missing_ok=True)  # already moved into place when all went well
    if output is Output.json:
        emit_json({"registry": str(registry.path), "command": command, **detail})
    return output is Output.text


def _public(path: Path):
    from govops.audit import keys

    return keys.load_public(path.expanduser())


@app.command()
def init(
    estate: Path = typer.Option(..., "--estate", help=ESTATE_HELP),
    name: str = typer.Option(None, "--name", help="Registry name (default: the key's operator)."),
    role: list[str] = typer.Option(None, "--role", help="More roles for the first operator "
                                   "besides security-admin (a lab or demo operator holds all)."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Make the registry with its first security administrator: the operator whose key is
    unlocked (GOVOPS_AUDIT_KEY and its passphrase), who also signs it. Where a trust anchor
    pins the registry's signers (GOVOPS_OPERATORS_ANCHOR), that key must be listed there."""
    from govops.errors import BadInput
    from govops.operators.registry import SECURITY_ADMIN, new_registry, operator_from_key, registry_path
    from govops.operators.roles import acting_key

    path = registry_path(_estate(estate))
    if path.exists() or path.is_symlink():
        raise BadInput(f"{path} already exists: change it with govops operators add/remove/rotate")
    key = acting_key()
    if key is None:
        raise BadInput("no operator key: set GOVOPS_AUDIT_KEY (and GOVOPS_AUDIT_PASSPHRASE) to "
                       "the first security administrator's key, made with govops audit keygen")
    first = operator_from_key(name or key.public.operator, key.public, [SECURITY_ADMIN, *(role or [])])
    registry = new_registry(estate, first)
    from govops.estate.settings import read_settings

    if not read_settings(estate).is_lab:  # a lab follows the checkout's tables unsealed
        registry = registry.with_policy(_seal(estate, first.name))
    text = _write("operators init", registry, key,
                  {"operator": first.name, "key_id": first.key_id, "roles": list(first.roles)}, output,
                  estate)
    if text:
            out.print(f"{path}: {first.name} (key {first.key_id}) is the first security "
                  "administrator; commit the file")


@app.command()
def add(
    name: str = typer.Argument(..., help="Operator name."),
    key: Path = typer.Option(..., "--key", help="The operator's public key file (.sm2.pub)."),
    role: list[str] = typer.Option(..., "--role", help=ROLE_HELP),
    estate: Path = typer.Option(..., "--estate", help=ESTATE_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Add an operator with roles (security administrators only); the registry is re-signed."""
    from govops.errors import BadInput
    from govops.operators.registry import SECURITY_ADMIN, load_registry, operator_from_key
    from govops.operators.roles import acting_key, authorize

    registry = load_registry(_estate(estate))
    entry = operator_from_key(name, _public(key), role)
    actor = authorize(registry, acting_key(), SECURITY_ADMIN, "operators add", estate)
    if registry.by_name(entry.name):
        raise BadInput(f"operator {entry.name} is already in {registry.path}: remove it first, "
                       "or rotate its key")
    holder = registry.by_key(entry.key_id)
    if holder:
        raise BadInput(f"key {entry.key_id} already belongs to operator {holder.name}: each "
                       "operator has a key of their own")
    text = _write("operators add", registry.with_operators([*registry.operators, entry]),
                  acting_key(), {"operator": entry.name, "key_id": entry.key_id,
                                 "roles": list(entry.roles), "by": actor.name}, output, estate)
    if text:
        out.print(f"{registry.path}: added {entry.name} (key {entry.key_id}) as "
                  f"{', '.join(entry.roles)}; signed by {actor.name}")


@app.command()
def remove(
    name: str = typer.Argument(..., help="Operator name."),
    estate: Path = typer.Option(..., "--estate", help=ESTATE_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Remove an operator (security administrators only; not yourself); re-signed."""
    from govops.errors import BadInput
    from govops.operators.registry import SECURITY_ADMIN, load_registry
    from govops.operators.roles import acting_key, authorize

    registry = load_registry(_estate(estate))
    actor = authorize(registry, acting_key(), SECURITY_ADMIN, "operators remove", estate)
    gone = registry.by_name(name)
    if gone is None:
        raise BadInput(f"operator {name} is not in {registry.path} (govops operators list)")
    if gone == actor:
        raise BadInput(f"operator {name}: a security administrator cannot remove themselves: "
                       "ask another security administrator")
    kept = [op for op in registry.operators if op != gone]
    text = _write("operators remove", registry.with_operators(kept), acting_key(),
                  {"operator": gone.name, "key_id": gone.key_id, "by": actor.name}, output, estate)
    if text:
        out.print(f"{registry.path}: removed {gone.name} (key {gone.key_id}); signed by "
                  f"{actor.name}")


@app.command()
def rotate(
    name: str = typer.Argument(..., help="Operator name."),
    key: Path = typer.Option(..., "--key", help="The new key: its public key file; for your "
                             "own key, the new private key file (it signs the registry)."),
    estate: Path = typer.Option(..., "--estate", help=ESTATE_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Replace an operator's key (security administrators only); the old key stops being
    accepted at once. Rotating your own key signs the registry with the new one."""
    from dataclasses import replace

    from govops.audit import keys
    from govops.audit.commands import _passphrase
    from govops.audit.trail import now_iso
    from govops.errors import BadInput
    from govops.operators.registry import SECURITY_ADMIN, load_registry
    from govops.operators.roles import acting_key, authorize

    registry = load_registry(_estate(estate))
    new_pub = _public(key)
    actor = authorize(registry, acting_key(), SECURITY_ADMIN, "operators rotate", estate)
    old = registry.by_name(name)
    if old is None:
        raise BadInput(f"operator {name} is not in {registry.path} (govops operators list)")
    holder = registry.by_key(new_pub.key_id)
    if holder:
        raise BadInput(f"key {new_pub.key_id} already belongs to operator {holder.name}: "
                       "rotate to a new key (govops audit keygen)")
    signer = acting_key()
    if old == actor:  # the old key leaves the registry: the new one must sign it
        signer = keys.unlock(key.expanduser(), _passphrase(False)) if _is_private(key) else None
        if signer is None:
            raise BadInput(f"--key {key}: to rotate your own key give the new private key file "
                           "(.sm2.key): the registry is signed with it")
    entry = replace(old, key_id=new_pub.key_id, public=new_pub.public, added=now_iso())
    rotated = [entry if op == old else op for op in registry.operators]
    text = _write("operators rotate", registry.with_operators(rotated), signer,
                  {"operator": name, "old_key_id": old.key_id, "key_id": entry.key_id,
                   "by": actor.name}, output, estate)
    if text:
        out.print(f"{registry.path}: {name} now signs with key {entry.key_id} (key {old.key_id} "
                  f"no longer accepted); signed by {'the new key' if old == actor else actor.name}")


def _seal(estate: Path, by: str) -> dict:
    from govops.audit.trail import now_iso
    from govops.operators.seal import current

    return {**current(estate), "sealed_by": by, "sealed_at": now_iso()}


@app.command("seal-policy")
def seal_policy(
    estate: Path = typer.Option(..., "--estate", help=ESTATE_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Seal the policy tables and waived rules as they are now (security administrators only):
    system administrators' commands run only while they match the seal. Review the change
    first (git diff of policy/ and of the waivers: govops estate validate lists them)."""
    from govops.operators.registry import SECURITY_ADMIN, load_registry
    from govops.operators.roles import acting_key, authorize
    from govops.operators.seal import differences

    registry = load_registry(_estate(estate))
    actor = authorize(registry, acting_key(), SECURITY_ADMIN, "operators seal-policy", estate)
    changed = differences(registry.policy, estate) if registry.policy else ["first seal"]
    seal = _seal(estate, actor.name)
    text = _write("operators seal-policy", registry.with_policy(seal), acting_key(),
                  {"by": actor.name, "changed": changed, "tables": seal["tables"],
                   "waived": seal["waived"]}, output, estate)
    if text:
        out.print(f"{registry.path}: policy tables and {seal['waived']} waived rule(s) sealed by "
                  f"{actor.name} ({'; '.join(changed) or 'nothing changed'})")


def _is_private(path: Path) -> bool:
    import json

    from govops.audit.keys import PRIVATE_FORMAT

    try:
        return json.loads(path.expanduser().read_text(encoding="utf-8")).get("format") == PRIVATE_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


@app.command("list")
def list_(
    estate: Path = typer.Option(..., "--estate", help=ESTATE_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """List the operators and their roles (the registry's signature is checked first)."""
    from govops.operators.registry import load_registry

    registry = load_registry(_estate(estate))
    if output is Output.json:
        emit_json({"registry": str(registry.path), "signed_by": registry.signature["operator"],
                   "signed_key_id": registry.signature["key_id"],
                   "signed_at": registry.signature["signed_at"],
                   "operators": [{k: v for k, v in op.to_json().items() if k != "public"}
                                 for op in registry.operators]})
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("operator", "key", "roles", "added (UTC)"):
        table.add_column(col, no_wrap=True)
    for op in registry.operators:
        table.add_row(escape(op.name), op.key_id, ", ".join(op.roles), op.added.replace("T", " ")[:19])
    out.print(table)
    out.print(f"{len(registry.operators)} operator(s) in {registry.path}; signed by "
              f"{escape(registry.signature['operator'])} at {registry.signature['signed_at']}")
