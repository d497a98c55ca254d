"""What every lab (routers, data centres, monitoring) keeps in its state directory: an intent
journal, a lock, files written through a rename."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from govops.lab.errors import LabError


class Journal:
    """Append-only, fsync'd record of what a lab is about to create outside its state
    directory (a namespace, a veth, a user, a process), so teardown can undo a build that
    died half-way."""

    def __init__(self, path: Path):
        self.path = path

    def entries(self) -> list[dict[str, Any]]:
        """Every well-formed record; a torn last line (a crash while writing) is skipped."""
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                out.append(record)
        return out

    def has(self, **fields: Any) -> bool:
        """True when a record carries all of `fields` (and maybe more)."""
        return any(all(e.get(k) == v for k, v in fields.items()) for e in self.entries())

    def record(self, **fields: Any) -> None:
        """Append one record and fsync it, unless an identical record is already there."""
        if fields in self.entries():
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(fields, sort_keys=True, ensure_ascii=False) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def locked(lock: Path, busy: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold an exclusive flock on `lock` (the kernel drops it if the holder dies); after
    `wait_s` seconds of waiting, LabError "<busy>: another process holds <lock>; wait for it"."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LabError(f"{busy}: another process holds {lock}; wait for it to finish"
                                   ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str, mode: int = 0o644, owner: str | None = None) -> None:
    """Write `text` to `path` through a rename (readers never see half a file), with `mode`
    and, when given, chown'd to `owner`."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    if owner:
        shutil.chown(tmp, owner, owner)
    os.replace(tmp, path)
