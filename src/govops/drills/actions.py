"""Actions of the DR drills (faults, recovery, rollbacks): typed plain functions.

Each action writes what it does to the drill's events.jsonl. A fault writes an `…-intent`
event *before* it touches the lab, so a rollback — also one run by the next `govops drill
run` after this runner was killed — knows what to undo even if the action never returned.
Rollbacks are idempotent and only undo what the drill did.

Examples::

    lose_centres(work, ".lab/dc", ["dc-a"])          # site loss: silent cut + kill -9
    switch_over(work, ".lab/dc", "dc-a", "dc-b")     # planned, zero loss
    fail_back(work, ".lab/dc")                       # pg_rewind + switchover to dc-a
    heal_network(work, ".lab/dc"); ensure_writable_primary(work, ".lab/dc")
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from govops.drills import spawn
from govops.drills.labinfo import by_role, follows, recorded_primary, wait_postmaster_gone
from govops.drills.workdir import WorkDir


def _wait_event(work: WorkDir, name: str, since: float, timeout: float,
                role: str | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        for e in work.read_events():
            if e.get("event") == name and e.get("t", 0) >= since:
                return e
        if role is not None and spawn.running(work, role) is None:
            tail = work.log(role).read_text(errors="replace").strip().splitlines()[-1:] \
                if work.log(role).exists() else []
            raise RuntimeError(f"{role} exited before '{name}': {' '.join(tail)} "
                               f"(see {work.log(role)})")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"no '{name}' event from {role or 'the drill'} within "
                               f"{timeout:g} s (see {work.path})")
        time.sleep(0.02)


# --- the service and its load (started and stopped by the drill's control) ------------------


def start_service(work_dir: str, dc_dir: str, listen: str | None = None) -> str:
    """Start the e-government service in the root namespace, listening on the root
    namespace's interconnect address (`listen` overrides); returns its URL."""
    from govops.drills.labinfo import client_address

    work = WorkDir(work_dir)
    since = time.time()
    address = listen or client_address(Path(dc_dir))
    spawn.start(work, "service", "service", ["--dc-dir", str(dc_dir), "--listen", address])
    event = _wait_event(work, "service-listening", since, 15, role="service")
    return str(event["url"])


def start_load(work_dir: str, url: str, rate: float = 200.0) -> dict[str, Any]:
    """Start the load generator (`rate` writes a second against `url`)."""
    work = WorkDir(work_dir)
    since = time.time()
    spawn.start(work, "loadgen", "loadgen", ["--url", url, "--rate", str(rate)])
    return _wait_event(work, "load-started", since, 15, role="loadgen")


def stop_load(work_dir: str) -> dict[str, Any]:
    """Stop the load generator (in-flight writes finish first); returns its counts."""
    work = WorkDir(work_dir)
    since = time.time()
    if not spawn.stop(work, "loadgen"):
        stopped = [e for e in work.read_events() if e.get("event") == "load-stopped"]
        return stopped[-1] if stopped else {"event": "load-stopped", "note": "was not running"}
    try:
        return _wait_event(work, "load-stopped", since, 2)
    except RuntimeError:
        return {"event": "load-stopped", "note": "stopped without reporting its counts"}


# --- unplanned loss ------------------------------------------------------------------------


def start_failover_manager(work_dir: str, dc_dir: str, candidates: list[str],
                           interval_s: float = 0.2, misses: int = 3,
                           timeout_s: float = 300.0) -> dict[str, Any]:
    """Start the failover manager (watches the primary, promotes the first live candidate)
    and wait until it watches a healthy primary."""
    work = WorkDir(work_dir)
    since = time.time()
    spawn.start(work, "sentinel", "failover",
                ["--dc-dir", str(dc_dir), "--candidates", ",".join(candidates),
                 "--primary", recorded_primary(Path(dc_dir)), "--interval", str(interval_s),
                 "--misses", str(misses), "--timeout", str(timeout_s)])
    event = _wait_event(work, "watching", since, 10, role="sentinel")
    return {"watching": event["centre"], "interval_s": interval_s, "misses": misses,
            "candidates": candidates}


def lose_centres(work_dir: str, dc_dir: str, centres: list[str]) -> dict[str, Any]:
    """Lose `centres` without warning: drop all their traffic silently (one after the other,
    within milliseconds), then kill -9 every process in them. The fault's time is the first
    cut."""
    from govops.lab import datacentres

    work = WorkDir(work_dir)
    label = "loss of " + " and ".join(centres)
    first_cut = None
    for name in centres:
        work.event("cut-intent", centre=name)
        step = datacentres.cut_centre_network(dc_dir, name)
        t_cut = step.marks.get("cut", step.started_at)
        work.event("cut", t=t_cut, centre=name)
        if first_cut is None:
            first_cut = t_cut
            work.event("fault", t=t_cut, kind="centre-loss", lost=list(centres), label=label)
    killed = {}
    for name in centres:
        step = datacentres.kill_centre(dc_dir, name)
        work.event("killed", t=step.marks.get("killed", time.time()), centre=name,
                   detail=step.detail)
        killed[name] = step.detail
    return {"fault_at": first_cut, "lost": centres, "killed": killed}


# --- planned moves -------------------------------------------------------------------------


def switch_over(work_dir: str, dc_dir: str, source: str, target: str) -> dict[str, Any]:
    """Planned switchover `source` → `target` (clean stop, catch-up, promote, rejoin)."""
    work = WorkDir(work_dir)
    work.event("switchover-intent", source=source, target=target)
    result = _planned_switchover(work, Path(dc_dir), source, target)
    ensure_sync_partner(dc_dir)
    return result


def _planned_switchover(work: WorkDir, dc: Path, source: str, target: str) -> dict[str, Any]:
    """`datacentres.switchover` with its moments as events; the fault is the moment the old
    primary starts to stop. When it fails after the promotion (the lab's clean-up can trip
    over a standby that reconnected to the old primary meanwhile), the rest is finished here:
    every running standby is made to stream from the new primary, and the fault is dated from
    the request."""
    import psycopg

    from govops.lab import datacentres
    from govops.lab.errors import LabError

    t0 = time.time()
    label = f"switchover {source} → {target}"
    try:
        step = datacentres.switchover(dc, source, target)
    except (LabError, psycopg.Error) as exc:
        if datacentres.status(dc).primary != target:
            raise
        work.event("fault", t=t0, kind="switchover", source=source, expect=target, label=label)
        work.event("switchover-cleanup", error=str(exc).strip().splitlines()[0][:200])
        for c in datacentres.status(dc).centres:
            if c.name != target and c.current_role == "standby" and not c.cut:
                _rejoin(dc, c.name, target, lambda *_a, **_k: None)
        return {"source": source, "target": target, "note": "finished after a lab error"}
    work.event("fault", t=step.started_at, kind="switchover", source=source, expect=target,
               label=label)
    for mark in ("stopped", "caught_up"):
        if mark in step.marks:
            work.event(mark.replace("_", "-"), t=step.marks[mark], centre=source)
    work.event("promoted", t=step.marks["promoted"], centre=target)
    if "rejoined" in step.marks:
        work.event("rejoined", t=step.marks["rejoined"], centre=source, upstream=target)
    return {"source": source, "target": target, "seconds": round(step.seconds, 4),
            "writes_unavailable_s": round(step.marks["promoted"] - step.started_at, 4)}


def _record_switchover(work: WorkDir, step: Any, source: str, target: str) -> None:
    """Events of a switchover done by `restore_topology` (moments known afterwards)."""
    work.event("fault", t=step.started_at, kind="switchover", source=source, expect=target,
               label=f"switchover {source} → {target}")
    work.event("promoted", t=step.marks["promoted"], centre=target)


def fail_back(work_dir: str, dc_dir: str) -> dict[str, Any]:
    """Return the primary role to the original primary centre and restore the topology.

    1. the original primary comes back as a standby of the current primary (pg_rewind when it
       diverged — it always has after an unplanned loss);
    2. a planned switchover hands it the primary role (zero loss; running standbys follow);
    3. every other centre that does not stream from it yet is rewound onto it — after a
       regional disaster that is the same-city centre, rewound locally from dc-a rather than
       over the long link from the remote centre;
    4. the same-city centre is made synchronous again.
    Whatever cannot be done this way is left to `datacentres.restore_topology` (which also
    re-clones a centre pg_rewind cannot repair)."""
    import psycopg

    from govops.lab import datacentres
    from govops.lab.errors import LabError

    work = WorkDir(work_dir)
    dc = Path(dc_dir)
    original = by_role(dc, "primary").name
    st = datacentres.status(dc)
    current = st.primary
    work.event("failback-intent", current=current, target=original)
    done: list[dict[str, Any]] = []

    def note(step: Any, event: str | None = None, **extra: Any) -> None:
        name = event or step.action.replace("_", "-")
        t = step.marks.get("streaming", step.started_at + step.seconds)
        work.event(name, t=t, centre=step.centre, seconds=round(step.seconds, 4),
                   detail=step.detail, **extra)
        done.append({"action": step.action, "centre": step.centre,
                     "seconds": round(step.seconds, 4)})

    _wait_killed(dc)
    try:
        if current is None:
            raise LabError("no running primary")
        for c in st.centres:
            if c.cut:
                note(datacentres.restore_centre_network(dc, c.name), "restored")
        if current != original:
            _rejoin(dc, original, current, note)
            done.append({"action": "switchover", "centre": original,
                         **_planned_switchover(work, dc, current, original)})
        for c in datacentres.status(dc).centres:
            if c.name != original and not (c.current_role == "standby" and c.streaming
                                           and follows(dc, c.name, original, 1.0)):
                _rejoin(dc, c.name, original, note)
    except (LabError, psycopg.Error) as exc:
        work.event("failback-fallback", reason=str(exc).strip().splitlines()[0][:200])
        _wait_killed(dc)
        for step in datacentres.restore_topology(dc):
            if step.action == "switchover":
                _record_switchover(work, step, current or original, step.centre)
            else:
                note(step, "rewound" if step.action == "rewind_and_rejoin" else None)
    partner = ensure_sync_partner(dc_dir)
    work.event("sync-partner", centre=partner)
    return {"from": current, "to": original, "steps": done, "synchronous": partner}


def _rejoin(dc: Path, name: str, primary: str, note: Any) -> None:
    """Make `name` stream from `primary`: re-point a running standby, else pg_rewind."""
    from govops.lab import datacentres
    from govops.lab.errors import LabError

    st = datacentres.status(dc).centre(name)
    if st.current_role == "standby":
        if st.streaming and follows(dc, name, primary, 1.0):
            return
        try:
            note(datacentres.repoint_standby(dc, name, primary))
            if follows(dc, name, primary, 5.0):
                return
        except LabError:
            pass
    note(datacentres.rewind_and_rejoin(dc, name, primary), "rewound")


def ensure_sync_partner(dc_dir: str, timeout: float = 15.0) -> str | None:
    """Make the primary's same-city partner its synchronous standby again, if it runs.

    The lab names a partner in synchronous_standby_names only when the partner's walsender is
    in state 'streaming'; right after a re-point, rewind or restart it is often still in
    'catchup', and the pair silently stays asynchronous. This waits for 'streaming' and asks
    the lab again (re-pointing a standby at the primary it already follows ends with that
    check). Returns the partner when it is synchronous, else None."""
    from govops.lab import datacentres
    from govops.lab.errors import LabError

    dc = Path(dc_dir)
    pair = (by_role(dc, "primary").name, by_role(dc, "same-city").name)
    deadline = time.monotonic() + timeout
    while True:
        st = datacentres.status(dc)
        if st.primary not in pair:
            return None
        partner = pair[1] if st.primary == pair[0] else pair[0]
        c = st.centre(partner)
        if c.current_role != "standby" or c.cut:
            return None
        if c.sync_state == "sync":
            return partner
        if c.streaming:
            try:
                datacentres.repoint_standby(dc, partner, st.primary)
            except LabError:
                pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def _wait_killed(dc: Path) -> None:
    """Let init reap the postmasters of killed centres before anything restarts them."""
    from govops.drills.labinfo import centres as lab_centres

    for c in lab_centres(dc):
        wait_postmaster_gone(dc, c.name)


def _restore_topology(work: WorkDir, dc: Path) -> list[Any]:
    from govops.lab import datacentres

    _wait_killed(dc)
    steps = datacentres.restore_topology(dc)
    ensure_sync_partner(str(dc))
    work.event("restored-topology", steps=[s.action for s in steps])
    return steps


# --- rollbacks -----------------------------------------------------------------------------


def stop_helpers(work_dir: str, roles: list[str] | None = None) -> dict[str, Any]:
    """Stop the drill's helper processes (default: failover manager, pinger, load)."""
    work = WorkDir(work_dir)
    stopped = spawn.stop_all(work, tuple(roles or ("sentinel", "pinger", "loadgen")))
    return {"stopped": stopped}


def heal_network(work_dir: str, dc_dir: str, keep_lost: bool = False) -> dict[str, Any]:
    """Stop dropping the traffic of every centre this drill cut off (idempotent).

    With `keep_lost`, a drill that ran to its end — its method done, a survivor writing
    again, no abort, no signal — leaves the centres it lost cut off: a lost site stays lost
    (unreachable, as the monitoring's SiteDown sees it) until the failback drill brings it
    back. An interrupted or aborted drill always heals."""
    from govops.lab import datacentres

    work = WorkDir(work_dir)
    events = work.read_events()
    centres = sorted({e["centre"] for e in events if e.get("event") == "cut-intent"})
    if keep_lost and centres and _ran_to_its_end(events):
        work.event("kept-lost", centre=", ".join(centres))
        return {"healed": [], "kept_lost": centres}
    healed = []
    for name in centres:
        step = datacentres.restore_centre_network(dc_dir, name)
        if step.detail != "was not cut":
            work.event("restored", t=step.marks.get("restored", time.time()), centre=name)
            healed.append(name)
    return {"healed": healed}


def _ran_to_its_end(events: list[dict[str, Any]]) -> bool:
    """The method finished after its last fault, a survivor acknowledged a write, and
    nothing aborted or interrupted the drill."""
    names = [e.get("event") for e in events]
    if "abort" in names or "signal" in names or "method-done" not in names:
        return False
    faults = [e for e in events if e.get("event") == "fault"]
    return bool(faults) and any(e.get("event") == "first-write" and e.get("t", 0) >= faults[-1]["t"]
                                for e in events)


def ensure_writable_primary(work_dir: str, dc_dir: str) -> dict[str, Any]:
    """Leave the lab serving: a running primary (else the original topology is restored)
    with every running standby streaming from it (re-pointed, or rewound when it diverged).
    A centre the drill lost stays down: bringing it back is what `failback` is for."""
    from govops.lab import datacentres

    work = WorkDir(work_dir)
    st = datacentres.status(dc_dir)
    if st.primary is None:
        _restore_topology(work, Path(dc_dir))
        return {"primary": datacentres.status(dc_dir).primary, "restored_topology": True}
    fixed = []
    for c in st.centres:
        if c.name == st.primary or c.current_role != "standby":
            continue
        if c.cut:  # cut off by someone else than this drill: nothing can reach it
            fixed.append(f"{c.name} left alone (its traffic is dropped)")
            continue
        if c.streaming and follows(Path(dc_dir), c.name, st.primary, 1.0):
            continue
        how: list[str] = []
        _rejoin(Path(dc_dir), c.name, st.primary,
                lambda step, *_a, _how=how, **_k: _how.append(step.action))
        fixed.append(f"{c.name} {' then '.join(how) or 'already following'}")
        work.event("reattached", centre=c.name, upstream=st.primary, how=how)
    return {"primary": st.primary, "reattached": fixed}


def restore_original_roles(work_dir: str, dc_dir: str) -> dict[str, Any]:
    """Restore the lab's original topology unless it is already in place (idempotent)."""
    from govops.drills.probes import dc_roles

    dc = Path(dc_dir)
    original = {"primary": by_role(dc, "primary").name, "sync": [by_role(dc, "same-city").name],
                "async": [by_role(dc, "remote-dr").name]}
    if dc_roles(dc_dir, "before", before=original)["ok"]:
        return {"restored": False}
    steps = _restore_topology(WorkDir(work_dir), dc)
    return {"restored": True, "steps": [s.action for s in steps]}
