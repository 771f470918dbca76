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
- graceful shutdown: :meth:`UvicornFront.stop` stops accepting, lets running requests finish
  (up to ``graceful_seconds``) and closes idle connections.

The core is synchronous (locks, files, an S3 HEAD for a Start): each request runs in a thread
pool of its own (``threads``, default 32), so a slow request does not hold up the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from rekotrack.server._errors import ApiError
from rekotrack.server._http import BodyError, Handler, content_length
from rekotrack.server._wire import CONTENT_TYPE, LISTEN_BACKLOG, Headers, HttpRequest, Reply, error_reply

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
            await _send(send, refused.reply)
            return
        path = scope.get("raw_path") or scope["path"].encode()
        if isinstance(path, bytes):
            path = path.decode("latin-1")
        query = scope.get("query_string") or b""
        if query and "?" not in path:
            path += "?" + query.decode("latin-1")
        request = HttpRequest(scope["method"], path, headers, body)
        reply = await asyncio.get_running_loop().run_in_executor(self.executor, self.handler, request)
        await _send(send, reply)

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


async def _send(send: Send, reply: Reply) -> None:
    if reply.drop or reply.truncate:  # connection-level faults need the stdlib front
        reply = error_reply(ApiError("InternalServerError"), close=True)
    headers = [
        (b"content-type", CONTENT_TYPE.encode()),
        (b"content-length", str(len(reply.body)).encode()),
        (b"x-amzn-requestid", reply.request_id.encode()),
    ]
    if reply.close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


def _guarded_protocol(idle_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a deadline on receiving each request head."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

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
        threads: int = 32,
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import uvicorn

        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rekotrack-asgi")
        app = RekognitionASGI(handler, max_body_bytes=max_body_bytes, read_timeout=read_timeout,
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
        self._socket = socket.socket(family, socket.SOCK_STREAM)
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
        """Stop accepting, let running requests finish, close idle connections."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._socket.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
