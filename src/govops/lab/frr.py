"""FRR inside a router namespace: its private /etc/frr and /var/run/frr, and its daemons.

Each router runs in its own mount and UTS namespace (`unshare -m -u`) inside its network
namespace. There a private tmpfs covers /run (so sshd's /run/sshd and utmp stay out of the
host), the router's `etc/` and `run/` directories are bind-mounted over /etc/frr and
/var/run/frr, and the hostname is the router name. Daemons run without watchfrr, each with
its pid file, vty socket and log file in the router's `run/` directory (readable from the root
namespace under the state directory). Later starts (a daemon died) enter the same mount
namespace through a still-running process of the router.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
from collections.abc import Sequence
from pathlib import Path

from govops.lab.errors import LabError

DAEMONS: tuple[str, ...] = ("zebra", "staticd", "bfdd", "ospfd", "ospf6d", "bgpd")
FRR_LIBDIR = Path("/usr/lib/frr")
VTYSH = Path("/usr/bin/vtysh")
#: Host files that sshd writes on login; each router gets private empty copies.
ACCT_FILES: tuple[str, ...] = ("/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog")
_DAEMON_ARGS = {"zebra": ["-s", "90000000"]}


def check_installed() -> None:
    missing = [d for d in DAEMONS if not (FRR_LIBDIR / d).exists()]
    if missing or not VTYSH.exists():
        raise LabError(
            "FRR is not installed (no " + ", ".join(missing or ["vtysh"]) + "): "
            "apt-get install -y --no-install-recommends frr"
        )
    for name, kind in (("frr", "user"), ("frrvty", "group")):
        try:
            (pwd.getpwnam if kind == "user" else grp.getgrnam)(name)
        except KeyError:
            raise LabError(
                f"FRR's {kind} {name!r} is missing: reinstall FRR "
                "(apt-get install --reinstall frr)"
            ) from None


def prepare_router_dir(rdir: Path, hostname: str) -> None:
    """Create `etc/`, `run/`, `acct/` for a router; write a blank config only if none exists
    (a config saved with `write memory` survives rebuilds)."""
    frr = pwd.getpwnam("frr")
    frrvty = grp.getgrnam("frrvty").gr_gid
    etc, run, acct = rdir / "etc", rdir / "run", rdir / "acct"
    for d in (rdir, etc, run, acct):
        d.mkdir(parents=True, exist_ok=True)
    # etc: group frrvty may write, so the login user's vtysh can save the integrated config.
    os.chown(etc, frr.pw_uid, frrvty)
    os.chmod(etc, 0o2775)
    os.chown(run, frr.pw_uid, frr.pw_gid)
    os.chmod(run, 0o755)
    files = {
        etc / "vtysh.conf": "service integrated-vtysh-config\n",
        etc / "frr.conf": (
            "frr defaults traditional\n"
            f"hostname {hostname}\n"
            "service integrated-vtysh-config\n"
            "!\n"
        ),
    }
    for path, text in files.items():
        if not path.exists():
            path.write_text(text)
            os.chown(path, frr.pw_uid, frrvty)
            os.chmod(path, 0o660)
    for f in ACCT_FILES:
        p = acct / Path(f).name
        if not p.exists():
            p.touch(mode=0o600)


def pidfile(rdir: Path, daemon: str) -> Path:
    return rdir / "run" / f"{daemon}.pid"


def start_script(
    rdir: Path,
    hostname: str,
    daemons: Sequence[str],
    *,
    fresh: bool,
    apply_all: bool,
    sshd_argv: Sequence[str] | None,
) -> str:
    """Shell script run inside the router namespace that starts `daemons` (and sshd).

    `fresh`: we are in a new mount namespace and must set up the mounts and hostname.
    `apply_all`: load the whole integrated config (`vtysh -b`); otherwise only the parts of
    the restarted daemons (`vtysh -b -d DAEMON`).
    """
    q = shlex.quote
    log = q(str(rdir / "start.log"))
    lines = ["set -e"]
    if fresh:
        lines += [
            "mount -t tmpfs -o mode=0755,size=16m govops-lab-run /run",
            "mkdir -p /run/frr /run/sshd",
            f"mount --bind {q(str(rdir / 'run'))} /run/frr",
            f"mount --bind {q(str(rdir / 'etc'))} /etc/frr",
        ]
        for f in ACCT_FILES:
            src = q(str(rdir / "acct" / Path(f).name))
            lines.append(f"if [ -e {f} ]; then mount --bind {src} {f}; fi")
        lines.append(f"hostname {q(hostname)}")
    for d in daemons:
        argv = [str(FRR_LIBDIR / d), "-d", "-P", "0", *_DAEMON_ARGS.get(d, []),
                "--log", f"file:/var/run/frr/{d}.log"]
        lines.append(
            f"{shlex.join(argv)} >>{log} 2>&1 </dev/null"
            f" || {{ echo '{d} failed to start (see {rdir}/start.log)' >&2; exit 1; }}"
        )
    for d in daemons:
        lines.append(
            f"i=0; while [ ! -S /var/run/frr/{d}.vty ]; do i=$((i+1)); "
            f"if [ $i -gt 200 ]; then echo '{d} did not open its vty socket' >&2; exit 1; fi; "
            "sleep 0.05; done"
        )
    if daemons:
        if apply_all:
            lines.append(f"{VTYSH} -b >>{log} 2>&1 </dev/null || true")
        else:
            for d in daemons:
                lines.append(f"{VTYSH} -b -d {d} >>{log} 2>&1 </dev/null || true")
    if sshd_argv:
        lines.append(
            f"{shlex.join(sshd_argv)} >>{log} 2>&1 </dev/null"
            f" || {{ echo 'sshd failed to start (see {rdir}/ssh/sshd.log)' >&2; exit 1; }}"
        )
    return "\n".join(lines) + "\n"
