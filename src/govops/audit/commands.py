"""`govops audit …`: keygen, verify, show, sign-file, verify-file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from govops.console import Output, emit_json, lang_option, language, out

app = typer.Typer(help="Tamper-evident audit trail (SM3 chain, SM2 signatures) and detached "
                  "signatures.", no_args_is_help=True)

LOG_HELP = "Audit log (default: $GOVOPS_AUDIT_LOG or audit/audit.jsonl)."
KEYRING_HELP = "Trusted public keys (default: $GOVOPS_AUDIT_KEYRING or keys/ beside the log)."


def _passphrase(confirm: bool) -> str:
    from govops.errors import BadInput

    value = os.environ.get("GOVOPS_AUDIT_PASSPHRASE")
    if value is not None:
        return value
    file = os.environ.get("GOVOPS_AUDIT_PASSPHRASE_FILE", "").strip()
    if file:
        from govops.audit.keys import passphrase_file

        return passphrase_file(Path(file).expanduser())
    if not sys.stdin.isatty():
        raise BadInput("no passphrase: set GOVOPS_AUDIT_PASSPHRASE or GOVOPS_AUDIT_PASSPHRASE_FILE, "
                       "or run in a terminal")
    return typer.prompt("passphrase", hide_input=True, confirmation_prompt=confirm)


def _log(log: Path | None) -> Path:
    from govops.audit.trail import log_path

    return log or log_path()


@app.command()
def keygen(
    out_dir: Path = typer.Option(None, "--out", help="Folder for the key pair "
                                 "(default ~/.config/govops/audit; never inside the repository)."),
    operator: str = typer.Option(None, "--operator", help="Operator name (default: OS user)."),
    log: Path = typer.Option(None, "--log", help=LOG_HELP),
    keyring: Path = typer.Option(None, "--keyring", help=KEYRING_HELP),
    register: bool = typer.Option(True, "--register/--no-register",
                                  help="Add the public key to the keyring."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Make an operator's SM2 key pair, the private key sealed under a passphrase.

    The passphrase comes from GOVOPS_AUDIT_PASSPHRASE, or is asked for.
    """
    import getpass

    from govops.audit import keys
    from govops.audit.trail import keyring_path
    from govops.errors import BadInput
    from govops.paths import REPO_ROOT

    out_dir = (out_dir or Path.home() / ".config" / "govops" / "audit").expanduser()
    if out_dir.resolve().is_relative_to(REPO_ROOT):
        raise BadInput(f"--out {out_dir}: private keys must live outside the repository")
    key_path, pub_path, pub = keys.generate(out_dir, operator or getpass.getuser(), _passphrase(True))
    ring = None
    if register:
        ring = keys.register(keyring or keyring_path(_log(log)), pub)
    result = {"operator": pub.operator, "key_id": pub.key_id, "private": str(key_path),
              "public": str(pub_path), "keyring": str(ring) if ring else None}
    if output is Output.json:
        emit_json(result)
        return
    out.print(f"SM2 key {pub.key_id} for {pub.operator}: {key_path} (private, mode 600), {pub_path}")
    if ring:
        out.print(f"trusted by audit verify through {ring}: commit it")
    out.print(f"sign with it: export GOVOPS_AUDIT_KEY={key_path} (its passphrase: "
              "GOVOPS_AUDIT_PASSPHRASE, GOVOPS_AUDIT_PASSPHRASE_FILE or the terminal)")


@app.command()
def verify(
    since: str = typer.Option(None, "--since", help="Check signatures and artefacts of records "
                              "from this time (ISO date/time or age: 7d, 12h); the chain is "
                              "always checked in full."),
    log: Path = typer.Option(None, "--log", help=LOG_HELP),
    keyring: Path = typer.Option(None, "--keyring", help=KEYRING_HELP),
    require_signed: bool = typer.Option(False, "--require-signed",
                                        help="An unsigned record is a failure (from --since on, "
                                        "when given)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Processes for SM2 checks (0: one per CPU)."),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Check the chain, every signature and artefact digest; exit 1 naming the first break."""
    from govops.audit.trail import parse_since
    from govops.audit.verify import verify_log
    from govops.errors import BadInput, CheckFailed

    path = _log(log)
    if log is not None and not path.exists():
        raise BadInput(f"--log {path}: not found")
    report = verify_log(path, parse_since(since) if since else None, keyring,
                        require_signed, jobs or None)
    if output is Output.json:
        emit_json(report.to_json())
    if report.ok:
        if output is Output.text:
            unsigned = "".join(f", {n} {what}" for n, what in (
                (report.unsigned_lab, "unsigned on request (lab, chain only)"),
                (report.unsigned_refusals, "unsigned refusals"),
                (report.unsigned, "unsigned (chain only)")) if n)
            out.print(f"{path}: {report.records} records intact ({report.signed} signed{unsigned}; "
                      f"{report.signatures_checked} signatures and {report.artefacts_checked} "
                      "artefacts checked)")
        return
    first = report.first
    more = len(report.problems) - 1
    tail = f" (+{more} more: --output json lists them)" if more else ""
    raise CheckFailed(f"{path}: {first.message}{tail}")


@app.command()
def show(
    command: str = typer.Option(None, "--command", "-c", help="Commands starting with this."),
    device: str = typer.Option(None, "--device", help="Records touching this device."),
    tenant: str = typer.Option(None, "--tenant", help="Records touching this tenant."),
    since: str = typer.Option(None, "--since", help="From this time (ISO or age: 7d, 12h)."),
    limit: int = typer.Option(0, "--limit", "-n", help="Only the last N matches (0: all)."),
    log: Path = typer.Option(None, "--log", help=LOG_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
    lang: str = lang_option(),
) -> None:
    """List audit records as a table (or JSON), newest last; times are UTC in English and
    Beijing time (UTC+8) in Chinese."""
    from govops.audit.query import select
    from govops.i18n.times import local

    tr = language(lang)
    path = _log(log)
    rows, damaged = select(path, command=command, device=device, tenant=tenant, since=since)
    if limit:
        rows = rows[-limit:]
    if output is Output.json:
        emit_json([{"record": n, **rec.data} for n, rec in rows])
        return
    from rich.table import Table

    table = Table(show_edge=False)
    columns = (("#", "#"), ("time", tr("time (UTC)")), ("who", tr("who")),
               ("command", tr("command")), ("result", tr("result")),
               ("subjects", tr("devices/tenants")), ("signed", tr("signed")),
               ("files", tr("files")))
    for col, label in columns:
        table.add_column(label, justify="right" if col in ("#", "files") else "left",
                         no_wrap=col in ("#", "time", "command", "signed"))
    for number, rec in rows:
        who = rec.who or {}
        person = who.get("user", "?") + (f" / {who['operator']}" if who.get("operator") else "")
        subjects = ", ".join([*(rec.devices or []), *(rec.tenants or [])])
        when = str(rec.ts).replace("T", " ")[:19] if tr.lang == "en" else local(str(rec.ts), tr.lang)
        table.add_row(str(number), when, person, rec.command, _result(rec.result, tr),
                      subjects[:40] + ("…" if len(subjects) > 40 else ""),
                      tr("yes") if rec.signed else "[yellow]" + tr("no") + "[/]",
                      str(len(rec.artefacts or {})))
    out.print(table)
    out.print(tr("{n} record(s) from {path}", n=len(rows), path=str(path)), highlight=False)
    if damaged:
        out.print("[yellow]" + tr("{n} damaged line(s) skipped: run govops audit verify",
                                  n=damaged) + "[/]")


def _result(result: str, tr) -> str:
    """An audit record's result for people: "ok", "failed: …", "interrupted: …" translated
    by their first word (the detail stays as recorded)."""
    from govops.i18n import N_

    words = {"ok": N_("ok"), "failed": N_("failed"), "interrupted": N_("interrupted")}
    head, sep, rest = str(result).partition(":")
    if head in words:
        return tr(words[head]) + (tr(": ") + rest.strip() if sep else "")
    return str(result)


@app.command("sign-file")
def sign_file(
    file: Path = typer.Argument(..., help="Report or export to sign."),
    signature: Path = typer.Option(None, "--signature", help="Where to write (default FILE.sig)."),
    key: Path = typer.Option(None, "--key", help="Private key file (default $GOVOPS_AUDIT_KEY)."),
) -> None:
    """Write a detached SM2 signature of FILE with the operator key."""
    from govops.audit import keys
    from govops.audit.filesig import sign_file as run
    from govops.errors import BadInput

    key_path = key or (Path(os.environ["GOVOPS_AUDIT_KEY"]) if os.environ.get("GOVOPS_AUDIT_KEY") else None)
    if key_path is None:
        raise BadInput("no operator key: pass --key or set GOVOPS_AUDIT_KEY (make one with "
                       "govops audit keygen)")
    operator_key = keys.unlock(key_path.expanduser(), _passphrase(False))
    written = run(file, operator_key, signature)
    out.print(f"{written}: signed by {operator_key.public.operator} (key {operator_key.public.key_id})")


@app.command("verify-file")
def verify_file(
    file: Path = typer.Argument(..., help="File to check."),
    signature: Path = typer.Option(None, "--signature", help="Signature (default FILE.sig)."),
    key: Path = typer.Option(None, "--key", help="Trust only this public key file."),
    keyring: Path = typer.Option(None, "--keyring", help=KEYRING_HELP),
    output: Output = typer.Option(Output.text, "--output", "-o", help="text or json."),
) -> None:
    """Check FILE against its detached SM2 signature; exit 1 if it changed or is untrusted."""
    from govops.audit import keys
    from govops.audit.filesig import verify_file as run
    from govops.audit.trail import keyring_path, log_path

    if key is not None:
        pub = keys.load_public(key)
        trusted = {pub.key_id: pub}
    else:
        trusted = keys.load_keyring(keyring or keyring_path(log_path()))
    data = run(file, signature, trusted)
    if output is Output.json:
        emit_json({"file": str(file), "ok": True, **{k: v for k, v in data.items() if k != "sig"}})
        return
    out.print(f"{file}: signature good: signed by {data.get('operator')} (key {data['key_id']}) "
              f"at {data.get('signed_at')}")
