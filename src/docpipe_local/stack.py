"""The whole pipeline on one machine, no AWS account: what ``docpipe dev`` runs.

- moto in server mode (S3, SQS, DynamoDB) and a real ``redis-server``, as child processes on free ports;
- the submit and status routers on one uvicorn server (OpenAPI docs at ``/docs``): in a thread of
  this process, or, with ``api_processes=N`` (``--api-processes N``), in N processes sharing the port
  (``SO_REUSEPORT``: the kernel spreads connections over them), so the API is not bound to one GIL
  shared with the workers — what the load tests use;
- render workers that long-poll the queue and call the SAME render Lambda handler
  (``functions/render/handler.py``) with SQS-shaped events, deleting what it reports as done.

Everything it starts stops with it (leaving the ``with`` block).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import uuid
from typing import Any

from docpipe_local.api_server import listening, local_app, serve, wait_for_api
from docpipe_local.moto_server import start_moto, wait_for_moto
from docpipe_local.polling import poll
from docpipe_local.processes import free_port, python_module, stop_process
from docpipe_local.redis_server import start_redis, wait_for_redis
from docpipe_local.render_worker import RenderWorker, load_render_handler
from docpipe_local.resources import create_resources, local_environment


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
        self._in_process_api = contextlib.ExitStack()
        self.environment: dict[str, str] = {}
        self.pipeline: Any = None

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
        redis_process = start_redis(redis_port, wait=False)
        self._processes.append(redis_process)
        moto = start_moto(moto_port, wait=False)
        self._processes.append(moto)
        api = self._spawn_api_processes()
        wait_for_redis(redis_port, process=redis_process)
        wait_for_moto(moto)
        self._start_services(api)

    def _start_services(self, api_processes: list[subprocess.Popen[bytes]]) -> None:
        from docpipe.aws import default_clients, make_clients
        from docpipe.pipeline import Pipeline, default_pipeline
        from docpipe.settings import Settings, get_settings

        for cached in (get_settings, default_clients, default_pipeline):
            cached.cache_clear()  # the handlers' per-container state must see this stack's settings
        settings = Settings.from_environment()
        clients = make_clients(settings)
        create_resources(clients, settings)
        pipeline = Pipeline.from_clients(settings, clients)
        self.pipeline = pipeline
        self._start_workers(clients, settings)
        if api_processes:
            self._wait_for_api_processes(api_processes)
        else:
            app = local_app(lambda: pipeline)
            self._in_process_api.enter_context(serve(app, self.host, self.port, access_log=not self.quiet))

    def _start_workers(self, clients: Any, settings: Any) -> None:
        for _ in range(self.workers):
            # One handler module per worker, as one per Lambda container: the module holds the
            # Powertools BatchProcessor, whose per-batch state two threads must not share.
            handler = load_render_handler()
            worker = RenderWorker(clients.sqs, settings.queue_url, handler.handler, self._stop)
            worker.start()
            self._threads.append(worker)

    def _spawn_api_processes(self) -> list[subprocess.Popen[bytes]]:
        args = [self.host, str(self.port)] + ([] if self.quiet else ["--access-log"])
        # They boot (imports, clients) while moto and the resources come up, but wait on stdin for
        # the word before they listen: an API that answers /health must find its table and queue.
        started = [
            python_module("docpipe_local.api_server", *args, env=os.environ.copy(), stdin=subprocess.PIPE)
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

        def all_listening() -> bool:
            for process in processes:
                if process.poll() is not None:
                    raise RuntimeError(f"an API process exited with code {process.returncode}")
            return all(listening(process.pid) for process in processes)

        poll(all_listening, what="the API processes listening", timeout=timeout)
        wait_for_api(self.url)

    def stop(self) -> None:
        self._stop.set()
        self._in_process_api.close()
        for thread in self._threads:
            thread.join(timeout=10)
        for process in self._processes:  # all at once, then each waited for
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in self._processes:
            stop_process(process)
        self._processes.clear()
        self._threads.clear()
