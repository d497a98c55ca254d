"""A throwaway FRR 8.4 router in its own network namespace, for tests that load rendered configs.

One `ThrowawayFrr` is one namespace (`gvt-…`) holding `lo`, `mgmt0` and the interfaces a config
names (veth pairs kept inside the namespace), and FRR's daemons in a private mount namespace
(bind mounts over /etc/frr and /var/run/frr, see LAB-NOTES). Everything it starts is tracked
by PID and stopped by PID; the namespace and the temporary folder are removed on exit.

    with ThrowawayFrr("town-a", ["eth1", "eth2"]) as r:
        errors = r.load(config_text)
        running = r.running_config()
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

DAEMONS = ("zebra", "staticd", "bfdd", "ospfd", "ospf6d", "bgpd")
FRR_LIBDIR = Path("/usr/lib/frr")


def available() -> str | None:
    """None when throwaway routers can run here, else why not (for pytest.skip)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    missing = [d for d in DAEMONS if not (FRR_LIBDIR / d).exists()]
    if missing or not shutil.which("vtysh"):
        return "FRR is not installed (apt-get install -y --no-install-recommends frr)"
    for tool in ("ip", "unshare", "nsenter"):
        if not shutil.which(tool):
            return f"{tool} is missing"
    return None


class ThrowawayFrr:
    """An FRR router in a network namespace, started on enter and removed on exit."""

    def __init__(self, hostname: str, interfaces: Iterable[str] = ()) -> None:
        self.hostname = hostname
        self.interfaces = [i for i in dict.fromkeys(interfaces) if i not in ("lo",)]
        self.ns = f"gvt-{uuid.uuid4().hex[:10]}"
        self.dir = Path(tempfile.mkdtemp(prefix="govops-frr-"))
        self.pids: list[int] = []
        self._ns_made = False

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> ThrowawayFrr:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        etc, run = self.dir / "etc", self.dir / "run"
        frr = pwd.getpwnam("frr")
        frrvty = grp.getgrnam("frrvty").gr_gid
        for d in (etc, run):
            d.mkdir()
        os.chmod(self.dir, 0o755)
        os.chown(etc, frr.pw_uid, frrvty)
        os.chmod(etc, 0o2775)
        os.chown(run, frr.pw_uid, frr.pw_gid)
        (etc / "vtysh.conf").write_text("service integrated-vtysh-config\n")
        (etc / "frr.conf").write_text(
            f"frr defaults traditional\nhostname {self.hostname}\n"
            "service integrated-vtysh-config\n!\n")
        for f in ("vtysh.conf", "frr.conf"):
            os.chown(etc / f, frr.pw_uid, frrvty)
            os.chmod(etc / f, 0o660)
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        self._ns_made = True
        batch = ["link set lo up", "link add mgmt0 type veth peer name mgmt0-p",
                 "link set mgmt0 up", "link set mgmt0-p up"]
        for n, name in enumerate(self.interfaces):
            if name == "mgmt0":
                continue
            batch += [f"link add {name} type veth peer name p{n}-{name}"[:200],
                      f"link set {name} up", f"link set p{n}-{name} up"]
        subprocess.run(["ip", "-n", self.ns, "-batch", "-"], input="\n".join(batch) + "\n",
                       text=True, check=True)
        sysctls = {
            "net.ipv6.conf.all.keep_addr_on_down": 1, "net.ipv6.conf.all.accept_dad": 0,
            "net.ipv6.conf.default.accept_dad": 0, "net.ipv6.conf.all.forwarding": 1,
            "net.ipv4.ip_forward": 1,
        }
        q = shlex.quote
        lines = ["set -e"]
        lines += [f"sysctl -q -w {k}={v}" for k, v in sysctls.items()]
        lines += [
            "mount -t tmpfs -o mode=0755,size=8m govops-test-run /run",
            "mkdir -p /run/frr",
            f"mount --bind {q(str(run))} /run/frr",
            f"mount --bind {q(str(etc))} /etc/frr",
            f"hostname {q(self.hostname)}",
        ]
        for d in DAEMONS:
            lines.append(f"{FRR_LIBDIR / d} -d -P 0 --log file:/var/run/frr/{d}.log"
                         f" -i /var/run/frr/{d}.pid")
        for d in DAEMONS:
            lines.append(f"i=0; while [ ! -S /var/run/frr/{d}.vty ]; do i=$((i+1)); "
                         f"[ $i -gt 200 ] && {{ echo '{d} did not start' >&2; exit 1; }}; "
                         "sleep 0.05; done")
        proc = subprocess.run(["ip", "netns", "exec", self.ns, "unshare", "-m", "-u", "sh",
                               "-c", "\n".join(lines)], capture_output=True, text=True)
        for d in DAEMONS:
            pidfile = run / f"{d}.pid"
            if pidfile.exists():
                self.pids.append(int(pidfile.read_text().strip()))
        if proc.returncode != 0:
            raise RuntimeError(f"FRR did not start in {self.ns}: {proc.stderr.strip()}")

    def stop(self) -> None:
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        for pid in self.pids:
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.02)
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.pids.clear()
        if self._ns_made:
            subprocess.run(["ip", "netns", "del", self.ns], check=False,
                           capture_output=True)
            self._ns_made = False
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- use --------------------------------------------------------------------------------
    def vtysh(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run vtysh inside the router's namespaces."""
        return subprocess.run(
            ["nsenter", "-t", str(self.pids[0]), "-m", "-n", "-u", "vtysh", *args],
            capture_output=True, text=True, timeout=timeout)

    def load(self, config: str) -> str:
        """Apply a whole config with `vtysh -f`; returns vtysh's complaints ('' when none)."""
        path = self.dir / "load.conf"
        path.write_text(config)
        os.chmod(path, 0o644)
        proc = self.vtysh("-f", str(path))
        text = (proc.stdout + proc.stderr).strip()
        return text if (proc.returncode != 0 or text) else ""

    def running_config(self) -> str:
        return self.vtysh("-c", "show running-config").stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
