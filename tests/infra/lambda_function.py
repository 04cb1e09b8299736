"""Boot one function of a synthesized template as Lambda would, in its own process.

The process gets the code CDK staged for the function (its asset folder, not the repository's
sources), its handler, and an environment made of only three parts:

- what Lambda itself sets for every function (region, function name, memory, log group, X-Ray, ...);
- the image's own ``ENV`` lines, for a container-image function (Lambda starts from them);
- the function's ``Environment.Variables`` from the template, references resolved (deployed.py).

Two more variables stand in for the cloud and say nothing about the application: ``AWS_ENDPOINT_URL``
(every AWS SDK call goes to moto, as DNS would send it to AWS) and ``SSL_CERT_FILE`` (the test CA
that signed the local Redis' certificate, as Amazon's CA signs ElastiCache's).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lambda_runtime import MARKER
from lambda_sandbox import BASE_IMAGE_ENV, dockerfile_env, dockerfile_instructions

RUNTIME = Path(__file__).with_name("lambda_runtime.py")
# The runtime's PATH and locale as the python3.12 managed runtime sets them.
LAMBDA_PATH = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"


def image_command(dockerfile: Path) -> str:
    """The handler the image's ``CMD`` names (what Lambda runs unless ImageConfig overrides it)."""
    (command,) = [
        json.loads(args) for keyword, args in dockerfile_instructions(dockerfile) if keyword == "CMD"
    ]
    assert len(command) == 1, command
    return str(command[0])


class LambdaFunction:
    """One warm execution environment of a function: started once, invoked many times."""

    def __init__(
        self,
        *,
        logical_id: str,
        template: Mapping[str, Any],
        environment: Mapping[str, str],
        asset_root: Path,
        region: str,
        cloud_environment: Mapping[str, str],
        wrap: Sequence[str] = (),
        python: str = sys.executable,
    ) -> None:
        resource = template["Resources"][logical_id]
        props = resource["Properties"]
        asset = asset_root / resource["Metadata"]["aws:asset:path"]
        self.name = f"Docpipe-{logical_id}-{uuid.uuid4().hex[:8]}"
        self.logs: list[str] = []
        if props.get("PackageType") == "Image":
            dockerfile = asset / resource["Metadata"]["aws:asset:dockerfile-path"]
            handler = (props.get("ImageConfig") or {}).get("Command", [image_command(dockerfile)])[0]
            # The image copies functions/render/ into its task root and installs src/docpipe.
            paths = [str(asset / "functions" / "render"), str(asset / "src")]
            base = dockerfile_env(dockerfile, BASE_IMAGE_ENV)
        else:
            handler = props["Handler"]
            paths = [str(asset)]
            base = {"PATH": LAMBDA_PATH}
        env = {
            **base,
            **self._runtime_environment(props, handler, region),
            **environment,
            **cloud_environment,
        }
        # The venv's interpreter stands in for /var/lang/bin/python3.12: keep it reachable.
        env["PATH"] = f"{Path(python).parent}:{env['PATH']}"
        self.environment = env
        self._tracing = (props.get("TracingConfig") or {}).get("Mode") == "Active"
        timeout = str(props.get("Timeout", 3))
        self._process = subprocess.Popen(
            [*wrap, python, "-I", "-B", str(RUNTIME), handler, timeout, *paths],
            env=env,
            cwd=paths[0],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.init = self._next_reply(timeout=120)

    def _runtime_environment(self, props: Mapping[str, Any], handler: str, region: str) -> dict[str, str]:
        # A SnapStart function runs a published version, restored from its snapshot (lambda_runtime.py
        # runs the hooks), and is not told its log group and stream.
        snap_start = (props.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions"
        logs = {
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/12/02/[$LATEST]{uuid.uuid4().hex}",
        }
        return {
            "_HANDLER": handler,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
            "AWS_LAMBDA_FUNCTION_VERSION": "1" if snap_start else "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start" if snap_start else "on-demand",
            **({} if snap_start else logs),
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            # The role's temporary credentials.
            "AWS_ACCESS_KEY_ID": "ASIATESTING",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            # X-Ray's daemon: on loopback here (nothing listens; UDP sends are fire-and-forget).
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
            "_AWS_XRAY_DAEMON_PORT": "2000",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _next_reply(self, timeout: float) -> dict[str, Any]:
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"{self.name} did not answer within {timeout:g} s") from None
            if line is None:
                raise AssertionError(f"{self.name} exited:\n" + "".join(self.logs[-40:]))
            if line.startswith(MARKER):
                reply: dict[str, Any] = json.loads(line[len(MARKER) :])
                return reply
            self.logs.append(line)

    def invoke(self, event: Mapping[str, Any], timeout: float = 120) -> Any:
        assert self.init.get("init") == "ok", self.init
        trace = f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]}"
        call = {
            "event": event,
            "request_id": str(uuid.uuid4()),
            "trace_id": f"{trace};Sampled={1 if self._tracing else 0}",
        }
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(call) + "\n")
        self._process.stdin.flush()
        reply = self._next_reply(timeout)
        assert "result" in reply, reply.get("traceback", reply)
        return reply["result"]

    def log_records(self) -> list[dict[str, Any]]:
        """The structured (JSON) log lines the function wrote."""
        records = []
        for line in self.logs:
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
