"""Extra sections typeset with real TeX: every text in the PDF, in input order after the known
sections, hostile keys and values printed literally; and the submit use case answering with its
warnings (through the local stack: moto, Redis and the real render handler)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from docpipe import catalog, unknowns
from docpipe.entries import title_from_key
from docpipe.envelope import ResumeRequest
from docpipe.errors import ErrorDetail
from docpipe.usecases.results import Cached, Queued
from docpipe.validation import check_request, validate_request
from docpipe_local.render_worker import RenderWorker
from docpipe_local.stack import DevStack

PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}
TEMPLATES = catalog.template_names("resume")
MARKER = "/tmp/docpipe-hostile-marker"
PAYLOADS = {
    "specials": "$ % # & ~ ^ { } \\ _ | < > \" ' `",
    "input": r"\input{/etc/passwd}",
    "write18": rf"\immediate\write18{{touch {MARKER}}}",
    "caret-escape": r"^^5cinput^^7b/etc/passwd^^7d",
    "catcode": r"\catcode`\%=12 \catcode 92=12 \catcode`\{=1",
    "end-document": r"\end{document}\end{itemize}\item x",
    "comment": r"% everything after here \end{document}",
    "unbalanced": r"}}}}} \egroup\endgroup {{{{{ \bgroup",
    "math-params": r"$\alpha$ $$x$$ #1 ##2 \def\a#1{#1} \a",
    "alignment": r"&&& \\ \newline \cr",
    "verbatim": r"\verb|x| \begin{verbatim}\input{x}\end{verbatim}",
    "tildes": r"~~~ \~{} \^{} \textasciitilde",
    "uppercase": r"\MakeUppercase{x} \lowercase{\input{/ETC/PASSWD}} \NoCaseChange{y}",
    "escape-commands": r"\beginR x\endR {\docpipefontB{}x} \textbackslash{} \allowbreak{} \hspace{1in}",
    "long-word": r"\input{/etc/passwd}" * 6,
    "cjk": r"中文 \input{/etc/passwd} 日本語}{",
    "arabic": rf"مرحبا \write18{{touch {MARKER}}} بالعالم",
}


def squashed(text: str, pdf_text: Any) -> str:
    return str(pdf_text.squash(text)).casefold()


def contains(text: Any, wanted: str, pdf_text: Any) -> bool:
    """``wanted`` in the PDF text, whatever its case: the two-column layout upper-cases headings."""
    return squashed(wanted, pdf_text) in text.squashed.casefold()


def check_no_leak(renderer: Any, text: Any) -> None:
    assert not Path(MARKER).exists(), "a command ran"
    assert "root:x:0:0" not in text.raw
    assert "runsystem(" not in renderer.last_log
    assert not re.search(r"^! ", renderer.last_log, re.MULTILINE), "TeX reported an error"


# --------------------------------------------------------------------------- rendering


def test_every_shape_is_typeset_in_input_order_after_the_known_sections(
    renderer: Any, pdf_text: Any, template: str
) -> None:
    data = {
        "personalInfo": PERSON,
        "objective": "Kestrel objective text.",
        "experience": [{"title": "Heron Engineer", "achievements": ["Heron achievement."]}],
        "openSourceContributions": [
            {
                "name": "Osprey",
                "role": "Maintainer",
                "startDate": "2020-03",
                "url": "https://osprey.example/x",
            },
            "Merlin plain entry",
            {"title": "Falcon", "stars": 12},
        ],
        "awardsAndHonors": ["Ibis award"],
        "hobbies": ["Plover chess", "Curlew climbing"],
    }
    envelope = {"document_type": "resume", "template": template, "data": data}
    assert [w.path for w in check_request(envelope).warnings] == [
        "data.objective", "data.openSourceContributions", "data.hobbies"
    ]  # fmt: skip
    result = renderer.render(validate_request(envelope))
    text = pdf_text(result.pdf)
    check_no_leak(renderer, text)
    in_order = [
        "Heron achievement.", "Ibis award",  # the known sections first
        "Objective", "Kestrel objective text.",
        "Open Source Contributions", "Osprey", "Maintainer", "Mar 2020", "osprey.example/x",
        "Merlin plain entry", "Falcon", "Stars: 12",
        "Hobbies", "Plover chess", "Curlew climbing",
    ]  # fmt: skip
    found = [text.squashed.casefold().find(squashed(t, pdf_text)) for t in in_order]
    assert all(at >= 0 for at in found), [t for t, at in zip(in_order, found, strict=True) if at < 0]
    assert found == sorted(found), "not in input order after the known sections"


def test_given_extra_sections_are_typeset_too(renderer: Any, pdf_text: Any, template: str) -> None:
    section = {"title": "Patents", "items": [{"title": "Widget", "details": ["US 123"]}, "Gadget"]}
    envelope = {"document_type": "resume", "template": template,
                "data": {"personalInfo": PERSON, "extraSections": [section]}}  # fmt: skip
    text = pdf_text(renderer.render(validate_request(envelope)).pdf)
    for wanted in ("Patents", "Widget", "US 123", "Gadget"):
        assert contains(text, wanted, pdf_text), wanted


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_hostile_keys_and_values_are_printed_literally(
    renderer: Any, pdf_text: Any, template: str, payload: str
) -> None:
    Path(MARKER).unlink(missing_ok=True)
    keys = [f"ZQ01 {payload} QZ01", f"ZQ02 {payload} QZ02"]
    values = [f"ZQ{i:02d} {payload} QZ{i:02d}" for i in range(3, 8)]
    data = {
        "personalInfo": PERSON,
        keys[0]: values[0],
        keys[1]: [
            values[1],
            {"name": values[2], "venue": values[3], "note": values[4], "url": "https://x.org/a"},
        ],
    }
    envelope = {"document_type": "resume", "template": template, "data": data}
    request = validate_request(envelope)
    assert isinstance(request, ResumeRequest)
    assert [s.title for s in request.data.extra_sections] == [title_from_key(k) for k in keys]
    text = pdf_text(renderer.render(request).pdf)
    check_no_leak(renderer, text)
    for wanted in values:
        assert text.contains(wanted), wanted
    for key in keys:
        assert contains(text, title_from_key(key), pdf_text), key


# --------------------------------------------------------------------------- the submit use case


def document(**data: Any) -> bytes:
    person = {**PERSON, "name": f"Extra Sections {uuid.uuid4().hex[:8]}"}  # never rendered before
    return json.dumps({"document_type": "resume", "data": {"personalInfo": person, **data}}).encode()


def test_submit_answers_with_its_warnings_queued_replayed_and_cached(
    stack: DevStack, worker: RenderWorker, pdf_text: Any
) -> None:
    submit = stack.pipeline.submit
    body = document(experience=[{"title": "Engineer", "team": "Payments"}], talks=["Typesetting at scale"])
    expected = (
        ErrorDetail("data.experience[0].team", unknowns.LEFT_OUT),
        ErrorDetail("data.talks", unknowns.SHOWN.format(title="Talks")),
    )
    key = uuid.uuid4().hex
    first = submit(body, "tenant-extras", key)
    assert isinstance(first, Queued)
    assert first.warnings == expected
    # A retry under the same key is the same request: same job, and the warnings of this body.
    replayed = submit(body, "tenant-extras", key)
    assert (replayed.job_id, replayed.warnings) == (first.job_id, expected)
    while worker.poll_once():
        pass
    cached = submit(body, "tenant-extras")
    assert isinstance(cached, Cached)
    assert (cached.job_id, cached.warnings) == (first.job_id, expected)
    pdf = httpx.get(cached.download.url, timeout=30).content
    assert pdf_text(pdf).contains("Typesetting at scale")
    assert not pdf_text(pdf).contains("Payments")


def test_submit_without_unknown_fields_has_no_warnings(stack: DevStack, worker: RenderWorker) -> None:
    answer = stack.pipeline.submit(
        document(extraSections=[{"title": "Talks", "items": ["x"]}]), "tenant-extras"
    )
    assert answer.warnings == ()
    while worker.poll_once():
        pass


@pytest.fixture(params=TEMPLATES)
def template(request: pytest.FixtureRequest) -> str:
    return str(request.param)
