"""Province rehearsal on simulated VRP and Comware devices (issue 14).

Each measured rollout starts from a fresh simulator (`govops lab up --simulated`, devices on
127.0.x.y: no root, no namespace, never the FRR lab) where the rolled-out devices are blank but
managed and every other device already runs its intent (`--configured`), so verification sees
the peers a real province would have. Each rollout is a real change with canary, level-by-level
batches and verification of every BGP/OSPF/BFD session and route, exactly as `net push` runs
on real devices. Prints, per run:

* `govops net push` at each `--workers` on the whole estate (or `--limit`), and at
  `--workers 1` on `--subset` (about 100 devices): devices per minute;
* peak memory (VmHWM) of govops and of the simulator process;
* `ansible-playbook playbooks/extranet.yml` with the same module, `--forks` (serial 1, then
  batches of `--forks`), on the same devices as the first govops run;
* with `--frr` (root, the real FRR lab, which it rebuilds): benchmarks/network_lab.py's
  figures in the same run.

The machine is shared: run the whole Guangdong estate by hand, when nobody else needs it.

    .venv/bin/python benchmarks/network_sim.py --profile guangdong            # 1,894 devices
    .venv/bin/python benchmarks/network_sim.py --profile guangdong --limit 'yunfu-*' \\
        --workers 16 --subset '' --ansible-forks 16                # 77 devices, a small run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
#: A stated subset of about 100 devices: one city of the Guangdong estate, Yunfu (its 2 cores,
#: 10 county routers, 65 towns: 77 devices). A rolled-out subset must be closed downwards
#: (every device below a rolled-out one is rolled out too): the devices that start configured
#: reach the province cores only through their own uplinks, which must not start blank.
SUBSET = "yunfu-*"


def _env(work: Path) -> dict[str, str]:
    env = {**os.environ, "GOVOPS_LAB_DIR": str(work / "lab"), "GOVOPS_NO_REAL_LAB": "1",
           "GOVOPS_ROLLOUTS": str(work / "rollouts"), "ANSIBLE_HOME": str(work / "ansible"),
           "ANSIBLE_NOCOLOR": "1", "PYTHONPATH": str(ROOT / "src"),
           "PATH": f"{Path(PYTHON).parent}:{os.environ['PATH']}"}
    for name in ("GOVOPS_NET_USERNAME", "GOVOPS_NET_PASSWORD", "GOVOPS_KNOWN_HOSTS",
                 "GOVOPS_NET_ADDRESSES"):
        env.pop(name, None)
    return env


def govops(env: dict[str, str], *args: str, timeout: float = 7200) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "govops", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


class PeakMemory:
    """VmHWM (peak resident set) of processes, sampled until `stop()`."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._pids: set[int] = set()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, pid: int) -> None:
        self._pids.add(pid)

    def kib(self, pid: int) -> int:
        self._sample()
        return self.peaks.get(pid, 0)

    def _sample(self) -> None:
        for pid in list(self._pids):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peaks[pid] = max(self.peaks.get(pid, 0), int(line.split()[1]))
            except OSError:
                self._pids.discard(pid)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def stop(self) -> None:
        self._stop.set()


def sim_up(env: dict[str, str], estate: Path, rolled: str | None, base: str, port: int) -> int:
    """A fresh simulator: `rolled` devices blank, the others at their intent; its PID."""
    govops(env, "lab", "down", "--simulated")
    args = ["lab", "up", "--simulated", "--estate", str(estate), "--address-base", base,
            "--port", str(port), "--output", "json"]
    if rolled:
        configured = configured_complement(estate, rolled)
        if configured:
            args += ["--configured", configured]
    proc = govops(env, *args)
    if proc.returncode:
        raise SystemExit(f"lab up --simulated failed: {proc.stderr.strip()[-2000:]}")
    return int(json.loads(proc.stdout)["pid"])


def configured_complement(estate: Path, rolled: str) -> str:
    """The managed devices outside `rolled`, as a comma-separated name list ("" if none)."""
    sys.path.insert(0, str(ROOT / "src"))
    from govops.estate.loader import load_estate
    from govops.network.diff import select

    loaded = load_estate(estate)
    chosen = set(select(loaded, rolled))
    return ",".join(n for n, node in loaded.nodes.items() if node.managed and n not in chosen)


def timed(cmd: list[str], env: dict[str, str], mem: PeakMemory
          ) -> tuple[float, subprocess.CompletedProcess, int]:
    """Run `cmd`, watching its peak memory; (seconds, result, peak KiB)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    mem.watch(proc.pid)
    out, err = proc.communicate(timeout=7200)
    seconds = time.monotonic() - start
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    return seconds, result, mem.peaks.get(proc.pid, 0)


def push(env: dict[str, str], estate: Path, limit: str | None, workers: int, mem: PeakMemory,
         base: str, port: int) -> dict:
    sim_pid = sim_up(env, estate, limit, base, port)
    mem.watch(sim_pid)
    # batches as wide as the workers (net push's default is 10): every level still goes in
    # batches of its own, after the canary
    cmd = [PYTHON, "-m", "govops", "net", "push", "--estate", str(estate), "--workers",
           str(workers), "--batch-size", str(max(10, workers)), "--output", "json"]
    cmd += ["--limit", limit] if limit else []
    seconds, proc, peak = timed(cmd, env, mem)
    if proc.returncode:
        try:
            failed = [f"{d['device']}: {d['error']}" for d in json.loads(proc.stdout)["devices"]
                      if d["status"] == "failed"]
        except (ValueError, KeyError):
            failed = [proc.stdout[-2000:]]
        raise SystemExit(f"push --workers {workers} failed: {proc.stderr.strip()[-500:]}\n"
                         + "\n".join(failed))
    devices = len(json.loads(proc.stdout)["devices"])
    return {"what": f"govops net push --workers {workers} --batch-size {max(10, workers)}"
                    + (f" --limit '{limit}'" if limit else ""),
            "devices": devices, "seconds": round(seconds, 1),
            "per_min": round(devices / seconds * 60, 1), "govops_mib": round(peak / 1024),
            "simulator_mib": round(mem.kib(sim_pid) / 1024)}


def ansible(env: dict[str, str], estate: Path, limit: str | None, forks: int, mem: PeakMemory,
            base: str, port: int) -> dict:
    sim_pid = sim_up(env, estate, limit, base, port)
    mem.watch(sim_pid)
    (estate / "ansible.yml").write_text("plugin: govops_estate\nestate: .\n")
    cmd = [str(Path(PYTHON).parent / "ansible-playbook"), "-i", str(estate / "ansible.yml"),
           "playbooks/extranet.yml", "-f", str(forks), "-e", f"govops_batch={forks}"]
    if limit:
        cmd += ["--limit", limit]
    run_env = {**env, "GOVOPS_ROLLOUT_ID": f"ansible-bench-{int(time.time())}"}
    seconds, proc, peak = timed(cmd, run_env, mem)
    if proc.returncode:
        raise SystemExit(f"ansible-playbook failed:\n{proc.stdout[-3000:]}")
    devices = sum(1 for line in proc.stdout.split("PLAY RECAP")[-1].splitlines() if "ok=" in line)
    return {"what": f"ansible-playbook -f {forks} (serial 1, then {forks})", "devices": devices,
            "seconds": round(seconds, 1), "per_min": round(devices / seconds * 60, 1),
            "govops_mib": round(peak / 1024), "simulator_mib": round(mem.kib(sim_pid) / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--profile", default="guangdong", help="estate generate profile")
    where.add_argument("--estate", type=Path, help="an estate folder instead")
    parser.add_argument("--limit", default=None, help="roll out to these devices only")
    parser.add_argument("--workers", default="16,64", help="comma-separated worker counts")
    parser.add_argument("--subset", default=SUBSET,
                        help="devices for the --workers 1 run ('' to skip it)")
    parser.add_argument("--ansible-forks", type=int, default=64, help="0 to skip Ansible")
    parser.add_argument("--frr", action="store_true",
                        help="also rerun benchmarks/network_lab.py (root; rebuilds the FRR lab)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="govops-netsim-"))
    env = _env(work)
    base, port = f"127.{random.randrange(10, 250)}.0.0", random.randrange(20000, 60000)
    if args.estate:
        estate = args.estate
    else:
        estate = work / "estate"
        proc = govops(env, "estate", "generate", "--profile", args.profile, "--out", str(estate))
        if proc.returncode:
            raise SystemExit(f"estate generate failed: {proc.stderr.strip()}")
    mem = PeakMemory()
    rows = []
    load_before = os.getloadavg()[0]
    try:
        for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
            rows.append(push(env, estate, args.limit, workers, mem, base, port))
            print(rows[-1], flush=True)
        if args.subset:
            rows.append(push(env, estate, args.subset, 1, mem, base, port))
            print(rows[-1], flush=True)
        if args.ansible_forks:
            rows.append(ansible(env, estate, args.limit, args.ansible_forks, mem, base, port))
            print(rows[-1], flush=True)
    finally:
        govops(env, "lab", "down", "--simulated")
        mem.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          f"({os.cpu_count()} cores)")
    print("| rollout | devices | time | devices/min | govops peak | simulator peak |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| `{r['what']}` | {r['devices']} | {r['seconds']} s | {r['per_min']} | "
              f"{r['govops_mib']} MiB | {r['simulator_mib']} MiB |")
    pushes = {r["what"]: r for r in rows if r["what"].startswith("govops")}
    one = next((r for r in rows if "--workers 1 " in r["what"]), None)
    fastest = max((r for r in pushes.values() if r is not one), key=lambda r: r["per_min"],
                  default=None)
    if one and fastest:
        print(f"\n{fastest['what']} / workers 1: {fastest['per_min'] / one['per_min']:.1f}x "
              "(target >= 20x at workers 64)")
    ans = next((r for r in rows if r["what"].startswith("ansible")), None)
    if ans and fastest:
        print(f"govops / Ansible: {fastest['per_min'] / ans['per_min']:.1f}x (target >= 3x)")
    whole = next((r for r in pushes.values() if "--limit" not in r["what"]), None)
    if whole:
        print(f"whole estate: {whole['devices']} devices in {whole['seconds'] / 60:.1f} min "
              "(target <= 15 min)")
    if args.frr:
        print("\nFRR lab (benchmarks/network_lab.py):", flush=True)
        subprocess.run([PYTHON, str(ROOT / "benchmarks" / "network_lab.py")], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
