"""`docpipe dev`: the whole pipeline on one machine, no AWS account.

- moto in server mode (S3, SQS, DynamoDB) and a real ``redis-server``, as child processes on free ports;
- the submit and status routers on one uvicorn server (OpenAPI docs at ``/docs``): in a thread of
  this process, or, with ``api_processes=N`` (``--api-processes N``), in N processes sharing the port
  (``SO_REUSEPORT``: the kernel spreads connections over them), so the API is not bound to one GIL
  shared with the workers — what the load tests use;
- render workers that long-poll the queue and call the SAME render Lambda handler
  (``functions/render/handler.py``) with SQS-shaped events, deleting what it reports as done.

Everything it starts stops with it (Ctrl-C, SIGTERM, or leaving the ``with`` block).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


REDIS_CLUSTER_SLOTS = 16384


@dataclass(frozen=True)
class RedisTls:
    """TLS material of a local redis-server, as PEM files: its certificate and key, and the CA that
    signed them (what a client must trust, e.g. ``SSL_CERT_FILE=<ca>``)."""

    cert: Path
    key: Path
    ca: Path


def make_redis_tls(directory: Path, *, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> RedisTls:
    """A throwaway CA and a server certificate it signed for ``hosts``, written into ``directory``.

    ``make_redis_tls(directory: Path, *, hosts=("127.0.0.1", "localhost")) -> RedisTls``: writes
    ``ca.pem``, ``server.pem`` and ``server-key.pem`` (EC P-256, valid for two days; IP addresses in
    ``hosts`` become IP subject alternative names, anything else DNS names). Use it with
    ``start_redis(port, tls=tls)`` and point clients at ``rediss://127.0.0.1:PORT/0`` with
    ``SSL_CERT_FILE=tls.ca`` (127.0.0.1 rather than localhost: redis-py's cluster client turns
    ``localhost`` into 127.0.0.1 and checks the certificate against that). Each call makes a new CA,
    so a second call gives a certificate that clients trusting the first CA reject (and one made for
    other ``hosts`` fails the host name check). Local stack and tests only: it needs ``cryptography``
    (installed with moto, the ``local`` extra), imported here and nowhere on the Lambda paths.
    """
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"docpipe test CA {uuid.uuid4().hex[:8]}")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    tls = RedisTls(cert=directory / "server.pem", key=directory / "server-key.pem", ca=directory / "ca.pem")
    tls.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    tls.cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    tls.key.chmod(0o600)
    return tls


class RedisProcess(subprocess.Popen[bytes]):
    """A redis-server child process; its throwaway directory (cluster config) goes once it has exited."""

    def __init__(self, command: list[str], workdir: tempfile.TemporaryDirectory[str]) -> None:
        super().__init__(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workdir = workdir
        """Holds ``nodes.conf`` and the log; also removed at interpreter exit if nobody waited."""

    def wait(self, timeout: float | None = None) -> int:
        code = super().wait(timeout)
        self.workdir.cleanup()
        return code

    def log_tail(self, lines: int = 5) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(
                (Path(self.workdir.name) / "redis.log").read_text(errors="replace").splitlines()[-lines:]
            )
        return ""


def start_redis(port: int, *, wait: bool = True, tls: RedisTls | None = None) -> RedisProcess:
    """A cluster-mode ``redis-server`` on 127.0.0.1:``port``, as ElastiCache Serverless is (cluster
    mode only): one node that owns all 16384 slots once :func:`wait_for_redis` has run (``wait``).

    With ``tls`` it listens for TLS only on ``port`` (``--port 0``: no plaintext port, as in AWS),
    announces that port in CLUSTER SLOTS, and does not ask clients for certificates. The cluster bus
    gets a free port of its own (``port + 10000``, the default, may not exist), and the node's cluster
    config lives in a throwaway directory removed once the process has been waited for.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run `make setup`")
    workdir = tempfile.TemporaryDirectory(prefix="docpipe-redis-")
    command = [binary, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", workdir.name, "--logfile", "redis.log"]
    command += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
    command += ["--cluster-port", str(free_port())]
    if tls is None:
        command += ["--port", str(port)]
    else:
        command += ["--port", "0", "--tls-port", str(port), "--tls-cluster", "yes"]
        command += ["--tls-cert-file", str(tls.cert), "--tls-key-file", str(tls.key)]
        command += ["--tls-ca-cert-file", str(tls.ca), "--tls-auth-clients", "no"]
    process = RedisProcess(command, workdir)
    if wait:
        try:
            wait_for_redis(port, tls=tls)
        except RuntimeError as error:
            log = process.log_tail()  # before waiting: that removes the directory
            process.kill()
            process.wait()
            raise RuntimeError(f"{error}: {log or 'no log'}") from error
    return process


def wait_for_redis(port: int, *, tls: RedisTls | None = None, timeout: float = 20.0) -> None:
    """Wait until the redis-server on ``port`` answers, give it every slot if it has none (a one-node
    cluster), and wait until it reports ``cluster_state:ok``."""
    import redis

    # Our own child, reached by address: its certificate chain is checked, not the names it is for.
    security: dict[str, Any] = (
        {"ssl": True, "ssl_ca_certs": str(tls.ca), "ssl_check_hostname": False} if tls else {}
    )
    admin: Any = redis.Redis(  # a plain client: the node is not a working cluster yet
        host="127.0.0.1", port=port, protocol=2, socket_connect_timeout=1, socket_timeout=2, **security
    )

    def cluster_info() -> dict[str, str]:
        raw = admin.execute_command("CLUSTER", "INFO")
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return dict(line.split(":", 1) for line in text.split() if ":" in line)

    try:
        wait_until(admin.ping, "redis-server", timeout)
        if cluster_info().get("cluster_slots_assigned") == "0":
            admin.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, REDIS_CLUSTER_SLOTS - 1)
        wait_until(lambda: cluster_info().get("cluster_state") == "ok", "the redis cluster", timeout)
    finally:
        admin.close()


def start_moto(port: int, *, wait: bool = True) -> subprocess.Popen[bytes]:
    """moto's server (S3, SQS, DynamoDB) on ``port``, as :func:`serve_moto` runs it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "docpipe.devstack", "moto", "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if wait:
        wait_for_moto(port)
    return process


def wait_for_moto(port: int) -> None:
    wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1), "moto server")


def local_environment(moto_port: int, redis_port: int, suffix: str) -> dict[str, str]:
    """The settings the functions read, pointed at the local services."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "DOCPIPE_AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
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
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        workers: int = 2,
        quiet: bool = True,
        api_processes: int = 0,
    ) -> None:
        self.host, self.port = host, port or free_port()
        self.workers, self.quiet = workers, quiet
        self.api_processes = api_processes
        """0: uvicorn in a thread of this process; N: N uvicorn processes sharing the port."""
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
        self.environment = local_environment(moto_port, redis_port, uuid.uuid4().hex[:8])
        if self.quiet:
            self.environment |= {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
        os.environ.update(self.environment)
        from docpipe.observability import logger

        logger.setLevel(self.environment.get("POWERTOOLS_LOG_LEVEL", "INFO"))  # created before the env
        # Everything that takes a while to boot boots at once; nothing is used before it answers.
        self._processes.append(start_redis(redis_port, wait=False))
        self._processes.append(start_moto(moto_port, wait=False))
        api = self._spawn_api_processes()
        wait_for_redis(redis_port)
        wait_for_moto(moto_port)
        self._start_services(api)

    def _start_services(self, api_processes: list[subprocess.Popen[bytes]]) -> None:
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
        if api_processes:
            self._wait_for_api_processes(api_processes)
        else:
            self._start_http(local_app(lambda: pipeline))

    def _start_workers(self, clients: Any, settings: Any) -> None:
        for _ in range(self.workers):
            # One handler module per worker, as one per Lambda container: the module holds the
            # Powertools BatchProcessor, whose per-batch state two threads must not share.
            handler = load_render_handler()
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

    def _spawn_api_processes(self) -> list[subprocess.Popen[bytes]]:
        command = [sys.executable, "-m", "docpipe.devstack", "api", self.host, str(self.port)]
        if not self.quiet:
            command.append("--access-log")
        # They boot (imports, clients) while moto and the resources come up, but wait on stdin for
        # the word before they listen: an API that answers /health must find its table and queue.
        started = [
            subprocess.Popen(command, env=os.environ.copy(), stdin=subprocess.PIPE)
            for _ in range(self.api_processes)
        ]
        self._processes.extend(started)
        return started

    def _wait_for_api_processes(self, processes: list[subprocess.Popen[bytes]], timeout: float = 30) -> None:
        """Every one must be accepting before the stack counts as up; one that exits is an error."""
        for process in processes:
            assert process.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # one that died is reported below
                process.stdin.write(b"ready\n")
                process.stdin.close()
        deadline = time.monotonic() + timeout
        pending = list(processes)
        while pending:
            for process in list(pending):
                if process.poll() is not None:
                    raise RuntimeError(f"an API process exited with code {process.returncode}")
                if _listening(process.pid):
                    pending.remove(process)
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"the API processes did not start within {timeout:g} s")
            time.sleep(0.05)
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


def _listening(pid: int) -> bool:
    """Whether process ``pid`` has a listening TCP socket (its uvicorn is accepting)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    return True
    return False


class MetricsPerRequest:
    """Pure ASGI wrapper: what the Lambda handlers' ``log_metrics`` does per invocation, per request.

    Locally nothing else would emit the API's metrics, and Powertools prints a blob every 100 of them
    even when disabled. Verbose stacks print each request's metrics (EMF); quiet ones drop them.
    """

    def __init__(self, app: Any) -> None:
        from docpipe.observability import metrics

        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] != "http" or not self.metrics.metric_set:
            return
        if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
            self.metrics.clear_metrics()
        else:
            self.metrics.flush_metrics()


def local_app(pipeline_factory: Any) -> Any:
    """The submit and status routers on one app, as the local stack serves them."""
    from docpipe.api import create_app, status_router, submit_router
    from docpipe.settings import get_settings

    app = create_app(
        submit_router(),
        status_router(),
        pipeline_factory=pipeline_factory,
        cors_origins=get_settings().cors_origins,
    )
    return MetricsPerRequest(app)


def serve_api(host: str, port: int, access_log: bool = False) -> None:
    """One API process of ``docpipe dev --api-processes N``: its own uvicorn on a port it shares.

    The stack's settings come from the environment the parent set; the pipeline is the handlers'
    ``default_pipeline``, one per process as one per Lambda container.
    """
    import uvicorn

    from docpipe.pipeline import default_pipeline

    default_pipeline()  # boto3 clients now, as a container's init would, not on the first request
    app = local_app(default_pipeline)
    if sys.stdin.buffer.readline() != b"ready\n":  # the parent says when the stores exist
        raise SystemExit("the local stack stopped before it was ready")
    # proto=IPPROTO_TCP, as uvicorn's own sockets: asyncio sets TCP_NODELAY on the connections of a
    # listener only when its proto says TCP. With proto 0, Nagle held back the body of every response
    # (uvicorn writes head and body separately) until the client's delayed ACK: +40 ms per request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)  # listening means ready: the parent waits for this
    config = uvicorn.Config(app, log_level="warning", access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def serve_moto(host: str, port: int) -> None:
    """What ``python -m moto.server`` runs (moto's app on werkzeug's threaded server, with moto's
    request handler), minus costs that are the emulator's, not the pipeline's (AWS has none of
    them); what moto answers is unchanged:

    - the dispatcher lists moto's ~200 package folders (one ``stat`` each) on every request to find
      the service: the list is taken once (a DynamoDB GetItem: 0.85 → 0.59 ms of CPU);
    - SQS reads the clock through datetime arithmetic, once per message per scan, and SendMessage
      and GetQueueAttributes scan the whole queue (twice or more): with 2,000 messages waiting a send
      cost ~40 ms. ``time.time()`` gives the same number ~20x cheaper, so a long queue (the async
      scenario's) costs a few ms per send, not tens;
    - DynamoDB: see :func:`_patch_dynamodb_transactions` (each TransactWriteItems deep-copied the
      whole table: O(jobs so far), and unsafe next to concurrent writes);
    - responses leave without Nagle's wait for the client's delayed ACK (werkzeug writes head and
      body separately), and the per-request access log nobody reads is not formatted.
    """
    import moto.backends
    import moto.sqs.models
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    backends: Any = moto.backends
    sqs_models: Any = moto.sqs.models
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    exact_millis = sqs_models.unix_time_millis

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else float(exact_millis(dt))

    sqs_models.unix_time_millis = unix_time_millis
    _patch_dynamodb_transactions()

    class Handler(MotoRequestHandler):
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_request(self, *_: Any) -> None:
            pass

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=True, request_handler=Handler)


def _patch_dynamodb_transactions() -> None:
    """moto's TransactWriteItems backs up every table it touches with ``copy.deepcopy`` to roll back
    a cancelled transaction. That costs O(table): 3 ms on an empty jobs table, 95 ms at 1,000 items,
    340 ms at 4,000, on every submit, so the local stack slowed down as jobs piled up. And the copy
    iterates the table while other threads write to it ("dictionary changed size during iteration":
    a 500, which docpipe rightly answers with 503), and the rollback put the copy back over any write
    made meanwhile.

    Here every DynamoDB item operation of the process holds one lock (moto's work is under the GIL
    anyway, so nothing is lost), and a transaction backs up only the items it touches: the rollback
    restores those, as DynamoDB's all-or-nothing promises, and nothing else.
    """
    import moto.dynamodb.models

    models: Any = moto.dynamodb.models
    backend: Any = models.DynamoDBBackend
    lock = threading.RLock()

    def locked(method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return call

    for name in ("get_item", "put_item", "update_item", "delete_item"):
        setattr(backend, name, locked(getattr(backend, name)))

    class NoTableCopies:
        """Stands in for the ``copy`` module inside moto's DynamoDB models during a transaction."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, models.Table) else copy.deepcopy(value, memo)

    def touched_items(self: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
        saved = []
        for entry in transact_items:
            kind, op = next(iter(entry.items()))
            table = self.get_table(op["TableName"])
            if kind == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            current = self.get_item(op["TableName"], key)
            saved.append(
                (op["TableName"], key, copy.deepcopy(current.to_json()["Attributes"]) if current else None)
            )
        return saved

    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with lock:
            try:
                saved = touched_items(self, transact_items)
            except Exception:  # a malformed request: moto's own code gives the right error
                return original(self, transact_items)  # type: ignore[no-any-return]
            models.copy = NoTableCopies
            try:
                original(self, transact_items)
            except Exception:
                for table_name, key, attributes in reversed(saved):
                    if attributes is None:
                        with contextlib.suppress(Exception):
                            self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, attributes)
                raise
            finally:
                models.copy = copy

    backend.transact_write_items = transact_write_items


def run_dev(args: argparse.Namespace) -> int:
    stopped = threading.Event()

    def on_sigterm(*_: object) -> None:
        # While starting, SIGTERM unwinds like Ctrl-C, so nothing started so far is left running.
        if not stopped.is_set():
            stopped.set()
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    with (
        contextlib.suppress(KeyboardInterrupt),
        DevStack(
            host=args.host,
            port=args.port,
            workers=args.workers,
            quiet=not args.verbose,
            api_processes=args.api_processes,
        ) as stack,
    ):
        api = f"{args.api_processes} processes" if args.api_processes else "in-process"
        print(f"docpipe local stack: {stack.url}  (API docs: {stack.url}/docs)", flush=True)
        print(f"  API: {api}; render workers: {args.workers}", flush=True)
        print(f"  moto (S3, SQS, DynamoDB): {stack.environment['DOCPIPE_AWS_ENDPOINT_URL']}", flush=True)
        print(f"  redis: {stack.environment['DOCPIPE_REDIS_URL']}    Ctrl-C stops everything.", flush=True)
        stopped.wait()
    print("stopped.", flush=True)
    return 0


def add_command(sub: Any) -> None:
    dev = sub.add_parser("dev", help="run the whole pipeline locally (moto, redis, API, render workers)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--workers", type=int, default=2, help="render workers (one TeX each)")
    dev.add_argument(
        "--api-processes",
        type=int,
        default=0,
        metavar="N",
        help="serve the API from N processes sharing the port (default: a thread of this process)",
    )
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


if __name__ == "__main__":  # `python -m docpipe.devstack api|moto HOST PORT`: a process of the stack
    _, role, child_host, child_port, *flags = sys.argv
    if role == "api":
        serve_api(child_host, int(child_port), access_log="--access-log" in flags)
    elif role == "moto":
        serve_moto(child_host, int(child_port))
    else:
        raise SystemExit(f"unknown role {role!r}")
