"""The three-centre lab for real: namespaces, delayed path, PostgreSQL replication, failover,
failback and teardown (root, real PostgreSQL 15, no mocks).

The scenario tests share one lab and run in file order: build → write (sync to dc-b, async to
dc-c) → delay → site loss (kill dc-a, promote dc-b, re-point dc-c) → failback (rewind dc-a,
switchover) → regional disaster and restore_topology → teardown. The crash tests build their
own lab in a subprocess and kill it half-way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from govops.lab import datacentres as dc
from govops.lab import dcnet
from govops.lab.dcspec import DcLabSpec, default_spec
from govops.lab.dcstate import PG_BIN, netns_list
from govops.lab.errors import LabError

pytestmark = [
    pytest.mark.lab,
    pytest.mark.own_lab,
    pytest.mark.timeout(120),
    pytest.mark.skipif(os.geteuid() != 0, reason="the DC lab needs root"),
    pytest.mark.skipif(
        not (PG_BIN / "initdb").exists() or not Path("/usr/sbin/nft").exists(),
        reason="needs PostgreSQL 15 and nftables "
        "(apt-get install -y --no-install-recommends postgresql nftables)",
    ),
]

DELAY_MS = 2.5
NAMESPACES = ("dc-core", "dc-a", "dc-b", "dc-c")


def _scratch() -> Path:
    """A scratch directory the postgres user can reach (pytest's tmp_path is root-only)."""
    base = Path(tempfile.mkdtemp(prefix="govops-dc-", dir="/tmp"))
    base.chmod(0o755)
    return base


def _require_no_other_lab() -> None:
    owner = dcnet.lab_owner()
    if owner is not None or any(n in netns_list() for n in NAMESPACES):
        pytest.skip(f"a DC lab is up ({owner}): tear it down to run these tests")


def _lab_pids(spec: DcLabSpec) -> set[int]:
    """Every PID that belongs to the lab now: namespace members, postmasters, forwarder."""
    pids: set[int] = set()
    for name in NAMESPACES:
        out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
        pids |= {int(p) for p in out.stdout.split()}
    return pids | _pids_mentioning(str(spec.state_dir))


def _pids_mentioning(text: str) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmd:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def _assert_nothing_left(spec: DcLabSpec, pids: set[int]) -> None:
    assert not [n for n in NAMESPACES if n in netns_list()], "namespaces left"
    assert not Path("/sys/class/net", dcnet.ROOT_LINK).exists(), "root link left"
    routes = subprocess.run(["ip", "route", "show", "198.19.250.0/24"], capture_output=True,
                            text=True).stdout + subprocess.run(
        ["ip", "-6", "route", "show", "2001:db8:dc::/64"], capture_output=True, text=True).stdout
    assert routes.strip() == "", f"routes left: {routes}"
    assert not [p for p in pids if _alive(p)], "processes left"
    assert not _pids_mentioning(str(spec.state_dir)), "processes mentioning the state dir left"
    assert not Path(spec.state_dir).exists(), "state directory left"


@pytest.fixture(scope="module")
def lab() -> Iterator[DcLabSpec]:
    _require_no_other_lab()
    base = _scratch()
    spec = default_spec(base / "dc", remote_delay_ms=DELAY_MS)
    try:
        yield spec
    finally:
        dc.teardown(spec.state_dir)  # no-op when test_teardown already ran
        base.rmdir()


def _query(spec: DcLabSpec, centre: str, sql: str, params: tuple = ()) -> list[tuple]:
    sock = Path(spec.state_dir) / centre / "run"
    with psycopg.connect(f"host={sock} port={spec.pg_port} user=postgres dbname={spec.dbname}",
                         autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _roles(spec: DcLabSpec) -> dict[str, tuple[str, str | None, str | None]]:
    return {c.name: (c.current_role, c.upstream, c.sync_state)
            for c in dc.status(spec.state_dir).centres}


ORIGINAL = {
    "dc-a": ("primary", None, None),
    "dc-b": ("standby", "dc-a", "sync"),
    "dc-c": ("standby", "dc-a", "async"),
}
FIGURES: dict[str, float] = {}


def test_build_three_centres(lab: DcLabSpec) -> None:
    state = dc.build(lab)
    FIGURES["build_s"] = state.build_seconds
    assert state.primary == "dc-a"
    assert state.delay_pid is not None
    assert _roles(lab) == ORIGINAL
    st = dc.status(lab.state_dir)
    assert all(c.netns and c.running and not c.cut for c in st.centres)
    # idempotent: a second build finds everything and changes nothing
    again = dc.build(lab)
    assert [c.pid for c in again.centres] == [c.pid for c in state.centres]
    assert again.delay_pid == state.delay_pid
    assert again.build_seconds < 5
    # a different spec for the same state directory is refused in one line
    other = DcLabSpec(lab.centres, 9.0, lab.state_dir)
    with pytest.raises(LabError, match="another spec"):
        dc.build(other)
    with psycopg.connect(dc.dsn(lab.state_dir), autocommit=True) as conn:
        conn.execute("CREATE TABLE ledger (id bigserial PRIMARY KEY, at timestamptz "
                     "DEFAULT clock_timestamp())")
    with psycopg.connect(dc.dsn(lab.state_dir, family=6)) as conn:  # IPv6 works too
        assert conn.info.host == "2001:db8:dc::1"


def test_write_is_synchronous_to_b_and_asynchronous_to_c(lab: DcLabSpec) -> None:
    dsn = dc.dsn(lab.state_dir)

    def receiver_pid(centre: str) -> int:
        return _query(lab, centre, "SELECT pid FROM pg_stat_wal_receiver")[0][0]

    def insert() -> int:
        with psycopg.connect(dsn, autocommit=True) as conn:
            return conn.execute("INSERT INTO ledger DEFAULT VALUES RETURNING id").fetchone()[0]

    # with dc-c's WAL receiver frozen, a commit still returns at once: dc-c is asynchronous
    frozen = receiver_pid("dc-c")
    os.kill(frozen, signal.SIGSTOP)
    try:
        t0 = time.perf_counter()
        row_c = insert()
        assert time.perf_counter() - t0 < 1.0
    finally:
        os.kill(frozen, signal.SIGCONT)
    # with dc-b's WAL receiver frozen, the commit waits for it: dc-b is synchronous
    frozen = receiver_pid("dc-b")
    result: list[int] = []
    os.kill(frozen, signal.SIGSTOP)
    try:
        writer = threading.Thread(target=lambda: result.append(insert()))
        writer.start()
        writer.join(0.8)
        assert writer.is_alive() and not result, "commit returned without dc-b"
    finally:
        os.kill(frozen, signal.SIGCONT)
    writer.join(10)
    assert result, "commit did not return once dc-b came back"
    # the row is on dc-b's disk at commit time; dc-c shows it after the async lag
    row = result[0]
    deadline = time.monotonic() + 2
    while not _query(lab, "dc-b", "SELECT 1 FROM ledger WHERE id = %s", (row,)):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    t0 = time.perf_counter()
    while not _query(lab, "dc-c", "SELECT 1 FROM ledger WHERE id = ANY(%s)", ([row, row_c],)):
        assert time.perf_counter() - t0 < 5, "dc-c never received the row"
        time.sleep(0.005)
    lags = dc.replication_lag(lab.state_dir)
    assert lags["dc-b"].sync_state == "sync" and lags["dc-c"].sync_state == "async"
    assert lags["dc-b"].streaming and lags["dc-c"].streaming


def test_remote_centre_is_delayed(lab: DcLabSpec) -> None:
    far = dc.probe_rtt(lab.state_dir, "dc-c", count=20, interval=0.02)
    far_from_a = dc.probe_rtt(lab.state_dir, "dc-c", from_netns="dc-a", count=20, interval=0.02)
    near = dc.probe_rtt(lab.state_dir, "dc-b", count=20, interval=0.02)
    FIGURES["rtt_dc_c_ms"] = far.min_ms
    assert far.received == far.sent and far_from_a.received == far_from_a.sent
    # every frame waits DELAY_MS each way
    assert far.min_ms >= 2 * DELAY_MS
    assert far_from_a.min_ms >= 2 * DELAY_MS
    assert near.min_ms < DELAY_MS


def test_site_loss_failover(lab: DcLabSpec) -> None:
    dsn = dc.dsn(lab.state_dir)
    acked: list[int] = []
    stop = threading.Event()

    def load() -> None:  # steady writes, each acknowledged id kept outside the databases
        try:
            with psycopg.connect(dsn + " tcp_user_timeout=1000", autocommit=True) as conn:
                while not stop.is_set():
                    acked.append(conn.execute(
                        "INSERT INTO ledger DEFAULT VALUES RETURNING id").fetchone()[0])
        except psycopg.Error:
            pass  # the primary went away mid-write: that write was never acknowledged

    writer = threading.Thread(target=load)
    writer.start()
    time.sleep(0.5)
    kill = dc.kill_centre(lab.state_dir, "dc-a")
    promoted = dc.promote(lab.state_dir, "dc-b")
    repoint = dc.repoint_standby(lab.state_dir, "dc-c", "dc-b")
    with psycopg.connect(dsn, autocommit=True) as conn:  # the same DSN finds dc-b
        conn.execute("INSERT INTO ledger DEFAULT VALUES")
        first_write = time.time()
        assert conn.info.host == "198.19.250.2"
    stop.set()
    writer.join(5)
    FIGURES["promote_s"] = promoted.marks["promoted"] - kill.started_at
    FIGURES["repoint_s"] = repoint.seconds
    FIGURES["first_write_via_dsn_s"] = first_write - kill.started_at
    assert len(acked) > 20
    on_b = {r[0] for r in _query(lab, "dc-b", "SELECT id FROM ledger WHERE id = ANY(%s)",
                                 (acked,))}
    assert on_b == set(acked), f"{len(set(acked) - on_b)} acknowledged writes lost"
    assert dc.dsn(lab.state_dir, primary_first=True).startswith("host=198.19.250.2,")
    st = dc.status(lab.state_dir)
    assert st.primary == "dc-b"
    assert st.centre("dc-a").cut and not st.centre("dc-a").running
    assert st.centre("dc-c").upstream == "dc-b" and st.centre("dc-c").streaming
    # primitives refuse what would be wrong, in one line
    with pytest.raises(LabError, match="not a running standby"):
        dc.promote(lab.state_dir, "dc-b")
    with pytest.raises(LabError, match="cut off"):
        dc.rewind_and_rejoin(lab.state_dir, "dc-a", "dc-b")
    with pytest.raises(LabError, match="no centre 'dc-x'"):
        dc.kill_centre(lab.state_dir, "dc-x")


def test_failback_rewind_then_switchover(lab: DcLabSpec) -> None:
    before = _query(lab, "dc-b", "SELECT count(*) FROM ledger")[0][0]
    dc.restore_centre_network(lab.state_dir, "dc-a")
    rewind = dc.rewind_and_rejoin(lab.state_dir, "dc-a", "dc-b")
    FIGURES["rewind_s"] = rewind.seconds
    for mark, at in rewind.marks.items():
        FIGURES[f"rewind_{mark}_s"] = at - rewind.started_at
    assert _roles(lab)["dc-a"] == ("standby", "dc-b", "sync")
    switch = dc.switchover(lab.state_dir, "dc-b", "dc-a")
    FIGURES["switchover_s"] = switch.seconds
    FIGURES["switchover_write_gap_s"] = switch.marks["promoted"] - switch.started_at
    assert _roles(lab) == ORIGINAL
    with psycopg.connect(dc.dsn(lab.state_dir), autocommit=True) as conn:
        assert conn.info.host == "198.19.250.1"
        assert conn.execute("SELECT count(*) FROM ledger").fetchone()[0] == before
        conn.execute("INSERT INTO ledger DEFAULT VALUES")


def test_regional_disaster_then_restore_topology(lab: DcLabSpec) -> None:
    with psycopg.connect(dc.dsn(lab.state_dir), autocommit=True) as conn:
        conn.execute("INSERT INTO ledger DEFAULT VALUES")
    dc.kill_centre(lab.state_dir, "dc-a")
    dc.kill_centre(lab.state_dir, "dc-b")
    dc.promote(lab.state_dir, "dc-c")
    with psycopg.connect(dc.dsn(lab.state_dir), autocommit=True) as conn:
        assert conn.info.host == "198.19.250.3"
        conn.execute("INSERT INTO ledger DEFAULT VALUES RETURNING id")
        total = conn.execute("SELECT count(*) FROM ledger").fetchone()[0]
    t0 = time.perf_counter()
    steps = dc.restore_topology(lab.state_dir)
    FIGURES["restore_topology_s"] = time.perf_counter() - t0
    assert [s.action for s in steps][-1] == "switchover"
    assert _roles(lab) == ORIGINAL
    assert _query(lab, "dc-a", "SELECT count(*) FROM ledger")[0][0] == total


def test_teardown_leaves_nothing(lab: DcLabSpec) -> None:
    pids = _lab_pids(lab)
    assert len(pids) >= 4  # three postmasters and the forwarder at least
    result = dc.teardown(lab.state_dir)
    FIGURES["teardown_s"] = result.seconds
    _assert_nothing_left(lab, pids)
    assert dc.teardown(lab.state_dir).detail == "nothing to remove"
    print("\nDC lab figures: " + ", ".join(f"{k}={v:.3f}" for k, v in FIGURES.items()))


def _crash_build(spec: DcLabSpec, when: str) -> None:
    """Run build() in a subprocess and SIGKILL it when its progress prints `when`."""
    code = (
        "import sys; from pathlib import Path\n"
        "from govops.lab.datacentres import build\n"
        "from govops.lab.dcspec import default_spec\n"
        f"build(default_spec(Path({str(spec.state_dir)!r}), remote_delay_ms={DELAY_MS}),\n"
        "      progress=lambda m: print(m, flush=True))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if when in line:
            time.sleep(0.2)  # let it get into the step
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, "build finished before the crash point"


@pytest.mark.parametrize("when", ["pg_basebackup dc-a -> dc-b", "delay forwarder"])
def test_teardown_after_crash_halfway(when: str) -> None:
    _require_no_other_lab()
    base = _scratch()
    spec = default_spec(base / "dc", remote_delay_ms=DELAY_MS)
    try:
        _crash_build(spec, when)
        assert "dc-a" in netns_list()
        pids = _lab_pids(spec)
        dc.teardown(spec.state_dir)
        _assert_nothing_left(spec, pids)
    finally:
        dc.teardown(spec.state_dir)
        base.rmdir()


def test_build_completes_after_crash_halfway() -> None:
    _require_no_other_lab()
    base = _scratch()
    spec = default_spec(base / "dc", remote_delay_ms=DELAY_MS)
    try:
        _crash_build(spec, "pg_basebackup dc-a -> dc-c")
        state = dc.build(spec)
        assert state.primary == "dc-a"
        assert _roles(spec) == ORIGINAL
    finally:
        pids = _lab_pids(spec)
        dc.teardown(spec.state_dir)
        _assert_nothing_left(spec, pids)
        base.rmdir()
