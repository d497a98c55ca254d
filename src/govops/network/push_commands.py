"""`govops net push | resume | rollback`: rollouts as a person watches them (or as JSON)."""

from __future__ import annotations

from pathlib import Path

import typer

from govops.console import UNSIGNED_HELP, Output, emit_json, err, lang_option, language, out
from govops.errors import CheckFailed
from govops.i18n import Translator, translator
from govops.network.rollout import DeviceResult, RolloutHooks, RolloutOptions, RolloutSummary

DEFAULT_ESTATE = Path("inventories/lab")


class ProgressHooks(RolloutHooks):
    """A rich progress bar per batch, on stderr."""

    def __init__(self, tr: Translator | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                                 transient=False)
        self.task = None
        self.tr = tr or translator("en")

    def batch_started(self, number: int, devices: list[str], canary: bool) -> None:
        """Open a bar for the batch."""
        label = self.tr("canary") if canary else self.tr("batch {number}", number=number)
        self.progress.start()
        self.task = self.progress.add_task(f"{label} ({devices[0]}…)", total=len(devices))

    def device_done(self, result: DeviceResult) -> None:
        """Advance the bar; name failures as they happen."""
        if self.task is not None:
            self.progress.advance(self.task)
        if result.status == "failed":
            self.progress.console.print(f"[red]✗ {result.device}[/]: {result.error}"
                                        + (self.tr(" (restored)") if result.restored else ""))

    def batch_done(self, number: int) -> None:
        """Close the bar."""
        self.progress.stop()


def _report(summary: RolloutSummary, output: Output, tr: Translator | None = None) -> None:
    """The rollout's table and summary (or its JSON); CheckFailed when a device failed."""
    from rich.markup import escape

    from govops.i18n.terms import term

    tr = tr or translator("en")
    data = {
        "rollout_id": summary.rollout_id,
        "seconds": round(summary.seconds, 2),
        "stopped": summary.stopped,
        "counts": summary.counts(),
        "devices": [{"device": r.device, "status": r.status, "changes": len(r.changes),
                     "error": r.error, "restored": r.restored, "seconds": r.seconds}
                    for r in summary.results],
    }
    if output is Output.json:
        emit_json(data)
    else:
        from rich.table import Table

        table = Table(title=tr("rollout {id}", id=summary.rollout_id), show_edge=False)
        for col in (tr("device"), tr("status"), tr("changes"), tr("seconds"), tr("error")):
            table.add_column(col)
        colour = {"changed": "green", "unchanged": "dim", "failed": "red", "skipped": "yellow",
                  "would-change": "cyan"}
        for r in summary.results:
            table.add_row(r.device, f"[{colour.get(r.status, 'white')}]"
                          f"{escape(term(tr, 'status', r.status))}[/]",
                          str(len(r.changes)), f"{r.seconds:.1f}",
                          (r.error + (tr(" (restored)") if r.restored else ""))[:90])
        out.print(table)
        counts = tr(", ").join(tr("{n} {what}", n=v, what=term(tr, "status", k))
                               for k, v in summary.counts().items())
        stopped = tr(" — stopped: {why}", why=summary.stopped) if summary.stopped else ""
        out.print(escape(tr("{n} devices in {seconds} s: {counts}", n=len(summary.results),
                            seconds=f"{summary.seconds:.1f}", counts=counts) + stopped))
        if summary.counts() == {"unchanged": len(summary.results)}:
            out.print(tr("nothing to change: every device already runs its intended config"))
        out.print(escape(tr("journal: rollouts/{id}.jsonl (govops net resume|rollback {id})",
                            id=summary.rollout_id)))
    if summary.failed:
        raise CheckFailed(f"rollout {summary.rollout_id}: {len(summary.failed)} device(s) failed"
                          + (f"; {summary.stopped}" if summary.stopped else ""))


def register(app: typer.Typer) -> None:
    """Add push, resume and rollback to the `net` command group."""

    @app.command()
    def push(
        estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder."),
        limit: str = typer.Option(None, "--limit", help="Devices: names or patterns, comma-separated."),
        canary: int = typer.Option(1, "--canary", min=0, help="Devices in the canary stage."),
        batch_size: int = typer.Option(10, "--batch-size", min=1, help="Devices per batch."),
        max_failures: int = typer.Option(3, "--max-failures", min=1,
                                         help="Stop the whole rollout after this many failures."),
        workers: int = typer.Option(4, "--workers", min=1, help="Devices pushed in parallel."),
        check: bool = typer.Option(False, "--check", help="Diff only: change nothing."),
        verify_timeout: float = typer.Option(90.0, "--verify-timeout",
                                             help="Seconds to wait for sessions and routes."),
        change: str = typer.Option(None, "--change", help="Run this approved change (govops "
                                   "change request/approve): needed where the estate says "
                                   "change_approval: required."),
        planes: bool = typer.Option(False, "--planes",
                                    help="Also the selected routers' plane instances "
                                         "(router@plane, FRR; reached through "
                                         "GOVOPS_NET_ADDRESSES). A --limit pattern with '@' "
                                         "names instances itself."),
        unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
        output: Output = typer.Option(Output.text, "--output", "-o"),
        lang: str = lang_option(),
    ) -> None:
        """Roll intended configs out: canary, batches, verify, restore on failure."""
        from govops.network import pushing

        tr = language(lang)
        options = RolloutOptions(canary, batch_size, max_failures, workers, check, verify_timeout)
        hooks = ProgressHooks(tr) if output is Output.text else None
        _report(pushing.push(estate, limit, options, hooks, unsigned=unsigned, change=change,
                             planes=planes), output, tr)

    @app.command()
    def resume(
        rollout_id: str = typer.Argument(..., help="Rollout id (rollouts/<id>.jsonl)."),
        unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
        output: Output = typer.Option(Output.text, "--output", "-o"),
        lang: str = lang_option(),
    ) -> None:
        """Finish an interrupted rollout from its journal."""
        from govops.network import pushing

        tr = language(lang)
        hooks = ProgressHooks(tr) if output is Output.text else None
        _report(pushing.resume(rollout_id, hooks, unsigned=unsigned), output, tr)

    @app.command()
    def rollback(
        rollout_id: str = typer.Argument(..., help="Rollout id (rollouts/<id>.jsonl)."),
        unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
        output: Output = typer.Option(Output.text, "--output", "-o"),
    ) -> None:
        """Restore every device the rollout touched to the backup taken before it."""
        from govops.network import pushing

        results = pushing.rollback(rollout_id, unsigned=unsigned)
        if output is Output.json:
            emit_json({"rollout_id": rollout_id, "devices": results})
        else:
            for device, status in results.items():
                colour = "green" if status == "restored" else "red"
                out.print(f"{device}: [{colour}]{status}[/]")
        bad = [d for d, s in results.items() if s != "restored"]
        if bad:
            raise CheckFailed(f"rollback {rollout_id}: {len(bad)} device(s) not restored: "
                              + ", ".join(bad[:5]))
