"""`govops cloud …` (stacks, plan, up, destroy) and `govops tenant add`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from govops.console import UNSIGNED_HELP, Output, emit_json, err, out
from govops.estate.errors import display_path

cloud_app = typer.Typer(
    help="Cloud tenancy as code: one Pulumi stack per cloud (1+N+M), planned offline.",
    no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants of the government clouds.", no_args_is_help=True)

DEFAULT_ESTATE = Path("inventories/lab")
ESTATE_HELP = "Estate folder."
OP_STYLE = {"create": "green", "replace": "magenta", "update": "yellow", "delete": "red"}
DISPLAY_ORDER = ("delete", "replace", "update", "create")
"""Text output lists what touches existing resources first."""
OP_SIGN = {"create": "+", "replace": "+-", "update": "~", "delete": "-"}


def _stacks_dir() -> Path:
    from govops.paths import REPO_ROOT

    return REPO_ROOT / "stacks"


def _short(value: Any, width: int = 40) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def short_type(type_: str) -> str:
    """'openstack:networking/subnet:Subnet' → 'networking.Subnet'; components by class name."""
    if type_.startswith("pulumi:providers:"):
        return f"provider {type_.rsplit(':', 1)[1]}"
    parts = type_.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        return f"{parts[1].split('/')[0]}.{parts[2]}"
    return parts[-1]


def _changed_text(change: dict[str, Any]) -> str:
    changed = change.get("changed") or {}
    if change["op"] == "create":
        return f"new ({len(changed)} inputs)"
    if change["op"] == "delete":
        return "-"
    parts = [f"{k}: {_short(old, 24)} → {_short(new, 24)}" for k, (old, new) in changed.items()]
    if change.get("replace_on"):
        parts.append(f"(replaced: {', '.join(change['replace_on'])} cannot change in place)")
    return "; ".join(parts)


def _summary_text(summary: dict[str, int]) -> str:
    parts = [f"[{OP_STYLE[op]}]{n} to {op}[/]" for op, n in summary.items() if n]
    return ", ".join(parts) if parts else "no changes"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def print_changes(changes: list[dict[str, Any]], limit: int, title: str = "changes") -> None:
    """The change table, `limit` rows at most (0: all)."""
    from rich.table import Table
    from rich.text import Text

    if not changes:
        return
    table = Table(title=title, show_edge=False, title_justify="left")
    for col in ("", "type", "name", "changed properties"):
        table.add_column(col, overflow="fold")
    ordered = sorted(changes, key=lambda c: DISPLAY_ORDER.index(c["op"]))  # stable
    shown = ordered if limit <= 0 else ordered[:limit]
    for c in shown:
        style = OP_STYLE[c["op"]]
        table.add_row(Text(f"{OP_SIGN[c['op']]} {c['op']}", style=style),
                      Text(short_type(c["type"])), Text(c["name"]), Text(_changed_text(c)))
    out.print(table)
    if len(shown) < len(changes):
        out.print(f"… {len(changes) - len(shown)} more changes (--limit 0 shows all, "
                  "--output json lists each with every property)")


def print_stack_plan(plan: Any, limit: int) -> None:
    """One stack: resources by type, resources and changes per tenant, then the changes."""
    from rich.table import Table
    from rich.text import Text

    from govops.cloud import diff, mockplan

    stack = plan.stack
    by_type = mockplan.count_by(plan.resources, "type")
    by_tenant = mockplan.count_by(plan.resources, "tenant")
    out.print(f"\n[bold]stack {stack}[/]: {len(plan.resources)} resources, "
              f"{_count(len(by_tenant) - ('-' in by_tenant), 'tenant')} ({plan.seconds:.1f} s)")
    types = Table(title="resources by type", show_edge=False, title_justify="left")
    types.add_column("type")
    types.add_column("count", justify="right")
    for type_, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0])):
        types.add_row(Text(short_type(type_)), str(n))
    out.print(types)
    per_tenant: dict[str, dict[str, int]] = {}
    for c in plan.changes:
        per_tenant.setdefault(c.get("tenant") or "-", dict.fromkeys(diff.OPS, 0))[c["op"]] += 1
    tenants = Table(title="per tenant ('-' is the cloud platform)", show_edge=False,
                    title_justify="left")
    tenants.add_column("tenant")
    tenants.add_column("resources", justify="right")
    for op in diff.OPS:
        tenants.add_column(op, justify="right")
    rows = sorted(set(by_tenant) | set(per_tenant))
    shown = rows if limit <= 0 else rows[:limit]
    for name in shown:
        ops = per_tenant.get(name, dict.fromkeys(diff.OPS, 0))
        tenants.add_row(Text(name), str(by_tenant.get(name, 0)),
                        *(f"[{OP_STYLE[op]}]{ops[op]}[/]" if ops[op] else "." for op in diff.OPS))
    out.print(tenants)
    if len(shown) < len(rows):
        out.print(f"… {len(rows) - len(shown)} more tenants (--limit 0 shows all)")
    summary = diff.summary(plan.changes)
    if not plan.had_saved_plan:
        out.print(f"no saved plan at {display_path(str(plan.saved_plan))}: everything is a creation "
                  "(--save makes this plan the saved one)")
    out.print(f"changes against the saved plan: {_summary_text(summary)}")
    print_changes(plan.changes, limit)
    if plan.saved:
        out.print(f"saved the plan of {stack} to {display_path(str(plan.saved_plan))}")


@cloud_app.command()
def stacks(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help=ESTATE_HELP),
    out_dir: Path = typer.Option(None, "--out", help="The Pulumi project folder "
                                 "(default: stacks/ of the checkout)."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Write the stack config from the estate: Pulumi.<stack>.yaml and specs/<stack>.json."""
    from govops.cloud import planning

    specs = planning.load_specs(estate)
    specs.check()
    written = planning.write_stacks(specs, out_dir or _stacks_dir())
    if output is Output.json:
        emit_json(written.to_json())
        return
    for name, files in written.files.items():
        state = "written" if name in written.changed else "unchanged"
        out.print(f"{name}: {', '.join(display_path(f) for f in files)} ({state})")
    for path in written.stale:
        out.print(f"[yellow]{display_path(path)}: its cloud is no longer in the estate; destroy the stack, "
                  "then delete the file[/]")


@cloud_app.command()
def plan(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help=ESTATE_HELP),
    stack: str = typer.Option("all", "--stack", help="A cloud's stack, or all."),
    save: bool = typer.Option(False, "--save", help="Make this plan the saved plan."),
    plans: Path = typer.Option(None, "--plans", help="Folder of saved plans "
                               "(default: <estate>/.plans)."),
    limit: int = typer.Option(20, "--limit", help="Table rows per stack in text output "
                              "(0: all)."),
    allow_deletes: int = typer.Option(0, "--allow-deletes", min=0, metavar="N",
                                      help="Accept up to N deletions per stack even when they are "
                                      "more than --delete-share of its saved resources."),
    delete_share: float = typer.Option(20.0, "--delete-share", min=0, max=100, metavar="PCT",
                                       help="Refuse a plan deleting more than this percentage of "
                                       "a stack's saved resources (default 20)."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Plan every stack offline (Pulumi mocks): guardrails first, then changes vs the saved plan.

    Exit 1 on a guardrail violation (each one printed with tenant, rule and fix; nothing is
    planned), 2 on bad input or on a plan deleting more than --delete-share of a stack's
    saved resources without --allow-deletes (nothing is saved).
    """
    from govops.cloud import planning
    from govops.cloud.guardrails import GuardrailError
    from govops.errors import CheckFailed

    status = err.status("planning …") if output is Output.text else None

    def progress(name: str) -> None:
        if status is not None:
            status.update(f"planning stack {name} …")

    if status is not None:
        status.start()
    try:
        result = planning.plan_estate(estate, stack, plans, save, progress,
                                      allow_deletes=allow_deletes,
                                      delete_share=delete_share / 100)
    except GuardrailError as exc:
        raise CheckFailed(f"{exc}\n{_count(len(exc.violations), 'guardrail violation')}: "
                          "nothing was planned") from exc
    finally:
        if status is not None:
            status.stop()
    if output is Output.json:
        emit_json(result.to_json())
        return
    for stack_plan in result.stacks:
        print_stack_plan(stack_plan, limit)
    total = result.to_json()["summary"]
    out.print(f"\n[bold]{_count(len(result.stacks), 'stack')}, "
              f"{_count(sum(len(s.resources) for s in result.stacks), 'resource')}:[/] "
              f"{_summary_text(total)}")


def _apply(action: str, stack: str, estate: Path, stacks_dir: Path | None,
           change: str | None = None, unsigned: bool = False) -> None:
    from govops.audit import audited
    from govops.changes import gate
    from govops.cloud import automation, planning
    from govops.operators.roles import act

    # no pulumi CLI, an invalid estate, an unknown stack or a guardrail violation stop the
    # command before anything changes: no audit record (ADR 0010); then who may run it, and
    # under which approved change (ADR 0018): refusals are records
    command = f"cloud {action}"
    automation.require_cli()
    specs = planning.load_specs(estate)
    planning.select_stacks(specs, stack)
    specs.check()
    gate.require_change(estate, specs.estate.settings.approval_required, command, change)
    operator = act(estate, command, unsigned=unsigned)
    approved = None
    if change is not None:
        from govops.errors import BadInput
        from govops.operators.registry import load_registry

        if operator is None:
            raise BadInput("--change needs an operator to run it: drop --unsigned")
        approved = gate.runnable(change, estate, command, load_registry(estate))
        gate.same_stack(approved, stack, planning.spec_text(specs.spec(stack)), command, estate)
    folder = stacks_dir or _stacks_dir()
    tenants = [t.name for t in specs.tenants
               if t.cloud == stack or any(r.cloud == stack for r in t.replicas)]
    with audited(command, estate_dir=estate, tenants=tenants) as audit:
        if approved is not None:
            from govops.operators.roles import acting_key

            audit.add(gate.mark_used(approved, acting_key(), operator.name, f"stack {stack}"))
            audit.detail["change"] = approved.id
        written = planning.write_stacks(specs, folder, [stack])
        # what Pulumi was given: the stack config and spec (inputs: `cloud stacks` rewrites them)
        audit.read(*(Path(f) for f in written.files[stack]))
        audit.detail["stack"] = stack
        changes = automation.run(action, folder, stack, on_output=lambda line: out.print(
            line, end="", markup=False, highlight=False))
        audit.detail["changes"] = changes
    done = ", ".join(f"{op} {n}" for op, n in sorted(changes.items())) or "nothing"
    out.print(f"pulumi {action} of stack {stack}: {done}")


CHANGE_HELP = ("Run this approved change (govops change request --stack …, approve): needed "
               "where the estate says change_approval: required.")


@cloud_app.command()
def up(
    stack: str = typer.Option(..., "--stack", help="The cloud's stack."),
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help=ESTATE_HELP),
    stacks_dir: Path = typer.Option(None, "--stacks", help="The Pulumi project folder "
                                    "(default: stacks/ of the checkout)."),
    change: str = typer.Option(None, "--change", help=CHANGE_HELP),
    unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
) -> None:
    """Deploy one stack to its real cloud (Pulumi Automation API; needs the pulumi CLI)."""
    _apply("up", stack, estate, stacks_dir, change, unsigned)


@cloud_app.command()
def destroy(
    stack: str = typer.Option(..., "--stack", help="The cloud's stack."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: every resource of the stack "
                             "is deleted."),
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help=ESTATE_HELP),
    stacks_dir: Path = typer.Option(None, "--stacks", help="The Pulumi project folder "
                                    "(default: stacks/ of the checkout)."),
    change: str = typer.Option(None, "--change", help=CHANGE_HELP),
    unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
) -> None:
    """Delete every resource of one stack from its real cloud (needs the pulumi CLI)."""
    from govops.errors import BadInput

    if not yes:
        raise BadInput(f"destroy deletes every tenant project of stack {stack} from its cloud: "
                       "pass --yes to confirm")
    _apply("destroy", stack, estate, stacks_dir, change, unsigned)


@tenant_app.command("add")
def add(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help=ESTATE_HELP),
    department: str = typer.Option(..., "--department", help="Department, e.g. hrss."),
    system: str = typer.Option(..., "--system", help="System, e.g. social-security."),
    cloud: str = typer.Option(..., "--cloud", help="The cloud it runs on."),
    mlps: int = typer.Option(..., "--mlps", help="MLPS (等保) level, 1-5."),
    dr_level: int = typer.Option(..., "--dr-level", help="DR level (GB/T 20988), 1-6."),
    quota: str = typer.Option(None, "--quota", help="vcpu=N,ram_gb=N,volume_gb=N,"
                              "floating_ips=N (default: vcpu=16,ram_gb=64,volume_gb=1024,"
                              "floating_ips=0)."),
    network: list[str] = typer.Option(None, "--network", help="NAME[:PORT,PORT] (repeat); "
                                      "ports are open to the world (default: main)."),
    contact: list[str] = typer.Option(None, "--contact", help="Contact address (repeat)."),
    display_name: str = typer.Option("", "--display-name", help="The name people read, e.g. "
                                     "六安市人社局社保系统 (identifiers stay ASCII)."),
    limit: int = typer.Option(30, "--limit", help="Change rows shown (0: all)."),
    unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Add a department system as a tenant: estate YAML (comments kept), IPAM lock, plan change."""
    from govops.cloud import diff, tenants

    nets = tuple(tenants.parse_network(n) for n in network) if network else \
        (tenants.NetworkRequest(tenants.DEFAULT_NETWORK),)
    request = tenants.TenantRequest(
        department=department, system=system, cloud=cloud, mlps=mlps, dr_level=dr_level,
        quotas=tenants.parse_quotas(quota), networks=nets, contacts=tuple(contact or ()),
        display_name=display_name.strip())
    result = tenants.add_tenant(estate, request, unsigned=unsigned)
    if output is Output.json:
        emit_json(result.to_json())
        return
    shown = f"{result.tenant} ({display_name.strip()})" if display_name.strip() else result.tenant
    out.print(f"added tenant [bold]{shown}[/] to {display_path(str(result.file))} "
              f"(cloud {cloud}, MLPS {mlps}, DR {dr_level})")
    for name, pair in result.subnets.items():
        out.print(f"  network {name}: {pair['ipv4']}, {pair['ipv6']} "
                  f"(pinned in {display_path(str(result.lock))})")
    for r in result.replicas:
        out.print(f"  {r['role']} copy on cloud {r['cloud']}, site {r['site']}")
    only_its = all(c["op"] == "create" and c.get("tenant") == result.tenant
                   for c in result.changes)
    out.print(f"plan change on stack {result.stack}: {_summary_text(diff.summary(result.changes))}"
              + (f", all of them {result.tenant}'s; nothing else changes" if only_its else ""))
    print_changes(result.changes, limit, title=f"changes on stack {result.stack}")
