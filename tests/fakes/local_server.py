"""The part every fake platform API shares: an HTTP server on 127.0.0.1 on a
free port, in a thread of its own, whose every request goes to the fake's
`_handle`; started and stopped as a context manager."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LocalServer:
    methods: tuple[str, ...] = ("GET", "POST")  # the HTTP methods the fake answers
    _server: ThreadingHTTPServer | None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        fake = self

        def answer(request: BaseHTTPRequestHandler) -> None:
            fake._handle(request)

        def quiet(_request: BaseHTTPRequestHandler, *_args: Any) -> None:
            pass

        handler = type("Handler", (BaseHTTPRequestHandler,),
                       {**{f"do_{m}": answer for m in self.methods}, "log_message": quiet})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"
