"""DR drill reports (`dr-drills/reports/<time>-<name>/report.json`) and the drill schedule.

A report holds at least `scenario`, `verdict`, `rto_s`, `rpo_s`, `lost_writes`,
`objective: {rto_s, rpo_s}` and `finished_at` (ISO 8601 or Unix time). The latest report per
scenario is exported. The schedule (`dr-drills/schedule.yaml`, optional) says how often each
scenario must be drilled::

    drills:
      - {scenario: site-loss, every_days: 90}
      - {scenario: switchover, every_days: 30}

Scenarios that have reports but no schedule entry get the default interval (90 days).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.core import Metric

from govops.monitoring.sources import Source, SourceError, gauge

#: Verdicts that count as a passed drill.
PASSED = {"pass", "passed", "ok", "success", "succeeded", "met"}
DEFAULT_INTERVAL_DAYS = 90.0


@dataclass(frozen=True)
class DrillReport:
    """The fields of a report the exporter uses."""

    path: str
    scenario: str
    verdict: str
    rto_s: float
    rpo_s: float
    lost_writes: float
    objective_rto_s: float
    objective_rpo_s: float
    finished_at: float

    @property
    def passed(self) -> bool:
        return self.verdict.strip().lower() in PASSED


def _number(data: dict[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {key} is {value!r}, not a number") from None


def _timestamp(value: Any, where: str) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{where}: finished_at {value!r} is not ISO 8601") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    raise ValueError(f"{where}: finished_at is missing")


def read_report(path: Path) -> DrillReport:
    """Parse one report; ValueError naming the file and field when it is not one."""
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}:{exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a report is a JSON object")
    for key in ("scenario", "verdict"):
        if not isinstance(data.get(key), str) or not data.get(key):
            raise ValueError(f"{where}: {key} is missing")
    objective = data.get("objective") or {}
    if not isinstance(objective, dict):
        raise ValueError(f"{where}: objective must be an object with rto_s and rpo_s")
    return DrillReport(
        path=where,
        scenario=data["scenario"],
        verdict=data["verdict"],
        rto_s=_number(data, "rto_s", where),
        rpo_s=_number(data, "rpo_s", where),
        lost_writes=_number(data, "lost_writes", where),
        objective_rto_s=_number(objective, "rto_s", where),
        objective_rpo_s=_number(objective, "rpo_s", where),
        finished_at=_timestamp(data.get("finished_at"), where),
    )


def read_schedule(path: Path) -> dict[str, float]:
    """scenario → interval in seconds; {} when there is no schedule file."""
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SourceError(f"drill schedule {path}: not YAML ({exc})".splitlines()[0]) from None
    items = data.get("drills", data) if isinstance(data, dict) else data
    out: dict[str, float] = {}
    if isinstance(items, dict):  # {scenario: days} or {scenario: {every_days: n}}
        items = [{"scenario": k, **(v if isinstance(v, dict) else {"every_days": v})}
                 for k, v in items.items()]
    if not isinstance(items, list):
        raise SourceError(f"drill schedule {path}: expected drills: [{{scenario, every_days}}]")
    for i, item in enumerate(items):
        try:
            out[str(item["scenario"])] = float(item["every_days"]) * 86400
        except (KeyError, TypeError, ValueError):
            raise SourceError(f"drill schedule {path}: entry {i + 1} needs scenario and "
                              "every_days (a number)") from None
    return out


class DrillSource(Source):
    """The reports folder (absent = no drill run yet) and the optional schedule."""

    name = "drills"
    interval = 5.0

    def __init__(self, reports: Path, schedule: Path | None = None,
                 default_interval_days: float = DEFAULT_INTERVAL_DAYS):
        self.reports = Path(reports)
        self.schedule = Path(schedule) if schedule else None
        self.default_interval_s = default_interval_days * 86400
        self._cache: dict[Path, tuple[tuple[int, int], DrillReport | str]] = {}
        self._last: tuple[tuple, list[Metric]] | None = None

    def _read_all(self) -> tuple[list[DrillReport], list[str]]:
        if not self.reports.exists():
            return [], []
        if not self.reports.is_dir():
            raise SourceError(f"drill reports {self.reports} is not a folder: pass --drills DIR")
        good: list[DrillReport] = []
        bad: list[str] = []
        seen = set()
        for path in sorted(self.reports.glob("*/report.json")):
            try:
                st = path.stat()
            except OSError:
                continue
            key = (st.st_mtime_ns, st.st_size)
            cached = self._cache.get(path)
            if cached is None or cached[0] != key:
                try:
                    parsed: DrillReport | str = read_report(path)
                except (ValueError, OSError, UnicodeDecodeError) as exc:
                    parsed = str(exc)
                cached = (key, parsed)
                self._cache[path] = cached
            seen.add(path)
            (good if isinstance(cached[1], DrillReport) else bad).append(cached[1])  # type: ignore[arg-type]
        for gone in set(self._cache) - seen:
            del self._cache[gone]
        return good, bad

    def _schedule_key(self) -> tuple:
        try:
            st = self.schedule.stat() if self.schedule else None
        except OSError:
            return ()
        return (st.st_mtime_ns, st.st_size) if st else ()

    def poll(self) -> list[Metric]:
        reports, bad = self._read_all()
        key = (tuple(sorted((str(p), k) for p, (k, _) in self._cache.items())),
               self._schedule_key())
        if self._last is not None and self._last[0] == key and not bad:
            return self._last[1]  # nothing changed: the same snapshot (no re-rendering)
        schedule = read_schedule(self.schedule) if self.schedule else {}
        latest: dict[str, DrillReport] = {}
        counts: dict[str, int] = {}
        for r in reports:
            counts[r.scenario] = counts.get(r.scenario, 0) + 1
            if r.scenario not in latest or r.finished_at >= latest[r.scenario].finished_at:
                latest[r.scenario] = r
        intervals = dict(schedule)
        for scenario in latest:
            intervals.setdefault(scenario, self.default_interval_s)
        last = sorted(latest.values(), key=lambda r: r.scenario)

        def per(name: str, doc: str, attr: str) -> Metric:
            return gauge(name, doc, ["scenario"],
                         [((r.scenario,), getattr(r, attr)) for r in last
                          if not math.isnan(getattr(r, attr))])

        fams = [
            gauge("govops_drill_last_success", "1 when the latest drill of a scenario passed.",
                  ["scenario"], [((r.scenario,), 1 if r.passed else 0) for r in last]),
            gauge("govops_drill_last_verdict", "The latest drill's verdict: 1, as a label.",
                  ["scenario", "verdict"], [((r.scenario, r.verdict), 1) for r in last]),
            per("govops_drill_last_rto_seconds", "Measured RTO of the latest drill.", "rto_s"),
            per("govops_drill_last_rpo_seconds", "Measured RPO (seconds of data) of the latest "
                "drill.", "rpo_s"),
            per("govops_drill_last_lost_writes", "Acknowledged writes lost in the latest drill.",
                "lost_writes"),
            per("govops_drill_rto_objective_seconds", "RTO objective the latest drill was held "
                "to.", "objective_rto_s"),
            per("govops_drill_rpo_objective_seconds", "RPO objective the latest drill was held "
                "to.", "objective_rpo_s"),
            per("govops_drill_last_finished_timestamp_seconds", "When the latest drill of a "
                "scenario finished (Unix time).", "finished_at"),
            gauge("govops_drill_reports", "Drill reports found per scenario.", ["scenario"],
                  [((s,), n) for s, n in sorted(counts.items())]),
            gauge("govops_drill_interval_seconds", "How often a scenario must be drilled "
                  "(schedule, else the default).", ["scenario"],
                  [((s,), v) for s, v in sorted(intervals.items())]),
            gauge("govops_drill_reports_invalid", "Report files that could not be read.", [],
                  [((), len(bad))]),
        ]
        if bad:
            raise SourceError(f"{len(bad)} drill report(s) unreadable, first: {bad[0]}", fams)
        self._last = (key, fams)
        return fams
