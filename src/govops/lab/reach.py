"""Reachability in the lab: does every town reach both province cores over IPv6 and IPv4?"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from govops.estate.estate import Estate
from govops.estate.views import node_view


@dataclass(frozen=True)
class Probe:
    """One ping from a town's loopback to a core's loopback."""

    source: str
    target: str
    family: int
    ok: bool
    rtt_ms: float | None


def _ping(source: str, src_addr: str, target: str, dst_addr: str, family: int) -> Probe:
    argv = ["ip", "netns", "exec", source, "ping", f"-{family}", "-c", "2", "-i", "0.2", "-W", "2",
            "-q", "-I", src_addr, dst_addr]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=15)
    rtt = None
    for line in done.stdout.splitlines():
        if "min/avg/max" in line:
            rtt = float(line.split("=")[1].split("/")[1])
    return Probe(source, target, family, done.returncode == 0, rtt)


def town_to_core(estate: Estate, workers: int = 8) -> list[Probe]:
    """Ping every province core from every town, over IPv6 and IPv4, loopback to loopback."""
    towns = [n for n, node in estate.nodes.items() if node.level == "town"]
    cores = [n for n, node in estate.nodes.items() if node.level == "province"]
    views = {n: node_view(estate, n) for n in towns + cores}
    jobs = []
    for town in towns:
        for core in cores:
            for family, attr in ((6, "loopback_ipv6"), (4, "loopback_ipv4")):
                src = getattr(views[town], attr).split("/")[0]
                dst = getattr(views[core], attr).split("/")[0]
                jobs.append((town, src, core, dst, family))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: _ping(*job), jobs))
