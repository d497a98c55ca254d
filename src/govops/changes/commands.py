"""`govops change request | approve | list | show`: two-person approval of production changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from govops.console import Output, emit_json, out

app = typer.Typer(help="Two-person change approval: request a change bound to the exact diff, "
                  "another operator approves it, net push / cloud up --change runs it once.",
                  no_args_is_help=True)


def _request_doc(change_id: str, command: str, estate: Path, operator: Any, key: Any,
                 reason: str, expiry_s: int, target: dict[str, Any]) -> dict[str, Any]:
    from govops.audit.trail import now_iso
    from govops.changes import gate, store

    files = gate.binding_files(estate)
    return {"version": store.VERSION, "id": change_id, "command": command,
            "kind": store.KINDS[command],
            "estate": {"dir": str(estate), "path": str(estate.resolve()),
                       "sm3": gate.binding_digest(files), "files": files},
            **target, "reason": reason,
            "requested": {"operator": operator.name, "key_id": key.public.key_id,
                          "at": now_iso()},
            "expires_after_s": expiry_s}


@app.command()
def request(
    estate: Path = typer.Option(..., "--estate", help="Estate folder."),
    reason: str = typer.Option(..., "--reason", help="Why: what the approver reads first."),
    limit: str = typer.Option(None, "--limit", help="net push: devices, names or patterns, "
                              "comma-separated (as net push --limit)."),
    stack: str = typer.Option(None, "--stack", help="A cloud change instead: this stack's "
                              "cloud up (or --destroy)."),
    destroy: bool = typer.Option(False, "--destroy", help="With --stack: a cloud destroy."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Record a change bound to the estate and to exactly what will run: each device's
    remediation (read from the devices now; nothing is sent), or the stack's spec for Pulumi.
    Prints its ID. A system administrator's job."""
    from govops.audit import audited
    from govops.changes import store
    from govops.errors import BadInput
    from govops.estate.loader import load_estate
    from govops.operators.roles import act, acting_key

    if not reason.strip():
        raise BadInput("--reason: say why (the approver reads it first)")
    if destroy and not stack:
        raise BadInput("--destroy: only with --stack (a cloud destroy change)")
    if stack and limit:
        raise BadInput("--limit is for net push changes, --stack for cloud ones: give one")
    loaded = load_estate(estate)
    command = ("cloud destroy" if destroy else "cloud up") if stack else "net push"
    operator = act(estate, "change request")
    key = acting_key()
    if stack:
        from govops.audit.sm3 import sm3_hex
        from govops.cloud import planning

        specs = planning.load_specs(estate)
        planning.select_stacks(specs, stack)
        specs.check()
        spec = planning.spec_text(specs.spec(stack))
        target: dict[str, Any] = {"stack": stack, "limit": None,
                                  "plan_sm3": sm3_hex(spec.encode("utf-8")), "spec": spec}
    else:
        from govops.network import pushing
        from govops.network.diff import select
        from govops.network.rollout import order_devices

        devices = order_devices(loaded, select(loaded, limit))
        if not devices:
            raise BadInput("no managed device selected: check --limit")
        target = {"limit": limit, "stack": None,
                  "devices": pushing.plan_remediation(loaded, devices)}
    change_id = store.new_id()
    doc = store.sign(_request_doc(change_id, command, estate, operator, key, reason.strip(),
                                  loaded.settings.change_expiry_s, target), key)
    path = store.changes_dir() / f"{change_id}.json"
    with audited("change request", estate_dir=estate, artefacts=[path]) as audit:
        store.write_new(path, doc)
        audit.detail.update(change=change_id, command=command, limit=limit, stack=stack)
        audit.device(*(doc.get("devices") or {}))
    change = store.load(change_id)
    if output is Output.json:
        emit_json({**change.summary(), "file": str(path)})
        return
    what = _what(change)
    out.print(f"change {change_id} requested by {operator.name}: {command} on {estate} ({what})")
    out.print(f"another operator holding approver runs: govops change approve {change_id}")


def _what(change: Any) -> str:
    summary = change.summary()
    if change.request.get("kind") == "net":
        return f"{summary['devices']} device(s), {summary['commands']} command(s)"
    return f"stack {summary['stack']}, spec SM3 {str(change.request.get('plan_sm3'))[:12]}…"


def _estate_of(change: Any, estate: Path | None) -> Path:
    from govops.errors import BadInput

    folder = estate or Path((change.request.get("estate") or {}).get("path", ""))
    if not folder.is_dir():
        raise BadInput(f"change {change.id}: its estate {folder} is not here: pass --estate")
    return folder


@app.command()
def approve(
    change_id: str = typer.Argument(..., help="The change (govops change list)."),
    estate: Path = typer.Option(None, "--estate", help="Estate folder (default: the one the "
                                "change was requested on)."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Approve a requested change: another operator than its requester, holding approver,
    signs it. Read it first with govops change show ID."""
    from govops.audit import audited
    from govops.audit.trail import now_iso
    from govops.changes import gate, store
    from govops.errors import BadInput
    from govops.operators.registry import load_registry
    from govops.operators.roles import act, acting_key

    change = store.load(change_id)  # an unknown change: exit 2, nothing recorded
    folder = _estate_of(change, estate)
    approver = act(folder, "change approve")
    status = change.status()
    if status != "requested":
        raise BadInput(f"change {change.id} is {status}, not waiting for approval"
                       + (f" (approved by {change.approver})" if change.approver else ""))
    registry = load_registry(folder)
    requester = registry.by_key(str((change.request.get("requested") or {}).get("key_id")))
    if requester is None or not store.signature_ok(change.request, requester.public):
        raise gate.record_refusal_for("change approve", folder, f"change {change.id}: the "
                                      f"request is not signed by an operator of {registry.path}: "
                                      "it was edited after it was requested", change.id)
    if requester.name == approver.name or requester.key_id == approver.key_id:
        raise gate.record_refusal_for("change approve", folder, f"operator {approver.name} may "
                                      f"not approve change {change.id}: they requested it, and "
                                      "a second operator must approve it", change.id)
    now_files = gate.binding_files(folder)
    if gate.binding_digest(now_files) != change.request["estate"]["sm3"]:
        raise gate.record_refusal_for("change approve", folder, f"change {change.id}: the "
                                      "estate changed since it was requested: request it again",
                                      change.id)
    approved_at = now_iso()
    doc = store.sign({"version": store.VERSION, "id": change.id,
                      "request_sm3": store.file_sm3(change.path),
                      "approved": {"operator": approver.name,
                                   "key_id": acting_key().public.key_id, "at": approved_at},
                      "expires_at": store.expiry(approved_at,
                                                 int(change.request["expires_after_s"]))},
                     acting_key())
    path = change.path.with_name(f"{change.id}.approval.json")
    with audited("change approve", estate_dir=folder, artefacts=[path]) as audit:
        store.write_new(path, doc)
        audit.detail.update(change=change.id, requester=requester.name,
                            command=change.command)
        audit.device(*(change.request.get("devices") or {}))
    change = store.load(change.id)
    if output is Output.json:
        emit_json(change.summary())
        return
    out.print(f"change {change.id} approved by {approver.name} (requested by {requester.name}): "
              f"{change.command}, {_what(change)}; runs once, until {doc['expires_at']}")


@app.command("list")
def list_(
    estate: Path = typer.Option(None, "--estate", help="Only changes of this estate."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Every change: status (requested, approved, used, expired), who asked, who approved."""
    from govops.changes import store

    changes = store.all_changes()
    if estate is not None:
        want = str(estate.resolve())
        changes = [c for c in changes if (c.request.get("estate") or {}).get("path") == want]
    if output is Output.json:
        emit_json([c.summary() for c in changes])
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("change", "status", "command", "what", "requester", "approver", "reason"):
        table.add_column(col, no_wrap=col != "reason")
    for c in changes:
        table.add_row(c.id, c.status(), c.command, _what(c), escape(c.requester),
                      escape(c.approver or ""), escape(str(c.request.get("reason", ""))))
    out.print(table)
    out.print(f"{len(changes)} change(s) in {store.changes_dir()}")


@app.command()
def show(
    change_id: str = typer.Argument(..., help="The change."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """A change in full: what it binds (each device's commands, or the stack's spec digest),
    why, who asked, who approved, whether it ran."""
    from govops.changes import store

    change = store.load(change_id)
    summary = change.summary()
    detail = {**summary, "devices": change.request.get("devices"),
              "plan_sm3": change.request.get("plan_sm3"),
              "estate_sm3": (change.request.get("estate") or {}).get("sm3")}
    if output is Output.json:
        emit_json(detail)
        return
    from rich.markup import escape

    out.print(f"[bold]change {change.id}[/]: {summary['status']}, {change.command} on "
              f"{escape(str(summary['estate']))}")
    out.print(f"reason: {escape(str(summary['reason']))}")
    out.print(f"requested by {escape(change.requester)} at {summary['requested_at']}")
    if change.approval:
        out.print(f"approved by {escape(str(change.approver))} at {summary['approved_at']}, "
                  f"valid until {summary['expires_at']}")
    if change.used:
        out.print(f"ran at {summary['used_at']} by {escape(str(summary['used_by']))} "
                  f"({summary['run']})")
    out.print(f"estate SM3 {detail['estate_sm3']}")
    if change.request.get("kind") == "net":
        for device, lines in (change.request.get("devices") or {}).items():
            out.print(f"[bold]{device}[/]: {len(lines)} command(s)" if lines else
                      f"{device}: no change")
            for line in lines:
                out.print(f"  {escape(line)}", highlight=False)
    else:
        out.print(f"stack {summary['stack']}: spec SM3 {detail['plan_sm3']}")
