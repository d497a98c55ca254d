"""Grafana dashboards as code: estate overview, DR, extranet, tenancy.

Each dashboard is built from a few small panel helpers and written as deterministic JSON to
`monitoring/dashboards/<uid>.json` (`govops monitoring dashboards`); a test regenerates them
and fails on any difference, and a lab test runs every panel's PromQL against the lab's
Prometheus. The datasource is a dashboard variable, so the files import into any Grafana.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRID_WIDTH = 24


@dataclass
class Panel:
    """One panel: a title, a type and its queries (PromQL), with Grafana options."""

    title: str
    kind: str  # stat | timeseries | table | bargauge
    exprs: list[tuple[str, str]]  # (expr, legend)
    width: int = 6
    height: int = 5
    unit: str = "short"
    instant: bool = False
    description: str = ""
    thresholds: list[tuple[float | None, str]] = field(default_factory=lambda: [(None, "green")])
    mappings: list[dict[str, Any]] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None


def stat(title: str, expr: str, unit: str = "short", **kw: Any) -> Panel:
    return Panel(title, "stat", [(expr, "")], instant=True, unit=unit, **kw)


def ratio(title: str, expr: str, good: float = 0.99, **kw: Any) -> Panel:
    """A 0-1 ratio shown as a percentage, red below `good`."""
    return Panel(title, "stat", [(expr, "")], instant=True, unit="percentunit",
                 thresholds=[(None, "red"), (good, "green")], minimum=0, maximum=1, **kw)


def series(title: str, *exprs: tuple[str, str], unit: str = "short", **kw: Any) -> Panel:
    return Panel(title, "timeseries", list(exprs), unit=unit, width=kw.pop("width", 12),
                 height=kw.pop("height", 8), **kw)


def table(title: str, *exprs: tuple[str, str], **kw: Any) -> Panel:
    return Panel(title, "table", list(exprs), instant=True, width=kw.pop("width", 12),
                 height=kw.pop("height", 8), **kw)


def bars(title: str, expr: str, legend: str, unit: str = "percentunit", **kw: Any) -> Panel:
    return Panel(title, "bargauge", [(expr, legend)], instant=True, unit=unit,
                 width=kw.pop("width", 12), height=kw.pop("height", 8),
                 thresholds=kw.pop("thresholds", [(None, "green"), (0.8, "orange"), (0.9, "red")]),
                 minimum=0, maximum=1 if unit == "percentunit" else None, **kw)


UP_DOWN = [{"type": "value", "options": {"0": {"text": "down", "color": "red"},
                                         "1": {"text": "up", "color": "green"}}}]


def dashboards() -> dict[str, dict[str, Any]]:
    """uid → (title, panels) of every dashboard, as data the renderer turns into JSON."""
    return {
        "govops-estate": {
            "title": "govops / Estate overview",
            "description": "The estate at a glance: size, KPIs, active alerts, monitoring health.",
            "panels": [
                stat("Data centres", "count(govops_site_info)"),
                stat("Clouds (1+N+M)", "count(govops_cloud_info)"),
                stat("Department systems", "govops_kpi_department_systems"),
                stat("Extranet nodes", "sum(govops_nodes)"),
                ratio("Intensification rate", "govops_kpi_intensification_ratio", good=0.9,
                      description="Share of department systems on the unified cloud and network."),
                ratio("IPv6 coverage: nodes", "govops_kpi_ipv6_node_coverage_ratio"),
                ratio("IPv6 coverage: links", "govops_kpi_ipv6_link_coverage_ratio"),
                ratio("Towns reachable over IPv6", "govops:kpi_ipv6_town_reachability:ratio",
                      description="Measured: ICMPv6 from the province core to every town."),
                stat("Firing alerts", 'count(ALERTS{alertstate="firing"}) or vector(0)',
                     thresholds=[(None, "green"), (1, "red")]),
                stat("Scrape targets up", "sum(up) / count(up)", unit="percentunit",
                     thresholds=[(None, "red"), (1, "green")]),
                table("Exporter sources", ("govops_source_up", "{{source}}"), width=12,
                      mappings=UP_DOWN),
                series("Nodes per level", ("govops_nodes", "{{level}}"), width=12),
            ],
        },
        "govops-dr": {
            "title": "govops / Disaster recovery",
            "description": "Two sites, three centres: roles, replication against RPO, drills.",
            "panels": [
                table("Current database role per centre", ("govops_dc_role == 1", "{{centre}}"),
                      width=12),
                table("Sites reachable", ("site:govops_dc_probe_success:max", "{{site}}"),
                      width=6, mappings=UP_DOWN),
                table("Databases up", ("pg_up", "{{centre}}"), width=6, mappings=UP_DOWN),
                series("Current RPO per DR pair",
                       ("govops_replication_rpo_seconds", "{{primary}} -> {{standby}}"),
                       ("govops_replication_rpo_objective_seconds",
                        "objective {{primary}} -> {{standby}}"), unit="s"),
                series("Replication lag", ("govops_replication_lag_bytes",
                                           "{{primary}} -> {{standby}}"), unit="bytes"),
                table("Latest drill per scenario",
                      ("govops_drill_last_verdict", "{{scenario}}"),
                      ("govops_drill_last_rto_seconds", "RTO {{scenario}}"),
                      ("govops_drill_rto_objective_seconds", "RTO objective {{scenario}}"),
                      ("govops_drill_last_rpo_seconds", "RPO {{scenario}}"),
                      ("govops_drill_rpo_objective_seconds", "RPO objective {{scenario}}"),
                      width=16),
                table("Days since the last drill",
                      ("(time() - govops_drill_last_finished_timestamp_seconds) / 86400",
                       "{{scenario}}"), width=8),
                table("DR objectives per level",
                      ("govops_dr_level_rto_objective_seconds", "RTO {{level}}"),
                      ("govops_dr_level_rpo_objective_seconds", "RPO {{level}}"), width=12),
                series("Streaming standbys", ("govops_replication_streaming",
                                              "{{primary}} -> {{standby}}"), width=12),
            ],
        },
        "govops-extranet": {
            "title": "govops / Extranet",
            "description": "Province - city - county - town: reachability over IPv6 and IPv4, "
                           "routing sessions, config drift.",
            "panels": [
                ratio("Towns reachable (IPv6)",
                      'family:govops_town_probe_success:avg{family="ipv6"}'),
                ratio("Towns reachable (IPv4)",
                      'family:govops_town_probe_success:avg{family="ipv4"}'),
                stat("BGP sessions established", "sum(frr_bgp_peer_state)"),
                stat("BFD sessions up", "sum(frr_bfd_peer_state)"),
                bars("Reachability per city", "city_family:govops_town_probe_success:avg",
                     "{{city}} {{family}}", thresholds=[(None, "red"), (0.99, "green")]),
                table("Towns (probe result)", ('probe_success{target_kind="town"}',
                                               "{{node}} {{family}}"), mappings=UP_DOWN),
                series("Round trip to the towns",
                       ('probe_icmp_duration_seconds{phase="rtt", target_kind="town"}',
                        "{{node}} {{family}}"), unit="s"),
                table("OSPF adjacencies against the design",
                      ("node:frr_ospf_neighbor_adjacencies:sum", "{{node}}"),
                      ("govops_node_ospf_neighbours_expected", "expected {{node}}")),
                table("Devices with config drift", ("govops_device_config_drift", "{{device}}"),
                      width=8),
                table("Recent rollouts", ("govops_rollout_devices", "{{rollout}} {{status}}"),
                      width=16),
            ],
        },
        "govops-tenancy": {
            "title": "govops / Tenancy",
            "description": "Clouds of the 1+N+M model: quotas promised against capacity, "
                           "tenants, IPAM pools.",
            "panels": [
                bars("Quota promised per cloud", "cloud:govops_quota_allocated:ratio",
                     "{{cloud}} {{resource}}", height=10),
                bars("IPAM pool use", "pool:govops_ipam_pool_usage:ratio", "{{pool}}",
                     height=10),
                table("Tenants per cloud", ("govops_cloud_tenants", "{{cloud}}"), width=8),
                table("Systems per DR level", ("count by (dr_level) (govops_tenant_info)",
                                               "DR {{dr_level}}"), width=8),
                table("Systems per MLPS level", ("count by (mlps) (govops_tenant_info)",
                                                 "MLPS {{mlps}}"), width=8),
                table("Largest vCPU quotas", ("topk(10, govops_tenant_quota_vcpus)",
                                              "{{tenant}}"), width=12),
                table("Cloud capacity (vCPUs)", ("govops_cloud_capacity_vcpus", "{{cloud}}"),
                      width=12),
            ],
        },
    }


def _panel_json(panel: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    targets = []
    for i, (expr, legend) in enumerate(panel.exprs):
        target: dict[str, Any] = {"refId": chr(ord("A") + i), "datasource": DATASOURCE,
                                  "expr": expr, "legendFormat": legend}
        if panel.instant:
            target["instant"] = True
            target["range"] = False
        if panel.kind == "table":
            target["format"] = "table"
        targets.append(target)
    defaults: dict[str, Any] = {
        "unit": panel.unit,
        "thresholds": {"mode": "absolute",
                       "steps": [{"value": v, "color": c} for v, c in panel.thresholds]},
    }
    if panel.mappings:
        defaults["mappings"] = panel.mappings
    if panel.minimum is not None:
        defaults["min"] = panel.minimum
    if panel.maximum is not None:
        defaults["max"] = panel.maximum
    out: dict[str, Any] = {
        "id": pid,
        "type": panel.kind,
        "title": panel.title,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height},
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
    }
    if panel.description:
        out["description"] = panel.description
    if panel.kind == "stat":
        out["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                                            "values": False},
                          "colorMode": "background", "graphMode": "none"}
    elif panel.kind == "bargauge":
        out["options"] = {"displayMode": "gradient", "orientation": "horizontal",
                          "reduceOptions": {"calcs": ["lastNotNull"], "values": False}}
    elif panel.kind == "table" and len(panel.exprs) > 1:
        out["transformations"] = [{"id": "merge", "options": {}}]
    return out


def dashboard_json(uid: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One dashboard as Grafana JSON (panels laid out left to right, top to bottom)."""
    panels = []
    x = y = row_height = 0
    for pid, panel in enumerate(spec["panels"], start=1):
        if x + panel.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        panels.append(_panel_json(panel, pid, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return {
        "uid": uid,
        "title": spec["title"],
        "description": spec["description"],
        "tags": ["govops"],
        "timezone": "browser",
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{
            "name": "datasource", "label": "Prometheus", "type": "datasource",
            "query": "prometheus", "current": {}, "hide": 0,
        }]},
        "annotations": {"list": []},
        "links": [{"title": "Runbooks", "type": "link", "url": "/docs/runbooks/README.md"}],
        "panels": panels,
    }


def render_all() -> dict[str, str]:
    """file name → JSON text (sorted keys, two-space indent, trailing newline)."""
    return {f"{uid}.json": json.dumps(dashboard_json(uid, spec), indent=2, sort_keys=True,
                                      ensure_ascii=False) + "\n"
            for uid, spec in dashboards().items()}


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard uid, panel title, expr) for every query of every panel."""
    return [(uid, panel.title, expr)
            for uid, spec in dashboards().items()
            for panel in spec["panels"]
            for expr, _legend in panel.exprs]


def write_dashboards(out_dir: Path, check: bool = False) -> list[str]:
    """Write the dashboards; returns the names that changed (with `check`: that would)."""
    out_dir = Path(out_dir)
    changed = []
    for name, text in render_all().items():
        path = out_dir / name
        if not path.exists() or path.read_text() != text:
            changed.append(name)
            if not check:
                out_dir.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    return changed
