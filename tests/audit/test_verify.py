"""`govops audit verify` finds and names every kind of tampering with the log or what it covers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from govops.audit import keys, record
from govops.audit.sm3 import sm3_hex
from govops.audit.trail import canonical, field_sums, signed_bytes
from govops.network.journal import Journal
from tests.conftest import ROOT

SECRET = "S3cret-Community-7f2a"


@dataclass
class Trail:
    log: Path
    journal: Journal
    backup: Path
    report: Path

    def lines(self) -> list[bytes]:
        return self.log.read_bytes().splitlines()

    def write(self, lines: list[bytes]) -> None:
        self.log.write_bytes(b"".join(line + b"\n" for line in lines))

    def edit(self, number: int, change, resum: bool = False, key: keys.OperatorKey | None = None) -> None:
        lines = self.lines()
        data = json.loads(lines[number - 1])
        change(data)
        if resum or key:
            data["sums"] = field_sums({k: v for k, v in data.items() if k not in ("sums", "sig")})
        if key:
            data["sig"] = key.sign(signed_bytes(data))
        lines[number - 1] = canonical(data)
        self.write(lines)


@pytest.fixture
def trail(tmp_path: Path, audit_env: Path, signing: keys.OperatorKey) -> Trail:
    """Six signed records: lock, push (journal + encrypted backup), drill (report), tenant,
    rollback (appends to the journal), cloud up."""
    journal = Journal(tmp_path / "rollouts", "20261128-100000-ab12")
    journal.write("start", devices=["r1"], estate="inventories/lab")
    backup = journal.save_backup("r1", f"hostname r1\nsnmp-server community {SECRET} RO\n")
    journal.write("backup", device="r1", path=str(backup))
    report = tmp_path / "reports" / "drill.md"
    report.parent.mkdir()
    report.write_text("# DR drill\nRTO 12 min\n")
    lab = ROOT / "inventories" / "lab"
    record("estate lock", ["govops", "estate", "lock"], "ok", estate_dir=lab)
    record("net push", ["govops", "net", "push"], "ok", [], [journal.path, journal.backups], lab,
           devices=["r1"])
    record("drill run", ["govops", "drill", "run"], "ok", [], [report], lab)
    record("tenant add", ["govops", "tenant", "add", "health"], "ok", tenants=["health"])
    journal.write("rollback-start", devices=["r1"])
    record("net rollback", ["govops", "net", "rollback"], "ok", [], [journal.path], lab, devices=["r1"])
    record("cloud up", ["govops", "cloud", "up"], "ok")
    return Trail(audit_env, journal, backup, report)


def broken(cli, *args: str) -> str:
    code, out, err = cli("audit", "verify", *args)
    assert code == 1, out + err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err


def test_intact_log_exits_0_with_a_count(trail: Trail, cli) -> None:
    code, out, err = cli("audit", "verify", "--output", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and report["records"] == 6 and report["signed"] == 6
    assert report["signatures_checked"] == 6 and report["artefacts_checked"] >= 4
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "6 records intact" in out


def test_edited_field_is_named(trail: Trail, cli) -> None:
    trail.edit(3, lambda d: d.update(result="failed: RTO missed"))
    assert "record 3 (seq 3, drill run): field 'result' edited" in broken(cli)


def test_edited_last_record_is_named(trail: Trail, cli) -> None:
    trail.edit(6, lambda d: d["argv"].append("--yes"))
    assert "record 6 (seq 6, cloud up): field 'argv' edited" in broken(cli)


def test_edited_unsigned_record_is_named(audit_env: Path, cli) -> None:
    for n in range(3):
        record("estate lock", ["govops"], f"ok {n}")
    Trail(audit_env, None, None, None).edit(2, lambda d: d.update(result="ok"))
    assert "record 2 (seq 2, estate lock): field 'result' edited" in broken(cli)


def test_edited_and_resummed_fails_the_signature(trail: Trail, cli) -> None:
    trail.edit(4, lambda d: d["argv"].append("--force"), resum=True)
    err = broken(cli)
    assert "record 4 (seq 4, tenant add)" in err and "signature does not match" in err


def test_resigned_with_another_key_is_untrusted(trail: Trail, cli, tmp_path: Path) -> None:
    path, _, _ = keys.generate(tmp_path / "mallory", "mallory", "mallory's passphrase", iterations=1000)
    mallory = keys.unlock(path, "mallory's passphrase")

    def forge(data: dict) -> None:
        data["result"] = "ok"
        data["who"]["key_id"] = mallory.public.key_id

    trail.edit(2, forge, key=mallory)
    err = broken(cli)
    assert f"record 2 (seq 2, net push): signed by key {mallory.public.key_id}" in err
    assert "not in the keyring" in err


def test_deleted_record_is_named(trail: Trail, cli) -> None:
    lines = trail.lines()
    del lines[2]
    trail.write(lines)
    assert "seq 3 deleted between record 2 and record 3" in broken(cli)


def test_deleted_first_record_is_named(trail: Trail, cli) -> None:
    trail.write(trail.lines()[1:])
    assert "seq 1 deleted at the start of the log" in broken(cli)


def test_records_cut_off_the_end_are_named(trail: Trail, cli) -> None:
    trail.write(trail.lines()[:-2])
    assert "seq 5..6 deleted from the end of the log" in broken(cli)


def test_reordered_records_are_named(trail: Trail, cli) -> None:
    lines = trail.lines()
    lines[2], lines[3] = lines[3], lines[2]
    trail.write(lines)
    assert "record 3 (seq 4, tenant add): out of order" in broken(cli)


def test_inserted_forged_record_is_named(trail: Trail, cli) -> None:
    lines = trail.lines()
    forged = json.loads(lines[2])
    forged.update(seq=3, command="net push", result="ok", sig=None)
    forged["who"]["key_id"] = None
    forged["prev"] = sm3_hex(lines[1])
    forged["sums"] = field_sums({k: v for k, v in forged.items() if k not in ("sums", "sig")})
    lines.insert(2, canonical(forged))
    trail.write(lines)
    assert "record 3 inserted: not part of the chain (record 4 (seq 3, drill run) chains to record 2)" \
        in broken(cli)


def test_duplicated_record_is_named(trail: Trail, cli) -> None:
    lines = trail.lines()
    lines.insert(3, lines[2])
    trail.write(lines)
    assert "record 4 (seq 3, drill run): inserted: it is a copy of record 3" in broken(cli)


def test_edited_journal_line_is_named(trail: Trail, cli) -> None:
    text = trail.journal.path.read_text().replace('"devices": ["r1"]', '"devices": ["r2"]', 1)
    trail.journal.path.write_text(text)
    err = broken(cli)
    assert f"record 2 (seq 2, net push): artefact {trail.journal.path} changed after it was written" in err


def test_journal_line_appended_outside_an_audited_command_is_named(trail: Trail, cli) -> None:
    trail.journal.write("rollback-end", results={"r1": "restored"})
    err = broken(cli)
    assert f"record 5 (seq 5, net rollback): artefact {trail.journal.path} changed" in err


def test_altered_backup_is_named(trail: Trail, cli) -> None:
    blob = bytearray(trail.backup.read_bytes())
    blob[40] ^= 0xFF
    trail.backup.write_bytes(bytes(blob))
    assert f"record 2 (seq 2, net push): artefact {trail.backup} changed" in broken(cli)


def test_altered_report_is_named(trail: Trail, cli) -> None:
    trail.report.write_text("# DR drill\nRTO 2 min\n")
    assert f"record 3 (seq 3, drill run): artefact {trail.report} changed" in broken(cli)


def test_deleted_artefact_is_named(trail: Trail, cli) -> None:
    trail.report.unlink()
    assert f"record 3 (seq 3, drill run): artefact {trail.report} is missing" in broken(cli)


def test_unsigned_record_after_signed_ones_fails(trail: Trail, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record that claims to be a keyless refusal but says it changed something counts as
    plainly unsigned: after signed records, a failure."""
    monkeypatch.delenv("GOVOPS_AUDIT_KEY")
    record("cloud destroy", ["govops", "cloud", "destroy"], "ok", unsigned="refusal")
    assert "record 7 (seq 7, cloud destroy): unsigned, but records before it are signed" in broken(cli)


def test_lab_and_refusal_records_after_signed_ones_are_counted_apart(
        trail: Trail, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVOPS_AUDIT_KEY")
    record("estate lock", ["govops", "estate", "lock", "--unsigned"], "ok")  # allowed: "lab"
    record("net push", ["govops", "net", "push"], "refused: no key", unsigned="refusal")
    code, out, _ = cli("audit", "verify")
    assert code == 0 and ("6 signed, 1 unsigned on request (lab, chain only), 1 unsigned "
                          "refusals") in out
    report = json.loads(cli("audit", "verify", "--output", "json")[1])
    assert (report["unsigned_lab"], report["unsigned_refusals"], report["unsigned"]) == (1, 1, 0)
    assert "record 7 (seq 7, estate lock): unsigned on request (lab), but --require-signed" in \
        broken(cli, "--require-signed")


def test_without_a_key_or_a_reason_nothing_is_recorded(audit_env: Path) -> None:
    from govops.audit.trail import allow_unsigned
    from govops.errors import NotAllowed

    allow_unsigned(None)
    with pytest.raises(NotAllowed, match="every audit record is signed"):
        record("estate lock", ["govops"], "ok")
    assert not audit_env.exists()


def test_missing_head_fails(trail: Trail, cli) -> None:
    (trail.log.parent / "audit.jsonl.head").unlink()
    assert "head file" in broken(cli)


def test_since_skips_old_signatures_but_not_the_chain(trail: Trail, cli) -> None:
    code, out, _ = cli("audit", "verify", "--since", "2999-01-01", "--output", "json")
    assert code == 0 and json.loads(out)["signatures_checked"] == 0
    lines = trail.lines()
    del lines[1]
    trail.write(lines)
    assert "seq 2 deleted" in broken(cli, "--since", "2999-01-01")


def test_json_lists_every_problem(trail: Trail, cli) -> None:
    trail.edit(2, lambda d: d.update(result="x"))
    trail.report.write_text("changed")
    code, out, _ = cli("audit", "verify", "--output", "json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert [(p["record"], p["kind"]) for p in report["problems"]] == [
        (2, "edited"), (3, "artefact-changed")]
    assert report["first"]["record"] == 2


def test_unsigned_log_passes_unless_signatures_are_required(audit_env: Path, cli) -> None:
    for n in range(3):
        record("estate lock", ["govops"], f"ok {n}")
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "3 unsigned on request (lab, chain only)" in out
    assert "record 1 (seq 1, estate lock): unsigned on request (lab)" in broken(cli, "--require-signed")
    # make demo checks only its own records: --require-signed from --since on
    assert cli("audit", "verify", "--require-signed", "--since", "2999-01-01")[0] == 0


def test_bad_since_and_missing_log_exit_2(cli, tmp_path: Path) -> None:
    assert cli("audit", "verify", "--since", "last tuesday")[0] == 2
    assert cli("audit", "verify", "--log", tmp_path / "nope.jsonl")[0] == 2


def test_signatures_checked_in_worker_processes(trail: Trail, monkeypatch: pytest.MonkeyPatch) -> None:
    from govops.audit import verify

    monkeypatch.setattr(verify, "_POOL_MIN", 1)
    monkeypatch.setattr(verify, "_CHUNK", 2)
    assert verify.verify_log(trail.log, jobs=2).ok
    trail.edit(5, lambda d: d.update(result="ok (edited)"), resum=True)
    report = verify.verify_log(trail.log, jobs=2)
    assert report.signatures_checked == 6
    assert [(p.record, p.kind) for p in report.problems][:1] == [(5, "signature")]


@pytest.mark.parametrize("damage", [
    lambda line: line[: len(line) // 2],
    lambda line: b"",
    lambda line: line.replace(b'"seq":3', b'"seq":"3"'),
    lambda line: line.replace(b'"who":{', b'"who":"x","whom":{'),
], ids=["cut", "emptied", "seq-as-text", "who-as-text"])
def test_damaged_line_is_named_without_a_traceback(trail: Trail, cli, damage) -> None:
    lines = trail.lines()
    lines[2] = damage(lines[2])
    trail.write(lines)
    err = broken(cli)
    assert "record 3: not a" in err
