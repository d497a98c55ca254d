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

from markupsafe import Markup

from govops.i18n import Translator, translator
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
    node_names = {r["metric"].get("node", ""): r["metric"].get("display_name", "")
                  for r in q("govops_node_info")}
    for t in towns.values():
        t["display_name"] = node_names.get(t["town"], "")
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


def _flag(tr: Translator, value: bool | None, good: str | None = None,
          bad: str | None = None) -> Markup:
    if value is None:
        return Markup('<span class="muted">{}</span>').format(tr("n/a"))
    if value:
        return Markup('<span class="ok">{}</span>').format(good or tr("up"))
    return Markup('<span class="bad">{}</span>').format(bad or tr("down"))


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


#: The language switch on the page: code → label (each in its own language).
LANGUAGES = (("zh", "中文"), ("en", "English"))


def render(data: dict[str, Any], tr: Translator | None = None) -> str:
    """The page body for `summary()` data, in the translator's language (templates/opspage)."""
    from govops.i18n.templates import render as render_template
    from govops.i18n.terms import term

    tr = tr or translator("en")
    ext = data["extranet"]
    towns = ext["towns"]
    shown = towns if len(towns) <= TOWN_LIST_LIMIT else [
        t for t in towns if not (t.get("ipv6") and t.get("ipv4"))]
    title = tr("towns") if len(towns) <= TOWN_LIST_LIMIT else tr(
        "unreachable towns ({shown} of {total})", shown=len(shown), total=len(towns))
    firing = sum(1 for a in data["alerts"] if a["state"] == "firing")

    def role_class(c: dict[str, Any]) -> str:
        return "ok" if c["role"] == "primary" and c["designed_role"] == "primary" else (
            "bad" if c["role"] == "down" else "warn" if c["role"] == "primary" else "")

    def over(value: float | None, objective: float | None) -> bool:
        return value is not None and objective is not None and value > objective

    def reach_row(kind: str, label: str, c: dict[str, Any], key: str | None = None) -> Markup:
        return _reach_row(kind, label, c, key)

    from govops.i18n.times import local

    return render_template(
        "monitoring", "opspage.html.j2", tr, d=data, languages=LANGUAGES,
        updated=local(data["generated_at"], tr.lang) + ("" if tr.lang == "zh" else " UTC"),
        clock=lambda t: local(t, tr.lang, seconds=False),
        towns=shown, towns_title=title, firing=firing, pending=len(data["alerts"]) - firing,
        role_class=role_class, over=over, reach_row=reach_row, runbook=runbook_href,
        flag=lambda value, good=None, bad=None: _flag(tr, value, good, bad),
        secs=_secs, pct=_pct, int=_int,
        severity=lambda s: term(tr, "severity", s), state=lambda s: term(tr, "alert-state", s))


def _int(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _reach_row(kind: str, label: str, c: dict[str, Any], key: str | None = None) -> Markup:
    def cell(n: int) -> str:
        cls = "ok" if n == c["towns"] else "bad"
        return f'<td class="{cls}">{n}/{c["towns"]}</td>'
    return Markup(f'<tr data-{kind}="{_e(key or label)}" data-ipv6="{c["ipv6"]}" '
                  f'data-ipv4="{c["ipv4"]}" data-towns="{c["towns"]}"><td>{_e(label)}</td>'
                  f'<td>{c["towns"]}</td>{cell(c["ipv6"])}{cell(c["ipv4"])}</tr>')


def page(body: str, title: str | None = None, tr: Translator | None = None,
         refresh: bool = True) -> str:
    """A whole HTML document around `body` (html lang="zh-CN" or "en")."""
    from govops.i18n.templates import render as render_template

    tr = tr or translator("en")
    return render_template("monitoring", "page.html.j2", tr, body=Markup(body),
                           title=title or tr("govops ops centre"), css=Markup(CSS),
                           html_lang="zh-CN" if tr.lang == "zh" else "en", refresh=refresh)


def error_page(message: str, tr: Translator | None = None) -> str:
    """The page when Prometheus cannot be reached: one line saying so."""
    from govops.i18n.templates import render as render_template

    tr = tr or translator("en")
    return page(render_template("monitoring", "error.html.j2", tr, message=message), tr=tr)


# --- server --------------------------------------------------------------------------------


def _runbooks_dir() -> Path:
    from govops.paths import REPO_ROOT

    return REPO_ROOT / "docs" / "runbooks"


class OpsServer(ThreadingHTTPServer):
    daemon_threads = True


def make_server(listen: str, prometheus_url: str, lang: str = "en") -> OpsServer:
    """Bind the ops page's server (BadInput when the address is taken); the page speaks
    `lang` unless the request asks for another (`?lang=zh|en`, the page's language switch)."""
    from govops.errors import BadInput
    from govops.i18n.select import normalise
    from govops.monitoring.exporter import parse_listen

    host, port = parse_listen(listen)
    prom = Prometheus(prometheus_url)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urllib.parse.urlsplit(self.path)
            path = url.path
            asked = urllib.parse.parse_qs(url.query).get("lang", [""])[0]
            tr = translator(normalise(asked) or lang) if asked else translator(lang)
            if path in ("/", "/index.html"):
                try:
                    body, code = page(render(summary(prom), tr), tr=tr), 200
                except PrometheusError as exc:
                    log.error("%s", exc)
                    body, code = error_page(str(exc), tr), 503
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
                    text = page(f"<main><section><pre>{_e(file.read_text(encoding='utf-8'))}"
                                "</pre></section></main>", title=m.group(1), tr=tr, refresh=False)
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


def run(listen: str, prometheus_url: str, lang: str = "en") -> None:
    """Serve the page until interrupted."""
    server = make_server(listen, prometheus_url, lang)
    log.info("ops page on http://%s:%s/ (Prometheus %s)", *server.server_address[:2],
             prometheus_url)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
