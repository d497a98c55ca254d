"""A small e-government service: citizens file applications, stored in the three-centre lab.

HTTP (stdlib, one thread per connection, HTTP/1.1 keep-alive)::

    POST /applications        {"id": "…", "citizen": "…", "service": "…"}  → 201 {"id", "centre"}
    GET  /applications/<id>   → 200 {"id", "citizen", "service", "filed_at"} | 404
    GET  /healthz             → 200 {"status": "ok", "centre": "dc-a"} | 503

A 201 is sent only after PostgreSQL's COMMIT returned (with synchronous_commit=on and the
same-city standby in synchronous_standby_names: after the same-city centre has the WAL too),
and it names the centre that committed (its cluster_name), so the load generator's ledger
says where each acknowledged write went. Writes are idempotent by id (ON CONFLICT DO
NOTHING), so a request whose connection broke is retried safely within its deadline.

Connections go through the lab's multi-host libpq DSN with target_session_attrs=read-write
(a standby is never written to). Recovery after the primary is lost:

- `tcp_user_timeout` (1 s) ends statements stuck on a silently cut primary instead of letting
  them hang until TCP gives up (minutes);
- a broken connection retires every idle connection opened before it (a generation count);
- new connections are opened by background connector threads, at most one new attempt per
  100 ms while requests wait, each with the DSN read afresh: hosts ordered with the centre the
  lab records as primary first (`datacentres.dsn(..., primary_first=True)`; the record plays the
  part DNS or a service registry plays in production), so once the failover manager has
  promoted a standby the next attempt reaches it at once instead of first waiting out libpq's
  2-second minimum connect timeout on the lost host.

Run: `python -m govops.drills.service --work-dir DIR --dc-dir .lab/dc [--listen ADDR] [--port N]`.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    id        text PRIMARY KEY,
    citizen   text NOT NULL,
    service   text NOT NULL,
    filed_at  timestamptz NOT NULL DEFAULT now()
)
"""
INSERT = ("INSERT INTO applications (id, citizen, service) VALUES (%s, %s, %s) "
          "ON CONFLICT (id) DO NOTHING")
SELECT = "SELECT id, citizen, service, filed_at FROM applications WHERE id = %s"
_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: extra libpq parameters on every connection
CONN_PARAMS = {
    "application_name": "govops-service",
    "tcp_user_timeout": "1000",  # ms: a statement on a silently cut primary fails after 1 s
    "keepalives": "1",
    "keepalives_idle": "1",
    "keepalives_interval": "1",
    "keepalives_count": "2",
}


class Unavailable(Exception):
    """No connection to a read-write primary within the request's deadline."""


@dataclass(eq=False)
class Conn:
    """A pooled connection and the centre (cluster_name) it reached."""

    pg: psycopg.Connection[Any]
    centre: str
    generation: int
    opened: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        try:
            self.pg.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not raise
            pass


class Database:
    """A small pool of read-write connections that finds the primary again after a failover.

    `dsn_source()` is called for every new connection (the DSN may change between attempts).
    """

    def __init__(self, dsn_source: Callable[[], str], *, pool_size: int = 16,
                 attempt_every: float = 0.1, max_connecting: int = 32,
                 on_event: Callable[..., None] | None = None):
        self.dsn_source = dsn_source
        self.pool_size = pool_size
        self.attempt_every = attempt_every
        self.max_connecting = max_connecting
        self.on_event = on_event or (lambda *_a, **_k: None)
        self.cond = threading.Condition()
        self.idle: list[Conn] = []
        self.generation = 0
        self.connecting = 0
        self.last_attempt = 0.0
        self.last_error = ""
        self.failing = False  # the last connection attempt failed
        self.schema_ready = False
        self.closed = False
        self.centre: str | None = None  # where the last successful connection went

    # --- connections -------------------------------------------------------------------
    def _open(self) -> Conn:
        conn = psycopg.connect(self.dsn_source(), autocommit=True, **CONN_PARAMS)
        try:
            centre = str(conn.execute("SHOW cluster_name").fetchone()[0])  # type: ignore[index]
            if not self.schema_ready:
                conn.execute(SCHEMA)
                self.schema_ready = True
        except Exception:
            conn.close()
            raise
        return Conn(conn, centre, self.generation)

    def _connector(self) -> None:
        try:
            conn = self._open()
        except Exception as exc:  # noqa: BLE001 - any failure is "try again later"
            with self.cond:
                self.connecting -= 1
                self.failing = True
                self.last_error = _first_line(exc)
                self.cond.notify_all()
            return
        with self.cond:
            self.connecting -= 1
            self.failing = False
            if self.closed:
                conn.close()
                return
            conn.generation = self.generation
            if conn.centre != self.centre:
                self.on_event("service-connected", centre=conn.centre, previous=self.centre)
            self.centre = conn.centre
            self.idle.append(conn)
            self.cond.notify_all()

    def _maybe_connect(self) -> None:
        """Start a connector: at once when none runs and the last attempt worked, else at
        most one per attempt_every (a refused connection must not turn into a busy loop)."""
        now = time.monotonic()
        if self.connecting >= self.max_connecting:
            return
        if (self.connecting == 0 and not self.failing) or now - self.last_attempt >= self.attempt_every:
            self.connecting += 1
            self.last_attempt = now
            threading.Thread(target=self._connector, daemon=True).start()

    def acquire(self, deadline: float) -> Conn:
        """A connection to the primary, or Unavailable at `deadline` (time.monotonic())."""
        stale: list[Conn] = []
        try:
            with self.cond:
                while True:
                    while self.idle:
                        conn = self.idle.pop()
                        if conn.generation == self.generation:
                            return conn
                        stale.append(conn)
                    if self.closed:
                        raise Unavailable("service is stopping")
                    self._maybe_connect()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise Unavailable(self.last_error or "no connection to a primary yet")
                    self.cond.wait(min(remaining, self.attempt_every))
        finally:
            for conn in stale:
                conn.close()

    def release(self, conn: Conn, *, broken: bool = False) -> None:
        """Give a connection back; a broken one retires every idle connection older than it."""
        drop: list[Conn] = []
        with self.cond:
            if broken:
                drop.append(conn)
                if conn.generation == self.generation:
                    self.generation += 1
                    drop.extend(self.idle)
                    self.idle = []
            elif conn.generation != self.generation or len(self.idle) >= self.pool_size \
                    or self.closed:
                drop.append(conn)
            else:
                self.idle.append(conn)
                self.cond.notify()
        for c in drop:
            c.close()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            idle, self.idle = self.idle, []
            self.cond.notify_all()
        for c in idle:
            c.close()

    # --- operations ----------------------------------------------------------------------
    def run(self, deadline: float, fn: Callable[[Conn], Any]) -> tuple[Any, str]:
        """Run `fn(conn)` on a primary, retrying on a broken connection until `deadline`.

        Returns (result, centre). Only use with idempotent work."""
        while True:
            conn = self.acquire(deadline)
            try:
                result = fn(conn)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self.release(conn, broken=True)
                self.last_error = _first_line(exc)
                if time.monotonic() >= deadline:
                    raise Unavailable(self.last_error) from None
                continue
            except psycopg.errors.ReadOnlySqlTransaction as exc:  # a demoted primary
                self.release(conn, broken=True)
                self.last_error = _first_line(exc)
                if time.monotonic() >= deadline:
                    raise Unavailable(self.last_error) from None
                continue
            except BaseException:
                self.release(conn, broken=True)
                raise
            self.release(conn)
            return result, conn.centre


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- HTTP ------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ServiceServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # 200 requests a second: no access log

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, default=str, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _deadline(self) -> float:
        return time.monotonic() + self.server.request_deadline

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        db = self.server.db
        if self.path == "/healthz":
            try:
                _, centre = db.run(self._deadline(), lambda c: c.pg.execute("SELECT 1").fetchone())
            except Unavailable as exc:
                self._send(503, {"status": "unavailable", "error": str(exc)})
                return
            self._send(200, {"status": "ok", "centre": centre})
            return
        m = re.match(r"^/applications/([^/]+)$", self.path)
        if not m:
            self._send(404, {"error": "not found"})
            return
        try:
            row, centre = db.run(self._deadline(),
                                 lambda c: c.pg.execute(SELECT, (m.group(1),)).fetchone())
        except Unavailable as exc:
            self._send(503, {"error": str(exc)})
            return
        if row is None:
            self._send(404, {"error": f"no application {m.group(1)}"})
            return
        self._send(200, {"id": row[0], "citizen": row[1], "service": row[2],
                         "filed_at": row[3].isoformat(), "centre": centre})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        if self.path != "/applications":
            self._send(404, {"error": "not found"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            app_id = str(body["id"])
            citizen = str(body.get("citizen", "anonymous"))[:200]
            service = str(body.get("service", "application"))[:200]
        except (ValueError, KeyError, TypeError):
            self._send(400, {"error": "body must be JSON with an id"})
            return
        if not _ID_RE.match(app_id):
            self._send(400, {"error": "id: 1-64 letters, digits, '.', '_' or '-'"})
            return
        try:
            _, centre = self.server.db.run(
                self._deadline(), lambda c: c.pg.execute(INSERT, (app_id, citizen, service)))
        except Unavailable as exc:
            self._send(503, {"error": str(exc)})
            return
        except psycopg.Error as exc:
            self._send(500, {"error": _first_line(exc)})
            return
        self._send(201, {"id": app_id, "centre": centre})


class ServiceServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], db: Database, request_deadline: float = 1.5):
        super().__init__(address, Handler)
        self.db = db
        self.request_deadline = request_deadline


def serve(dc_dir: Path, listen: str, port: int, events: Callable[..., None]) -> ServiceServer:
    """Start the service in a background thread; returns the server (server_address has the
    port actually bound)."""
    from govops.lab import datacentres

    db = Database(lambda: datacentres.dsn(dc_dir, primary_first=True), on_event=events)
    server = ServiceServer((listen, port), db)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    from govops.drills.workdir import WorkDir

    parser = argparse.ArgumentParser(prog="python -m govops.drills.service")
    parser.add_argument("--work-dir", required=True, type=Path)
    parser.add_argument("--dc-dir", required=True, type=Path)
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    work = WorkDir(args.work_dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = serve(args.dc_dir, args.listen, args.port, lambda name, **kw: work.event(name, **kw))
    host, port = server.server_address[:2]
    work.event("service-listening", url=f"http://{host}:{port}", pid=_pid())
    print(f"listening on http://{host}:{port}", flush=True)
    stop.wait()
    server.shutdown()
    # Closing the pool can wait on a connection to a primary the drill just killed (run 13: 16 s
    # after SIGTERM); a stopping helper must not hold the drill up, so it waits 2 s at most.
    closer = threading.Thread(target=server.db.close, daemon=True)
    closer.start()
    closer.join(timeout=2.0)
    work.event("service-stopped")
    return 0


def _pid() -> int:
    import os

    return os.getpid()


if __name__ == "__main__":
    sys.exit(main())
