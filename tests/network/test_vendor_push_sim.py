"""Pushing to VRP V8, VRP V5, Comware 7 and Comware 5 through the live drivers, proven on
simulated devices (tests/lab/simharness.py: 127.0.0.1, started and stopped by each test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govops.estate.views import node_view
from govops.lab.simdevices import tree
from govops.network import pushing
from govops.network.diff import remediation
from govops.network.journal import open_journal
from govops.network.platforms.h3c_comware.driver import ComwareDriver
from govops.network.platforms.huawei_vrp.driver import VrpDriver
from govops.network.rollout import RolloutOptions
from tests.lab import simharness

#: One device of each kind: CE6881 (V8), S5731 (V5), S5560X (Comware 7), MSR 26-30 (Comware
#: 5), top-down.
BLANK = ["city-fs-1", "cnty-tianhe-1", "town-tianhe-a", "town-tianhe-b"]


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    lab = simharness.start(tmp_path, blank=BLANK, time_scale=0.5)
    for key, value in lab.env.items():
        monkeypatch.setenv(key, value)
    yield lab
    lab.thread.stop()


def _events(root: Path, rollout_id: str) -> list[dict]:
    return [json.loads(x) for x in (root / f"{rollout_id}.jsonl").read_text().splitlines()]


def _unmanaged_kept(sim, name: str) -> None:
    """Every line of the site's own blocks is still there (govops may add its own lines to a
    section it shares with the site, such as `aaa`)."""
    now = tree.parse(sim.running(name))
    seeded = tree.parse(simharness.unmanaged_lines(sim.estate, name))
    held = {n.text: n.lines() for n in now.children}
    for block in seeded.children:
        assert set(block.lines()) <= set(held.get(block.text, [])), f"{name}: {block.text} lost lines"


def test_push_from_blank_then_nothing_then_rollback(sim, tmp_path: Path) -> None:
    """Blank-but-managed devices (with every fitted port listed, as the real boxes list them)
    are pushed, pushed again for nothing, then rolled back to exactly what they printed."""
    before = {name: sim.running(name) for name in BLANK}
    assert "interface 10GE1/0/48\n shutdown" in before["city-fs-1"]  # CE: ports start shut
    assert "interface GigabitEthernet0/0/48\n#" in before["cnty-tianhe-1"]
    root = tmp_path / "rollouts"
    options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=2,
                             verify_timeout_s=10)
    summary = pushing.push(sim.estate_dir, ",".join(BLANK), options, root=root)
    assert {r.device: r.status for r in summary.results} == dict.fromkeys(BLANK, "changed"), \
        [r.error for r in summary.results]
    events = _events(root, summary.rollout_id)
    trials = {e["device"]: e for e in events if e["event"] == "trial"}
    assert trials["city-fs-1"]["mode"] == "commit trial" and trials["city-fs-1"]["commit_id"]
    assert trials["cnty-tianhe-1"]["flash_backup"].endswith(".cfg")
    assert trials["town-tianhe-a"]["rollback_file"].startswith("flash:/")
    # Comware 5: no commit delay; the rollback file is saved and the change applies at once
    assert trials["town-tianhe-b"]["mode"] == "immediate"
    assert trials["town-tianhe-b"]["rollback_file"].startswith("flash:/govops-")
    assert {e["device"] for e in events if e["event"] == "confirmed"} == set(BLANK)
    for name in BLANK:
        state = sim.world.call(sim.world.estate.state, name)
        assert all(s.state == "Established" for s in state.bgp[4] + state.bgp[6])
        assert state.bgp[4] or name == "city-fs-1"  # cities run no BGP in this estate
        assert state.ospf and state.bfd, (name, len(state.ospf), len(state.bfd))
        assert not sim.world.devices[name].trial_pending
        _unmanaged_kept(sim, name)
    # both planes (ADR 0021): the isolated plane's VRF-lite reached the devices that carry it,
    # and its OSPF processes have their neighbours
    county, town = tree.parse(sim.running("cnty-tianhe-1")), tree.parse(sim.running("town-tianhe-a"))
    assert county.find("interface GigabitEthernet0/0/3.200").find("dot1q termination vid 200")
    assert town.find("ip vpn-instance isolated") and town.find("interface Vlan-interface200")
    for name in ("cnty-tianhe-1", "town-tianhe-a", "city-fs-1"):
        state = sim.world.call(sim.world.estate.state, name)
        assert state.planes.get(200) and state.planes6.get(200), name
    again = pushing.push(sim.estate_dir, ",".join(BLANK), options, root=root)
    assert {r.status for r in again.results} == {"unchanged"}
    results = pushing.rollback(summary.rollout_id, root=root)
    assert set(results.values()) == {"restored"}, results
    for name in BLANK:
        platform = sim.estate.nodes[name].platform
        assert remediation(platform, sim.running(name), before[name], full=True) == []
        # line for line the same, but for the management port's IPv6 address: a restore never
        # takes a management address away (the session could be the one using it)
        mgmt = f"interface {node_view(sim.estate, name).mgmt_interface}"
        now, then = tree.parse(sim.running(name)), tree.parse(before[name])
        for block in (now, then):
            port = block.find(mgmt)
            port.children = [c for c in port.children if not c.text.startswith("ipv6 address")]
        assert now.lines() == then.lines(), name


@pytest.mark.parametrize("canary,peers,undone_by", [
    ("city-fs-1", ["prov-core-1", "prov-core-2"], "abort trial"),
    ("town-tianhe-a", ["cnty-tianhe-1", "cnty-tianhe-2"], "configuration replace"),
    ("town-tianhe-b", ["cnty-tianhe-1", "cnty-tianhe-2"], "configuration replace"),
])
def test_canary_verification_failure_is_undone_by_the_device(sim, tmp_path: Path, canary: str,
                                                             peers: list[str],
                                                             undone_by: str) -> None:
    """The canary's upstream is down: verification fails, the device's own mechanism undoes
    the change, nothing else is touched."""
    if canary.startswith("town-"):  # its county must be configured for the town to expect it
        sim.world.call(sim.world.devices["cnty-tianhe-1"].replace_running,
                       tree.parse(sim.seeds["cnty-yuexiu-1"].replace("yuexiu", "tianhe")))
    before = {n: sim.running(n) for n in sim.world.devices}
    for peer in peers:
        sim.world.set_fault(peer, down=True)
    root = tmp_path / "rollouts"
    options = RolloutOptions(canary=1, batch_size=5, max_failures=3, workers=1,
                             verify_timeout_s=2)
    limit = canary if canary.startswith("town-") else ",".join(BLANK)
    summary = pushing.push(sim.estate_dir, limit, options, root=root)
    first = summary.results[0]
    assert first.device == canary and first.status == "failed" and first.restored, first
    assert "verification failed" in first.error
    events = _events(root, summary.rollout_id)
    assert any(e["event"] == "aborted" and e["device"] == canary for e in events)
    platform = sim.estate.nodes[canary].platform
    assert remediation(platform, sim.running(canary), before[canary], full=True) == []
    for name, text in before.items():
        if name != canary:
            assert sim.running(name) == text, f"{name} was touched ({undone_by} test)"


def test_unreachable_devices_stop_the_rollout_after_k(sim, tmp_path: Path) -> None:
    for name in ("cnty-tianhe-1", "town-tianhe-a"):
        sim.world.set_fault(name, unreachable=True)
    options = RolloutOptions(canary=0, batch_size=1, max_failures=2, workers=1,
                             verify_timeout_s=5)
    summary = pushing.push(sim.estate_dir, "cnty-tianhe-1,town-tianhe-a,town-yuexiu-a", options,
                           root=tmp_path / "rollouts")
    statuses = [r.status for r in summary.results]
    assert statuses == ["failed", "failed", "skipped"], summary.results
    assert "failure budget spent" in summary.stopped


def test_session_dropped_mid_change_leaves_a_known_config(sim, tmp_path: Path) -> None:
    """VRP V8: the session dies while the changes are typed; nothing was committed, so the
    device still runs what it ran before; resume then finishes it."""
    before = sim.running("city-fs-1")
    sim.world.set_fault("city-fs-1", drop_after=5)
    options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=1,
                             verify_timeout_s=5)
    summary = pushing.push(sim.estate_dir, "city-fs-1", options, root=tmp_path / "rollouts")
    assert summary.results[0].status == "failed"
    assert sim.running("city-fs-1") == before
    sim.world.set_fault("city-fs-1", drop_after=0)
    again = pushing.push(sim.estate_dir, "city-fs-1", options, root=tmp_path / "rollouts")
    assert again.results[0].status == "changed", again.results[0].error


class Crash(BaseException):
    """govops dies here (kill -9): nothing after this point reaches the journal."""


def _crash(self) -> None:  # noqa: ANN001 - a driver's confirm()
    raise Crash


def _only_journal(root: Path) -> str:
    (path,) = root.glob("*.jsonl")
    return path.stem


def _county_ready(sim) -> None:
    """cnty-tianhe-1 starts blank; give it its intent so that its town can verify."""
    from govops.network.render import render_device

    sim.world.call(sim.world.devices["cnty-tianhe-1"].replace_running,
                   tree.parse(render_device(sim.estate, "cnty-tianhe-1")))


@pytest.mark.parametrize("device,driver_cls,ran_out", [
    ("city-fs-1", VrpDriver, False), ("town-tianhe-a", ComwareDriver, False),
    ("city-fs-1", VrpDriver, True), ("town-tianhe-a", ComwareDriver, True),
])
def test_resume_takes_over_a_trial_armed_and_never_confirmed(sim, tmp_path: Path, monkeypatch,
                                                             device: str, driver_cls,
                                                             ran_out: bool) -> None:
    """govops dies between arming the device's safety net and confirming it. Resume confirms
    the trial that still holds the change; or, when the trial ran out and the device went
    back, pushes again under a new trial. Either way `net rollback` still has the config from
    before the change (the resume does not overwrite the first backup)."""
    if device == "town-tianhe-a":
        _county_ready(sim)
    dev = sim.world.devices[device]
    before = sim.running(device)
    root = tmp_path / "rollouts"
    options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=1,
                             verify_timeout_s=10)
    with monkeypatch.context() as patch:
        patch.setattr(driver_cls, "confirm", _crash)
        with pytest.raises(Crash):
            pushing.push(sim.estate_dir, device, options, root=root)
    rollout_id = _only_journal(root)
    assert device in open_journal(root, rollout_id)[1].armed
    assert sim.world.call(lambda: dev.trial_pending)
    if ran_out:
        assert sim.world.call(dev.expire_now)
        assert sim.running(device) == before  # the device went back by itself
    summary = pushing.resume(rollout_id, root=root)
    assert [(r.device, r.status) for r in summary.results] == [(device, "changed")], \
        summary.results[0].error
    assert not sim.world.call(lambda: dev.trial_pending)  # confirmed: no timer left
    events = [e for e in _events(root, rollout_id) if e.get("device") == device]
    taken = next(e for e in events if e["event"] == "resumed-trial")
    assert taken["pending"] is (not ran_out)
    assert events[-3]["event"] == "confirmed" and events[-1]["status"] == "changed"
    assert sum(1 for e in events if e["event"] == "backup") == 1
    assert set(pushing.rollback(rollout_id, root=root).values()) == {"restored"}
    platform = sim.estate.nodes[device].platform
    assert remediation(platform, sim.running(device), before, full=True) == []


def test_session_dropped_during_a_comware_commit_delay(sim, tmp_path: Path) -> None:
    """The session dies after `configuration commit delay` and a few lines: the device is
    half-changed until the delay runs out, then back at its config from before."""
    _county_ready(sim)
    dev = sim.world.devices["town-tianhe-a"]
    before = sim.running("town-tianhe-a")
    sim.world.set_fault("town-tianhe-a", drop_after=6)
    options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=1,
                             verify_timeout_s=5)
    summary = pushing.push(sim.estate_dir, "town-tianhe-a", options, root=tmp_path / "r")
    assert summary.results[0].status == "failed" and not summary.results[0].restored
    assert sim.running("town-tianhe-a") != before  # half-changed, the delay still running
    assert sim.world.call(dev.expire_now)
    assert sim.running("town-tianhe-a") == before
    sim.world.set_fault("town-tianhe-a", drop_after=0)
    again = pushing.push(sim.estate_dir, "town-tianhe-a", options, root=tmp_path / "r")
    assert again.results[0].status == "changed", again.results[0].error


def test_session_dropped_mid_change_on_vrp_v5_is_rolled_back(sim, tmp_path: Path) -> None:
    """VRP V5 has no timer: a session that dies half-way leaves a half-changed device, and
    `net rollback` brings it back to the backup taken before the change."""
    before = sim.running("cnty-tianhe-1")
    sim.world.set_fault("cnty-tianhe-1", drop_after=8)
    options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=1,
                             verify_timeout_s=5)
    root = tmp_path / "rollouts"
    summary = pushing.push(sim.estate_dir, "cnty-tianhe-1", options, root=root)
    assert summary.results[0].status == "failed" and not summary.results[0].restored
    assert sim.running("cnty-tianhe-1") != before
    sim.world.set_fault("cnty-tianhe-1", drop_after=0)
    assert pushing.rollback(summary.rollout_id, root=root) == {"cnty-tianhe-1": "restored"}
    assert remediation("huawei_vrp", sim.running("cnty-tianhe-1"), before, full=True) == []


@pytest.mark.parametrize("changed_meanwhile", [False, True])
def test_comware5_resume_takes_over_its_rollback_file(sim, tmp_path: Path, monkeypatch,
                                                      changed_meanwhile: bool) -> None:
    """Comware 5 has no timer: govops dies after the change and before `save force`, and the
    device keeps the change. Resume verifies and keeps it; or, when the device no longer
    holds exactly the change (someone typed on it meanwhile), puts it back to the rollback
    file with `configuration replace file` and pushes again. `net rollback` still has the
    config from before the change."""
    _county_ready(sim)
    device = "town-tianhe-b"
    dev = sim.world.devices[device]
    before = sim.running(device)  # blank (BLANK), with a real Comware 5 box's own lines
    root = tmp_path / "rollouts"
    options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=1,
                             verify_timeout_s=10)
    with monkeypatch.context() as patch:
        patch.setattr(ComwareDriver, "confirm", _crash)
        with pytest.raises(Crash):
            pushing.push(sim.estate_dir, device, options, root=root)
    rollout_id = _only_journal(root)
    assert device in open_journal(root, rollout_id)[1].armed
    assert not sim.world.call(lambda: dev.trial_pending)  # nothing on the device to run out
    if changed_meanwhile:
        changed = tree.parse(sim.running(device))
        changed.children = [c for c in changed.children if not c.text.startswith("ospfv3 1")]
        sim.world.call(dev.replace_running, changed)
    summary = pushing.resume(rollout_id, root=root)
    assert [(r.device, r.status) for r in summary.results] == [(device, "changed")], \
        summary.results[0].error
    events = [e for e in _events(root, rollout_id) if e.get("device") == device]
    assert next(e for e in events if e["event"] == "resumed-trial")["pending"] is (
        not changed_meanwhile)
    assert any(e["event"] == "aborted" for e in events) is changed_meanwhile
    assert sum(1 for e in events if e["event"] == "backup") == 1
    assert set(pushing.rollback(rollout_id, root=root).values()) == {"restored"}
    assert remediation("h3c_comware", sim.running(device), before, full=True) == []


def test_comware5_without_configuration_rollback_is_restored_line_by_line(sim,
                                                                         tmp_path: Path) -> None:
    """A Comware 5 release without configuration rollback refuses `configuration replace`:
    the driver says it cannot undo, and the rollout restores the backup line by line."""
    _county_ready(sim)
    before = sim.running("town-tianhe-b")
    for peer in ("cnty-tianhe-1", "cnty-tianhe-2"):
        sim.world.set_fault(peer, down=True)
    sim.world.set_fault("town-tianhe-b", reject=r"^configuration replace")
    options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=1,
                             verify_timeout_s=2)
    root = tmp_path / "rollouts"
    summary = pushing.push(sim.estate_dir, "town-tianhe-b", options, root=root)
    first = summary.results[0]
    assert first.status == "failed" and first.restored, first
    events = _events(root, summary.rollout_id)
    assert not any(e["event"] == "aborted" for e in events)
    assert remediation("h3c_comware", sim.running("town-tianhe-b"), before, full=True) == []


def test_comware5_is_pushed_its_own_dialect_and_refuses_comware7s(sim, tmp_path: Path) -> None:
    """town-tianhe-b (MSR 26-30, Comware 5) pushed from blank: every line of its dialect is
    taken (the simulated Comware 5 refuses Comware 7's spellings, so one such line would
    fail the push), the verifier reads its own `display bgp peer` / `display bgp ipv6 peer`,
    every session comes up, and a second push changes nothing."""
    from govops.network.drivers.base import DeviceError
    from govops.network.pushing import _connector

    _county_ready(sim)
    device = "town-tianhe-b"
    options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=1,
                             verify_timeout_s=10)
    root = tmp_path / "rollouts"
    first = pushing.push(sim.estate_dir, device, options, root=root)
    assert [(r.device, r.status) for r in first.results] == [(device, "changed")], \
        first.results[0].error
    running = tree.parse(sim.running(device))
    bgp = running.find("bgp 65000")
    assert bgp.find("ipv6-family").find("peer 2001:db8::1 as-number 65000")
    assert not [c.text for c in bgp.children if c.text.startswith("address-family")]
    assert running.find("user-interface vty 0 4") and not running.find("line vty 0 4")
    assert running.find("acl number 3900") and running.find("ipv6")
    assert running.find("ospf 1 router-id 198.18.0.20").find("area 0.0.0.1").find(
        "network 198.18.64.60 0.0.0.1")
    state = sim.world.call(sim.world.estate.state, device)
    assert [s.state for s in state.bgp[4] + state.bgp[6]] == ["Established"] * 4
    assert len(state.ospf) == len(state.ospf6) == len(state.bfd) == 2
    again = pushing.push(sim.estate_dir, device, options, root=root)
    assert [r.status for r in again.results] == ["unchanged"]
    # the verifier asked Comware 5's BGP displays: a Comware 7 command is refused there
    driver = _connector()(node_view(sim.estate, device))
    assert driver.flavour == "comware5" and isinstance(driver, ComwareDriver)
    driver.open()
    try:
        assert "% Unrecognized command" in driver.send("display bgp peer ipv4")
        assert "BGP local router ID : 198.18.0.20" in driver.send("display bgp peer")
        for line, caret in (("address-family ipv4 unicast", 0), ("line vty 0 4", 0),
                            ("acl advanced 3901", 4)):
            with pytest.raises(DeviceError, match="Unrecognized command found at '\\^' position"):
                driver.configure([line])
            shown = driver.send(line)  # the caret under the word Comware 5 does not know
            assert shown.splitlines()[0].index("^") == len(f"[{device}]") + caret, shown
        driver.to_user_view()
    finally:
        driver.close()
    assert tree.parse(sim.running(device)).lines() == running.lines()  # nothing was taken


def test_the_plane_leak_router_is_pushed_from_blank(tmp_path: Path, monkeypatch) -> None:
    """prov-core-1 (CE6881) holds the isolated plane's declared leak (ADR 0021: `import-rib`
    both ways, the plane's OSPF importing BGP) and is the route reflector: pushed from blank,
    it brings its sessions and the plane's neighbours back, and a second push finds nothing."""
    lab = simharness.start(tmp_path, blank=["prov-core-1"], time_scale=0.5)
    try:
        for key, value in lab.env.items():
            monkeypatch.setenv(key, value)
        options = RolloutOptions(canary=1, batch_size=5, max_failures=1, workers=1,
                                 verify_timeout_s=10)
        first = pushing.push(lab.estate_dir, "prov-core-1", options, root=tmp_path / "r")
        assert [(r.device, r.status) for r in first.results] == [("prov-core-1", "changed")], \
            first.results[0].error
        bgp = tree.parse(lab.running("prov-core-1")).find("bgp 65000")
        assert bgp.find("ipv4-family vpn-instance isolated").find(
            "import-rib public valid-route route-policy LEAK-ISOLATED-EXTRANET-V4")
        state = lab.world.call(lab.world.estate.state, "prov-core-1")
        assert len(state.planes[200]) == 5 and len(state.planes6[200]) == 5
        again = pushing.push(lab.estate_dir, "prov-core-1", options, root=tmp_path / "r")
        assert [r.status for r in again.results] == ["unchanged"]
    finally:
        lab.thread.stop()
