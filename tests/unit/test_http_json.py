"""The harness's one-off requests (``http_json``): a new connection each, but not a new TLS context
each. Loading the CA bundle costs ~25 ms of CPU; a caller polling every few milliseconds (the speed
benchmark, in the process that also runs the API and the render workers) spent its time there."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

from docpipe_local.client import http_json
from docpipe_local.processes import free_port


def test_requests_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    nobody = f"http://127.0.0.1:{free_port()}/health"  # nothing listens: each call fails to connect
    for _ in range(4):
        with pytest.raises(httpx.ConnectError):
            http_json("GET", nobody)
    assert len(built) <= 1  # at most the first call builds it (an earlier test may have)
