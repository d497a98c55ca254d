"""A small client of the Prometheus HTTP API, for the ops page, the lab and the DR drills.

    prom = Prometheus("http://127.0.0.1:9090")
    prom.query('site:govops_dc_probe_success:max == 0')   # [{"metric": {...}, "value": 0.0}]
    prom.firing("SiteDown")                                # alerts of that name now firing
    prom.value("govops_dc_primaries")                      # one number, or None

Drill steady-state hypotheses use the recording rules and alerts of `monitoring/rules/`, e.g.
"no `SiteDown` firing" before a drill, "`SiteDown` and `ReplicationRpoAboveObjective` firing"
during a site loss, and none again after failback.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class PrometheusError(Exception):
    """Prometheus could not answer; `str()` is one line."""


@dataclass
class Prometheus:
    """A minimal client of the Prometheus HTTP API (instant queries, alerts)."""

    url: str
    timeout: float = 5.0

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        url = self.url.rstrip("/") + path + query
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                data = json.load(resp)
        except urllib.error.HTTPError as exc:
            try:
                data = json.load(exc)
            except (ValueError, OSError):
                raise PrometheusError(f"Prometheus at {self.url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PrometheusError(f"Prometheus at {self.url} is unreachable ({reason}): start "
                                  "it (govops lab up) or pass --prometheus URL") from None
        if data.get("status") != "success":
            raise PrometheusError(f"Prometheus at {self.url}: {data.get('errorType')}: "
                                  f"{data.get('error')}")
        return data["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant vector: [{"metric": {...}, "value": float}]."""
        data = self._get("/api/v1/query", {"query": expr})
        if data.get("resultType") != "vector":
            raise PrometheusError(f"query {expr!r} returned a {data.get('resultType')}, "
                                  "not a vector")
        return [{"metric": r["metric"], "value": float(r["value"][1])} for r in data["result"]]

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/alerts").get("alerts", []))

    def value(self, expr: str) -> float | None:
        """The value of a query that returns at most one series (None when it returns none)."""
        rows = self.query(expr)
        if len(rows) > 1:
            raise PrometheusError(f"query {expr!r} returned {len(rows)} series, expected one")
        return rows[0]["value"] if rows else None

    def firing(self, alertname: str | None = None) -> list[dict[str, Any]]:
        """Alerts in state firing (of one name when given), with labels and annotations."""
        return [a for a in self.alerts() if a.get("state") == "firing"
                and (alertname is None or a.get("labels", {}).get("alertname") == alertname)]
