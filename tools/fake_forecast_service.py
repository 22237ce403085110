"""A local stand-in for the forecast service that misbehaves on purpose (tests, demos).

Queue behaviours; each request takes the next one (the last repeats):
  ("ok", body)         200 with the body
  ("slow", seconds)    answer nothing for `seconds`, then the current body
  ("status", code)     an error status (503, 404, ...)
  ("truncated", None)  200 whose gzip body is cut in half (Content-Length matches the cut)
  ("cut", None)        200 announcing the whole body but closing after half of it
  ("empty", None)      200 with a gzip-compressed empty array
"""

from __future__ import annotations

import gzip
import http.server
import threading
import time
from typing import Any


class FakeService:
    def __init__(self) -> None:
        self.body = b""
        self.plan: list[tuple[str, Any]] = []
        self.requests = 0
        self._lock = threading.Lock()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                kind, value = service._next()
                if kind == "slow":
                    time.sleep(value)
                    kind, value = "ok", service.body
                if kind == "status":
                    self.send_response(value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = {
                    "ok": value,
                    "truncated": service.body[: len(service.body) // 2],
                    "cut": service.body,
                    "empty": gzip.compress(b"[]"),
                }[kind]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if kind == "cut" else body)
                self.wfile.flush()
                if kind == "cut":
                    self.close_connection = True

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webservices/?method=3"

    def _next(self) -> tuple[str, Any]:
        with self._lock:
            self.requests += 1
            step = self.plan.pop(0) if len(self.plan) > 1 else (self.plan[0] if self.plan else ("ok", self.body))
            return step if step[0] != "ok" or step[1] is not None else ("ok", self.body)

    def serve(self, body: bytes, *plan: tuple[str, Any]) -> None:
        """Answer `body`, after the misbehaviours in `plan` (each used once, in order)."""
        with self._lock:
            self.body = body
            self.plan = [*plan, ("ok", body)]
            self.requests = 0

    def fail_always(self, kind: str = "status", value: Any = 503) -> None:
        """Misbehave on every request from now on."""
        with self._lock:
            self.plan = [(kind, value)]
            self.requests = 0

    def __enter__(self) -> FakeService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
