"""Routing processes in verification: a crashed daemon is named, never only its neighbours."""

from __future__ import annotations

import time

from govops.network.drivers.base import Daemon
from govops.network.drivers.frr import parse_zebra_clients, uptime_seconds
from govops.network.verify import daemon_findings

# `show zebra client summary` as FRR 8.4.4 prints it, on a lab router whose ospf6d was
# restarted by watchfrr 12 s ago (the other clients connected when the router started)
ZEBRA_CLIENTS = """\
Name      Connect Time    Last Read  Last Write      IPv4 Routes           IPv6 Routes
------------------------------------------------------------------------------------------
static        00:14:52     00:02:57    00:02:57          6/5                   6/5
bfd           00:14:51     00:02:54    00:02:56          0/0                   0/0
ospf          00:14:51     00:01:57    00:02:54       1022/381                 0/0
ospf6         00:00:12     00:00:02    00:00:02          0/0                 164/0
bgp           1d02h03m     00:02:39    00:02:39         97/44                 66/36
vnc           00:14:51     00:14:51    00:02:57          0/0                   0/0
Routes column shows (added+updated)/deleted
"""


def test_uptime_forms() -> None:
    assert uptime_seconds("00:14:52") == 892
    assert uptime_seconds("1d02h03m") == 86400 + 7200 + 180
    assert uptime_seconds("2w3d04h") == 2 * 604800 + 3 * 86400 + 4 * 3600
    assert uptime_seconds("never") is None and uptime_seconds("12") is None


def test_zebra_clients_give_each_daemon_and_its_age() -> None:
    daemons = {d.name: d for d in parse_zebra_clients(ZEBRA_CLIENTS)}
    assert set(daemons) == {"staticd", "bfdd", "ospfd", "ospf6d", "bgpd"}
    assert daemons["ospf6d"].up and daemons["ospf6d"].uptime_s == 12
    assert daemons["bgpd"].uptime_s == 86400 + 7200 + 180


def test_a_daemon_missing_from_zebra_is_down() -> None:
    text = "\n".join(ln for ln in ZEBRA_CLIENTS.splitlines() if not ln.startswith("ospf6 "))
    daemons = {d.name: d for d in parse_zebra_clients(text)}
    assert daemons["ospf6d"].up is False and daemons["ospfd"].up is True


def test_findings_name_a_crash_during_the_push_and_a_dead_daemon() -> None:
    now = time.mktime((2026, 12, 7, 12, 4, 17, 0, 0, -1))
    daemons = [Daemon(name="ospf6d", up=True, uptime_s=12), Daemon(name="bgpd", up=False),
               Daemon(name="ospfd", up=True, uptime_s=900)]
    found = daemon_findings("city-gz-2", daemons, since_s=60, now=now)
    assert found == ["ospf6d on city-gz-2 crashed and was restarted at 12:04:05",
                     "bgpd on city-gz-2 is not running"]


def test_no_findings_when_every_daemon_ran_throughout() -> None:
    daemons = [Daemon(name="ospf6d", up=True, uptime_s=900)]
    assert daemon_findings("town-a", daemons, since_s=60) == []
