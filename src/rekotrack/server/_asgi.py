"""The Rekognition API as an ASGI application, and the uvicorn front that serves it.

:class:`RekognitionASGI` is a plain ASGI callable around :meth:`RekognitionCore.handle` (any
ASGI server can run it); :class:`UvicornFront` runs it on uvicorn (extra ``rekotrack[server]``)
with the same guarantees as the stdlib front:

- uvicorn's listen backlog (:data:`~rekotrack.server._wire.LISTEN_BACKLOG`);
- a connection must deliver a complete request head within ``idle_timeout`` of the server
  starting to wait for it (uvicorn itself only times out keep-alive connections that send
  nothing, so the protocol below adds the deadline), and the body within ``read_timeout``
  after the head (else 408 and close);
- a ``Content-Length`` over ``max_body_bytes`` is answered 413 before the body is received
  (and before the signature check); a chunked body is refused once it grows past the limit;
  a connection closed while the client may still be sending reads and discards for up to
  :data:`LINGER_SECONDS` first, so that the client reads the answer instead of a reset;
- every answer is in the service's JSON error shape with ``x-amzn-RequestId``, uvicorn's and
  h11's own refusals included (a malformed head, ``Content-Length`` or chunk size);
- ``TCP_NODELAY`` on every accepted connection (see :func:`_no_delay`);
- graceful shutdown: :meth:`UvicornFront.stop` stops accepting, drains open connections (every
  answer says ``Connection: close`` for up to ``drain_seconds``), lets running requests finish
  (up to ``graceful_seconds``) and closes what is left.

The core is synchronous (locks, files, an S3 HEAD for a Start): each request runs in a thread
pool of its own (``threads``, default 32), so a slow request does not hold up the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import math
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Final

from rekotrack.server._errors import ApiError
from rekotrack.server._http import BodyError, Handler, content_length
from rekotrack.server._wire import (
    CONTENT_TYPE,
    LISTEN_BACKLOG,
    Headers,
    HttpRequest,
    Reply,
    error_reply,
    http_error_reply,
)

if TYPE_CHECKING:
    import uvicorn

__all__ = ["RekognitionASGI", "UvicornFront"]

_log = logging.getLogger("rekotrack.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class RekognitionASGI:
    """ASGI application: every HTTP request goes to ``handler`` (``core.handle``) in a worker thread."""

    def __init__(
        self, handler: Handler, *, max_body_bytes: int, read_timeout: float, executor: Executor | None = None
    ) -> None:
        self.handler = handler
        self.max_body_bytes = max_body_bytes
        self.read_timeout = read_timeout
        self.executor = executor  # None: the event loop's default pool
        self.draining = False  # set by UvicornFront.stop: every answer then says ``Connection: close``

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets are not part of the API
            return
        headers = Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
        try:
            body = await self._body(headers, receive)
        except BodyError as refused:
            await _send(send, refused.reply, self.draining)
            return
        path = scope.get("raw_path") or scope["path"].encode()
        if isinstance(path, bytes):
            path = path.decode("latin-1")
        query = scope.get("query_string") or b""
        if query and "?" not in path:
            path += "?" + query.decode("latin-1")
        request = HttpRequest(scope["method"], path, headers, body)
        try:
            reply = await asyncio.get_running_loop().run_in_executor(self.executor, self.handler, request)
        except Exception:  # a bug in the handler: answered like the service would, not with uvicorn's text
            _log.exception("the server failed on a request")
            reply = error_reply(ApiError("InternalServerError"))
        await _send(send, reply, self.draining)

    async def _body(self, headers: Headers, receive: Receive) -> bytes:
        chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
        length = None if chunked else content_length(headers.get("Content-Length"), self.max_body_bytes)
        if length == 0:
            return b""
        try:
            return await asyncio.wait_for(self._receive_all(receive), self.read_timeout)
        except asyncio.TimeoutError:
            raise BodyError(
                error_reply(ApiError("RequestTimeoutException", "The request body was not received in time."),
                            close=True)
            ) from None

    async def _receive_all(self, receive: Receive) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BodyError(error_reply(ApiError("RequestTimeoutException"), close=True))
            part = message.get("body", b"")
            total += len(part)
            if total > self.max_body_bytes:
                raise BodyError(
                    error_reply(
                        ApiError("RequestEntityTooLargeException",
                                 f"The request body is larger than {self.max_body_bytes} bytes."),
                        close=True,
                    )
                )
            parts.append(part)
            if not message.get("more_body", False):
                return b"".join(parts)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _headers(reply: Reply, close: bool = False) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", CONTENT_TYPE.encode()),
        (b"content-length", str(len(reply.body)).encode()),
        (b"x-amzn-requestid", reply.request_id.encode()),
    ]
    if reply.close or close:
        headers.append((b"connection", b"close"))
    return headers


async def _send(send: Send, reply: Reply, close: bool = False) -> None:
    if reply.drop or reply.truncate:  # connection-level faults need the stdlib front
        reply = error_reply(ApiError("InternalServerError"), close=True)
    await send({"type": "http.response.start", "status": reply.status, "headers": _headers(reply, close)})
    await send({"type": "http.response.body", "body": reply.body})


def _no_delay(transport: asyncio.BaseTransport) -> None:
    """Switch Nagle's algorithm off on an accepted connection.

    asyncio does it only for sockets whose ``proto`` is ``IPPROTO_TCP``; a socket made with
    ``socket.socket(family, SOCK_STREAM)`` has ``proto`` 0 (and so have the connections it
    accepts), and then a response's head and body, written separately, wait for the client's
    delayed ACK: about 40 ms per request on a kept-alive connection. Set here for every
    connection, whoever made the listening socket.
    """
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


DRAIN_SECONDS: Final = 2.0
"""How long :meth:`UvicornFront.stop` drains open connections (answers say ``Connection: close``)
before uvicorn's shutdown closes the idle ones: a client busy on a connection sends its next
request within this (a few round trips), an idle one is closed after it."""

def _refuse_new_connections(sock: socket.socket) -> None:
    """Stop the kernel completing new handshakes on a listening socket, keeping those already queued.

    On Linux a socket filter that drops every packet (classic BPF ``ret #0``), attached to the
    listening socket, drops the SYNs of new connections (the client retries its SYN a second later
    and is then refused); elsewhere the listen queue is shrunk to its minimum instead.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import struct

        so_attach_filter = getattr(socket, "SO_ATTACH_FILTER", 26)
        drop_all = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0))  # BPF_RET|BPF_K, k=0
        program = struct.pack("HL", 1, ctypes.addressof(drop_all))  # struct sock_fprog {len; *filter}
        try:
            sock.setsockopt(socket.SOL_SOCKET, so_attach_filter, program)
            return
        except OSError:
            pass
    with contextlib.suppress(OSError):
        sock.listen(0)


ACCEPT_QUEUE_SECONDS: Final = 0.2
"""How long the accept loop gets to take the connections already queued before the socket closes."""

IDLE_AFTER_DRAIN_SECONDS: Final = 0.5
"""A connection still idle this long into the drain is not in use: the drain stops waiting for it."""


def _idle(connection: Any) -> bool:
    """Whether a uvicorn connection is kept alive after an answer, with no request in progress (read from
    another thread: a hint). A connection that has not yet had a request is not idle: one accepted during
    the drain has its request on the way, and closing it would cut that request."""
    cycle = getattr(connection, "cycle", None)
    return cycle is not None and bool(getattr(cycle, "response_complete", False))


LINGER_SECONDS: Final = 1.0
"""How long a connection closed while its client may still be sending keeps reading (and discarding)."""


class _LingeringTransport(asyncio.Transport):
    """A connection's transport whose :meth:`close` lets a client that is still sending finish first.

    Closing a socket with unread data makes the kernel answer with a reset, and a client still
    writing its body (20 MB refused with 413 after the head, a malformed chunked body refused with
    400) would lose the answer. While ``still_sending()`` says that more may come, :meth:`close`
    flushes the reply and half-closes instead, what arrives is discarded (the protocol asks
    :attr:`lingering`), and the socket closes when the client closes or after :data:`LINGER_SECONDS`.
    """

    def __init__(
        self, transport: asyncio.Transport, still_sending: Callable[[], bool], loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__()
        self._transport = transport
        self._still_sending = still_sending
        self._loop = loop
        self.lingering = False
        self._timer: asyncio.TimerHandle | None = None

    def close(self) -> None:
        if self.lingering or self._transport.is_closing():
            return
        if not self._still_sending() or not self._transport.can_write_eof():
            self._transport.close()
            return
        self.lingering = True
        try:
            self._transport.write_eof()  # after the buffered reply
            self._transport.resume_reading()  # drain what the client still sends
        except (OSError, RuntimeError):  # the connection is already gone
            self._transport.close()
            return
        self._timer = self._loop.call_later(LINGER_SECONDS, self._transport.close)

    def closed(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def abort(self) -> None:
        self.closed()
        self._transport.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        if not self.lingering:
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._transport.write(data)

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        self._transport.writelines(list_of_data)

    def write_eof(self) -> None:
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()


def _guarded_protocol(idle_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a deadline on receiving each request head, ``TCP_NODELAY``, its own
    protocol errors in the service's JSON error shape, and a close that lets the client read the answer."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _lingering: _LingeringTransport | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            _no_delay(transport)
            self._lingering = _LingeringTransport(
                transport, lambda: self.conn.their_state in (h11.SEND_BODY, h11.ERROR), self.loop
            )
            super().connection_made(self._lingering)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._lingering is not None:
                self._lingering.closed()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._lingering is not None and self._lingering.lingering:
                return  # the answer is sent: what the client still sends is discarded
            super().data_received(data)

        def send_400_response(self, msg: str) -> None:
            """h11 refused what the client sent (a malformed head, ``Content-Length`` or chunk size, a head
            too large): answered in the service's error shape instead of uvicorn's plain text."""
            error = sys.exc_info()[1]  # called from handle_events' ``except h11.RemoteProtocolError``
            status = getattr(error, "error_status_hint", 400)
            detail = (str(error) if error is not None else msg).split(": bytearray(", 1)[0]  # not the bytes
            reply = http_error_reply(status, f"The request is not valid HTTP/1.1: {detail}.")
            _log.info("refused a malformed request: %s", detail)
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True  # the application's receive() ends: it answers nothing more
                self.cycle.message_event.set()
            try:
                phrase = http.HTTPStatus(status).phrase
            except ValueError:
                phrase = ""
            try:
                for event in (h11.Response(status_code=status, headers=_headers(reply), reason=phrase),
                              h11.Data(data=reply.body), h11.EndOfMessage()):
                    self.transport.write(self.conn.send(event))
            except h11.LocalProtocolError:  # a response had already begun: nothing more can be said
                pass
            self.transport.close()

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # a request head is in: the body has its own deadline in the app

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # waiting for the next request on a keep-alive connection

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(idle_timeout, self._expire)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _expire(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol


class UvicornFront:
    """Serves ``handler`` as :class:`RekognitionASGI` on uvicorn in a background thread, until :meth:`stop`."""

    def __init__(
        self,
        handler: Handler,
        host: str,
        port: int,
        *,
        max_body_bytes: int,
        idle_timeout: float,
        read_timeout: float,
        graceful_seconds: float = 10.0,
        drain_seconds: float = DRAIN_SECONDS,
        threads: int = 32,
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import uvicorn

        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rekotrack-asgi")
        self._drain_seconds = drain_seconds
        self._app = app = RekognitionASGI(handler, max_body_bytes=max_body_bytes, read_timeout=read_timeout,
                              executor=self._executor)
        config = uvicorn.Config(
            app,
            http=_guarded_protocol(idle_timeout),
            lifespan="off",
            loop="asyncio",
            backlog=LISTEN_BACKLOG,
            timeout_keep_alive=max(1, math.ceil(idle_timeout)),
            timeout_graceful_shutdown=max(1, math.ceil(graceful_seconds)),
            log_config=None,  # leave the process's logging alone: uvicorn's records go to its loggers
            log_level="warning",
            access_log=False,
            server_header=False,
        )
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto IPPROTO_TCP (not 0): asyncio then sets TCP_NODELAY on what it accepts (so does _no_delay).
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            self._executor.shutdown(wait=False)
            raise
        self._socket.listen(LISTEN_BACKLOG)
        self.port: int = self._socket.getsockname()[1]
        self._server: uvicorn.Server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="rekotrack-uvicorn", daemon=True
        )
        self._thread.start()
        while not self._server.started and self._thread.is_alive():  # bound and accepting before start() returns
            self._thread.join(0.01)
        if not self._server.started:
            self._socket.close()
            self._executor.shutdown(wait=False)
            raise RuntimeError("uvicorn did not start (see its log)")

    def stop(self, timeout: float) -> None:
        """Stop accepting, drain the open connections, let running requests finish, close the rest.

        uvicorn's own shutdown closes an idle keep-alive connection at once, and a request a client
        is writing on it that moment is cut (the chaos run saw 0-4 of ~2,500 under 20 clients). So
        first, for up to ``drain_seconds``: the listening socket is closed (a new connection is
        refused, which a client knows was never sent), and every answer says ``Connection: close``,
        so each busy connection ends after its next answer; the drain ends early once no
        connection is left. Only then does uvicorn's shutdown run.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        if self._server.started and self._thread.is_alive() and self._drain_seconds > 0:
            self._app.draining = True
            # The kernel completes handshakes into the listen queue by itself, and closing the socket resets
            # what is still queued (a request already written on it would be cut): first stop new handshakes
            # (their SYN goes unanswered, then is refused), and let the accept loop take what is queued,
            # answered with Connection: close.
            _refuse_new_connections(self._socket)
            time.sleep(min(ACCEPT_QUEUE_SECONDS, max(0.0, deadline - time.monotonic())))
            servers = list(getattr(self._server, "servers", []))
            if servers:
                loop = servers[0].get_loop()
                with contextlib.suppress(RuntimeError):  # the loop has already ended
                    for server in servers:
                        loop.call_soon_threadsafe(server.close)
            started = time.monotonic()
            drain_until = min(deadline, started + self._drain_seconds)
            connections = self._server.server_state.connections
            while connections and time.monotonic() < drain_until:
                # A client busy on a connection has sent its next request within a fraction of a second
                # and been answered with Connection: close; what is still open and idle then is a pooled
                # connection nobody is using (closed by uvicorn's shutdown below).
                if time.monotonic() - started >= IDLE_AFTER_DRAIN_SECONDS and all(
                    _idle(connection) for connection in list(connections)
                ):
                    break
                time.sleep(0.02)
        self._server.should_exit = True
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._socket.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
