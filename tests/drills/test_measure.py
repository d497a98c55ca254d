"""RTO, RPO, link outage and the verdict from synthetic ledgers and events (no lab)."""

from __future__ import annotations

import pytest

from govops.drills import measure as m
from govops.drills.workdir import Ack

T = 1_000_000.0  # the fault
DR6 = m.Objective(rto_s=300, rpo_s=0, level=6, name="zero data loss")
DR5 = m.Objective(rto_s=1800, rpo_s=300, level=5, name="real-time")


def ack(i: int, acked: float, centre: str) -> Ack:
    return Ack(f"w-{i}", acked - 0.002, acked, centre)


def test_site_loss_outage_counts_from_fault_to_first_write_of_promoted_centre() -> None:
    events = [
        {"event": "fault", "t": T, "lost": ["dc-a"], "label": "loss of dc-a"},
        {"event": "detected", "t": T + 0.7, "centre": "dc-a"},
        {"event": "promoted", "t": T + 0.9, "centre": "dc-b"},
    ]
    acks = [ack(1, T - 0.01, "dc-a"), ack(2, T + 0.95, "dc-b"), ack(3, T + 1.0, "dc-b")]
    (outage,) = m.outages(events, acks)
    assert outage.centre == "dc-b"
    assert outage.seconds == pytest.approx(0.95)
    assert outage.detected_at == T + 0.7 and outage.promoted_at == T + 0.9
    assert outage.split_brain_writes == 0


def test_write_sent_after_the_fault_and_acknowledged_by_the_lost_centre_is_split_brain() -> None:
    events = [{"event": "fault", "t": T, "lost": ["dc-a"]},
              {"event": "promoted", "t": T + 0.5, "centre": "dc-b"}]
    acks = [Ack("w-0", T - 0.010, T + 0.020, "dc-a"),  # answer on its way at the cut: fine
            ack(1, T + 0.1, "dc-a"), ack(2, T + 0.6, "dc-b")]
    (outage,) = m.outages(events, acks)
    assert outage.split_brain_writes == 1
    assert outage.seconds == pytest.approx(0.6)


def test_two_switchovers_are_measured_separately() -> None:
    events = [
        {"event": "fault", "t": T, "source": "dc-a", "expect": "dc-b", "label": "a→b"},
        {"event": "promoted", "t": T + 0.2, "centre": "dc-b"},
        {"event": "fault", "t": T + 5, "source": "dc-b", "expect": "dc-a", "label": "b→a"},
        {"event": "promoted", "t": T + 5.3, "centre": "dc-a"},
    ]
    acks = [ack(1, T + 0.01, "dc-a"), ack(2, T + 0.25, "dc-b"), ack(3, T + 5.01, "dc-b"),
            ack(4, T + 5.4, "dc-a")]
    first, second = m.outages(events, acks)
    assert first.seconds == pytest.approx(0.25)  # dc-a's late ack does not end the outage
    assert second.seconds == pytest.approx(0.4)


def test_no_write_after_the_fault_means_no_rto() -> None:
    (outage,) = m.outages([{"event": "fault", "t": T, "lost": ["dc-a"]}], [ack(1, T - 1, "dc-a")])
    assert outage.seconds is None


def test_data_loss_counts_missing_acknowledged_writes_and_their_span() -> None:
    acks = [ack(i, T - 0.050 + i * 0.005, "dc-a") for i in range(10)]
    present = {a.id for a in acks[:7]}
    loss = m.data_loss(acks, present, fault_at=T)
    assert loss.lost == 3 and loss.checked == 10
    assert loss.lost_ids == ["w-7", "w-8", "w-9"]
    assert loss.rpo_s == pytest.approx(T - acks[7].acked)
    assert m.data_loss(acks, {a.id for a in acks}, T).rpo_s == 0.0


def test_link_outage_is_the_largest_reply_gap_after_the_cut() -> None:
    lines = [f"[{T - 1 + i * 0.005:.6f}] 64 bytes from 2001:db8::1: icmp_seq={i} ttl=62 time=0.1 ms"
             for i in range(200)]
    lines = [line for i, line in enumerate(lines) if not 150 <= i < 200 - 4]  # 46 lost after T-0.25
    replies = m.ping_replies(["PING 2001:db8::1 56 data bytes", *lines])
    outage = m.link_outage(replies, fault_at=T - 0.3)
    assert outage.seconds == pytest.approx(0.235, abs=1e-6)
    assert outage.lost == 46
    assert m.link_outage([], T).seconds is None


def test_rate_series_bins_events() -> None:
    xs, ys = m.rate_series([0.01, 0.02, 0.15, 0.31], 0.0, 0.4, 0.1)
    assert ys[:4] == [20.0, 10.0, 0.0, 10.0]
    assert len(xs) == len(ys)


def test_verdicts() -> None:
    ok = {"rto_s": 1.0, "rpo_s": 0.0, "lost_writes": 0, "faults_injected": 1,
          "steady_before": True, "steady_after": True}
    assert m.judge(DR6, **ok) == ("pass", [])
    verdict, why = m.judge(DR6, **{**ok, "steady_before": False}, before_detail="dc-c lagging")
    assert verdict == "aborted" and "dc-c lagging" in why[0] and "no fault injected" in why[0]
    assert m.judge(DR6, **ok, interrupted="interrupted by SIGTERM") == (
        "aborted", ["interrupted by SIGTERM"])
    verdict, why = m.judge(DR6, **{**ok, "steady_after": False})
    assert verdict == "fail" and "did not come back" in why[0]
    verdict, why = m.judge(DR6, **{**ok, "rto_s": 301.0})
    assert verdict == "fail" and "RTO 301.000 s > objective 300 s" in why[0]
    verdict, why = m.judge(DR6, **{**ok, "lost_writes": 2, "rpo_s": 0.004})
    assert verdict == "fail" and "2 acknowledged writes lost" in why[0]
    assert m.judge(DR5, **{**ok, "lost_writes": 2, "rpo_s": 0.004})[0] == "pass"
    assert m.judge(DR6, **{**ok, "rto_s": None})[0] == "fail"
    assert m.judge(DR6, **{**ok, "rto_s": None, "faults_injected": 0})[0] == "pass"
    assert m.judge(DR6, **{**ok, "lost_writes": None})[0] == "fail"
