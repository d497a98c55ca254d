"""`govops estate …`: validate, show, lock, generate."""

from __future__ import annotations

from pathlib import Path

import typer

from govops.console import Output, emit_json, out

app = typer.Typer(help="The estate model: validate, show, lock addresses, generate.",
                  no_args_is_help=True)

DEFAULT_ESTATE = Path("inventories/lab")


def _print_summary(data: dict) -> None:
    from rich.markup import escape
    from rich.table import Table

    from govops.estate.errors import display_path

    province = data["province"] + (f" ({data['province_display_name']})"
                                   if data.get("province_display_name") else "")
    out.print(f"[bold]{escape(province)}[/]  ({escape(data['estate'])})")
    sites = ", ".join(f"{n} {role}" for role, n in data["sites"].items())
    clouds = ", ".join(f"{n} {kind}" for kind, n in data["clouds"].items())
    out.print(f"sites: {sites}    clouds: {clouds}    tenants: {data['tenants']} "
              f"({data['departments']} departments)    hosts: {data['hosts']}")
    levels = ", ".join(f"{level} {n}" for level, n in data["nodes"].items())
    out.print(f"nodes: {sum(data['nodes'].values())} ({levels})    links: {data['links']}")
    for name, plane in data.get("planes", {}).items():
        label = f"{name} ({plane['display_name']})" if plane["display_name"] else name
        where = "global table" if plane["default"] else (
            f"instance {plane['instance']}, id {plane['id']}")
        out.print(f"plane {escape(label)}: {where}, MLPS {plane['mlps']}, "
                  f"{plane['routers']} routers, {plane['links']} links")
        for leak in plane["leaks"]:
            out.print(f"  leak at {escape(leak)}")
    table = Table(title="IPAM pools", show_edge=False)
    for col in ("pool", "prefix", "block", "used", "capacity", "%"):
        table.add_column(col, justify="right" if col in ("used", "capacity", "%") else "left")
    for name, pool in data["pools"].items():
        table.add_row(name, pool["prefix"], f"/{pool['length']}", str(pool["used"]),
                      str(pool["capacity"]), f"{pool['percent']:.2f}")
    out.print(table)
    lock = data["lock"]
    if lock["unlocked"]:
        out.print(f"[yellow]{lock['unlocked']} allocations are not pinned yet: run "
                  f"govops estate lock {data['estate']}[/]")
    if lock["stale"]:
        out.print(f"[yellow]{lock['stale']} pinned allocations are no longer used: free them "
                  f"with govops estate lock {data['estate']} --prune[/]")
    for section, where in data["declared_empty"].items():
        out.print(f"{section}: none (declared empty at {escape(display_path(where))})")
    waived = data["exceptions"]
    if waived:
        out.print(f"[yellow]exceptions: {len(waived)} waived rule{'s' if len(waived) > 1 else ''}[/]")
        for w in waived:
            who = f"{w['name']} ({w['display_name']})" if w["display_name"] else w["name"]
            out.print(f"  {w['rule']}: {w['kind']} {escape(who)}: {escape(w['reason'])}")
    else:
        out.print("exceptions: none")


@app.command()
def validate(
    estate: Path = typer.Argument(DEFAULT_ESTATE, help="Estate folder."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Validate an estate and print a summary; every problem is listed as FILE:LINE: message."""
    from govops.estate.loader import load_estate
    from govops.estate.report import summary

    data = summary(load_estate(estate))
    if output is Output.json:
        emit_json(data)
    else:
        _print_summary(data)
        out.print("[green]estate is valid[/]")


@app.command()
def show(
    estate: Path = typer.Argument(DEFAULT_ESTATE, help="Estate folder."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Show the whole validated model with every allocation."""
    from govops.estate.loader import load_estate
    from govops.estate.report import full, summary

    loaded = load_estate(estate)
    if output is Output.json:
        emit_json(full(loaded))
        return
    from rich.table import Table

    _print_summary(summary(loaded))
    from rich.text import Text

    named = {"sites": loaded.sites, "clouds": loaded.clouds, "tenants": loaded.tenants,
             "hosts": loaded.hosts}
    for title, items in named.items():
        shown = [(k, v.display_name) for k, v in items.items() if v.display_name]
        if shown:
            table = Table(title=f"{title}: display names", show_edge=False)
            table.add_column("name")
            table.add_column("display name")
            for key, display in shown:
                table.add_row(Text(key), Text(display))
            out.print(table)
    table = Table(title="nodes", show_edge=False)
    for col in ("name", "display name", "level", "platform", "loopback v6", "loopback v4",
                "uplinks", "exceptions"):
        table.add_column(col)
    from govops.estate.views import node_view

    for name, node in loaded.nodes.items():
        view = node_view(loaded, name)
        table.add_row(Text(name), Text(node.display_name), node.level, node.platform,
                      view.loopback_ipv6, view.loopback_ipv4,
                      ", ".join(u.to for u in node.uplinks), Text("; ".join(view.exceptions)))
    out.print(table)


@app.command()
def lock(
    estate: Path = typer.Argument(DEFAULT_ESTATE, help="Estate folder."),
    prune: bool = typer.Option(False, "--prune", help="Free allocations no longer used."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Pin new allocations in ipam.lock.yaml; existing ones never change."""
    from govops.audit import audited
    from govops.estate import lockfile
    from govops.estate.loader import load_estate

    loaded = load_estate(estate, prune=prune)  # an invalid estate stops here: no audit record
    lock_path = Path(loaded.lock_path)
    staged = lockfile.stage(lock_path, loaded.allocation)  # an unwritable folder stops here too
    changed = staged is not None
    new = {k: v for k, v in loaded.allocation.new.items() if v}
    # the new lock is moved into place only after its audit record is written: one unit
    with audited("estate lock", estate_dir=estate, artefacts=[lock_path]) as audit:
        if staged is not None:
            audit.stage(lock_path, staged)
        audit.detail.update(changed=changed, pruned=prune, new=new)
    stale = {k: len(v) for k, v in loaded.allocation.stale.items() if v}
    if output is Output.json:
        emit_json({"lock": loaded.lock_path, "changed": changed, "new": new, "stale": stale,
                   "pruned": prune})
        return
    if not changed:
        out.print(f"{loaded.lock_path}: unchanged")
    else:
        detail = ", ".join(f"{k} +{v}" for k, v in new.items())
        out.print(f"{loaded.lock_path}: {'pruned and ' if prune else ''}updated ({detail})")
    if stale:
        out.print(f"[yellow]kept {sum(stale.values())} unused allocations: --prune frees them[/]")


@app.command()
def generate(
    profile: str = typer.Option(..., "--profile", help="guangdong, sichuan or xianyang."),
    out_dir: Path = typer.Option(..., "--out", help="Folder to write the estate into."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Write a seed-scale estate (byte-identical on every run), its policy and its lock."""
    from govops.estate.generator import generate as run

    result = run(profile, out_dir)
    if output is Output.json:
        emit_json(result)
    else:
        levels = ", ".join(f"{k} {v}" for k, v in result["nodes"].items())
        out.print(f"wrote {result['profile']} estate to {result['out']}: {levels}; "
                  f"{result['tenants']} tenants")
