"""The link targets of a PDF, as a résumé parser or a reader's click would follow them."""

from __future__ import annotations

import io

import pypdf


def link_targets(pdf: bytes) -> set[str]:
    """Every URI of every link annotation, as written in the PDF (percent-encoding kept)."""
    targets = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            if "/URI" in action:
                targets.add(str(action["/URI"]))
    return targets
