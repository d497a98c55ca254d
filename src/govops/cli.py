"""The `govops` command: one sub-command group per area; this file only wires them."""

from __future__ import annotations

import sys

import typer

from govops import __version__
from govops.errors import GovopsError

app = typer.Typer(
    help="Infrastructure-as-code and operations automation for a provincial government estate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"govops {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """govops: estate, network, cloud, lab, drills and monitoring from one estate model."""


def _register() -> None:
    from govops.estate.commands import app as estate_app

    app.add_typer(estate_app, name="estate")
    from govops.lab.commands import app as lab_app

    app.add_typer(lab_app, name="lab")
    from govops.network.commands import app as net_app

    app.add_typer(net_app, name="net")
    from govops.drills.commands import app as drill_app

    app.add_typer(drill_app, name="drill")
    from govops.audit.commands import app as audit_app

    app.add_typer(audit_app, name="audit")
    from govops.operators.commands import app as operators_app

    app.add_typer(operators_app, name="operators")
    from govops.changes.commands import app as change_app

    app.add_typer(change_app, name="change")
    from govops.monitoring.commands import exporter, monitoring_app, ops_app

    app.command("exporter")(exporter)
    app.add_typer(monitoring_app, name="monitoring")
    app.add_typer(ops_app, name="ops")
    from govops.hosts.commands import app as hosts_app

    app.add_typer(hosts_app, name="hosts")
    from govops.cloud.commands import cloud_app, tenant_app

    app.add_typer(cloud_app, name="cloud")
    app.add_typer(tenant_app, name="tenant")


_register()


def main() -> None:
    """Console-script entry point: expected failures print one line per problem, exit 2 or 1."""
    from govops.console import error

    try:
        app()
    except GovopsError as exc:
        error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        error("interrupted")
        sys.exit(130)
