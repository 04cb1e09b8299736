"""Hostile input at the engine level: TeX injection put into every kind of field, with real TeX.

For each payload and each template, one document carries the payload in every text field (each
copy between its own markers, ``ZQnn payload QZnn``). The render must succeed, every copy must come
back literally in the PDF's text, nothing may run (no marker file, shell escape never attempted),
nothing outside TeX's own tree may be opened, and /etc/passwd must never show up anywhere.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pypdf
import pytest
from pdf_links import link_targets

from docpipe import catalog
from docpipe.latex import display_url
from docpipe.validation import validate_request

MARKER = "/tmp/docpipe-hostile-marker"

PAYLOADS: dict[str, str] = {
    # reading files
    "input": r"\input{/etc/passwd}",
    "input-bare": r"\input /etc/passwd ",
    "input-relative": r"\input{../../../../../../etc/passwd}",
    "include": r"\include{/etc/passwd}",
    "includeonly": r"\includeonly{x}\include{x}",
    "openin-read": r"\newread\r \openin\r=/etc/passwd \read\r to\x \x",
    "inputiffileexists": r"\InputIfFileExists{/etc/passwd}{yes}{no}",
    "verbatiminput": r"\verbatiminput{/etc/passwd}",
    "font-file": r"\font\x=/etc/passwd \x",
    "everypar": r"\everypar{\input{/etc/passwd}}",
    # running commands
    "write18": rf"\write18{{touch {MARKER}}}",
    "immediate-write18": rf"\immediate\write18{{touch {MARKER}}}",
    "shellesc": rf"\usepackage{{shellesc}}\ShellEscape{{touch {MARKER}}}",
    "directlua": rf'\directlua{{os.execute("touch {MARKER}")}}',
    "openout": rf"\immediate\openout1={MARKER}\immediate\write1{{x}}",
    "openout-aux": r"\openout1=\jobname.aux \write1{\input}",
    # getting around the escaping
    "caret-escape": r"^^5cinput^^7b/etc/passwd^^7d",
    "caret-escape-xetex": r"^^^^005cinput{/etc/passwd}",
    "caret-newline": r"^^M^^J^^I^^@",
    "catcode": r"\catcode`\%=12 \catcode 92=12 \catcode`\{=1",
    "catcode-newline": r"\catcode`\^^M=13 \def^^M{\input{/etc/passwd}}",
    "csname": r"\csname input\endcsname{/etc/passwd}",
    "expandafter": r"\expandafter\input\csname x\endcsname",
    "lowercase": r"\lowercase{\input{/ETC/PASSWD}}",
    "string-detokenize": r"\string\input \detokenize{\input{x}} \meaning\input",
    "redefine-escapes": r"\renewcommand\textbackslash{PWNED}\let\{\relax\def\textasciitilde{x}",
    "makeatletter": r"\makeatletter\@@end\makeatother",
    # hanging or exhausting TeX
    "def-loop": r"\def\x{\x}\x",
    "def-bomb": r"\def\x{\x\x}\x",
    "loop": r"\loop\iftrue\repeat",
    "recursive-env": r"\newenvironment{x}{\begin{x}}{}\begin{x}",
    "huge-font": r"\font\x=cmr10 at 16383pt \x",
    "vskip": r"\vskip 10000in \hskip -\maxdimen \kern\maxdimen",
    "interaction": r"\errorstopmode\errmessage{boom}\batchmode\scrollmode",
    "tracing": r"\tracingall\showlists\show\x",
    # breaking the document's structure
    "usepackage": r"\usepackage{hyperref}\usepackage[utf8]{inputenc}",
    "documentclass": r"\documentclass{article}\begin{document}",
    "end-document": r"\end{document}",
    "end-itemize": r"\end{itemize}\end{center}\item x",
    "comment": r"% everything after here would be a comment \end{document}",
    "percent-only": "%",
    "unbalanced-close": r"}}}}} \egroup\endgroup",
    "unbalanced-open": r"{{{{{ \bgroup\begingroup",
    "math": r"$\alpha$ $$x$$ \(y\) \[z\] _^ a_b^c",
    "params": r"#1 ##2 \def\a#1{#1} \a",
    "alignment": r"&&& \\ \newline \\\\ \cr \noalign{x}",
    "verbatim": r"\begin{verbatim}\input{/etc/passwd}\end{verbatim} \verb|x| \verb+\input+",
    "ties-and-tildes": r"~~~ \~{} \^{} \textasciitilde",
    "pdf-primitives": r"\pdfliteral{0 0 m}\special{ps: x}\pdfobj{x}\pdfcompresslevel=0",
    "pdf-annotation": r"\pdfannot{/Subtype/Link/A<</S/URI/URI(javascript:alert(1))>>}",
    "href-javascript": r"\href{javascript:alert(1)}{click} \url{file:///etc/passwd}",
    "hypersetup": r"\hypersetup{pdfauthor={Mallory},pdftitle={x}}",
    "output-routine": r"\output={\input{/etc/passwd}}\shipout\hbox{x}",
    "endlinechar": r"\endlinechar=-1 \newlinechar=`\x",
    "label-ref": r"\label{x}\ref{x}\pageref{x}\cite{x}",
    "ligatures": "--- -- ,, `` '' !` ?` << >> fi ff",
    "long-word": r"\input{/etc/passwd}" * 6,
    "whitespace-tricks": "a\u00a0\\input\u200b{x}\u00ad\\-\n\n\\par\t\\vskip",
    # the same through the XeLaTeX path (Unicode text), where fallback fonts add their own groups
    "cjk": r"中文 \input{/etc/passwd} 日本語}{",
    "arabic": rf"مرحبا \write18{{touch {MARKER}}} بالعالم",
    "hebrew": r"שלום, \def\x{\x}\x עולם %",
    "greek": r"Ελληνικά }{ % \end{document} Русский",
    "emoji": r"😀 ^^5c \catcode`\{=12 ♥",
    # the commands escape() itself emits, typed by the user
    "escape-commands": r"\beginR x\endR \endL {\docpipefontB{}x} \textbackslash{} \allowbreak{}",
}

URLS: dict[str, str] = {
    "input": "https://x.org/\\input{/etc/passwd}",
    "percent-write18": f"https://x.org/%\\immediate\\write18{{touch${{IFS}}{MARKER}}}",
    "hash-def": "https://x.org/#\\def\\x{\\x}\\x",
    "braces-end": "https://x.org/}}}\\end{document}",
    "carets": "x.org/^^5c^^7b^^^^005c",
    "all-specials": "x.org/~$&_#{}%^\\|<>\"'`",
    "catcode": "https://x.org/\\catcode`\\%=12?a=1&b=2",
    "unicode": "https://x.org/中文/Ελληνικά?q=Русский#ü",
}

Render = Callable[[dict[str, Any]], tuple[Any, Any]]


class _Marked:
    """Hands out ``ZQnn payload QZnn`` copies and remembers them."""

    def __init__(self, payload: str) -> None:
        self.payload = payload
        self.copies: list[str] = []

    def __call__(self) -> str:
        self.copies.append(f"ZQ{len(self.copies):02d} {self.payload} QZ{len(self.copies):02d}")
        return self.copies[-1]


def _resume_fields(payload: str) -> tuple[dict[str, Any], list[str]]:
    """Résumé data with ``payload`` in every text field, and the marked copies to look for."""
    m = _Marked(payload)
    data = {
        "personalInfo": {
            "name": m(),
            "title": m(),
            "email": "ada@example.com",
            "phone": m(),
            "location": m(),
        },
        "professionalSummary": m(),
        "experience": [
            {
                "title": m(),
                "company": m(),
                "location": m(),
                "startDate": "2020-01",
                "achievements": [m(), m()],
            }
        ],
        "education": [
            {"degree": m(), "institution": m(), "location": m(), "focus": m(), "notableCourseWorks": [m()]}
        ],
        "projects": [{"name": m(), "description": [m()], "tools": [m()], "achievements": [m()]}],
        "technologiesAndSkills": [m(), {"category": m(), "skills": [m(), m()]}],
        "certifications": [m(), {"name": m(), "date": "2021"}],
        "achievements": [m()],
        "articlesAndPublications": [{"title": m()}],
        "awardsAndHonors": [m()],
        "languages": [m()],
        "volunteering": [m(), {"role": m(), "organization": m(), "description": m()}],
    }
    return data, m.copies


def _letter_fields(payload: str) -> tuple[dict[str, Any], list[str]]:
    m = _Marked(payload)
    data = {
        "personalInfo": {
            "name": m(),
            "title": m(),
            "email": "ada@example.com",
            "phone": m(),
            "location": m(),
        },
        "recipient": {"name": m(), "title": m(), "company": m(), "address": [m(), m()]},
        "date": "2026-01-02",
        "salutation": m(),
        "body": [m(), m()],
        "closing": m(),
    }
    return data, m.copies


_TEMPLATES = [("resume", name) for name in catalog.template_names("resume")] + [
    ("cover_letter", name) for name in catalog.template_names("cover_letter")
]
# Files TeX may open: its own tree, and the document in its working directory.
_TEX_TREE = ("/usr/share/", "/var/lib/texmf/", "/etc/texmf/", "./document.", "document.")
_OPENED = re.compile(r"\((/[^\s()]+|\./[^\s()]+)")


def _check_no_leak(renderer: Any, text: Any) -> None:
    assert not Path(MARKER).exists(), "a command ran"
    assert "root:x:0:0" not in text.raw
    log = renderer.last_log
    assert "root:x:0:0" not in log
    assert "runsystem(" not in log, "TeX was asked to run a command"
    opened = [path for path in _OPENED.findall(log) if not path.startswith(_TEX_TREE)]
    assert opened == [], f"TeX opened files outside its tree: {opened}"
    assert not re.search(r"^! |^\./document\.tex:\d+: ", log, re.MULTILINE), "TeX reported an error"


@pytest.fixture(autouse=True)
def _no_marker() -> None:
    Path(MARKER).unlink(missing_ok=True)


@pytest.mark.parametrize(("document_type", "template"), _TEMPLATES, ids=lambda v: str(v))
@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_payload_in_every_field_is_printed_literally(
    renderer: Any, pdf_text: Any, document_type: str, template: str, payload: str
) -> None:
    data, marked = (_resume_fields if document_type == "resume" else _letter_fields)(payload)
    request = validate_request({"document_type": document_type, "template": template, "data": data})
    result = renderer.render(request)  # no RenderFailed, no RenderTimeout
    text = pdf_text(result.pdf)
    _check_no_leak(renderer, text)
    missing = [copy for copy in marked if not text.contains(copy)]
    assert missing == [], f"not printed literally: {missing[:3]}"
    # The name goes into the PDF's metadata too (hyperref's pdfauthor): literally, and only there.
    metadata: Mapping[str, Any] = pypdf.PdfReader(io.BytesIO(result.pdf)).metadata or {}
    assert pdf_text.squash(str(metadata.get("/Author"))) == pdf_text.squash(marked[0])


@pytest.mark.parametrize(("document_type", "template"), [t for t in _TEMPLATES if t[0] == "resume"], ids=str)
@pytest.mark.parametrize("address", list(URLS.values()), ids=list(URLS))
def test_hostile_links_are_inert_and_point_where_they_say(
    renderer: Any, pdf_text: Callable[[bytes], Any], document_type: str, template: str, address: str
) -> None:
    data, _ = _resume_fields("x")
    data["personalInfo"] |= {"website": address, "github": address}
    data["experience"][0]["url"] = address
    data["projects"][0]["url"] = address
    data["certifications"][1]["url"] = address
    data["articlesAndPublications"][0]["url"] = address
    request = validate_request({"document_type": document_type, "template": template, "data": data})
    result = renderer.render(request)
    text = pdf_text(result.pdf)
    _check_no_leak(renderer, text)
    assert text.count(display_url(address)) >= 2
    targets = link_targets(result.pdf) - {"mailto:ada@example.com"}
    assert targets, "the links must stay clickable"
    expected = address if address.startswith("https://") else "https://" + address
    for target in targets:
        assert not set(target) & set('\\{} "<>^`|'), target
        assert unquote(target) == unquote(expected), (target, expected)


@pytest.mark.parametrize(("document_type", "template"), _TEMPLATES, ids=str)
def test_hostile_email_addresses(
    renderer: Any, pdf_text: Callable[[bytes], Any], document_type: str, template: str
) -> None:
    # Every TeX special an address may hold (a backslash, % and & are refused: tests/unit/test_addresses.py).
    email = "{input}#$^_~|`'*/=!+{/etc/passwd}@x.co"
    data, _ = (_resume_fields if document_type == "resume" else _letter_fields)("x")
    data["personalInfo"]["email"] = email
    result = renderer.render(
        validate_request({"document_type": document_type, "template": template, "data": data})
    )
    text = pdf_text(result.pdf)
    _check_no_leak(renderer, text)
    assert text.contains(email)
    assert "mailto:" + email in {unquote(t) for t in link_targets(result.pdf)}


def test_the_corpus_is_large_enough() -> None:
    assert len(PAYLOADS) * len(_TEMPLATES) + len(URLS) >= 60
