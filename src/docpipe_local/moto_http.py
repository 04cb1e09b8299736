"""The moto server's HTTP: werkzeug's request handler, with connections kept open between requests.

werkzeug's development server answers every request with ``Connection: close`` (``http.server``
cannot tell where an unread request body ends, so a kept connection could read it as the next
request). So every boto3 call to the local moto server paid a new TCP connection on both sides, a
new server thread, and a lingering 10 ms drain of the socket, where AWS keeps the connection open
and botocore's pool reuses it: ~1-4 ms per call here (more on a busy machine), and a job's
calls are mostly one after another.

:class:`KeepAliveHandler` reads the whole request body (of the length it states) before moto sees
it, so nothing is ever left unread, and answers with a length, so the client knows where the answer
ends: the connection then stays open for the client's next request. A request whose body has no
stated length (chunked) is left to werkzeug, which answers it and closes the connection as before.
What moto answers is unchanged: the same app, the same environ (moto's own ``make_environ``).
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterable
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler

# Hop-by-hop: this handler decides how the answer is framed and whether the connection stays.
_FRAMING = frozenset({"connection", "keep-alive", "transfer-encoding"})
_NO_BODY = frozenset({204, 304})


class KeepAliveHandler(MotoRequestHandler):
    """One connection of the moto server: requests answered one after another until the client
    closes it (or asks to, or sends a body of no stated length)."""

    def setup(self) -> None:
        super().setup()
        # Answers leave at once, without Nagle's wait for the client's delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, *_: Any) -> None:
        """The per-request access log nobody reads is not formatted."""

    def run_wsgi(self) -> None:
        length = self._body_length()
        if length is None:
            super().run_wsgi()  # werkzeug's own way, which closes the connection after it
            return
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(length) if length else b"")
        started: list[Any] = []
        written: list[bytes] = []  # what the app gave WSGI's legacy write(), before its iterable

        def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [line, headers]
            return written.append

        try:
            body = _collect(self.server.app(environ, start_response))
            if not started:
                raise RuntimeError("the app answered without start_response")
        except Exception as error:
            self.close_connection = True  # as werkzeug does: a 500, and nothing more on this connection
            self.server.log("error", f"Error on request: {type(error).__name__}: {error}")
            started[:], written[:], body = ["500 Internal Server Error", []], [], b""
        self._answer(started[0], started[1], b"".join(written) + body)

    def _body_length(self) -> int | None:
        """The request body's stated length (0 without a body); None when it has none to trust."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None
        stated = self.headers.get("Content-Length")
        if stated is None:
            return 0
        return int(stated) if stated.strip().isdigit() else None

    def _answer(self, line: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code, _, reason = line.partition(" ")
        self.send_response(int(code), reason)
        has_length = False
        for name, value in headers:
            lowered = name.lower()
            if lowered in _FRAMING:
                continue
            has_length = has_length or lowered == "content-length"
            self.send_header(name, value)
        no_body = self.command == "HEAD" or int(code) in _NO_BODY or int(code) < 200
        if not has_length and not no_body:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and not no_body:
            self.wfile.write(body)
        self.wfile.flush()


def _collect(answer: Iterable[bytes]) -> bytes:
    """The whole answer: moto builds its answers in memory anyway."""
    try:
        return b"".join(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
