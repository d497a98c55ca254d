"""Rollout journals (`rollouts/<id>.jsonl`, see govops.network.journal) as metrics.

Per device, the latest journalled outcome says whether its running config is the intended one:

| last outcome             | drift | why                                                        |
|--------------------------|-------|------------------------------------------------------------|
| `unchanged`, `changed`   | 0     | running config equals the rendered one (verified)          |
| `would-change` (--check) | 1     | a check run found a difference                             |
| `failed`                 | 1     | restored to its backup, or left half-way                   |
| rolled back (`rollback`) | 1     | put back to the backup taken before the rollout            |
| `skipped`                | —     | says nothing: the previous outcome stands                  |

Journals are parsed once per (mtime, size); a scrape reads the cached result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.core import Metric

from govops.monitoring.sources import Source, SourceError, gauge

DRIFT = {"unchanged": 0, "changed": 0, "would-change": 1, "failed": 1, "rolled-back": 1}
#: Rollouts whose per-status device counts are exported (the newest ones).
RECENT_ROLLOUTS = 5


@dataclass
class RolloutRecord:
    """What one journal says."""

    rollout_id: str
    started: float | None = None
    ended: bool = False
    check: bool = False
    devices: list[str] = field(default_factory=list)
    #: device → (status, time) in journal order (later events win)
    outcomes: dict[str, tuple[str, float]] = field(default_factory=dict)
    bad_lines: int = 0


def parse_journal(path: Path) -> RolloutRecord:
    """Read one journal; lines cut by a kill are counted, not fatal."""
    record = RolloutRecord(path.stem)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                record.bad_lines += 1
                continue
            if not isinstance(event, dict):
                record.bad_lines += 1
                continue
            kind, ts = event.get("event"), float(event.get("ts") or 0)
            if kind == "start" and record.started is None:
                record.started = ts
                record.devices = list(event.get("devices") or [])
                record.check = bool((event.get("options") or {}).get("check"))
            elif kind == "done" and event.get("device"):
                status = str(event.get("status"))
                if status != "skipped":
                    record.outcomes[event["device"]] = (status, ts)
            elif kind == "rollback" and event.get("device"):
                if event.get("status") == "restored":
                    record.outcomes[event["device"]] = ("rolled-back", ts)
            elif kind == "end":
                record.ended = True
    return record


class RolloutSource(Source):
    """Every `*.jsonl` journal of a rollouts folder; absent folder = nothing rolled out yet."""

    name = "rollouts"
    interval = 5.0

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._cache: dict[Path, tuple[tuple[int, int], RolloutRecord]] = {}
        self._last: tuple[tuple, list[Metric]] | None = None

    def records(self) -> list[RolloutRecord]:
        if not self.directory.exists():
            return []
        if not self.directory.is_dir():
            raise SourceError(f"rollouts {self.directory} is not a folder: pass --rollouts DIR")
        out = []
        seen = set()
        try:
            paths = sorted(self.directory.glob("*.jsonl"))
        except OSError as exc:
            raise SourceError(f"rollouts {self.directory}: {exc.strerror}") from None
        for path in paths:
            try:
                st = path.stat()
                key = (st.st_mtime_ns, st.st_size)
                cached = self._cache.get(path)
                if cached is None or cached[0] != key:
                    cached = (key, parse_journal(path))
                    self._cache[path] = cached
            except (OSError, UnicodeDecodeError) as exc:
                raise SourceError(f"rollout journal {path} cannot be read: {exc}") from None
            seen.add(path)
            out.append(cached[1])
        for gone in set(self._cache) - seen:
            del self._cache[gone]
        out.sort(key=lambda r: (r.started or 0, r.rollout_id))
        return out

    def poll(self) -> list[Metric]:
        records = self.records()
        key = tuple(sorted((str(p), k) for p, (k, _) in self._cache.items()))
        if self._last is not None and self._last[0] == key:
            return self._last[1]  # nothing changed: the same snapshot (no re-rendering)
        self._last = (key, self._families(records))
        return self._last[1]

    def _families(self, records: list[RolloutRecord]) -> list[Metric]:
        latest: dict[str, tuple[str, float]] = {}
        for rec in records:
            for device, (status, ts) in rec.outcomes.items():
                if device not in latest or ts >= latest[device][1]:
                    latest[device] = (status, ts)
        fams = [
            gauge("govops_device_config_drift",
                  "1 when the device's running config is known to differ from the intended one "
                  "(from the latest rollout journal that says), else 0.", ["device"],
                  [((d,), DRIFT[s]) for d, (s, _) in latest.items() if s in DRIFT]),
            gauge("govops_device_rollout_last_status",
                  "The device's latest rollout outcome: 1, the outcome as label.",
                  ["device", "status"], [((d, s), 1) for d, (s, _) in latest.items()]),
            gauge("govops_device_rollout_last_timestamp_seconds",
                  "When the device's latest rollout outcome was journalled (Unix time).",
                  ["device"], [((d,), ts) for d, (_, ts) in latest.items()]),
        ]
        recent = records[-RECENT_ROLLOUTS:]
        counts = []
        for rec in recent:
            statuses = {d: s for d, (s, _) in rec.outcomes.items()}
            pending = sum(1 for d in rec.devices if d not in statuses)
            per = {"pending": pending}
            for s in statuses.values():
                per[s] = per.get(s, 0) + 1
            counts += [((rec.rollout_id, s), n) for s, n in sorted(per.items())]
        fams += [
            gauge("govops_rollout_devices", "Devices of a recent rollout per outcome "
                  "(pending: no outcome yet).", ["rollout", "status"], counts),
            gauge("govops_rollout_start_timestamp_seconds", "When a recent rollout started.",
                  ["rollout", "mode"],
                  [((r.rollout_id, "check" if r.check else "push"), r.started or 0)
                   for r in recent]),
            gauge("govops_rollout_finished", "1 when a recent rollout's journal has its end "
                  "event, 0 while it runs or after it was interrupted.", ["rollout"],
                  [((r.rollout_id,), 1 if r.ended else 0) for r in recent]),
            gauge("govops_rollouts", "Rollout journals found.", [], [((), len(records))]),
        ]
        return fams
