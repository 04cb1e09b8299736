"""A real ``redis-server`` as a child process, in cluster mode as ElastiCache Serverless runs it."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from docpipe_local.polling import poll
from docpipe_local.processes import free_port, kill_process, stop_process
from docpipe_local.redis_tls import RedisTls

REDIS_CLUSTER_SLOTS = 16384


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
        except TimeoutError as error:
            log = process.log_tail()  # before waiting: that removes the directory
            kill_process(process)
            raise RuntimeError(f"{error}: {log or 'no log'}") from error
    return process


def wait_for_redis(
    port: int, *, tls: RedisTls | None = None, timeout: float = 20.0, process: RedisProcess | None = None
) -> None:
    """Wait until the redis-server on ``port`` answers, give it every slot if it has none (a one-node
    cluster), and wait until it reports ``cluster_state:ok``. Given its ``process``, one that exited
    is reported at once, with the end of its log."""
    # Our own child, reached by address: its certificate chain is checked, not the names it is for.
    security: dict[str, Any] = (
        {"ssl": True, "ssl_ca_certs": str(tls.ca), "ssl_check_hostname": False} if tls else {}
    )
    admin: Any = redis.Redis(  # a plain client: the node is not a working cluster yet
        host="127.0.0.1",
        port=port,
        protocol=2,
        socket_connect_timeout=1,
        socket_timeout=2,
        retry=Retry(NoBackoff(), 0),  # the poll below is the retry loop; redis-py's own waits ~26 s
        **security,
    )

    def cluster_info() -> dict[str, str]:
        raw = admin.execute_command("CLUSTER", "INFO")
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return dict(line.split(":", 1) for line in text.split() if ":" in line)

    def ping() -> Any:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"redis-server on port {port} exited with code {process.returncode}: "
                f"{process.log_tail() or 'no log'}"
            )
        return admin.ping()

    try:
        poll(ping, what="redis-server answering", timeout=timeout, retry_on=(redis.RedisError,))
        if cluster_info().get("cluster_slots_assigned") == "0":
            admin.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, REDIS_CLUSTER_SLOTS - 1)
        poll(
            cluster_info,
            until=lambda info: info.get("cluster_state") == "ok",
            what="the redis cluster being ok",
            timeout=timeout,
            retry_on=(redis.RedisError,),
        )
    finally:
        admin.close()


class RedisServer:
    """A cluster-mode redis-server child process (as :func:`start_redis` runs it) that can be killed
    and restarted on the same port; a restart is a new, empty one-node cluster."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: RedisProcess | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = start_redis(self.port)
        return self

    def kill(self) -> None:
        if self.process is not None:
            kill_process(self.process)
            self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
