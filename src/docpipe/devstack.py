"""`docpipe dev`: the whole pipeline on one machine, no AWS account.

- moto in server mode (S3, SQS, DynamoDB) and a real ``redis-server``, as child processes on free ports;
- the submit and status routers on one uvicorn server (OpenAPI docs at ``/docs``);
- render workers that long-poll the queue and call the SAME render Lambda handler
  (``functions/render/handler.py``) with SQS-shaped events, deleting what it reports as done.

Everything it starts stops with it (Ctrl-C, or leaving the ``with`` block).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
RENDER_HANDLER = REPO_ROOT / "functions" / "render" / "handler.py"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {timeout:g} s")


def start_redis(port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run `make setup`")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def ping() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    wait_until(ping, "redis-server")
    return process


def start_moto(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1), "moto server")
    return process


def local_environment(moto_port: int, redis_port: int, suffix: str) -> dict[str, str]:
    """The settings the functions read, pointed at the local services."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "DOCPIPE_AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "DOCPIPE_AWS_REGION": REGION,
        "DOCPIPE_BUCKET": f"docpipe-local-{suffix}",
        "DOCPIPE_JOBS_TABLE": f"docpipe-jobs-{suffix}",
        "DOCPIPE_QUEUE_URL": f"http://127.0.0.1:{moto_port}/{ACCOUNT}/docpipe-render-{suffix}",
        "DOCPIPE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "POWERTOOLS_SERVICE_NAME": "docpipe-local",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def create_resources(clients: Any, settings: Any) -> None:
    """What the CDK stack creates in AWS: bucket, jobs table, render queue with its DLQ."""
    clients.s3.create_bucket(Bucket=settings.bucket)
    clients.dynamodb.create_table(
        TableName=settings.jobs_table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name = settings.queue_url.rsplit("/", 1)[1]
    dlq = clients.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = clients.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{settings.max_receives}"}}'
    # A short visibility timeout locally, so a failed attempt is retried in seconds, not minutes.
    clients.sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "5"})


def load_render_handler() -> ModuleType:
    """Import functions/render/handler.py exactly as Lambda would run it."""
    spec = importlib.util.spec_from_file_location("docpipe_render_handler", RENDER_HANDLER)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {RENDER_HANDLER}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "docpipe-render-local"
    memory_limit_in_mb: int = 2048
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:docpipe-render-local"
    aws_request_id: str = ""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """Messages from ReceiveMessage, shaped as the SQS event Lambda's event source mapping sends."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", hashlib.md5(m["Body"].encode()).hexdigest()),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


class RenderWorker(threading.Thread):
    """Plays Lambda's SQS event source mapping: poll, invoke the handler, delete what succeeded."""

    def __init__(
        self, sqs: Any, queue_url: str, handler: Any, stop: threading.Event, batch_size: int = 1
    ) -> None:
        super().__init__(daemon=True, name="render-worker")
        self.sqs, self.queue_url, self.handler, self.stop_event = sqs, queue_url, handler, stop
        self.batch_size = batch_size
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def run(self) -> None:
        while not self.stop_event.is_set():
            with contextlib.suppress(Exception):  # a dependency blip must not kill the worker
                self.poll_once(wait_seconds=1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = sqs_event(messages, self.queue_arn)
        try:
            response = self.handler(event, LambdaContext(aws_request_id=uuid.uuid4().hex))
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception:
            failed = {m["MessageId"] for m in messages}  # the whole batch fails, as in Lambda
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


class DevStack:
    """Start with ``with DevStack() as stack:``; ``stack.url`` is the API."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, workers: int = 2, quiet: bool = True
    ) -> None:
        self.host, self.port = host, port or free_port()
        self.workers, self.quiet = workers, quiet
        self._processes: list[subprocess.Popen[bytes]] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._server: Any = None
        self.environment: dict[str, str] = {}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> DevStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        redis_port, moto_port = free_port(), free_port()
        self._processes.append(start_redis(redis_port))
        self._processes.append(start_moto(moto_port))
        self.environment = local_environment(moto_port, redis_port, uuid.uuid4().hex[:8])
        if self.quiet:
            self.environment |= {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
        os.environ.update(self.environment)
        self._start_services()

    def _start_services(self) -> None:
        from docpipe.api import create_app, status_router, submit_router
        from docpipe.aws import default_clients, make_clients
        from docpipe.pipeline import Pipeline, default_pipeline
        from docpipe.settings import Settings, get_settings

        for cached in (get_settings, default_clients, default_pipeline):
            cached.cache_clear()  # the handlers' per-container state must see this stack's settings
        settings = Settings()
        clients = make_clients(settings)
        create_resources(clients, settings)
        pipeline = Pipeline.from_clients(settings, clients)
        self.pipeline = pipeline
        self._start_workers(clients, settings)
        app = create_app(submit_router(), status_router(), pipeline_factory=lambda: pipeline)
        self._start_http(app)

    def _start_workers(self, clients: Any, settings: Any) -> None:
        handler = load_render_handler()
        for _ in range(self.workers):
            worker = RenderWorker(clients.sqs, settings.queue_url, handler.handler, self._stop)
            worker.start()
            self._threads.append(worker)

    def _start_http(self, app: Any) -> None:
        import uvicorn

        config = uvicorn.Config(
            app, host=self.host, port=self.port, log_level="warning", access_log=not self.quiet
        )
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, daemon=True, name="uvicorn")
        thread.start()
        self._threads.append(thread)
        wait_until(lambda: urllib.request.urlopen(f"{self.url}/health", timeout=1), "the API")

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=10)
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        self._threads.clear()


def run_dev(args: argparse.Namespace) -> int:
    with DevStack(host=args.host, port=args.port, workers=args.workers, quiet=not args.verbose) as stack:
        print(f"docpipe local stack: {stack.url}  (API docs: {stack.url}/docs)", flush=True)
        print(f"  moto (S3, SQS, DynamoDB): {stack.environment['DOCPIPE_AWS_ENDPOINT_URL']}", flush=True)
        print(f"  redis: {stack.environment['DOCPIPE_REDIS_URL']}    Ctrl-C stops everything.", flush=True)
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    print("stopped.")
    return 0


def add_command(sub: Any) -> None:
    dev = sub.add_parser("dev", help="run the whole pipeline locally (moto, redis, API, render workers)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--workers", type=int, default=2, help="render workers (one TeX each)")
    dev.add_argument("--verbose", action="store_true", help="log requests and the functions' JSON logs")
    dev.set_defaults(handler=run_dev)


def http_json(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """A tiny JSON client on the standard library (the demo and the smoke checks use it)."""
    import json
    import urllib.error

    request = urllib.request.Request(
        url, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def run_demo(args: argparse.Namespace) -> int:
    """Start the stack, submit the bundled samples, poll, download the PDFs, print timings, stop."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    samples = sorted((Path(__file__).parent / "samples").glob("*.json"))
    started = time.perf_counter()
    with DevStack(workers=2) as stack:
        print(f"local stack up in {time.perf_counter() - started:.1f} s at {stack.url}", flush=True)
        for sample in samples:
            t0 = time.perf_counter()
            code, body = http_json("POST", f"{stack.url}/v1/documents", sample.read_bytes())
            if code not in (200, 202):
                print(f"{sample.name}: submit failed {code}: {body}", file=sys.stderr)
                return 1
            while body.get("status") in ("queued", "rendering"):
                time.sleep(0.05)
                code, body = http_json("GET", f"{stack.url}/v1/jobs/{body['job_id']}")
            if body.get("status") != "succeeded":
                print(f"{sample.name}: {body}", file=sys.stderr)
                return 1
            with urllib.request.urlopen(body["download_url"], timeout=30) as response:
                pdf = response.read()
            target = out / f"{sample.stem}.pdf"
            target.write_bytes(pdf)
            print(
                f"{target}: {len(pdf):,} bytes, submit→PDF {1000 * (time.perf_counter() - t0):.0f} ms",
                flush=True,
            )
        t0 = time.perf_counter()
        code, body = http_json("POST", f"{stack.url}/v1/documents", samples[0].read_bytes())
        print(
            f"resubmit {samples[0].name}: HTTP {code}, cached={body.get('cached')}, {1000 * (time.perf_counter() - t0):.1f} ms"
        )
    print(f"stack stopped; total {time.perf_counter() - started:.1f} s")
    return 0
