"""Dashboards as code: the committed JSON is what the code generates; every query parses."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from govops.monitoring.dashboards import panel_queries, render_all, write_dashboards

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "monitoring" / "dashboards"


def test_committed_dashboards_are_up_to_date(tmp_path: Path) -> None:
    write_dashboards(tmp_path)
    fresh = sorted(p.name for p in tmp_path.glob("*.json"))
    assert fresh == sorted(p.name for p in COMMITTED.glob("*.json"))
    for name in fresh:
        assert (tmp_path / name).read_text() == (COMMITTED / name).read_text(), (
            f"{name} differs from the code: run govops monitoring dashboards")


def test_four_dashboards_with_prometheus_panels() -> None:
    files = render_all()
    assert set(files) == {"govops-estate.json", "govops-dr.json", "govops-extranet.json",
                          "govops-tenancy.json"}
    for text in files.values():
        board = json.loads(text)
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in board["panels"]:
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])
            assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24


def test_every_panel_query_parses(tmp_path: Path) -> None:
    """promtool parses each expression (as a recording rule), offline."""
    if not shutil.which("promtool"):
        pytest.fail("promtool is not installed: apt-get install -y prometheus")
    rules = [{"record": f"panel:q{i}:x", "expr": expr}
             for i, (_uid, _title, expr) in enumerate(panel_queries())]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    proc = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
