"""Rollout and failover figures on the real lab (root; `govops lab up` first).

Prints, in one run:
* a full lab push to freshly built (blank) routers (backup, remediation, apply, verify) with
  `--workers 1` and `--workers 8`: devices per minute;
* the same rollout from blank through `ansible-playbook playbooks/extranet.yml` (the
  govops_net_push module, serial 1 then 8): devices per minute, and both ratios;
* the loss window on a silent uplink drop (nftables in the neighbour), median of 5.
The lab is left configured.

    .venv/bin/python benchmarks/network_lab.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from govops.estate.loader import load_estate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.network.lab_tools import govops  # noqa: E402
from tests.network.test_rollout_lab import measure_uplink_failover  # noqa: E402


def rebuild_lab() -> None:
    """Blank routers, as a new user gets them: `lab down` then `lab up` (about 10 s)."""
    for step in (("lab", "down"), ("lab", "up", "--estate", "inventories/lab")):
        proc = govops(*step, timeout=600)
        if proc.returncode:
            raise SystemExit(f"govops {' '.join(step)} failed: {proc.stderr.strip()[-2000:]}")


def dead_daemons() -> list[str]:
    """`router:daemon` for every lab daemon that is not running (an FRR crash shows here)."""
    proc = govops("lab", "status", "--output", "json", timeout=120)
    routers = json.loads(proc.stdout)["routers"]
    return [f"{r['name']}:{d}" for r in routers for d, up in r["daemons"].items() if not up]


def timed_push(workers: int) -> tuple[float, int]:
    """Push to freshly built (blank) routers; returns (seconds, devices)."""
    rebuild_lab()
    start = time.monotonic()
    proc = govops("net", "push", "--estate", "inventories/lab", "--workers", str(workers),
                  "--batch-size", "8", "--output", "json", timeout=1800)
    seconds = time.monotonic() - start
    if proc.returncode:
        raise SystemExit(f"push with {workers} workers failed (dead daemons: {dead_daemons()}): "
                         f"{proc.stderr.strip()[-3000:]}\n{proc.stdout[-3000:]}")
    return seconds, len(json.loads(proc.stdout)["devices"])


def timed_ansible(estate) -> tuple[float, int]:
    """Roll out to freshly built routers with ansible-playbook; (seconds, devices)."""
    names = [n for n, node in estate.nodes.items() if node.managed]
    rebuild_lab()
    env = {**os.environ, "ANSIBLE_HOME": str(ROOT / ".state" / "ansible-home"),
           "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    start = time.monotonic()
    proc = subprocess.run([str(ROOT / ".venv/bin/ansible-playbook"), "-i",
                           "inventories/lab/ansible.yml", "playbooks/extranet.yml", "-f", "8"],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=3600)
    seconds = time.monotonic() - start
    if proc.returncode:
        raise SystemExit(f"ansible-playbook failed (dead daemons: {dead_daemons()}):\n"
                         f"{proc.stdout[-3000:]}")
    return seconds, len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="failover measurements")
    args = parser.parse_args()
    estate = load_estate(ROOT / "inventories" / "lab")
    print(f"lab rollout from blank routers (load average at start {os.getloadavg()[0]:.1f}):",
          flush=True)
    per_min = {}
    runs = [(f"govops --workers {w}", lambda w=w: timed_push(w)) for w in (1, 8)]
    runs.append(("ansible-playbook (serial 1, 8; forks 8)", lambda: timed_ansible(estate)))
    for key, run in runs:
        seconds, devices = run()
        per_min[key] = devices / seconds * 60
        print(f"  {key:42s} {devices} devices in {seconds:6.1f} s = {per_min[key]:5.1f} devices/min",
              flush=True)
    g1, g8 = per_min["govops --workers 1"], per_min["govops --workers 8"]
    ans = per_min["ansible-playbook (serial 1, 8; forks 8)"]
    print(f"  ratio workers 8 / workers 1: {g8 / g1:.2f}x; govops workers 8 / ansible: {g8 / ans:.2f}x",
          flush=True)
    gaps = []
    for _ in range(args.rounds):
        gaps.append(measure_uplink_failover(estate))
        time.sleep(12)  # the cut adjacency returns on the next hello
    print(f"silent uplink drop, loss window: median {statistics.median(gaps):.0f} ms "
          f"(runs: {', '.join(f'{g:.0f}' for g in gaps)} ms; target < 200 ms, BFD 50 ms x 3)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
