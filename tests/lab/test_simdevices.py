"""The simulated VRP/Comware devices: Netmiko's own drivers drive them, their outputs parse
with part 1's templates, their configs with its hier_config options, their safety nets work.

Every simulator here listens on 127.0.0.1 and is started and stopped by the test itself.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from govops.lab.simdevices import tree
from govops.lab.simdevices.cli import PAGE, CliSession
from govops.lab.simdevices.device import SimDevice
from govops.lab.simdevices.protocols import Estate
from govops.network.diff import remediation
from govops.network.parse import displays_of, read_state
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


def _model_flavour(flavour: str) -> str:
    """The model table's name of a simulated CLI flavour ("": the Netmiko type's own)."""
    return flavour if flavour == "comware5" else ""


def _connect(sim, name: str):  # noqa: ANN202
    from netmiko import ConnectHandler

    host, port = sim.world.listen[name]
    dtype = {"vrp8": "huawei_vrpv8", "vrp5": "huawei", "comware7": "hp_comware",
             "comware5": "hp_comware"}[sim.world.devices[name].flavour]
    return ConnectHandler(device_type=dtype, host=host, port=port, username="netops",
                          password="sim-pass")


@pytest.mark.parametrize("name", ["city-gz-1", "cnty-tianhe-1", "town-tianhe-a", "town-tianhe-b"])
def test_netmiko_vendor_drivers_configure_commit_and_read(sim, name: str) -> None:
    """huawei_vrpv8 (CE6881), huawei (S5731) and hp_comware (S5560X on Comware 7, MSR 26-30 on
    Comware 5), unmodified."""
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
        if sim.world.devices[name].flavour.startswith("comware"):
            assert "successfully" in conn.save_config()  # Netmiko's `save force`
            conn.exit_config_mode()  # its save_config enters system view first
        assert "description netmiko was here" in conn.send_command("display current-configuration")
        dev = sim.world.devices[name]
        flavour = _model_flavour(dev.flavour)
        state = read_state(dev.platform, {d.command: conn.send_command(d.command)
                                          for d in displays_of(dev.platform, flavour)},
                           source=name, flavour=flavour)
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
        from govops.lab.simdevices.displays import display

        flavour = _model_flavour(dev.flavour)
        outputs = {d.command: world.call(display, dev, world.estate, d.command)
                   for d in displays_of(dev.platform, flavour)}
        state = read_state(dev.platform, {c: t for c, t in outputs.items() if t.strip()},
                           source=name, flavour=flavour)
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
    platform = "h3c_comware" if flavour.startswith("comware") else "huawei_vrp"
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
    simharness.run_own_loop(scenario())


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
    simharness.run_own_loop(scenario())


def test_comware5_has_no_commit_delay_but_a_rollback_file_and_asks_where_to_save() -> None:
    """Comware 5: `configuration commit delay` is unknown, `configuration replace file` puts
    a saved file back, plain `save` asks for the file and whether to overwrite it (Netmiko's
    and govops' question patterns answer it), `user-interface` is its vty view (Comware 7's
    is `line`), and the banner and version line are Comware 5's."""
    cli = _session("comware5")
    assert "Hangzhou H3C" in cli.greeting() and " version 5.20" in cli.dev.display_current()
    assert "Continue? [Y/N]:" in cli.feed("save flash:/before.cfg\n")
    cli.feed("y\n")
    cli.feed("system-view\n")
    assert "% Unrecognized command" in cli.feed("configuration commit delay 1\n")
    assert "% Unrecognized command" in cli.feed("configuration commit\n")
    assert cli.feed("user-interface vty 0 4\n").endswith("[r1-ui-vty0-4]")
    cli.feed("quit\ninterface LoopBack98\nquit\n")
    assert "LoopBack98" in cli.dev.display_current()  # immediate: no candidate, no timer
    assert not cli.dev.trial_pending
    cli.feed("configuration replace file flash:/before.cfg\n")
    assert "Succeeded in replacing" in cli.feed("n\n")
    assert "LoopBack98" not in cli.dev.display_current()
    cli.feed("return\n")
    assert cli.feed("save\n").endswith("Are you sure? [Y/N]:")
    assert cli.feed("y\n").endswith("press the enter key):")
    assert cli.feed("\n").endswith("flash:/startup.cfg exists, overwrite? [Y/N]:")
    assert "saved to device successfully" in cli.feed("y\n")
    assert "% Unrecognized" in _session("comware7").feed("system-view\nuser-interface vty 0 4\n")


_COMWARE5_LINES = [
    "ipv6", "firewall enable", "firewall ipv6 enable",
    "info-center source default channel 2 log level informational",
    "ospf 1 router-id 198.18.0.20", "area 0.0.0.1", "network 198.18.64.60 0.0.0.1", "quit",
    "quit", "ospfv3 1", "router-id 198.18.0.20", "quit",
    "interface GigabitEthernet0/1", "port link-mode route", "ospf bfd enable",
    "ospfv3 1 area 0.0.0.1", "firewall packet-filter 3900 inbound", "quit",
    "bgp 65000", "undo synchronization", "peer 198.18.0.1 as-number 65000", "ipv6-family",
    "peer 2001:db8::1 as-number 65000", "quit", "quit",
    "route-policy EXTRANET-V4 deny node 10", "if-match ip-prefix ISOLATED-V4", "quit",
    "ip ip-prefix ISOLATED-V4 index 10 permit 198.18.16.0 21 less-equal 32",
    "ip ipv6-prefix ISOLATED-V6 index 10 permit 2001:db8:e000:: 36 less-equal 128",
    "acl number 3900", "rule 5 deny ip source 198.18.16.0 0.0.7.255", "quit",
    "acl ipv6 number 3900", "rule 100 permit ipv6", "quit",
    "user-interface vty 0 4", "authentication-mode scheme", "protocol inbound ssh", "quit",
    "local-user netops", "service-type ssh", "authorization-attribute level 3", "quit",
    "ntp-service unicast-server 198.18.16.123"]


def test_comware5_takes_its_own_dialect() -> None:
    """Every spelling govops renders for Comware 5 (SOURCES.md in the platform folder) is
    taken, in the views Comware 5 prompts ([r1-bgp], [r1-bgp-af-ipv6])."""
    cli = _session("comware5")
    cli.feed("system-view\n")
    prompts = []
    for line in _COMWARE5_LINES:
        out = cli.feed(line + "\n")
        assert "%" not in out, (line, out)
        prompts.append(out.rsplit("\r\n", 1)[-1])
    assert "[r1-bgp]" in prompts and "[r1-bgp-af-ipv6]" in prompts
    printed = tree.parse(cli.dev.display_current())
    assert printed.find("bgp 65000").find("ipv6-family").find("peer 2001:db8::1 as-number 65000")
    assert printed.find("ipv6") and printed.find("user-interface vty 0 4")
    assert " ipv6\n" in cli.dev.display_current()  # a global line, indented as Comware does


@pytest.mark.parametrize("line,word", [
    ("address-family ipv4 unicast", "address-family"), ("line vty 0 63", "line"),
    ("acl advanced 3900", "advanced"), ("acl ipv6 advanced 3900", "advanced"),
    ("ip prefix-list ISOLATED-V4 index 10 permit 198.18.16.0 21", "prefix-list"),
    ("ipv6 prefix-list ISOLATED-V6 index 10 permit 2001:db8:e000:: 36", "prefix-list"),
    ("if-match ip address prefix-list ISOLATED-V4", "address"), ("ntp-service enable", "enable"),
    ("user-role network-operator", "user-role"), ("local-user netops class manage", "class"),
    ("ospf 1 area 0.0.0.1", "1"), ("ip public-instance", "public-instance"),
    ("route-replicate from public protocol ospf 1 route-policy X", "route-replicate"),
    ("info-center source default loghost level informational", "loghost"),
])
def test_comware5_refuses_comware7_only_lines(line: str, word: str) -> None:
    """A Comware-7-only line on a Comware 5 box: `% Unrecognized command found at '^'
    position.`, the caret under the word it does not know, nothing stored."""
    cli = _session("comware5")
    cli.feed("system-view\n")
    before = cli.dev.display_current()
    out = cli.feed(line + "\n")
    assert "% Unrecognized command found at '^' position." in out
    caret = out.split("\r\n")[1]  # after the echo
    at = re.search(rf"(?<!\S){re.escape(word)}(?!\S)", line).start()
    assert caret.index("^") == len("[r1]") + at, out
    assert cli.dev.display_current() == before


@pytest.mark.parametrize("golden", sorted(
    (ROOT / "tests" / "network" / "golden").glob("msr2630-*.cfg")), ids=lambda p: p.stem)
def test_comware5_takes_every_line_govops_renders_for_it(golden: Path) -> None:
    """Each Comware 5 golden (tests/network/test_comware5.py), typed into a simulated
    Comware 5 as govops' remediation from a blank box: no line refused, and the box then
    prints the intent (nothing left to remediate either way)."""
    intent = golden.read_text()
    cli = _session("comware5")
    cli.dev.running = tree.parse("sysname r1\n#\nreturn\n")
    lines = remediation("h3c_comware", cli.dev.display_current(), intent, full=True)
    out = cli.feed("system-view\n" + "\n".join(lines) + "\n")
    assert "%" not in out, out[:2000]
    printed = cli.dev.display_current()
    assert remediation("h3c_comware", printed, intent, full=True) == []
    assert remediation("h3c_comware", intent, printed, full=True) == []


def test_comware7_refuses_comware5_spellings() -> None:
    cli = _session("comware7")
    cli.feed("system-view\nbgp 65000\n")
    assert "% Unrecognized" in cli.feed("ipv6-family\n")
    assert "% Unrecognized" in cli.feed("quit\nip ip-prefix A index 10 permit 10.0.0.0 8\n")


def _pair5(ipv6_on: bool = True) -> Estate:
    """Two Comware 5 routers over one /31, in V5's dialect: OSPF by `network`, IPv4 BGP in the
    BGP view, IPv6 BGP in `ipv6-family`."""
    def cfg(name: str, ip: str, ip6: str, lo: str, lo6: str, peer: str, peer6: str) -> str:
        return (f"sysname {name}\n#\n" + (" ipv6\n#\n" if ipv6_on else "")
                + f"ospf 1 router-id {lo}\n area 0.0.0.1\n  network {lo} 0.0.0.0\n"
                f"  network 198.18.64.0 0.0.0.1\n#\nospfv3 1\n router-id {lo}\n#\n"
                f"interface GigabitEthernet0/1\n port link-mode route\n"
                f" ip address {ip} 255.255.255.254\n ospf network-type p2p\n"
                f" ospfv3 1 area 0.0.0.1\n ipv6 address {ip6}/127\n#\n"
                f"interface LoopBack0\n ip address {lo} 255.255.255.255\n"
                f" ospfv3 1 area 0.0.0.1\n ipv6 address {lo6}/128\n#\n"
                f"bgp 65000\n undo synchronization\n peer {peer} as-number 65000\n"
                f" peer {peer} connect-interface LoopBack0\n #\n ipv6-family\n"
                f"  peer {peer6} as-number 65000\n  peer {peer6} connect-interface LoopBack0\n"
                "#\nreturn\n")
    a = SimDevice("a", "h3c_comware", "comware5", tree.parse(cfg(
        "a", "198.18.64.0", "2001:db8:2::", "198.18.0.1", "2001:db8::1", "198.18.0.2",
        "2001:db8::2")))
    b = SimDevice("b", "h3c_comware", "comware5", tree.parse(cfg(
        "b", "198.18.64.1", "2001:db8:2::1", "198.18.0.2", "2001:db8::2", "198.18.0.1",
        "2001:db8::1")))
    return Estate({"a": a, "b": b})


def test_comware5_sessions_follow_its_dialect() -> None:
    """OSPF by `network` in the area view, IPv4 peers of the BGP view enabled by default,
    IPv6 peers of `ipv6-family`: all up; without `ipv6` in system view no IPv6 at all."""
    on = _pair5().state("a")
    assert [a.router_id for a in on.ospf] == ["198.18.0.2"]
    assert [a.router_id for a in on.ospf6] == ["198.18.0.2"]
    assert [(s.address, s.state) for s in on.bgp[4] + on.bgp[6]] == [
        ("198.18.0.2", "Established"), ("2001:db8::2", "Established")]
    off = _pair5(ipv6_on=False).state("a")
    assert [a.router_id for a in off.ospf] == ["198.18.0.2"]
    assert off.ospf6 == [] and [s.state for s in off.bgp[6]] == ["Idle"]


@pytest.mark.parametrize("flavour", ["vrp8", "vrp5", "comware7"])
def test_planes_vrf_lite_is_accepted_and_binding_clears_addresses(flavour: str) -> None:
    """The planes' VRF-lite (ADR 0021) typed line by line: a VPN instance, a dot1q
    subinterface bound to it, the plane's OSPF process in the instance. Binding a port to an
    instance clears its addresses, as on the devices, so the binding must come first."""
    vrp = flavour.startswith("vrp")
    cli = _session(flavour)
    port = "10GE1/0/1.200" if vrp else "GigabitEthernet1/0/1.200"
    lines = (["ip vpn-instance isolated", "ipv4-family", "route-distinguisher 65000:200", "quit",
              "quit", f"interface {port}", "dot1q termination vid 200"] if vrp else
             ["ip vpn-instance isolated", "route-distinguisher 65000:200", "address-family ipv4",
              "quit", "quit", f"interface {port}", "vlan-type dot1q vid 200"])
    lines += ["ip address 198.18.64.1 255.255.255.254", "ip binding vpn-instance isolated"]
    out = cli.feed("system-view\n" + "\n".join(lines) + "\n")
    assert "Unrecognized" not in out and "removed" in out
    lines = ["ip address 198.18.64.1 255.255.255.254",
             "ospf enable 200 area 0.0.0.1" if vrp else "ospf 200 area 0.0.0.1", "quit",
             "ospf 200 router-id 198.18.0.27 vpn-instance isolated",
             "vpn-instance-capability simple", "area 0.0.0.1", "quit", "quit",
             "ospfv3 200 vpn-instance isolated", "router-id 198.18.0.27", "quit"]
    if vrp:
        lines += ["bgp 65000", "ipv4-family vpn-instance isolated",
                  "import-rib public valid-route route-policy LEAK-V4", "quit", "quit"]
    else:
        lines += ["ip public-instance", "address-family ipv4",
                  "route-replicate from vpn-instance isolated protocol ospf 200 route-policy B",
                  "quit", "quit"]
    out = cli.feed("\n".join(lines) + "\n" + ("commit\n" if flavour == "vrp8" else ""))
    assert "Unrecognized" not in out and "Incomplete" not in out, out
    printed = tree.parse(cli.dev.display_current())
    sub = printed.find(f"interface {port}")
    texts = [c.text for c in sub.children]
    assert texts[-3:-1] == ["ip binding vpn-instance isolated",
                            "ip address 198.18.64.1 255.255.255.254"], texts
    assert printed.find("ospf 200 router-id 198.18.0.27 vpn-instance isolated").find("area 0.0.0.1")
    assert printed.find("ospfv3 200 vpn-instance isolated")


@pytest.mark.parametrize("platform,flavour", [("huawei_vrp", "vrp8"), ("huawei_vrp", "vrp5"),
                                              ("h3c_comware", "comware7"),
                                              ("h3c_comware", "comware5")])
def test_current_configuration_of_real_configs_reads_the_same(platform: str, flavour: str) -> None:
    """Part 1's real configs, loaded and printed by the simulator, read back identically with
    the platform's hier_config options (nothing to remediate either way)."""
    for path in REAL[platform]:
        text = path.read_text()
        if flavour.startswith("comware") and ("comware5" in path.name) != (flavour == "comware5"):
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
    for name in ("city-gz-1", "cnty-tianhe-1", "town-tianhe-a", "town-tianhe-b"):
        dev = world.devices[name]  # town-tianhe-b: Comware 5, its own table layouts
        table = {4: "display ip routing-table", 6: "display ipv6 routing-table"}
        for fam, command in table.items():
            full = world.call(display, dev, world.estate, command)
            rows = parse_output(dev.platform, command, full)
            assert rows, (name, command)
            first = rows[-1]
            address = first.get("destination") or first.get("network")
            length = first.get("mask") or first.get("prefix_length")
            one = world.call(display, dev, world.estate, f"{command} {address} {length}")
            assert ("Summary count" if dev.flavour == "comware7" else "Summary Count") in one
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
