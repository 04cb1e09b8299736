"""Hostile input at the HTTP level, through the whole local stack.

The engine-level corpus (``tests/integration/test_hostile.py``) puts TeX payloads into every field of
every template and reads TeX's log. This one sends requests over a real HTTP server (uvicorn) to the
real app, and for what is accepted follows the job through S3, SQS, a worker running the real render
Lambda handler, TeX, and the presigned download; it adds what only that path sees: JSON and HTTP
encodings (escapes, byte order marks, charsets, content types), bodies that are not documents at all,
limits, and the download's headers.

Every case ends one of two ways: a document (PDF, DOCX, text or .tex) whose text shows the input
literally, or a 4xx with the error body ``{"error": {"code", "message", "details", "request_id"}}``.
Never a 5xx, never a hang (every call has a deadline), never a file read (a secret file's token and
/etc/passwd never appear in any output) and never a command run (the marker files are never created).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
import threading
import time
import unicodedata
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from docpipe.contract import MEDIA_TYPES
from docpipe.latex import display_url
from docpipe.limits import MAX_LIST_ITEMS, MAX_NAME_CHARS, MAX_REQUEST_BYTES, MAX_STRING_CHARS, MAX_URL_CHARS
from docpipe_local.api_server import serve
from docpipe_local.chaos import ChaosStack
from docpipe_local.redis_server import RedisServer
from docpipe_local.stack import DevStack

RUN = uuid.uuid4().hex[:8]
MARKER = Path(f"/tmp/docpipe-e2e-pwned-{RUN}")
RELATIVE_MARKER = f"docpipe-e2e-pwned-rel-{RUN}"
SECRET_FILE = Path(f"/tmp/docpipe-e2e-secret-{RUN}.tex")
SECRET = f"SECRET{uuid.uuid4().hex}"
PASSWD_LINE = "root:x:0:0"
ERROR_CODES_4XX = {
    "invalid_document",
    "invalid_request",
    "too_large",
    "unknown_template",
    "unsupported_media_type",
}
# Bidi marks pdftotext adds around right-to-left runs, and characters that print as nothing (or, for
# the zero-width joiner, as part of the emoji it joins).
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u00ad\u200b\u200d\ufeff"))

# --- documents ------------------------------------------------------------------------------------


def resume(name: str = "Ada Lovelace", **data: Any) -> dict[str, Any]:
    return {
        "document_type": "resume",
        "template": "classic",
        "data": {"personalInfo": {"name": name, "email": "ada@example.com"}, **data},
    }


def strict(envelope: dict[str, Any]) -> dict[str, Any]:
    return envelope | {"options": {"strict": True}}


def letter(name: str = "Ada Lovelace", **data: Any) -> dict[str, Any]:
    return {
        "document_type": "cover_letter",
        "template": "classic",
        "data": {
            "personalInfo": {"name": name, "email": "ada@example.com"},
            "date": "2026-01-02",
            "body": ["Hello."],
            **data,
        },
    }


@dataclass
class Rendered:
    """A request that must be accepted and rendered, and what its document must show."""

    envelope: dict[str, Any]
    expect: list[str] = field(default_factory=list)
    body: bytes | None = None  # sent as is, when the JSON encoding itself is the point
    content_type: str = "application/json"
    known_bug: str | None = None

    def payload(self) -> bytes:
        return self.body if self.body is not None else json.dumps(self.envelope).encode()


class Copies:
    """Hands out ``ZQnn text QZnn`` copies of one text (to find each field's copy in the PDF)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.made: list[str] = []

    def __call__(self) -> str:
        self.made.append(f"ZQ{len(self.made):02d} {self.text} QZ{len(self.made):02d}")
        return self.made[-1]


def in_fields(text: str, *, template: str = "classic") -> Rendered:
    """A résumé with ``text`` in its name, summary, a job title, an achievement, a skill, a project
    and a language: short fields and long ones, list items and table cells. Text too long for the
    short fields goes only into the long ones."""
    c = Copies(text)
    short = len(text) + 10 <= MAX_NAME_CHARS
    envelope = resume(
        c() if short else f"Long {RUN}",
        professionalSummary=c(),
        experience=[{"title": c() if short else "Job", "company": "ACME", "achievements": [c()]}],
        technologiesAndSkills=[c() if short else "Skill"],
        projects=[{"name": "P", "description": c()}],
        languages=[c() if short else "English"],
    )
    envelope["template"] = template
    return Rendered(envelope, list(c.made))


TEX_PAYLOADS: dict[str, str] = {
    "input": r"\input{/etc/passwd}",
    "input-secret": rf"\input{{{SECRET_FILE}}}",
    "input-secret-bare": rf"\input {SECRET_FILE} ",
    "include": rf"\include{{{SECRET_FILE.with_suffix('')}}}",
    "openin-read": rf"\newread\r\openin\r={SECRET_FILE} \read\r to\x \x",
    "write18": rf"\write18{{touch {MARKER}}}",
    "immediate-write18": rf"\immediate\write18{{touch {MARKER}}} \immediate\write18{{touch {RELATIVE_MARKER}}}",
    "openout": rf"\immediate\openout9={MARKER}\immediate\write9{{x}}\immediate\closeout9",
    "caret-notation": r"^^5cinput^^7b/etc/passwd^^7d ^^5c^^5c ^^M ^^@",
    "catcode": r"\catcode`\@=0 @input{/etc/passwd} \catcode92=12",
    "csname": r"\csname input\endcsname{/etc/passwd} \expandafter\relax\csname\endcsname",
    "def-recursion": r"\def\x{\x}\x \def\y{\y\y}\y",
    "loop": r"\loop\iftrue\repeat",
    "usepackage": r"\usepackage{shellesc}\ShellEscape{id}\documentclass{article}",
    "percent": r"50% done % the rest would be a comment \end{document}",
    "unbalanced-braces": r"}}}{{{ }{ \bgroup \egroup\egroup",
    "end-document": r"\end{document} after the end \begin{document}",
    "scantokens": r"\scantokens{\input{/etc/passwd}} \everypar{\input{/etc/passwd}}",
    "output-routine": r"\output={\input{/etc/passwd}}\shipout\hbox{x}\special{ps:x}",
    "verbatim": r"\begin{verbatim}\input{/etc/passwd}\end{verbatim}\verb|\x|",
    "math-and-alignment": r"$\alpha$ $$x^2$$ \(y\) & # ## #1 _ ^ \\ \cr",
    "ligatures": "--- -- ,, `` '' !` ?` << >> fi ff",
    "many-backslashes": "\\" * 64,
    "directlua": rf'\directlua{{os.execute("touch {MARKER}")}}',
}
SPECIALS = "\\ { } $ & # % _ ^ ~ < > | \" ' ` “ ” ‘ ’ – — \u00a0 \u00ad \u200b @ ! ? * [ ] = + /"
URL_WITH_SPECIALS = "https://example.com/a_b~c$d&e#f%g{h}\\i^j"
# Every TeX special an address may hold: %, & and backslash are no part of one (docpipe/addresses.py).
EMAIL_WITH_SPECIALS = "a_b{c}d#e^f~g$h|i`j'k@example.com"


def every_field_resume(template: str) -> Rendered:
    """Every text field of a résumé holds every special character (and every URL field a URL full of
    them, and the email too)."""
    c = Copies(SPECIALS)
    data = {
        "personalInfo": {
            "name": c(),
            "title": c(),
            "email": EMAIL_WITH_SPECIALS,
            "phone": c(),
            "location": c(),
            "website": URL_WITH_SPECIALS,
        },
        "professionalSummary": c(),
        "experience": [
            {
                "title": c(),
                "company": c(),
                "location": c(),
                "url": URL_WITH_SPECIALS,
                "startDate": "2020-01",
                "endDate": "Present",
                "achievements": [c(), c()],
            }
        ],
        "education": [
            {"degree": c(), "institution": c(), "location": c(), "focus": c(), "notableCourseWorks": [c()]}
        ],
        "projects": [{"name": c(), "description": [c()], "tools": [c()], "achievements": [c()]}],
        "technologiesAndSkills": [c(), {"category": c(), "skills": [c(), c()]}],
        "certifications": [c(), {"name": c(), "date": "2021"}],
        "achievements": [c()],
        "articlesAndPublications": [{"title": c()}],
        "awardsAndHonors": [c()],
        "languages": [c()],
        "volunteering": [c(), {"role": c(), "organization": c(), "description": c()}],
    }
    expect = [*c.made, EMAIL_WITH_SPECIALS, display_url(URL_WITH_SPECIALS)]
    return Rendered({"document_type": "resume", "template": template, "data": data}, expect)


def every_field_letter(template: str) -> Rendered:
    c = Copies(SPECIALS)
    data = {
        "personalInfo": {
            "name": c(),
            "title": c(),
            "email": EMAIL_WITH_SPECIALS,
            "phone": c(),
            "location": c(),
        },
        "recipient": {"name": c(), "title": c(), "company": c(), "address": [c(), c()]},
        "date": "2026-01-02",
        "salutation": c(),
        "body": [c(), c()],
        "closing": c(),
    }
    return Rendered(
        {"document_type": "cover_letter", "template": template, "data": data}, [*c.made, EMAIL_WITH_SPECIALS]
    )


def json_escaped(text: str) -> Rendered:
    """The payload sent with every character as a JSON \\u escape (``\\u005c`` is a backslash)."""
    envelope = resume(f"Escaped {RUN}", professionalSummary=f"ZQ {text} QZ")
    body = json.dumps(envelope, ensure_ascii=True).replace(
        json.dumps(f"ZQ {text} QZ", ensure_ascii=True),
        '"' + "".join(f"\\u{ord(ch):04x}" for ch in f"ZQ {text} QZ") + '"',
    )
    return Rendered(envelope, [f"ZQ {text} QZ"], body=body.encode())


LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 100
LONG_URL = "https://example.com/" + "a" * (MAX_URL_CHARS - len("https://example.com/"))

RENDERED: dict[str, Rendered] = {
    **{f"tex-{name}": in_fields(payload) for name, payload in TEX_PAYLOADS.items()},
    **{f"every-field-resume-{t}": every_field_resume(t) for t in ("classic", "two_column")},
    **{f"every-field-letter-{t}": every_field_letter(t) for t in ("classic", "two_column")},
    "json-escaped-input": json_escaped(r"\input{/etc/passwd}"),
    "json-escaped-write18": json_escaped(rf"\immediate\write18{{touch {MARKER}}}"),
    "json-escaped-unicode": json_escaped("Ünïcödé — “quotes” שלום"),
    "utf8-bom": Rendered(
        resume(f"Bom {RUN}"), [f"Bom {RUN}"], body=b"\xef\xbb\xbf" + json.dumps(resume(f"Bom {RUN}")).encode()
    ),
    "charset-and-case": Rendered(
        resume(f"Charset {RUN}"), [f"Charset {RUN}"], content_type="Application/JSON; charset=UTF-8"
    ),
    "vendor-json": Rendered(
        resume(f"Vendor {RUN}"), [f"Vendor {RUN}"], content_type="application/vnd.api+json"
    ),
    # Unknown fields: a simple section is rendered under its key, anything else left out (a warning).
    "unknown-section": Rendered(
        resume(f"Unknown {RUN}", ssn="123-45-6789"), [f"Unknown {RUN}", "Ssn", "123-45-6789"]
    ),
    "unknown-envelope-key": Rendered(
        {**resume(f"Envelope {RUN}"), "callback": "http://x"}, [f"Envelope {RUN}"]
    ),
    "proto-pollution": Rendered(resume(f"Proto {RUN}", __proto__={"admin": True}), [f"Proto {RUN}"]),
    "tabs-and-newlines": Rendered(
        resume(professionalSummary="line one\nline two\r\n\ttabbed\n\n\nend"),
        ["line one line two tabbed end"],
    ),
    "hebrew": in_fields("שלום עולם, \\input{/etc/passwd} %"),
    "arabic": in_fields("مرحبا بالعالم } {"),
    "mixed-bidi": in_fields("Ada אדה 2024 لوفليس end"),
    "emoji": in_fields("ship it 🚀 ✅ ♥ \\def\\x{\\x}\\x"),
    "emoji-sequences": in_fields("👩‍💻 👍🏽 🇫🇷"),
    "cjk": in_fields("中文 日本語 한국어 \\catcode`\\{=12"),
    "combining-marks": in_fields("e\u0301 a\u0308 n\u0303 Z\u0327"),
    "long-word": in_fields(LONG_WORD[: MAX_STRING_CHARS - 20]),
    "long-url": Rendered(
        resume(personalInfo={"name": "Url", "email": "u@example.com", "website": LONG_URL}),
        [display_url(LONG_URL)],
    ),
    "long-fields-at-the-limit": Rendered(
        resume(
            "N" * MAX_NAME_CHARS, professionalSummary=("word " * MAX_STRING_CHARS)[: MAX_STRING_CHARS - 1]
        ),
        ["N" * MAX_NAME_CHARS],
    ),
    "lists-at-the-limit": Rendered(
        resume(
            experience=[
                {"title": f"Job {i}", "achievements": [f"a{i}x{j}" for j in range(5)]}
                for i in range(MAX_LIST_ITEMS)
            ],
            awardsAndHonors=[f"Award {i}" for i in range(MAX_LIST_ITEMS)],
        ),
        ["Job 0", f"Job {MAX_LIST_ITEMS - 1}", f"a{MAX_LIST_ITEMS - 1}x4", f"Award {MAX_LIST_ITEMS - 1}"],
    ),
    "long-joined-list-wraps": Rendered(
        resume(
            languages=[f"Language{i}" for i in range(MAX_LIST_ITEMS)],
            technologiesAndSkills=[
                {"category": "Tools", "skills": [f"Tool{i}" for i in range(MAX_LIST_ITEMS)]}
            ],
        ),
        [f"Language{MAX_LIST_ITEMS - 1}", f"Tool{MAX_LIST_ITEMS - 1}"],
    ),
    "hostile-name-in-download-header": Rendered(
        resume('Evil"; filename="x.exe\\..\\..\\boot.ini'), ['Evil"; filename="x.exe\\..\\..\\boot.ini']
    ),
    "cover-letter-body-as-one-string": Rendered(
        letter(body="First \\input{/etc/passwd}.\n\nSecond %% paragraph }{"),
        ["First \\input{/etc/passwd}.", "Second %% paragraph }{"],
    ),
}
# The same accepted cases as DOCX and plain text: other writers over the same validated data, so they
# meet the same hostile text. (Cases sent as raw bytes, where the JSON encoding is the point, stay PDF.)
AS_FORMAT: dict[str, Rendered] = {
    f"{name}@{output_format}": dataclasses.replace(case, envelope=case.envelope | {"format": output_format})
    for name, case in RENDERED.items()
    if case.body is None
    for output_format in ("docx", "txt")
}
TEX_SOURCE = resume(f"Tex Out {RUN}", professionalSummary=r"\input{/etc/passwd} \write18{id} ^^5c %")
TEX_SOURCE["format"] = "tex"


# --- rejected requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejected:
    body: bytes
    status: int
    code: str
    content_type: str | None = "application/json"
    path: str | None = None  # a details[].path that must be named
    headers: tuple[tuple[str, str], ...] = ()
    known_bug: str | None = None


def doc_bytes(envelope: Any) -> bytes:
    return json.dumps(envelope).encode()


def with_data(**data: Any) -> bytes:
    return doc_bytes(resume(**data))


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


VALID = doc_bytes(resume())
INVALID = 422
BAD = "invalid_document"

REJECTED: dict[str, Rejected] = {
    # content types
    "no-content-type": Rejected(VALID, 415, "unsupported_media_type", content_type=None),
    "text-plain": Rejected(VALID, 415, "unsupported_media_type", "text/plain"),
    # curl --data's default type is read as JSON (the README's one-request curl); form data is not JSON.
    "form-urlencoded": Rejected(b"document_type=resume", INVALID, BAD, "application/x-www-form-urlencoded"),
    "multipart": Rejected(VALID, 415, "unsupported_media_type", "multipart/form-data; boundary=x"),
    "xml": Rejected(b"<resume/>", 415, "unsupported_media_type", "application/xml"),
    # YAML is read like JSON, with the same errors: here the data is missing.
    "yaml": Rejected(b"document_type: resume\n", INVALID, BAD, "application/yaml", path="data"),
    "yaml-alias": Rejected(b"a: &x [1]\nb: *x\n", INVALID, BAD, "application/yaml"),
    "yaml-not-yaml": Rejected(b"a: [1\n", INVALID, BAD, "text/yaml"),
    "text-json": Rejected(VALID, 415, "unsupported_media_type", "text/json"),
    "jsonp": Rejected(VALID, 415, "unsupported_media_type", "application/jsonp"),
    "json-list-of-types": Rejected(VALID, 415, "unsupported_media_type", "application/json, text/plain"),
    "octet-stream": Rejected(VALID, 415, "unsupported_media_type", "application/octet-stream"),
    # bytes that are not UTF-8 JSON
    "latin-1": Rejected(with_data().replace(b"Ada", b"Jos\xe9"), INVALID, BAD),
    "utf-16-bom": Rejected(VALID.decode().encode("utf-16"), INVALID, BAD),
    "utf-16-declared": Rejected(
        VALID.decode().encode("utf-16-le"), INVALID, BAD, "application/json; charset=utf-16"
    ),
    "overlong-utf8": Rejected(VALID.replace(b"Ada", b"\xc0\xafAda"), INVALID, BAD),
    "surrogate-bytes": Rejected(VALID.replace(b"Ada", b"\xed\xa0\x80"), INVALID, BAD),
    "raw-nul-byte": Rejected(VALID.replace(b"Ada", b"A\x00da"), INVALID, BAD),
    "raw-control-byte": Rejected(VALID.replace(b"Ada", b"A\x1bda"), INVALID, BAD),
    "empty-body": Rejected(b"", INVALID, BAD),
    "whitespace-body": Rejected(b" \n\t ", INVALID, BAD),
    "truncated": Rejected(VALID[: len(VALID) // 2], INVALID, BAD),
    "trailing-garbage": Rejected(VALID + b" x", INVALID, BAD),
    "single-quotes": Rejected(VALID.replace(b'"', b"'"), INVALID, BAD),
    "comments": Rejected(b"/* x */" + VALID, INVALID, BAD),
    "top-level-null": Rejected(b"null", INVALID, BAD),
    "top-level-array": Rejected(b"[]", INVALID, BAD),
    "top-level-string": Rejected(b'"resume"', INVALID, BAD),
    "top-level-number": Rejected(b"42", INVALID, BAD),
    "top-level-true": Rejected(b"true", INVALID, BAD),
    # control characters inside valid JSON strings
    "escaped-nul": Rejected(
        with_data(professionalSummary="a\u0000b"), INVALID, BAD, path="data.professionalSummary"
    ),
    "escape-sequence": Rejected(
        with_data(professionalSummary="\u001b[31mred"), INVALID, BAD, path="data.professionalSummary"
    ),
    "bell": Rejected(doc_bytes(resume("A\u0007da")), INVALID, BAD, path="data.personalInfo.name"),
    "delete-char": Rejected(doc_bytes(resume("A\u007fda")), INVALID, BAD, path="data.personalInfo.name"),
    "c1-control": Rejected(doc_bytes(resume("A\u0085da")), INVALID, BAD, path="data.personalInfo.name"),
    "bidi-override": Rejected(
        doc_bytes(resume("Ada \u202egnp.exe")), INVALID, BAD, path="data.personalInfo.name"
    ),
    "bidi-isolate": Rejected(with_data(languages=["\u2066x\u2069"]), INVALID, BAD, path="data.languages[0]"),
    "lone-high-surrogate": Rejected(
        VALID.replace(b"Ada", b"\\ud800"), INVALID, BAD, path="data.personalInfo.name"
    ),
    "lone-low-surrogate": Rejected(
        VALID.replace(b"Ada", b"\\udfff"), INVALID, BAD, path="data.personalInfo.name"
    ),
    "escaped-nul-in-email": Rejected(
        doc_bytes(resume(personalInfo={"name": "x", "email": "a\u0000@b.co"})), INVALID, BAD
    ),
    # numbers
    "nan": Rejected(VALID.replace(b'"Ada Lovelace"', b"NaN"), INVALID, BAD, path="data.personalInfo.name"),
    "infinity": Rejected(
        VALID.replace(b'"Ada Lovelace"', b"-Infinity"), INVALID, BAD, path="data.personalInfo.name"
    ),
    "huge-float": Rejected(VALID.replace(b'"Ada Lovelace"', b"1e999999"), INVALID, BAD),
    "huge-integer": Rejected(VALID.replace(b'"Ada Lovelace"', b"9" * 5000), INVALID, BAD),
    "huge-integer-as-date": Rejected(
        with_data(experience=[{"title": "x", "startDate": 10**40}]),
        INVALID,
        BAD,
        path="data.experience[0].startDate",
    ),
    "negative-zero": Rejected(
        VALID.replace(b'"Ada Lovelace"', b"-0"), INVALID, BAD, path="data.personalInfo.name"
    ),
    # nesting
    "nested-100000-arrays": Rejected(nested(100_000), INVALID, BAD),
    "nested-33-objects": Rejected(with_data(x=json.loads('{"a":' * 33 + "1" + "}" * 33)), INVALID, BAD),
    "nested-deep-in-a-field": Rejected(
        with_data(professionalSummary=json.loads("[" * 40 + "]" * 40)), INVALID, BAD
    ),
    # wrong types, at every level
    "document-type-number": Rejected(
        doc_bytes({**resume(), "document_type": 1}), INVALID, BAD, path="document_type"
    ),
    "document-type-unknown": Rejected(
        doc_bytes({**resume(), "document_type": "invoice"}), INVALID, BAD, path="document_type"
    ),
    "document-type-missing": Rejected(
        doc_bytes({"data": resume()["data"]}), INVALID, BAD, path="document_type"
    ),
    "template-number": Rejected(doc_bytes({**resume(), "template": 7}), INVALID, BAD, path="template"),
    "template-traversal": Rejected(
        doc_bytes({**resume(), "template": "../../../etc/passwd"}), 404, "unknown_template", path="template"
    ),
    "template-nul": Rejected(
        doc_bytes({**resume(), "template": "classic\u0000"}), 404, "unknown_template", path="template"
    ),
    "format-exe": Rejected(doc_bytes({**resume(), "format": "exe"}), INVALID, BAD, path="format"),
    "format-uppercase": Rejected(doc_bytes({**resume(), "format": "PDF"}), INVALID, BAD, path="format"),
    "options-string": Rejected(doc_bytes({**resume(), "options": "a4"}), INVALID, BAD, path="options"),
    "paper-unknown": Rejected(
        doc_bytes({**resume(), "options": {"paper": "a0"}}), INVALID, BAD, path="options.paper"
    ),
    "data-list": Rejected(doc_bytes({**resume(), "data": []}), INVALID, BAD, path="data"),
    "data-null": Rejected(doc_bytes({**resume(), "data": None}), INVALID, BAD, path="data"),
    "personal-info-missing": Rejected(
        doc_bytes({"document_type": "resume", "data": {}}), INVALID, BAD, path="data.personalInfo"
    ),
    "name-number": Rejected(doc_bytes(resume(123)), INVALID, BAD, path="data.personalInfo.name"),  # type: ignore[arg-type]
    "name-list": Rejected(doc_bytes(resume(["Ada"])), INVALID, BAD, path="data.personalInfo.name"),  # type: ignore[arg-type]
    "name-object": Rejected(doc_bytes(resume({"$ne": ""})), INVALID, BAD, path="data.personalInfo.name"),  # type: ignore[arg-type]
    "name-bool": Rejected(doc_bytes(resume(True)), INVALID, BAD, path="data.personalInfo.name"),  # type: ignore[arg-type]
    "name-empty": Rejected(doc_bytes(resume("   ")), INVALID, BAD, path="data.personalInfo.name"),
    "email-invalid": Rejected(
        doc_bytes(resume(personalInfo={"name": "x", "email": "nope"})),
        INVALID,
        BAD,
        path="data.personalInfo.email",
    ),
    "experience-object": Rejected(with_data(experience={"title": "x"}), INVALID, BAD, path="data.experience"),
    "experience-item-string": Rejected(with_data(experience=["x"]), INVALID, BAD, path="data.experience[0]"),
    "achievements-string": Rejected(
        with_data(experience=[{"title": "x", "achievements": "one"}]),
        INVALID,
        BAD,
        path="data.experience[0].achievements",
    ),
    "achievement-number": Rejected(with_data(achievements=[1]), INVALID, BAD, path="data.achievements[0]"),
    "date-invalid-month": Rejected(
        with_data(experience=[{"title": "x", "startDate": "2021-13"}]),
        INVALID,
        BAD,
        path="data.experience[0].startDate",
    ),
    "date-words": Rejected(
        with_data(experience=[{"title": "x", "startDate": "yesterday"}]),
        INVALID,
        BAD,
        path="data.experience[0].startDate",
    ),
    "skill-number": Rejected(
        with_data(technologiesAndSkills=[1]), INVALID, BAD, path="data.technologiesAndSkills[0]"
    ),
    # Unknown fields are accepted and reported (RENDERED has them); strict mode refuses them, and a
    # near miss of a known field is refused always.
    "unknown-field-strict": Rejected(
        doc_bytes(strict(resume(ssn="123-45-6789"))), INVALID, BAD, path="data.ssn"
    ),
    "unknown-top-level-strict": Rejected(
        doc_bytes(strict({**resume(), "callback": "http://x"})), INVALID, BAD, path="callback"
    ),
    "proto-pollution-strict": Rejected(
        doc_bytes(strict(resume(__proto__={"admin": True}))), INVALID, BAD, path="data.__proto__"
    ),
    "misspelt-field": Rejected(with_data(experiance=[]), INVALID, BAD, path="data.experiance"),
    # limits
    "name-too-long": Rejected(
        doc_bytes(resume("N" * (MAX_NAME_CHARS + 1))), INVALID, BAD, path="data.personalInfo.name"
    ),
    "summary-too-long": Rejected(
        with_data(professionalSummary="x" * (MAX_STRING_CHARS + 1)),
        INVALID,
        BAD,
        path="data.professionalSummary",
    ),
    "url-too-long": Rejected(
        doc_bytes(resume(personalInfo={"name": "x", "email": "a@b.co", "website": LONG_URL + "a"})),
        INVALID,
        BAD,
        path="data.personalInfo.website",
    ),
    "list-one-too-many": Rejected(
        with_data(languages=["x"] * (MAX_LIST_ITEMS + 1)), INVALID, BAD, path="data.languages"
    ),
    "10000-achievements": Rejected(
        with_data(achievements=["x"] * 10_000), INVALID, BAD, path="data.achievements"
    ),
    "10000-jobs": Rejected(
        with_data(experience=[{"title": "x"}] * 10_000), INVALID, BAD, path="data.experience"
    ),
    "10000-skills": Rejected(
        with_data(technologiesAndSkills=[{"category": "c", "skills": ["s"] * 10_000}]),
        INVALID,
        BAD,
        path="data.technologiesAndSkills[0].skills",
    ),
    "10000-letter-paragraphs": Rejected(
        doc_bytes(letter(body=["p"] * 10_000)), INVALID, BAD, path="data.body"
    ),
    "body-just-over-the-limit": Rejected(b" " * (MAX_REQUEST_BYTES + 1), 413, "too_large"),
    "body-of-8-mib": Rejected(b"[" * (8 * 1024 * 1024), 413, "too_large"),
    # links
    "url-javascript": Rejected(
        doc_bytes(resume(personalInfo={"name": "x", "email": "a@b.co", "website": "javascript:alert(1)"})),
        INVALID,
        BAD,
        path="data.personalInfo.website",
    ),
    "url-javascript-upper": Rejected(
        doc_bytes(resume(personalInfo={"name": "x", "email": "a@b.co", "github": "JAVASCRIPT:alert(1)"})),
        INVALID,
        BAD,
        path="data.personalInfo.github",
    ),
    "url-file": Rejected(
        with_data(projects=[{"name": "p", "url": "file:///etc/passwd"}]),
        INVALID,
        BAD,
        path="data.projects[0].url",
    ),
    "url-data": Rejected(
        with_data(projects=[{"name": "p", "url": "data:text/html,<script>"}]),
        INVALID,
        BAD,
        path="data.projects[0].url",
    ),
    "url-space": Rejected(
        with_data(projects=[{"name": "p", "url": "https://exa mple.com"}]),
        INVALID,
        BAD,
        path="data.projects[0].url",
    ),
    # headers
    "idempotency-key-spaces": Rejected(
        VALID, INVALID, BAD, path="Idempotency-Key", headers=(("Idempotency-Key", "a b"),)
    ),
    "idempotency-key-too-long": Rejected(
        VALID, INVALID, BAD, path="Idempotency-Key", headers=(("Idempotency-Key", "k" * 129),)
    ),
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    status: int
    code: str


ROUTES: dict[str, Route] = {
    "job-traversal": Route("GET", "/v1/jobs/..%2F..%2Fetc%2Fpasswd", 404, "not_found"),
    "job-encoded-nul": Route("GET", "/v1/jobs/%00", 404, "not_found"),
    "job-very-long-id": Route("GET", "/v1/jobs/" + "a" * 8000, 404, "not_found"),
    "job-uppercase-id": Route("GET", "/v1/jobs/" + "A" * 32, 404, "not_found"),
    "job-sql": Route("GET", "/v1/jobs/'%20OR%201=1--", 404, "not_found"),
    "delete-unknown-job": Route("DELETE", "/v1/jobs/" + "0" * 32, 404, "not_found"),
    "schema-traversal": Route("GET", "/v1/schema/..%2F..%2Fetc", 404, "not_found"),
    "put-documents": Route("PUT", "/v1/documents", 405, "method_not_allowed"),
    "get-documents": Route("GET", "/v1/documents", 405, "method_not_allowed"),
    "unknown-route": Route("GET", "/v1/../../etc/passwd", 404, "not_found"),
}

# --- the stack ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    submit_status: int
    submit_body: dict[str, Any]
    status: dict[str, Any] = field(default_factory=dict)
    data: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    reading_order: str = ""


@pytest.fixture(scope="module")
def served(stack: DevStack, e2e_redis: RedisServer) -> Iterator[tuple[ChaosStack, str]]:
    SECRET_FILE.write_text(f"{SECRET}\n\\endinput\n")
    chaos = ChaosStack(stack.pipeline.settings, redis_url=e2e_redis.url, visibility_timeout=5)
    try:
        with serve(chaos.app()) as url:
            yield chaos, url
    finally:
        chaos.close()
        SECRET_FILE.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def http(served: tuple[ChaosStack, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[1], timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def rendered(served: tuple[ChaosStack, str], http: httpx.Client) -> dict[str, Outcome]:
    """Submit every accepted case over HTTP, render them with two workers, download the results."""
    chaos, _url = served
    cases = {
        **{k: (v.payload(), v.content_type) for k, v in (RENDERED | AS_FORMAT).items()},
        "tex-output": (json.dumps(TEX_SOURCE).encode(), "application/json"),
    }
    outcomes: dict[str, Outcome] = {}
    for name, (body, content_type) in cases.items():
        response = http.post("/v1/documents", content=body, headers={"Content-Type": content_type})
        outcomes[name] = Outcome(response.status_code, response.json())
    chaos.start_workers(2)
    try:
        ids = [o.submit_body["job_id"] for o in outcomes.values() if o.submit_status == 202]
        chaos.wait_finished(ids, timeout=120)
    finally:
        chaos.stop_workers()
    for outcome in outcomes.values():
        if outcome.submit_status not in (200, 202):
            continue
        outcome.status = http.get(f"/v1/jobs/{outcome.submit_body['job_id']}").json()
        if outcome.status.get("status") != "succeeded":
            continue
        with urllib.request.urlopen(outcome.status["download_url"], timeout=30) as download:
            outcome.data = download.read()
            outcome.headers = {k.lower(): v for k, v in download.headers.items()}
        if outcome.data.startswith(b"%PDF"):
            outcome.text = pdftotext(outcome.data, "-raw")
            outcome.reading_order = pdftotext(outcome.data)
        elif outcome.data.startswith(b"PK"):
            outcome.text = docx_text(outcome.data)
        else:
            outcome.text = outcome.data.decode("utf-8")
    return outcomes


def docx_text(data: bytes) -> str:
    """A DOCX's text as python-docx reads it back: every paragraph, hyperlinks' text included."""
    import docx

    return "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)


def pdftotext(pdf: bytes, *options: str) -> str:
    """The PDF's text: ``-raw`` in content order (a hyphen the user typed at a line end survives),
    or in reading order (right-to-left runs come out in logical order)."""
    command = ["pdftotext", *options, "-enc", "UTF-8", "-", "-"]
    return subprocess.run(command, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")


def squash(text: str) -> str:
    """As compared: compatibility forms folded (NFKC), bidi marks and invisible characters and all
    whitespace removed (TeX breaks lines where it likes)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(_INVISIBLE))


def printed(expected: str, text: str) -> bool:
    """``expected`` appears literally in ``text``, allowing a hyphen where TeX broke a line."""
    pattern = "-?".join(re.escape(ch) for ch in squash(expected))
    return re.search(pattern, squash(text)) is not None


def _rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _bidi_skeleton(text: str) -> tuple[str, Counter[str]]:
    """Words with right-to-left letters replaced by a placeholder, and those words' letters.

    pdftotext gives right-to-left runs in drawing order, and its reading-order mode moves the
    neutral characters next to them; what must hold is that the left-to-right text is all there in
    order, each right-to-left word is there, and they sit where the input had them."""
    tokens = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).split()
    letters = Counter("".join(ch for ch in t if _rtl(ch)) for t in tokens if _rtl(t))
    return "".join("\u25ca" if _rtl(t) else t for t in tokens), letters


def printed_bidi(expected: str, text: str) -> bool:
    expected_skeleton, expected_words = _bidi_skeleton(expected)
    skeleton, words = _bidi_skeleton(text)
    return expected_skeleton in skeleton and not expected_words - words


def shown(expected: str, outcome: Outcome) -> bool:
    if _rtl(expected):
        return printed_bidi(expected, outcome.text)
    return printed(expected, outcome.text) or printed(expected, outcome.reading_order)


def assert_nothing_leaked(text: str) -> None:
    assert SECRET not in text, "TeX read the secret file"
    assert PASSWD_LINE not in text, "/etc/passwd was read"
    assert not MARKER.exists(), "a command ran"
    assert not Path(RELATIVE_MARKER).exists(), "a command ran (relative)"


def assert_error_body(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    assert len(response.content) < 64 * 1024, "an error must not echo the request back"
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert set(detail) == {"path", "message"}
        assert detail["message"]
    assert error["request_id"]
    assert SECRET not in response.text
    assert PASSWD_LINE not in response.text
    result: dict[str, Any] = error
    return result


# --- the tests ------------------------------------------------------------------------------------


def cases(table: dict[str, Any]) -> list[Any]:
    """Parameters, with a strict xfail for each case that shows a known bug (it must keep failing
    until fixed, then the marker goes)."""
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"KNOWN BUG: {case.known_bug}"))
        if case.known_bug
        else name
        for name, case in table.items()
    ]


@pytest.mark.parametrize("name", cases(RENDERED))
def test_accepted_input_renders_literally(name: str, rendered: dict[str, Outcome]) -> None:
    outcome = rendered[name]
    assert outcome.submit_status == 202, outcome.submit_body
    assert outcome.status["status"] == "succeeded", outcome.status
    assert outcome.data.startswith(b"%PDF")
    assert outcome.headers["content-type"] == "application/pdf"
    disposition = outcome.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9_-]+_(Resume|Cover_Letter)\.pdf"', disposition), (
        disposition
    )
    missing = [text for text in RENDERED[name].expect if not shown(text, outcome)]
    assert missing == [], f"not printed literally: {missing[:3]}\n--- PDF text:\n{outcome.text[:1500]}"
    assert_nothing_leaked(outcome.text)


@pytest.mark.parametrize("name", cases(AS_FORMAT))
def test_accepted_input_as_docx_and_text_is_literal(name: str, rendered: dict[str, Outcome]) -> None:
    outcome, output_format = rendered[name], name.rsplit("@", 1)[1]
    assert outcome.submit_status == 202, outcome.submit_body
    assert outcome.status["status"] == "succeeded", outcome.status
    assert outcome.headers["content-type"] == MEDIA_TYPES[output_format]
    disposition = outcome.headers["content-disposition"]
    pattern = rf'attachment; filename="[A-Za-z0-9_-]+_(Resume|Cover_Letter)\.{output_format}"'
    assert re.fullmatch(pattern, disposition), disposition
    missing = [text for text in AS_FORMAT[name].expect if not shown(text, outcome)]
    assert missing == [], f"not written literally: {missing[:3]}\n--- text:\n{outcome.text[:1500]}"
    assert_nothing_leaked(outcome.text)


def test_tex_output_is_escaped_source(rendered: dict[str, Outcome]) -> None:
    outcome = rendered["tex-output"]
    assert outcome.status["status"] == "succeeded", outcome.status
    assert outcome.headers["content-type"].startswith("application/x-tex")
    body = outcome.text.split("\\begin{document}", 1)[1]
    assert r"\textbackslash{}input\{/etc/passwd\}" in body
    assert r"\input{/etc/passwd}" not in body
    assert r"\write18" not in body
    assert r"\%" in body
    assert_nothing_leaked(outcome.text)


@pytest.mark.parametrize("name", cases(REJECTED))
def test_rejected_input_gets_a_clear_4xx(name: str, http: httpx.Client) -> None:
    case = REJECTED[name]
    headers = dict(case.headers)
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    started = time.monotonic()
    response = http.post("/v1/documents", content=case.body, headers=headers)
    assert time.monotonic() - started < 10
    error = assert_error_body(response, case.status, case.code)
    if case.path is not None:
        paths = [d["path"] for d in error["details"]]
        assert case.path in paths, paths


@pytest.mark.parametrize(
    "name", ["latin-1", "10000-achievements", "nested-100000-arrays", "text-plain", "bidi-override"]
)
def test_validate_rejects_the_same_way(name: str, http: httpx.Client) -> None:
    case = REJECTED[name]
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    assert_error_body(http.post("/v1/validate", content=case.body, headers=headers), case.status, case.code)


@pytest.mark.parametrize("name", list(ROUTES))
def test_hostile_paths_and_methods(name: str, http: httpx.Client) -> None:
    route = ROUTES[name]
    response = http.request(route.method, route.path)
    assert_error_body(response, route.status, route.code)


def test_concurrent_hostile_requests_never_5xx(http: httpx.Client) -> None:
    """The whole reject corpus at once, from eight threads: no 5xx, no stuck request."""
    cases = list(REJECTED.values()) * 2
    statuses: list[int] = []
    lock = threading.Lock()

    def send(batch: list[Rejected]) -> None:
        with httpx.Client(base_url=str(http.base_url), timeout=30) as client:
            for case in batch:
                headers = dict(case.headers) | (
                    {"Content-Type": case.content_type} if case.content_type else {}
                )
                code = client.post("/v1/documents", content=case.body, headers=headers).status_code
                with lock:
                    statuses.append(code)

    threads = [threading.Thread(target=send, args=(cases[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == len(cases)
    assert all(400 <= code < 500 for code in statuses), sorted(set(statuses))


def test_the_corpus_is_large_enough() -> None:
    assert len(RENDERED) + 1 + len(REJECTED) + len(ROUTES) >= 100


def test_nothing_was_stored_for_rejected_requests(
    served: tuple[ChaosStack, str], rendered: dict[str, Outcome]
) -> None:
    """Runs last: the only jobs and objects are those of the accepted cases, and all are sound."""
    chaos, _url = served
    report = chaos.audit()
    accepted = {o.submit_body["job_id"] for o in rendered.values() if o.submit_status in (200, 202)}
    assert set(report.jobs) == accepted
    assert len([k for k in report.objects if k.startswith("requests/")]) == len(accepted)
    assert report.problems() == []
    assert_nothing_leaked("")
