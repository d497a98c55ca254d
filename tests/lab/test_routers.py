"""The router lab for real: namespaces, FRR, sshd, Netmiko, OSPF/OSPFv3 with BFD, teardown.

Runs as root against the machine's kernel (no mocks). The tests of the triangle share one lab
and run in file order: build → connect/push → converge → ping → teardown.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from govops.lab import frr, netns, procs, sshd
from govops.lab.errors import LabError
from govops.lab.routers import build, netmiko_params, status, teardown
from govops.lab.spec import LabSpec, LinkSpec, RouterSpec
from govops.lab.state import Layout, default_login_user, host_ifname
from govops.lab.statefiles import Journal

pytestmark = [
    pytest.mark.lab,
    pytest.mark.own_lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the router lab needs root"),
    pytest.mark.skipif(
        not Path("/usr/lib/frr/zebra").exists() or not Path("/usr/sbin/sshd").exists(),
        reason="needs FRR and openssh-server (apt-get install frr openssh-server)",
    ),
]

ROUTERS = ("gvtest-a", "gvtest-b", "gvtest-c")
#: (a, a_ifname, b, b_ifname, IPv4 /31, IPv6 /127) — the triangle a-b, b-c, c-a.
LINKS = (
    ("gvtest-a", "eth1", "gvtest-b", "eth1", "198.18.254.0/31", "2001:db8:fe:1::/127"),
    ("gvtest-b", "eth2", "gvtest-c", "eth1", "198.18.254.2/31", "2001:db8:fe:2::/127"),
    ("gvtest-c", "eth2", "gvtest-a", "eth2", "198.18.254.4/31", "2001:db8:fe:3::/127"),
)
BANDWIDTH_MBPS = 100


def loopback4(i: int) -> str:
    return f"198.18.255.{i + 1}"


def loopback6(i: int) -> str:
    return f"2001:db8:ff::{i + 1}"


def triangle(state_dir: Path, names: tuple[str, ...] = ROUTERS, mgmt_base: int = 0) -> LabSpec:
    routers = tuple(
        RouterSpec(
            name=name,
            mgmt_ipv4=f"198.19.254.{mgmt_base + 2 * i + 1}/31",
            mgmt_host_ipv4=f"198.19.254.{mgmt_base + 2 * i}/31",
        )
        for i, name in enumerate(names)
    )
    rename = dict(zip(ROUTERS, names, strict=True))
    links = tuple(
        LinkSpec(rename[a], ai, rename[b], bi, BANDWIDTH_MBPS) for a, ai, b, bi, _, _ in LINKS
    )
    return LabSpec(routers=routers, links=links, state_dir=state_dir)


def router_config(name: str) -> list[str]:
    """OSPFv2 + OSPFv3 with BFD on the router's two links, loopback in area 0."""
    i = ROUTERS.index(name)
    lines = [
        "router ospf",
        f" ospf router-id {loopback4(i)}",
        "exit",
        "router ospf6",  # before the interface blocks (see LAB-NOTES)
        f" ospf6 router-id {loopback4(i)}",
        "exit",
        "interface lo",
        f" ip address {loopback4(i)}/32",
        f" ipv6 address {loopback6(i)}/128",
        " ip ospf area 0",
        " ipv6 ospf6 area 0",
        "exit",
    ]
    for a, ai, b, bi, net4, net6 in LINKS:
        for side, (router, ifname) in enumerate(((a, ai), (b, bi))):
            if router != name:
                continue
            base4, plen4 = net4.split("/")
            base6, plen6 = net6.split("/")
            addr4 = base4.rsplit(".", 1)[0] + "." + str(int(base4.rsplit(".", 1)[1]) + side)
            addr6 = base6 + ("1" if side else "")
            lines += [
                f"interface {ifname}",
                f" ip address {addr4}/{plen4}",
                f" ipv6 address {addr6}/{plen6}",
                " ip ospf area 0",
                " ip ospf network point-to-point",
                " ip ospf hello-interval 1",
                " ip ospf dead-interval 3",
                " ip ospf bfd",
                " ipv6 ospf6 area 0",
                " ipv6 ospf6 network point-to-point",
                " ipv6 ospf6 hello-interval 1",
                " ipv6 ospf6 dead-interval 3",
                " ipv6 ospf6 bfd",
                "exit",
            ]
    return lines


def connect(state_dir: Path, name: str, **overrides):
    from netmiko import ConnectHandler

    return ConnectHandler(**{**netmiko_params(state_dir, name), **overrides})


def lab_pids(names: tuple[str, ...]) -> set[int]:
    return {pid for name in names for pid in netns.netns_pids(name)}


def netns_inodes(names: tuple[str, ...]) -> set[int]:
    return {ino for name in names if (ino := netns.netns_inode(name)) is not None}


def processes_in(inodes: set[int]) -> list[int]:
    """Running processes whose network namespace is one of `inodes` (named or not)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            pid = int(entry.name)
            if procs.net_inode(pid) in inodes and procs.is_running(pid):
                out.append(pid)
    return out


def assert_nothing_left(
    state_dir: Path, names: tuple[str, ...], pids: set[int], inodes: set[int], user: str
):
    assert not set(names) & netns.list_netns()
    still = [p for p in pids if procs.is_running(p)]
    assert not still, f"processes left: {still}"
    assert not processes_in(inodes), "processes left in the lab's (deleted) namespaces"
    for name in names:
        hif = host_ifname(state_dir, name)
        assert netns.wait_link_gone(hif, 3.0), f"veth {hif} left"
    assert not sshd.user_exists(user)
    assert not state_dir.exists()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("routers") / "lab"
    spec = triangle(state_dir)
    yield spec
    if state_dir.exists():  # a test failed before test_teardown_removes_everything
        teardown(state_dir)


def test_build_triangle(lab: LabSpec):
    messages: list[str] = []
    state = build(lab, progress=messages.append)
    print(f"build 3 routers: {state.seconds:.2f} s")
    assert [r.name for r in state.routers] == list(ROUTERS)
    assert all(r.healthy for r in state.routers)
    assert len(state.started) == len(ROUTERS) * (len(frr.DAEMONS) + 2)  # + sshd, watchfrr
    assert any("namespace created" in m for m in messages)
    layout = Layout(lab.state_dir)
    assert (layout.credentials.stat().st_mode & 0o777) == 0o600
    known = layout.known_hosts.read_text().splitlines()
    assert sorted(line.split()[0] for line in known) == ["198.19.254.1", "198.19.254.3",
                                                         "198.19.254.5"]
    for r in lab.routers:
        rdir = layout.router_dir(r.name)
        zebra = procs.read_pid(frr.pidfile(rdir, "zebra"))
        sshd_pid = procs.read_pid(sshd.pidfile(rdir))
        # sshd shares FRR's private mount and UTS namespaces; hostname is the router's name
        mnt = {os.stat(f"/proc/{p}/ns/mnt").st_ino for p in (zebra, sshd_pid)}
        assert len(mnt) == 1 and not procs.same_mount_ns(zebra)
        hostname = subprocess.run(
            ["nsenter", "-t", str(zebra), "-u", "hostname"], capture_output=True, text=True
        ).stdout.strip()
        assert hostname == r.name
        # links are up, shaped, and carry no addresses until a config is pushed
        for ifname in ("eth1", "eth2"):
            qdisc = subprocess.run(["tc", "-n", r.name, "qdisc", "show", "dev", ifname],
                                   capture_output=True, text=True).stdout
            assert "tbf" in qdisc and f"{BANDWIDTH_MBPS}Mbit" in qdisc
            addrs = subprocess.run(["ip", "-n", r.name, "-4", "-o", "addr", "show", ifname],
                                   capture_output=True, text=True).stdout
            assert addrs.strip() == ""
        sysctl = Path(f"/run/netns/{r.name}")
        assert sysctl.exists()
        fwd = subprocess.run(
            ["ip", "netns", "exec", r.name, "sysctl", "-n", "net.ipv4.ip_forward",
             "net.ipv6.conf.all.forwarding", "net.ipv6.conf.all.accept_dad",
             "net.ipv6.conf.all.keep_addr_on_down"],
            capture_output=True, text=True,
        ).stdout.split()
        assert fwd == ["1", "1", "0", "1"]


def test_second_build_is_fast_and_restarts_dead_daemons(lab: LabSpec):
    t0 = time.monotonic()
    state = build(lab)
    again = time.monotonic() - t0
    print(f"idempotent rebuild: {again:.2f} s")
    assert state.started == ()
    assert again < 2.0
    # a dead daemon, sshd and watchfrr come back, in the router's existing mount namespace
    # (watchfrr first: it would restart ospfd itself)
    rdir = Layout(lab.state_dir).router_dir("gvtest-b")
    zebra = procs.read_pid(frr.pidfile(rdir, "zebra"))
    for path in (frr.pidfile(rdir, frr.SUPERVISOR), frr.pidfile(rdir, "ospfd"),
                 sshd.pidfile(rdir)):
        procs.terminate([procs.read_pid(path)])
    assert not next(r for r in status(lab.state_dir) if r.name == "gvtest-b").healthy
    state = build(lab)
    assert state.started == ("gvtest-b/ospfd", "gvtest-b/sshd", "gvtest-b/watchfrr")
    for path in (frr.pidfile(rdir, "ospfd"), sshd.pidfile(rdir)):
        pid = procs.read_pid(path)
        assert os.stat(f"/proc/{pid}/ns/mnt").st_ino == os.stat(f"/proc/{zebra}/ns/mnt").st_ino
    assert all(r.healthy for r in status(lab.state_dir))


def test_foreign_namespace_is_refused(lab: LabSpec, tmp_path: Path):
    other = LabSpec(routers=lab.routers[:1], links=(), state_dir=tmp_path / "other")
    with pytest.raises(LabError, match="gvtest-a.*not part of this lab"):
        build(other)
    assert not other.state_dir.exists()  # refused before anything was made
    assert "gvtest-a" in netns.list_netns()
    assert all(r.healthy for r in status(lab.state_dir))


def test_host_key_checking(lab: LabSpec, tmp_path: Path):
    from netmiko.exceptions import NetmikoTimeoutException

    layout = Layout(lab.state_dir)
    lines = layout.known_hosts.read_text().splitlines()
    # a's address with b's key: the connection must be refused
    key_b = lines[1].split(" ", 1)[1]
    wrong = tmp_path / "known_hosts_wrong"
    wrong.write_text(f"198.19.254.1 {key_b}\n")
    with pytest.raises(NetmikoTimeoutException, match="does not match"):
        connect(lab.state_dir, "gvtest-a", alt_key_file=str(wrong))
    # no entry at all: rejected too (no trust on first use)
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    with pytest.raises(NetmikoTimeoutException, match="not found in known_hosts"):
        connect(lab.state_dir, "gvtest-a", alt_key_file=str(empty))
    # the lab's file works
    with connect(lab.state_dir, "gvtest-a") as conn:
        assert conn.find_prompt() == "gvtest-a#"


def push(state_dir: Path, name: str) -> str:
    with connect(state_dir, name) as conn:
        out = conn.send_config_set(router_config(name))
        assert "% " not in out, out  # vtysh reports unknown/invalid commands with "% "
        conn.save_config()
        return conn.send_command("show running-config")


def test_push_ospf_with_bfd(lab: LabSpec):
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(ROUTERS)) as pool:
        running = dict(zip(ROUTERS, pool.map(lambda n: push(lab.state_dir, n), ROUTERS),
                           strict=True))
    print(f"connect+push+save, 3 routers in parallel: {time.monotonic() - t0:.2f} s")
    for name, conf in running.items():
        assert "ip ospf bfd" in conf and "ipv6 ospf6 bfd" in conf
        saved = (Layout(lab.state_dir).router_dir(name) / "etc" / "frr.conf").read_text()
        assert "router ospf6" in saved and f"hostname {name}" in saved


def ospf_full(conn) -> tuple[int, int, int]:
    """(OSPFv2 full neighbours, OSPFv3 full neighbours, BFD peers up) on one router."""
    v4 = json.loads(conn.send_command("show ip ospf neighbor json"))
    n4 = sum(
        1
        for nbrs in v4.get("neighbors", {}).values()
        for n in nbrs
        if str(n.get("state", n.get("nbrState", ""))).startswith("Full")
    )
    v6 = json.loads(conn.send_command("show ipv6 ospf6 neighbor json"))
    n6 = sum(1 for n in v6.get("neighbors", []) if str(n.get("state", "")).startswith("Full"))
    bfd = json.loads(conn.send_command("show bfd peers json"))
    up = sum(1 for p in bfd if p.get("status") == "up")
    return n4, n6, up


def test_ospf_and_bfd_converge(lab: LabSpec):
    t0 = time.monotonic()
    conns = [connect(lab.state_dir, name) for name in ROUTERS]
    try:
        deadline = time.monotonic() + 30
        while True:
            counts = [ospf_full(c) for c in conns]
            if all(c == (2, 2, 4) for c in counts):
                break
            assert time.monotonic() < deadline, f"no full adjacency: {counts}"
            time.sleep(0.5)
    finally:
        for c in conns:
            c.disconnect()
    print(f"OSPFv2/OSPFv3 full and BFD up after {time.monotonic() - t0:.1f} s")


def test_crashed_daemon_is_restarted_with_its_config_and_the_crash_is_told(lab: LabSpec):
    """watchfrr restarts a daemon that dies of a signal; it gets its saved config back and its
    adjacencies return; `status` records the crash with the signal FRR logged."""
    rdir = Layout(lab.state_dir).router_dir("gvtest-a")
    old = procs.read_pid(frr.pidfile(rdir, "ospf6d"))
    t0 = time.time()
    os.kill(old, signal.SIGSEGV)
    deadline = time.monotonic() + 20
    while True:
        router = next(r for r in status(lab.state_dir) if r.name == "gvtest-a")
        new = procs.read_pid(frr.pidfile(rdir, "ospf6d"))
        if router.healthy and new not in (None, old) and router.restarts:
            break
        assert time.monotonic() < deadline, f"ospf6d not restarted: {router}"
        time.sleep(0.2)
    print(f"ospf6d restarted by watchfrr {time.time() - t0:.1f} s after SIGSEGV")
    crash = router.restarts[-1]
    assert crash.daemon == "ospf6d" and crash.reason == "signal 11" and crash.at >= t0 - 1
    conn = connect(lab.state_dir, "gvtest-a")
    try:
        deadline = time.monotonic() + 40  # OSPFv3 adjacencies form again on the next hellos
        while (counts := ospf_full(conn))[1] != 2:
            assert time.monotonic() < deadline, f"OSPFv3 did not come back: {counts}"
            time.sleep(0.5)
    finally:
        conn.disconnect()


def ping(netns_name: str, target: str) -> subprocess.CompletedProcess[str]:
    family = "-6" if ":" in target else "-4"
    return subprocess.run(
        ["ip", "netns", "exec", netns_name, "ping", family, "-c", "2", "-i", "0.2", "-W", "2",
         target],
        capture_output=True, text=True,
    )


def test_ping_across_triangle(lab: LabSpec):
    deadline = time.monotonic() + 15  # routes follow full adjacency by an SPF run
    for i, src in enumerate(ROUTERS):
        for j in range(len(ROUTERS)):
            if i == j:
                continue
            for target in (loopback4(j), loopback6(j)):
                while (res := ping(src, target)).returncode != 0:
                    assert time.monotonic() < deadline, f"{src} -> {target}: {res.stdout}"
                    time.sleep(0.5)


def test_management_only_over_mgmt_veth(lab: LabSpec):
    # the host reaches each router's management address over its own veth
    for r in lab.routers:
        route = subprocess.run(["ip", "-o", "route", "get", r.mgmt_ipv4.split("/")[0]],
                               capture_output=True, text=True).stdout
        assert f"dev {host_ifname(lab.state_dir, r.name)} " in route
    # routers have no route to another router's management side
    res = subprocess.run(["ip", "netns", "exec", "gvtest-a", "ip", "route", "get",
                          "198.19.254.3"], capture_output=True, text=True)
    assert res.returncode != 0


def test_teardown_removes_everything(lab: LabSpec):
    user = default_login_user(lab.state_dir)
    pids = lab_pids(ROUTERS)
    inodes = netns_inodes(ROUTERS)
    assert len(pids) >= len(ROUTERS) * (len(frr.DAEMONS) + 1)
    report = teardown(lab.state_dir)
    print(f"teardown: {report.seconds:.2f} s")
    assert set(report.namespaces) == set(ROUTERS)
    assert set(report.processes) >= pids
    assert report.user == user and report.files_removed
    assert_nothing_left(lab.state_dir, ROUTERS, pids, inodes, user)
    assert teardown(lab.state_dir).namespaces == ()  # idempotent
    assert status(lab.state_dir) == []


CRASH_ROUTERS = ("gvcrash-a", "gvcrash-b", "gvcrash-c")


@pytest.mark.parametrize(
    "kill_after",
    [
        "gvcrash-a: management veth",  # namespaces and veths half made
        "login user",  # while the routers' daemons are being started
    ],
    ids=["early", "starting-daemons"],
)
def test_teardown_after_killed_build(tmp_path: Path, kill_after: str):
    state_dir = tmp_path / "lab"
    spec = triangle(state_dir, CRASH_ROUTERS, mgmt_base=16)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        sys.path[:0] = {sys.path!r}
        from govops.lab.routers import build
        from govops.lab.spec import LabSpec, LinkSpec, RouterSpec
        spec = {spec!r}
        build(spec, progress=lambda m: print(m, flush=True))
        print("BUILD FINISHED", flush=True)
        """
    ).replace("PosixPath(", "Path(")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line.strip())
            if line.startswith(kill_after):
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, seen
    assert "BUILD FINISHED" not in seen
    user = default_login_user(state_dir)
    made = set(CRASH_ROUTERS) & netns.list_netns()
    assert made  # the build got somewhere
    journalled = {e["name"] for e in Journal(Layout(state_dir).journal).entries()
                  if e["kind"] == "netns"}
    assert made <= journalled
    pids = lab_pids(CRASH_ROUTERS)
    inodes = netns_inodes(CRASH_ROUTERS)
    report = teardown(state_dir)  # at once: start scripts may still be forking daemons
    assert set(report.namespaces) == made
    time.sleep(0.3)  # anything still starting would show up by now
    assert_nothing_left(state_dir, CRASH_ROUTERS, pids, inodes, user)
