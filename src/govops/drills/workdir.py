"""A drill's working folder: the ledger of acknowledged writes, events, processes, results.

One folder per run, `dr-drills/reports/<UTC time>-<scenario>/`, written by several processes
(the runner, the service, the load generator, the failover manager); each file is appended
to with single small `write()`s on an `O_APPEND` descriptor, so lines never interleave::

    context.json       what the drill runs against: scenario, tenant, objective, lab, service URL
    events.jsonl       what happened when: {"event": "fault", "t": <epoch s>, ...} one a line
    ledger.csv         acknowledged writes, one line per 201 from the service: id,sent,acked,centre
    failures.csv       writes that were not acknowledged: id,sent,failed,reason
    processes.json     PIDs of the processes the drill started (service, load, failover manager)
    measurement.json   RTO and RPO as measured
    journal.json       the Chaos Toolkit journal
    report.md, report.json, timeline.png
    *.log              the helper processes' logs

All times are epoch seconds (`time.time()`) on this machine's clock, shared by every process.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEDGER_HEADER = "id,sent,acked,centre\n"
FAILURES_HEADER = "id,sent,failed,reason\n"


@dataclass(frozen=True)
class Ack:
    """One acknowledged write: the service answered 201 after the commit returned."""

    id: str
    sent: float
    acked: float
    centre: str  # the centre whose primary committed it (its cluster_name), e.g. "dc-b"


@dataclass(frozen=True)
class Failure:
    """One write that was not acknowledged (error answer, timeout, connection refused)."""

    id: str
    sent: float
    failed: float
    reason: str


class WorkDir:
    """Paths and append-only files of one drill run."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"WorkDir({str(self.path)!r})"

    # --- paths ---------------------------------------------------------------------------
    @property
    def context(self) -> Path:
        return self.path / "context.json"

    @property
    def events(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def ledger(self) -> Path:
        return self.path / "ledger.csv"

    @property
    def failures(self) -> Path:
        return self.path / "failures.csv"

    @property
    def processes(self) -> Path:
        return self.path / "processes.json"

    @property
    def measurement(self) -> Path:
        return self.path / "measurement.json"

    @property
    def journal(self) -> Path:
        return self.path / "journal.json"

    def log(self, name: str) -> Path:
        return self.path / f"{name}.log"

    def create(self) -> WorkDir:
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    # --- context -------------------------------------------------------------------------
    def write_context(self, data: dict[str, Any]) -> None:
        write_json(self.context, data)

    def read_context(self) -> dict[str, Any]:
        return read_json(self.context) or {}

    # --- events --------------------------------------------------------------------------
    def event(self, name: str, t: float | None = None, **fields: Any) -> dict[str, Any]:
        """Append one event (`t` defaults to now) and return it."""
        record = {"event": name, "t": time.time() if t is None else float(t), **fields}
        append_line(self.events, json.dumps(record, sort_keys=True, default=str, ensure_ascii=False) + "\n")
        return record

    def read_events(self) -> list[dict[str, Any]]:
        """Every well-formed event in file order (a torn last line is skipped)."""
        return list(_json_lines(self.events))

    # --- processes -----------------------------------------------------------------------
    def record_process(self, role: str, pid: int, argv: list[str]) -> None:
        data = read_json(self.processes) or {}
        data[role] = {"pid": pid, "argv": argv}
        write_json(self.processes, data)

    def read_processes(self) -> dict[str, dict[str, Any]]:
        return read_json(self.processes) or {}

    # --- ledger --------------------------------------------------------------------------
    def read_ledger(self) -> list[Ack]:
        return list(read_acks(self.ledger))

    def read_failures(self) -> list[Failure]:
        return list(read_failures(self.failures))


def append_line(path: Path, line: str) -> None:
    """Append `line` with one write() on an O_APPEND descriptor (atomic for small lines)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file + rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            yield record


def ack_line(ack: Ack) -> str:
    return f"{ack.id},{ack.sent:.6f},{ack.acked:.6f},{ack.centre}\n"


def failure_line(failure: Failure) -> str:
    reason = failure.reason.replace(",", ";").replace("\n", " ")[:120]
    return f"{failure.id},{failure.sent:.6f},{failure.failed:.6f},{reason}\n"


def parse_acks(lines: Iterable[str]) -> Iterator[Ack]:
    """Acks from ledger lines; the header and torn or malformed lines are skipped."""
    for line in lines:
        parts = line.rstrip("\n").split(",")
        if len(parts) != 4 or parts[0] == "id":
            continue
        try:
            yield Ack(parts[0], float(parts[1]), float(parts[2]), parts[3])
        except ValueError:
            continue


def read_acks(path: Path) -> Iterator[Ack]:
    try:
        with open(path) as fh:
            yield from parse_acks(fh)
    except FileNotFoundError:
        return


def read_failures(path: Path) -> Iterator[Failure]:
    try:
        with open(path) as fh:
            for line in fh:
                parts = line.rstrip("\n").split(",", 3)
                if len(parts) != 4 or parts[0] == "id":
                    continue
                try:
                    yield Failure(parts[0], float(parts[1]), float(parts[2]), parts[3])
                except ValueError:
                    continue
    except FileNotFoundError:
        return


class LedgerTail:
    """Follow a growing ledger: `new()` returns the acks appended since the last call."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.partial = ""

    def new(self) -> list[Ack]:
        try:
            with open(self.path) as fh:
                fh.seek(self.offset)
                chunk = fh.read()
                self.offset = fh.tell()
        except FileNotFoundError:
            return []
        text = self.partial + chunk
        lines = text.split("\n")
        self.partial = lines.pop()  # an incomplete last line waits for the next call
        return list(parse_acks(lines))
