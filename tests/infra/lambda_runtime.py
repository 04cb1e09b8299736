"""A stand-in for Lambda's Python runtime, run as its own process: ``python -I -B lambda_runtime.py
HANDLER TIMEOUT_SECONDS TASK_ROOT [EXTRA_PATH ...]``.

Like the real bootstrap it puts the task root first on ``sys.path``, imports the handler module once
(the cold start: a missing setting fails here), for a SnapStart function (``AWS_LAMBDA_INITIALIZATION_TYPE``
``snap-start``) runs one snapshot and restore as the runtime does (the before-snapshot hooks in reverse
order of registration, then the after-restore hooks), and then answers invocations: one JSON line on stdin
(``{"event", "request_id", "trace_id"}``) per call, one result line on stdout behind ``MARKER``. Every
other line on stdout is what the function logged, exactly as CloudWatch would receive it.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

MARKER = "\x1edocpipe-lambda-result "


class Context:
    """The attributes of Lambda's context object that Powertools and the handlers read."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.invoked_function_arn = (
            f"arn:aws:lambda:{os.environ['AWS_REGION']}:123456789012:function:{self.function_name}"
        )
        # Not set for SnapStart functions.
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def reply(payload: dict[str, Any]) -> None:
    sys.stdout.write(MARKER + json.dumps(payload) + "\n")
    sys.stdout.flush()


def snapshot_and_restore() -> None:
    """What the runtime does between a SnapStart function's init and its first invocation (a hook that
    raises fails the init, as it fails the version's publication in AWS)."""
    from snapshot_restore_py import get_after_restore, get_before_snapshot

    while get_before_snapshot():
        function, args, kwargs = get_before_snapshot().pop()
        function(*args, **kwargs)
    for function, args, kwargs in get_after_restore():
        function(*args, **kwargs)


def main() -> None:
    handler_name, timeout_seconds, *paths = sys.argv[1:]
    timeout = float(timeout_seconds)
    sys.path[:0] = paths
    module_name, function_name = handler_name.rsplit(".", 1)
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        import docpipe

        snapshot = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"
        if snapshot:
            snapshot_and_restore()
        reply({"init": "ok", "docpipe": docpipe.__file__, "snapshot": snapshot})
    except BaseException as exc:  # the runtime reports an init error and the function never runs
        reply({"init": "error", "error": repr(exc), "traceback": traceback.format_exc()})
        return
    for line in sys.stdin:
        call = json.loads(line)
        os.environ["_X_AMZN_TRACE_ID"] = call["trace_id"]
        try:
            result = handler(call["event"], Context(call["request_id"], time.monotonic() + timeout))
            reply({"result": result})
        except Exception as exc:
            reply({"error": repr(exc), "traceback": traceback.format_exc()})


if __name__ == "__main__":
    main()
