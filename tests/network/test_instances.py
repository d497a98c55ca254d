"""Plane instances as devices (`router@plane`, ADR 0021): selection, views, expectations,
daemons a plane instance does not run, and how they are reached. No device is contacted."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from govops.errors import BadInput
from govops.network import rollout
from govops.network.diff import select
from govops.network.drivers.base import Daemon, DeviceError, DeviceState, Neighbor
from govops.network.drivers.registry import make_driver
from govops.network.instances import device_view, instances, render_intended, split
from govops.network.journal import Journal
from govops.network.render import render_device, render_plane
from govops.network.rollout import order_devices, plan_batches
from govops.network.verify import daemon_used, expectation, missing

ROOT = Path(__file__).resolve().parents[2]
ISOLATED = ["prov-core-1", "prov-core-2", "city-gz-1", "city-gz-2", "city-fs-1", "city-fs-2",
            "cnty-tianhe-1", "cnty-tianhe-2", "cnty-nanhai-1", "cnty-nanhai-2", "town-tianhe-a",
            "town-nanhai-a"]


@pytest.fixture(scope="module")
def estate():
    from govops.estate.loader import load_estate

    return load_estate(ROOT / "inventories" / "lab")


def test_the_lab_has_twelve_isolated_instances(estate) -> None:
    assert instances(estate) == [f"{r}@isolated" for r in ISOLATED]
    assert split("town-tianhe-a@isolated") == ("town-tianhe-a", "isolated")
    assert split("town-tianhe-a") == ("town-tianhe-a", None)


def test_instances_are_selected_only_when_asked(estate) -> None:
    routers = select(estate, None)
    assert not any("@" in n for n in routers)  # the full lab runs no instances
    assert select(estate, "town-*") == [n for n in routers if n.startswith("town-")]
    assert select(estate, "*@isolated") == instances(estate)
    assert select(estate, "town-tianhe-*", planes=True) == [
        "town-tianhe-a", "town-tianhe-a@isolated", "town-tianhe-b"]
    everything = select(estate, None, planes=True)
    assert len(everything) == len(routers) + 12
    assert everything.index("prov-core-1@isolated") == everything.index("prov-core-1") + 1
    with pytest.raises(BadInput, match=r'no device matches "town-tianhe-b@isolated"'):
        select(estate, "town-tianhe-b@isolated")


def test_an_instance_goes_with_its_routers_level(estate) -> None:
    devices = order_devices(estate, select(estate, None, planes=True))
    batches = plan_batches(estate, devices, 1, 10)
    assert batches[0] == (["prov-core-1"], True)
    assert batches[1][0] == ["prov-core-1@isolated", "prov-core-2", "prov-core-2@isolated"]
    assert devices[-10:].count("town-tianhe-a@isolated") == 1


def test_an_instances_view_is_its_planes(estate) -> None:
    view = device_view(estate, "prov-core-1@isolated")
    assert view.name == "prov-core-1@isolated" and view.planes == ("isolated",)
    assert view.loopback_ipv4 == "198.18.0.27/32" and view.level == "province"
    assert [i.name for i in view.interfaces] == ["eth3", "eth4", "eth5", "eth6", "eth7"]
    assert {i.plane for i in view.interfaces} == {"isolated"}
    assert view.leaks[0].ipv4 == "198.18.64.158/31"
    with pytest.raises(BadInput, match="runs no instance for plane"):
        device_view(estate, "egress-1@isolated")


def test_intended_configs_of_routers_and_instances(estate) -> None:
    got = render_intended(estate, ["town-tianhe-a@isolated", "town-tianhe-a"])
    assert list(got) == ["town-tianhe-a@isolated", "town-tianhe-a"]
    assert got["town-tianhe-a"] == render_device(estate, "town-tianhe-a")
    assert got["town-tianhe-a@isolated"] == render_plane(estate, "town-tianhe-a", "isolated")


def _views(estate):
    return {n: device_view(estate, n) for n in [*estate.nodes, *instances(estate)]}


def test_an_instance_must_show_its_planes_adjacencies_and_cores(estate) -> None:
    views = _views(estate)
    town = views["town-tianhe-a@isolated"]
    exp = expectation(estate, town, render_plane(estate, "town-tianhe-a", "isolated"),
                      set(views), views, {})
    county1, county2 = (views[f"cnty-tianhe-{i}@isolated"] for i in (1, 2))
    want = {county1.loopback_ipv4.split("/")[0]: county1.name,
            county2.loopback_ipv4.split("/")[0]: county2.name}
    assert exp.ospf == want and exp.ospf6 == want
    assert not exp.bfd and not exp.bgp  # a plane instance runs neither
    assert set(exp.routes4) == {"198.18.0.37/32", "198.18.0.27/32",
                                views["prov-core-2@isolated"].loopback_ipv4}
    full = DeviceState(ospf=[Neighbor(peer=p, state="Full", up=True) for p in want],
                       ospf6=[Neighbor(peer=p, state="Full", up=True) for p in want],
                       routes4=set(exp.routes4), routes6=set(exp.routes6))
    assert missing(exp, full) == []
    assert missing(exp, DeviceState(routes4=set(exp.routes4), routes6=set(exp.routes6))) == [
        f"OSPF neighbour {county1.name} ({county1.loopback_ipv4.split('/')[0]}) not Full",
        f"OSPF neighbour {county2.name} ({county2.loopback_ipv4.split('/')[0]}) not Full",
        f"OSPFv3 neighbour {county1.name} ({county1.loopback_ipv4.split('/')[0]}) not Full",
        f"OSPFv3 neighbour {county2.name} ({county2.loopback_ipv4.split('/')[0]}) not Full"]


def test_an_instance_does_not_expect_peers_that_are_not_ready(estate) -> None:
    views = _views(estate)
    ready = set(views) - {"cnty-tianhe-2@isolated"}
    exp = expectation(estate, views["town-tianhe-a@isolated"], "", ready, views, {})
    assert list(exp.ospf.values()) == ["cnty-tianhe-1@isolated"]


def test_routing_processes_a_config_does_not_use() -> None:
    plane = "router ospf\n ospf router-id 1.1.1.1\nrouter ospf6\n"
    assert daemon_used("ospfd", plane) and daemon_used("ospf6d", plane)
    assert not daemon_used("bgpd", plane) and not daemon_used("bfdd", plane)
    assert daemon_used("staticd", "")
    assert daemon_used("bgpd", "router bgp 65000\n") and daemon_used("bfdd", "bfd\n")


class PlaneInstance:
    """An FRR plane instance: no bgpd, no bfdd, everything else up for long."""

    def __init__(self) -> None:
        self.applied: list[list[str]] = []

    def get_daemons(self) -> list[Daemon]:
        return [Daemon(name="staticd", up=True, uptime_s=900), Daemon(name="bfdd", up=False),
                Daemon(name="ospfd", up=True, uptime_s=900),
                Daemon(name="ospf6d", up=True, uptime_s=900), Daemon(name="bgpd", up=False)]

    def get_running(self) -> str:
        return ""

    def apply(self, lines: list[str]) -> str:
        self.applied.append(lines)
        return ""


def test_no_bgpd_in_a_plane_instance_is_no_crash(tmp_path: Path, estate, monkeypatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(rollout.time, "sleep", slept.append)
    device, journal = PlaneInstance(), Journal(tmp_path, "r")
    target = render_plane(estate, "town-tianhe-a", "isolated")
    rollout.converge_after_crash(device, "frr", target, lambda *a: [], journal,
                                 "town-tianhe-a@isolated", since=time.monotonic())
    assert not slept and not device.applied and not journal.path.exists()
    # a router's config uses both: the same report is a finding there
    found = rollout._daemon_findings(device, "prov-core-1", time.monotonic(),
                                     render_device(estate, "prov-core-1"))
    assert found == ["bfdd on prov-core-1 is not running", "bgpd on prov-core-1 is not running"]


def test_an_instance_is_reached_only_through_the_address_book(estate) -> None:
    from govops.network.credentials import Credentials

    creds = Credentials("u", "p", Path("/nonexistent"))
    view = device_view(estate, "town-tianhe-a@isolated")
    driver = make_driver(view, creds, {})
    with pytest.raises(DeviceError, match="GOVOPS_NET_ADDRESSES") as caught:
        driver.open()
    assert caught.value.unreachable
    driver = make_driver(view, creds, {"town-tianhe-a@isolated": ("198.19.248.9", 22)})
    assert (driver.name, driver.host) == ("town-tianhe-a@isolated", "198.19.248.9")
