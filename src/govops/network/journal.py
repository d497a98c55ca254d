"""Rollout journals: `rollouts/<id>.jsonl`, one JSON event per line, flushed to disk each time.

The journal is what lets `net resume` finish a rollout killed half-way and `net rollback`
restore every device it touched: each device's backup is journalled before anything is sent.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govops.errors import BadInput

#: A device's journey ends with one of these.
FINAL = {"unchanged", "changed", "failed", "would-change", "skipped"}


def new_id() -> str:
    """A sortable rollout id: UTC time plus a random suffix."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


class Journal:
    """Append-only event log of one rollout (thread-safe)."""

    def __init__(self, root: Path, rollout_id: str):
        self.root = root
        self.id = rollout_id
        self.path = root / f"{rollout_id}.jsonl"
        self.backups = root / rollout_id / "backups"
        self._lock = threading.Lock()

    def write(self, event: str, **data: Any) -> None:
        """Append one event and fsync it."""
        record = {"ts": round(time.time(), 3), "event": event, **data}
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())

    def save_backup(self, device: str, config: str) -> Path:
        """Store a device's running config before any change, SM4-encrypted (`<device>.cfg.sm4`,
        see `govops.audit.backup`; no plaintext touches the disk); returns its path."""
        from govops.audit.backup import encrypt_backup

        blob = encrypt_backup(config.encode("utf-8"), context=device)
        self.backups.mkdir(parents=True, exist_ok=True)
        path = self.backups / f"{device}.cfg.sm4"
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return path

    def read_backup(self, device: str) -> str:
        """The backup taken for `device`, decrypted; BadInput (one line) with a wrong key or an
        altered file. Reads a plaintext `<device>.cfg` left by a rollout made before encryption."""
        from govops.audit.backup import decrypt_backup

        path = self.backups / f"{device}.cfg.sm4"
        if not path.exists() and (self.backups / f"{device}.cfg").exists():
            return (self.backups / f"{device}.cfg").read_text(encoding="utf-8")
        if not path.exists():
            raise BadInput(f"backup of {device} is missing: {path} (the journal says it was "
                           "taken); restore it from a copy, or find what changed with "
                           "`govops audit verify`")
        return decrypt_backup(path.read_bytes(), context=device, source=path).decode("utf-8")


@dataclass
class JournalState:
    """What a journal says happened."""

    rollout_id: str
    start: dict[str, Any]
    final: dict[str, str] = field(default_factory=dict)
    backed_up: list[str] = field(default_factory=list)
    ended: bool = False
    rolled_back: bool = False
    #: Devices whose own safety net was armed (a `trial` event: VRP V8 `commit trial`, a
    #: Comware commit delay, a V5 flash backup) and then neither confirmed nor aborted nor
    #: finished: device → what the trial event recorded. A resume confirms or undoes them.
    armed: dict[str, dict[str, Any]] = field(default_factory=dict)


def open_journal(root: Path, rollout_id: str) -> tuple[Journal, JournalState]:
    """Read an existing journal; BadInput when there is none with that id."""
    journal = Journal(root, rollout_id)
    if not journal.path.is_file():
        known = sorted(p.stem for p in root.glob("*.jsonl")) if root.is_dir() else []
        hint = f" (known: {', '.join(known[-5:])})" if known else ""
        raise BadInput(f"no rollout {rollout_id!r} in {root}{hint}: pass an id from "
                       "govops net push")
    state: JournalState | None = None
    for line in journal.path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill: the events before it still count
        event = record.get("event")
        if event == "start":
            state = JournalState(rollout_id, record)
        elif state is None:
            continue
        elif event == "backup":
            state.backed_up.append(record["device"])
        elif event == "trial":
            state.armed[record["device"]] = {k: v for k, v in record.items()
                                             if k not in ("event", "device", "ts")}
        elif event in ("confirmed", "aborted"):
            state.armed.pop(record["device"], None)
        elif event == "done":
            state.final[record["device"]] = record["status"]
            state.armed.pop(record["device"], None)
        elif event == "end":
            state.ended = True
        elif event == "rollback-end":
            state.rolled_back = True
    if state is None:
        raise BadInput(f"rollout journal {journal.path} has no start event: it is not a rollout")
    return journal, state
