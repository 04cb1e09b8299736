"""The report of a finished layout analysis (``format: "analysis"``, analysis.py): what
``POST /v1/analyze`` answers with inline once the job is done, so one request gives the answer."""

from __future__ import annotations

import json
from typing import Any

from docpipe.errors import Conflict
from docpipe.jobs import JobStatus
from docpipe.usecases.status import owned_job
from docpipe.usecases.stores import Stores


class AnalysisReport:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    def __call__(self, job_id: str, tenant: str) -> dict[str, Any]:
        """``tenant``'s finished analysis ``job_id``, as the render function stored it."""
        job = owned_job(self.stores.jobs, job_id, tenant)
        if job.status is not JobStatus.SUCCEEDED or job.format != "analysis":
            raise Conflict(f"job {job.job_id} is not a finished analysis")
        report: dict[str, Any] = json.loads(self.stores.objects.get_document(job.document_key))
        return report
