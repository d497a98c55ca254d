"""The simulated devices as part of the lab: `govops lab up --simulated`, `lab status`,
`lab down` (ADR 0020).

    info = up(estate_dir, lab_dir() / "sim")     # simulator processes for the estate
    status(lab_dir() / "sim")                    # every device: platform, host, port, login
    down(lab_dir() / "sim")                      # stop them, remove what they added

A few processes (`python -m govops.lab.simdevices.lab SPEC K N`, one per CPU by default)
serve the estate's VRP/Comware nodes, device i by process i mod N; they share their devices'
routing facts through `shards/` (`shards.ShardLink`), so each computes the whole estate's
state. Where each device listens:

- by default on its own management address (port 22), in the lab range `198.18.0.0/15`: the
  addresses are added to `lo` as /32s (root only) and removed again by `down`;
- with `address_base` (tests, a shared machine): device *i* of the estate on `base + i`, which
  must lie in `127.0.0.0/8` (local without adding anything) or in the lab range.

The folder holds what a client needs, as the FRR lab's `routers/` does: `credentials.json`,
`known_hosts`, `addresses.json` (device → host, port: `GOVOPS_NET_ADDRESSES`' format), plus
`spec.json` (what the processes serve), `faults.json` (device → faults, polled every 0.5 s),
`sim.pid` (one PID a line, shard 0 first), `ready-K` and `sim.log`. Devices start *blank but
managed* (name and management port); the estate's unmanaged carriers start at their rendered
config.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from govops.lab.errors import LabError
from govops.lab.procs import is_running, terminate
from govops.lab.simdevices.shards import shard_of
from govops.lab.simdevices.spec import SimSpec, known_hosts_lines, spec_from_estate

#: Where device addresses may come from (LAB-NOTES: documentation and benchmark ranges only).
LAB_RANGE = ipaddress.ip_network("198.18.0.0/15")
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
#: The module the simulator process runs (also how `down` recognises it).
MODULE = "govops.lab.simdevices.lab"
USERNAME = "netops"


def _files(state_dir: Path) -> dict[str, Path]:
    names = ("spec.json", "credentials.json", "known_hosts", "addresses.json", "faults.json",
             "sim.pid", "sim.log", "host_key", "lo-addresses.json", "estate.txt", "shards")
    return {n: state_dir / n for n in names}


def _pids(state_dir: Path) -> list[int]:
    try:
        return [int(w) for w in (state_dir / "sim.pid").read_text().split() if w.isdigit()]
    except OSError:
        return []


def _ours(pid: int) -> bool:
    """`pid` is alive and runs the simulator module (not a reused PID)."""
    if not is_running(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return MODULE.encode() in cmdline


def running_pids(state_dir: Path) -> list[int]:
    """The simulator processes that run (from the pid file: live processes running MODULE)."""
    return [pid for pid in _pids(state_dir) if _ours(pid)]


def running_pid(state_dir: Path) -> int | None:
    """The first shard's PID when every shard runs; None otherwise."""
    pids = _pids(state_dir)
    return pids[0] if pids and running_pids(state_dir) == pids else None


def _addresses(devices: list, base: str | None) -> list[tuple[str, bool]]:
    """(address, needs adding to lo) per device, in estate order."""
    if base is None:
        out = []
        for d in devices:
            addr = ipaddress.ip_address(d.host)
            if addr not in LAB_RANGE:
                raise LabError(f"{d.name}: management address {addr} is outside the lab range "
                               f"{LAB_RANGE}: give --address-base")
            out.append((str(addr), True))
        return out
    try:
        first = ipaddress.ip_address(base)
    except ValueError:
        raise LabError(f"--address-base {base}: not an IPv4 address") from None
    net = LOOPBACK if first in LOOPBACK else LAB_RANGE if first in LAB_RANGE else None
    if net is None:
        raise LabError(f"--address-base {base}: use 127.0.0.0/8 or the lab range {LAB_RANGE}")
    hosts = [first + i + 1 for i in range(len(devices))]
    if hosts and hosts[-1] not in net:
        raise LabError(f"--address-base {base}: {len(devices)} devices do not fit in {net}")
    return [(str(h), net is LAB_RANGE) for h in hosts]


def _add_to_lo(addresses: list[str], record: Path) -> None:
    """Add each address to `lo` as a /32 (root); record the ones this call added."""
    if os.geteuid() != 0:
        raise LabError("devices on their management addresses need root (the addresses go on "
                       "lo): run as root, or give --address-base 127.0.1.0 and --port 2222")
    have = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "lo"], capture_output=True,
                          text=True, check=True).stdout
    present = {w.split("/")[0] for line in have.splitlines() for w in line.split()[3:4]}
    for addr in addresses:  # never take an address another lab (the FRR routers) routes
        route = subprocess.run(["ip", "-4", "-o", "route", "get", addr], capture_output=True,
                               text=True).stdout
        m = re.search(r"\bdev (\S+)", route)
        if addr not in present and m and m.group(1) != "lo" and not route.startswith("local"):
            if " via " not in route:
                raise LabError(f"{addr} is reached through {m.group(1)} already (the FRR lab's "
                               "management network?): govops lab down first, or give "
                               "--address-base 127.0.1.0")
    added: list[str] = []
    try:
        for addr in addresses:
            if addr in present:
                continue
            subprocess.run(["ip", "addr", "add", f"{addr}/32", "dev", "lo"], check=True,
                           capture_output=True)
            added.append(addr)
    finally:
        record.write_text(json.dumps(added))


def _remove_from_lo(record: Path) -> int:
    """Remove the addresses `_add_to_lo` recorded; how many."""
    try:
        added = json.loads(record.read_text())
    except (OSError, ValueError):
        return 0
    for addr in added:
        subprocess.run(["ip", "addr", "del", f"{addr}/32", "dev", "lo"], capture_output=True)
    return len(added)


def up(estate_dir: Path, state_dir: Path, *, address_base: str | None = None, port: int = 22,
       time_scale: float = 1.0, configured: str | None = None,
       progress: Callable[[str], None] | None = None, wait_s: float | None = None,
       shards: int | None = None, timing: str = "none") -> dict:
    """Serve every VRP/Comware node of the estate (idempotent for the same estate).

    `configured`: devices (`--limit` patterns) that start at their rendered intent, as if
    govops had pushed them already (rehearsing a change on part of a configured province);
    the others start blank but managed. `shards`: how many processes serve them (default:
    one per CPU, at most one per device). `timing`: "none" (devices answer at once) or
    "vendor" (as long as a real box takes: `timing.VENDOR`)."""
    from govops.lab.simdevices.timing import MODELS

    if timing not in MODELS:
        raise LabError(f"timing model {timing!r}: use one of {', '.join(MODELS)}")
    import warnings

    with warnings.catch_warnings():  # asyncssh imports DSA support that cryptography deprecates
        warnings.simplefilter("ignore")
        import asyncssh

    from govops.estate.loader import load_estate

    say = progress or (lambda _m: None)
    f = _files(state_dir)
    estate_id = str(Path(estate_dir).resolve())
    if running_pids(state_dir):
        serving = f["estate.txt"].read_text().strip() if f["estate.txt"].exists() else "?"
        if serving != estate_id:
            raise LabError(f"the simulated lab already serves {serving}: govops lab down "
                           "--simulated first")
        say("simulated devices already up")
        return status(state_dir)
    down(state_dir)  # leftovers of a crashed run
    estate = load_estate(Path(estate_dir))
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    frr = state_dir.parent / "routers" / "credentials.json"
    if frr.is_file():  # one login for the whole lab: FRR routers and simulated devices
        login = json.loads(frr.read_text())
    else:
        login = {"username": USERNAME, "password": secrets.token_urlsafe(12)}
    if not f["host_key"].exists():
        asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(f["host_key"]))
    seeds = None
    if configured:
        from govops.network.diff import select
        from govops.network.render import render_all

        names = select(estate, configured)
        say(f"rendering {len(names)} devices that start configured")
        seeds = render_all(estate, names)
    spec = spec_from_estate(estate, host="", first_port=0, username=login["username"],
                            password=login["password"], host_key=f["host_key"], seeds=seeds,
                            time_scale=time_scale, faults_file=str(f["faults.json"]),
                            per_device_host=True)
    if not spec.devices:
        raise LabError(f"{estate_dir}: no huawei_vrp or h3c_comware node to simulate")
    spec.timing = timing
    where = _addresses(spec.devices, address_base)
    for d, (host, _) in zip(spec.devices, where, strict=True):
        d.host, d.port = host, port
    lo = [h for h, add in where if add]
    if lo:
        say(f"adding {len(lo)} management addresses to lo")
        _add_to_lo(lo, f["lo-addresses.json"])
    spec.write(f["spec.json"])
    _write(f["credentials.json"], json.dumps(login), 0o600)
    _write(f["known_hosts"], "\n".join(known_hosts_lines(spec)) + "\n")
    _write(f["addresses.json"], json.dumps({d.name: {"host": d.host, "port": d.port}
                                            for d in spec.devices}, indent=1))
    if not f["faults.json"].exists():
        _write(f["faults.json"], "{}\n")
    _write(f["estate.txt"], estate_id + "\n")
    count = max(1, min(shards or os.cpu_count() or 1, len(spec.devices)))
    shutil.rmtree(f["shards"], ignore_errors=True)
    say(f"starting the simulator for {len(spec.devices)} devices ({count} processes)")
    started = time.monotonic()
    procs = []
    with open(f["sim.log"], "ab") as log:
        for k in range(count):
            (state_dir / f"ready-{k}").unlink(missing_ok=True)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", MODULE, str(f["spec.json"]), str(k), str(count)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                cwd=state_dir))
            _write(f["sim.pid"], "".join(f"{p.pid}\n" for p in procs))
    deadline = started + (wait_s if wait_s is not None else 30 + len(spec.devices) / 20)
    while not all((state_dir / f"ready-{k}").exists() for k in range(count)):
        if any(p.poll() is not None for p in procs):
            last = (f["sim.log"].read_text(errors="replace").strip().splitlines() or ["?"])[-1]
            down(state_dir)
            raise LabError(f"the simulator stopped at start: {last}")
        if time.monotonic() > deadline:
            down(state_dir)
            raise LabError(f"the simulator did not open its listeners in time: see {f['sim.log']}")
        time.sleep(0.05)
    info = status(state_dir)
    info["seconds"] = round(time.monotonic() - started, 2)
    return info


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def status(state_dir: Path) -> dict:
    """Whether the simulator runs, and every device it serves with how to log in."""
    f = _files(state_dir)
    pids, live = _pids(state_dir), running_pids(state_dir)
    if not f["spec.json"].exists():
        return {"running": False, "pid": None, "pids": [], "devices": []}
    spec = SimSpec.read(f["spec.json"])
    shards = max(1, len(pids))
    return {
        "running": bool(pids) and live == pids, "pid": pids[0] if live == pids and pids else None,
        "pids": live, "shards": shards, "timing": spec.timing,
        "estate": f["estate.txt"].read_text().strip() if f["estate.txt"].exists() else "",
        "known_hosts": str(f["known_hosts"]), "faults_file": str(f["faults.json"]),
        "devices": [{"name": d.name, "platform": d.platform, "model": d.model,
                     "level": d.level, "device_type": d.device_type, "host": d.host,
                     "port": d.port, "management": d.management, "username": spec.username,
                     "password": spec.password, "shard": shard_of(i, shards)}
                    for i, d in enumerate(spec.devices)],
    }


def down(state_dir: Path) -> dict:
    """Stop the simulator processes (by their PIDs), remove the addresses they added to lo
    and their files."""
    f = _files(state_dir)
    pids = running_pids(state_dir)
    stopped = terminate(pids, grace=5.0) if pids else []
    removed = _remove_from_lo(f["lo-addresses.json"]) if f["lo-addresses.json"].exists() else 0
    devices = 0
    if f["spec.json"].exists():
        try:
            devices = len(SimSpec.read(f["spec.json"]).devices)
        except LabError:
            pass
    if state_dir.exists():
        shutil.rmtree(state_dir)
    return {"processes": len(stopped), "devices": devices, "lo_addresses": removed}


class _ReadyFile:
    """`serve`'s ready signal as a file the parent waits for."""

    def __init__(self, path: Path):
        self.path = path

    def set(self) -> None:
        self.path.write_text(f"{os.getpid()}\n")


def main(argv: list[str]) -> int:
    """A simulator process: serve the spec (shard K of N: `SPEC K N`) until SIGTERM."""
    import asyncio
    import gc
    import signal

    from govops.lab.simdevices.server import serve
    from govops.lab.simdevices.shards import ShardLink
    from govops.lab.simdevices.spec import world_from_spec

    spec_path = Path(argv[0])
    shard, shards = (int(argv[1]), int(argv[2])) if len(argv) >= 3 else (0, 1)
    world = world_from_spec(SimSpec.read(spec_path), shard, shards)
    if shards > 1:
        world.link = ShardLink(spec_path.parent / "shards", shard, shards, world.estate)
    # The estate's config trees are millions of objects that live as long as the process:
    # out of the collector's sight, a collection costs what a display allocates, not them.
    gc.collect()
    gc.freeze()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(world, _ReadyFile(spec_path.parent / f"ready-{shard}"), stop)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
