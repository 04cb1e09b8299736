"""Shared fixtures: the local stack (real redis-server, moto server, uvicorn, the render handler)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docpipe_local.render_worker import RenderWorker, load_render_handler
from docpipe_local.stack import DevStack

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "docpipe" / "samples"


@pytest.fixture(scope="session")
def stack() -> Iterator[DevStack]:
    """One local stack for the session, with no background workers: tests drive rendering."""
    with DevStack(workers=0) as running:
        yield running


@pytest.fixture(scope="session")
def worker(stack: DevStack) -> RenderWorker:
    """Polls the queue once per call and runs the real render Lambda handler on what it gets."""
    import threading

    settings = stack.pipeline.settings
    handler = load_render_handler().handler
    return RenderWorker(
        stack.pipeline.stores.queue.client, settings.queue_url, handler, threading.Event(), batch_size=10
    )


@pytest.fixture
def sample_resume() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / "resume.json").read_text())
    return loaded
