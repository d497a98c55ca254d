"""Diff and remediation: recorded running configs per platform, normalisers, CLI.

Recorded cases live in `tests/network/<platform>/recorded/<case>/`: `running.cfg` (what the
device prints), `intended.cfg` (what govops rendered), `expected_changes.txt` (the remediation
govops must compute) and `about.txt` (what the case catches; cases are named after it). FRR
cases are captured from a real FRR 8.4 by `python -m tests.network.record_frr`; VRP and
Comware cases are written in the format those systems print. GOVOPS_UPDATE_GOLDEN=1 rewrites
the expected changes (review the diff before committing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govops.errors import BadInput
from govops.network.diff import (
    DeviceDiff,
    DirectorySource,
    RunningSource,
    diff_device,
    diff_estate,
    normalise,
    remediation,
    select,
)
from govops.network.render import render_all
from tests.conftest import ROOT

HERE = Path(__file__).resolve().parent
CASES = sorted(HERE.glob("*/recorded/*/"))
UPDATE = os.environ.get("GOVOPS_UPDATE_GOLDEN") == "1"


def case_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


def test_recorded_cases_exist_for_every_vendor() -> None:
    platforms = {p.parent.parent.name for p in CASES}
    assert {"frr", "huawei_vrp", "h3c_comware"} <= platforms
    assert len(CASES) >= 12


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_recorded_remediation(case: Path) -> None:
    platform = case.parent.parent.name
    running = (case / "running.cfg").read_text()
    intended = (case / "intended.cfg").read_text()
    result = diff_device(platform, running, intended, device=case.name)
    expected_path = case / "expected_changes.txt"
    if UPDATE:
        expected_path.write_text("".join(f"{ln}\n" for ln in result.changes))
    expected = expected_path.read_text().splitlines()
    assert result.changes == expected, (case / "about.txt").read_text()
    # in sync ⇔ no unified diff either
    assert (result.unified_diff == "") == (not expected)
    # applying the remediation to the running config's tree reaches the intended one
    if expected:
        assert result.unified_diff.startswith(f"--- {case.name} (running)\n")


def test_vrp_indented_globals_stay_at_root() -> None:
    running = ("#\n sysname r1\n#\ninterface LoopBack0\n ip address 198.18.0.1 "
               "255.255.255.255\n#\n ntp-service unicast-server 198.18.16.1\n#\nreturn\n")
    text = normalise("huawei_vrp", running)
    assert text.splitlines() == ["sysname r1", "interface LoopBack0",
                                 " ip address 198.18.0.1 255.255.255.255",
                                 "ntp-service unicast-server 198.18.16.1"]


def test_vrp_ipv6_case_and_secrets_do_not_differ() -> None:
    running = ("#\ninterface LoopBack0\n ipv6 address 2001:DB8::1A/128\n#\naaa\n"
               " local-user netops password irreversible-cipher $1a$xyz$\n#\nreturn\n")
    intended = "#\ninterface LoopBack0\n ipv6 address 2001:db8::1a/128\n#\naaa\n#\nreturn\n"
    assert diff_device("huawei_vrp", running, intended).changes == []


def test_comware_leaves_views_with_quit() -> None:
    changes = remediation("h3c_comware", "#\n sysname r1\n#\nreturn\n",
                          "#\nsysname r1\n#\nospf 1 router-id 198.18.0.1\n area 0.0.0.1\n#\n")
    assert changes == ["ospf 1 router-id 198.18.0.1", " area 0.0.0.1", " quit", "quit"]


def test_frr_banner_and_separators_are_not_config() -> None:
    running = ("Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\n"
               "frr defaults traditional\nhostname r1\n!\nend\n")
    assert normalise("frr", running) == "frr defaults traditional\nhostname r1\n"


def test_device_diff_json_shape() -> None:
    d = DeviceDiff("r1", "", [], "frr")
    assert d.to_dict() == {"device": "r1", "changes": [], "unmanaged": 0} and d.in_sync
    failed = DeviceDiff("r1", "", [], "huawei_vrp", error="r1: r1.cfg:3: why")
    assert failed.to_dict()["error"] == "r1: r1.cfg:3: why" and not failed.in_sync


def test_select_limit_patterns(lab_estate) -> None:
    assert select(lab_estate, "town-tianhe-*,prov-core-1") == [
        "prov-core-1", "town-tianhe-a", "town-tianhe-b"]
    assert "isp-telecom" not in select(lab_estate, None)  # carriers are not ours
    with pytest.raises(BadInput, match='no device matches "town-tainhe-a".*did you mean'):
        select(lab_estate, "town-tainhe-a")


def test_directory_source_is_a_running_source(tmp_path: Path) -> None:
    (tmp_path / "r1.cfg").write_text("hostname r1\n")
    source = DirectorySource(tmp_path)
    assert isinstance(source, RunningSource)
    assert source.get("r1") == "hostname r1\n"
    with pytest.raises(BadInput, match="no saved running config for r2"):
        source.get("r2")
    with pytest.raises(BadInput, match="no such folder"):
        DirectorySource(tmp_path / "missing")


def test_diff_estate_with_a_custom_source(lab_estate) -> None:
    intended = render_all(lab_estate, ["town-tianhe-a", "town-tianhe-b"])

    class Live:  # what the push engine plugs in: anything with get(name)
        def get(self, name: str) -> str:
            return intended[name].replace("ip ospf cost 1000", "ip ospf cost 10")

    diffs = diff_estate(lab_estate, Live(), ["town-tianhe-a", "town-tianhe-b"])
    assert [d.device for d in diffs] == ["town-tianhe-a", "town-tianhe-b"]
    assert diffs[0].changes[:2] == ["interface eth1", " ip ospf cost 1000"]


def govops(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govops", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_diff_json_empty_when_equal_and_lists_changes(tmp_path: Path, lab_estate) -> None:
    configs = render_all(lab_estate, ["town-tianhe-a", "town-tianhe-b"])
    (tmp_path / "town-tianhe-a.cfg").write_text(configs["town-tianhe-a"])
    (tmp_path / "town-tianhe-b.cfg").write_text(
        configs["town-tianhe-b"].replace("ip ospf cost 1000", "ip ospf cost 100", 1))
    proc = govops("net", "diff", "--limit", "town-tianhe-*", "--running", str(tmp_path),
                  "--output", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data[0] == {"device": "town-tianhe-a", "changes": [], "unmanaged": 0}
    assert data[1]["device"] == "town-tianhe-b"
    assert data[1]["changes"] == ["interface eth1", " ip ospf cost 1000", "exit"]
    text = govops("net", "diff", "--limit", "town-tianhe-*", "--running", str(tmp_path))
    assert "+ ip ospf cost 1000" in text.stdout and "1 differ" in text.stdout
    failing = govops("net", "diff", "--limit", "town-tianhe-*", "--running", str(tmp_path),
                     "--exit-code")
    assert failing.returncode == 1


def test_cli_diff_bad_input_is_one_line(tmp_path: Path) -> None:
    proc = govops("net", "diff", "--limit", "town-nowhere", "--running", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "town-nowhere" in proc.stderr
    proc = govops("net", "diff", "--limit", "town-tianhe-a", "--running", str(tmp_path))
    assert proc.returncode == 2 and "no saved running config for town-tianhe-a" in proc.stderr
