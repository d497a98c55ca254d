"""The draft `stacks/__main__.py` runs under the mock runner like any Pulumi program."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from govops.cloud import mockplan
from govops.cloud.guardrails import GuardrailError
from tests.cloud import helpers as h

MAIN = Path(__file__).resolve().parents[2] / "stacks" / "__main__.py"


def run_main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *tenants) -> list[dict]:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "gd-gov.json").write_text(json.dumps(h.spec(*tenants).to_dict()))
    monkeypatch.chdir(tmp_path)
    return mockplan.run(lambda: runpy.run_path(str(MAIN)) and None, stack="gd-gov")


def test_main_plans_the_spec_of_its_stack(tmp_path, monkeypatch):
    records = run_main(tmp_path, monkeypatch, h.tenant("a", 1, dr_level=5))
    assert mockplan.count_by(records, "tenant")["gov-affairs-a"] > 60
    assert any(r["name"] == "gd-gov-ext-egov" for r in records)


def test_main_stops_on_guardrails(tmp_path, monkeypatch):
    with pytest.raises(GuardrailError, match="GR002 tenant gov-affairs-a"):
        run_main(tmp_path, monkeypatch, h.tenant("a", 1, dr_level=4, replicas=()))
