"""FRR inside a router namespace: its private /etc/frr and /var/run/frr, and its daemons.

Each router runs in its own mount and UTS namespace (`unshare -m -u`) inside its network
namespace. There a private tmpfs covers /run (so sshd's /run/sshd and utmp stay out of the
host), the router's `etc/` and `run/` directories are bind-mounted over /etc/frr and
/var/run/frr, and the hostname is the router name. Each daemon has its pid file, vty socket
and log file in the router's `run/` directory (readable from the root namespace under the state
directory). Later starts (a daemon died) enter the same mount namespace through a still-running
process of the router.

FRR's own supervisor, `watchfrr`, watches the daemons as it does in a packaged deployment: a
daemon that crashes (or hangs) is started again by `supervise.sh` in the router's directory,
which reloads that daemon's part of the saved config (`vtysh -b -d DAEMON`) and appends one line
to `run/restarts.log` (time, daemon, why: the signal FRR logged, or "exited"/"unresponsive").
`lab status` reads those lines, so a crash is never only a missing neighbour.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govops.lab.errors import LabError

DAEMONS: tuple[str, ...] = ("zebra", "staticd", "bfdd", "ospfd", "ospf6d", "bgpd")
SUPERVISOR = "watchfrr"
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


def prepare_router_dir(rdir: Path, hostname: str, daemons: Sequence[str] = DAEMONS,
                       config: str | None = None) -> None:
    """Create `etc/`, `run/`, `acct/` for a router; write its first config only if none exists
    (a config saved with `write memory` survives rebuilds): `config` (a day-0 config, loaded
    at start as a saved one is), else a blank one. `daemons`: what watchfrr supervises."""
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
        etc / "frr.conf": config if config is not None else (
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
    supervise = rdir / "supervise.sh"
    supervise.write_text(supervise_script(daemons))
    supervise.chmod(0o755)


def pidfile(rdir: Path, daemon: str) -> Path:
    """Where `daemon` (or watchfrr) of the router in `rdir` writes its PID."""
    return rdir / "run" / f"{daemon}.pid"


def restarts_log(rdir: Path) -> Path:
    """The supervisor's record of daemon restarts: `EPOCH DAEMON WHY…` per line."""
    return rdir / "run" / "restarts.log"


@dataclass(frozen=True)
class Restart:
    """One daemon restart by watchfrr: when, which daemon, and why (e.g. "signal 11")."""

    at: float
    daemon: str
    reason: str

    def sentence(self, router: str) -> str:
        """e.g. "ospf6d on city-gz-2 crashed at 12:04:05 (signal 11) and was restarted"."""
        import time

        at = time.strftime("%H:%M:%S", time.localtime(self.at))
        if self.reason == "unresponsive":
            return f"{self.daemon} on {router} hung at {at} and was killed and restarted"
        return f"{self.daemon} on {router} crashed at {at} ({self.reason}) and was restarted"


def read_restarts(rdir: Path) -> list[Restart]:
    """Every restart the router's supervisor recorded, oldest first (empty when none)."""
    try:
        lines = restarts_log(rdir).read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        parts = line.split(maxsplit=2)
        if len(parts) >= 2:
            try:
                at = float(parts[0])
            except ValueError:
                continue
            found.append(Restart(at, parts[1], parts[2] if len(parts) > 2 else "exited"))
    return found


def _daemon_command(daemon: str) -> str:
    argv = [str(FRR_LIBDIR / daemon), "-d", "-P", "0", *_DAEMON_ARGS.get(daemon, []),
            "--log", f"file:/var/run/frr/{daemon}.log"]
    return shlex.join(argv)


def supervise_script(daemons: Sequence[str] = DAEMONS) -> str:
    """`supervise.sh ACTION DAEMON`: watchfrr's start/stop/restart command for a lab router.

    Runs inside the router's namespaces (watchfrr does). A restart records why the daemon
    went away: the last "Received signal N" FRR logged since the daemon's last start line, or
    "unresponsive" when it still ran (watchfrr gave up on its vty), else "exited".
    """
    cases = "\n".join(f"  {d}) cmd={shlex.quote(_daemon_command(d))} ;;" for d in daemons)
    return f"""#!/bin/sh
# watchfrr's start/stop/restart command for one govops lab router (written by govops.lab.frr).
action=$1 d=$2 run=/var/run/frr
case $d in
{cases}
  *) echo "unknown daemon $d" >&2; exit 1 ;;
esac
old=$(cat "$run/$d.pid" 2>/dev/null)
alive() {{ [ -n "$old" ] && kill -0 "$old" 2>/dev/null; }}
case $action in
  stop) alive && kill "$old"; exit 0 ;;
  restart)
    why=$(awk '/ starting: /{{s=""}} /Received signal [0-9]/{{s=$0; sub(/.*Received signal /, "", s);
          sub(/[^0-9].*/, "", s); s="signal " s}} END{{print s}}' "$run/$d.log" 2>/dev/null)
    if alive; then why=unresponsive; kill -9 "$old"; sleep 0.2; fi
    echo "$(date +%s.%N) $d ${{why:-exited}}" >>"$run/restarts.log" ;;
  start) alive && exit 0 ;;
  *) echo "usage: supervise.sh start|stop|restart DAEMON" >&2; exit 1 ;;
esac
rm -f "$run/$d.pid" "$run/$d.vty"
$cmd </dev/null >>"$run/supervise.log" 2>&1 || exit 1
i=0; while [ ! -S "$run/$d.vty" ]; do i=$((i+1)); [ $i -gt 200 ] && exit 1; sleep 0.05; done
{VTYSH} -b -d "$d" </dev/null >>"$run/supervise.log" 2>&1
exit 0
"""


def supervisor_command(rdir: Path, daemons: Sequence[str] = DAEMONS) -> str:
    """Start watchfrr for the router in `rdir` (run inside its namespaces, after the daemons).

    Restarts are fast (1 s apart at first, at most 10 s) because a lab router carries no
    traffic that a restart storm could hurt; a hung daemon is killed after 30 s.
    """
    script = shlex.quote(str(rdir / "supervise.sh"))
    argv = [str(FRR_LIBDIR / SUPERVISOR), "-d", "--log", "file:/var/run/frr/watchfrr.log",
            "--min-restart-interval", "1", "--max-restart-interval", "10", "-t", "30",
            "-s", f"/bin/sh {script} start %s", "-r", f"/bin/sh {script} restart %s",
            "-k", f"/bin/sh {script} stop %s", *daemons]
    return shlex.join(argv)


def start_script(
    rdir: Path,
    hostname: str,
    daemons: Sequence[str],
    *,
    fresh: bool,
    apply_all: bool,
    sshd_argv: Sequence[str] | None,
    supervisor: bool = True,
    supervised: Sequence[str] = DAEMONS,
) -> str:
    """Shell script run inside the router namespace that starts `daemons` (and sshd).

    `fresh`: we are in a new mount namespace and must set up the mounts and hostname.
    `apply_all`: load the whole integrated config (`vtysh -b`); otherwise only the parts of
    the restarted daemons (`vtysh -b -d DAEMON`). `supervisor`: start watchfrr last, watching
    `supervised` (every daemon the router runs).
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
        # through /proc: the kernel takes any name, hostname(1) refuses a plane instance's `@`
        lines.append(f"printf %s {q(hostname)} >/proc/sys/kernel/hostname")
    for d in daemons:
        lines.append(
            f"{_daemon_command(d)} >>{log} 2>&1 </dev/null"
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
    if supervisor:
        lines.append(f"rm -f /var/run/frr/{SUPERVISOR}.pid")
        lines.append(
            f"{supervisor_command(rdir, supervised)} >>{log} 2>&1 </dev/null"
            f" || {{ echo '{SUPERVISOR} failed to start (see {rdir}/start.log)' >&2; exit 1; }}"
        )
    if sshd_argv:
        lines.append(
            f"{shlex.join(sshd_argv)} >>{log} 2>&1 </dev/null"
            f" || {{ echo 'sshd failed to start (see {rdir}/ssh/sshd.log)' >&2; exit 1; }}"
        )
    return "\n".join(lines) + "\n"
