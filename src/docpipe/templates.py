"""The Jinja2 environment that turns a validated request into LaTeX source.

Templates use LaTeX-friendly delimiters: ``<< value >>``, ``<% block %>``, ``<# comment #>``.
Every ``<< value >>`` passes through :func:`_finalize`, which escapes strings with
:func:`docpipe.latex.escape` unless they are :class:`docpipe.latex.TeX` made by this package's
filters. That is the structural guarantee: a template cannot print raw user text, because the
environment, not the template, decides how a value is printed.

A document is ``preamble`` (rendered from the template with *no* user data, so it can be
precompiled into a TeX format) + ``\\csname endofdump\\endcsname`` + ``document`` (the rest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import jinja2.bccache

from docpipe import catalog, fonts, formats, latex, outline, pdfinfo
from docpipe.dates import PartialDate, date_range
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.layout import NO_FIT, Fit

Engine = Literal["pdftex", "xetex"]
END_OF_DUMP = "\n\\csname endofdump\\endcsname\n"


def _finalize(value: Any) -> str:
    if isinstance(value, latex.TeX):
        return value
    if value is None:
        return ""
    if isinstance(value, PartialDate):
        return latex.escape(value.short())
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return latex.escape(str(value))
    raise TypeError(f"templates may print text, numbers and dates, not {type(value).__name__}")


def _date_range(item: Any, open_ended: bool = False) -> latex.TeX:
    return latex.escape(date_range(item.start_date, item.end_date, open_ended=open_ended))


def _long_date(value: PartialDate | str | None) -> latex.TeX:
    # A letter's date given as text ("15 March 2024") is printed as given.
    if isinstance(value, PartialDate):
        return latex.escape(value.long())
    return latex.escape(value or "")


def _link(address: str, text: str | None = None) -> latex.TeX:
    # An empty link text ("github_display": "") would make an invisible link: show the address.
    return latex.link(address, text or None)


def _profile_links(info: Any) -> list[latex.TeX]:
    """The person's links: each shows its ``*_display`` text when given, else its address. A display
    text without an address is printed as text (the original service dropped it). The rule is
    outline.profile_links, shared with the writers that are not TeX."""
    return [
        latex.link(address, shown) if address else latex.escape(shown)
        for shown, address in outline.profile_links(info)
    ]


def _lines(text: str | None) -> list[str]:
    """The non-blank lines of a text whose line breaks are kept (a letter's closing)."""
    return [line for line in (text or "").splitlines() if line.strip()]


# Each separator lets the line break after it: a long list wraps instead of running off the page.
_SEPARATORS = {
    "comma": ", ",
    "dot": r"\enspace\textperiodcentered\enspace\allowbreak ",
    "semicolon": "; ",
    "newline": r"\newline ",  # inside a paragraph: one line per item
}


def _join(values: Any, style: str = "comma") -> latex.TeX:
    """Join items (escaped unless already TeX) with one of a fixed set of separators."""
    items = [v if isinstance(v, latex.TeX) else latex.escape(str(v)) for v in values if v]
    return latex.TeX(_SEPARATORS[style].join(items))


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates compiled to Python bytecode once, beside the TeX formats (compiling them took ~0.15 s
    of every CLI run and every cold render). Jinja keys each file by the template's name and checks the
    checksum of its source, so an edited template is compiled afresh. A read-only directory (the
    render image bakes them in /opt/docpipe) only means nothing new is written."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with suppress(OSError):  # unreadable: compiled from source, as without a cache
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with suppress(OSError):
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)


def _bytecode_cache() -> jinja2.BytecodeCache:
    return _CompiledTemplates(str(formats.default_directory() / "templates"))


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(catalog.TEMPLATES_DIR),
        bytecode_cache=_bytecode_cache(),
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<<",
        variable_end_string=">>",
        comment_start_string="<#",
        comment_end_string="#>",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        autoescape=False,  # noqa: S701 - HTML escaping does not apply; LaTeX escaping is _finalize
    )
    env.filters.update(
        link=_link,
        url=latex.url,
        display_url=latex.display_url,
        date_range=_date_range,
        long_date=_long_date,
        join_text=_join,
        profile_links=_profile_links,
        lines=_lines,
    )
    return env


def compile_all() -> None:
    """Compile every template now (``docpipe build-formats``, so the render image ships them compiled)."""
    env = environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)


@dataclass(frozen=True)
class Source:
    """LaTeX for one document, split where the precompiled format ends."""

    preamble: str
    document: str
    engine: Engine
    format_name: str

    @property
    def text(self) -> str:
        return self.preamble + END_OF_DUMP + self.document

    def with_fit(self, fit: Fit, current: Fit = NO_FIT) -> Source:
        """The same document with another layout fit: its fit line (base/dynamic.tex.j2) replaced.
        The first match is the template's own: it comes before any user text, which is escaped."""
        return dataclasses.replace(self, document=self.document.replace(current.line, fit.line, 1))


def _strings(value: Any) -> list[str]:
    """Every string in the document data (to choose the engine and the fonts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@cache
def preamble(document_type: str, template: str, engine: Engine) -> str:
    """The static part of a template: rendered from the engine alone, never from user data."""
    path = f"{document_type}/{catalog.check_template(document_type, template)}/preamble.tex.j2"
    return environment().get_template(path).render(engine=engine)


def format_name(document_type: str, template: str, engine: Engine) -> str:
    digest = hashlib.sha256(preamble(document_type, template, engine).encode()).hexdigest()[:12]
    return f"docpipe-{document_type}-{template}-{engine}-{digest}"


def render_source(
    request: ResumeRequest | CoverLetterRequest, today: dt.date | None = None, fit: Fit = NO_FIT
) -> Source:
    """Validated request to LaTeX. Raises ValueError if a character has no font (checked earlier).
    ``today`` is the PDF's creation date (pdfinfo.py); the render day in UTC by default. ``fit``
    tightens the layout (layout.py); :meth:`Source.with_fit` gives the same source another one."""
    text = "".join(_strings(request.data.model_dump(mode="json")))
    engine: Engine = "xetex" if fonts.needs_unicode_engine(text) else "pdftex"
    doc_type, name = request.document_type, request.template
    format_id = format_name(doc_type, name, engine)
    body = (
        environment()
        .get_template(f"{doc_type}/{name}/document.tex.j2")
        .render(
            doc=request.data,
            options=request.options,
            engine=engine,
            fit=fit,
            fallback_fonts=latex.fallback_fonts(text) if engine == "xetex" else {},
            pdf=pdfinfo.describe(request, today or pdfinfo.utc_today(), format_id),
        )
    )
    return Source(preamble(doc_type, name, engine), body, engine, format_id)
