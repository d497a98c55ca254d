"""`govops drill` without a lab: list, unknown drill, lab down, unknown tenant (one line, exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOVOPS = [sys.executable, "-m", "govops"]


def govops(*args: str, lab_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if lab_dir is not None:
        env["GOVOPS_LAB_DIR"] = str(lab_dir)
    return subprocess.run([*GOVOPS, *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=60)


def test_list_names_every_drill() -> None:
    proc = govops("drill", "list", "--output", "json")
    assert proc.returncode == 0
    assert {r["name"] for r in json.loads(proc.stdout)} == {
        "switchover", "site-loss", "regional-disaster", "link-cut", "failback"}
    text = govops("drill", "list").stdout
    assert "site-loss" in text and "regional-disaster" in text


def test_unknown_drill_is_one_line_exit_2() -> None:
    proc = govops("drill", "run", "no-such-drill")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown drill 'no-such-drill'" in lines[0]
    assert "site-loss" in lines[0]


def test_lab_not_up_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = govops("drill", "run", "site-loss", lab_dir=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "the DC lab is not up" in proc.stderr and "govops lab up" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_unknown_tenant_is_exit_2(tmp_path: Path) -> None:
    proc = govops("drill", "run", "site-loss", "--tenant", "nobody", lab_dir=tmp_path)
    assert proc.returncode == 2
    assert "unknown tenant 'nobody'" in proc.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="lists namespaces")
def test_link_cut_without_router_lab_is_exit_2(tmp_path: Path) -> None:
    from govops.drills.labinfo import netns_list

    if "town-tianhe-a" in netns_list():
        pytest.skip("the router lab is up")
    proc = govops("drill", "run", "link-cut", lab_dir=tmp_path)
    assert proc.returncode == 2 and "govops lab up" in proc.stderr


def test_recover_with_nothing_to_recover(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    proc = govops("drill", "recover", lab_dir=tmp_path)
    assert proc.returncode == 0 and "nothing to recover" in proc.stdout
