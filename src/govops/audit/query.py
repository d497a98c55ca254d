"""Selecting audit records for `audit show`: by command, device, tenant and time."""

from __future__ import annotations

from pathlib import Path

from govops.audit.trail import AuditRecord, parse_since, parse_time, read_records


def _mentions(rec: AuditRecord, name: str, field: str) -> bool:
    """`name` is among the record's devices/tenants, an argument, or an artefact's file stem."""
    if name in (rec.data.get(field) or []) or name in (rec.argv or []):
        return True
    if field == "devices":
        return any(Path(p).name.split(".")[0] == name for p in (rec.artefacts or {}))
    return False


def select(log: Path, command: str | None = None, device: str | None = None,
           tenant: str | None = None, since: str | None = None) -> tuple[list[tuple[int, AuditRecord]], int]:
    """Matching (record number, record) pairs in log order, and how many lines were damaged."""
    if not log.exists():
        return [], 0
    start = parse_since(since) if since else None
    rows, damaged = [], 0
    for number, rec in read_records(log):
        if rec is None or not isinstance(rec.data.get("ts"), str):
            damaged += 1
            continue
        if command and not str(rec.command).startswith(command):
            continue
        if device and not _mentions(rec, device, "devices"):
            continue
        if tenant and not _mentions(rec, tenant, "tenants"):
            continue
        if start:
            try:
                if parse_time(rec.data["ts"]) < start:
                    continue
            except ValueError:
                damaged += 1
                continue
        rows.append((number, rec))
    return rows, damaged
