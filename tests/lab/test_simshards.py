"""Several simulator processes for one estate (govops.lab.simdevices.shards): each serves part
of the devices, and the state they compute covers the whole estate.

The shards here run in this process (two Estates, or two SimulatorThreads), sharing a folder
under the test's tmp_path, as the lab's processes share `lab/sim/shards/`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from govops.lab.simdevices import tree
from govops.lab.simdevices.cli import CliSession
from govops.lab.simdevices.device import SimDevice
from govops.lab.simdevices.protocols import Estate
from govops.lab.simdevices.server import SimulatorThread
from govops.lab.simdevices.shards import ShardLink, shard_of
from tests.lab import simharness
from tests.lab.test_simdevices import _pair


def _linked(tmp_path: Path) -> tuple[Estate, Estate, ShardLink, ShardLink]:
    """Devices a and b of `_pair` (one /31, OSPF, iBGP between loopbacks), a served by shard
    0 and b by shard 1."""
    both = _pair("0.0.0.1", "0.0.0.1")
    ea, eb = Estate({"a": both.devices["a"]}), Estate({"b": both.devices["b"]})
    la, lb = ShardLink(tmp_path, 0, 2, ea), ShardLink(tmp_path, 1, 2, eb)
    la.publish(everything=True)
    lb.publish(everything=True)
    la.receive()
    lb.receive()
    assert la.complete and lb.complete
    return ea, eb, la, lb


def test_a_bgp_session_across_two_shards_comes_up_and_follows_changes(tmp_path: Path) -> None:
    ea, eb, la, lb = _linked(tmp_path)
    assert [x.router_id for x in ea.state("a").ospf] == ["198.18.0.2"]
    assert [s.state for s in ea.state("a").bgp[4]] == ["Established"]
    assert [s.state for s in eb.state("b").bgp[4]] == ["Established"]
    # b drops its peer: b's own state changes at once, a's once b's shard has published
    b = eb.devices["b"]
    tree.undo(next(n for n in b.running.children if n.text.startswith("bgp")),
              "peer 198.18.0.1")
    b.changed()
    assert eb.state("b").bgp[4] == []
    lb.publish()          # the tick that sees the change: it must rest first
    assert lb.publish() == 1  # rested for a tick: published
    la.receive()
    assert [s.state for s in ea.state("a").bgp[4]] == ["Active"]
    # b goes down (a fault): a loses its OSPF neighbour
    b.faults.down = True
    assert lb.publish() == 1
    la.receive()
    assert ea.state("a").ospf == []


def test_a_device_is_published_once_its_changes_rest_or_after_max_wait(tmp_path: Path) -> None:
    """A push types one line after another: its shard tells the others once the device has
    rested for a tick, or every max_wait_s while it keeps changing, not after every line."""
    ea, eb, la, lb = _linked(tmp_path)
    b = eb.devices["b"]
    cli = CliSession(b, eb, "netops")
    cli.run("system-view")

    def loopback(i: int) -> None:
        cli.run(f"interface LoopBack{i}")
        cli.run(f"ip address 10.9.9.{i} 255.255.255.255")
        cli.run("quit")

    loopback(7)
    assert lb.publish() == 0  # changed during this tick
    loopback(8)
    assert lb.publish() == 0  # still changing, for less than max_wait_s
    lb.max_wait_s = 0.0
    loopback(9)
    assert lb.publish() == 1  # still changing, but for long enough
    assert lb.publish() == 0  # nothing new since
    la.receive()
    assert {"10.9.9.7", "10.9.9.8", "10.9.9.9"} <= set(ea.topology().owner)


def _plane_router(name: str, ip: str, plane_ip: str, plane_ip6: str, lo: str,
                  plane_rid: str) -> SimDevice:
    """A VRP V5 router with a public /31 (OSPF 1) and, on its dot1q subinterface bound to the
    isolated plane's VPN instance, the plane's OSPF and OSPFv3 process 200 (ADR 0021)."""
    return SimDevice(name, "huawei_vrp", "vrp5", tree.parse(
        f"sysname {name}\n#\nip vpn-instance isolated\n ipv4-family\n"
        f"  route-distinguisher 65000:200\n#\nospf 1 router-id {lo}\n area 0.0.0.1\n#\n"
        f"ospf 200 router-id {plane_rid} vpn-instance isolated\n vpn-instance-capability simple\n"
        f" area 0.0.0.1\n#\nospfv3 200 vpn-instance isolated\n router-id {plane_rid}\n#\n"
        f"interface GigabitEthernet0/0/1\n ip address {ip} 255.255.255.254\n"
        f" ospf network-type p2p\n ospf enable 1 area 0.0.0.1\n#\n"
        f"interface GigabitEthernet0/0/1.200\n dot1q termination vid 200\n"
        f" ip binding vpn-instance isolated\n ip address {plane_ip} 255.255.255.254\n"
        f" ipv6 enable\n ipv6 address {plane_ip6}/127\n ospf network-type p2p\n"
        f" ospf enable 200 area 0.0.0.1\n ospfv3 200 area 0.0.0.1\n#\n"
        f"interface LoopBack0\n ip address {lo} 255.255.255.255\n ospf enable 1 area 0.0.0.1\n"
        "#\nreturn\n"))


def _planes(st) -> dict:  # noqa: ANN001
    return {fam: {proc: [(a.peer_name, a.router_id, a.port, a.address, a.area) for a in adj]
                  for proc, adj in by.items()}
            for fam, by in (("ospf", st.planes), ("ospfv3", st.planes6))}


def test_plane_adjacencies_across_two_shards_follow_changes(tmp_path: Path) -> None:
    """A plane's OSPF/OSPFv3 neighbours (per VPN instance) between devices of two shards: the
    same as one process computes, and gone on the other shard once its port is shut."""
    a = _plane_router("a", "198.18.64.0", "198.18.96.0", "2001:db8:96::", "198.18.0.1",
                      "198.19.0.1")
    b = _plane_router("b", "198.18.64.1", "198.18.96.1", "2001:db8:96::1", "198.18.0.2",
                      "198.19.0.2")
    ea, eb = Estate({"a": a}), Estate({"b": b})
    la, lb = ShardLink(tmp_path, 0, 2, ea), ShardLink(tmp_path, 1, 2, eb)
    la.publish(everything=True)
    lb.publish(everything=True)
    la.receive()
    lb.receive()
    sub = "GigabitEthernet0/0/1.200"
    assert _planes(ea.state("a")) == {
        "ospf": {200: [("b", "198.19.0.2", sub, "198.18.96.1", "0.0.0.1")]},
        "ospfv3": {200: [("b", "198.19.0.2", sub, "2001:db8:96::1", "0.0.0.1")]}}
    assert _planes(eb.state("b"))["ospf"] == {
        200: [("a", "198.19.0.1", sub, "198.18.96.0", "0.0.0.1")]}
    assert [x.router_id for x in ea.state("a").ospf] == ["198.18.0.2"]  # the public plane too
    one = Estate({"a": a, "b": b})  # one process over both: the same plane facts
    assert _planes(one.state("a")) == _planes(ea.state("a"))
    assert _planes(one.state("b")) == _planes(eb.state("b"))
    # b shuts the port under the subinterface: b's plane neighbour goes at once, a's once b's
    # shard has published; the public adjacency goes with it
    cli = CliSession(b, eb, "netops")
    cli.feed("system-view\ninterface GigabitEthernet0/0/1\nshutdown\nquit\n")
    assert eb.state("b").planes == {} and eb.state("b").planes6 == {}
    lb.publish()
    assert lb.publish() == 1
    la.receive()
    assert ea.state("a").planes == {} and ea.state("a").ospf == []
    cli.feed("interface GigabitEthernet0/0/1\nundo shutdown\nquit\n")
    lb.publish()
    assert lb.publish() == 1
    la.receive()
    assert _planes(ea.state("a")) == _planes(one.state("a"))
    assert ea.state("a").planes[200]


def test_shards_serve_the_vendor_estate_with_sessions_across_them(tmp_path: Path) -> None:
    """The vendor estate (both planes) served by two shards (two SimulatorThreads): every
    managed device's displays parse and its sessions are all Established, whichever shard its
    peers are on, and every device's state (the planes' neighbours included) is the one a
    single process computes."""
    import asyncssh
    from netmiko import ConnectHandler

    from govops.lab.simdevices.spec import spec_from_estate, world_from_spec
    from govops.network.parse import displays_of, read_state
    from govops.network.render import render_device

    estate_dir = simharness.vendor_estate(tmp_path)
    estate = simharness.load_estate(estate_dir)
    key = tmp_path / "host_key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(key))
    seeds = {n: render_device(estate, n) for n in estate.nodes if estate.nodes[n].managed}
    spec = spec_from_estate(estate, host="127.0.0.1",
                            first_port=simharness.free_ports(len(estate.nodes)),
                            username="netops", password="sim-pass", host_key=key, seeds=seeds)
    worlds = [world_from_spec(spec, k, 2) for k in (0, 1)]
    for k, world in enumerate(worlds):
        world.link = ShardLink(tmp_path / "shards", k, 2, world.estate)
    threads = [SimulatorThread(w) for w in worlds]
    starting = [threading.Thread(target=t.start) for t in threads]  # each waits for the other
    for s in starting:
        s.start()
    for s in starting:
        s.join(60)
    try:
        shard = {d.name: shard_of(i, 2) for i, d in enumerate(spec.devices)}
        assert {shard[n] for n in worlds[0].devices} == {0}
        assert set(worlds[0].devices) | set(worlds[1].devices) == set(shard)
        whole = world_from_spec(spec).estate  # one process over every device

        def summary(st) -> tuple:  # noqa: ANN001
            return (_planes(st), [(a.peer_name, a.port) for a in st.ospf + st.ospf6 + st.bfd],
                    [(s.address, s.state) for s in st.bgp[4] + st.bgp[6]])
        for name, k in shard.items():
            got = summary(worlds[k].call(worlds[k].estate.state, name))
            assert got == summary(whole.state(name)), name
        carried = [n for n in shard if whole.state(n).planes.get(200)]
        assert {"cnty-tianhe-1", "town-tianhe-a", "city-fs-1"} <= set(carried), carried
        for name in ("city-gz-1", "town-tianhe-a"):
            world = worlds[shard[name]]
            host, port = world.listen[name]
            flavour = world.devices[name].flavour
            dtype = {"vrp8": "huawei_vrpv8", "vrp5": "huawei", "comware7": "hp_comware",
                     "comware5": "hp_comware"}[flavour]
            with ConnectHandler(device_type=dtype, host=host, port=port, username="netops",
                                password="sim-pass") as conn:
                platform = world.devices[name].platform
                model = "comware5" if flavour == "comware5" else ""
                state = read_state(platform, {d.command: conn.send_command(d.command)
                                              for d in displays_of(platform, model)},
                                   source=name, flavour=model)
            assert state.bgp and all(n.up for n in state.bgp), (name, state.bgp)
            assert state.ospf and all(n.up for n in state.ospf), (name, state.ospf)
            owners = {worlds[1 - shard[name]].estate.facts(p).router_id
                      for p in worlds[1 - shard[name]].devices}
            assert owners & {n.peer for n in state.ospf}, "no neighbour on the other shard"
        # the shards keep talking: a device shut down on shard 1 vanishes on shard 0
        other = next(n for n in ("cnty-tianhe-1", "cnty-tianhe-2") if shard[n] == 1)
        worlds[1].set_fault(other, down=True)
        deadline = time.monotonic() + 5
        town = next(n for n in worlds[0].devices if n.startswith("town-tianhe"))
        while time.monotonic() < deadline:
            peers = {a.peer_name for a in worlds[0].call(worlds[0].estate.state, town).ospf}
            if other not in peers:
                break
            time.sleep(0.1)
        assert other not in peers
    finally:
        for t in threads:
            t.stop()
