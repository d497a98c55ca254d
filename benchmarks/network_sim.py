"""Province rehearsal on simulated VRP and Comware devices (issue 14).

Each measured rollout starts from a fresh simulator (`govops lab up --simulated`, devices on
127.0.x.y: no root, no namespace, never the FRR lab). With `--change ntp` (the default) every
device runs its intent and the province adds an NTP server: one line a device. With
`--change blank` the rolled-out devices start blank but managed (their whole config is
pushed) and every other device runs its intent (`--configured`). Either way verification sees
the peers a real province would have, and each rollout runs with canary, level-by-level
batches and verification of every BGP/OSPF/BFD session and route, exactly as `net push` runs
on real devices. The simulator runs as `--shards` processes (default: one per CPU) and, by
default, with the vendor timing model (`--timing vendor`: each device takes as long to answer
as a real box; ADR 0020's addendum gives the values and their sources). Prints, in one run:

* `govops net push` at each `--workers` on the whole estate (or `--limit`), and at
  `--workers 1` on `--subset` (about 100 devices): devices per minute, wall and CPU seconds
  of govops and of the simulator, load averages;
* peak memory (VmHWM) of govops and of the simulator processes (the largest one and the sum);
* `ansible-playbook playbooks/extranet.yml` with the same module, `--ansible-forks` (serial 1,
  then batches of that many), on `--ansible-limit` (default: the devices of the first
  govops run); when that is a subset, `govops net push --workers <forks>` runs on the same
  devices first, and the ratio compares that pair;
* the issue's targets against what came out: whole estate <= 15 min, workers 64 >= 20x
  workers 1, govops >= 3x Ansible;
* with `--frr` (root, the real FRR lab, which it rebuilds): benchmarks/network_lab.py's
  figures in the same run.

The machine is shared: run the whole Guangdong estate by hand, when nobody else needs it.

    .venv/bin/python benchmarks/network_sim.py --profile guangdong            # 1,894 devices
    .venv/bin/python benchmarks/network_sim.py --profile guangdong --limit 'yunfu-*' \\
        --workers 16 --subset '' --ansible-forks 0                 # 77 devices, a small run

The simulator speaks the planes' VRF-lite (VPN instances, subinterfaces, the planes' OSPF
processes; ADR 0020's addenda), so the estate runs with its planes by default.
`--extranet-only` removes them first, for a run of the extranet plane alone (as the figures
measured before the simulator spoke them were); the printout says so.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
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


@dataclass
class Sim:
    """How the simulator runs (the same for every rollout of a run)."""

    base: str
    port: int
    shards: int
    timing: str
    #: Change "ntp": the estate before the change, whose intent every device starts at.
    before: Path | None = None


#: The real change `--change ntp` rolls out: the province adds an NTP server, so every
#: device gets one line, then its sessions and routes are verified as in any push.
NEW_NTP = "198.18.16.124"


def ntp_change(estate: Path, work: Path) -> Path:
    """A copy of `estate` with one more NTP server in province.yaml (the estate pushed)."""
    changed = work / "estate-changed"
    shutil.copytree(estate, changed)
    path = changed / "province.yaml"
    text, n = re.subn(r"ntp_servers: \[", f"ntp_servers: [{NEW_NTP}, ", path.read_text(), count=1)
    if not n:
        raise SystemExit(f"{path}: no ntp_servers list to add {NEW_NTP} to")
    path.write_text(text)
    return changed


def sim_up(env: dict[str, str], estate: Path, rolled: str | None, sim: Sim) -> list[int]:
    """A fresh simulator; its PIDs. Change "blank": `rolled` devices blank, the others at
    their intent. Change "ntp": every device at the intent of the estate before the change."""
    govops(env, "lab", "down", "--simulated")
    args = ["lab", "up", "--simulated", "--estate", str(sim.before or estate), "--address-base",
            sim.base, "--port", str(sim.port), "--shards", str(sim.shards), "--timing",
            sim.timing, "--output", "json"]
    if sim.before is not None:
        args += ["--configured", "*"]
    elif rolled:
        configured = configured_complement(estate, rolled)
        if configured:
            args += ["--configured", configured]
    proc = govops(env, *args)
    if proc.returncode:
        raise SystemExit(f"lab up --simulated failed: {proc.stderr.strip()[-2000:]}")
    return [int(p) for p in json.loads(proc.stdout)["pids"]]


CHANGES = {"ntp": f"every device at its intent, the province adds NTP server {NEW_NTP} (one "
                  "line a device), full verification",
           "blank": "the rolled-out devices start blank but managed, their whole config pushed"}


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def extranet_only(estate: Path) -> None:
    """Drop the estate's routing planes (every node on the extranet plane only)."""
    (estate / "planes.yaml").unlink(missing_ok=True)
    path = estate / "network.yaml"
    path.write_text(re.sub(r",\s*planes: \[[^\]]*\]", "", path.read_text()))


def configured_complement(estate: Path, rolled: str) -> str:
    """The managed devices outside `rolled`, as a comma-separated name list ("" if none)."""
    sys.path.insert(0, str(ROOT / "src"))
    from govops.estate.loader import load_estate
    from govops.network.diff import select

    loaded = load_estate(estate)
    chosen = set(select(loaded, rolled))
    return ",".join(n for n, node in loaded.nodes.items() if node.managed and n not in chosen)


def timed(cmd: list[str], env: dict[str, str], mem: PeakMemory
          ) -> tuple[float, subprocess.CompletedProcess, int, float]:
    """Run `cmd`, watching its peak memory; (seconds, result, peak KiB, CPU seconds of it and
    its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    mem.watch(proc.pid)
    out, err = proc.communicate(timeout=7200)
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    return seconds, result, mem.peaks.get(proc.pid, 0), cpu


def _measure(mem: PeakMemory, sim_pids: list[int], run) -> dict:  # noqa: ANN001
    """Run `run()` (a timed command) with the simulator's CPU, memory and the load watched."""
    for pid in sim_pids:
        mem.watch(pid)
    sim_cpu = [cpu_s(pid) for pid in sim_pids]
    load = os.getloadavg()[0]
    seconds, proc, peak, cpu = run()
    sim_cpu = sum(cpu_s(pid) - c for pid, c in zip(sim_pids, sim_cpu, strict=True))
    peaks = [mem.kib(pid) for pid in sim_pids]
    return {"seconds": round(seconds, 1), "proc": proc, "govops_mib": round(peak / 1024),
            "govops_cpu_s": round(cpu, 1), "simulator_cpu_s": round(sim_cpu, 1),
            "simulator_mib": round(max(peaks, default=0) / 1024),
            "simulator_mib_sum": round(sum(peaks) / 1024),
            "load": f"{load:.1f} → {os.getloadavg()[0]:.1f}"}


def push(env: dict[str, str], estate: Path, limit: str | None, workers: int, mem: PeakMemory,
         sim: Sim) -> dict:
    sim_pids = sim_up(env, estate, limit, sim)
    # batches as wide as the workers (net push's default is 10): every level still goes in
    # batches of its own, after the canary
    cmd = [PYTHON, "-m", "govops", "net", "push", "--estate", str(estate), "--workers",
           str(workers), "--batch-size", str(max(10, workers)), "--output", "json"]
    cmd += ["--limit", limit] if limit else []
    row = _measure(mem, sim_pids, lambda: timed(cmd, env, mem))
    proc = row.pop("proc")
    try:
        results = json.loads(proc.stdout)["devices"]
    except (ValueError, KeyError):
        raise SystemExit(f"push --workers {workers} failed: {proc.stderr.strip()[-2000:]}\n"
                         f"{proc.stdout[-2000:]}") from None
    failed = [f"{d['device']}: {d['error']}" for d in results if d["status"] == "failed"]
    done = [d for d in results if d["status"] in ("changed", "unchanged")]
    return {"what": f"govops net push --workers {workers} --batch-size {max(10, workers)}"
                    + (f" --limit '{limit}'" if limit else ""), "workers": workers,
            "limit": limit, "devices": len(done), "failed": failed,
            "skipped": sum(1 for d in results if d["status"] == "skipped"),
            "per_min": round(len(done) / row["seconds"] * 60, 1), **row}


def ansible(env: dict[str, str], estate: Path, limit: str | None, forks: int, mem: PeakMemory,
            sim: Sim) -> dict:
    sim_pids = sim_up(env, estate, limit, sim)
    (estate / "ansible.yml").write_text("plugin: govops_estate\nestate: .\n")
    cmd = [str(Path(PYTHON).parent / "ansible-playbook"), "-i", str(estate / "ansible.yml"),
           "playbooks/extranet.yml", "-f", str(forks), "-e", f"govops_batch={forks}"]
    if limit:
        cmd += ["--limit", limit]
    run_env = {**env, "GOVOPS_ROLLOUT_ID": f"ansible-bench-{int(time.time())}"}
    row = _measure(mem, sim_pids, lambda: timed(cmd, run_env, mem))
    proc = row.pop("proc")
    recap = [line for line in proc.stdout.split("PLAY RECAP")[-1].splitlines() if "ok=" in line]
    done = sum(1 for line in recap if re.search(r"\bfailed=0\b", line)
               and not re.search(r"\bok=0\b", line))
    failed = [line.strip()[:300] for line in proc.stdout.splitlines()
              if line.startswith("fatal:")]
    if proc.returncode and not failed:
        failed = [proc.stdout[-1000:]]
    return {"what": f"ansible-playbook -f {forks} (serial 1, then {forks})"
                    + (f" --limit '{limit}'" if limit else ""), "workers": forks,
            "limit": limit, "devices": done, "failed": failed,
            "skipped": len(recap) - done - len(failed),
            "per_min": round(done / row["seconds"] * 60, 1), **row}


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
    parser.add_argument("--ansible-limit", default=None,
                        help="devices for the Ansible run (default: --limit)")
    parser.add_argument("--shards", type=int, default=os.cpu_count() or 1,
                        help="simulator processes (default: one per CPU)")
    parser.add_argument("--timing", choices=("vendor", "none"), default="vendor",
                        help="how long simulated devices take to answer (default: vendor)")
    parser.add_argument("--change", choices=("ntp", "blank"), default="ntp",
                        help="ntp (default): every device runs its intent and the province adds "
                             f"an NTP server ({NEW_NTP}: one line a device); blank: the rolled-out "
                             "devices start blank but managed (their whole config is pushed)")
    parser.add_argument("--extranet-only", action="store_true",
                        help="drop the estate's routing planes first: the extranet plane alone "
                             "(not needed for the simulator, which speaks the planes' VRF-lite)")
    parser.add_argument("--frr", action="store_true",
                        help="also rerun benchmarks/network_lab.py (root; rebuilds the FRR lab)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="govops-netsim-"))
    env = _env(work)
    sim = Sim(f"127.{random.randrange(10, 250)}.0.0", random.randrange(20000, 60000),
              args.shards, args.timing)
    if args.estate:
        estate = args.estate
    else:
        estate = work / "estate"
        proc = govops(env, "estate", "generate", "--profile", args.profile, "--out", str(estate))
        if proc.returncode:
            raise SystemExit(f"estate generate failed: {proc.stderr.strip()}")
    if args.extranet_only:
        if args.estate:
            shutil.copytree(args.estate, work / "estate")
            estate = work / "estate"
        extranet_only(estate)
    if args.change == "ntp":
        sim.before, estate = estate, ntp_change(estate, work)
    mem = PeakMemory()
    rows = []
    load_before = os.getloadavg()
    started = time.monotonic()
    print(f"change: {CHANGES[args.change]}; simulator: {sim.shards} processes, timing model "
          f"{sim.timing!r}"
          + (", extranet plane only" if args.extranet_only else "")
          + f"; {os.cpu_count()} cores, load {load_before[0]:.1f}", flush=True)
    try:
        for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
            rows.append(push(env, estate, args.limit, workers, mem, sim))
            print(_brief(rows[-1]), flush=True)
        if args.subset:
            rows.append(push(env, estate, args.subset, 1, mem, sim))
            print(_brief(rows[-1]), flush=True)
        if args.ansible_forks:
            limit = args.ansible_limit or args.limit
            if limit != args.limit:
                # the same devices, the same parallelism: the comparison the target is about
                rows.append(push(env, estate, limit, args.ansible_forks, mem, sim))
                print(_brief(rows[-1]), flush=True)
            rows.append(ansible(env, estate, limit, args.ansible_forks, mem, sim))
            print(_brief(rows[-1]), flush=True)
    finally:
        govops(env, "lab", "down", "--simulated")
        mem.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(rows, sim, args, load_before, time.monotonic() - started)
    if args.frr:
        print("\nFRR lab (benchmarks/network_lab.py):", flush=True)
        subprocess.run([PYTHON, str(ROOT / "benchmarks" / "network_lab.py")], cwd=ROOT, check=False)


def _brief(r: dict) -> str:
    text = (f"{r['what']}: {r['devices']} devices in {r['seconds']} s = {r['per_min']}/min "
            f"(govops CPU {r['govops_cpu_s']} s, simulator CPU {r['simulator_cpu_s']} s, "
            f"load {r['load']})")
    if r["failed"]:
        text += (f"\n  FAILED {len(r['failed'])}, skipped {r['skipped']}:\n    "
                 + "\n    ".join(r["failed"][:10]))
    return text


def report(rows: list[dict], sim: Sim, args: argparse.Namespace, load_before: tuple,
           seconds: float) -> None:
    """Every figure issue 14 asks for, and the targets against what came out."""
    print(f"\nchange: {CHANGES[args.change]}")
    print(f"simulator: {sim.shards} processes; timing model {sim.timing!r}"
          + (" (device waits per ADR 0020's addendum; protocol convergence not modelled)"
             if sim.timing == "vendor" else " (devices answer at once)")
          + ("; extranet plane only (--extranet-only)" if args.extranet_only else ""))
    print(f"load average {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f} at the "
          f"start, {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end "
          f"({os.cpu_count()} cores); whole benchmark {seconds / 60:.1f} min")
    print("| rollout | devices | time | devices/min | govops CPU | simulator CPU | govops peak "
          "| simulator peak (largest / all) | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        done = str(r["devices"]) + (f" ({len(r['failed'])} failed, {r['skipped']} skipped)"
                                    if r["failed"] else "")
        print(f"| `{r['what']}` | {done} | {r['seconds']} s | {r['per_min']} | "
              f"{r['govops_cpu_s']} s | {r['simulator_cpu_s']} s | {r['govops_mib']} MiB | "
              f"{r['simulator_mib']} / {r['simulator_mib_sum']} MiB | {r['load']} |")
    pushes = [r for r in rows if r["what"].startswith("govops")]
    one = next((r for r in pushes if r["workers"] == 1), None)
    many = [r for r in pushes if r is not one]
    print("\ntargets:")
    whole = [r for r in many if r["limit"] == args.limit and not r["limit"]]
    for r in whole:
        ok = r["seconds"] <= 15 * 60 and not r["failed"]
        print(f"- whole estate at --workers {r['workers']}: {r['devices']} devices in "
              f"{r['seconds'] / 60:.1f} min, target <= 15 min: {'met' if ok else 'NOT met'}")
    if not whole:
        print("- whole estate <= 15 min: not measured (--limit)")
    estate_runs = [r for r in many if r["limit"] == args.limit]
    top = next((r for r in estate_runs if r["workers"] == 64), None) or max(
        estate_runs, key=lambda r: r["per_min"], default=None)
    if one and top:
        ratio = top["per_min"] / one["per_min"]
        print(f"- --workers {top['workers']} / --workers 1: {ratio:.1f}x (target >= 20x at 64: "
              f"{'met' if ratio >= 20 and top['workers'] == 64 else 'NOT met'}; workers 1 on "
              f"{one['devices']} devices of {one['limit']!r})")
    else:
        print("- workers 64 >= 20x workers 1: not measured")
    ans = next((r for r in rows if r["what"].startswith("ansible")), None)
    # govops on the same devices as Ansible when there is such a run, else its best
    same = [r for r in many if ans and r["limit"] == ans["limit"]]
    best = max(same or many, key=lambda r: r["per_min"], default=None)
    if ans and best and ans["per_min"]:
        ratio = best["per_min"] / ans["per_min"]
        print(f"- govops (--workers {best['workers']}) / Ansible (-f {ans['workers']}) on "
              + (f"the same devices ({best['devices']}; Ansible finished {ans['devices']})"
                 if same else "different devices")
              + f": {ratio:.1f}x (target >= 3x: {'met' if ratio >= 3 else 'NOT met'})")
    else:
        print("- govops >= 3x Ansible: not measured")
    if rows:
        print("- peak memory: govops net push "
              + (f"{max(r['govops_mib'] for r in pushes)} MiB" if pushes else "not run")
              + f", simulator {max(r['simulator_mib'] for r in rows)} MiB per process, "
              f"{max(r['simulator_mib_sum'] for r in rows)} MiB for all {sim.shards}")


if __name__ == "__main__":
    main()
