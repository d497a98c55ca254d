"""`govops hosts check`: evaluate the baseline controls on live hosts over SSH (testinfra).

Everything is validated before the first connection (estate, --limit, overrides, key, levels);
then every host is reached once (`true` over SSH) and an unreachable one stops the run with exit 2
before any control is reported, so a partial run is never reported as a pass. Probes run through
testinfra's ssh backend with one multiplexed connection per host (`ControlMaster`), hosts in
parallel; the master connections are closed at the end.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govops.errors import BadInput
from govops.hosts.controls import (
    FAIL,
    LEVELS,
    PROBES,
    Context,
    ProbeOutput,
    Result,
    evaluate_host,
    probes_for,
)
from govops.hosts.inventory import host_address, host_groups

if TYPE_CHECKING:
    from govops.estate.estate import Estate

KEY_ENV = "GOVOPS_SSH_KEY"


@dataclass(frozen=True)
class Target:
    """A host to check: where it is and what the estate expects of it."""

    name: str
    address: str
    level: int
    context: Context


@dataclass
class HostReport:
    """The controls of one host."""

    target: Target
    results: list[Result]
    seconds: float

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == FAIL]

    def to_dict(self) -> dict[str, Any]:
        t = self.target
        return {"host": t.name, "address": t.address, "site": t.context.site, "role": t.context.role,
                "mlps": t.level, "passed": not self.failed, "failed": len(self.failed),
                "seconds": round(self.seconds, 3), "controls": [r.to_dict() for r in self.results]}


@dataclass
class CheckReport:
    """A whole run."""

    estate: str
    hosts: list[HostReport]
    started: str
    seconds: float
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(not h.failed for h in self.hosts)

    def to_dict(self) -> dict[str, Any]:
        return {"estate": self.estate, "started": self.started, "seconds": round(self.seconds, 3),
                "passed": self.passed, "options": self.options,
                "hosts": [h.to_dict() for h in self.hosts]}


@dataclass(frozen=True)
class SshOptions:
    """How to reach the hosts."""

    key: str | None = None
    user: str = "root"
    port: int = 22
    timeout: int = 10
    strict_host_keys: bool = True
    known_hosts: str | None = None


# --- selection (all of it before any connection) ---

def select_hosts(estate: Estate, limit: str | None) -> list[str]:
    """Hosts matching `--limit` (names, globs or groups, separated by , or :); all when None."""
    names = list(estate.hosts)
    if not limit:
        if not names:
            raise BadInput(f"estate {estate.directory} has no hosts")
        return names
    groups: dict[str, set[str]] = {}
    for name in names:
        for group in host_groups(estate, name):
            groups.setdefault(group, set()).add(name)
            groups.setdefault(_group_name(group), set()).add(name)
    chosen: list[str] = []
    problems = []
    for item in filter(None, (p.strip() for p in limit.replace(":", ",").split(","))):
        if item in groups:
            matched = [n for n in names if n in groups[item]]
        else:
            matched = [n for n in names if fnmatch.fnmatchcase(n, item)]
        if not matched:
            problems.append(f"--limit {item!r} matches no host of the estate "
                            f"(hosts: {', '.join(names) or 'none'}; groups: hosts, site_*, role_*, mlps_*)")
        chosen += [n for n in matched if n not in chosen]
    if problems:
        raise BadInput("\n".join(problems))
    return chosen


def _group_name(group: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in group)


def targets(estate: Estate, names: list[str], overrides: dict[str, str]) -> list[Target]:
    """Targets for the hosts; BadInput for unknown override names and levels without a baseline."""
    problems = [f"--address {n}: no such host in the estate" for n in overrides if n not in estate.hosts]
    result = []
    for name in names:
        host = estate.hosts[name]
        level = estate.host_mlps(name)
        if level not in LEVELS:
            problems.append(f"host {name}: MLPS level {level} has no baseline "
                            f"(known levels: {', '.join(map(str, LEVELS))})")
            continue
        context = Context(host=name, site=host.site, role=host.role, mlps=level,
                          ntp_servers=tuple(estate.network.ntp_servers),
                          syslog_servers=tuple(estate.network.syslog_servers))
        result.append(Target(name, host_address(estate, name, overrides), level, context))
    if problems:
        raise BadInput("\n".join(problems))
    return result


def resolve_key(key: str | None) -> str | None:
    """The SSH private key: `--ssh-key`, else `GOVOPS_SSH_KEY`, else ssh's own defaults (None)."""
    key = key or os.environ.get(KEY_ENV) or None
    if key is None:
        return None
    path = Path(key).expanduser()
    if not path.is_file():
        raise BadInput(f"SSH key {key} not found")
    if not os.access(path, os.R_OK):
        raise BadInput(f"SSH key {key} is not readable")
    return str(path)


# --- running ---

class SshSession:
    """testinfra ssh hosts sharing one control directory; closes the masters on exit."""

    def __init__(self, ssh: SshOptions) -> None:
        self.ssh = ssh
        self.dir = tempfile.mkdtemp(prefix="govops-ssh-")
        self.used: list[str] = []

    def _extra(self) -> str:
        opts = ["-o BatchMode=yes", "-o LogLevel=ERROR", "-o IdentitiesOnly=yes"
                if self.ssh.key else "", f"-o ControlPath={self.dir}/%C"]
        if not self.ssh.strict_host_keys:
            opts += ["-o StrictHostKeyChecking=no", "-o UserKnownHostsFile=/dev/null"]
        elif self.ssh.known_hosts:
            opts += ["-o StrictHostKeyChecking=yes", f"-o UserKnownHostsFile={self.ssh.known_hosts}"]
        else:
            opts += ["-o StrictHostKeyChecking=yes"]
        return " ".join(o for o in opts if o)

    def host(self, address: str):
        import testinfra

        spec = address if ":" not in address else f"[{address}]"
        self.used.append(address)
        return testinfra.get_host(f"ssh://{self.ssh.user}@{spec}:{self.ssh.port}",
                                  ssh_identity_file=self.ssh.key, timeout=self.ssh.timeout,
                                  controlpersist=30, ssh_extra_args=self._extra())

    def close(self) -> None:
        for address in set(self.used):
            subprocess.run(["ssh", "-o", f"ControlPath={self.dir}/%C", "-p", str(self.ssh.port), "-O",
                            "exit", f"{self.ssh.user}@{address}"], capture_output=True, timeout=10,
                           check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> SshSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reach(session: SshSession, target: Target) -> str | None:
    """None when `true` runs over SSH, else why not (ssh's last line)."""
    try:
        result = session.host(target.address).run("true")
    except RuntimeError as exc:
        out = exc.args[0] if exc.args else None
        text = (getattr(out, "stderr", "") or getattr(out, "stdout", "") or str(exc)).strip()
        return text.splitlines()[-1] if text else "ssh failed"
    except Exception as exc:  # noqa: BLE001 - any failure to connect is "unreachable"
        return str(exc) or type(exc).__name__
    return None if result.rc == 0 else f"'true' exited {result.rc}"


def probe(host: Any, names: list[str]) -> dict[str, ProbeOutput]:
    """Run the named probes on a testinfra host; ssh failures raise RuntimeError."""
    outputs = {}
    for name in names:
        result = host.run(PROBES[name])
        outputs[name] = ProbeOutput(result.rc, result.stdout, result.stderr)
    return outputs


def check_target(session: SshSession, target: Target) -> HostReport:
    """Every control of the target's level on the target."""
    started = time.perf_counter()
    host = session.host(target.address)
    try:
        outputs = probe(host, probes_for(target.level))
    except RuntimeError as exc:
        raise BadInput(f"host {target.name} ({target.address}): connection lost during the check: "
                       f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else 'ssh failed'}") from exc
    results = evaluate_host(target.level, outputs, target.context)
    return HostReport(target, results, time.perf_counter() - started)


def run_check(estate: Estate, chosen: list[Target], ssh: SshOptions, parallel: int = 8,
              options: dict[str, Any] | None = None) -> CheckReport:
    """Reach every target first (BadInput, exit 2, if any cannot be reached), then check them."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    workers = max(1, min(parallel, len(chosen)))
    with SshSession(ssh) as session, ThreadPoolExecutor(max_workers=workers) as pool:
        reached = list(pool.map(lambda t: _reach(session, t), chosen))
        unreachable = [(t, why) for t, why in zip(chosen, reached, strict=True) if why]
        if unreachable:
            raise BadInput("\n".join(f"host {t.name} ({t.address}) cannot be reached over SSH: {why}"
                                     for t, why in unreachable))
        reports = list(pool.map(lambda t: check_target(session, t), chosen))
    return CheckReport(estate.directory, reports, started_at, time.perf_counter() - started,
                       options or {})


# --- reports ---

def markdown(report: CheckReport) -> str:
    """The auditors' report in English (govops.hosts.evidence renders either language)."""
    from govops.hosts.evidence import markdown as render
    from govops.i18n import translator

    return render(report, translator("en"))
