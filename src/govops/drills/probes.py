"""Probes of the DR drills: typed plain functions, usable without the Chaos Toolkit runner.

Steady-state probes return a dict with `ok` (the experiments' tolerance is the probe
`is_ok`, which chaoslib calls with the value) and a one-line `detail`, so a failed
hypothesis says why in the journal and the report. Method probes that wait for something
raise when it does not happen in time: the drill's control turns a failed method activity
into an abort (rollbacks run).

Examples::

    service_accepts_writes("http://198.19.250.254:40123")
    # {"ok": True, "centre": "dc-a", "latency_ms": 4.1, "detail": "filed probe-… on dc-a"}
    dc_roles(".lab/dc", "before", before={"primary": "dc-a", "sync": ["dc-b"], "async": ["dc-c"]})
    # {"ok": True, "primary": "dc-a", "detail": "dc-a primary; dc-b sync (0 B); dc-c async (0 B)"}
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from govops.drills import measure as m
from govops.drills.labinfo import follows
from govops.drills.workdir import LedgerTail, WorkDir

DEFAULT_MAX_LAG_BYTES = 1024 * 1024


def is_ok(value: dict[str, Any] | None = None) -> bool:
    """Tolerance of the steady-state probes: their result's `ok` is true."""
    return isinstance(value, dict) and value.get("ok") is True


# --- the service ---------------------------------------------------------------------------


def _http(method: str, url: str, body: dict[str, Any] | None, timeout: float) -> tuple[int, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - lab URL
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None


def service_accepts_writes(url: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """File one application through the service and read it back, retrying for `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    last = "no attempt"
    n = 0
    while True:
        n += 1
        app_id = f"probe-{int(time.time() * 1000):x}-{n}"
        t0 = time.perf_counter()
        try:
            status, body = _http("POST", f"{url}/applications",
                                 {"id": app_id, "citizen": "steady-state probe",
                                  "service": "probe"}, timeout=3)
            if status == 201:
                latency = (time.perf_counter() - t0) * 1000
                status2, row = _http("GET", f"{url}/applications/{app_id}", None, timeout=3)
                if status2 == 200 and row and row.get("id") == app_id:
                    return {"ok": True, "centre": body.get("centre"),
                            "latency_ms": round(latency, 1),
                            "detail": f"filed and read back {app_id} on {body.get('centre')}"}
                last = f"read back {app_id}: HTTP {status2}"
            else:
                last = f"HTTP {status}: {(body or {}).get('error', '')}"
        except (OSError, ValueError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            return {"ok": False, "centre": None, "latency_ms": None,
                    "detail": f"service at {url} does not accept writes: {last}"}
        time.sleep(0.2)


def promql_within(url: str, query: str, low: float | None = None, high: float | None = None,
                  timeout_s: float = 3.0, wait_s: float = 0.0, phase: str = "",
                  phases: list[str] | None = None, every_s: float = 1.0) -> dict[str, Any]:
    """A PromQL probe: the instant `query` has data and every series is within [low, high]
    (None: unbounded), e.g. `max(pair:govops_replication_rpo_margin_seconds:diff)` ≤ 1.

    `url` is Prometheus' base URL (the drills' `${prometheus_url}`). What Prometheus knows
    trails the lab by a scrape and a rule evaluation (5 s each in the lab), so the probe
    asks again every `every_s` for up to `wait_s` seconds until the condition holds —
    `waited_s` says how long it took; a hypothesis that holds costs one query. A probe
    whose `phases` (e.g. ["after"]) does not include the hypothesis' `phase` is not checked
    and passes, so one hypothesis can read the state expected before and after the method."""
    import urllib.parse

    if phases is not None and phase not in phases:
        return {"ok": True, "values": [], "skipped": True,
                "detail": f"not checked {phase or 'here'} (only {'/'.join(phases)})"}
    want = f"{'-inf' if low is None else f'{low:g}'}..{'+inf' if high is None else f'{high:g}'}"
    if not url:
        return {"ok": False, "values": [], "detail": "no Prometheus to ask: the lab's "
                "monitoring is not up (govops lab up) and GOVOPS_PROMETHEUS_URL is not set"}
    target = f"{url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    t0 = time.monotonic()
    deadline = t0 + wait_s
    while True:
        values: list[float] = []
        try:
            status, body = _http("GET", target, None, timeout=timeout_s)
        except (OSError, ValueError) as exc:
            ok, detail = False, f"Prometheus at {url}: {exc}"
        else:
            if status != 200 or not isinstance(body, dict) or body.get("status") != "success":
                error = body.get("error", "") if isinstance(body, dict) else ""
                ok, detail = False, f"Prometheus at {url}: HTTP {status} {error}".rstrip()
            else:
                values = [float(r["value"][1]) for r in body["data"].get("result", [])]
                ok = bool(values) and all((low is None or low <= v)
                                          and (high is None or v <= high) for v in values)
                detail = f"{query} = {values or 'no data'} (want {want})"
        if ok or time.monotonic() >= deadline:
            waited = round(time.monotonic() - t0, 2)
            if not ok and wait_s:
                detail += f" after {waited:g} s"
            elif ok and waited >= 0.5:
                detail += f" (held after {waited:g} s)"
            return {"ok": ok, "values": values, "waited_s": waited, "detail": detail}
        time.sleep(every_s)


# --- the three centres ---------------------------------------------------------------------


def reply_ages(dc_dir: str) -> dict[str, float]:
    """Seconds since each standby last reported to the primary (pg_stat_replication.reply_time),
    by centre name. A standby cut off a moment ago still shows as streaming until the
    primary's wal_sender_timeout (10 s); its reply age grows from the first second."""
    import psycopg

    from govops.lab import datacentres

    with psycopg.connect(datacentres.dsn(dc_dir, primary_first=True), autocommit=True) as conn:
        rows = conn.execute("SELECT application_name, EXTRACT(EPOCH FROM now() - reply_time)"
                            "::float8 FROM pg_stat_replication").fetchall()
    return {str(app).replace("_", "-"): float(age) for app, age in rows if age is not None}


def dc_roles(dc_dir: str, phase: str = "before", before: dict[str, Any] | None = None,
             after: dict[str, Any] | None = None,
             max_lag_bytes: int = DEFAULT_MAX_LAG_BYTES,
             max_reply_age_s: float = 3.0, settle_s: float = 0.0) -> dict[str, Any]:
    """Exactly one primary, and the roles expected in this `phase` ("before"/"after").

    An expectation names the `primary` and the standbys that must stream from it
    synchronously (`sync`) and asynchronously (`async`) — walsender state 'streaming', not
    'catchup' — each at most `max_lag_bytes` behind and heard from within
    `max_reply_age_s`; None or {} only requires a single running primary. A standby that is
    still catching up (after a re-point, or behind the delayed remote link on a busy
    machine) gets up to `settle_s` seconds; `waited_s` says how long it took."""
    deadline = time.monotonic() + settle_s
    t0 = time.monotonic()
    while True:
        result = _dc_roles_once(dc_dir, (before if phase == "before" else after) or {},
                                max_lag_bytes, max_reply_age_s)
        if result["ok"] or time.monotonic() >= deadline:
            result["waited_s"] = round(time.monotonic() - t0, 2)
            return result
        time.sleep(0.5)


def _dc_roles_once(dc_dir: str, expect: dict[str, Any], max_lag_bytes: int,
                   max_reply_age_s: float) -> dict[str, Any]:
    from govops.lab import datacentres

    st = datacentres.status(dc_dir)
    if not st.built:
        return {"ok": False, "primary": None, "centres": {},
                "detail": f"no DC lab at {dc_dir}: run govops lab up"}
    problems: list[str] = []
    primaries = [c.name for c in st.centres if c.current_role == "primary"]
    if len(primaries) != 1:
        problems.append(f"{len(primaries)} running primaries ({', '.join(primaries) or 'none'})")
    want = expect.get("primary")
    if want and primaries != [want]:
        problems.append(f"{want} is not the primary ({st.centre(want).current_role})")
    ages: dict[str, float] = {}
    if expect.get("sync") or expect.get("async"):
        try:
            ages = reply_ages(dc_dir)
        except Exception as exc:  # noqa: BLE001 - no primary to ask: reported below
            problems.append(f"cannot read pg_stat_replication: {str(exc).strip()[:120]}")
    for kind in ("sync", "async"):
        for name in expect.get(kind, []):
            c = st.centre(name)
            if c.current_role != "standby" or not c.streaming:
                problems.append(f"{name} does not stream from the primary ({c.current_role})")
            elif (c.sync_state or "") != kind and not (kind == "async" and c.sync_state == "potential"):
                problems.append(f"{name} replicates {c.sync_state}, expected {kind}")
            elif c.lag_bytes is None or c.lag_bytes > max_lag_bytes:
                problems.append(f"{name} is {c.lag_bytes} bytes behind (limit {max_lag_bytes})")
            elif ages and ages.get(name, float("inf")) > max_reply_age_s:
                problems.append(f"{name} has not replied for {ages.get(name, float('inf')):.1f} s "
                                f"(limit {max_reply_age_s:g} s)")
            elif len(primaries) == 1 and not follows(Path(dc_dir), name, primaries[0], 0.0):
                problems.append(f"{name} is not on {primaries[0]}'s timeline: it diverged "
                                "(pg_rewind needed)")
    centres = {c.name: {"role": c.current_role, "running": c.running, "cut": c.cut,
                        "upstream": c.upstream, "sync_state": c.sync_state,
                        "lag_bytes": c.lag_bytes} for c in st.centres}
    summary = "; ".join(
        f"{c.name} {c.current_role}" + (f" {c.sync_state} ({c.lag_bytes} B)"
                                        if c.current_role == "standby" and c.streaming else "")
        for c in st.centres)
    return {"ok": not problems, "primary": primaries[0] if len(primaries) == 1 else None,
            "centres": centres, "detail": "; ".join(problems) if problems else summary}


def _wal_position(dc_dir: str) -> tuple[float, int] | None:
    """(time, the primary's current WAL position in bytes), None when no primary answers."""
    import psycopg

    from govops.lab import datacentres

    try:
        with psycopg.connect(datacentres.dsn(dc_dir, primary_first=True), autocommit=True) as c:
            row = c.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
                            ).fetchone()
        return time.time(), int(row[0])  # type: ignore[index]
    except (psycopg.Error, TypeError):
        return None


def async_lag(dc_dir: str, work_dir: str, centre: str = "dc-c", seconds: float = 1.0,
              every: float = 0.05) -> dict[str, Any]:
    """Sample how far `centre` is behind the primary for `seconds` (an `async-lag` event).

    Bytes: the primary's WAL position minus the standby's replay position. Seconds, two
    ways: pg_stat_replication.replay_lag (commit → replayed; it goes stale when the standby
    stops making progress) and `est_seconds` = bytes behind ÷ the primary's WAL rate over the
    sample — how many seconds of writes the standby does not have, the bound on what a
    disaster now would lose."""
    from govops.lab import datacentres

    first = _wal_position(dc_dir)
    deadline = time.monotonic() + seconds
    lag_b: list[int] = []
    lag_s: list[float] = []
    while True:
        lag = datacentres.replication_lag(dc_dir).get(centre)
        if lag is not None:
            if lag.lag_bytes is not None:
                lag_b.append(lag.lag_bytes)
            if lag.lag_seconds is not None:
                lag_s.append(lag.lag_seconds)
        if time.monotonic() >= deadline:
            break
        time.sleep(every)
    last = _wal_position(dc_dir)
    rate = None
    if first and last and last[0] > first[0] and last[1] > first[1]:
        rate = (last[1] - first[1]) / (last[0] - first[0])
    result = {
        "centre": centre,
        "samples": max(len(lag_b), len(lag_s)),
        "max_bytes": max(lag_b) if lag_b else None,
        "mean_bytes": round(sum(lag_b) / len(lag_b), 1) if lag_b else None,
        "max_seconds": round(max(lag_s), 6) if lag_s else None,
        "mean_seconds": round(sum(lag_s) / len(lag_s), 6) if lag_s else None,
        "wal_bytes_per_s": round(rate, 1) if rate else None,
        "est_seconds": round(max(lag_b) / rate, 4) if rate and lag_b else None,
    }
    WorkDir(work_dir).event("async-lag", **result)
    return result


# --- the load and the recovery -------------------------------------------------------------


def load_is_flowing(work_dir: str, rate: float, window_s: float = 1.0,
                    min_ratio: float = 0.8) -> dict[str, Any]:
    """Abort condition before a fault: the last `window_s` saw ≥ min_ratio × rate acks."""
    work = WorkDir(work_dir)
    end = time.time() - 0.1
    n = sum(1 for a in work.read_ledger() if end - window_s <= a.acked < end)
    need = min_ratio * rate * window_s
    if n < need:
        raise RuntimeError(f"load is not flowing: {n} writes acknowledged in the last "
                           f"{window_s:g} s, need {need:.0f} ({min_ratio:.0%} of {rate:g}/s)")
    return {"ok": True, "acked": n, "window_s": window_s}


def _last_fault(work: WorkDir) -> dict[str, Any]:
    found = m.faults(work.read_events())
    if not found:
        raise RuntimeError("no fault was injected in this drill")
    return found[-1]


def wait_for_failover(work_dir: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """Wait until the failover manager has promoted a standby and re-pointed the others."""
    work = WorkDir(work_dir)
    fault = _last_fault(work)
    deadline = time.monotonic() + timeout_s
    while True:
        events = [e for e in work.read_events() if e.get("t", 0) >= fault["t"]]
        done = next((e for e in events if e["event"] == "failover-done"), None)
        failed = next((e for e in events if e["event"] in ("failover-failed",
                                                            "no-failure-detected")), None)
        if done:
            detected = next((e for e in events if e["event"] == "detected"), None)
            promoted = next((e for e in events if e["event"] == "promoted"), None)
            return {"primary": done.get("primary"),
                    "detected_after_s": round(detected["t"] - fault["t"], 4) if detected else None,
                    "promoted_after_s": round(promoted["t"] - fault["t"], 4) if promoted else None,
                    "done_after_s": round(done["t"] - fault["t"], 4)}
        if failed:
            detail = json.dumps({k: v for k, v in failed.items() if k != "t"}, ensure_ascii=False)
            raise RuntimeError(f"failover manager: {failed['event']} ({detail})")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"no failover within {timeout_s:g} s of the fault (abort)")
        time.sleep(0.02)


def wait_for_first_write(work_dir: str, timeout_s: float = 30.0,
                         required: bool = True) -> dict[str, Any]:
    """Wait for the first write acknowledged after the last fault by a centre that was not
    lost (the promoted one when known); records a `first-write` event. Without a fault it
    raises, unless not `required` (a failback with nothing to fail back)."""
    work = WorkDir(work_dir)
    if not required and not m.faults(work.read_events()):
        return {"skipped": "no fault in this drill"}
    fault = _last_fault(work)
    lost = set(fault.get("lost", []))
    tail = LedgerTail(work.ledger)
    deadline = time.monotonic() + timeout_s
    while True:
        expect = fault.get("expect")
        if expect is None:
            promoted = [e for e in work.read_events()
                        if e.get("event") == "promoted" and e["t"] >= fault["t"]]
            expect = promoted[0]["centre"] if promoted else None
        for ack in tail.new():
            if ack.acked < fault["t"] or ack.centre in lost:
                continue
            if expect is None or ack.centre == expect:
                rto = ack.acked - fault["t"]
                work.event("first-write", t=ack.acked, centre=ack.centre, id=ack.id,
                           rto_s=round(rto, 4))
                return {"centre": ack.centre, "id": ack.id, "rto_s": round(rto, 4)}
        if time.monotonic() >= deadline:
            raise RuntimeError(f"no write acknowledged within {timeout_s:g} s of the fault "
                               "(abort)")
        time.sleep(0.01)


def present_ids(dc_dir: str, ids: list[str], chunk: int = 5000) -> set[str]:
    """Which of `ids` the current primary has (through the lab's read-write DSN)."""
    import psycopg

    from govops.lab import datacentres

    found: set[str] = set()
    with psycopg.connect(datacentres.dsn(dc_dir, primary_first=True), autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('applications')").fetchone()[0] is None:  # type: ignore[index]
            return found
        for i in range(0, len(ids), chunk):
            rows = conn.execute("SELECT id FROM applications WHERE id = ANY(%s)",
                                (ids[i:i + chunk],)).fetchall()
            found.update(r[0] for r in rows)
    return found


def measure(work_dir: str, dc_dir: str) -> dict[str, Any]:
    """RTO of every fault and the acknowledged writes lost; writes measurement.json."""
    from govops.drills.workdir import write_json

    work = WorkDir(work_dir)
    events = work.read_events()
    acks = work.read_ledger()
    outs = m.outages(events, acks)
    fault_list = m.faults(events)
    first_fault = fault_list[0]["t"] if fault_list else None
    try:
        present = present_ids(dc_dir, [a.id for a in acks])
        loss: m.DataLoss | None = m.data_loss(acks, present, first_fault)
        error = None
    except Exception as exc:  # noqa: BLE001 - no primary: lost writes cannot be counted
        loss, error = None, str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    rtos = [o.seconds for o in outs]
    result = {
        "rto_s": (None if any(r is None for r in rtos) else round(max(rtos), 4)) if rtos else None,
        "rpo_s": loss.rpo_s if loss else None,
        "lost_writes": loss.lost if loss else None,
        "acknowledged_writes": len(acks),
        "outages": [o.to_dict() for o in outs],
        "loss": loss.to_dict() if loss else None,
        "loss_error": error,
        "split_brain_writes": sum(o.split_brain_writes for o in outs),
    }
    write_json(work.measurement, result)
    return {k: v for k, v in result.items() if k not in ("outages", "loss")}


def tenant_display_name(estate: str, tenant: str) -> str:
    """The tenant's display name (its Chinese name, say), or '' when it has none."""
    from govops.estate.loader import load_estate

    found = load_estate(Path(estate)).tenants.get(tenant)
    return found.display_name if found else ""


def objective_for(estate: str, tenant: str | None) -> tuple[str, m.Objective]:
    """The drill's tenant (default: the first with the highest DR level) and its objective."""
    from govops.errors import BadInput
    from govops.estate.loader import load_estate

    loaded = load_estate(Path(estate))
    tenants = loaded.tenants
    if not tenants:
        raise BadInput(f"estate {estate} has no tenants: name one with --tenant")
    if tenant:
        if tenant not in tenants:
            raise BadInput(f"unknown tenant {tenant!r} in {estate}: use one of "
                           f"{', '.join(tenants)}")
        chosen = tenants[tenant]
    else:
        top = max(t.dr_level for t in tenants.values())
        chosen = next(t for t in tenants.values() if t.dr_level == top)
    level = loaded.dr_objective(chosen.dr_level)
    return chosen.name, m.Objective(rto_s=level.rto_s, rpo_s=level.rpo_s,
                                    level=chosen.dr_level, name=level.name)
