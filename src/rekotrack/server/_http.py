"""The stdlib HTTP front: ``http.server`` threads around :meth:`RekognitionCore.handle`, bounded.

Used in-process (``LocalRekognition`` in tests needs no extra package and can inject
connection-level faults). What it guarantees, like the uvicorn front (:mod:`rekotrack.server._asgi`):

- a listen backlog of :data:`~rekotrack.server._wire.LISTEN_BACKLOG` (bursts of connects are queued, not reset);
- a connection must deliver a complete request head within ``idle_timeout`` of the server starting
  to wait for it (idle keep-alive connections and slowly dripped heads are closed), and the body
  within ``read_timeout`` after the head (else 408 and close);
- a ``Content-Length`` over ``max_body_bytes`` is answered 413 before anything is read or
  allocated (and before the signature check, which needs the body); a chunked body is read and
  refused the same way once it grows past the limit;
- every refusal of ``http.server`` itself (a malformed request line or header, a head too large, an
  unknown method) is answered in the service's JSON error shape with ``x-amzn-RequestId``
  (``send_error``), and ``TCP_NODELAY`` is set on every connection.
"""

from __future__ import annotations

import contextlib
import heapq
import http.server
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from rekotrack.server._errors import ApiError
from rekotrack.server._wire import (
    CONTENT_TYPE,
    LISTEN_BACKLOG,
    Headers,
    HttpRequest,
    Reply,
    error_reply,
    http_error_reply,
)

__all__ = ["BodyError", "StdlibFront"]

_log = logging.getLogger("rekotrack.server")

Handler = Callable[[HttpRequest], Reply]


class BodyError(Exception):
    """The body cannot be served: ``reply`` says why (400, 408 or 413); the connection is closed after it."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _refuse(code: str, message: str | None = None) -> BodyError:
    return BodyError(error_reply(ApiError(code, message), close=True))


def content_length(value: str | None, limit: int) -> int | None:
    """The announced body length, checked before anything is read: BodyError if malformed or over ``limit``."""
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or len(text) > 19:
        raise _refuse("SerializationException", "Content-Length is not a number.")
    length = int(text)
    if length > limit:
        raise _refuse("RequestEntityTooLargeException", f"The request body is larger than {limit} bytes.")
    return length


class _Watchdog:
    """One thread that half-closes sockets whose deadline passed (cheaper than a timer per request)."""

    def __init__(self) -> None:
        self._deadlines: dict[int, tuple[float, socket.socket]] = {}
        self._heap: list[tuple[float, int]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="rekotrack-http-watchdog", daemon=True)
        self._thread.start()

    def arm(self, sock: socket.socket, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._lock:
            self._deadlines[id(sock)] = (deadline, sock)
            heapq.heappush(self._heap, (deadline, id(sock)))
        self._wake.set()

    def disarm(self, sock: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(id(sock), None)

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(2.0)

    def _run(self) -> None:
        while not self._stop:
            expired: list[socket.socket] = []
            with self._lock:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    deadline, key = heapq.heappop(self._heap)
                    entry = self._deadlines.get(key)
                    if entry is not None and entry[0] == deadline:
                        del self._deadlines[key]
                        expired.append(entry[1])
                wait = self._heap[0][0] - now if self._heap else 1.0
            for sock in expired:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)  # the blocked read returns; a 408 can still be written
            self._wake.wait(min(max(wait, 0.01), 1.0))
            self._wake.clear()


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG
    front: StdlibFront

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read timeout, dropped connection) is business as usual here.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            _log.debug("client %s went away: %r", client_address, error)
        else:
            _log.exception("failed to serve %s", client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rekotrack-rekognition"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # One write per response and no Nagle delay: keep-alive round trips stay sub-millisecond.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        front = self.server.front
        # A backstop for every socket call (a write to a client that never reads, too); the watchdog
        # enforces the two deadlines themselves.
        self.connection.settimeout(max(front.idle_timeout, front.read_timeout))

    def handle_one_request(self) -> None:
        front = self.server.front
        front.watchdog.arm(self.connection, front.idle_timeout)  # until the head is in: idle or dripping
        try:
            super().handle_one_request()
        except TimeoutError:
            self.close_connection = True
        finally:
            front.watchdog.disarm(self.connection)

    def handle_expect_100(self) -> bool:
        """Refuse a body over the limit before inviting the client to send it (no ``100 Continue``)."""
        try:
            content_length(self.headers.get("Content-Length"), self.server.front.max_body_bytes)
        except BodyError as refused:
            self._send(refused.reply)
            return False
        return super().handle_expect_100()

    def do_POST(self) -> None:
        front = self.server.front
        front.watchdog.arm(self.connection, front.read_timeout)
        try:
            body = self._read_body(front.max_body_bytes)
        except BodyError as refused:
            front.watchdog.disarm(self.connection)
            self._send(refused.reply)
            self._linger()
            return
        front.watchdog.disarm(self.connection)
        headers = Headers(self.headers.items())
        try:
            reply = front.handler(HttpRequest(self.command, self.path, headers, body))
        except Exception:  # a bug in the handler: answered like the service would, not with a dropped connection
            _log.exception("the server failed on a request")
            reply = error_reply(ApiError("InternalServerError"))
        self._send(reply)

    def do_GET(self) -> None:
        self._send(error_reply(ApiError("UnknownOperationException", "Only POST / is served.")))

    do_PUT = do_DELETE = do_GET

    def _read_body(self, limit: int) -> bytes:
        encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        try:
            if "chunked" in encoding:
                return self._read_chunked(limit)
            length = content_length(self.headers.get("Content-Length"), limit)
            return self._read_exactly(length) if length else b""
        except TimeoutError:  # the socket's own timeout fired before the watchdog
            raise _refuse("RequestTimeoutException", "The request body was not received in time.") from None

    def _read_exactly(self, length: int) -> bytes:
        parts: list[bytes] = []
        left = length
        while left > 0:
            part = self.rfile.read(min(left, 65536))
            if not part:
                raise _refuse("RequestTimeoutException", "The request body was not received in time.")
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise _refuse("RequestTimeoutException", "The request body was not received in time.")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _refuse("SerializationException", "Malformed chunked body.") from None
            if size < 0:
                raise _refuse("SerializationException", "Malformed chunked body.")
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                raise _refuse("RequestEntityTooLargeException", f"The request body is larger than {limit} bytes.")
            parts.append(self._read_exactly(size))
            self.rfile.readline(8)  # the CRLF after the chunk

    def _linger(self) -> None:
        """Discard what the client is still sending for a moment, so that it reads the refusal instead of a reset."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and self.connection.recv(65536):
                pass
        except OSError:
            pass

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            return
        body = reply.body
        close = reply.close or reply.truncate
        head = (
            f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}\r\n"
            f"Content-Type: {CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"x-amzn-RequestId: {reply.request_id}\r\n"
            f"Date: {self.date_time_string()}\r\n"
            + ("Connection: close\r\n" if close else "")
            + "\r\n"
        ).encode("latin-1")
        self.log_request(reply.status, len(body))
        self.wfile.write(head + (body[: len(body) // 2] if reply.truncate else body))
        self.wfile.flush()
        if close:
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """``http.server``'s own refusals (a malformed request line or header, a head too large, an unknown
        method) in the service's JSON error shape, like every other answer; the connection closes after it."""
        detail = message or self.responses.get(code, (str(code),))[0]
        self._send(http_error_reply(code, detail if detail.endswith(".") else f"{detail}."))

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s - %s", self.address_string(), format % args)


class StdlibFront:
    """Serves ``handler`` on ``host:port`` with ``http.server`` threads, until :meth:`stop`."""

    def __init__(
        self,
        handler: Handler,
        host: str,
        port: int,
        *,
        max_body_bytes: int,
        idle_timeout: float,
        read_timeout: float,
    ) -> None:
        self.handler = handler
        self.max_body_bytes = max_body_bytes
        self.idle_timeout = idle_timeout
        self.read_timeout = read_timeout
        self._httpd = _HTTPServer((host, port), _Handler)  # binds first: nothing is started if that fails
        self._httpd.front = self
        self.watchdog = _Watchdog()
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="rekotrack-http", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout)
        self.watchdog.close()
