"""The offline cloud plan of a province-sized estate, against the bare mock runtime (the floor).

Standalone: builds a synthetic province (by default 504 tenants on 1 provincial cloud, a
provincial DR cloud, 2 industry and 4 regional clouds; MLPS/DR levels and network counts
drawn from a fixed seed), plans every stack with `govops.cloud.mockplan.run` (guardrails
first), then, each in its own process so peak memory is its own:

* plan   — guardrails + every stack's mock plan, one process;
* floor  — the stock mock runtime (`pulumi.runtime.set_mocks`, the SDK's MockMonitor and
           thread pool) registering the same number of plain `CustomResource`s in one pass;
* tuned  — the same plain resources through govops' runner (inline monitor, batches).

Targets (issue 5): plan ≤ 2× floor, ≤ 1.5 GiB. Wall and CPU seconds are both printed: the
machine is shared, and CPU time is the steadier of the two. `benchmarks/cloud.py` (the
generated Sichuan estate through the estate loader) reuses `mockplan.floor_seconds`.

    python benchmarks/cloud_floor.py [--tenants 504] [--repeat 1] [--json]

Measured 2026-11-28 (2 cores, load average 10-15 from other work: wall times are inflated and
unsteady; CPU seconds are the comparable figure):

| tenants | resources | plan cpu / wall / peak | stock floor cpu / wall / peak | tuned floor cpu |
|---|---|---|---|---|
| 100 | 6,331 | 12.9 s / 58.6 s / 75 MiB | 9.6 s / 43.7 s / 259 MiB | 4.3 s |
| 504 | 28,281 | 53.8 s / 233.7 s / 98 MiB | 37.5 s / 114.7 s / 966 MiB | 17.9 s |

plan / stock floor: 1.35x (100) and 1.43x (504) in CPU; memory stays flat (batches) while
the stock floor grows ~34 KiB per resource. plan / govops-runner floor: ~3x — the price of
real pulumi-openstack classes (15-25 properties, each an Output) over a one-property
`CustomResource`, plus collecting their garbage (~25% of the plan). Guardrails: 0.4 s.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import resource
import statistics
import subprocess
import sys
import time

from govops.cloud import guardrails, mockplan
from govops.cloud.args import (
    CloudArgs,
    NetworkArgs,
    Quotas,
    ReplicaArgs,
    StackSpec,
    TenantArgs,
)
from govops.cloud.program import build_stack

V4 = ipaddress.ip_network("10.64.0.0/10")
V6 = ipaddress.ip_network("2001:db8:f000::/36")


class Ipam:
    """Sequential /27 and /64 blocks."""

    def __init__(self) -> None:
        self.n = 0

    def pair(self) -> tuple[str, str]:
        i, self.n = self.n, self.n + 1
        v4 = ipaddress.ip_network((int(V4.network_address) + i * 32, 27))
        v6 = ipaddress.ip_network((int(V6.network_address) + (i << 64), 64))
        return str(v4), str(v6)


def province(tenants: int, seed: int = 5) -> tuple[list[CloudArgs], list[TenantArgs]]:
    rnd = random.Random(seed)
    big = Quotas(vcpu=200_000, ram_gb=800_000, volume_gb=50_000_000, floating_ips=20_000)

    def cloud(name: str, kind: str, n: int) -> CloudArgs:
        return CloudArgs(name=name, kind=kind, capacity=big, external_network="internet",
                         subnet_pool_v4=(str(V4),), subnet_pool_v6=(str(V6),),
                         ops_ipv4_cidr=f"10.{n}.255.0/24", ops_ipv6_cidr=f"2001:db8:0:{n}::/64")

    clouds = [cloud("sc-gov", "provincial", 1), cloud("sc-gov-dr", "provincial", 2),
              cloud("sc-health", "industry", 3), cloud("sc-edu", "industry", 4),
              *(cloud(f"{c}-gov", "regional", 10 + i)
                for i, c in enumerate(("cd", "my", "nc", "yb")))]
    homes = ["sc-gov"] * 6 + ["sc-health", "sc-edu"] + [c.name for c in clouds[4:]]
    ipam = Ipam()
    out = []
    for i in range(tenants):
        home = homes[i % len(homes)]
        mlps = rnd.choices((2, 3, 4), (35, 60, 5))[0]
        dr = rnd.choices((1, 2, 3, 4, 5, 6), (10, 20, 20, 25, 15, 10))[0]
        names = ["web", "app", "db"][:rnd.choices((1, 2, 3), (50, 35, 15))[0]]

        def nets(names: list[str] = names) -> tuple[NetworkArgs, ...]:
            return tuple(NetworkArgs(n, *ipam.pair(), (443,) if n == "web" else ())
                         for n in names)

        replicas = []
        if dr >= 4:
            remote = "sc-gov-dr" if home != "sc-gov-dr" else "sc-gov"
            replicas.append(ReplicaArgs("remote-dr", remote, nets()))
        if dr >= 5:
            replicas.append(ReplicaArgs("same-city", home, nets(), availability_zone="az2"))
        vcpu = rnd.choice((8, 16, 32, 64))
        out.append(TenantArgs(
            department=f"dept{i // 6:02d}", system=f"sys{i % 6}", cloud=home, mlps=mlps,
            dr_level=dr, quotas=Quotas(vcpu, vcpu * 4, vcpu * 64, rnd.choice((0, 1, 2))),
            networks=nets(), dns_domain=f"sys{i % 6}.dept{i // 6:02d}.sc.gov.cn",
            replicas=tuple(replicas)))
    return clouds, out


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_plan(tenants: int) -> dict:
    clouds, ts = province(tenants)
    wall, cpu = time.perf_counter(), time.process_time()
    guardrails.enforce(clouds, ts)
    checked = time.perf_counter() - wall
    counts = {}
    for c in clouds:
        spec = StackSpec(cloud=c.name, clouds=tuple(clouds), tenants=tuple(ts))
        counts[c.name] = len(mockplan.run(lambda s=spec: build_stack(s), stack=c.name))
    return {"what": "plan", "tenants": tenants, "resources": sum(counts.values()),
            "stacks": counts, "guardrails_s": checked,
            "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "rss_mib": rss_mib()}


def child_floor(count: int, tuned: bool) -> dict:
    cpu = time.process_time()
    wall = mockplan.floor_seconds(count, tuned=tuned)
    return {"what": "tuned" if tuned else "floor", "resources": count, "wall_s": wall,
            "cpu_s": time.process_time() - cpu, "rss_mib": rss_mib()}


def spawn(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tenants", type=int, default=504)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", choices=("plan", "floor", "tuned"))
    ap.add_argument("--count", type=int, default=0)
    a = ap.parse_args()
    if a.child == "plan":
        print(json.dumps(child_plan(a.tenants)))
        return
    if a.child:
        print(json.dumps(child_floor(a.count, a.child == "tuned")))
        return

    runs: dict[str, list[dict]] = {"plan": [], "floor": [], "tuned": []}
    for _ in range(a.repeat):
        plan = spawn("--child", "plan", "--tenants", str(a.tenants))
        runs["plan"].append(plan)
        n = str(plan["resources"])
        runs["floor"].append(spawn("--child", "floor", "--count", n))
        runs["tuned"].append(spawn("--child", "tuned", "--count", n))

    def med(what: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[what])

    result = {w: {k: med(w, k) for k in ("wall_s", "cpu_s", "rss_mib")} for w in runs}
    result["resources"] = runs["plan"][0]["resources"]
    result["tenants"] = a.tenants
    result["stacks"] = runs["plan"][0]["stacks"]
    result["guardrails_s"] = med("plan", "guardrails_s")
    for base in ("floor", "tuned"):
        for key in ("wall_s", "cpu_s"):
            result[f"ratio_{base}_{key[:-2]}"] = result["plan"][key] / result[base][key]
    if a.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{a.tenants} tenants, {result['resources']} resources over {len(result['stacks'])} "
          f"stacks, median of {a.repeat}")
    print(f"{'':34} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
    for what, label in (("plan", "plan (guardrails + mock plan)"),
                        ("floor", "floor: stock mock runtime"),
                        ("tuned", "floor: govops runner")):
        r = result[what]
        print(f"{label:34} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['rss_mib']:9.0f}")
    print(f"plan / stock floor: wall {result['ratio_floor_wall']:.2f}x, "
          f"cpu {result['ratio_floor_cpu']:.2f}x (target <= 2x, <= 1536 MiB)")
    print(f"plan / govops-runner floor: wall {result['ratio_tuned_wall']:.2f}x, "
          f"cpu {result['ratio_tuned_cpu']:.2f}x")
    print(f"guardrails alone: {result['guardrails_s']:.3f} s")


if __name__ == "__main__":
    main()
