"""The SnapStart hooks of the API functions (src/docpipe/snapshots.py), run the way Lambda's runtime runs
them, in a process of their own: the handler module imported (the init phase), then the before-snapshot
hooks in reverse order of registration, then the after-restore hooks.

The process talks to a real cluster-mode redis-server and to a stub AWS endpoint on loopback, and
counts its own TCP connections to both (psutil): what is open when the snapshot would be taken is what
every restored copy would inherit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import snapshot_restore_py

from docpipe import snapshots
from docpipe_local.processes import free_port, kill_process
from docpipe_local.redis_server import start_redis
from loadtest.bench_speed import HANDLER_ENV

ROOT = Path(__file__).parents[2]
ENVIRONMENT = HANDLER_ENV | {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    # As in Lambda, so that Powertools builds a real tracer (X-Ray SDK loaded, botocore patched).
    "AWS_LAMBDA_FUNCTION_NAME": "docpipe-snapshot-probe",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
}
PROBE = r"""
import json, os, random, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil


class Aws(BaseHTTPRequestHandler):
    # An AWS JSON-protocol endpoint that answers {} to everything, keeping connections alive.
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


stub = ThreadingHTTPServer(("127.0.0.1", 0), Aws)
threading.Thread(target=stub.serve_forever, daemon=True).start()
os.environ["DOCPIPE_AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{stub.server_port}"
ports = {"redis": int(os.environ["PROBE_REDIS_PORT"]), "aws": stub.server_port}


def state():
    from docpipe.observability import _tracer
    from docpipe.pipeline import default_pipeline

    remote = [c.raddr.port for c in psutil.Process().net_connections("tcp") if c.raddr]
    built = default_pipeline.cache_info().currsize
    return {
        "connections": {name: remote.count(port) for name, port in ports.items()},
        "pipeline_built": built,
        "redis_client": bool(built) and default_pipeline().stores.cache.client is not None,
        "tracer_built": _tracer.cache_info().currsize,
        "modules": sorted(m for m in ("aws_xray_sdk", "redis", "redis.cluster") if m in sys.modules),
    }


sys.path.insert(0, sys.argv[1])
import handler
from snapshot_restore_py import get_after_restore, get_before_snapshot

from docpipe.aws import default_clients
from docpipe.pipeline import default_pipeline

seen = {
    "hooks": [[f.__name__ for f, _, _ in get_before_snapshot()], [f.__name__ for f, _, _ in get_after_restore()]],
    "imported": state(),
}
# What an earlier call would leave open: a Redis cluster client, a pooled connection to AWS.
first = default_pipeline()
first.stores.cache.get("tenant", "key")
default_clients().dynamodb.describe_limits()
seen["used"] = state()
while get_before_snapshot():  # as the runtime runs them: reverse order of registration
    fn, args, kwargs = get_before_snapshot().pop()
    fn(*args, **kwargs)
seen["snapshot"] = state()
seen["same_pipeline"] = default_pipeline() is first
default_clients().dynamodb.describe_limits()  # the clients work after their pools were closed
random.seed(20261202)  # the generator's state in the snapshot
snapshot_draw = random.random()
random.seed(20261202)
for fn, args, kwargs in get_after_restore():
    fn(*args, **kwargs)
seen["same_draw_after_restore"] = random.random() == snapshot_draw
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    port = free_port()
    process = start_redis(port)
    try:
        yield port
    finally:
        kill_process(process)


def probe(function: str, redis_port: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCPIPE_", "POWERTOOLS_", "AWS_"))}
    env |= ENVIRONMENT | {
        "DOCPIPE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PROBE_REDIS_PORT": str(redis_port),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "functions" / function)],
        capture_output=True,
        env=env,
        timeout=120,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.fixture(scope="module", params=["submit", "status"])
def lifecycle(request: pytest.FixtureRequest, redis_port: int) -> dict[str, Any]:
    return probe(request.param, redis_port)


def test_the_handler_registers_one_hook_of_each_kind(lifecycle: dict[str, Any]) -> None:
    assert lifecycle["hooks"] == [["before_snapshot"], ["after_restore"]]


def test_importing_the_handler_opens_nothing_and_loads_nothing_lazy(lifecycle: dict[str, Any]) -> None:
    assert lifecycle["imported"] == {
        "connections": {"redis": 0, "aws": 0},
        "pipeline_built": 0,
        "redis_client": False,
        "tracer_built": 0,
        "modules": [],
    }


def test_the_probe_really_opened_connections(lifecycle: dict[str, Any]) -> None:
    """Otherwise the next test would pass without the hook doing anything."""
    used = lifecycle["used"]
    assert used["connections"]["redis"] >= 1
    assert used["connections"]["aws"] >= 1
    assert used["redis_client"]


def test_before_snapshot_warms_everything_and_leaves_no_connection(lifecycle: dict[str, Any]) -> None:
    snapshot = lifecycle["snapshot"]
    assert snapshot["connections"] == {"redis": 0, "aws": 0}
    assert snapshot["redis_client"] is False  # the pipeline holding one was dropped
    assert snapshot["pipeline_built"] == 1  # a new one, connecting on first use
    assert lifecycle["same_pipeline"] is False
    assert snapshot["tracer_built"] == 1
    assert snapshot["modules"] == ["aws_xray_sdk", "redis", "redis.cluster"]


def test_after_restore_reseeds_random(lifecycle: dict[str, Any]) -> None:
    assert lifecycle["same_draw_after_restore"] is False


def test_registering_twice_registers_once() -> None:
    def registered() -> list[str]:
        entries = [*snapshot_restore_py.get_before_snapshot(), *snapshot_restore_py.get_after_restore()]
        return [
            fn.__name__ for fn, _, _ in entries if fn in (snapshots.before_snapshot, snapshots.after_restore)
        ]

    snapshots.register()
    snapshots.register()
    assert registered() == ["before_snapshot", "after_restore"]
