"""What a record holds, how `audited` records a command however it ends, unsigned mode."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govops.audit import audited, current, keys, record, sm2
from govops.audit.digests import tree_digest
from govops.audit.sm3 import sm3_hex
from govops.audit.trail import GENESIS, AuditLogError, field_sums, signed_bytes
from govops.errors import BadInput, CheckFailed
from tests.conftest import ROOT

LAB = ROOT / "inventories" / "lab"


def lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_record_holds_who_what_estate_inputs_artefacts(tmp_path: Path, audit_env: Path,
                                                       signing: keys.OperatorKey) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"add": "r9"}')
    out_dir = tmp_path / "out"
    (out_dir / "sub").mkdir(parents=True)
    (out_dir / "a.txt").write_text("a")
    (out_dir / "sub" / "b.txt").write_text("b")
    rec = record("tenant add", ["govops", "tenant", "add", "health"], "ok", [plan],
                 [out_dir, tmp_path / "never-written"], LAB, tenants=["health"])
    data = rec.data
    assert data["seq"] == 1 and data["prev"] == GENESIS
    assert data["who"]["operator"] == "alice" and data["who"]["key_id"] == signing.public.key_id
    assert data["who"]["user"]
    assert data["estate"] == {"dir": "inventories/lab", "sm3": tree_digest(LAB)[0],
                              "files": tree_digest(LAB)[1]}
    assert data["inputs"] == {str(plan): {"sm3": sm3_hex(b'{"add": "r9"}'), "size": 13}}
    assert sorted(data["artefacts"]) == [str(out_dir / "a.txt"), str(out_dir / "sub" / "b.txt")]
    assert data["tenants"] == ["health"] and data["result"] == "ok"
    assert data["sums"] == field_sums({k: v for k, v in data.items() if k not in ("sums", "sig")})
    assert sm2.verify(signing.public.public, signed_bytes(data), data["sig"])
    assert audit_env.read_bytes() == rec.line + b"\n"
    assert (audit_env.parent / "keys" / f"{signing.public.key_id}.pub").is_file()

    second = record("estate lock", ["govops", "estate", "lock"], "ok")
    assert second.data["seq"] == 2 and second.data["prev"] == rec.hash == sm3_hex(rec.line)
    head = json.loads((audit_env.parent / "audit.jsonl.head").read_text())
    assert head["seq"] == 2 and head["hash"] == second.hash and head["sig"]


def test_estate_hash_ignores_location_but_not_content(tmp_path: Path) -> None:
    lab_copy = tmp_path / "somewhere" / "lab"
    shutil.copytree(LAB, lab_copy)
    assert tree_digest(lab_copy) == tree_digest(LAB)
    (lab_copy / "clouds.yaml").write_text((lab_copy / "clouds.yaml").read_text() + "\n")
    assert tree_digest(lab_copy)[0] != tree_digest(LAB)[0]


def test_audited_records_success_with_artefacts(tmp_path: Path, audit_env: Path,
                                                signing: keys.OperatorKey) -> None:
    journal = tmp_path / "r.jsonl"
    with audited("net push", argv=["govops", "net", "push"], devices=["town-1"]) as audit:
        journal.write_text('{"event": "start"}\n')
        audit.add(journal)
        audit.device("town-2")
    assert audit.record is not None
    data = lines(audit_env)[0]
    assert data["result"] == "ok" and data["devices"] == ["town-1", "town-2"]
    assert list(data["artefacts"]) == [str(journal)]


@pytest.mark.parametrize(("error", "result"), [
    (CheckFailed("2 devices failed\nmore"), "failed: 2 devices failed"),
    (BadInput("no such estate"), "failed: no such estate"),
    (KeyboardInterrupt(), "interrupted"),
    (RuntimeError("boom"), "error: RuntimeError: boom"),
    (SystemExit(0), "ok"),
    (SystemExit(3), "failed: exit 3"),
])
def test_audited_records_failures_and_reraises(audit_env: Path, error: BaseException, result: str) -> None:
    with pytest.raises(type(error)), audited("drill run", argv=["govops"]):
        raise error
    assert lines(audit_env)[0]["result"] == result


def test_decorator_and_current(tmp_path: Path, audit_env: Path) -> None:
    report = tmp_path / "report.md"

    @audited("drill run", argv=["govops", "drill", "run"], devices=["dr-1"])
    def run_drill(site: str) -> None:
        report.write_text("# drill\n")
        current().add(report)
        current().device(site)

    run_drill("dc-a")
    run_drill("dc-b")  # a decorator can be used more than once: nothing carries over
    current().add(report)  # outside any audited block: a no-op
    records = lines(audit_env)
    assert [r["seq"] for r in records] == [1, 2]
    assert all(list(r["artefacts"]) == [str(report)] for r in records)
    assert [r["devices"] for r in records] == [["dc-a", "dr-1"], ["dc-b", "dr-1"]]


def test_unsigned_when_no_key_is_configured(audit_env: Path) -> None:
    rec = record("estate lock", ["govops"], "ok")
    assert rec.data["sig"] is None and rec.data["who"]["key_id"] is None


def test_wrong_passphrase_stops_before_the_work(operator_files: tuple[Path, Path], audit_env: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVOPS_AUDIT_KEY", str(operator_files[0]))
    monkeypatch.setenv("GOVOPS_AUDIT_PASSPHRASE", "not the passphrase")
    worked = []
    with pytest.raises(BadInput, match="wrong passphrase"), audited("net push"):
        worked.append(True)
    assert not worked and not audit_env.exists()


def test_missing_passphrase_is_one_clear_error(operator_files: tuple[Path, Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVOPS_AUDIT_KEY", str(operator_files[0]))
    with pytest.raises(BadInput, match="GOVOPS_AUDIT_PASSPHRASE"):
        record("x", [], "ok")


def test_damaged_tail_refuses_to_chain_and_stops_before_the_work(audit_env: Path) -> None:
    record("estate lock", ["govops"], "ok")
    with audit_env.open("a") as handle:
        handle.write('{"cut in the mid')
    with pytest.raises(AuditLogError, match="last line is not a record"):
        record("estate lock", ["govops"], "ok")
    worked = []
    with pytest.raises(AuditLogError), audited("net push"):
        worked.append(True)
    assert not worked
