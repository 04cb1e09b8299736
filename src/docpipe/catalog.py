"""What docpipe makes: the document types, the output formats, and which templates exist (one
folder per template under ``templates/<document_type>/<name>/``). No pydantic here: the CLI builds its
argument parser from these before it loads the models."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

DocumentType = Literal["resume", "cover_letter"]
DOCUMENT_TYPES: tuple[DocumentType, ...] = ("resume", "cover_letter")
# "analysis": how the PDF lays out and what fitting it would change (analysis.py), as JSON.
OutputFormat = Literal["pdf", "docx", "txt", "tex", "png", "analysis"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
DEFAULT_TEMPLATE = "classic"


@cache
def template_names(document_type: str) -> tuple[str, ...]:
    folder = TEMPLATES_DIR / document_type
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if (p / "document.tex.j2").is_file()))


def check_template(document_type: str, name: str) -> str:
    """Return ``name`` if it is a template for ``document_type``; else raise with the choices."""
    names = template_names(document_type)
    if name not in names:
        raise ValueError(f"unknown template {name!r} for {document_type}; choose one of: {', '.join(names)}")
    return name
