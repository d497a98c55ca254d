"""The work dir's append-only files: events, ledger (torn lines), following a growing ledger."""

from __future__ import annotations

from pathlib import Path

from govops.drills.workdir import Ack, LedgerTail, WorkDir, ack_line, append_line


def test_events_are_appended_and_read_back_in_order(tmp_path: Path) -> None:
    work = WorkDir(tmp_path).create()
    work.event("fault", t=10.0, lost=["dc-a"])
    work.event("promoted", t=11.0, centre="dc-b")
    append_line(work.events, '{"event": "torn"')  # a writer killed mid-line
    assert [e["event"] for e in work.read_events()] == ["fault", "promoted"]
    assert work.read_events()[0]["lost"] == ["dc-a"]


def test_ledger_skips_header_and_torn_lines(tmp_path: Path) -> None:
    work = WorkDir(tmp_path).create()
    append_line(work.ledger, "id,sent,acked,centre\n")
    append_line(work.ledger, ack_line(Ack("w-1", 1.0, 1.002, "dc-a")))
    append_line(work.ledger, "w-2,1.005,1.0")
    assert work.read_ledger() == [Ack("w-1", 1.0, 1.002, "dc-a")]


def test_ledger_tail_returns_only_complete_new_lines(tmp_path: Path) -> None:
    work = WorkDir(tmp_path).create()
    tail = LedgerTail(work.ledger)
    assert tail.new() == []
    append_line(work.ledger, "id,sent,acked,centre\n" + ack_line(Ack("w-1", 1.0, 1.1, "dc-a")))
    append_line(work.ledger, "w-2,2.0,2.1,d")
    assert [a.id for a in tail.new()] == ["w-1"]
    append_line(work.ledger, "c-b\n")
    assert tail.new() == [Ack("w-2", 2.0, 2.1, "dc-b")]


def test_processes_are_recorded_by_role(tmp_path: Path) -> None:
    work = WorkDir(tmp_path).create()
    work.record_process("service", 123, ["python", "-m", "govops.drills.service"])
    work.record_process("loadgen", 124, ["python", "-m", "govops.drills.loadgen"])
    assert set(work.read_processes()) == {"service", "loadgen"}
