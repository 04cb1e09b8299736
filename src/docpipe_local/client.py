"""The harness's HTTP client for docpipe's API (httpx): JSON in, status code and JSON out.

The demo, the benchmarks, the load test's warm-up and the soak all talk to the API through it; the
load itself is locust's own client.
"""

from __future__ import annotations

import json
import ssl
from functools import cache
from types import TracebackType
from typing import Any

import httpx

from docpipe_local.polling import poll

TERMINAL = ("succeeded", "failed")
"""A job in one of these states is finished; anything else may still change."""


def api_headers(api_key: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        headers["x-api-key"] = api_key
    return headers


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        return {"error": response.text[:200]}
    return body if isinstance(body, dict) else {"body": body}


class ApiClient:
    """One connection pool to a docpipe API at ``base_url``; use it in a ``with`` block."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 30.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=api_headers(api_key), timeout=timeout
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """``(status code, JSON body)``; a body that is not a JSON object is wrapped, not raised."""
        response = self._http.request(method, path, content=body, headers=headers)
        return response.status_code, _json(response)

    def submit(
        self, document: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        body = document if isinstance(document, bytes) else json.dumps(document, ensure_ascii=False).encode()
        return self.call("POST", "/v1/documents", body, headers)

    def job(self, job_id: str) -> tuple[int, dict[str, Any]]:
        return self.call("GET", f"/v1/jobs/{job_id}")

    def wait_for_job(
        self, job_id: str, *, timeout: float, interval: float = 0.05
    ) -> tuple[int, dict[str, Any]]:
        """Poll the job until it is finished (or gone: 404); its last answer. Raises
        :class:`~docpipe_local.polling.PollTimeout` if it is still running after ``timeout`` seconds."""
        return poll(
            lambda: self.job(job_id),
            until=lambda answer: answer[0] == 404 or answer[1].get("status") in TERMINAL,
            what=f"job {job_id} finishing",
            timeout=timeout,
            interval=interval,
        )

    def download(self, url: str) -> bytes:
        """The bytes behind a presigned link: another host, so none of this client's headers (its
        API key) go with the request."""
        response = httpx.get(url, timeout=self._http.timeout, verify=_tls())
        response.raise_for_status()
        return response.content


@cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context (its CA bundle), built once per process.

    ``httpx.request`` builds a new client per call, and each client loads the whole CA bundle into a
    new context: ~25 ms of CPU, holding the GIL, for every request, even a plain-HTTP one. A caller
    polling every few milliseconds (the benchmarks, in the process that also runs the API and the
    render workers) spent most of its time there and slowed everything beside it."""
    return httpx.create_ssl_context()


def http_json(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """One request, no pool (a new connection each time): ``(status code, JSON body)``."""
    response = httpx.request(method, url, content=body, headers=api_headers(), timeout=30, verify=_tls())
    return response.status_code, _json(response)
