"""`govops net render | diff`: intended configs from the estate, and how devices differ."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from govops.console import Output, emit_json, lang_option, language, out
from govops.i18n import Translator

app = typer.Typer(help="The extranet's routers: render configs, diff them against running ones.",
                  no_args_is_help=True)

DEFAULT_ESTATE = Path("inventories/lab")
DEFAULT_OUT = Path("build/configs")


@app.command()
def render(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", "-e", help="Estate folder."),
    out_dir: Path = typer.Option(DEFAULT_OUT, "--out",
                                 help="Folder for <device>.cfg files; '-' prints to stdout."),
    device: list[str] = typer.Option(None, "--device", "-d",
                                     help="Only this device (repeat for more)."),
    validate: bool = typer.Option(True, "--validate/--no-validate",
                                  help="Lint every rendered config before writing any."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=0,
                             help="Worker processes for large estates (0: one per core). "
                                  "One is fastest on a busy machine."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Render the intended config of every device (or --device) into OUT/<device>.cfg, and,
    on platforms that run one routing instance per plane (FRR), each non-default plane's
    config into OUT/<device>@<plane>.cfg."""
    import os

    from govops.estate.loader import load_estate
    from govops.network.render import render_all, render_planes, write_configs

    t0 = time.perf_counter()
    loaded = load_estate(estate)
    configs = render_all(loaded, device or None, validate=validate,
                         jobs=jobs or min(4, os.cpu_count() or 1))
    instances = render_planes(loaded, device or None, validate=validate)
    configs = {**configs, **instances}
    if str(out_dir) == "-":
        import sys

        for text in configs.values():
            sys.stdout.write(text)
        return
    paths = write_configs(configs, out_dir)
    seconds = time.perf_counter() - t0
    if output is Output.json:
        emit_json({"estate": str(estate), "out": str(out_dir),
                   "devices": [n for n in configs if n not in instances],
                   "plane_instances": list(instances),
                   "files": [str(p) for p in paths], "seconds": round(seconds, 3)})
        return
    if len(paths) == 1:
        out.print(f"wrote {paths[0]}")
    else:
        out.print(f"wrote {len(paths)} configs to {out_dir}/ in {seconds:.2f} s")


def running_source(running: Path | None):  # noqa: ANN201 - returns a RunningSource
    """A folder of saved running configs (`--running`), or None to fetch them live."""
    from govops.network.diff import DirectorySource

    if running is None:
        return None
    return DirectorySource(running)


def _print_diffs(diffs: list, tr: Translator) -> None:
    """Each differing device's diff and remediation, then one summary line."""
    from rich.markup import escape

    changed = [d for d in diffs if d.changes]
    for d in diffs:
        if d.error:
            out.print("[red]" + escape(tr("could not read {error}", error=d.error)) + "[/]")
            continue
        if d.changes:
            out.rule(f"[bold]{d.device}[/] ({d.platform})")
            for line in d.unified_diff.splitlines():
                style = ("green" if line.startswith("+") and not line.startswith("+++") else
                         "red" if line.startswith("-") and not line.startswith("---") else
                         "cyan" if line.startswith("@@") else "")
                out.print(f"[{style}]{escape(line)}[/]" if style else escape(line))
            out.print("[bold]" + escape(tr("remediation:")) + "[/]")
            for line in d.changes:
                out.print(f"  {escape(line)}")
        if d.unmanaged:
            out.print(escape(tr("{device}: {n} unmanaged lines left alone", device=d.device,
                                n=d.unmanaged)))
    failed = sum(1 for d in diffs if d.error)
    in_sync = len(diffs) - len(changed) - failed
    tail = "[red]" + escape(tr(", {n} unreadable", n=failed)) + "[/]" if failed else ""
    differ = "[yellow]" + escape(tr("{n} differ", n=len(changed))) + "[/]"
    synced = "[green]" + escape(tr("{n} in sync", n=in_sync)) + "[/]"
    out.print(tr("{n} devices: {differ}, {in_sync}", n=len(diffs), differ=differ,
                 in_sync=synced) + tail)


@app.command()
def diff(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", "-e", help="Estate folder."),
    limit: str = typer.Option(None, "--limit", "-l",
                              help="Devices: names or fnmatch patterns, comma-separated."),
    running: Path = typer.Option(None, "--running", "-r",
                                 help="Folder of saved running configs; default: fetch live."),
    prune: list[str] = typer.Option(
        None, "--prune-unmanaged",
        help="Also own this section (ntp, syslog, snmp, users, aaa, vty, static-routes) on "
             "VRP/Comware: its lines the intent lacks are removed. Repeat for more."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
    exit_code: bool = typer.Option(False, "--exit-code",
                                   help="Exit 1 when any device differs (like git diff)."),
    planes: bool = typer.Option(False, "--planes",
                                help="Also the selected routers' plane instances (router@plane, "
                                     "FRR). A --limit pattern with '@' names instances itself."),
    lang: str = lang_option(),
) -> None:
    """Per device: unified diff of running vs intended, and the remediation commands.

    Only what govops manages is compared; the rest of each device's config is left alone
    and counted. A device whose running config cannot be read fails alone (exit 2 after
    every other device's result)."""
    from govops.errors import BadInput, CheckFailed
    from govops.estate.loader import load_estate
    from govops.network.diff import diff_estate, select

    tr = language(lang)
    loaded = load_estate(estate)
    names = select(loaded, limit, planes=planes)
    source = running_source(running)
    if source is None:
        from govops.network.live import LiveSource

        source = LiveSource(loaded, names)
    diffs = diff_estate(loaded, source, names, prune=prune or ())
    if output is Output.json:
        emit_json([d.to_dict() for d in diffs])
    else:
        _print_diffs(diffs, tr)
    if failed := [d.error for d in diffs if d.error]:
        raise BadInput("\n".join(f"could not read {e}" for e in failed))
    if exit_code and any(d.changes for d in diffs):
        raise CheckFailed(f"{sum(1 for d in diffs if d.changes)} devices differ from the "
                          "intended config")


@app.command()
def parse(
    file: Path = typer.Argument(..., help="A saved output of the command."),
    platform: str = typer.Option(..., "--platform", "-p", help="huawei_vrp, h3c_comware, …"),
    command: str = typer.Option(..., "--command", "-c",
                                help="The command that printed FILE, e.g. 'display bgp ipv6 peer'."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """What the verifier reads from a saved `display` output: its rows (exit 2 when the output
    cannot be read). Check a device's output with it before a rollout."""
    from govops.errors import BadInput
    from govops.network.parse import parse_output

    try:
        text = file.read_text(errors="replace")
    except OSError as exc:
        raise BadInput(f"{file}: cannot read it: {exc.strerror}") from None
    rows = parse_output(platform, command, text, source=str(file))
    if output is Output.json:
        emit_json(rows)
        return
    from rich.markup import escape

    for row in rows:
        out.print("  ".join(f"{k}={escape(v)}" for k, v in row.items() if v))
    out.print(f"{len(rows)} rows")


def _register_rollouts() -> None:
    from govops.network.push_commands import register

    register(app)


_register_rollouts()
