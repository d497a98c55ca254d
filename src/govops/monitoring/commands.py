"""`govops exporter`, `govops monitoring …` and `govops ops …`."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from govops.console import Output, emit_json, lang_option, language, out

DEFAULT_ESTATE = Path("inventories/lab")


def _repo(*parts: str) -> Path:
    from govops.paths import REPO_ROOT

    return REPO_ROOT.joinpath(*parts)


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def exporter(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder."),
    listen: str = typer.Option("127.0.0.1:9860", "--listen", help="ADDR:PORT to serve on."),
    dsn: str = typer.Option(None, "--dsn", help="libpq DSN of the data centres' PostgreSQL "
                            "(hosts in role order: primary, same-city, remote-dr); default: "
                            "the DC lab's."),
    dc_lab: Path = typer.Option(None, "--dc-lab", help="DC lab state folder (default "
                                ".lab/dc); used when --dsn is not given."),
    drills: Path = typer.Option(None, "--drills", help="Drill reports folder "
                                "(default dr-drills/reports)."),
    schedule: Path = typer.Option(None, "--schedule", help="Drill schedule "
                                  "(default dr-drills/schedule.yaml)."),
    rollouts: Path = typer.Option(None, "--rollouts", help="Rollout journals folder "
                                  "(default rollouts)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request."),
) -> None:
    """Serve the estate, DR replication, drills and rollouts as Prometheus metrics."""
    from govops.monitoring.exporter import ExporterOptions, parse_listen, run
    from govops.paths import lab_dir

    parse_listen(listen)
    _logging(verbose)
    run(ExporterOptions(
        estate=estate,
        listen=listen,
        dsn=dsn,
        dc_lab=None if dsn else (dc_lab or lab_dir() / "dc"),
        drills=drills or _repo("dr-drills", "reports"),
        schedule=schedule or _repo("dr-drills", "schedule.yaml"),
        rollouts=rollouts or _repo("rollouts"),
    ))


monitoring_app = typer.Typer(help="Prometheus configuration, rules and dashboards.",
                             no_args_is_help=True)
ops_app = typer.Typer(help="The ops centre's web page.", no_args_is_help=True)


@monitoring_app.command("config")
def config(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder."),
    out_dir: Path = typer.Option(Path("build/monitoring"), "--out", help="Folder to write "
                                 "prometheus.yml and blackbox.yml into."),
    exporter_address: str = typer.Option("127.0.0.1:9860", "--exporter", help="The govops "
                                         "exporter's ADDR:PORT."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Generate prometheus.yml (every scrape target of the estate) and the blackbox modules."""
    from govops.estate.loader import load_estate
    from govops.monitoring.config import Targets, write_config

    loaded = load_estate(estate)
    result = write_config(loaded, Targets.for_estate(loaded, exporter=exporter_address), out_dir)
    if output is Output.json:
        emit_json(result)
    else:
        jobs = ", ".join(f"{k} {v}" for k, v in result["targets"].items())
        out.print(f"wrote {', '.join(result['files'])}: {jobs}")


@monitoring_app.command("dashboards")
def dashboards(
    out_dir: Path = typer.Option(None, "--out", help="Folder (default monitoring/dashboards)."),
    check: bool = typer.Option(False, "--check", help="Fail when the committed files differ."),
) -> None:
    """Regenerate the Grafana dashboards (estate overview, DR, extranet, tenancy)."""
    from govops.errors import CheckFailed
    from govops.monitoring.dashboards import write_dashboards

    target = out_dir or _repo("monitoring", "dashboards")
    changed = write_dashboards(target, check=check)
    if check and changed:
        raise CheckFailed(f"dashboards differ from the code: {', '.join(changed)}: run "
                          "govops monitoring dashboards")
    out.print(f"{target}: {len(changed)} changed" + (f" ({', '.join(changed)})" if changed else ""))


@ops_app.command("serve")
def serve(
    listen: str = typer.Option("127.0.0.1:9861", "--listen", help="ADDR:PORT to serve on."),
    prometheus: str = typer.Option("http://127.0.0.1:9090", "--prometheus",
                                   help="Prometheus base URL."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
    lang: str = lang_option(),
) -> None:
    """Serve the ops centre's page: DC roles and DR, drills, extranet reachability, alerts, KPIs.

    --lang zh serves it in Chinese; the page's language switch (?lang=en|zh) changes it per
    request."""
    from govops.monitoring.exporter import parse_listen
    from govops.monitoring.opspage import run

    tr = language(lang)
    parse_listen(listen)
    _logging(verbose)
    run(listen, prometheus, tr.lang)
