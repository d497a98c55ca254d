"""Network namespaces, veth pairs, sysctls and shaping, through `ip`, `tc` and `sysctl`."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from govops.lab.errors import LabError

NETNS_DIR = Path("/run/netns")
_SBIN = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")

#: Tool -> Debian package that provides it.
TOOLS = {
    "ip": "iproute2",
    "tc": "iproute2",
    "sysctl": "procps",
    "unshare": "util-linux",
    "nsenter": "util-linux",
    "mount": "mount",
    "useradd": "passwd",
    "userdel": "passwd",
    "chpasswd": "passwd",
    "ssh-keygen": "openssh-client",
}


def tool(name: str) -> str:
    """Absolute path of `name` (PATH, then the sbin directories)."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))
    if not found:
        pkg = TOOLS.get(name, name)
        raise LabError(
            f"{name} not found: install it with apt-get install -y --no-install-recommends {pkg}"
        )
    return found


def run(
    args: Sequence[str], *, input: str | None = None, check: bool = True, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a command (first element resolved with `tool`), raising `LabError` on failure."""
    argv = [tool(args[0]), *args[1:]]
    try:
        proc = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise LabError(f"`{shlex.join(argv)}` timed out after {timeout:.0f} s") from None
    if check and proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}")
        detail = " / ".join(detail.splitlines()[-3:])
        raise LabError(f"`{shlex.join(argv)}` failed: {detail}")
    return proc


def list_netns() -> set[str]:
    """Names of the named network namespaces (`ip netns list`)."""
    try:
        return {p.name for p in NETNS_DIR.iterdir()}
    except FileNotFoundError:
        return set()


def netns_inode(name: str) -> int | None:
    """Inode of namespace `name` (matches `/proc/PID/ns/net` of processes inside it)."""
    try:
        return os.stat(NETNS_DIR / name).st_ino
    except FileNotFoundError:
        return None


def netns_pids(name: str) -> list[int]:
    """PIDs of the processes inside namespace `name` (`ip netns pids`)."""
    if name not in list_netns():
        return []
    proc = run(["ip", "netns", "pids", name], check=False)
    return [int(p) for p in proc.stdout.split() if p.isdigit()]


def add_netns(name: str) -> None:
    run(["ip", "netns", "add", name])


def delete_netns(name: str) -> None:
    run(["ip", "netns", "delete", name], check=False)


def link_names(netns: str | None = None) -> set[str]:
    """Interface names in `netns` (None: the root namespace)."""
    args = ["ip", "-j"] + (["-n", netns] if netns else []) + ["link", "show"]
    proc = run(args)
    return {link["ifname"] for link in json.loads(proc.stdout or "[]")}


def add_veth(name_a: str, netns_a: str | None, name_b: str, netns_b: str | None) -> None:
    """Create a veth pair with each end directly in its namespace (None: root namespace)."""
    args = ["ip", "link", "add", "name", name_a]
    if netns_a:
        args += ["netns", netns_a]
    args += ["type", "veth", "peer", "name", name_b]
    if netns_b:
        args += ["netns", netns_b]
    run(args)


def delete_link(name: str, netns: str | None = None) -> bool:
    """Delete an interface if it exists; True when it did."""
    args = ["ip"] + (["-n", netns] if netns else []) + ["link", "delete", "dev", name]
    return run(args, check=False).returncode == 0


def wait_link_gone(name: str, timeout: float = 3.0) -> bool:
    """Wait for a root-namespace interface to disappear (netns cleanup is asynchronous)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path("/sys/class/net", name).exists():
            return True
        time.sleep(0.05)
    return not Path("/sys/class/net", name).exists()


def ip_batch(commands: Sequence[str], netns: str | None = None) -> None:
    """Run several `ip` commands in one process (`ip -batch -`)."""
    if commands:
        run(["ip", *(["-n", netns] if netns else []), "-batch", "-"], input="\n".join(commands))


def set_sysctls(netns: str, values: Mapping[str, str | int]) -> None:
    run(
        ["ip", "netns", "exec", netns, tool("sysctl"), "-q", "-w"]
        + [f"{k}={v}" for k, v in values.items()]
    )


def write_root_sysctl(key: str, value: str | int) -> None:
    """Set a sysctl in the root namespace (e.g. on the host end of a management veth)."""
    Path("/proc/sys", *key.split(".")).write_text(f"{value}\n")


def shape(netns: str, ifname: str, mbps: int) -> None:
    """Shape egress of `ifname` to `mbps` with a token bucket (idempotent: `tc qdisc replace`)."""
    burst = max(mbps * 1_000_000 // 8 // 100, 16 * 1024)  # 10 ms of traffic, at least 16 KiB
    run(
        ["tc", "-n", netns, "qdisc", "replace", "dev", ifname, "root", "tbf",
         "rate", f"{mbps}mbit", "burst", str(burst), "latency", "50ms"]
    )
