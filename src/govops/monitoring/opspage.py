"""`govops ops serve`: the ops centre's one page, rendered from the Prometheus HTTP API.

Sections (each an element with a stable id, rows with `data-*` attributes for tests):
`#dc` data-centre roles and DR status, `#replication` DR pairs against their RPO objective,
`#drills` the latest drill per scenario against its objectives, `#extranet` reachability per
city, county and town over IPv6 and IPv4, `#alerts` active alerts with their runbooks, `#kpis`
the province's KPIs. The page is rendered on the server (no script needed; it reloads itself
every 15 s); `/api/summary` gives the same data as JSON; `/docs/runbooks/<page>.md` serves the
runbooks the alerts link to. When Prometheus cannot be reached the page says so in one line.
"""

from __future__ import annotations

import html
import json
import logging
import re
import socket
import time
import urllib.parse
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from govops.monitoring.prometheus import Prometheus, PrometheusError

log = logging.getLogger("govops.ops")

#: Show every town when there are at most this many; else only the unreachable ones.
TOWN_LIST_LIMIT = 60


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[str, ...], float]:
    return {tuple(r["metric"].get(k, "") for k in keys): r["value"] for r in rows}


def _one(rows: list[dict[str, Any]]) -> float | None:
    return rows[0]["value"] if rows else None


def summary(prom: Prometheus) -> dict[str, Any]:
    """Everything the page shows, as plain data (raises PrometheusError)."""
    q = prom.query
    # data centres: designed sites from the estate, current roles from the databases
    site_info = q("govops_site_info")
    sites = {r["metric"]["site"]: r["metric"].get("role", "") for r in site_info}
    site_names = {r["metric"]["site"]: r["metric"].get("display_name", "") for r in site_info}
    roles = [r["metric"] for r in q("govops_dc_role == 1")]
    pg = _by(q("pg_up"), "centre")
    dc_up = _by(q("govops_dc_up"), "centre")
    reach = _by(q("site:govops_dc_probe_success:max"), "site")
    centres = []
    for m in sorted(roles, key=lambda m: m.get("centre", "")):
        name = m.get("centre", "")
        db = pg.get((name,), dc_up.get((name,)))
        centres.append({"centre": name, "site": m.get("site", ""),
                        "designed_role": m.get("designed_role", ""), "role": m.get("role", ""),
                        "database_up": None if db is None else bool(db),
                        "reachable": None if (m.get("site", ""),) not in reach
                        else bool(reach[(m.get("site", ""),)])})
    for site, role in sorted(sites.items()):
        if not any(c["site"] == site for c in centres):
            centres.append({"centre": "", "site": site, "designed_role": role, "role": "",
                            "database_up": None,
                            "reachable": None if (site,) not in reach else bool(reach[(site,)])})
    primaries = _one(q("govops_dc_primaries"))
    # replication pairs
    pair = ("primary", "standby", "kind")
    rpo = _by(q("govops_replication_rpo_seconds"), *pair)
    objective = _by(q("govops_replication_rpo_objective_seconds"), *pair)
    streaming = _by(q("govops_replication_streaming"), *pair)
    sync = _by(q("govops_replication_synchronous"), *pair)
    lag = _by(q("govops_replication_lag_bytes"), *pair)
    pairs = []
    for key in sorted(rpo):
        obj = objective.get(key)
        pairs.append({"primary": key[0], "standby": key[1], "kind": key[2],
                      "streaming": bool(streaming.get(key)), "synchronous": bool(sync.get(key)),
                      "rpo_s": rpo[key], "objective_rpo_s": obj, "lag_bytes": lag.get(key),
                      "within_objective": None if obj is None else rpo[key] <= obj + 1})
    # drills
    verdicts = {r["metric"]["scenario"]: r["metric"].get("verdict", "")
                for r in q("govops_drill_last_verdict")}
    fields = {
        "rto_s": "govops_drill_last_rto_seconds",
        "objective_rto_s": "govops_drill_rto_objective_seconds",
        "rpo_s": "govops_drill_last_rpo_seconds",
        "objective_rpo_s": "govops_drill_rpo_objective_seconds",
        "lost_writes": "govops_drill_last_lost_writes",
        "finished_at": "govops_drill_last_finished_timestamp_seconds",
        "interval_s": "govops_drill_interval_seconds",
        "passed": "govops_drill_last_success",
    }
    values = {k: _by(q(expr), "scenario") for k, expr in fields.items()}
    scenarios = sorted(set(verdicts) | {k[0] for k in values["interval_s"]})
    now = time.time()
    drills = []
    for s in scenarios:
        row: dict[str, Any] = {"scenario": s, "verdict": verdicts.get(s, "never run")}
        for k in fields:
            row[k] = values[k].get((s,))
        row["passed"] = None if row["passed"] is None else bool(row["passed"])
        row["overdue"] = bool(row["interval_s"]) and (
            row["finished_at"] is None or now - row["finished_at"] > row["interval_s"])
        drills.append(row)
    # extranet
    probes = q('probe_success{target_kind="town"}')
    towns: dict[str, dict[str, Any]] = {}
    for r in probes:
        m = r["metric"]
        t = towns.setdefault(m.get("node", ""), {"town": m.get("node", ""),
                                                 "city": m.get("city", ""),
                                                 "county": m.get("county", "")})
        t[m.get("family", "")] = bool(r["value"])
    def roll(keys: tuple[str, ...]) -> list[dict[str, Any]]:
        acc: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"towns": 0, "ipv6": 0, "ipv4": 0})
        for t in towns.values():
            a = acc[tuple(t[k] for k in keys)]
            a["towns"] += 1
            a["ipv6"] += 1 if t.get("ipv6") else 0
            a["ipv4"] += 1 if t.get("ipv4") else 0
        return [{**dict(zip(keys, k, strict=True)), **v} for k, v in sorted(acc.items())]
    town_rows = sorted(towns.values(), key=lambda t: (t["city"], t["county"], t["town"]))
    # alerts
    alerts = []
    for a in prom.alerts():
        labels, ann = a.get("labels", {}), a.get("annotations", {})
        alerts.append({"name": labels.get("alertname", ""), "state": a.get("state", ""),
                       "severity": labels.get("severity", ""),
                       "summary": ann.get("summary", ""), "runbook_url": ann.get("runbook_url", ""),
                       "active_at": a.get("activeAt", "")})
    order = {"critical": 0, "warning": 1, "info": 2}
    alerts.sort(key=lambda a: (a["state"] != "firing", order.get(a["severity"], 3), a["name"]))
    # KPIs and health
    kpis = {
        "intensification_ratio": _one(q("govops_kpi_intensification_ratio")),
        "department_systems": _one(q("govops_kpi_department_systems")),
        "department_systems_unified": _one(q("govops_kpi_department_systems_unified")),
        "ipv6_node_coverage_ratio": _one(q("govops_kpi_ipv6_node_coverage_ratio")),
        "ipv6_link_coverage_ratio": _one(q("govops_kpi_ipv6_link_coverage_ratio")),
        "ipv6_town_reachability_ratio": _one(q("govops:kpi_ipv6_town_reachability:ratio")),
    }
    exceptions = sorted(({k: r["metric"].get(k, "") for k in
                          ("rule", "kind", "name", "display_name", "reason")}
                         for r in q("govops_estate_exception_info")),
                        key=lambda e: (e["rule"], e["name"]))
    targets = q("up")
    sources = _by(q("govops_source_up"), "source")
    for c in centres:
        c["site_display_name"] = site_names.get(c["site"], "")
    return {
        "prometheus": prom.url,
        "generated_at": now,
        "data_centres": centres,
        "primaries": primaries,
        "replication": pairs,
        "drills": drills,
        "extranet": {"cities": roll(("city",)), "counties": roll(("city", "county")),
                     "towns": town_rows},
        "alerts": alerts,
        "exceptions": exceptions,
        "kpis": kpis,
        "health": {"targets": len(targets), "targets_up": sum(1 for t in targets if t["value"]),
                   "sources": {k[0]: bool(v) for k, v in sources.items()}},
    }


# --- HTML ----------------------------------------------------------------------------------

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f172a;color:#e2e8f0}
header{padding:10px 18px;background:#1e293b;display:flex;gap:24px;align-items:baseline}
header h1{font-size:18px;margin:0} header span{color:#94a3b8}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:14px;padding:14px}
section{background:#1e293b;border-radius:8px;padding:10px 14px}
section h2{font-size:15px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:3px 8px;
border-bottom:1px solid #334155} th{color:#94a3b8;font-weight:500}
.ok{color:#4ade80}.bad{color:#f87171;font-weight:600}.warn{color:#fbbf24}.muted{color:#64748b}
.kpi{display:inline-block;margin:4px 18px 8px 0}.kpi b{display:block;font-size:26px}
.banner{background:#7f1d1d;color:#fff;padding:10px 18px}
a{color:#93c5fd}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _named(name: str, display_name: str | None) -> str:
    return f"{name} ({display_name})" if display_name else name


def _flag(value: bool | None, good: str = "up", bad: str = "down") -> str:
    if value is None:
        return '<span class="muted">n/a</span>'
    return f'<span class="ok">{good}</span>' if value else f'<span class="bad">{bad}</span>'


def _secs(value: float | None) -> str:
    if value is None:
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:.3g} s"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def runbook_href(url: str) -> str:
    """Runbook links of the rules are repository paths; this page serves them."""
    if not url or re.match(r"^[a-z]+://", url):
        return url
    return "/" + url.lstrip("/")


def render(data: dict[str, Any]) -> str:
    """The page for `summary()` data."""
    parts: list[str] = []
    add = parts.append
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(data["generated_at"]))
    health = data["health"]
    add(f'<header><h1>govops ops centre</h1><span id="updated">updated {stamp}</span>'
        f'<span id="targets">scrape targets up: {health["targets_up"]}/{health["targets"]}</span>'
        f'<span>Prometheus: <a href="{_e(data["prometheus"])}">{_e(data["prometheus"])}</a></span>'
        "</header><main>")
    # data centres
    add('<section id="dc"><h2>Data centres and DR roles</h2><table><tr><th>site</th>'
        "<th>designed role</th><th>centre</th><th>current role</th><th>database</th>"
        "<th>reachable</th></tr>")
    for c in data["data_centres"]:
        role_cls = "ok" if c["role"] == "primary" and c["designed_role"] == "primary" else (
            "bad" if c["role"] == "down" else "warn" if c["role"] == "primary" else "")
        add(f'<tr data-site="{_e(c["site"])}" data-centre="{_e(c["centre"])}" '
            f'data-role="{_e(c["role"])}"><td>{_e(_named(c["site"], c.get("site_display_name")))}'
            f'</td><td>{_e(c["designed_role"])}'
            f'</td><td>{_e(c["centre"])}</td><td class="{role_cls}">{_e(c["role"] or "n/a")}</td>'
            f'<td>{_flag(c["database_up"])}</td><td>{_flag(c["reachable"])}</td></tr>')
    add("</table>")
    primaries = data.get("primaries")
    if primaries is not None and primaries != 1:
        what = "no primary database" if primaries == 0 else f"{primaries:.0f} primaries"
        add(f'<p class="bad" id="dr-state">{what}</p>')
    add("</section>")
    # replication
    add('<section id="replication"><h2>Replication against RPO objectives</h2><table><tr>'
        "<th>pair</th><th>kind</th><th>streaming</th><th>mode</th><th>RPO now</th>"
        "<th>objective</th><th>lag</th></tr>")
    if not data["replication"]:
        add('<tr><td colspan="7" class="muted">no replication data (DC databases not '
            "monitored)</td></tr>")
    for p in data["replication"]:
        within = p["within_objective"]
        cls = "muted" if within is None else "ok" if within else "bad"
        add(f'<tr data-pair="{_e(p["primary"])}-{_e(p["standby"])}" '
            f'data-within="{_e(within)}"><td>{_e(p["primary"])} → {_e(p["standby"])}</td>'
            f'<td>{_e(p["kind"])}</td><td>{_flag(p["streaming"], "yes", "no")}</td>'
            f'<td>{"sync" if p["synchronous"] else "async"}</td>'
            f'<td class="{cls}">{_secs(p["rpo_s"])}</td><td>{_secs(p["objective_rpo_s"])}</td>'
            f'<td>{_int(p["lag_bytes"])} B</td></tr>')
    add("</table></section>")
    # drills
    add('<section id="drills"><h2>Latest DR drills</h2><table><tr><th>scenario</th>'
        "<th>verdict</th><th>RTO</th><th>RTO objective</th><th>RPO</th><th>RPO objective</th>"
        "<th>lost writes</th><th>finished</th></tr>")
    if not data["drills"]:
        add('<tr><td colspan="8" class="muted">no drill has run yet</td></tr>')
    for d in data["drills"]:
        vcls = "muted" if d["passed"] is None else "ok" if d["passed"] else "bad"
        rto_bad = (d["rto_s"] is not None and d["objective_rto_s"] is not None
                   and d["rto_s"] > d["objective_rto_s"])
        rpo_bad = (d["rpo_s"] is not None and d["objective_rpo_s"] is not None
                   and d["rpo_s"] > d["objective_rpo_s"])
        finished = ("never" if d["finished_at"] is None else
                    time.strftime("%Y-%m-%d %H:%M", time.localtime(d["finished_at"])))
        overdue = ' <span class="bad">overdue</span>' if d["overdue"] else ""
        add(f'<tr data-scenario="{_e(d["scenario"])}" data-verdict="{_e(d["verdict"])}">'
            f'<td>{_e(d["scenario"])}</td><td class="{vcls}">{_e(d["verdict"])}</td>'
            f'<td class="{"bad" if rto_bad else ""}">{_secs(d["rto_s"])}</td>'
            f'<td>{_secs(d["objective_rto_s"])}</td>'
            f'<td class="{"bad" if rpo_bad else ""}">{_secs(d["rpo_s"])}</td>'
            f'<td>{_secs(d["objective_rpo_s"])}</td><td>{_e(_int(d["lost_writes"]))}</td>'
            f"<td>{finished}{overdue}</td></tr>")
    add("</table></section>")
    # extranet
    ext = data["extranet"]
    add('<section id="extranet"><h2>Extranet reachability from the province core</h2>')
    add('<table id="cities"><tr><th>city</th><th>towns</th><th>IPv6</th><th>IPv4</th></tr>')
    for c in ext["cities"]:
        add(_reach_row("city", c["city"], c))
    add('</table><table id="counties"><tr><th>county</th><th>towns</th><th>IPv6</th>'
        "<th>IPv4</th></tr>")
    for c in ext["counties"]:
        add(_reach_row("county", f'{c["county"]} ({c["city"]})', c, key=c["county"]))
    add("</table>")
    towns = ext["towns"]
    shown = towns if len(towns) <= TOWN_LIST_LIMIT else [
        t for t in towns if not (t.get("ipv6") and t.get("ipv4"))]
    title = "towns" if len(towns) <= TOWN_LIST_LIMIT else (
        f"unreachable towns ({len(shown)} of {len(towns)})")
    add(f'<table id="towns"><tr><th>{title}</th><th>county</th><th>IPv6</th><th>IPv4</th></tr>')
    if not towns:
        add('<tr><td colspan="4" class="muted">no probe results yet</td></tr>')
    for t in shown:
        add(f'<tr data-town="{_e(t["town"])}" data-ipv6="{_e(t.get("ipv6"))}" '
            f'data-ipv4="{_e(t.get("ipv4"))}"><td>{_e(t["town"])}</td><td>{_e(t["county"])}</td>'
            f'<td>{_flag(t.get("ipv6"))}</td><td>{_flag(t.get("ipv4"))}</td></tr>')
    add("</table></section>")
    # alerts
    alerts = data["alerts"]
    firing = sum(1 for a in alerts if a["state"] == "firing")
    add(f'<section id="alerts"><h2>Active alerts ({firing} firing, '
        f'{len(alerts) - firing} pending)</h2><table><tr><th>alert</th><th>severity</th>'
        "<th>state</th><th>summary</th><th>runbook</th></tr>")
    if not alerts:
        add('<tr><td colspan="5" class="ok">no active alerts</td></tr>')
    for a in alerts:
        cls = "bad" if a["severity"] == "critical" else "warn"
        link = runbook_href(a["runbook_url"])
        add(f'<tr data-alert="{_e(a["name"])}" data-state="{_e(a["state"])}">'
            f'<td>{_e(a["name"])}</td><td class="{cls}">{_e(a["severity"])}</td>'
            f'<td>{_e(a["state"])}</td><td>{_e(a["summary"])}</td>'
            f'<td>{f"<a href={chr(34)}{_e(link)}{chr(34)}>runbook</a>" if link else ""}</td></tr>')
    add("</table></section>")
    # exceptions: rules the estate waives on purpose
    waived = data.get("exceptions", [])
    add(f'<section id="exceptions"><h2>Estate exceptions ({len(waived)} waived '
        f'rule{"" if len(waived) == 1 else "s"})</h2><table><tr><th>rule</th><th>where</th>'
        "<th>reason</th></tr>")
    if not waived:
        add('<tr><td colspan="3" class="ok">none: every rule holds</td></tr>')
    for w in waived:
        who = f'{w["kind"]} {w["name"]}' + (f' ({w["display_name"]})' if w["display_name"] else "")
        add(f'<tr data-rule="{_e(w["rule"])}" data-name="{_e(w["name"])}"><td class="warn">'
            f'{_e(w["rule"])}</td><td>{_e(who)}</td><td>{_e(w["reason"])}</td></tr>')
    add("</table></section>")
    # KPIs
    k = data["kpis"]
    add('<section id="kpis"><h2>KPIs</h2>')
    for kid, label, value in (
        ("intensification", "intensification rate", _pct(k["intensification_ratio"])),
        ("systems", "department systems on the unified cloud and network",
         f'{_int(k["department_systems_unified"])} / {_int(k["department_systems"])}'),
        ("ipv6-nodes", "IPv6 coverage: nodes", _pct(k["ipv6_node_coverage_ratio"])),
        ("ipv6-links", "IPv6 coverage: links", _pct(k["ipv6_link_coverage_ratio"])),
        ("ipv6-reach", "towns reachable over IPv6", _pct(k["ipv6_town_reachability_ratio"])),
    ):
        add(f'<div class="kpi" data-kpi="{kid}"><b>{_e(value)}</b>{_e(label)}</div>')
    sources = data["health"]["sources"]
    add('<p id="sources">exporter sources: ' + ", ".join(
        f'{_e(s)} {_flag(up)}' for s, up in sorted(sources.items())) + "</p></section>")
    add("</main>")
    return "".join(parts)


def _int(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _reach_row(kind: str, label: str, c: dict[str, Any], key: str | None = None) -> str:
    def cell(n: int) -> str:
        cls = "ok" if n == c["towns"] else "bad"
        return f'<td class="{cls}">{n}/{c["towns"]}</td>'
    return (f'<tr data-{kind}="{_e(key or label)}" data-ipv6="{c["ipv6"]}" '
            f'data-ipv4="{c["ipv4"]}" data-towns="{c["towns"]}"><td>{_e(label)}</td>'
            f'<td>{c["towns"]}</td>{cell(c["ipv6"])}{cell(c["ipv4"])}</tr>')


def page(body: str, title: str = "govops ops centre") -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}'
            '</title><meta http-equiv="refresh" content="15"><meta name="viewport" '
            f'content="width=device-width"><style>{CSS}</style></head><body>{body}</body></html>')


def error_page(message: str) -> str:
    return page(f'<header><h1>govops ops centre</h1></header><div class="banner" id="error">'
                f"{_e(message)}</div>")


# --- server --------------------------------------------------------------------------------


def _runbooks_dir() -> Path:
    from govops.paths import REPO_ROOT

    return REPO_ROOT / "docs" / "runbooks"


class OpsServer(ThreadingHTTPServer):
    daemon_threads = True


def make_server(listen: str, prometheus_url: str) -> OpsServer:
    """Bind the ops page's server (BadInput when the address is taken)."""
    from govops.errors import BadInput
    from govops.monitoring.exporter import parse_listen

    host, port = parse_listen(listen)
    prom = Prometheus(prometheus_url)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = urllib.parse.urlsplit(self.path).path
            if path in ("/", "/index.html"):
                try:
                    body, code = page(render(summary(prom))), 200
                except PrometheusError as exc:
                    log.error("%s", exc)
                    body, code = error_page(str(exc)), 503
                self._send(code, "text/html; charset=utf-8", body.encode())
            elif path == "/api/summary":
                try:
                    data, code = summary(prom), 200
                except PrometheusError as exc:
                    data, code = {"error": str(exc)}, 503
                self._send(code, "application/json",
                           json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))
            elif path == "/healthz":
                self._send(200, "text/plain", b"ok\n")
            elif m := re.fullmatch(r"/docs/runbooks/([a-z0-9-]+\.md)", path):
                file = _runbooks_dir() / m.group(1)
                if file.is_file():
                    text = page(f"<main><section><pre>{_e(file.read_text())}</pre></section></main>",
                                title=m.group(1))
                    self._send(200, "text/html; charset=utf-8", text.encode())
                else:
                    self._send(404, "text/plain", b"no such runbook\n")
            else:
                self._send(404, "text/plain", b"not found\n")

        def _send(self, code: int, ctype: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt: str, *args: object) -> None:
            log.debug("%s %s", self.address_string(), fmt % args)

    class Server(OpsServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    try:
        return Server((host, port), Handler)
    except OSError as exc:
        raise BadInput(f"--listen {listen}: cannot listen there ({exc.strerror}): choose a free "
                       "address and port") from None


def run(listen: str, prometheus_url: str) -> None:
    server = make_server(listen, prometheus_url)
    log.info("ops page on http://%s:%s/ (Prometheus %s)", *server.server_address[:2],
             prometheus_url)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
