"""One network, two planes, with real packets (issue 15, ADR 0021).

A lab of its own (`own_lab`): every router of inventories/lab plus one FRR instance per
router for the isolated plane (12 `<router>@isolated`), each in a namespace named `gvp-…`, with
management addresses from 198.19.248.0/24 — nothing the full lab names or uses. Every device
starts at its intended config (day 0); then, from the towns' isolated LAN gateways, over IPv4
and IPv6, before and after a rollout that changes both planes:

* town ↔ town and town → the cores' isolated loopbacks answer;
* town → the declared leak target (198.18.0.1, 2001:db8::1) answers;
* town → anything else on the extranet does not, nor does the extranet (198.18.0.20) → the
  isolated LANs, nor traffic passing prov-core-1 towards them (its leak guard drops it);
* no extranet router's kernel table holds a route into the isolated plane (except the leak's
  own way back at prov-core-1), and no plane instance holds an extranet route but the leak.

The rollout is `govops net push --planes` over all 36 managed devices: the changed plane
instances are verified by their OSPF/OSPFv3 adjacencies, every other device reads unchanged
(its day-0 config is its intent), and `net diff --planes` is empty after. Everything is torn
down at the end, also when a test fails.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from govops.estate.loader import load_estate
from govops.lab import netns, routers
from govops.lab.planes import PlaneLab, build, guard_drops, plane_lab_spec

pytestmark = [
    pytest.mark.lab,
    pytest.mark.own_lab,
    pytest.mark.timeout(600),
    pytest.mark.skipif(os.geteuid() != 0, reason="the plane lab needs root"),
    pytest.mark.skipif(
        not all(Path(p).exists() for p in ("/usr/lib/frr/zebra", "/usr/sbin/sshd", "/usr/sbin/nft")),
        reason="needs FRR, openssh-server and nftables"),
]

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "gvp-"
MGMT_POOL = "198.19.248.0/24"
PLANE = "isolated"
TOWNS = ("town-tianhe-a", "town-nanhai-a")
CORES = ("prov-core-1", "prov-core-2")
LEAK_ROUTER = "prov-core-1"
OUTSIDER = "town-tianhe-b"  # extranet only: 198.18.0.20
#: the rollout: town-tianhe-a's uplink to cnty-tianhe-1 becomes 1G (OSPF cost 1000 → 100, in
#: both planes, on both ends)
CHANGE = ("{to: cnty-tianhe-1, bfd: {interval_ms: 50}}",
          "{to: cnty-tianhe-1, bandwidth: 1G, bfd: {interval_ms: 50}}")
CHANGED = {"cnty-tianhe-1", "cnty-tianhe-1@isolated", "town-tianhe-a", "town-tianhe-a@isolated"}
CONVERGE_S = 120.0


@dataclass
class Ctx:
    lab: PlaneLab
    estate_dir: Path
    rollouts: Path
    timings: dict[str, float] = field(default_factory=dict)
    matrices: dict[str, list[tuple[str, str, str, bool, bool]]] = field(default_factory=dict)


def _host(prefix: str) -> str:
    return prefix.split("/")[0]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory):
    from govops.network.render import render_all, render_planes

    theirs = sorted(n for n in netns.list_netns() if n.startswith(PREFIX))
    if theirs:
        pytest.fail(f"namespaces {', '.join(theirs)} exist and are not this run's: another plane "
                    "lab is up (or was left); not touching it", pytrace=False)
    base = tmp_path_factory.mktemp("planes")
    shutil.copytree(ROOT / "inventories" / "policy", base / "policy")
    shutil.copytree(ROOT / "inventories" / "lab", base / "lab",
                    ignore=shutil.ignore_patterns("ansible.yml"))
    estate = load_estate(base / "lab")
    lab = plane_lab_spec(estate, base / "state", netns_prefix=PREFIX, mgmt_pool=MGMT_POOL)
    c = Ctx(lab, base / "lab", base / "rollouts")
    env = pytest.MonkeyPatch()
    started = time.monotonic()
    try:
        t0 = time.monotonic()
        state = build(lab, configs=render_all(estate) | render_planes(estate))
        c.timings["build"] = time.monotonic() - t0
        creds = json.loads((state.state_dir / "credentials.json").read_text())
        env.setenv("GOVOPS_NET_USERNAME", creds["username"])
        env.setenv("GOVOPS_NET_PASSWORD", creds["password"])
        env.delenv("GOVOPS_NET_PASSWORD_REF", raising=False)
        env.setenv("GOVOPS_KNOWN_HOSTS", str(state.known_hosts))
        env.setenv("GOVOPS_NET_ADDRESSES", str(state.state_dir / "addresses.json"))
        yield c
    finally:
        env.undo()
        t0 = time.monotonic()
        report = routers.teardown(lab.spec.state_dir)
        c.timings["teardown"] = time.monotonic() - t0
        c.timings["module"] = time.monotonic() - started
        print("\nplane lab timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in c.timings.items()))
        for name, rows in c.matrices.items():
            print(f"ping matrix {name} (source → destinations: answered / not answered):")
            groups: dict[tuple[str, str, bool, bool], list[str]] = {}
            for src_dev, src, dst, want, got in rows:
                groups.setdefault((src_dev, src, want, got), []).append(dst)
            for (src_dev, src, want, got), dsts in groups.items():
                verdict = ("answered" if got else "no answer") + ("" if want == got else " WRONG")
                print(f"  {src_dev} {src} → {', '.join(dsts)}: {verdict}")
        left = sorted(n for n in netns.list_netns() if n.startswith(PREFIX))
        assert not left and report.files_removed and not report.notes, (left, report.notes)


# -- packets ------------------------------------------------------------------------------------


def ping(namespace: str, src: str, dst: str) -> bool:
    """True when `dst` answers `src` (3 probes, 1 s each at most)."""
    family = 6 if ":" in dst else 4
    argv = ["ip", "netns", "exec", namespace, "ping", f"-{family}", "-n", "-q", "-c", "3",
            "-i", "0.2", "-W", "1", "-I", src, dst]
    return subprocess.run(argv, capture_output=True, timeout=20).returncode == 0


def _views(lab_estate):
    from govops.network.instances import device_view, instances

    return {n: device_view(lab_estate, n) for n in [*lab_estate.nodes, *instances(lab_estate)]}


def probes(c: Ctx) -> list[tuple[str, str, str, str, bool]]:
    """(source device, its namespace, source address, destination, should answer)."""
    estate = load_estate(c.estate_dir)
    views = _views(estate)
    ns = c.lab.namespaces
    out = []
    for family in (4, 6):
        attr = f"loopback_ipv{family}"

        def gateway(town: str, fam: int = family) -> str:
            from govops.network.render import first_host, gateway64

            pv = views[f"{town}@{PLANE}"]
            lan = pv.lan_ipv4 if fam == 4 else pv.lan_ipv6
            return _host(first_host(lan) if fam == 4 else gateway64(lan))

        leak = _host(getattr(views[LEAK_ROUTER], attr))
        extranet = [_host(getattr(views[n], attr)) for n in estate.nodes
                    if n != LEAK_ROUTER and getattr(views[n], attr)]
        isolated = [_host(getattr(views[f"{c_}@{PLANE}"], attr)) for c_ in CORES]
        for town in TOWNS:
            me = f"{town}@{PLANE}"
            src = gateway(town)
            for other in TOWNS:
                if other != town:
                    out.append((me, ns[me], src, gateway(other), True))
            out += [(me, ns[me], src, dst, True) for dst in isolated]
            out.append((me, ns[me], src, leak, True))
            out += [(me, ns[me], src, dst, False) for dst in extranet]
        outsider = _host(getattr(views[OUTSIDER], attr))
        for dst in [gateway(t) for t in TOWNS] + isolated:
            out.append((OUTSIDER, ns[OUTSIDER], outsider, dst, False))
        # the town's own extranet side: the same box, the other plane
        town = TOWNS[0]
        out.append((town, ns[town], _host(getattr(views[town], attr)), gateway(town), False))
        # traffic passing the leak router towards the isolated LANs (not from the leak target):
        # the leak guard drops it; from the leak target itself it answers
        core = views[LEAK_ROUTER]
        link = _host(core.interfaces[0].ipv4 if family == 4 else core.interfaces[0].ipv6)
        out.append((LEAK_ROUTER, ns[LEAK_ROUTER], link, gateway(town), False))
        out.append((LEAK_ROUTER, ns[LEAK_ROUTER], leak, gateway(town), True))
    return out


def run_matrix(c: Ctx, name: str) -> list[str]:
    """Ping every probe (in parallel); record the matrix; return the wrong answers."""
    wanted = probes(c)
    with ThreadPoolExecutor(max_workers=32) as pool:
        got = list(pool.map(lambda p: ping(p[1], p[2], p[3]), wanted))
    c.matrices[name] = [(dev, src, dst, want, ok) for (dev, _, src, dst, want), ok
                        in zip(wanted, got, strict=True)]
    return [f"{dev} {src} -> {dst}: {'answered' if ok else 'no answer'}"
            for dev, src, dst, want, ok in c.matrices[name] if want != ok]


def wait_converged(c: Ctx) -> float:
    """Until every town reaches the other town, its cores and the leak target over both
    families, and the extranet outsider reaches the leak target (so a missing answer later is
    isolation, not a lab still coming up). Returns the seconds it took."""
    t0 = time.monotonic()
    controls = [p for p in probes(c) if p[4]]
    estate = load_estate(c.estate_dir)
    views = _views(estate)
    for family in (4, 6):
        attr = f"loopback_ipv{family}"
        controls.append((OUTSIDER, c.lab.namespaces[OUTSIDER], _host(getattr(views[OUTSIDER], attr)),
                         _host(getattr(views[LEAK_ROUTER], attr)), True))
    while True:
        with ThreadPoolExecutor(max_workers=16) as pool:
            ok = list(pool.map(lambda p: ping(p[1], p[2], p[3]), controls))
        if all(ok):
            return time.monotonic() - t0
        if time.monotonic() - t0 > CONVERGE_S:
            bad = [p for p, good in zip(controls, ok, strict=True) if not good]
            pytest.fail(f"not converged after {CONVERGE_S:.0f} s: " + "; ".join(
                f"{p[0]} {p[2]} -> {p[3]} [path: {trace(c, p[1], p[2], p[3])}]" for p in bad))
        time.sleep(2)


def trace(c: Ctx, namespace: str, src: str, dst: str) -> str:
    """Where a packet from `src` to `dst` goes, hop by hop through the lab's kernel tables
    (`ip route get`), until it arrives, has no route, or loops: what a convergence failure
    needs to say (the daemons' state at the hop that ends it tells the rest)."""
    owners: dict[str, str] = {}
    for ns in c.lab.namespaces.values():
        for link in json.loads(netns.run(["ip", "-j", "-n", ns, "addr", "show"]).stdout or "[]"):
            for a in link.get("addr_info", []):
                owners[a["local"]] = ns
    hops, ns, seen = [], namespace, set()
    for _ in range(12):
        if owners.get(dst) == ns:
            return " > ".join([*hops, f"{ns}: arrives"])
        if ns in seen:
            return " > ".join([*hops, f"{ns}: loop"])
        seen.add(ns)
        frm = ["from", src] if ns == namespace else []
        proc = netns.run(["ip", "-j", "-n", ns, "route", "get", dst, *frm], check=False)
        route = (json.loads(proc.stdout or "[]") or [{}])[0] if proc.returncode == 0 else {}
        gateway = route.get("gateway")
        if not route or route.get("type") in ("unreachable", "blackhole", "prohibit"):
            return " > ".join([*hops, f"{ns}: no route ({(proc.stderr or '').strip()[:60]})"])
        hops.append(f"{ns} via {gateway or 'connected'} dev {route.get('dev')}")
        nxt = owners.get(gateway or dst)
        if nxt is None:
            return " > ".join([*hops, f"next hop {gateway or dst} is in no lab namespace"])
        ns = nxt
    return " > ".join([*hops, "…"])


# -- routing tables -----------------------------------------------------------------------------


def kernel_routes(namespace: str) -> list[dict]:
    """The main routing table (both families) as `ip -j route` prints it."""
    out = []
    for family in ("-4", "-6"):
        proc = netns.run(["ip", family, "-j", "-n", namespace, "route", "show"])
        out += json.loads(proc.stdout or "[]")
    return out


def _net(dst: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if dst == "default":
        return None
    return ipaddress.ip_network(dst if "/" in dst else dst + ("/128" if ":" in dst else "/32"),
                                strict=False)


def plane_prefixes(c: Ctx) -> list:
    """Everything the isolated plane routes: its loopbacks, logical links, LANs, the leak link."""
    estate = load_estate(c.estate_dir)
    out = []
    for name, view in _views(estate).items():
        if not name.endswith(f"@{PLANE}"):
            continue
        for prefix in (view.loopback_ipv4, view.loopback_ipv6, view.lan_ipv4, view.lan_ipv6,
                       *(i.ipv4 for i in view.interfaces), *(i.ipv6 for i in view.interfaces),
                       *(x.ipv4 for x in view.leaks), *(x.ipv6 for x in view.leaks)):
            if prefix:
                out.append(ipaddress.ip_interface(prefix).network)
    for spec in estate.planes.values():  # the plane's own pools (its LANs, all of them)
        if not spec.default:
            out += [ipaddress.ip_network(estate.ipam.pools[p].prefix) for p in spec.own_pools]
    return out


def route_leaks(c: Ctx) -> list[str]:
    """Routes of the isolated plane in extranet tables, and extranet routes in the plane's."""
    estate = load_estate(c.estate_dir)
    views = _views(estate)
    plane = plane_prefixes(c)
    leak = views[f"{LEAK_ROUTER}@{PLANE}"].leaks[0]
    leaked = [ipaddress.ip_network(p) for p in (*leak.routes_v4, *leak.routes_v6)]
    mgmt = [ipaddress.ip_interface(r.mgmt_ipv4).network for r in c.lab.spec.routers]
    found = []
    for name in views:
        in_plane = name.endswith(f"@{PLANE}")
        for route in kernel_routes(c.lab.namespaces[name]):
            net = _net(route["dst"])
            if net is None or net.is_link_local or net in mgmt:
                continue
            ours = any(net.version == p.version and net.subnet_of(p) for p in plane)
            if not in_plane and ours:
                # the leak's way back at the leak router, through the leak veth only
                if name == LEAK_ROUTER and route.get("dev") == "leak200":
                    continue
                found.append(f"{name} (extranet) routes {route['dst']} via "
                             f"{route.get('dev', '?')} ({route.get('protocol', '?')})")
            if in_plane and not ours and net not in leaked:
                found.append(f"{name} routes extranet {route['dst']} via "
                             f"{route.get('dev', '?')} ({route.get('protocol', '?')})")
    at_leak = {r["dst"] for r in kernel_routes(c.lab.namespaces[LEAK_ROUTER])
               if r.get("dev") == "leak200"}
    if not {*leak.back_v4, *leak.back_v6} <= at_leak:
        found.append(f"{LEAK_ROUTER} lacks the leak's way back: has {sorted(at_leak)}")
    return found


# -- the proof ----------------------------------------------------------------------------------


def diff_all(c: Ctx) -> list[str]:
    from govops.network.diff import diff_estate, select
    from govops.network.live import LiveSource

    estate = load_estate(c.estate_dir)
    names = select(estate, None, planes=True)
    assert len(names) == 36 and sum("@" in n for n in names) == 12  # 24 managed + 12 instances
    diffs = diff_estate(estate, LiveSource(estate, names), names)
    return [f"{d.device}: {d.error or d.changes}" for d in diffs if not d.in_sync]


def test_every_router_and_plane_instance_runs(ctx: Ctx) -> None:
    status = routers.status(ctx.lab.spec.state_dir)
    assert len(status) == 38 and all(r.healthy for r in status), [
        r.name for r in status if not r.healthy]
    instances = [r for r in status if "@" in r.name]
    assert len(instances) == 12
    assert all(set(r.daemons) == {"zebra", "staticd", "ospfd", "ospf6d"} for r in instances)
    full_lab = set(load_estate(ROOT / "inventories" / "lab").nodes)
    assert not set(ctx.lab.namespaces.values()) & full_lab  # never a name of the full lab's


def test_before_a_rollout_the_planes_are_separate(ctx: Ctx) -> None:
    ctx.timings["converge"] = wait_converged(ctx)
    (guard,) = ctx.lab.guards
    dropped = guard_drops(guard)
    t0 = time.monotonic()
    wrong = run_matrix(ctx, "before")
    ctx.timings["matrix"] = time.monotonic() - t0
    assert wrong == []
    assert guard_drops(guard) > dropped  # the guard, not luck, stopped the passing traffic
    assert route_leaks(ctx) == []


def test_a_rollout_reaches_the_plane_instances(ctx: Ctx) -> None:
    from tests.network.lab_tools import govops

    network = ctx.estate_dir / "network.yaml"
    text = network.read_text()
    assert CHANGE[0] in text
    network.write_text(text.replace(*CHANGE))
    t0 = time.monotonic()
    proc = govops("net", "push", "--estate", str(ctx.estate_dir), "--planes", "--max-failures",
                  "1", "--verify-timeout", "90", "--output", "json",
                  env={"GOVOPS_ROLLOUTS": str(ctx.rollouts)})
    ctx.timings["rollout"] = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    data = json.loads(proc.stdout)
    status = {d["device"]: d["status"] for d in data["devices"]}
    assert len(status) == 36  # 24 managed routers and 12 plane instances
    # every other device read its running config and found nothing to change: the day-0
    # configs were the intent, in both planes
    assert {d for d, s in status.items() if s == "changed"} == CHANGED
    assert set(status.values()) == {"changed", "unchanged"}
    t0 = time.monotonic()
    assert diff_all(ctx) == []
    ctx.timings["diff"] = time.monotonic() - t0


def test_after_the_rollout_the_planes_are_still_separate(ctx: Ctx) -> None:
    ctx.timings["converge-after"] = wait_converged(ctx)
    assert run_matrix(ctx, "after") == []
    assert route_leaks(ctx) == []
