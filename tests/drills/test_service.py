"""The e-government service without a database: the pool's failover logic and the HTTP API."""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any

import psycopg
import pytest

from govops.drills.service import Conn, Database, ServiceServer, Unavailable


class FakePg:
    def __init__(self, centre: str, fail_with: Exception | None = None):
        self.centre = centre
        self.fail_with = fail_with
        self.closed = False
        self.rows: dict[str, tuple] = {}

    def execute(self, sql: str, params: Any = None) -> FakePg:
        if self.fail_with:
            raise self.fail_with
        self.last = (sql, params)
        return self

    def fetchone(self) -> Any:
        return (1,)

    def close(self) -> None:
        self.closed = True


class FakeDb(Database):
    """Opens FakePg connections to whatever `self.target` names (None: connection refused)."""

    def __init__(self, **kw: Any):
        super().__init__(lambda: "", **kw)
        self.target: str | None = "dc-a"
        self.opened = 0

    def _open(self) -> Conn:
        self.opened += 1
        if self.target is None:
            raise psycopg.OperationalError("connection refused")
        return Conn(FakePg(self.target), self.target, self.generation)  # type: ignore[arg-type]


def test_acquire_opens_and_reuses_connections() -> None:
    db = FakeDb()
    conn = db.acquire(time.monotonic() + 1)
    assert conn.centre == "dc-a"
    db.release(conn)
    assert db.acquire(time.monotonic() + 1) is conn
    assert db.opened == 1


def test_a_broken_connection_retires_every_idle_one_and_the_next_goes_to_the_new_primary() -> None:
    db = FakeDb()
    conns = [db.acquire(time.monotonic() + 1) for _ in range(3)]
    for c in conns[1:]:
        db.release(c)
    db.target = "dc-b"  # failover: the DSN now reaches dc-b
    db.release(conns[0], broken=True)
    assert all(c.pg.closed for c in conns)  # type: ignore[attr-defined]
    assert db.acquire(time.monotonic() + 1).centre == "dc-b"


def test_unavailable_at_the_deadline_and_attempts_are_paced() -> None:
    db = FakeDb(attempt_every=0.1)
    db.target = None
    t0 = time.monotonic()
    with pytest.raises(Unavailable, match="connection refused"):
        db.acquire(time.monotonic() + 0.45)
    assert 0.4 <= time.monotonic() - t0 < 1.0
    assert 3 <= db.opened <= 6  # about one attempt per 100 ms, not a busy loop


def test_run_retries_an_idempotent_write_on_a_broken_connection() -> None:
    db = FakeDb()
    first = db.acquire(time.monotonic() + 1)
    first.pg.fail_with = psycopg.OperationalError("server closed the connection")  # type: ignore[attr-defined]
    db.release(first)
    db.target = "dc-b"
    result, centre = db.run(time.monotonic() + 2, lambda c: c.pg.execute("INSERT"))
    assert centre == "dc-b"


@pytest.fixture
def server() -> Any:
    db = FakeDb()
    srv = ServiceServer(("127.0.0.1", 0), db, request_deadline=0.3)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _post(srv: ServiceServer, body: Any) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=5)
    conn.request("POST", "/applications", body=json.dumps(body),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return resp.status, data


def test_post_answers_201_with_the_committing_centre(server: ServiceServer) -> None:
    status, body = _post(server, {"id": "app-1", "citizen": "c", "service": "s"})
    assert (status, body) == (201, {"id": "app-1", "centre": "dc-a"})


def test_bad_input_is_400(server: ServiceServer) -> None:
    assert _post(server, {"citizen": "no id"})[0] == 400
    assert _post(server, {"id": "bad id with spaces"})[0] == 400


def test_no_primary_is_503(server: ServiceServer) -> None:
    server.db.target = None  # type: ignore[attr-defined]
    status, body = _post(server, {"id": "app-2"})
    assert status == 503 and "refused" in body["error"]


def test_healthz(server: ServiceServer) -> None:
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
    conn.request("GET", "/healthz")
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["centre"] == "dc-a"
