"""Prometheus rules: promtool checks and tests them, every alert is complete and has a runbook."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "monitoring" / "rules").glob("*.yml"))
TESTS = sorted((ROOT / "monitoring" / "tests").glob("*.yml"))
RUNBOOKS = ROOT / "docs" / "runbooks"
SEVERITIES = {"critical", "warning", "info"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed: apt-get install -y --no-install-recommends "
                    "prometheus (scripts/install-deps.sh does it)")
    return path


def alerts() -> list[dict]:
    out = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            out += [{**r, "_file": path.name} for r in group["rules"] if "alert" in r]
    return out


def anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of a page's headings."""
    out = set()
    for line in markdown.splitlines():
        if m := re.match(r"^#{1,6}\s+(.*)$", line):
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            out.add(slug)
    return out


def test_promtool_check_rules() -> None:
    proc = subprocess.run([promtool(), "check", "rules", *map(str, RULES)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_promtool_test_rules() -> None:
    proc = subprocess.run([promtool(), "test", "rules", *(p.name for p in TESTS)],
                          cwd=ROOT / "monitoring" / "tests", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("SUCCESS") == len(TESTS)


def test_enough_alerts_each_complete() -> None:
    found = alerts()
    assert len(found) >= 8
    names = [a["alert"] for a in found]
    assert len(names) == len(set(names)), "alert names must be unique"
    for a in found:
        assert a.get("labels", {}).get("severity") in SEVERITIES, a["alert"]
        ann = a.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            assert ann.get(key), f"{a['alert']} ({a['_file']}) has no {key}"


def test_every_alert_has_a_runbook_file_and_anchor() -> None:
    for a in alerts():
        url = a["annotations"]["runbook_url"]
        assert url.startswith("docs/runbooks/"), url
        page, _, anchor = url.removeprefix("docs/runbooks/").partition("#")
        path = RUNBOOKS / page
        assert path.is_file(), f"{a['alert']}: {path} does not exist"
        assert anchor == a["alert"].lower(), f"{a['alert']}: anchor should be its name"
        assert anchor in anchors(path.read_text()), f"{a['alert']}: no heading #{anchor} in {page}"


def test_every_alert_is_covered_by_a_firing_promtool_test() -> None:
    fired = set()
    for path in TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                if case.get("exp_alerts"):
                    fired.add(case["alertname"])
    missing = sorted({a["alert"] for a in alerts()} - fired)
    assert not missing, f"alerts without a promtool test that makes them fire: {missing}"


def test_rules_only_use_metric_names_that_exist(tmp_path: Path) -> None:
    """Every govops_ series a rule reads is one the exporter produces (no typos)."""
    from govops.monitoring.exporter import Exporter, ExporterOptions

    exporter = Exporter(ExporterOptions(
        estate=ROOT / "inventories" / "lab", dsn="host=127.0.0.1 port=1 user=postgres",
        drills=tmp_path / "reports", rollouts=tmp_path / "rollouts"))
    exporter.refresh_all()
    known = {f.name for f in exporter.registry.collect()}
    text = "\n".join(p.read_text() for p in RULES)
    used = set(re.findall(r"(?<![:\w])(govops_[a-z0-9_]+)", text))
    assert used - known == set()


def test_alertmanager_example_is_valid_and_names_real_alerts() -> None:
    config = ROOT / "monitoring" / "alertmanager" / "alertmanager.yml"
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.fail("amtool is not installed: apt-get install -y --no-install-recommends "
                    "prometheus-alertmanager")
    proc = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = {a["alert"] for a in alerts()}
    for pattern in re.findall(r'alertname=~?"([^"]+)"', config.read_text()):
        for alternative in pattern.split("|"):
            assert any(re.fullmatch(alternative, n) for n in names), f"no alert {alternative}"
