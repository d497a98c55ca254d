"""Issue 15: every broken estate of the corpus, through every command that reads an estate,
gives exit 2, located lines (FILE:LINE), no traceback, and changes no file (no lock, no audit
record, no output folder).

The commands run in-process through the click command that typer builds once (building it
costs more than most of the commands do here), so the whole corpus stays fast; `main()`'s one
job, turning a GovopsError into its lines and exit code, is exercised by the subprocess test
at the end.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from govops.cli import app
from govops.errors import GovopsError
from tests.conftest import ROOT
from tests.estate.broken_estates import CASES

LOCATED = re.compile(r"\.ya?ml:\d+: \S")


def commands(estate: Path, scratch: Path) -> dict[str, list[str]]:
    """Every command that reads an estate, run so that it needs no lab and no network."""
    e = str(estate)
    return {
        "estate validate": ["estate", "validate", e],
        "estate show": ["estate", "show", e, "--output", "json"],
        "estate lock": ["estate", "lock", e],
        "net render": ["net", "render", "--estate", e, "--out", str(scratch / "configs")],
        "net diff": ["net", "diff", "--estate", e, "--running", str(scratch / "running")],
        "cloud stacks": ["cloud", "stacks", "--estate", e, "--out", str(scratch / "stacks")],
        "cloud plan": ["cloud", "plan", "--estate", e, "--save"],
        "tenant add": ["tenant", "add", "--estate", e, "--department", "bars", "--system",
                       "portal", "--cloud", "gd-gov", "--mlps", "3", "--dr-level", "4"],
        "monitoring config": ["monitoring", "config", "--estate", e, "--out",
                              str(scratch / "monitoring")],
        "net push --check": ["net", "push", "--estate", e, "--check"],
        "hosts check": ["hosts", "check", "--estate", e, "--timeout", "1"],
    }


def snapshot(folder: Path) -> dict[str, str]:
    """Every path below `folder` with a digest of what it holds (or its mode when unreadable)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = "-> " + str(path.readlink())
        elif path.is_dir():
            found[key] = "dir"
        else:
            try:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                found[key] = f"mode {path.stat().st_mode:o}"
    return found


@pytest.fixture(scope="module")
def govops() -> typer.core.TyperGroup:
    """The `govops` click command, built once."""
    return typer.main.get_command(app)


def invoke(command: typer.core.TyperGroup, args: list[str]) -> BaseException | None:
    """Run `govops ARGS` in-process; the exception it ended with (None: it succeeded)."""
    try:
        command.main(args, prog_name="govops", standalone_mode=False)
    except BaseException as exc:  # noqa: BLE001 - a traceback here is what the test looks for
        return exc
    return None


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_estate_is_refused_by_every_command(case: str, tmp_path: Path, govops,
                                                   private_audit_log: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVOPS_MAX_FILE_MB", "1")  # the huge-file case: 3 MB over a 1 MB limit
    monkeypatch.delenv("GOVOPS_SSH_KEY", raising=False)
    shutil.copytree(ROOT / "inventories" / "policy", tmp_path / "policy")
    estate = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", estate, ignore=shutil.ignore_patterns("ansible.yml"))
    CASES[case](estate)
    scratch = tmp_path / "scratch"
    (scratch / "running").mkdir(parents=True)
    before = snapshot(tmp_path)
    audit_before = private_audit_log.read_bytes() if private_audit_log.exists() else b""
    failures = []
    for name, args in commands(estate, scratch).items():
        exc = invoke(govops, args)
        if not isinstance(exc, GovopsError):
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        lines = str(exc).splitlines()
        if exc.exit_code != 2 or not lines or not all(LOCATED.search(line) for line in lines):
            failures.append(f"{name}: exit {exc.exit_code}, not every line located: {lines}")
        after = snapshot(tmp_path)
        if after != before:
            changed = sorted(set(after.items()) ^ set(before.items()))
            failures.append(f"{name}: changed files {changed}")
            before = after
    audit_after = private_audit_log.read_bytes() if private_audit_log.exists() else b""
    if audit_after != audit_before:
        failures.append("an audit record was written")
    (estate / "sites.yaml").chmod(0o644) if (estate / "sites.yaml").exists() else None
    assert not failures, "\n".join(failures)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", ["gbk-comment", "symlink-loop", "malformed-v6-aggregate"])
def test_as_a_process_one_line_per_problem_and_no_traceback(case: str, lab_copy: Path) -> None:
    CASES[case](lab_copy)
    result = subprocess.run([sys.executable, "-m", "govops", "estate", "lock", str(lab_copy)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert all(line.startswith("error: ") and LOCATED.search(line)
               for line in result.stderr.strip().splitlines()), result.stderr
