"""The composition root: every use case over one set of stores, as the handlers and the local stack
use them. The logic is in :mod:`docpipe.usecases`, one module per use case."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from docpipe.aws import AwsClients, default_clients
from docpipe.cache import DocumentCache
from docpipe.outputs import PdfRenderer
from docpipe.settings import Settings, get_settings
from docpipe.usecases.analyze import AnalysisReport
from docpipe.usecases.check import CheckDocument
from docpipe.usecases.erase import EraseJob
from docpipe.usecases.idempotency import Idempotency
from docpipe.usecases.render import RenderJob
from docpipe.usecases.repair import StaleJobRepair
from docpipe.usecases.status import GetJob
from docpipe.usecases.stores import Stores
from docpipe.usecases.submit import SubmitDocument

if TYPE_CHECKING:
    from docpipe.fitting import Found
    from docpipe.renderer import Renderer, RenderResult
    from docpipe.validation import DocumentRequestT


@dataclass(frozen=True)
class Pipeline:
    """``submit(raw, tenant, idempotency_key)``, ``status(job_id, tenant)``, ``erase(job_id, tenant)``,
    ``check(raw, tenant)``, ``analysis(job_id, tenant)`` for the API; ``render.record(body, receive_count)`` for the render handler."""

    settings: Settings
    stores: Stores
    submit: SubmitDocument
    status: GetJob
    erase: EraseJob
    render: RenderJob
    check: CheckDocument
    analysis: AnalysisReport

    @classmethod
    def build(cls, settings: Settings, stores: Stores, renderer: PdfRenderer | None = None) -> Pipeline:
        """The use cases over ``stores``; ``renderer`` defaults to the one the settings describe."""
        repair = StaleJobRepair(stores.jobs, stale_after_seconds=settings.stale_after_seconds)
        return cls(
            settings=settings,
            stores=stores,
            submit=SubmitDocument(stores, settings, repair=repair, idempotency=Idempotency(stores, settings)),
            status=GetJob(stores, settings, repair=repair),
            erase=EraseJob(stores, settings),
            render=RenderJob(stores, settings, renderer or _RendererOnFirstUse(settings)),
            check=CheckDocument(stores),
            analysis=AnalysisReport(stores),
        )

    @classmethod
    def from_clients(
        cls,
        settings: Settings,
        clients: AwsClients,
        *,
        cache: DocumentCache | None = None,
        renderer: PdfRenderer | None = None,
    ) -> Pipeline:
        return cls.build(settings, Stores.from_clients(settings, clients, cache), renderer)


def default_renderer(settings: Settings) -> Renderer:
    """The renderer the render Lambda (and each local worker) uses: TeX's time limit, the formats baked
    into its image, and TeX started ahead of time for the next document (standby.py). Building it does
    no I/O (formats are found or built on first use)."""
    from docpipe import formats
    from docpipe.renderer import Renderer

    format_dir = Path(settings.format_dir) if settings.format_dir else formats.default_directory()
    return Renderer(timeout=settings.render_timeout_seconds, format_dir=format_dir, standby=True)


class _RendererOnFirstUse:
    """:func:`default_renderer`, made when the first document is rendered: the submit and status
    functions never render, so they never load the TeX side (templates, Jinja2, formats)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._renderer: Renderer | None = None

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = default_renderer(self._settings)
        return self._renderer

    @property
    def timeout(self) -> float:
        return self._settings.render_timeout_seconds

    def render(self, request: DocumentRequestT) -> RenderResult:
        return self.renderer.render(request)

    def search_fit(self, request: DocumentRequestT, max_pages: int) -> Found:
        return self.renderer.search_fit(request, max_pages)

    def prepare_next(self) -> None:
        if self._renderer is not None:  # nothing rendered yet: nothing to prepare
            self._renderer.prepare_next()


@cache
def default_pipeline() -> Pipeline:
    """One per container: clients and connections are reused across invocations."""
    return Pipeline.from_clients(get_settings(), default_clients())
