"""keygen, show, sign-file and verify-file as a user runs them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from govops.audit import keys, record
from tests.audit.conftest import PASSPHRASE
from tests.conftest import ROOT


def test_keygen_writes_a_sealed_key_and_registers_the_public_half(tmp_path: Path, audit_env: Path, cli,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVOPS_AUDIT_PASSPHRASE", PASSPHRASE)
    code, out, err = cli("audit", "keygen", "--out", tmp_path / "k", "--operator", "bob", "--output", "json")
    assert code == 0, err
    made = json.loads(out)
    key_file = Path(made["private"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    data = json.loads(key_file.read_text())
    assert data["kdf"]["name"] == "pbkdf2-hmac-sm3" and data["kdf"]["iterations"] == keys.ITERATIONS
    assert "private" not in data and made["key_id"] == data["key_id"]
    assert Path(made["keyring"]) == audit_env.parent / "keys" / f"{made['key_id']}.pub"
    assert keys.unlock(key_file, PASSPHRASE).public.operator == "bob"
    with pytest.raises(Exception, match="wrong passphrase"):
        keys.unlock(key_file, PASSPHRASE + "!")
    code, _, err = cli("audit", "keygen", "--out", tmp_path / "k", "--operator", "bob")
    assert code == 2 and "already exists" in err


def test_keygen_refuses_the_repository_and_short_passphrases(tmp_path: Path, cli,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVOPS_AUDIT_PASSPHRASE", PASSPHRASE)
    code, _, err = cli("audit", "keygen", "--out", ROOT / "audit" / "mine")
    assert code == 2 and "outside the repository" in err
    monkeypatch.setenv("GOVOPS_AUDIT_PASSPHRASE", "short")
    code, _, err = cli("audit", "keygen", "--out", tmp_path / "k")
    assert code == 2 and "too short" in err


def test_show_filters_and_json(audit_env: Path, cli, signing: keys.OperatorKey) -> None:
    record("net push", ["govops", "net", "push", "--limit", "town-*"], "ok", devices=["town-1", "town-2"])
    record("tenant add", ["govops", "tenant", "add", "health"], "ok", tenants=["health"])
    record("net rollback", ["govops", "net", "rollback", "x"], "failed: 1 device", devices=["town-2"])
    code, out, _ = cli("audit", "show", "--device", "town-2", "--output", "json")
    assert code == 0 and [r["record"] for r in json.loads(out)] == [1, 3]
    code, out, _ = cli("audit", "show", "--tenant", "health", "--output", "json")
    assert [r["command"] for r in json.loads(out)] == ["tenant add"]
    code, out, _ = cli("audit", "show", "--command", "net", "--since", "1h", "--output", "json")
    assert [r["seq"] for r in json.loads(out)] == [1, 3]
    assert json.loads(cli("audit", "show", "--since", "2999-01-01", "--output", "json")[1]) == []
    code, out, _ = cli("audit", "show")
    assert code == 0 and "tenant add" in out and "3 record(s)" in out


def test_sign_and_verify_a_report(tmp_path: Path, cli, signing: keys.OperatorKey,
                                  operator_files: tuple[Path, Path]) -> None:
    report = tmp_path / "drill-report.md"
    report.write_text("# DR drill 2026-11-28\nRTO 12 min, RPO 0\n")
    code, out, err = cli("audit", "sign-file", report)
    assert code == 0, err
    sig = tmp_path / "drill-report.md.sig"
    assert json.loads(sig.read_text())["key_id"] == signing.public.key_id
    # the auditor holds the operator's public key
    code, out, err = cli("audit", "verify-file", report, "--key", operator_files[1])
    assert code == 0 and "signature good" in out, err
    # not trusted without the key or a keyring holding it
    code, _, err = cli("audit", "verify-file", report, "--keyring", tmp_path / "empty")
    assert code == 1 and "not a trusted key" in err
    report.write_text("# DR drill 2026-11-28\nRTO 2 min, RPO 0\n")
    code, _, err = cli("audit", "verify-file", report, "--key", operator_files[1])
    assert code == 1 and "changed since alice" in err


def test_edited_signature_file_fails(tmp_path: Path, cli, signing: keys.OperatorKey,
                                     operator_files: tuple[Path, Path]) -> None:
    export = tmp_path / "export.csv"
    export.write_text("a,b\n")
    assert cli("audit", "sign-file", export, "--signature", tmp_path / "export.sig")[0] == 0
    sig = json.loads((tmp_path / "export.sig").read_text())
    sig["signed_at"] = "2020-01-01T00:00:00Z"
    (tmp_path / "export.sig").write_text(json.dumps(sig))
    code, _, err = cli("audit", "verify-file", export, "--signature", tmp_path / "export.sig",
                       "--key", operator_files[1])
    assert code == 1 and "does not verify" in err
    code, _, err = cli("audit", "verify-file", export)  # default export.csv.sig: absent
    assert code == 2 and "no signature file" in err


def test_exit_codes_in_a_real_process(tmp_path: Path, audit_env: Path, signing: keys.OperatorKey) -> None:
    record("estate lock", ["govops"], "ok")
    record("estate lock", ["govops"], "ok")
    run = [sys.executable, "-m", "govops", "audit", "verify"]
    result = subprocess.run(run, capture_output=True, text=True, env=os.environ, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = audit_env.read_text().splitlines()
    audit_env.write_text(lines[1] + "\n" + lines[0] + "\n")
    result = subprocess.run(run, capture_output=True, text=True, env=os.environ, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "record 1 (seq 2, estate lock): out of order" in result.stderr
