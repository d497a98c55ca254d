"""RTO, RPO and the verdict, computed from the ledger and the events (pure functions).

- **RTO** of a fault: from the fault (`fault` event) to the first write acknowledged through
  the service and committed by the centre that took over (the `promoted` event after the
  fault, else the fault's `expect`; without either, any centre that was not lost). A write
  *sent* after the fault and acknowledged by a centre the fault cut off would be a split brain
  and is counted separately (a write sent just before the cut may be committed there and
  acknowledged a little after it: the answer was already on its way).
- **RPO**: acknowledged writes (ledger) missing from the primary after recovery are lost
  writes; `rpo_s` is the span of data they represent, from the acknowledgement of the oldest
  lost write to the fault (or to the newest lost write if that is later). 0 when none is lost.
- **link outage** (extranet): the largest gap between ping replies around the cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from govops.drills.workdir import Ack
from govops.i18n import N_

FAULT = "fault"


@dataclass(frozen=True)
class Objective:
    """Recovery objectives of a tenant's DR level (from inventories/policy/dr-levels.yaml)."""

    rto_s: float
    rpo_s: float
    level: int = 0
    name: str = ""


@dataclass
class Outage:
    """One fault and how long writes were unavailable after it."""

    label: str
    fault_at: float
    lost: list[str]
    centre: str | None  # the centre that took over
    detected_at: float | None = None
    promoted_at: float | None = None
    first_write_at: float | None = None
    split_brain_writes: int = 0  # acknowledged by a lost centre after the fault

    @property
    def seconds(self) -> float | None:
        if self.first_write_at is None:
            return None
        return max(0.0, self.first_write_at - self.fault_at)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = None if self.seconds is None else round(self.seconds, 4)
        return data


@dataclass
class DataLoss:
    """Acknowledged writes missing from the primary after recovery."""

    checked: int
    lost: int
    rpo_s: float
    first_lost_at: float | None = None
    last_lost_at: float | None = None
    lost_ids: list[str] = field(default_factory=list)  # the first 20

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def faults(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((e for e in events if e.get("event") == FAULT), key=lambda e: e["t"])


def outages(events: Sequence[dict[str, Any]], acks: Sequence[Ack]) -> list[Outage]:
    """One Outage per fault event, each measured up to the next fault."""
    ordered = sorted(events, key=lambda e: e.get("t", 0.0))
    fault_list = faults(ordered)
    by_ack = sorted(acks, key=lambda a: a.acked)
    result = []
    for i, fault in enumerate(fault_list):
        start = float(fault["t"])
        end = float(fault_list[i + 1]["t"]) if i + 1 < len(fault_list) else float("inf")
        window = [e for e in ordered if start <= e.get("t", 0.0) < end]
        lost = list(fault.get("lost", []))
        promoted = next((e for e in window if e.get("event") == "promoted"), None)
        detected = next((e for e in window if e.get("event") == "detected"), None)
        centre = promoted.get("centre") if promoted else fault.get("expect")
        outage = Outage(label=str(fault.get("label", fault.get("kind", "fault"))),
                        fault_at=start, lost=lost, centre=centre,
                        detected_at=detected["t"] if detected else None,
                        promoted_at=promoted["t"] if promoted else None)
        for ack in by_ack:
            if ack.acked < start:
                continue
            if ack.acked >= end:
                break
            if ack.centre in lost:
                if ack.sent >= start:
                    outage.split_brain_writes += 1
                continue
            if centre is None or ack.centre == centre:
                if outage.first_write_at is None:
                    outage.first_write_at = ack.acked
        result.append(outage)
    return result


def data_loss(acks: Sequence[Ack], present: set[str], fault_at: float | None) -> DataLoss:
    """Lost writes: acknowledged in the ledger, missing from `present` (ids on the primary)."""
    lost = sorted((a for a in acks if a.id not in present), key=lambda a: a.acked)
    if not lost:
        return DataLoss(checked=len(acks), lost=0, rpo_s=0.0)
    first, last = lost[0].acked, lost[-1].acked
    end = max(fault_at, last) if fault_at is not None else last
    return DataLoss(checked=len(acks), lost=len(lost), rpo_s=round(end - first, 4),
                    first_lost_at=first, last_lost_at=last, lost_ids=[a.id for a in lost[:20]])


_PING_RE = re.compile(r"^\[(\d+\.\d+)\].*icmp_seq=(\d+)")


def ping_replies(lines: Iterable[str]) -> list[tuple[float, int]]:
    """(timestamp, icmp_seq) of each reply in `ping -D` output."""
    out = []
    for line in lines:
        m = _PING_RE.match(line)
        if m and "bytes from" in line:
            out.append((float(m.group(1)), int(m.group(2))))
    return out


@dataclass
class LinkOutage:
    """The largest silence in the ping replies after a link was cut."""

    seconds: float | None
    gap_from: float | None
    gap_to: float | None
    replies: int
    lost: int  # icmp_seq numbers without a reply between the first and the last reply

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def link_outage(replies: Sequence[tuple[float, int]], fault_at: float,
                interval: float = 0.005) -> LinkOutage:
    """Largest gap between consecutive replies that ends after `fault_at` (0 when the cut
    cost nothing more than the ping interval)."""
    if not replies:
        return LinkOutage(None, None, None, 0, 0)
    seqs = sorted({s for _, s in replies})
    lost = (seqs[-1] - seqs[0] + 1) - len(seqs)
    best: tuple[float, float, float] | None = None
    for (t0, _), (t1, _) in zip(replies, replies[1:], strict=False):
        if t1 < fault_at:
            continue
        gap = t1 - t0
        if best is None or gap > best[0]:
            best = (gap, t0, t1)
    if best is None:  # no reply after the cut at all
        return LinkOutage(None, replies[-1][0], None, len(replies), lost)
    gap, t0, t1 = best
    return LinkOutage(round(gap if gap > 2 * interval else 0.0, 4), t0, t1, len(replies), lost)


def rate_series(times: Sequence[float], start: float, end: float,
                bin_s: float = 0.1) -> tuple[list[float], list[float]]:
    """Events per second in bins of `bin_s` from `start` to `end`: (bin starts, rates)."""
    if end <= start:
        return [], []
    n = int((end - start) / bin_s) + 1
    counts = [0] * n
    for t in times:
        i = int((t - start) / bin_s)
        if 0 <= i < n:
            counts[i] += 1
    return [start + i * bin_s for i in range(n)], [c / bin_s for c in counts]


#: Why a drill did not pass, by code; report.json keeps the codes and their fields
#: (`reason_codes`), the reports and summaries say them in the reader's language.
REASONS = {
    "steady-before": N_("steady state did not hold at the start; no fault injected"),
    "steady-before-detail": N_("steady state did not hold at the start: {detail}; no fault "
                               "injected"),
    "interrupted": N_("{why}"),
    "steady-after": N_("steady state did not come back"),
    "steady-after-detail": N_("steady state did not come back: {detail}"),
    "no-write": N_("no write was acknowledged after the fault"),
    "rto-missed": N_("RTO {rto} s > objective {objective} s (DR level {level})"),
    "loss-unknown": N_("lost writes could not be counted (no primary to check against)"),
    "rpo-missed": N_("RPO {lost} acknowledged writes lost ({rpo} s) > objective {objective} s "
                     "(DR level {level})"),
}


def say_reason(reason: dict[str, Any], tr: Any) -> str:
    """One reason (`{"code": …, fields}`) as a sentence in the translator's language."""
    fields = {k: v for k, v in reason.items() if k != "code"}
    message = REASONS.get(reason.get("code", ""))
    return tr(message, **fields) if message else str(fields or reason.get("code"))


def verdict_of(objective: Objective, *, rto_s: float | None, rpo_s: float | None,
               lost_writes: int | None, faults_injected: int, steady_before: bool | None,
               steady_after: bool | None, interrupted: str | None = None,
               before_detail: str = "", after_detail: str = "") -> tuple[str, list[dict[str, Any]]]:
    """The verdict ("pass", "fail" or "aborted") and the reasons for it, as codes with fields.

    aborted: the steady state did not hold at the start (nothing was injected), or the run was
    interrupted (signal, abort condition). fail: the steady state did not come back, or an
    objective of the tenant's DR level was missed."""
    if steady_before is not True:
        return "aborted", [{"code": "steady-before-detail", "detail": before_detail}
                           if before_detail else {"code": "steady-before"}]
    if interrupted:
        return "aborted", [{"code": "interrupted", "why": interrupted}]
    reasons: list[dict[str, Any]] = []
    if steady_after is not True:
        reasons.append({"code": "steady-after-detail", "detail": after_detail}
                       if after_detail else {"code": "steady-after"})
    level = objective.level
    if faults_injected:
        if rto_s is None:
            reasons.append({"code": "no-write"})
        elif rto_s > objective.rto_s:
            reasons.append({"code": "rto-missed", "rto": f"{rto_s:.3f}",
                            "objective": f"{objective.rto_s:g}", "level": level})
    if lost_writes is None:
        reasons.append({"code": "loss-unknown"})
    elif lost_writes > 0 and (objective.rpo_s == 0 or (rpo_s or 0.0) > objective.rpo_s):
        reasons.append({"code": "rpo-missed", "lost": lost_writes, "rpo": f"{rpo_s or 0.0:.3f}",
                        "objective": f"{objective.rpo_s:g}", "level": level})
    return ("fail" if reasons else "pass"), reasons


def judge(objective: Objective, **measured: Any) -> tuple[str, list[str]]:
    """The verdict and its reasons in English (`verdict_of` has the arguments)."""
    from govops.i18n import translator

    verdict, reasons = verdict_of(objective, **measured)
    return verdict, [say_reason(r, translator("en")) for r in reasons]
