"""A real HTTP server on 127.0.0.1 that answers like a Peruvian RUC/DNI lookup service, for
the lookup tests (requests is never mocked: the code under test opens real sockets).

    registry = FakeRegistry().start()
    registry.add_ruc("20100070970", razonSocial="GLORIA S.A.", estado="ACTIVO", ...)
    registry.behaviour = "error"          # every answer a 500 from now on
    registry.hits("/ruc/20100070970")     # how many requests reached that path
    registry.stop()                       # connections refused from now on

Behaviours:
    "normal"   the records added (200 JSON), else 404
    "error"    500 (with "failures": that many 500s, then normal)
    "slow"     normal, after `delay` seconds
    "hang"     never answers (until stop)
    "trickle"  200 headers at once, then the body one byte every `delay` seconds
    "garbage"  200 with an HTML page
    "busy"     429 Too Many Requests
    "denied"   401 (a wrong token)
    "redirect" 302 to `redirect_to` (plus the path asked), e.g. another FakeRegistry's url
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/v1"


class FakeRegistry:
    def __init__(self):
        self.records: dict[str, object] = {}  # path ("/ruc/2010…") -> JSON answered
        self.behaviour = "normal"
        self.delay = 0.0
        self.failures = 0  # with "error": answer this many 500s, then behave normally
        self.redirect_to = ""  # with "redirect": where to send the client
        self.requests: list[dict] = []  # {"path", "authorization"} of every request received
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- set up ------------------------------------------------------------------------

    def start(self) -> "FakeRegistry":
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's name)
                registry._handle(self)

            def log_message(self, format, *args):  # quiet
                pass

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-registry", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: from now on connections are refused."""
        self._stopping.set()  # releases "hang" and "slow" handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def add(self, kind: str, number: str, answer) -> None:
        self.records[f"/{kind}/{number}"] = answer

    def add_ruc(self, number: str, **fields) -> None:
        """A RUC answered in apis.net.pe's shape (flat, camelCase) unless `answer` is given."""
        self.add("ruc", number, {"numeroDocumento": number, "tipoDocumento": "6", **fields})

    def add_dni(self, number: str, **fields) -> None:
        self.add("dni", number, {"numeroDocumento": number, "tipoDocumento": "1", **fields})

    # --- what it received ----------------------------------------------------------------

    def hits(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if path is None or r["path"] == PREFIX + path)

    # --- answering -----------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append({"path": handler.path, "authorization": handler.headers.get("Authorization")})
            behaviour = self.behaviour
            if behaviour == "error" and self.failures:
                self.failures -= 1
                if not self.failures:
                    self.behaviour = "normal"
        if behaviour == "hang":
            self._stopping.wait(30)
            return
        if behaviour == "slow":
            if self._stopping.wait(self.delay):
                return
            behaviour = "normal"
        if behaviour == "error":
            return self._send(handler, 500, b'{"message": "Internal Server Error"}')
        if behaviour == "busy":
            return self._send(handler, 429, b'{"message": "Too Many Requests"}')
        if behaviour == "denied":
            return self._send(handler, 401, b'{"message": "Unauthorized"}')
        if behaviour == "redirect":
            target = self.redirect_to + handler.path[len(PREFIX) :]
            return self._send(handler, 302, b"", headers={"Location": target})
        if behaviour == "garbage":
            return self._send(handler, 200, b"<html><body>Servicio en mantenimiento</body></html>", "text/html")
        path = handler.path.split("?")[0]
        answer = self.records.get(path[len(PREFIX) :]) if path.startswith(PREFIX) else None
        if answer is None:
            return self._send(handler, 404, b'{"message": "not found"}')
        body = answer if isinstance(answer, bytes) else json.dumps(answer, ensure_ascii=False).encode()
        if behaviour == "trickle":
            return self._trickle(handler, body)
        return self._send(handler, 200, body)

    def _send(
        self, handler, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up first
            pass

    def _trickle(self, handler, body: bytes) -> None:
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for byte in body:
                if self._stopping.wait(self.delay):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
