"""`govops hosts …`: compliance evidence for the data-centre hosts' MLPS baseline."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from govops.console import UNSIGNED_HELP, Output, emit_json, emit_text, lang_option, language, out

app = typer.Typer(help="Data-centre hosts: MLPS baseline compliance over SSH.", no_args_is_help=True)

DEFAULT_ESTATE = Path("inventories/lab")
# Options `check` and `apply` share: the same hosts, reached the same way.
ESTATE = typer.Option(DEFAULT_ESTATE, "--estate", help="Estate folder.")
LIMIT = typer.Option(None, "--limit", "-l", help="Hosts: names, globs or groups (hosts, site_X, "
                                                  "role_X, mlps_N), separated by , or :.")
ADDRESS = typer.Option(None, "--address", help="NAME=IP: reach a host at another address "
                                               "(repeatable; also GOVOPS_HOST_ADDRESSES=NAME=IP,...).")
SSH_KEY = typer.Option(None, "--ssh-key", help="SSH private key (default GOVOPS_SSH_KEY, else ssh's own).")
USER = typer.Option("root", "--user", help="SSH user.")
NO_HOST_KEY_CHECK = typer.Option(False, "--no-host-key-check",
                                 help="Do not verify host keys (throwaway test hosts only).")
OUTPUT = typer.Option(Output.text, "--output", "-o", help="text or json.")


class CheckOutput(str, enum.Enum):
    """`hosts check --output` choices: md is the evidence document for the assessor."""

    text = "text"
    json = "json"
    md = "md"


def _print(report, tr) -> None:
    """One table per host: each control's clause, result, observed and expected values."""
    from rich.markup import escape
    from rich.table import Table

    from govops.hosts.clauses import clause_name
    from govops.hosts.controls import FAIL, NA, PASS
    from govops.i18n.terms import term

    style = {PASS: "green", FAIL: "bold red", NA: "yellow"}
    for host in report.hosts:
        t = host.target
        verdict = ("[green]" + escape(term(tr, "status", "pass")) + "[/]" if not host.failed else
                   "[bold red]" + escape(tr("{n} failed", n=len(host.failed))) + "[/]")
        table = Table(title=f"{t.name} ({t.address}) · {t.context.site} · {t.context.role} · "
                            + escape(tr("MLPS {level}", level=t.level))
                            + f" · {verdict} · {host.seconds:.2f} s",
                      show_edge=False, title_justify="left")
        for col in (tr("control"), tr("clause"), tr("result"), tr("observed"), tr("expected")):
            table.add_column(col, overflow="fold")
        for r in host.results:
            name = clause_name(r.ref, tr)
            title = tr(r.title)
            table.add_row(r.id if tr.lang == "en" else f"{r.id} {title}",
                          r.ref + (f" {name}" if name and tr.lang == "zh" else ""),
                          f"[{style[r.status]}]{escape(term(tr, 'status', r.status))}[/]",
                          r.observed, r.expected)
        out.print(table)
        out.print()


@app.command()
def check(
    estate: Path = ESTATE,
    limit: str = LIMIT,
    address: list[str] = ADDRESS,
    ssh_key: str = SSH_KEY,
    user: str = USER,
    port: int = typer.Option(22, "--port", min=1, max=65535, help="SSH port."),
    no_host_key_check: bool = NO_HOST_KEY_CHECK,
    known_hosts: Path = typer.Option(None, "--known-hosts", help="known_hosts file to verify against."),
    timeout: int = typer.Option(10, "--timeout", min=1, help="SSH connect timeout, seconds."),
    report: Path = typer.Option(None, "--report", help="Also write a Markdown report for auditors."),
    output: CheckOutput = typer.Option(CheckOutput.text, "--output", "-o",
                                       help="text, json, or md (the evidence document)."),
    lang: str = lang_option(),
) -> None:
    """Check each host's MLPS baseline controls; exit 1 if any control fails, 2 on bad input.

    `--lang zh --output md` prints the evidence document an assessor files: per host each
    control by its GB/T 22239-2019 clause and control point, observed value, pass/fail and
    time, and a summary per MLPS level."""
    from govops.errors import BadInput, CheckFailed
    from govops.estate.loader import load_estate
    from govops.hosts.check import SshOptions, resolve_key, run_check, select_hosts, targets
    from govops.hosts.evidence import markdown
    from govops.hosts.inventory import env_addresses, parse_addresses

    tr = language(lang)
    overrides = {**env_addresses(), **parse_addresses(address)}
    key = resolve_key(ssh_key)
    if known_hosts is not None and not known_hosts.is_file():
        raise BadInput(f"known_hosts file {known_hosts} not found")
    if report is not None and not report.parent.is_dir():
        raise BadInput(f"--report {report}: folder {report.parent} does not exist")
    loaded = load_estate(estate)
    chosen = targets(loaded, select_hosts(loaded, limit), overrides)
    ssh = SshOptions(key=key, user=user, port=port, timeout=timeout, strict_host_keys=not no_host_key_check,
                     known_hosts=str(known_hosts) if known_hosts else None)
    result = run_check(loaded, chosen, ssh, options={"limit": limit, "addresses": overrides,
                                                     "user": user})
    if report is not None:
        report.write_text(markdown(result, tr), encoding="utf-8")
    if output is CheckOutput.json:
        emit_json(result.to_dict())
    elif output is CheckOutput.md:
        emit_text(markdown(result, tr))
    else:
        _print(result, tr)
        if report is not None:
            out.print(tr("report written to {path}", path=str(report)))
    failed = [(h.target.name, r) for h in result.hosts for r in h.failed]
    if failed:
        if len(failed) <= 5:
            detail = ", ".join(f"{name}: {r.id} = {r.observed}" for name, r in failed)
        else:
            detail = "; ".join(f"{h.target.name}: " + ", ".join(r.id for r in h.failed)
                               for h in result.hosts if h.failed)
        raise CheckFailed(f"{len(failed)} control(s) failed on "
                          f"{len({name for name, _ in failed})} of {len(result.hosts)} host(s): {detail}")
    if output is CheckOutput.text:
        total = sum(len(h.results) for h in result.hosts)
        out.print("[green]" + tr("{hosts} host(s), {total} controls: all pass", hosts=len(result.hosts),
                                 total=total) + f"[/] ({result.seconds:.1f} s)")


@app.command()
def apply(
    estate: Path = ESTATE,
    limit: str = LIMIT,
    check: bool = typer.Option(False, "--check", help="Dry run: report what would change, change nothing."),
    diff: bool = typer.Option(False, "--diff", help="Show the changes to files."),
    var: list[str] = typer.Option(None, "--var", help="NAME=VALUE: a role variable for this run "
                                                      "(repeatable; Ansible extra vars)."),
    address: list[str] = ADDRESS,
    ssh_key: str = SSH_KEY,
    user: str = USER,
    no_host_key_check: bool = NO_HOST_KEY_CHECK,
    unsigned: bool = typer.Option(False, "--unsigned", help=UNSIGNED_HELP),
    output: Output = OUTPUT,
) -> None:
    """Apply the MLPS baseline and node exporter roles to the hosts (ansible-playbook
    playbooks/hosts.yml), with a run log and an audit record; exit 1 if a host fails."""
    from govops.audit.trail import audited
    from govops.errors import CheckFailed
    from govops.estate.loader import load_estate
    from govops.hosts.apply import ansible_playbook, parse_vars, role_files, run_apply
    from govops.hosts.check import resolve_key, select_hosts
    from govops.hosts.inventory import env_addresses, parse_addresses

    overrides = {**env_addresses(), **parse_addresses(address)}
    key = resolve_key(ssh_key)
    hosts = select_hosts(load_estate(estate), limit)
    ansible_playbook()  # missing Ansible is bad input, found before any record is opened
    echo = None if output is Output.json else (lambda line: out.print(line, markup=False,
                                                                        highlight=False))
    options = {"check": check, "diff": diff, "user": user, "key": key, "overrides": overrides,
               "extra_vars": parse_vars(var),
               "host_key_check": not no_host_key_check, "on_line": echo}

    def report(result) -> None:
        if output is Output.json:
            emit_json(result.to_dict())
        else:
            out.print(f"run log: {result.log}")
        if result.returncode:
            raise CheckFailed(f"hosts apply failed on {', '.join(result.failed) or 'the play'} "
                              f"(ansible-playbook exit {result.returncode}): see {result.log}")

    if check:  # a dry run changes nothing: no audit record (ADR 0010)
        report(run_apply(estate, hosts, **options))
        return
    from govops.operators.roles import act

    act(estate, "hosts apply", unsigned=unsigned)
    with audited("hosts apply", inputs=role_files(), estate_dir=estate, devices=hosts) as audit:
        result = run_apply(estate, hosts, **options)
        audit.add(result.log)
        audit.detail.update(run_id=result.run_id, changed=result.changed, failed=result.failed)
        report(result)
