"""For lab tests that check the audit records of real `govops` processes: a fresh log and a
signing operator key in the environment the subprocesses inherit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from govops.audit import keys
from tests.conftest import ROOT

PASSPHRASE = "lab tester passphrase"


def signed_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point GOVOPS_AUDIT_LOG at a new log under `tmp_path` and sign with a new operator key,
    which holds every role on the lab estate (its registry through GOVOPS_LAB_OPERATORS)."""
    from govops.operators.registry import ROLES
    from tests.conftest import make_registry

    key, _, _ = keys.generate(tmp_path / "operator", "lab-tester", PASSPHRASE, iterations=2000)
    registry = make_registry(tmp_path / "operator" / "operators.yaml", key, PASSPHRASE,
                             [(key, list(ROLES))])
    monkeypatch.setenv("GOVOPS_LAB_OPERATORS", str(registry))
    log = tmp_path / "audit" / "audit.jsonl"
    monkeypatch.setenv("GOVOPS_AUDIT_LOG", str(log))
    monkeypatch.setenv("GOVOPS_AUDIT_KEY", str(key))
    monkeypatch.setenv("GOVOPS_AUDIT_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("GOVOPS_AUDIT_KEYRING", raising=False)
    return log


def records(log: Path) -> list[dict]:
    """Every record of the log, oldest first (none when it does not exist)."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def verify(log: Path) -> subprocess.CompletedProcess[str]:
    """`govops audit verify --log LOG --require-signed` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "govops", "audit", "verify", "--log", str(log),
                           "--require-signed"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def tamper_line(path: Path, old: str, new: str) -> bytes:
    """Edit the first line of a journal holding `old`, in place; returns the original bytes."""
    original = path.read_bytes()
    lines = original.decode().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if old in line)
    lines[index] = lines[index].replace(old, new, 1)
    path.write_text("".join(lines))
    return original


def assert_edit_is_named(log: Path, path: Path, old: str, new: str, shown: str) -> None:
    """`audit verify` passes; after `old` → `new` in one line of `path` it fails (exit 1) naming
    artefact `shown`; `path` is restored afterwards."""
    checked = verify(log)
    assert checked.returncode == 0, checked.stderr
    original = tamper_line(path, old, new)
    try:
        checked = verify(log)
        assert checked.returncode == 1
        assert f"artefact {shown} changed" in checked.stderr, checked.stderr
    finally:
        path.write_bytes(original)
