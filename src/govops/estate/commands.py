"""`govops estate …`: validate, show, lock, generate."""

from __future__ import annotations

from pathlib import Path

import typer

from govops.console import UNSIGNED_HELP, Output, emit_json, lang_option, language, out
from govops.i18n import Translator

app = typer.Typer(help="The estate model: validate, show, lock addresses, generate.",
                  no_args_is_help=True)

DEFAULT_ESTATE = Path("inventories/lab")


def _print_summary(data: dict, tr: Translator) -> None:
    """The summary `validate` and `show` print, in the translator's language."""
    from rich.markup import escape
    from rich.table import Table

    from govops.estate.errors import display_path
    from govops.i18n.terms import term

    province = tr.named(data["province"], data.get("province_display_name"))
    out.print(f"[bold]{escape(province)}[/]  ({escape(data['estate'])})")
    sites = tr(", ").join(tr("{n} {what}", n=n, what=term(tr, "role", role))
                          for role, n in data["sites"].items())
    clouds = tr(", ").join(tr("{n} {what}", n=n, what=term(tr, "cloud", kind))
                           for kind, n in data["clouds"].items())
    out.print(tr("sites: {sites}    clouds: {clouds}    tenants: {tenants} ({departments} "
                 "departments)    hosts: {hosts}", sites=sites, clouds=clouds,
                 tenants=data["tenants"], departments=data["departments"], hosts=data["hosts"]))
    levels = tr(", ").join(tr("{what} {n}", n=n, what=term(tr, "level", level))
                           for level, n in data["nodes"].items())
    out.print(tr("nodes: {total} ({levels})    links: {links}", total=sum(data["nodes"].values()),
                 levels=levels, links=data["links"]))
    for name, plane in data.get("planes", {}).items():
        label = f"{name} ({plane['display_name']})" if plane["display_name"] else name
        where = tr("global table") if plane["default"] else tr(
            "instance {instance}, id {id}", instance=plane["instance"], id=plane["id"])
        out.print(tr("plane {label}: {where}, MLPS {mlps}, {routers} routers, {links} links",
                     label=escape(label), where=where, mlps=plane["mlps"],
                     routers=plane["routers"], links=plane["links"]))
        for leak in plane["leaks"]:
            out.print(tr("  leak at {leak}", leak=escape(leak)))
    table = Table(title=tr("IPAM pools"), show_edge=False)
    columns = (("pool", tr("pool")), ("prefix", tr("prefix")), ("block", tr("block")),
               ("used", tr("used")), ("capacity", tr("capacity")), ("%", "%"))
    for col, label in columns:
        table.add_column(label, justify="right" if col in ("used", "capacity", "%") else "left")
    for name, pool in data["pools"].items():
        table.add_row(name, pool["prefix"], f"/{pool['length']}", str(pool["used"]),
                      str(pool["capacity"]), f"{pool['percent']:.2f}")
    out.print(table)
    lock = data["lock"]
    if lock["unlocked"]:
        out.print("[yellow]" + escape(tr("{n} allocations are not pinned yet: run govops estate "
                                         "lock {estate}", n=lock["unlocked"],
                                         estate=data["estate"])) + "[/]")
    if lock["stale"]:
        out.print("[yellow]" + escape(tr("{n} pinned allocations are no longer used: free them "
                                         "with govops estate lock {estate} --prune",
                                         n=lock["stale"], estate=data["estate"])) + "[/]")
    for section, where in data["declared_empty"].items():
        out.print(escape(tr("{section}: none (declared empty at {where})", section=section,
                            where=display_path(where))))
    waived = data["exceptions"]
    if waived:
        out.print("[yellow]" + escape(tr.ntr("exceptions: {n} waived rule",
                                             "exceptions: {n} waived rules", len(waived))) + "[/]")
        for w in waived:
            who = tr.named(w["name"], w["display_name"])
            out.print(f"  {w['rule']}: {w['kind']} {escape(who)}: {escape(w['reason'])}")
    else:
        out.print(tr("exceptions: none"))


@app.command()
def validate(
    estate: Path = typer.Argument(DEFAULT_ESTATE, help="Estate folder."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
    lang: str = lang_option(),
) -> None:
    """Validate an estate and print a summary; every problem is listed as FILE:LINE: message."""
    from govops.estate.loader import load_estate
    from govops.estate.report import summary

    tr = language(lang)
    data = summary(load_estate(estate))
    if output is Output.json:
        emit_json(data)
    else:
        _print_summary(data, tr)
        out.print("[green]" + tr("estate is valid") + "[/]")


@app.command()
def show(
    estate: Path = typer.Argument(DEFAULT_ESTATE, help="Estate folder."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
    lang: str = lang_option(),
) -> None:
    """Show the whole validated model with every allocation."""
    from govops.estate.loader import load_estate
    from govops.estate.report import full, summary
    from govops.i18n.terms import term

    tr = language(lang)
    loaded = load_estate(estate)
    if output is Output.json:
        emit_json(full(loaded))
        return
    from rich.table import Table

    _print_summary(summary(loaded), tr)
    from rich.text import Text

    named = {tr("sites"): loaded.sites, tr("clouds"): loaded.clouds,
             tr("tenants"): loaded.tenants, tr("hosts"): loaded.hosts}
    for title, items in named.items():
        shown = [(k, v.display_name) for k, v in items.items() if v.display_name]
        if shown:
            table = Table(title=tr("{section}: display names", section=title), show_edge=False)
            table.add_column(tr("name"))
            table.add_column(tr("display name"))
            for key, display in shown:
                table.add_row(Text(key), Text(display))
            out.print(table)
    table = Table(title=tr("nodes"), show_edge=False)
    for col in (tr("name"), tr("display name"), tr("level"), tr("platform"), tr("loopback v6"),
                tr("loopback v4"), tr("uplinks"), tr("exceptions")):
        table.add_column(col)
    from govops.estate.views import node_view

    for name, node in loaded.nodes.items():
        view = node_view(loaded, name)
        table.add_row(Text(name), Text(node.display_name), term(tr, "level", node.level),
                      node.platform,
                      view.loopback_ipv6, view.loopback_ipv4,
                      ", ".join(u.to for u in node.uplinks), Text("; ".join(view.exceptions)))
    out.print(table)


@app.command()
def lock(
    estate: Path = typer.Argument(DEFAULT_ESTATE, help="Estate folder."),
    prune: bool = typer.Option(False, "--prune", help="Free allocations no longer used."),
    unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Pin new allocations in ipam.lock.yaml; existing ones never change."""
    from govops.audit import audited
    from govops.estate import lockfile
    from govops.estate.loader import load_estate
    from govops.operators.roles import act

    loaded = load_estate(estate, prune=prune)  # an invalid estate stops here: no audit record
    act(estate, "estate lock", unsigned=unsigned)
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
