"""A node's device model (`model: CE6881`): optional, checked against its platform's table,
an unknown one a located problem with the fix (issue 13)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from govops.estate.devices import device_model, model_table
from govops.estate.loader import load_estate
from govops.estate.views import node_view
from tests.conftest import ROOT
from tests.estate.helpers import assert_problem, problems, replace

EGRESS = "{name: egress-1, level: egress, platform: frr, "


def test_a_node_without_model_gets_its_platforms_default(lab_copy: Path) -> None:
    replace(lab_copy / "network.yaml", EGRESS, "{name: egress-1, level: egress, "
            "platform: huawei_vrp, ")
    view = node_view(load_estate(lab_copy), "egress-1")
    assert view.model == model_table("huawei_vrp").default
    assert view.mgmt_interface == device_model("huawei_vrp").mgmt


def test_a_named_model_names_the_ports(lab_copy: Path) -> None:
    replace(lab_copy / "network.yaml", EGRESS, "{name: egress-1, level: egress, "
            "platform: huawei_vrp, model: CE6863, ")
    view = node_view(load_estate(lab_copy), "egress-1")
    assert view.model == "CE6863" and view.mgmt_interface == "MEth0/0/0"
    assert [i.name for i in view.interfaces][:2] == ["25GE1/0/1", "25GE1/0/2"]


def test_unknown_model_is_located_with_did_you_mean(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, EGRESS, "{name: egress-1, level: egress, platform: huawei_vrp, "
                   "model: CE6880, ")
    p = assert_problem(problems(lab_copy), f, line, 'unknown huawei_vrp model "CE6880"')
    assert 'did you mean "CE6881"' in p.message and "use one of AR6300, CE6863" in p.message


def test_a_model_of_another_platform_is_refused(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, EGRESS, "{name: egress-1, level: egress, platform: h3c_comware, "
                   "model: CE6881, ")
    assert_problem(problems(lab_copy), f, line, 'unknown h3c_comware model "CE6881"')


def test_cli_exits_2_with_one_line(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, EGRESS, "{name: egress-1, level: egress, platform: huawei_vrp, "
                   "model: ne40e, ")
    result = subprocess.run([sys.executable, "-m", "govops", "estate", "validate", str(lab_copy)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert f'network.yaml:{line}: egress "egress-1": unknown huawei_vrp model "ne40e" ' \
           '(did you mean "NE40E"?)' in result.stderr
    assert "Traceback" not in result.stderr
