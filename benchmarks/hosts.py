"""Host baselines: time `molecule test` per scenario and `govops hosts check` per host (needs root).

    sudo .venv/bin/python benchmarks/hosts.py [--rebuild] [--runs 5]

`--rebuild` first drops the cached image and package repository and times the build (`molecule
create`). Then: `molecule test` for level2 and level3 (level3 includes `--check --diff` on the fresh
host), both hosts converged side by side, `govops hosts check` on one host and on both (`--runs`
times each: process wall time and the probes' own time per host), and the hosts destroyed.
Prints a Markdown table and the load average, which dominates these figures on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
STATE = ROOT / ".state"
HOSTS = {"level2": ("app-gz-sec-1", "198.18.255.2"), "level3": ("ops-gz-main-1", "198.18.255.6")}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOVOPS_HOST_ADDRESSES", "ANSIBLE_CONFIG")}
    env.update(PATH=f"{VENV_BIN}:{env.get('PATH', '')}", VIRTUAL_ENV=str(VENV_BIN.parent),
               ANSIBLE_HOME=str(STATE / "ansible"), NO_COLOR="1")
    return env


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return elapsed, done


def molecule(*args: str) -> float:
    return timed([str(VENV_BIN / "molecule"), *args])[0]


def check(scenarios: list[str]) -> tuple[float, list[float]]:
    args = [sys.executable, "-m", "govops", "hosts", "check", "--output", "json", "--no-host-key-check",
            "--ssh-key", str(STATE / "hosts" / "id_ed25519"),
            "--limit", ",".join(HOSTS[s][0] for s in scenarios)]
    for s in scenarios:
        args += ["--address", f"{HOSTS[s][0]}={HOSTS[s][1]}"]
    elapsed, done = timed(args)
    report = json.loads(done.stdout)
    return elapsed, [h["seconds"] for h in report["hosts"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    rows = []
    if opts.rebuild:
        molecule("destroy", "-s", "level2")
        shutil.rmtree(STATE / "podman", ignore_errors=True)
        shutil.rmtree(STATE / "hosts", ignore_errors=True)
        rows.append(("image + repository build (`molecule create -s level2`, once)",
                     f"{molecule('create', '-s', 'level2'):.1f} s"))
        molecule("destroy", "-s", "level2")
    for scenario in HOSTS:
        rows.append((f"`molecule test -s {scenario}`", f"{molecule('test', '-s', scenario):.1f} s"))
    try:
        for scenario in HOSTS:
            rows.append((f"`molecule converge -s {scenario}` (fresh host)",
                         f"{molecule('converge', '-s', scenario):.1f} s"))
        for scenarios in (["level3"], ["level2", "level3"]):
            walls, probes = [], []
            for _ in range(opts.runs):
                wall, per_host = check(scenarios)
                walls.append(wall)
                probes += per_host
            rows.append((f"`govops hosts check`, {len(scenarios)} host(s), whole process",
                         f"median {statistics.median(walls):.2f} s, best {min(walls):.2f} s"))
            rows.append((f"… probes + evaluation per host ({len(scenarios)} in parallel)",
                         f"median {statistics.median(probes):.2f} s, best {min(probes):.2f} s"))
    finally:
        for scenario in HOSTS:
            molecule("destroy", "-s", scenario)
            for ephemeral in (STATE / "ansible" / "tmp").glob(f"molecule.*.{scenario}"):
                shutil.rmtree(ephemeral)
    print("| what | time |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (2 cores)")


if __name__ == "__main__":
    main()
