"""`govops lab …`: bring the lab up, show it, take it down (needs root)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from govops.console import Output, emit_json, err, out
from govops.errors import BadInput
from govops.paths import lab_dir

app = typer.Typer(help="The lab: routers in network namespaces (FRR + sshd), on this machine.",
                  no_args_is_help=True)

DEFAULT_ESTATE = Path("inventories/lab")


def _need_root() -> None:
    if os.geteuid() != 0:
        raise BadInput("the lab needs root (network namespaces, FRR, sshd): run as root")


def _marker() -> Path:
    """Where `lab up` notes a non-lab estate it built from, so `lab down` checks the same."""
    return lab_dir() / "built-from-estate"


def _built_from() -> Path | None:
    try:
        return Path(_marker().read_text(encoding="utf-8").strip())
    except OSError:
        return None


def _gate_non_lab(estate: Path, is_lab: bool, command: str) -> None:
    """The lab estate builds and removes its lab freely; any other estate's lab up/down needs
    a system administrator of that estate (ADR 0018)."""
    if is_lab:
        return
    from govops.operators.roles import act

    act(estate, command)
def _real_lab_allowed() -> None:
    """Refuse to build or tear down the namespace lab in a process that must not (unit tests
    of the simulated lab set GOVOPS_NO_REAL_LAB=1: the machine's lab may be in use)."""
    if os.environ.get("GOVOPS_NO_REAL_LAB") == "1":
        raise BadInput("GOVOPS_NO_REAL_LAB=1: this process may only use the simulated lab "
                       "(add --simulated)")


def _sim_dir() -> Path:
    return lab_dir() / "sim"


@app.command()
def up(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder."),
    simulated: bool = typer.Option(
        False, "--simulated",
        help="Serve the estate's VRP/Comware nodes as simulated SSH devices (a few processes, "
             "no namespaces) instead of building the FRR lab."),
    address_base: str | None = typer.Option(
        None, "--address-base", envvar="GOVOPS_SIM_ADDRESS_BASE",
        help="With --simulated: device i listens on BASE+i (127.0.0.0/8 needs no root) instead "
             "of its management address added to lo."),
    port: int = typer.Option(22, "--port", help="With --simulated: every device's SSH port."),
    configured: str | None = typer.Option(
        None, "--configured",
        help="With --simulated: devices (names or patterns, comma-separated, as --limit) that "
             "start at their intended config instead of blank."),
    time_scale: float = typer.Option(1.0, "--time-scale", hidden=True,
                                     help="With --simulated: device timers run this much faster "
                                          "(0.01: a 60 s trial ends in 0.6 s)."),
    shards: int | None = typer.Option(
        None, "--shards", min=1,
        help="With --simulated: how many simulator processes share the devices (default: one "
             "per CPU)."),
    timing: str = typer.Option(
        "none", "--timing",
        help="With --simulated: 'vendor' makes each device take as long to answer as a real "
             "box (login, commands, commits, saves: ADR 0020); 'none' answers at once."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Build one namespace per router with blank FRR and sshd; carriers get their config.
    With --simulated: serve the estate's VRP/Comware devices over SSH instead."""
    from govops.estate.loader import load_estate
    from govops.lab import datacentres, routers
    from govops.lab.carriers import configure_carriers
    from govops.lab.from_estate import dc_spec, router_spec

    if simulated:
        _sim_up(estate, address_base, port, time_scale, configured, output, shards, timing)
        return
    _real_lab_allowed()
    loaded = load_estate(estate)
    _gate_non_lab(estate, loaded.settings.is_lab, "lab up")
    _need_root()
    if not loaded.settings.is_lab:
        _marker().parent.mkdir(parents=True, exist_ok=True)
        _marker().write_text(f"{Path(estate).resolve()}\n", encoding="utf-8")
    spec = router_spec(loaded, lab_dir() / "routers")
    centres = dc_spec(loaded, lab_dir() / "dc")
    say = (lambda m: err.print(f"[dim]{m}[/]")) if output is Output.text else None
    state = routers.build(spec, progress=say)
    carriers = configure_carriers(loaded)
    dc_state = datacentres.build(centres, progress=say)
    from govops.monitoring import lab as monitoring_lab

    mon = monitoring_lab.start(loaded, lab_dir() / "monitoring", progress=say)
    data = {
        "state_dir": str(state.state_dir),
        "routers": len(state.routers),
        "healthy": sum(1 for r in state.routers if r.healthy),
        "started": len(state.started),
        "carriers_configured": carriers,
        "centres": [c.name for c in centres.centres],
        "remote_delay_ms": centres.remote_delay_ms,
        "seconds": round(state.seconds + getattr(dc_state, "seconds", 0.0), 2),
        "monitoring": {"prometheus": mon.prometheus_url, "ops_page": mon.ops_url,
                       "targets": mon.targets, "started": len(mon.started)},
    }
    if output is Output.json:
        emit_json(data)
    else:
        out.print(f"lab up: {data['healthy']}/{data['routers']} routers healthy "
                  f"({data['started']} daemons started); carriers configured: "
                  f"{', '.join(carriers) or 'none'}; centres {', '.join(data['centres'])} with "
                  f"PostgreSQL (dc-c delayed {data['remote_delay_ms']} ms one way)")
        out.print(f"monitoring: Prometheus {mon.prometheus_url}, ops page {mon.ops_url}")


def _sim_up(estate: Path, address_base: str | None, port: int, time_scale: float,
            configured: str | None, output: Output, shards: int | None = None,
            timing: str = "none") -> None:
    from govops.lab.simdevices import lab as simlab

    if not 1 <= port <= 65535:
        raise BadInput(f"--port {port}: not a TCP port")
    say = (lambda m: err.print(f"[dim]{m}[/]")) if output is Output.text else None
    info = simlab.up(estate, _sim_dir(), address_base=address_base, port=port,
                     time_scale=time_scale, configured=configured, progress=say, shards=shards,
                     timing=timing)
    if output is Output.json:
        emit_json({k: v for k, v in info.items() if k != "devices"}
                  | {"devices": len(info["devices"])})
        return
    kinds: dict[str, int] = {}
    for d in info["devices"]:
        kinds[d["device_type"]] = kinds.get(d["device_type"], 0) + 1
    out.print(f"lab up --simulated: {len(info['devices'])} devices served by "
              f"{_sim_pids(info)} "
              f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); logins in "
              f"govops lab status --output json")


def restart_lines(rows) -> list[str]:
    """One sentence per daemon restart that watchfrr made, e.g. "ospf6d on city-gz-2 crashed
    at 12:04:05 (signal 11) and was restarted"."""
    return [x.sentence(r.name) for r in rows for x in r.restarts]


@app.command()
def status(output: Output = typer.Option(Output.text, "--output", "-o")) -> None:
    """List lab routers and whether their namespace, FRR daemons and sshd run."""
    from rich.table import Table

    from govops.lab import datacentres, routers

    state_dir = lab_dir() / "routers"
    rows = routers.status(state_dir) if (state_dir / "lab.json").exists() else []
    dc = datacentres.status(lab_dir() / "dc") if (lab_dir() / "dc").exists() else None
    centres = [{"name": c.name, "site": c.site, "role": c.role, "current_role": c.current_role,
                "running": c.running, "cut": c.cut, "streaming": c.streaming,
                "sync_state": c.sync_state, "lag_bytes": c.lag_bytes}
               for c in (dc.centres if dc and dc.built else ())]
    from govops.monitoring import lab as monitoring_lab

    mon = monitoring_lab.status(lab_dir() / "monitoring")
    monitoring = {"up": mon.up, "prometheus": mon.prometheus_url, "ops_page": mon.ops_url,
                  "targets_up": mon.targets_up, "targets_total": mon.targets_total}
    from govops.lab.simdevices import lab as simlab

    sim = simlab.status(_sim_dir())
    if output is Output.json:
        emit_json({"routers": [{"name": r.name, "namespace": r.namespace,
                                "daemons": dict(r.daemons), "sshd": r.sshd,
                                "supervisor": r.supervisor,
                                "restarts": [{"daemon": x.daemon, "at": x.at, "reason": x.reason}
                                             for x in r.restarts],
                                "mgmt_ipv4": r.mgmt_ipv4, "healthy": r.healthy} for r in rows],
                   "centres": centres, "monitoring": monitoring, "simulated": sim})
        return
    if not rows and not centres and not mon.processes and not sim["devices"]:
        out.print("lab is down (govops lab up brings it up)")
        return
    _print_sim(sim)
    if not rows and not centres and not mon.processes:
        return
    table = Table(show_edge=False)
    for col in ("router", "management", "namespace", "FRR daemons", "sshd", "state"):
        table.add_column(col)
    for r in rows:
        running = sum(1 for v in r.daemons.values() if v)
        table.add_row(r.name, r.mgmt_ipv4, "yes" if r.namespace else "no",
                      f"{running}/{len(r.daemons)}", "yes" if r.sshd else "no",
                      "[green]up[/]" if r.healthy else "[red]degraded[/]")
    out.print(table)
    for line in restart_lines(rows):
        out.print(f"[yellow]{line}[/]")
    if centres:
        dc_table = Table(show_edge=False)
        for col in ("centre", "site", "role", "now", "PostgreSQL", "replication", "lag bytes"):
            dc_table.add_column(col)
        for c in centres:
            dc_table.add_row(c["name"], c["site"], c["role"], c["current_role"],
                             "running" if c["running"] else "[red]down[/]",
                             (c["sync_state"] or ("streaming" if c["streaming"] else "-")),
                             str(c["lag_bytes"] if c["lag_bytes"] is not None else "-"))
        out.print(dc_table)
    if mon.processes:
        out.print(f"monitoring: Prometheus {mon.prometheus_url} ({mon.targets_up}/"
                  f"{mon.targets_total} targets up), ops page {mon.ops_url}")


def _sim_pids(sim: dict) -> str:
    pids = sim.get("pids") or [sim["pid"]]
    return f"pid {pids[0]}" if len(pids) == 1 else f"{len(pids)} processes, pids " + \
        ", ".join(map(str, pids))


def _print_sim(sim: dict) -> None:
    """The simulated devices: a table of up to 40, then a count."""
    from rich.table import Table

    devices = sim["devices"]
    if not devices:
        return
    state = "[green]running[/]" if sim["running"] else "[red]stopped[/]"
    out.print(f"simulated devices: {len(devices)}, {state}"
              + (f" ({_sim_pids(sim)})" if sim.get("pids") else "")
              + f"; login {devices[0]['username']}, known_hosts {sim['known_hosts']}")
    table = Table(show_edge=False)
    for col in ("device", "platform", "model", "Netmiko type", "host", "port"):
        table.add_column(col)
    for d in devices[:40]:
        table.add_row(d["name"], d["platform"], d["model"], d["device_type"], d["host"],
                      str(d["port"]))
    out.print(table)
    if len(devices) > 40:
        out.print(f"… and {len(devices) - 40} more (govops lab status --output json)")


@app.command()
def down(
    simulated: bool = typer.Option(False, "--simulated",
                                   help="Stop the simulated devices only."),
    output: Output = typer.Option(Output.text, "--output", "-o"),
) -> None:
    """Remove every namespace, process and file the lab made (also after a crash), the
    simulated devices included."""
    from govops.lab import datacentres, routers
    from govops.lab.simdevices import lab as simlab

    if simulated:
        data = simlab.down(_sim_dir())
        if output is Output.json:
            emit_json(data)
        else:
            out.print(f"lab down --simulated: stopped {data['processes']} simulator process(es) "
                      f"serving {data['devices']} devices")
        return
    built_from = _built_from()
    if built_from is not None:
        from govops.estate.settings import read_settings

        _gate_non_lab(built_from, read_settings(built_from).is_lab, "lab down")
    _real_lab_allowed()
    _need_root()
    simlab.down(_sim_dir())
    from govops.monitoring import lab as monitoring_lab

    monitoring_lab.stop(lab_dir() / "monitoring")
    datacentres.teardown(lab_dir() / "dc")
    report = routers.teardown(lab_dir() / "routers")
    _marker().unlink(missing_ok=True)
    data = {"namespaces": len(report.namespaces), "processes": len(report.processes),
            "veths": len(report.veths), "seconds": round(report.seconds, 2)}
    if output is Output.json:
        emit_json(data)
    else:
        out.print(f"lab down: removed {data['namespaces']} namespaces, {data['processes']} "
                  f"processes, {data['veths']} veths ({data['seconds']} s)")


@app.command()
def reach(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder."),
    output: Output = typer.Option(Output.text, "--output", "-o"),
) -> None:
    """Ping both province cores from every town, IPv6 and IPv4; exit 1 if any fails."""
    from govops.errors import CheckFailed
    from govops.estate.loader import load_estate
    from govops.lab.reach import town_to_core

    _need_root()
    probes = town_to_core(load_estate(estate))
    failed = [p for p in probes if not p.ok]
    if output is Output.json:
        emit_json([p.__dict__ for p in probes])
    else:
        from rich.table import Table

        table = Table(title="towns → province cores (loopback to loopback)", show_edge=False)
        table.add_column("town")
        targets = sorted({(p.target, p.family) for p in probes}, key=lambda t: (t[0], -t[1]))
        for target, family in targets:
            table.add_column(f"{target} v{family}", justify="right")
        for town in dict.fromkeys(p.source for p in probes):
            row = {(p.target, p.family): p for p in probes if p.source == town}
            table.add_row(town, *[
                f"[green]{row[t].rtt_ms:.2f} ms[/]" if row[t].ok and row[t].rtt_ms is not None
                else "[red]unreachable[/]" for t in targets])
        out.print(table)
        out.print(f"{len(probes) - len(failed)}/{len(probes)} probes answered")
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(probes)} town→core probes failed, e.g. "
                          f"{failed[0].source} → {failed[0].target} over IPv{failed[0].family}")


@app.command()
def check(
    estate: Path = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder the lab runs."),
    since: float = typer.Option(0.0, "--since",
                                help="Report daemon restarts after this epoch time only."),
    settle: float = typer.Option(45.0, "--settle",
                                 help="Seconds to let sessions converge before naming them."),
    repair: bool = typer.Option(False, "--repair",
                                help="Remove fault leftovers (nftables, qdiscs, links down)."),
    output: Output = typer.Option(Output.text, "--output", "-o"),
) -> None:
    """Prove the lab clean: daemons alive and never restarted, no nftables drop, no foreign
    qdisc, every link up, every router blank or at its intent with its sessions up, the
    centres in their roles; exit 1 naming each leftover."""
    from govops.errors import CheckFailed
    from govops.lab import health

    _need_root()
    if not (lab_dir() / "routers" / "lab.json").exists():
        raise BadInput("the lab is down: run govops lab up first")
    report = health.check(lab_dir(), estate, since=since, settle_s=settle)
    repaired = health.repair(report, lab_dir()) if repair else []
    if output is Output.json:
        emit_json({"clean": report.clean, "routers": report.routers,
                   "configured": report.configured, "blank": report.blank,
                   "leftovers": [x.__dict__ for x in report.leftovers], "repaired": repaired,
                   "seconds": round(report.seconds, 2)})
    else:
        for x in report.leftovers:
            out.print(f"[red]leftover[/] {x.detail}")
        for line in repaired:
            out.print(line)
        out.print(f"{report.routers} routers: {len(report.configured)} configured, "
                  f"{len(report.blank)} blank; {len(report.leftovers)} leftover(s) "
                  f"({report.seconds:.1f} s)")
    if not report.clean:
        raise CheckFailed(f"the lab is not clean: {report.leftovers[0].detail}"
                          + (f" (+{len(report.leftovers) - 1} more)"
                             if len(report.leftovers) > 1 else ""))
