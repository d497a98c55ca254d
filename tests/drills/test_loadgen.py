"""The load generator against a stand-in service on loopback: steady rate, exact ledger."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from govops.drills.loadgen import LoadGenerator
from govops.drills.workdir import WorkDir


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        refuse = self.server.refuse  # type: ignore[attr-defined]
        status, data = (503, {"error": "no primary"}) if refuse.is_set() else (
            201, {"id": body["id"], "centre": "dc-x"})
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def service() -> Any:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.refuse = threading.Event()  # type: ignore[attr-defined]
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_steady_rate_and_every_ack_in_the_ledger(tmp_path: Path, service: Any) -> None:
    work = WorkDir(tmp_path).create()
    url = f"http://127.0.0.1:{service.server_address[1]}"
    gen = LoadGenerator(work, url, rate=100, workers=8, timeout=2)
    gen.start()
    time.sleep(1.0)
    service.refuse.set()
    time.sleep(0.3)
    service.refuse.clear()
    time.sleep(0.5)
    counts = gen.stop()
    acks = work.read_ledger()
    failures = work.read_failures()
    assert counts.acked == len(acks) and counts.failed == len(failures)
    assert 150 <= counts.sent <= 200  # ≈ 1.8 s at 100/s
    assert 20 <= len(failures) <= 40  # the 0.3 s of 503s
    assert all(a.centre == "dc-x" for a in acks)
    assert len({a.id for a in acks} | {f.id for f in failures}) == counts.sent
    assert all(f.reason.startswith("HTTP 503") for f in failures)
