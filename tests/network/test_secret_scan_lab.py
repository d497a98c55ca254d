"""Issue 18 point 5 on the real lab: a rollout and a drill with a known device password, given
by reference (a mode-600 file), then every log, journal, report, audit record and JSON output
is scanned for it: nothing. Needs root and `govops lab up` (make test's lab phase)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govops.paths import lab_dir
from tests.audit.trail_tools import signed_log
from tests.conftest import ROOT
from tests.network.lab_tools import govops, lab_is_up

pytestmark = pytest.mark.lab
#: after the rollout and drill modules: the lab is configured by then
LAB_ORDER = 90


def _files_holding(folder: Path, needle: bytes) -> list[str]:
    if not folder.exists():
        return []
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_no_output_log_journal_report_or_audit_record_holds_the_device_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not lab_is_up():
        pytest.fail("the lab is not up: run govops lab up (make test does it)")
    creds = json.loads((lab_dir() / "routers" / "credentials.json").read_text())
    password = creds["password"]
    ref = tmp_path / "device-password"
    ref.write_text(password + "\n")
    ref.chmod(0o600)
    log = signed_log(tmp_path / "trail", monkeypatch)
    env = {"GOVOPS_NET_USERNAME": creds["username"], "GOVOPS_NET_PASSWORD_REF": f"file:{ref}",
           "GOVOPS_KNOWN_HOSTS": str(lab_dir() / "routers" / "known_hosts"),
           "GOVOPS_NET_PASSWORD": ""}
    reports = tmp_path / "reports"
    outputs = [
        govops("net", "push", "--estate", "inventories/lab", "--output", "json", env=env),
        govops("net", "diff", "--estate", "inventories/lab", "--output", "json", env=env),
        govops("drill", "run", "link-cut", "--reports-dir", str(reports), "--output", "json", env=env),
        govops("audit", "show", "--output", "json", env=env),
        govops("audit", "verify", "--output", "json", env=env),
    ]
    assert outputs[0].returncode == 0, outputs[0].stderr[-2000:]
    assert outputs[2].returncode in (0, 1), outputs[2].stderr[-2000:]  # a verdict, not a crash
    needle = password.encode()
    leaks = [f"output of {' '.join(o.args[-6:])}" for o in outputs
             if needle in (o.stdout + o.stderr).encode()]
    for folder in (ROOT / "rollouts", reports, ROOT / "dr-drills" / "reports", log.parent,
                   ROOT / "runs", lab_dir() / "drills", lab_dir() / "monitoring"):
        leaks += _files_holding(folder, needle)
    assert leaks == []
