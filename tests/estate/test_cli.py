"""The estate commands as a user runs them: exit codes, one line per problem, JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

GOVOPS = [sys.executable, "-m", "govops"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*GOVOPS, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("govops ")


def test_validate_lab_prints_summary() -> None:
    result = run("estate", "validate")
    assert result.returncode == 0, result.stderr
    assert "town 8" in result.stdout and "estate is valid" in result.stdout


def test_bad_estate_exits_2_with_file_and_line(lab_copy: Path) -> None:
    f = lab_copy / "clouds.yaml"
    with f.open("a") as handle:
        handle.write("\nbogus_field_xyz: 1\n")
    line = len(f.read_text().splitlines())
    result = run("estate", "validate", str(lab_copy))
    assert result.returncode == 2
    assert f"clouds.yaml:{line}: unknown field \"bogus_field_xyz\"" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_directory_is_one_line() -> None:
    result = run("estate", "validate", "/nonexistent/estate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "no such directory" in result.stderr


def test_show_json_has_nodes_with_loopbacks_and_clouds() -> None:
    result = run("estate", "show", "inventories/lab", "--output", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    towns = [n for n in data["nodes"] if n["level"] == "town"]
    assert len(towns) == 8
    for node in data["nodes"]:
        assert {"name", "level", "platform", "loopback_ipv6", "loopback_ipv4"} <= set(node)
        assert node["loopback_ipv6"].startswith("2001:db8:")
        assert node["loopback_ipv4"].startswith("198.1")
    assert {c["kind"] for c in data["clouds"]} == {"provincial", "industry", "regional"}


def test_lock_then_relock_is_a_no_op(lab_copy: Path) -> None:
    (lab_copy / "ipam.lock.yaml").unlink()
    first = run("estate", "lock", str(lab_copy), "--output", "json")
    assert first.returncode == 0 and json.loads(first.stdout)["changed"] is True
    text = (lab_copy / "ipam.lock.yaml").read_text()
    second = run("estate", "lock", str(lab_copy), "--output", "json")
    assert json.loads(second.stdout)["changed"] is False
    assert (lab_copy / "ipam.lock.yaml").read_text() == text
