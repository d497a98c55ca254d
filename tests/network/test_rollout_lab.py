"""Rollouts on the real lab: from blank, idempotence, canary failure, failure budget, kill +
resume/rollback, silent uplink failure, bad input. Needs root and `govops lab up`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from govops.estate.loader import load_estate
from govops.lab.state import host_ifname
from govops.network.diff import remediation
from govops.paths import lab_dir
from tests.audit.trail_tools import assert_edit_is_named, records, signed_log
from tests.conftest import ROOT
from tests.network.lab_tools import (
    GOVOPS,
    blank,
    driver,
    govops,
    journal_events,
    lab_is_up,
    running,
    strip_services,
    underlay_config,
)

pytestmark = pytest.mark.lab
#: first of the full-lab modules: its first test pushes onto the freshly built (blank) lab
LAB_ORDER = 10
FS_TOWNS = ["town-nanhai-a", "town-nanhai-b", "town-shunde-a", "town-shunde-b"]


@pytest.fixture(scope="module")
def estate():
    if not lab_is_up():
        pytest.fail("the lab is not up: run govops lab up (make test does it)")
    return load_estate(ROOT / "inventories" / "lab")


def managed(estate) -> list[str]:
    return [n for n, node in estate.nodes.items() if node.managed]


def push(*args: str, **kw) -> tuple[subprocess.CompletedProcess, dict]:
    proc = govops("net", "push", "--estate", "inventories/lab", "--output", "json", *args, **kw)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        data = {}
    return proc, data


def statuses(data: dict) -> dict[str, str]:
    return {d["device"]: d["status"] for d in data.get("devices", [])}


def test_push_from_blank_configures_every_router_and_towns_reach_both_cores(
        estate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = signed_log(tmp_path, monkeypatch)
    blank(estate, managed(estate))
    proc, data = push("--workers", "6")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert set(statuses(data).values()) == {"changed"}
    assert len(data["devices"]) == len(managed(estate)) == 24
    # the audit trail: one signed record naming every device, the journal and 24 backups
    (rec,) = records(log)
    rid = data["rollout_id"]
    assert rec["command"] == "net push" and rec["result"] == "ok" and rec["sig"]
    assert rec["devices"] == sorted(managed(estate)) and rec["detail"]["rollout"] == rid
    assert f"rollouts/{rid}.jsonl" in rec["artefacts"]
    assert len([p for p in rec["artefacts"] if p.startswith(f"rollouts/{rid}/backups/")]) == 24
    assert_edit_is_named(log, ROOT / "rollouts" / f"{rid}.jsonl", '"status": "changed"',
                         '"status": "unchanged"', f"rollouts/{rid}.jsonl")
    # sessions the estate implies, read back from a town: 2 OSPF, 2 OSPFv3, 2 BFD, 4 iBGP
    d = driver(estate, "town-shunde-b")
    try:
        state = d.get_state()
    finally:
        d.close()
    assert sum(n.up for n in state.ospf) == 2 and sum(n.up for n in state.ospf6) == 2
    assert sum(n.up for n in state.bfd) >= 2
    assert sum(n.up for n in state.bgp) == 4
    reach = govops("lab", "reach", "--output", "json")
    assert reach.returncode == 0, reach.stderr
    probes = json.loads(reach.stdout)
    assert len(probes) == 8 * 2 * 2 and all(p["ok"] for p in probes)


def test_second_push_changes_nothing_and_diff_is_empty(estate) -> None:
    proc, data = push()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert set(statuses(data).values()) == {"unchanged"}
    text = govops("net", "push", "--estate", "inventories/lab")
    assert "nothing to change" in text.stdout
    diff = govops("net", "diff", "--estate", "inventories/lab", "--output", "json")
    assert diff.returncode == 0
    assert [d for d in json.loads(diff.stdout) if d["changes"]] == []


def test_canary_that_fails_verification_is_restored_and_nothing_else_is_touched(
        estate, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    import shutil

    shutil.copytree(ROOT / "network" / "templates", templates)
    device = templates / "frr" / "device.j2"
    text = device.read_text()
    assert "ip ospf area {{ i.area | dotted }}" in text
    device.write_text(text.replace("ip ospf area {{ i.area | dotted }}",
                                   "ip ospf area {{ (i.area + 7) | dotted }}"))
    before = {n: running(estate, n) for n in ("prov-core-1", "prov-core-2", "town-tianhe-a")}
    proc, data = push("--verify-timeout", "15", env={"GOVOPS_TEMPLATES": str(templates)})
    assert proc.returncode == 1
    result = statuses(data)
    assert result["prov-core-1"] == "failed"
    assert data["devices"][0]["restored"] is True and "OSPF" in data["devices"][0]["error"]
    assert {s for n, s in result.items() if n != "prov-core-1"} == {"skipped"}
    assert data["stopped"] == "canary failed"
    for name, config in before.items():
        assert not remediation("frr", running(estate, name), config), f"{name} changed"


def test_rollout_stops_after_k_unreachable_devices(estate) -> None:
    down = ["town-tianhe-a", "town-tianhe-b", "town-yuexiu-a"]
    links = [host_ifname(lab_dir() / "routers", n) for n in down]
    for link in links:
        subprocess.run(["ip", "link", "set", link, "down"], check=True)
    try:
        proc, data = push("--limit", "town-*", "--canary", "0", "--workers", "1",
                          "--max-failures", "2", "--verify-timeout", "10")
    finally:
        for link in links:
            subprocess.run(["ip", "link", "set", link, "up"], check=True)
    assert proc.returncode == 1
    result = statuses(data)
    assert [result[n] for n in down] == ["failed", "failed", "skipped"]
    assert list(result.values()).count("skipped") == 6
    assert "failure budget spent: 2 of 2" in data["stopped"]
    assert "unreachable" in data["devices"][0]["error"]
    assert "error: rollout" in proc.stderr and "Traceback" not in proc.stderr


def _start_and_kill_after_first_device(limit: str) -> str:
    argv = [*GOVOPS, "net", "push", "--estate", "inventories/lab", "--limit", limit,
            "--canary", "0", "--workers", "1", "--batch-size", "1", "--output", "json"]
    before = set((ROOT / "rollouts").glob("*.jsonl")) if (ROOT / "rollouts").exists() else set()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    rollout_id = None
    while time.monotonic() < deadline:
        new = set((ROOT / "rollouts").glob("*.jsonl")) - before
        if new:
            rollout_id = new.pop().stem
            if any(e["event"] == "done" for e in journal_events(rollout_id)):
                break
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert rollout_id, "the push never started a journal"
    done = [e for e in journal_events(rollout_id) if e["event"] == "done"]
    assert 1 <= len(done) < 4, "the kill came too late to interrupt the rollout"
    return rollout_id


def test_killed_rollout_is_finished_by_resume(estate) -> None:
    strip_services(estate, FS_TOWNS)
    rollout_id = _start_and_kill_after_first_device("town-nanhai-*,town-shunde-*")
    proc = govops("net", "resume", rollout_id, "--output", "json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    resumed = statuses(json.loads(proc.stdout))
    assert set(resumed) < set(FS_TOWNS) and set(resumed.values()) <= {"changed", "unchanged"}
    diff = json.loads(govops("net", "diff", "--limit", "town-nanhai-*,town-shunde-*",
                             "--output", "json").stdout)
    assert all(not d["changes"] for d in diff)


def test_killed_rollout_is_undone_by_rollback(estate, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    log = signed_log(tmp_path, monkeypatch)
    strip_services(estate, FS_TOWNS)
    rollout_id = _start_and_kill_after_first_device("town-nanhai-*,town-shunde-*")
    assert records(log) == []  # the killed push never got to write its record
    proc = govops("net", "rollback", rollout_id, "--output", "json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    restored = json.loads(proc.stdout)["devices"]
    assert set(restored.values()) == {"restored"}
    (rec,) = records(log)
    assert rec["command"] == "net rollback" and rec["result"] == "ok" and rec["sig"]
    assert rec["devices"] == sorted(restored) and set(restored) <= set(FS_TOWNS)
    assert list(rec["artefacts"]) == [f"rollouts/{rollout_id}.jsonl"]
    assert rec["inputs"] and all(p.startswith(f"rollouts/{rollout_id}/backups/")
                                 for p in rec["inputs"])
    assert_edit_is_named(log, ROOT / "rollouts" / f"{rollout_id}.jsonl", '"canary": 0',
                         '"canary": 1', f"rollouts/{rollout_id}.jsonl")
    for name in FS_TOWNS:
        assert not remediation("frr", running(estate, name), underlay_config(estate, name)), name
    backups = list((ROOT / "rollouts" / rollout_id / "backups").iterdir())
    assert backups and all(p.suffix == ".sm4" for p in backups)
    assert all(b"hostname" not in p.read_bytes() for p in backups)  # encrypted at rest
    proc, _ = push("--limit", "town-nanhai-*,town-shunde-*")
    assert proc.returncode == 0


def _gap_ms(lines: list[str]) -> float:
    stamps = [float(m.group(1)) for m in (re.match(r"^\[(\d+\.\d+)\].*bytes from", ln)
                                          for ln in lines) if m]
    return max((b - a) * 1000 for a, b in zip(stamps, stamps[1:], strict=False))


def measure_uplink_failover(estate, town: str = "town-tianhe-a", core: str = "prov-core-1"
                            ) -> float:
    """Loss window (ms) when the uplink a town's traffic uses is silently dropped."""
    from govops.estate.views import node_view

    t, c = node_view(estate, town), node_view(estate, core)
    src, dst = t.loopback_ipv6.split("/")[0], c.loopback_ipv6.split("/")[0]
    route = subprocess.run(["ip", "netns", "exec", town, "ip", "-6", "route", "get", dst,
                            "from", src], capture_output=True, text=True, check=True).stdout
    dev = re.search(r" dev (\S+)", route).group(1)
    iface = next(i for i in t.interfaces if i.name == dev)
    peer = node_view(estate, iface.peer)
    peer_dev = next(i.name for i in peer.interfaces if i.peer == town)
    out = Path(f"/tmp/govops-ping-{os.getpid()}.txt")
    with out.open("w") as handle:
        ping = subprocess.Popen(["ip", "netns", "exec", town, "ping", "-6", "-D", "-i", "0.005",
                                 "-w", "6", "-I", src, dst], stdout=handle,
                                stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        table = (f"table netdev govops_cut {{\n"
                 f" chain in {{ type filter hook ingress device {peer_dev} priority 0; "
                 f"policy drop; }}\n"
                 f" chain out {{ type filter hook egress device {peer_dev} priority 0; "
                 f"policy drop; }}\n}}\n")
        subprocess.run(["ip", "netns", "exec", peer.name, "nft", "-f", "-"], input=table,
                       text=True, check=True)
        try:
            ping.wait(timeout=20)
        finally:
            subprocess.run(["ip", "netns", "exec", peer.name, "nft", "delete", "table", "netdev",
                            "govops_cut"], check=False)
    lines = out.read_text().splitlines()
    out.unlink()
    return _gap_ms(lines)


def test_silent_uplink_failure_fails_over(estate) -> None:
    gap = measure_uplink_failover(estate)
    print(f"loss window on a silent uplink drop (BFD 50 ms x 3): {gap:.0f} ms")
    assert gap < 1000, f"failover took {gap:.0f} ms"
    time.sleep(3)  # the dropped adjacency comes back on the next hello (1 s in the lab)
    reach = govops("lab", "reach")
    assert reach.returncode == 0, reach.stdout[-1500:]


def test_unknown_device_in_limit_is_exit_2(estate) -> None:
    proc = govops("net", "push", "--limit", "town-nowhere")
    assert proc.returncode == 2 and "no device matches" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_wrong_credentials_fail_each_device_and_apply_nothing(estate) -> None:
    known = lab_dir() / "routers" / "known_hosts"
    proc, data = push("--limit", "town-shunde-b", env={
        "GOVOPS_NET_USERNAME": "nobody", "GOVOPS_NET_PASSWORD": "wrong",
        "GOVOPS_KNOWN_HOSTS": str(known)})
    assert proc.returncode == 1
    assert data["devices"][0]["status"] == "failed"
    assert "login refused" in data["devices"][0]["error"]


def test_template_error_is_one_line_exit_2(estate, tmp_path: Path) -> None:
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "network" / "templates", templates)
    (templates / "frr" / "device.j2").write_text("hostname {{ hostname }\n")
    proc = govops("net", "push", "--limit", "town-shunde-b",
                  env={"GOVOPS_TEMPLATES": str(templates)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "device.j2" in proc.stderr
