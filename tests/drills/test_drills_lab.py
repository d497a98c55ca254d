"""The drills for real, on the lab (root, PostgreSQL 15, nftables; no mocks).

Uses the lab that is up (`govops lab up`), or brings it up and takes it down at the end; a lab
found up is left up, in its original topology. Tests run in file order and each leaves the lab
in its original topology (dc-a primary, dc-b synchronous, dc-c asynchronous):

- site-loss ×2, each followed by failback: zero acknowledged writes lost, RTO ≤ 5 s;
- regional-disaster + failback: RPO counted in writes and seconds, RTO ≤ 30 s;
- a drill whose steady state fails at the start aborts without injecting its fault;
- a drill interrupted half-way (SIGTERM) still runs its rollback;
- a runner killed half-way (SIGKILL) leaves no load behind, and the next run recovers it;
- link-cut, when the extranet has been configured (`govops net push`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.audit.trail_tools import assert_edit_is_named, records, signed_log
from tests.drills.dclab import ORIGINAL, original_dc_lab

ROOT = Path(__file__).resolve().parents[2]
GOVOPS = [sys.executable, "-m", "govops"]
PG_INITDB = Path("/usr/lib/postgresql/15/bin/initdb")

pytestmark = [
    pytest.mark.lab,
    pytest.mark.timeout(900),
    pytest.mark.skipif(os.geteuid() != 0, reason="the drills need root"),
    pytest.mark.skipif(not PG_INITDB.exists() or not Path("/usr/sbin/nft").exists(),
                       reason="needs PostgreSQL 15 and nftables"),
]


def govops(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVOPS, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def drill(name: str, reports: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    proc = govops("drill", "run", name, "--output", "json", "--reports-dir", str(reports), *extra)
    assert "Traceback" not in proc.stderr, proc.stderr
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"drill {name}: rc {proc.returncode}, no JSON: {proc.stderr[-2000:]}")
    return proc.returncode, data


def roles_ok(dc: Path) -> dict[str, Any]:
    from govops.drills.probes import dc_roles

    return dc_roles(str(dc), "before", before=ORIGINAL)


def wait_original(dc: Path, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = roles_ok(dc)
        if state["ok"]:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"lab not back in its original topology: {state['detail']}")
        time.sleep(0.5)


def fail_back(reports: Path) -> dict[str, Any]:
    rc, data = drill("failback", reports)
    assert rc == 0 and data["verdict"] == "pass", data.get("reasons")
    assert data["lost_writes"] == 0
    return data


@pytest.fixture(scope="module")
def lab() -> Iterator[Path]:
    with original_dc_lab(govops) as dc:
        yield dc


@pytest.fixture(autouse=True)
def leave_original(lab: Path, tmp_path: Path) -> Iterator[None]:
    """Whatever a test did, the lab goes back to its original topology afterwards."""
    yield
    if not roles_ok(lab)["ok"]:
        from govops.drills.actions import restore_original_roles, stop_helpers
        from govops.drills.workdir import WorkDir

        for folder in tmp_path.iterdir() if tmp_path.exists() else ():
            if (folder / "processes.json").exists():
                stop_helpers(str(folder), ["sentinel", "pinger", "loadgen", "service"])
        work = WorkDir(tmp_path / "restore").create()
        restore_original_roles(str(work.path), str(lab))
        wait_original(lab, 60)


def _files(report: dict[str, Any]) -> None:
    folder = Path(report["report_dir"])
    for name in ("report.md", "report.json", "timeline.png", "ledger.csv", "journal.json"):
        assert (folder / name).exists(), name


def test_site_loss_twice_each_followed_by_failback(lab: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    log = signed_log(tmp_path / "trail", monkeypatch)
    reports = []
    for _ in range(2):
        rc, data = drill("site-loss", tmp_path)
        assert rc == 0 and data["verdict"] == "pass", data.get("reasons")
        assert data["lost_writes"] == 0 and data["rpo_s"] == 0
        assert data["rto_s"] is not None and data["rto_s"] <= 5.0
        assert data["objective"]["rto_s"] == 300 and data["objective"]["rpo_s"] == 0
        assert data["steady_state"] == {**data["steady_state"], "before": True, "after": True}
        assert data["split_brain_writes"] == 0
        (outage,) = data["outages"]
        assert outage["fault_at"] < outage["detected_at"] < outage["promoted_at"] \
            <= outage["first_write_at"]
        _files(data)
        back = fail_back(tmp_path)
        assert back["rto_s"] is not None and back["rto_s"] <= 5.0
        assert roles_ok(lab)["ok"]
        reports += [Path(data["report_dir"]) / "report.json", Path(back["report_dir"]) / "report.json"]
    # one signed record per drill run, each holding its report's digest
    recs = records(log)
    assert [r["command"] for r in recs] == ["drill run"] * 4
    assert [r["detail"]["drill"] for r in recs] == ["site-loss", "failback"] * 2
    assert all(r["result"] == "ok" and r["sig"] and r["tenants"] for r in recs)
    for rec, report in zip(recs, reports, strict=True):
        assert str(report) in rec["artefacts"]
    assert_edit_is_named(log, reports[0], '"verdict": "pass"', '"verdict": "fail"', str(reports[0]))


def test_regional_disaster_then_failback(lab: Path, tmp_path: Path) -> None:
    # DR level 5 (RPO 300 s): asynchronous replication to the remote centre may lose the last
    # few milliseconds of acknowledged writes, which level 6 (RPO 0) would not allow
    rc, data = drill("regional-disaster", tmp_path, "--tenant", "health-e-health")
    assert rc == 0 and data["verdict"] == "pass", data.get("reasons")
    assert data["rto_s"] is not None and data["rto_s"] <= 30.0
    assert data["lost_writes"] is not None and data["loss"]["checked"] > 500
    lag = data["async_lag"]
    assert lag["centre"] == "dc-c" and lag["samples"] > 0 and lag["max_bytes"] is not None
    if data["lost_writes"]:
        # the writes lost are those of the last moments before the fault: at most about the
        # async lag measured just before it (sampled, so with some slack)
        assert data["rpo_s"] <= max(data["rpo_bound_s"] or 0.0, 0.05) + 0.25
    fail_back(tmp_path)
    assert roles_ok(lab)["ok"]


def test_steady_state_failing_at_the_start_aborts_without_fault(lab: Path, tmp_path: Path) -> None:
    from govops.lab import datacentres

    datacentres.cut_centre_network(lab, "dc-c")  # dc-c stops replying: replication unhealthy
    try:
        time.sleep(3.5)
        rc, data = drill("site-loss", tmp_path)
    finally:
        datacentres.restore_centre_network(lab, "dc-c")
    assert rc == 1 and data["verdict"] == "aborted"
    assert "no fault injected" in data["reasons"][0] and "dc-c" in data["reasons"][0]
    events = [json.loads(line) for line in
              (Path(data["report_dir"]) / "events.jsonl").read_text().splitlines()]
    assert not any(e["event"] in ("fault", "cut-intent") for e in events)
    assert datacentres.status(lab).primary == "dc-a"
    wait_original(lab)


def _background(name: str, reports: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*GOVOPS, "drill", "run", name, "--output", "json", "--reports-dir",
                             str(reports)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_event(reports: Path, event: str, proc: subprocess.Popen[str], timeout: float = 60
                ) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in reports.iterdir():
            events = folder / "events.jsonl"
            if events.exists() and f'"event": "{event}"' in events.read_text():
                return folder
        if proc.poll() is not None:
            pytest.fail(f"the drill ended before {event}: {proc.stderr.read()[-2000:]}")
        time.sleep(0.02)
    pytest.fail(f"no {event} event within {timeout} s")


# 15 s: the helpers get SIGTERM when the runner dies and shut down cleanly; run 11 saw one take
# just over 5 s on a machine a 64-worker benchmark had loaded to 20+
def _helpers_gone(folder: Path, timeout: float = 15) -> None:
    from govops.drills import spawn
    from govops.drills.workdir import WorkDir

    work = WorkDir(folder)
    deadline = time.monotonic() + timeout
    while any(spawn.running(work, role) for role in work.read_processes()):
        assert time.monotonic() < deadline, f"helpers still running: {work.read_processes()}"
        time.sleep(0.1)


def _healthy(lab: Path) -> None:
    from govops.lab import datacentres

    st = datacentres.status(lab)
    assert st.primary is not None
    assert not any(c.cut for c in st.centres)
    assert [c.name for c in st.centres if c.current_role == "primary"] == [st.primary]


def test_drill_interrupted_half_way_runs_its_rollback(lab: Path, tmp_path: Path) -> None:
    proc = _background("site-loss", tmp_path)
    folder = _wait_event(tmp_path, "killed", proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    data = json.loads(out)
    assert data["verdict"] == "aborted" and "SIGTERM" in data["reasons"][0]
    events = [json.loads(line)["event"] for line in (folder / "events.jsonl").read_text().splitlines()]
    assert "rollback-done" in events and "restored" in events  # dc-a's traffic flows again
    _helpers_gone(folder)
    _healthy(lab)
    fail_back(tmp_path)
    assert roles_ok(lab)["ok"]


def test_killed_runner_leaves_no_load_and_next_run_recovers(lab: Path, tmp_path: Path) -> None:
    from govops.drills.runstate import marker_path

    proc = _background("site-loss", tmp_path)
    folder = _wait_event(tmp_path, "killed", proc)
    proc.kill()
    proc.communicate(timeout=30)
    _helpers_gone(folder)  # PR_SET_PDEATHSIG: the kernel stopped them with the runner
    assert marker_path().exists()
    rec = govops("drill", "recover", "--output", "json")
    assert rec.returncode == 0, rec.stderr
    result = json.loads(rec.stdout)
    assert result["drill"] == "site-loss"
    assert all(r["status"] == "succeeded" for r in result["rollbacks"])
    report = json.loads((folder / "report.json").read_text())
    assert report["verdict"] == "aborted" and "died" in report["reasons"][0]
    assert not marker_path().exists()
    _healthy(lab)
    fail_back(tmp_path)
    assert roles_ok(lab)["ok"]


def test_link_cut_reconverges(lab: Path, tmp_path: Path) -> None:
    from govops.drills.extranet import require_extranet
    from govops.errors import BadInput

    try:
        require_extranet(str(ROOT / "inventories" / "lab"), "town-tianhe-a", "prov-core-1")
    except BadInput as exc:
        pytest.skip(str(exc))
    rc, data = drill("link-cut", tmp_path)
    assert rc == 0 and data["verdict"] == "pass", data.get("reasons")
    assert data["rto_s"] is not None and data["rto_s"] < 1.0
    assert data["lost_writes"] == 0
