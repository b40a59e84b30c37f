"""A real HTTP server on 127.0.0.1 that receives webhooks, for the webhook tests.

receiver = Receiver().start()
receiver.behaviour = "error"     # 500 from now on; "ok", "hang", "redirect"
receiver.received                # [{"headers": {...}, "body": b"..."}] of every request
receiver.stop(); receiver.start()  # down, then back on the same port
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.behaviour = "ok"
        self.redirect_to = ""
        self.received: list[dict] = []
        self.port = 0
        self._server = None
        self._release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks"

    def start(self) -> "Receiver":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                owner.received.append({"headers": dict(self.headers), "body": body, "path": self.path})
                if owner.behaviour == "hang":
                    owner._release.wait(10)
                    return
                if owner.behaviour == "redirect":
                    self.send_response(302)
                    self.send_header("Location", owner.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 500 if owner.behaviour == "error" else 200
                answer = b"fallo del receptor" if status == 500 else b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._release.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
