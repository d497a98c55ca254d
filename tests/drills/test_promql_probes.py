"""The drills' PromQL steady-state probes: every DR experiment reads Prometheus through the
recording rules and alerts of monitoring/rules (a renamed rule breaks this test, not a drill
in the lab), each query parses, and the probe waits for Prometheus to catch up."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from govops.drills import actions, probes
from govops.drills.workdir import WorkDir

ROOT = Path(__file__).resolve().parents[2]
DRILLS = sorted((ROOT / "dr-drills").glob("*.json"))
RULES = sorted((ROOT / "monitoring" / "rules").glob("*.yml"))

#: PromQL words that are not series names
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan"}


def promql_probes(path: Path) -> list[dict[str, Any]]:
    experiment = json.loads(path.read_text())
    return [p for p in experiment["steady-state-hypothesis"]["probes"]
            if p["provider"]["func"] == "promql_within"]


def all_queries() -> list[tuple[str, str, str]]:
    return [(path.stem, p["name"], p["provider"]["arguments"]["query"])
            for path in DRILLS for p in promql_probes(path)]


def rules() -> tuple[set[str], set[str]]:
    """(recording rule names, alert names) of monitoring/rules."""
    records, alerts = set(), set()
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                (records.add(rule["record"]) if "record" in rule else alerts.add(rule["alert"]))
    return records, alerts


def series_names(query: str) -> set[str]:
    """The series names a PromQL expression reads (functions, keywords, label names and
    values, durations and numbers left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)  # label values
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        if not m.group(2) and m.group(1).lower() not in KEYWORDS:
            names.add(m.group(1))
    return names


def test_series_names_leave_out_everything_but_series() -> None:
    query = ('count(ALERTS{alertstate="firing", alertname=~"A|B"} unless on (site) '
             'govops_dc_role{centre="dc-a"}) or vector(0) + sum by (x) '
             '(rate(node:frr_x:sum[5m] offset 1m)) > bool 1')
    assert series_names(query) == {"ALERTS", "govops_dc_role", "node:frr_x:sum"}


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_every_drill_reads_prometheus_after_its_direct_probes(path: Path) -> None:
    experiment = json.loads(path.read_text())
    config = experiment["configuration"]["prometheus_url"]
    assert config == {"type": "env", "key": "GOVOPS_PROMETHEUS_URL", "default": ""}
    hypothesis = experiment["steady-state-hypothesis"]["probes"]
    funcs = [p["provider"]["func"] for p in hypothesis]
    first = funcs.index("promql_within")
    assert first > 0 and set(funcs[first:]) == {"promql_within"}, \
        "PromQL probes come after the direct ones (those say first what is wrong)"
    for p in promql_probes(path):
        args = p["provider"]["arguments"]
        assert args["url"] == "${prometheus_url}" and args["phase"] == "${phase}", p["name"]
        assert args["wait_s"] > 0, f"{p['name']}: Prometheus trails the lab; give it time"
        assert set(args.get("phases", ["before", "after"])) <= {"before", "after"}
        assert p["tolerance"]["provider"]["func"] == "is_ok"
    checked = {ph: [p["name"] for p in promql_probes(path)
                    if ph in p["provider"]["arguments"].get("phases", [ph])]
               for ph in ("before", "after")}
    assert checked["before"] and checked["after"], checked


def test_every_probe_query_parses(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed: apt-get install -y --no-install-recommends "
                    "prometheus (scripts/install-deps.sh does it)")
    group = {"name": "drill-probes", "rules": [
        {"record": f"drill:probe_{i}:query", "expr": query}
        for i, (_drill, _name, query) in enumerate(all_queries())]}
    path = tmp_path / "probes.yml"
    path.write_text(yaml.safe_dump({"groups": [group]}))
    proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_name_a_probe_reads_is_a_rule_or_a_govops_metric(tmp_path: Path) -> None:
    from govops.monitoring.exporter import Exporter, ExporterOptions

    exporter = Exporter(ExporterOptions(
        estate=ROOT / "inventories" / "lab", dsn="host=127.0.0.1 port=1 user=postgres",
        drills=tmp_path / "reports", rollouts=tmp_path / "rollouts"))
    exporter.refresh_all()
    exported = {f.name for f in exporter.registry.collect() if f.name.startswith("govops_")}
    records, alerts = rules()
    used_records = set()
    for drill, name, query in all_queries():
        for series in series_names(query):
            assert series in records | exported | {"ALERTS"}, \
                f"{drill} / {name}: {series} is neither a rule in monitoring/rules nor exported"
            used_records |= {series} & records
        for pattern in re.findall(r'alertname=~?"([^"]+)"', query):
            for alternative in pattern.split("|"):
                assert alternative in alerts, f"{drill} / {name}: no alert {alternative}"
    # the hypotheses read the rules' aggregations, not only raw series
    assert {"site:govops_dc_probe_success:max", "pair:govops_replication_rpo_margin_seconds:diff",
            "family:govops_town_probe_success:avg"} <= used_records


# --- the probe -----------------------------------------------------------------------------


def _answers(monkeypatch: pytest.MonkeyPatch, *values: list[float]) -> list[str]:
    """Prometheus answering `values` in turn (the last one from then on); returns the URLs."""
    asked: list[str] = []

    def http(method: str, url: str, body: Any, timeout: float) -> tuple[int, Any]:
        asked.append(url)
        vals = values[min(len(asked), len(values)) - 1]
        return 200, {"status": "success",
                     "data": {"result": [{"value": [0, str(v)]} for v in vals]}}

    monkeypatch.setattr(probes, "_http", http)
    return asked


def test_promql_probe_waits_for_prometheus_to_catch_up(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _answers(monkeypatch, [], [0.0], [1.0])
    result = probes.promql_within("http://p:9090/", "up", 1, 1, wait_s=5, every_s=0.01)
    assert result["ok"] and result["values"] == [1.0] and len(asked) == 3
    assert asked[0].startswith("http://p:9090/api/v1/query?query=up")
    asked = _answers(monkeypatch, [3.0])
    result = probes.promql_within("http://p:9090", "x", None, 1, wait_s=0.05, every_s=0.01)
    assert not result["ok"] and "want -inf..1" in result["detail"] and "after" in result["detail"]
    assert len(asked) >= 2
    assert probes.promql_within("http://p:9090", "x", 2, None)["ok"]


def test_promql_probe_of_the_other_phase_is_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _answers(monkeypatch, [0.0])
    skipped = probes.promql_within("http://p:9090", "x", 1, 1, phase="before", phases=["after"])
    assert skipped["ok"] and skipped["skipped"] and asked == []
    assert not probes.promql_within("http://p:9090", "x", 1, 1, phase="after",
                                    phases=["after"])["ok"]
    nowhere = probes.promql_within("", "x", 1, 1, wait_s=60)
    assert not nowhere["ok"] and "GOVOPS_PROMETHEUS_URL" in nowhere["detail"]


def test_prometheus_url_from_the_environment_else_the_lab(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    from govops.drills import labinfo

    monkeypatch.setenv("GOVOPS_PROMETHEUS_URL", "http://prom.example:9090")
    assert labinfo.prometheus_url() == "http://prom.example:9090"
    monkeypatch.delenv("GOVOPS_PROMETHEUS_URL")
    monkeypatch.setattr(labinfo, "lab_dir", lambda: tmp_path)
    assert labinfo.prometheus_url() == ""  # no monitoring in this lab
    (tmp_path / "monitoring").mkdir()
    (tmp_path / "monitoring" / "processes.json").write_text(json.dumps(
        {"prometheus": {"pid": 1, "address": "127.0.0.1:9090"}}))
    assert labinfo.prometheus_url() == "http://127.0.0.1:9090"


# --- a lost site stays lost until failback -------------------------------------------------


def _drill_events(work: WorkDir, *extra: str) -> None:
    work.event("cut-intent", centre="dc-a")
    work.event("fault", t=100.0, kind="centre-loss", lost=["dc-a"])
    work.event("first-write", t=101.0, centre="dc-b")
    for name in extra:
        work.event(name)


@pytest.mark.parametrize(("extra", "kept"), [
    (("method-done",), True),
    ((), False),  # the runner died in the method
    (("signal", "method-done"), False),
    (("abort", "method-done"), False),
])
def test_site_loss_keeps_the_site_lost_only_after_a_complete_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...],
        kept: bool) -> None:
    from govops.lab import datacentres

    restored: list[str] = []

    class Step:
        detail = ""
        marks: dict[str, float] = {}

    monkeypatch.setattr(datacentres, "restore_centre_network",
                        lambda dc, name: restored.append(name) or Step())
    work = WorkDir(tmp_path / "w").create()
    _drill_events(work, *extra)
    result = actions.heal_network(str(work.path), str(tmp_path / "dc"), keep_lost=True)
    assert restored == ([] if kept else ["dc-a"])
    assert result.get("kept_lost", []) == (["dc-a"] if kept else [])
    restored.clear()
    actions.heal_network(str(work.path), str(tmp_path / "dc"))  # without keep_lost: always
    assert restored == ["dc-a"]
