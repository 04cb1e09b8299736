"""The composition root: every use case over one set of stores, as the handlers and the local stack
use them. The logic is in :mod:`docpipe.usecases`, one module per use case."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from docpipe import formats
from docpipe.aws import AwsClients, default_clients
from docpipe.cache import DocumentCache
from docpipe.renderer import Renderer
from docpipe.settings import Settings, get_settings
from docpipe.usecases.erase import EraseJob
from docpipe.usecases.idempotency import Idempotency
from docpipe.usecases.render import DocumentRenderer, RenderJob
from docpipe.usecases.repair import StaleJobRepair
from docpipe.usecases.status import GetJob
from docpipe.usecases.stores import Stores
from docpipe.usecases.submit import SubmitDocument


@dataclass(frozen=True)
class Pipeline:
    """``submit(raw, tenant, idempotency_key)``, ``status(job_id, tenant)``, ``erase(job_id, tenant)``
    for the API; ``render.record(body, receive_count)`` for the render handler."""

    settings: Settings
    stores: Stores
    submit: SubmitDocument
    status: GetJob
    erase: EraseJob
    render: RenderJob

    @classmethod
    def build(cls, settings: Settings, stores: Stores, renderer: DocumentRenderer | None = None) -> Pipeline:
        """The use cases over ``stores``; ``renderer`` defaults to the one the settings describe."""
        repair = StaleJobRepair(stores.jobs, stale_after_seconds=settings.stale_after_seconds)
        return cls(
            settings=settings,
            stores=stores,
            submit=SubmitDocument(stores, settings, repair=repair, idempotency=Idempotency(stores, settings)),
            status=GetJob(stores, settings, repair=repair),
            erase=EraseJob(stores, settings),
            render=RenderJob(stores, settings, renderer or default_renderer(settings)),
        )

    @classmethod
    def from_clients(
        cls,
        settings: Settings,
        clients: AwsClients,
        *,
        cache: DocumentCache | None = None,
        renderer: DocumentRenderer | None = None,
    ) -> Pipeline:
        return cls.build(settings, Stores.from_clients(settings, clients, cache), renderer)


def default_renderer(settings: Settings) -> Renderer:
    """The renderer the render Lambda uses: TeX's time limit and the formats baked into its image.
    Building it does no I/O (formats are found or built on first use)."""
    format_dir = Path(settings.format_dir) if settings.format_dir else formats.default_directory()
    return Renderer(timeout=settings.render_timeout_seconds, format_dir=format_dir)


@cache
def default_pipeline() -> Pipeline:
    """One per container: clients and connections are reused across invocations."""
    return Pipeline.from_clients(get_settings(), default_clients())
