"""`govops hosts apply`: the host roles (`playbooks/hosts.yml`: MLPS baseline, node exporter)
run on the estate's hosts by `ansible-playbook`, its output kept as a run log.

govops adds what a bare `ansible-playbook` run lacks: hosts chosen and checked against the
estate before anything runs, one clear line when Ansible is missing, a log per run under
`runs/hosts/`, and (in the command) an audit record naming the hosts and the log's digest.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govops.errors import BadInput
from govops.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "playbooks" / "hosts.yml"
ROLES = REPO_ROOT / "playbooks" / "roles"
RUNS = REPO_ROOT / "runs" / "hosts"
_RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
                    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)")


@dataclass
class ApplyResult:
    """What one `ansible-playbook` run did, per host, from its PLAY RECAP."""

    run_id: str
    hosts: list[str]
    check: bool
    returncode: int
    log: Path
    seconds: float
    recap: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changed(self) -> list[str]:
        """Hosts where a task changed (or, with --check, would change) something."""
        return [h for h, c in self.recap.items() if c["changed"]]

    @property
    def failed(self) -> list[str]:
        """Hosts with a failed task or that could not be reached."""
        return [h for h, c in self.recap.items() if c["failed"] or c["unreachable"]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of `--output json`."""
        return {"run_id": self.run_id, "hosts": self.hosts, "check": self.check,
                "returncode": self.returncode, "log": str(self.log), "seconds": round(self.seconds, 2),
                "recap": self.recap, "changed": self.changed, "failed": self.failed}


def ansible_playbook() -> str:
    """The `ansible-playbook` beside this Python (the venv), else on PATH; BadInput if none."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = str(beside) if beside.exists() else shutil.which("ansible-playbook")
    if not found:
        raise BadInput("ansible-playbook not found: run `make install` (it installs ansible-core "
                       "into .venv)")
    return found


def role_files() -> list[Path]:
    """The playbook and every file of its roles: the run's inputs."""
    return [PLAYBOOK, *sorted(p for p in ROLES.rglob("*") if p.is_file())]


def parse_recap(text: str) -> dict[str, dict[str, int]]:
    """host → {ok, changed, unreachable, failed} from the PLAY RECAP lines of Ansible's output."""
    recap = {}
    for line in text.splitlines():
        match = _RECAP.match(line.strip())
        if match:
            recap[match["host"]] = {k: int(match[k]) for k in ("ok", "changed", "unreachable", "failed")}
    return recap


def run_apply(estate_dir: Path, hosts: list[str], *, check: bool = False, diff: bool = False,
              user: str = "root", key: str | None = None, overrides: dict[str, str] | None = None,
              host_key_check: bool = True, extra_vars: dict[str, str] | None = None,
              on_line: Callable[[str], None] | None = None,
              runs: Path | None = None) -> ApplyResult:
    """Run `playbooks/hosts.yml` on `hosts` of the estate; the output goes to a run log."""
    program = ansible_playbook()
    runs = runs or RUNS
    run_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"-{os.getpid() % 10000:04d}"
    runs.mkdir(parents=True, exist_ok=True)
    log = runs / f"{run_id}{'-check' if check else ''}.log"
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PYTHONUNBUFFERED": "1"}
    if overrides:
        env["GOVOPS_HOST_ADDRESSES"] = ",".join(f"{n}={a}" for n, a in overrides.items())
    if not host_key_check:
        env["ANSIBLE_HOST_KEY_CHECKING"] = "False"
    with tempfile.TemporaryDirectory(prefix="govops-hosts-") as tmp:
        inventory = Path(tmp) / "govops.yml"
        inventory.write_text(f"plugin: govops_estate\nestate: {Path(estate_dir).resolve()}\n")
        argv = [program, "-i", str(inventory), str(PLAYBOOK), "--limit", ",".join(hosts), "-u", user]
        argv += ["--private-key", key] if key else []
        argv += ["-e", json.dumps(extra_vars, ensure_ascii=False)] if extra_vars else []
        argv += ["--check"] if check else []
        argv += ["--diff"] if diff else []
        started = time.monotonic()
        lines = []
        with log.open("w", encoding="utf-8") as handle, subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, stdin=subprocess.DEVNULL) as proc:
            for line in proc.stdout:
                handle.write(line)
                lines.append(line)
                if on_line:
                    on_line(line.rstrip("\n"))
        seconds = time.monotonic() - started
    return ApplyResult(run_id, hosts, check, proc.returncode, log, seconds, parse_recap("".join(lines)))


def parse_vars(items: list[str] | None) -> dict[str, str]:
    """`["name=value", …]` → {name: value} (the value may hold spaces and `=`); BadInput if malformed."""
    result = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise BadInput(f"--var {item!r}: expected NAME=VALUE with NAME a variable name "
                           "(e.g. baseline_apt_source='deb [trusted=yes] file:/srv/repo ./')")
        result[name] = value
    return result
