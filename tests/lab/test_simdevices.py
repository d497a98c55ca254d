"""The simulated VRP/Comware devices: Netmiko's own drivers drive them, their outputs parse
with part 1's templates, their configs with its hier_config options, their safety nets work.

Every simulator here listens on 127.0.0.1 and is started and stopped by the test itself.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from govops.lab.simdevices import tree
from govops.lab.simdevices.cli import PAGE, CliSession
from govops.lab.simdevices.device import SimDevice
from govops.lab.simdevices.protocols import Estate
from govops.network.diff import remediation
from govops.network.parse import read_state
from govops.network.platforms import platform_spec
from tests.lab import simharness

ROOT = Path(__file__).resolve().parents[2]
REAL = {p: sorted((ROOT / "tests" / "network" / p / "real").glob("*.cfg"))
        for p in ("huawei_vrp", "h3c_comware")}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    """The vendor estate at its intent, served on 127.0.0.1."""
    lab = simharness.start(tmp_path_factory.mktemp("sim"), blank=["town-yuexiu-a"])
    yield lab
    lab.thread.stop()


def _connect(sim, name: str):  # noqa: ANN202
    from netmiko import ConnectHandler

    host, port = sim.world.listen[name]
    dtype = {"vrp8": "huawei_vrpv8", "vrp5": "huawei", "comware7": "hp_comware"}[
        sim.world.devices[name].flavour]
    return ConnectHandler(device_type=dtype, host=host, port=port, username="netops",
                          password="sim-pass")


@pytest.mark.parametrize("name", ["city-gz-1", "cnty-tianhe-1", "town-tianhe-a"])
def test_netmiko_vendor_drivers_configure_commit_and_read(sim, name: str) -> None:
    """huawei_vrpv8 (CE6881), huawei (S5731) and hp_comware (S5560X), unmodified."""
    with _connect(sim, name) as conn:
        assert conn.find_prompt().strip("<>") == name
        out = conn.send_config_set(["interface LoopBack7", "description netmiko was here",
                                    "quit"])
        assert "Error" not in out and "%" not in out
        if sim.world.devices[name].flavour == "vrp8":
            assert "[*" + name in out  # uncommitted changes show in the prompt
            conn.commit()
        else:
            conn.exit_config_mode()
        assert "description netmiko was here" in conn.send_command("display current-configuration")
        state = read_state(sim.world.devices[name].platform,
                           {d.command: conn.send_command(d.command)
                            for d in platform_spec(sim.world.devices[name].platform).displays},
                           source=name)
        assert state.bgp and all(n.up for n in state.bgp), state.bgp
        assert state.ospf and all(n.up for n in state.ospf)
        conn.send_config_set(["undo interface LoopBack7"])
        if sim.world.devices[name].flavour == "vrp8":
            conn.commit()


def test_every_display_parses_and_sessions_follow_the_configs(sim) -> None:
    """Each device's displays parse with the project's templates; a town left blank has no
    session, and its neighbours do not count it as up."""
    world = sim.world
    for name, dev in world.devices.items():
        spec = platform_spec(dev.platform)
        from govops.lab.simdevices.displays import display

        outputs = {d.command: world.call(display, dev, world.estate, d.command)
                   for d in spec.displays}
        state = read_state(dev.platform, {c: t for c, t in outputs.items() if t.strip()},
                           source=name)
        if name == "town-yuexiu-a":
            assert not state.bgp and not state.ospf
        elif dev.faults.down is False and sim.estate.nodes[name].managed:
            assert state.routes4 and state.routes6
    county = world.call(world.estate.state, "cnty-yuexiu-1")
    assert "town-yuexiu-a" not in {a.peer_name for a in county.ospf}
    assert {a.peer_name for a in county.ospf} >= {"city-gz-1", "city-gz-2", "town-yuexiu-b"}


def _pair(area_a: str, area_b: str, peer_b: bool = True) -> Estate:
    def cfg(name: str, ip: str, lo: str, area: str, peer: str, as_b: str) -> str:
        bgp = (f"bgp 65000\n router-id {lo}\n peer {peer} as-number {as_b}\n"
               f" peer {peer} connect-interface LoopBack0\n#\n")
        return (f"sysname {name}\n#\nospf 1 router-id {lo}\n area {area}\n#\n"
                f"interface GigabitEthernet0/0/1\n ip address {ip} 255.255.255.254\n"
                f" ospf network-type p2p\n ospf enable 1 area {area}\n#\n"
                f"interface LoopBack0\n ip address {lo} 255.255.255.255\n"
                f" ospf enable 1 area {area}\n#\n" + bgp + "return\n")
    a = SimDevice("a", "huawei_vrp", "vrp5", tree.parse(
        cfg("a", "198.18.64.0", "198.18.0.1", area_a, "198.18.0.2", "65000")))
    b = SimDevice("b", "huawei_vrp", "vrp5", tree.parse(
        cfg("b", "198.18.64.1", "198.18.0.2", area_b, "198.18.0.1",
            "65000" if peer_b else "65009")))
    return Estate({"a": a, "b": b})


def test_ospf_full_only_in_the_same_area_and_bgp_only_when_both_ends_agree() -> None:
    ok = _pair("0.0.0.1", "0.0.0.1")
    assert [x.router_id for x in ok.state("a").ospf] == ["198.18.0.2"]
    assert [s.state for s in ok.state("a").bgp[4]] == ["Established"]
    assert _pair("0.0.0.1", "0.0.0.2").state("a").ospf == []
    assert [s.state for s in _pair("0.0.0.1", "0.0.0.2").state("a").bgp[4]] == ["Idle"]
    assert [s.state for s in _pair("0.0.0.1", "0.0.0.1", peer_b=False).state("a").bgp[4]] == ["Active"]
    down = _pair("0.0.0.1", "0.0.0.1")
    down.devices["b"].faults.down = True
    assert down.state("a").ospf == [] and down.state("a").bgp[4][0].state != "Established"


def _session(flavour: str) -> CliSession:
    platform = "h3c_comware" if flavour == "comware7" else "huawei_vrp"
    dev = SimDevice("r1", platform, flavour, tree.parse(f"sysname r1\n#\n{_LONG}\nreturn\n"))
    return CliSession(dev, Estate({"r1": dev}), "netops")


_LONG = "\n".join(f"interface LoopBack{i}\n description filler {i}\n#" for i in range(40))


@pytest.mark.parametrize("flavour,off,marker", [
    ("vrp8", "screen-length 0 temporary", "Error: Unrecognized command found at '^' position."),
    ("vrp5", "screen-length 0 temporary", "Error: Unrecognized command found at '^' position."),
    ("comware7", "screen-length disable", "% Unrecognized command found at '^' position."),
])
def test_paging_until_disabled_and_error_markers(flavour: str, off: str, marker: str) -> None:
    cli = _session(flavour)
    paged = cli.feed("display current-configuration\n")
    assert "---- More ----" in paged and paged.count("\r\n") <= PAGE + 2
    rest = cli.feed(" " * 10)
    assert rest.rstrip().endswith("<r1>")
    cli.feed(off + "\n")
    assert "---- More ----" not in cli.feed("display current-configuration\n")
    cli.feed("system-view\n")
    assert marker in cli.feed("frobnicate now\n")
    assert "Incomplete command" in cli.feed("sysname\n")


def test_vrp8_prompts_candidate_and_commit_list() -> None:
    cli = _session("vrp8")
    assert cli.feed("system-view\n").endswith("[~r1]")
    assert cli.feed("interface LoopBack99\n").endswith("[*r1-LoopBack99]")
    assert "LoopBack99" not in cli.dev.display_current()  # not committed yet
    assert cli.feed("quit\n").endswith("[*r1]")
    assert "Y(yes)/N(no)/C(cancel)" in cli.feed("return\n")
    assert cli.feed("N\n").endswith("<r1>")
    assert "LoopBack99" not in cli.dev.display_current()


async def _async(fn):  # noqa: ANN001, ANN202
    return fn()


def test_commit_trial_rolls_back_when_its_timer_expires_and_abort_trial_at_once() -> None:
    import asyncio

    async def scenario() -> None:
        cli = _session("vrp8")
        cli.scale = 0.01  # 60 s of device time is 0.6 s here
        cli.feed("system-view\ninterface LoopBack99\nquit\ncommit trial 60\n")
        assert "LoopBack99" in cli.dev.display_current()
        listing = cli.feed("display configuration commit list\n")
        assert "1000000001" in listing
        await asyncio.sleep(1.0)
        assert "LoopBack99" not in cli.dev.display_current()  # the device rolled back
        cli.feed("interface LoopBack98\nquit\ncommit trial 60\n")
        assert "rolled back" in cli.feed("abort trial\n")
        assert "LoopBack98" not in cli.dev.display_current()
        cli.feed("interface LoopBack97\nquit\ncommit trial 60\ncommit\n")
        await asyncio.sleep(1.0)
        assert "LoopBack97" in cli.dev.display_current()  # confirmed: stays
    asyncio.run(scenario())


def test_comware_commit_delay_rollback_file_and_save() -> None:
    import asyncio

    async def scenario() -> None:
        cli = _session("comware7")
        cli.scale = 0.01
        assert "Continue? [Y/N]:" in cli.feed("save flash:/before.cfg\n")
        assert "saved to device successfully" in cli.feed("y\n")
        cli.feed("system-view\nconfiguration commit delay 1\ninterface LoopBack99\nquit\n")
        assert "LoopBack99" in cli.dev.display_current()
        await asyncio.sleep(1.0)
        assert "LoopBack99" not in cli.dev.display_current()
        cli.feed("interface LoopBack98\nquit\n")
        assert "[Y/N]:" in cli.feed("configuration replace file flash:/before.cfg\n")
        assert "Succeeded in replacing" in cli.feed("n\n")
        assert "LoopBack98" not in cli.dev.display_current()
        assert "successfully" in cli.feed("save force\n")
    asyncio.run(scenario())


@pytest.mark.parametrize("platform,flavour", [("huawei_vrp", "vrp8"), ("huawei_vrp", "vrp5"),
                                              ("h3c_comware", "comware7")])
def test_current_configuration_of_real_configs_reads_the_same(platform: str, flavour: str) -> None:
    """Part 1's real configs, loaded and printed by the simulator, read back identically with
    the platform's hier_config options (nothing to remediate either way)."""
    for path in REAL[platform]:
        text = path.read_text()
        if flavour == "comware7" and "comware5" in path.name:
            continue
        printed = SimDevice("x", platform, flavour, tree.parse(text)).display_current()
        assert remediation(platform, text, printed, full=True) == [], path.name
        assert remediation(platform, printed, text, full=True) == [], path.name


def test_faults_unreachable_slow_reject_and_refused_commit(sim) -> None:
    from netmiko.exceptions import NetmikoTimeoutException

    world = sim.world
    world.set_fault("city-fs-2", unreachable=True)
    time.sleep(0.2)
    with pytest.raises((NetmikoTimeoutException, OSError, ValueError)):
        _connect(sim, "city-fs-2")
    world.set_fault("city-fs-2", unreachable=False)
    time.sleep(0.2)
    world.set_fault("city-fs-2", reject=r"^description ", refuse_commit=True)
    with _connect(sim, "city-fs-2") as conn:
        assert "Error:" in conn.send_config_set(["interface LoopBack5", "description x"])
        refused = conn.send_command("commit", expect_string=r"\]\s*$")
        assert "Failed to generate committed config" in refused
        conn.send_command("return", expect_string=r"cancel\)\]:")
        conn.send_command("N", expect_string=r">\s*$")
    world.set_fault("city-fs-2", reject="", refuse_commit=False, slow_s=0.3)
    started = time.monotonic()
    with _connect(sim, "city-fs-2") as conn:
        conn.send_command("display version")
    assert time.monotonic() - started > 0.6
    world.set_fault("city-fs-2", slow_s=0.0)


def test_route_lookups_show_one_prefix_and_parse_with_the_table_templates(sim) -> None:
    """`display ip routing-table ADDRESS LENGTH` (and IPv6): exactly that prefix, read by the
    whole table's template; nothing for a prefix the device has no route to. The vendor
    driver's get_state(prefixes=…) reads these instead of the tables."""
    from govops.lab.simdevices.displays import display
    from govops.network.parse import parse_output

    world = sim.world
    for name in ("city-gz-1", "cnty-tianhe-1", "town-tianhe-a"):
        dev = world.devices[name]
        table = {4: "display ip routing-table", 6: "display ipv6 routing-table"}
        for fam, command in table.items():
            full = world.call(display, dev, world.estate, command)
            rows = parse_output(dev.platform, command, full)
            assert rows, (name, command)
            first = rows[-1]
            address = first.get("destination") or first.get("network")
            length = first.get("mask") or first.get("prefix_length")
            one = world.call(display, dev, world.estate, f"{command} {address} {length}")
            assert ("Summary Count" if dev.platform == "huawei_vrp" else "Summary count") in one
            got = parse_output(dev.platform, command, one)
            assert [(r.get("destination") or r.get("network")) for r in got] == [address]
            none = "192.0.2.99 32" if fam == 4 else "2001:db8:ffff::99 128"
            assert world.call(display, dev, world.estate, f"{command} {none}") == ""


def test_the_timing_model_makes_a_session_take_what_a_real_box_takes(sim) -> None:
    """`--timing vendor`: each answer waits what the flavour's model says (asyncio sleeps);
    without a model the simulator answers at once (every other test here)."""
    from govops.lab.simdevices.timing import VENDOR, Timing

    t = VENDOR["vrp5"]
    dev = SimDevice("r1", "huawei_vrp", "vrp5", tree.parse("sysname r1\n#\nreturn\n"))
    cli = CliSession(dev, Estate({"r1": dev}), "netops", timing=t)
    cli.feed("system-view\r")
    assert cli.delay == pytest.approx(t.command_s + len("Enter system view, return user view "
                                                      "with Ctrl+Z.") / t.output_bytes_per_s)
    cli.delay = 0.0
    cli.feed("interface LoopBack1\r")
    assert cli.delay == pytest.approx(t.command_s + t.config_line_s)
    cli.feed("return\r")
    cli.delay = 0.0
    cli.feed("save\r")
    cli.feed("y\r")  # the save itself takes the time, when it is confirmed
    assert cli.delay > t.save_s
    cli.delay = 0.0
    text = dev.display_current()
    cli.feed("screen-length 0 temporary\rdisplay current-configuration\r")
    assert cli.delay >= len(text) / t.output_bytes_per_s

    # over SSH: the session sleeps for it before it writes the answer
    world = sim.world
    world.timings = {"vrp5": Timing(login_s=0.4, command_s=0.3, config_line_s=0.0,
                                    output_bytes_per_s=1e9, commit_s=0.0, save_s=0.0,
                                    replace_s=0.0)}
    try:
        started = time.monotonic()
        with _connect(sim, "cnty-tianhe-1") as conn:
            logged_in = time.monotonic()
            conn.send_command("display version")
            answered = time.monotonic()
    finally:
        world.timings = {}
    assert logged_in - started >= 0.4 and answered - logged_in >= 0.3
