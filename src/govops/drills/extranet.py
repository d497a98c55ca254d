"""Probes and actions of the `link-cut` drill: one extranet uplink silently dropped under traffic.

The router lab (`govops lab up`) has one namespace per estate node, named after it; the
extranet carries routes only once `govops net push` has configured the routers. A link is cut
the way LAB-NOTES says measures reconvergence honestly: an nftables `netdev` table with
ingress and egress drop chains on the *neighbour's* interface towards the router (the
pinging router's interface stays up, so it sees loss, not send errors), and the outage is the
largest gap between `ping -D -i 0.005` replies from the router's loopback to the target's.

Examples::

    require_extranet("inventories/lab", "town-tianhe-a", "prov-core-1")
    cut_link(work, "inventories/lab", "town-tianhe-a", "cnty-tianhe-1")
"""

from __future__ import annotations

import re
import subprocess
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from govops.drills import measure as m
from govops.drills import spawn
from govops.drills.labinfo import netns_list
from govops.drills.workdir import WorkDir, write_json
from govops.errors import BadInput

TABLE = "govops_linkcut"


@lru_cache(maxsize=8)
def _estate(estate: str) -> Any:
    from govops.estate.loader import load_estate

    return load_estate(Path(estate))


def loopback(estate: str, node: str, family: int = 6) -> str:
    from govops.estate.views import node_view

    try:
        view = node_view(_estate(estate), node)
    except KeyError:
        raise BadInput(f"no node {node!r} in estate {estate}") from None
    return (view.loopback_ipv6 if family == 6 else view.loopback_ipv4).split("/")[0]


def interface_towards(estate: str, node: str, peer: str) -> str:
    """The name of `node`'s interface on its link to `peer`."""
    from govops.estate.views import node_view

    view = node_view(_estate(estate), node)
    for iface in view.interfaces:
        if iface.peer == peer:
            return iface.name
    raise BadInput(f"{node} has no link to {peer} in estate {estate}")


def _ip(netns: str, *args: str) -> str:
    proc = subprocess.run(["ip", "-n", netns, *args], capture_output=True, text=True, check=False)
    return proc.stdout


def paths(router: str, destination: str) -> int:
    """Next hops of `router`'s route to `destination` (0: no route)."""
    family = "-6" if ":" in destination else "-4"
    out = _ip(router, family, "route", "show", destination)
    if not out.strip():
        return 0
    hops = len(re.findall(r"\bnexthop\b", out))
    return hops or len([line for line in out.splitlines() if " via " in line or " dev " in line])


def require_extranet(estate: str, router: str, target: str) -> None:
    """BadInput (one line) unless the router lab is up and the extranet routes `router` to
    `target`'s loopback."""
    missing = [n for n in (router, target) if n not in netns_list()]
    if missing:
        raise BadInput(f"the router lab is not up (namespaces {', '.join(missing)} missing): "
                       "run govops lab up")
    dest = loopback(estate, target)
    if paths(router, dest) == 0:
        raise BadInput(f"the extranet is not configured ({router} has no route to {target}'s "
                       f"loopback {dest}): run govops net push --estate {estate}")


def _ping(router: str, source: str, target: str, count: int, interval: float) -> tuple[int, int]:
    out = subprocess.run(["ip", "netns", "exec", router, "ping", "-n", "-q", "-c", str(count),
                          "-i", str(interval), "-W", "1", "-I", source, target],
                         capture_output=True, text=True, check=False,
                         timeout=count * interval + 10).stdout
    found = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    return (int(found.group(1)), int(found.group(2))) if found else (count, 0)


def extranet_path(estate: str, router: str, target: str, min_paths: int = 2, count: int = 20,
                  interval: float = 0.01) -> dict[str, Any]:
    """Steady state: `router` reaches `target`'s loopback over ≥ min_paths next hops, no loss."""
    src, dst = loopback(estate, router), loopback(estate, target)
    n = paths(router, dst)
    sent, received = _ping(router, src, dst, count, interval)
    ok = n >= min_paths and received == sent
    return {"ok": ok, "paths": n, "sent": sent, "received": received,
            "detail": f"{router} → {target} ({dst}): {n} next hops, {received}/{sent} replies"}


def start_pinger(work_dir: str, estate: str, router: str, target: str,
                 interval_s: float = 0.005) -> dict[str, Any]:
    """Ping `target`'s loopback from `router`'s every `interval_s` into ping.txt."""
    work = WorkDir(work_dir)
    since = time.time()
    src, dst = loopback(estate, router), loopback(estate, target)
    spawn.start(work, "pinger", "pinger", ["--netns", router, "--source", src, "--target", dst,
                                           "--interval", str(interval_s)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(e["event"] == "pinger-started" and e["t"] >= since for e in work.read_events()):
            return {"source": src, "target": dst, "interval_s": interval_s}
        time.sleep(0.02)
    raise RuntimeError(f"the pinger did not start (see {work.log('pinger')})")


def stop_pinger(work_dir: str) -> dict[str, Any]:
    return {"stopped": spawn.stop(WorkDir(work_dir), "pinger")}


def _nft(netns: str, script: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    argv = ["ip", "netns", "exec", netns, "nft", *(args or ("-f", "-"))]
    return subprocess.run(argv, input=script, capture_output=True, text=True, check=False)


def cut_link(work_dir: str, estate: str, router: str, neighbour: str) -> dict[str, Any]:
    """Silently drop the link `router`–`neighbour` in the neighbour's namespace."""
    work = WorkDir(work_dir)
    iface = interface_towards(estate, neighbour, router)
    work.event("cut-link-intent", router=router, neighbour=neighbour, interface=iface)
    rules = (f"table netdev {TABLE} {{\n"
             f"  chain ingress {{ type filter hook ingress device \"{iface}\" priority -500; "
             "policy drop; }\n"
             f"  chain egress {{ type filter hook egress device \"{iface}\" priority -500; "
             "policy drop; }\n}\n")
    proc = _nft(neighbour, rules)
    t = time.time()
    if proc.returncode != 0:
        raise RuntimeError(f"nft in {neighbour} failed: {proc.stderr.strip()}")
    work.event("fault", t=t, kind="link-cut", lost=[], label=f"link {router}–{neighbour} cut "
               f"({neighbour} {iface})")
    return {"router": router, "neighbour": neighbour, "interface": iface, "cut_at": t}


def restore_link(work_dir: str, estate: str, router: str, neighbour: str) -> dict[str, Any]:
    """Remove the drop rules (idempotent)."""
    work = WorkDir(work_dir)
    proc = _nft(neighbour, None, "delete", "table", "netdev", TABLE)
    if proc.returncode == 0:
        work.event("link-restored", router=router, neighbour=neighbour)
        return {"restored": True}
    return {"restored": False}


def wait_for_paths(estate: str, router: str, target: str, min_paths: int = 2,
                   timeout_s: float = 40.0) -> dict[str, Any]:
    """Wait until `router` routes to `target`'s loopback over ≥ min_paths next hops again."""
    dst = loopback(estate, target)
    t0 = time.monotonic()
    while True:
        n = paths(router, dst)
        if n >= min_paths:
            return {"paths": n, "seconds": round(time.monotonic() - t0, 3)}
        if time.monotonic() - t0 > timeout_s:
            raise RuntimeError(f"{router} still has {n} next hops to {target} after "
                               f"{timeout_s:g} s")
        time.sleep(0.2)


def measure_link(work_dir: str, interval_s: float = 0.005) -> dict[str, Any]:
    """The outage (largest gap between replies after the cut); writes measurement.json."""
    work = WorkDir(work_dir)
    faults = m.faults(work.read_events())
    if not faults:
        raise RuntimeError("no link was cut in this drill")
    text = (work.path / "ping.txt").read_text(errors="replace") if (work.path / "ping.txt").exists() \
        else ""
    outage = m.link_outage(m.ping_replies(text.splitlines()), faults[0]["t"], interval_s)
    result = {"rto_s": outage.seconds, "rpo_s": 0.0, "lost_writes": 0,
              "link": outage.to_dict(), "outages": []}
    write_json(work.measurement, result)
    return {"rto_s": outage.seconds, "lost_echo_requests": outage.lost}
