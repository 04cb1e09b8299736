"""Every template, typeset with real TeX, read back the way a recruiter's ATS and a PDF viewer read it.

One module-scoped Renderer builds each template's format once; every distinct request is typeset
once and its PDF shared by the tests that look at it (``pdftotext``, ``pdfinfo``, ``pdffonts``).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from docpipe import catalog, validation
from docpipe.dates import PartialDate, date_range
from docpipe.latex import display_url
from docpipe.renderer import Renderer, RenderResult
from docpipe.schema import CoverLetter, Resume

SAMPLES = Path(validation.__file__).parent / "samples"
RESUME_TEMPLATES = catalog.template_names("resume")
LETTER_TEMPLATES = catalog.template_names("cover_letter")

# Where each résumé template prints its sections, in reading order. A new template must say so here.
CLASSIC_SECTIONS = (
    "Summary", "Experience", "Education", "Projects", "Skills", "Certifications", "Publications",
    "Achievements", "Awards and Honors", "Languages", "Volunteering",
)  # fmt: skip
TWO_COLUMN_SIDEBAR = ("Contact", "Education", "Skills", "Certifications", "Languages")
TWO_COLUMN_MAIN = (
    "Summary", "Experience", "Projects", "Publications", "Achievements", "Awards and Honors", "Volunteering",
)  # fmt: skip
# (column, column, ...): two_column is read sidebar first, then the main column.
RESUME_LAYOUTS = {
    "classic": (("Contact", *CLASSIC_SECTIONS),),
    "two_column": (TWO_COLUMN_SIDEBAR, TWO_COLUMN_MAIN),
}
# Templates that print the heading "Contact" (classic shows the contact line under the name).
CONTACT_HEADING = {"two_column"}
LETTER_HAS_SIDEBAR = {"two_column"}
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
RTL = {"R", "AL"}


# --------------------------------------------------------------------------- rendering and reading


@dataclass
class Rendered:
    path: Path
    result: RenderResult

    @cached_property
    def text(self) -> str:
        return _run("pdftotext", str(self.path), "-")

    @cached_property
    def info(self) -> dict[str, str]:
        out = _run("pdfinfo", "-enc", "UTF-8", str(self.path))
        return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}

    @cached_property
    def fonts(self) -> list[tuple[str, str, str]]:
        """(name, type, embedded) for every font of the PDF."""
        rows = _run("pdffonts", str(self.path)).splitlines()[2:]
        found = []
        for row in rows:
            match = re.match(
                r"^(\S+)\s+(.+?)\s{2,}\S.*?\s(yes|no)\s+(?:yes|no)\s+(?:yes|no)\s+\d+\s+\d+$", row
            )
            assert match, f"unexpected pdffonts row: {row!r}"
            name, kind, embedded = match.groups()
            found.append((name, kind, embedded))
        return found

    def used_height(self) -> float:
        """How far down the text reaches, counting full pages before the last one (in points)."""
        last = _run("pdftotext", "-bbox", "-f", str(self.result.pages), "-l", str(self.result.pages),
                    str(self.path), "-")  # fmt: skip
        page = re.search(r'<page width="[\d.]+" height="([\d.]+)"', last)
        assert page, "pdftotext -bbox gave no page"
        height = float(page.group(1))
        bottoms = [float(y) for y in re.findall(r'<word [^>]*yMax="([\d.]+)"', last)]
        return (self.result.pages - 1) * height + max(bottoms)


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, Any]], Rendered]:
    renderer = Renderer(format_dir=tmp_path_factory.mktemp("fmt"))
    out = tmp_path_factory.mktemp("pdf")
    done: dict[str, Rendered] = {}

    def _render(envelope: dict[str, Any]) -> Rendered:
        key = json.dumps(envelope, sort_keys=True)
        if key not in done:
            request = validation.validate_request(copy.deepcopy(envelope))
            result = renderer.render(request)
            path = out / f"{request.document_type}-{request.template}-{len(done)}.pdf"
            path.write_bytes(result.pdf)
            done[key] = Rendered(path, result)
        return done[key]

    return _render


def sample(name: str, **changes: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    options = envelope.setdefault("options", {})
    for key in ("paper", "spacing"):
        if key in changes:
            options[key] = changes.pop(key)
    envelope.update(changes)
    return envelope


def resume(data: dict[str, Any], template: str, **options: str) -> dict[str, Any]:
    return {"document_type": "resume", "template": template, "options": options, "data": data}


def long_resume() -> dict[str, Any]:
    """The bundled résumé with 8 jobs of 6 two-line bullets: two pages or more in every template."""
    data: dict[str, Any] = sample("resume.json")["data"]
    data["experience"] = [
        {
            "title": f"Platform Engineer {job}",
            "company": f"Company {job} Ltd",
            "location": "Austin, TX",
            "startDate": f"{2020 - job}-01",
            "endDate": f"{2021 - job}-01",
            "achievements": [
                f"Job {job} result {n}: cut the fulfilment workflow's cost by {10 + n}% while leading"
                f" a cross-functional team of four engineers through the migration."
                for n in range(1, 7)
            ],
        }
        for job in range(1, 9)
    ]
    return data


# --------------------------------------------------------------------------- what the text must say


def flat(text: str) -> str:
    """Comparable text: NFKC (Arabic presentation forms to letters), no bidi marks, one space, casefolded."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(BIDI_CONTROLS).split()).casefold()


def assert_in_order(text: str, phrases: list[str]) -> None:
    """Each phrase occurs in the extracted text, after the previous one."""
    haystack, position = flat(text), 0
    for phrase in phrases:
        needle = flat(phrase)
        found = haystack.find(needle, position)
        if found < 0:
            where = "earlier (out of reading order)" if needle in haystack else "nowhere"
            context = haystack[max(position - 80, 0) : position + 200]
            pytest.fail(
                f"{phrase!r} not found after position {position}; it occurs {where}.\nText: ...{context}..."
            )
        position = found + len(needle)


def _is_rtl(phrase: str) -> bool:
    return any(unicodedata.bidirectional(ch) in RTL for ch in phrase)


def resume_sections(doc: Resume) -> dict[str, list[str]]:
    """For each section a résumé shows, the phrases it holds in order (the heading comes first)."""
    info = doc.personal_info
    links = [display_url(u) for u in (info.website, info.linkedin, info.github) if u]
    sections: dict[str, list[str]] = {
        "Contact": [x for x in (info.location, info.phone, info.email) if x] + links
    }
    if doc.professional_summary:
        sections["Summary"] = [doc.professional_summary]
    sections["Experience"] = [p for job in doc.experience for p in (job.title, *job.achievements)]
    sections["Education"] = [
        p
        for school in doc.education
        for p in (school.degree, school.institution, school.focus, *school.notable_course_works)
        if p
    ]
    sections["Projects"] = [
        p for pr in doc.projects for p in (pr.name, *pr.description, *pr.tools, *pr.achievements)
    ]
    sections["Skills"] = [
        p
        for s in doc.technologies_and_skills
        for p in ([s] if isinstance(s, str) else [s.category, *s.skills])
    ]
    sections["Certifications"] = [c if isinstance(c, str) else c.name for c in doc.certifications]
    sections["Publications"] = [p.title for p in doc.articles_and_publications]
    sections["Achievements"] = list(doc.achievements)
    sections["Awards and Honors"] = list(doc.awards_and_honors)
    sections["Languages"] = list(doc.languages)
    sections["Volunteering"] = [
        p
        for v in doc.volunteering
        for p in ([v] if isinstance(v, str) else [v.role, v.organization, v.description])
        if p
    ]
    return {heading: phrases for heading, phrases in sections.items() if phrases}


def resume_reading_order(doc: Resume, template: str) -> list[str]:
    """Name, title, then every section of every column, in the order an ATS must read them."""
    sections = resume_sections(doc)
    order = [doc.personal_info.name, doc.personal_info.title or ""]
    for column in RESUME_LAYOUTS[template]:
        for heading in column:
            if heading in sections:
                shows_heading = heading != "Contact" or template in CONTACT_HEADING
                order += [heading] * shows_heading + sections[heading]
    # Mixed right-to-left phrases come back in visual fragments; they are checked word by word elsewhere.
    return [p for p in order if p and not _is_rtl(p)]


def letter_reading_order(doc: CoverLetter, template: str) -> list[str]:
    info = doc.personal_info
    contact = [x for x in (info.location, info.phone, info.email) if x]
    contact += [display_url(u) for u in (info.website, info.linkedin, info.github) if u]
    named = [doc.recipient.name, doc.recipient.title, doc.recipient.company] if doc.recipient else []
    recipient = [x for x in named if x] + (doc.recipient.address if doc.recipient else [])
    assert doc.date is not None
    dated = doc.date.long() if isinstance(doc.date, PartialDate) else doc.date  # free text as given
    if template in LETTER_HAS_SIDEBAR:
        head = ["Contact", *contact] + (["To", *recipient] if recipient else []) + [dated]
    else:
        head = [*contact, dated, *recipient]
    order = [info.name, *head, doc.salutation, *doc.body, doc.closing, info.name]
    return [p for p in order if not _is_rtl(p)]


def data_of(envelope: dict[str, Any]) -> Any:
    return validation.validate_request(copy.deepcopy(envelope)).data


# --------------------------------------------------------------------------- the tests


def test_the_catalog_has_both_designs_and_every_layout_is_known() -> None:
    assert {"classic", "two_column"} <= set(RESUME_TEMPLATES)
    assert {"classic", "two_column"} <= set(LETTER_TEMPLATES)
    assert set(RESUME_TEMPLATES) <= set(RESUME_LAYOUTS), (
        "describe the new template's layout in RESUME_LAYOUTS"
    )


def _sample_cases() -> Iterator[Any]:
    for path in sorted(SAMPLES.glob("*.json")):
        kind = json.loads(path.read_text(encoding="utf-8"))["document_type"]
        for template in RESUME_TEMPLATES if kind == "resume" else LETTER_TEMPLATES:
            yield pytest.param(path.name, template, id=f"{path.stem}-{template}")


@pytest.mark.parametrize(("name", "template"), list(_sample_cases()))
def test_every_sample_reads_back_in_order_with_every_template(render: Any, name: str, template: str) -> None:
    envelope = sample(name, template=template)
    doc = data_of(envelope)
    pdf = render(envelope)
    if envelope["document_type"] == "resume":
        assert_in_order(pdf.text, resume_reading_order(doc, template))
    else:
        assert_in_order(pdf.text, letter_reading_order(doc, template))
    # Every character is real text: no glyph without a Unicode mapping, no ligature glyph.
    assert "\ufffd" not in pdf.text
    assert not re.search("[\ufb00-\ufb06]", pdf.text), "a ligature came out as one character"


@pytest.mark.parametrize("template", RESUME_TEMPLATES)
def test_accents_and_ligatures_come_out_as_plain_unicode(render: Any, template: str) -> None:
    pdf = render(sample("resume_jsonresume.json", template=template))
    text = unicodedata.normalize("NFC", pdf.text)
    for word in ("José Müller", "Zürich", "Banque Léman"):
        assert word in text
    assert {"efficient", "office", "Certified"} <= set(re.findall(r"\w+", pdf.text))
    assert not re.search("[\ufb00-\ufb06]", pdf.text)
    assert pdf.info["Title"] == "José Müller — Résumé"


@pytest.mark.parametrize(
    ("kind", "template"),
    [("resume", t) for t in RESUME_TEMPLATES] + [("cover_letter", t) for t in LETTER_TEMPLATES],
)
def test_pdf_metadata_comes_from_the_data(render: Any, kind: str, template: str) -> None:
    pdf = render(sample(f"{kind}.json", template=template))
    label = "Résumé" if kind == "resume" else "Cover Letter"
    assert pdf.info["Title"] == f"Jordan Avery Lee — {label}"
    assert pdf.info["Author"] == "Jordan Avery Lee"
    assert pdf.result.passes == 1, "templates must typeset in a single pass"


@pytest.mark.parametrize(
    ("kind", "template"),
    [("resume", t) for t in RESUME_TEMPLATES] + [("cover_letter", t) for t in LETTER_TEMPLATES],
)
@pytest.mark.parametrize(("paper", "size"), [("letter", "612 x 792 pts (letter)"), ("a4", "(A4)")])
def test_paper_size_follows_the_option(render: Any, kind: str, template: str, paper: str, size: str) -> None:
    pdf = render(sample(f"{kind}.json", template=template, paper=paper))
    assert size in pdf.info["Page size"]
    assert "Jordan Avery Lee" in pdf.text


@pytest.mark.parametrize("template", RESUME_TEMPLATES)
def test_spacing_modes_tighten_a_long_resume(render: Any, template: str) -> None:
    pdfs = [
        render(resume(long_resume(), template, spacing=s)) for s in ("normal", "compact", "ultra-compact")
    ]
    pages = [p.result.pages for p in pdfs]
    heights = [p.used_height() for p in pdfs]
    assert pages[0] >= 2
    assert pages[0] >= pages[1] >= pages[2], pages
    assert heights[0] - heights[1] > 36, heights  # at least half an inch a step
    assert heights[1] - heights[2] > 36, heights


@pytest.mark.parametrize("template", LETTER_TEMPLATES)
def test_spacing_modes_tighten_a_letter(render: Any, template: str) -> None:
    modes = ("normal", "compact", "ultra-compact")
    pdfs = [render(sample("cover_letter.json", template=template, spacing=s)) for s in modes]
    heights = [p.used_height() for p in pdfs]
    assert heights[0] - heights[1] > 18, heights
    assert heights[1] - heights[2] > 18, heights


@pytest.mark.parametrize("template", RESUME_TEMPLATES)
def test_a_long_resume_keeps_all_its_text_across_pages(render: Any, template: str) -> None:
    data = long_resume()
    pdf = render(resume(data, template))
    assert pdf.result.pages >= 2
    doc = data_of(resume(data, template))
    assert_in_order(pdf.text, resume_reading_order(doc, template))
    for n in range(1, 9):
        for line in (
            f"Company {n} Ltd",
            date_range(doc.experience[n - 1].start_date, doc.experience[n - 1].end_date, open_ended=True),
        ):
            assert flat(line) in flat(pdf.text)


ALL_HEADINGS = (*CLASSIC_SECTIONS, "Awards")


@pytest.mark.parametrize("template", RESUME_TEMPLATES)
def test_empty_sections_are_omitted(render: Any, template: str) -> None:
    bare = render(resume({"personalInfo": {"name": "José Müller", "email": "jose@example.com"}}, template))
    text = flat(bare.text)
    assert flat("José Müller") in text
    assert "jose@example.com" in text
    lines = {flat(line) for line in bare.text.splitlines()}
    for heading in ALL_HEADINGS:
        assert flat(heading) not in lines, f"empty section {heading!r} was printed"

    partial = {
        "personalInfo": {"name": "Ana Lima", "email": "ana@example.com"},
        "experience": [],
        "technologiesAndSkills": [{"category": "Tools", "skills": ["Excel", "Tableau"]}],
        "languages": ["Portuguese (native)"],
    }
    lines = {flat(line) for line in render(resume(partial, template)).text.splitlines()}
    assert {"skills", "languages"} <= lines
    assert not {"experience", "summary", "education", "projects"} & lines


def test_a_letter_without_recipient_has_no_to_block(render: Any) -> None:
    envelope = sample("cover_letter.json", template="two_column")
    del envelope["data"]["recipient"]
    lines = [flat(line) for line in render(envelope).text.splitlines()]
    assert "contact" in lines
    assert "to" not in lines


@pytest.mark.parametrize(("name", "template"), list(_sample_cases()))
def test_no_bitmap_fonts(render: Any, name: str, template: str) -> None:
    pdf = render(sample(name, template=template))
    assert pdf.fonts
    for font, kind, embedded in pdf.fonts:
        assert "Type 3" not in kind, f"{font} is a bitmap (Type 3) font"
        assert embedded == "yes", f"{font} is not embedded"
        if pdf.result.engine == "pdftex":
            assert kind.startswith("Type 1"), f"{font} is {kind}; pdflatex output must use Type 1 fonts only"


UNICODE_WORDS = (
    "Ελένη Παπαδοπούλου", "μηχανικός λογισμικού", "Яндекс", "«Поиск и Карты»", "软件工程师",
    "阿里巴巴集团", "多语言搜索", "مهندسة برمجيات", "شركة المستقبل", "Εθνικό Μετσόβιο Πολυτεχνείο",
    "中文", "العربية",
)  # fmt: skip


@pytest.mark.parametrize("template", RESUME_TEMPLATES)
def test_unicode_resume_renders_with_xetex_and_reads_back(render: Any, template: str) -> None:
    pdf = render(sample("resume_unicode.json", template=template))
    assert pdf.result.engine == "xetex"
    text = flat(pdf.text)
    missing = [w for w in UNICODE_WORDS if flat(w) not in text]
    assert not missing, f"not in the extracted text: {missing}"
    assert_in_order(pdf.text, ["Ελένη Παπαδοπούλου", "Яндекс", "阿里巴巴集团", "شركة المستقبل"])
    assert {"efficient", "office"} <= set(re.findall(r"\w+", pdf.text))
    families = " ".join(font for font, _, _ in pdf.fonts)
    assert "NotoSansCJK" in families
    assert "NotoSansArabic" in families
    # Arabic is shaped: the letters of a word take their joining (initial/medial/final) forms.
    joined = [ch for ch in pdf.text if re.search("(INITIAL|MEDIAL|FINAL) FORM", unicodedata.name(ch, ""))]
    assert joined, "Arabic letters came out unjoined: the text was not shaped"


@pytest.mark.parametrize("template", LETTER_TEMPLATES)
def test_unicode_letter_renders_with_xetex_and_reads_back(render: Any, template: str) -> None:
    envelope = {
        "document_type": "cover_letter",
        "template": template,
        "data": {
            "personalInfo": sample("resume_unicode.json")["data"]["personalInfo"],
            "recipient": {"name": "Иван Петров", "company": "阿里巴巴集团", "address": ["دبي"]},
            "date": "2025-03-04",
            "salutation": "Уважаемый Иван,",
            "body": [
                "I apply for the 本地化工程师 role; Greek (Ελληνικά) and Arabic (العربية) are my strengths."
            ],
            "closing": "Με εκτίμηση,",
        },
    }
    pdf = render(envelope)
    assert pdf.result.engine == "xetex"
    assert pdf.info["Author"] == "Ελένη Παπαδοπούλου"
    assert_in_order(
        pdf.text,
        ["Ελένη Παπαδοπούλου", "Иван Петров", "Уважаемый Иван", "本地化工程师", "Ελληνικά", "Με εκτίμηση"],
    )
    for word in ("العربية", "دبي"):
        assert flat(word) in flat(pdf.text)


SPECIALS = "R&D 100% #1 $5 {x} ~y ^z _u \\ <a> |b| \"q\" 'single' `tick`"


@pytest.mark.parametrize("template", RESUME_TEMPLATES)
def test_tex_specials_print_literally(render: Any, template: str) -> None:
    data = {
        "personalInfo": {"name": "Ann O'Neil & Co", "email": "a_b@example.com", "title": SPECIALS},
        "professionalSummary": SPECIALS,
        "experience": [{"title": "Lead", "company": SPECIALS, "achievements": [SPECIALS, "x" * 120]}],
        "technologiesAndSkills": [SPECIALS, {"category": "Cat", "skills": [SPECIALS]}],
        "certifications": [SPECIALS],
        "volunteering": [SPECIALS, {"organization": SPECIALS, "description": SPECIALS}],
    }
    text = flat(render(resume(data, template)).text)
    assert text.count(flat(SPECIALS)) >= 7
    assert "x" * 120 in text.replace(" ", "")


CONTACT = {
    "name": "Jordan Avery Lee",
    "email": "jordan.avery.lee@example.com",
    "phone": "+1 (415) 555-0142 ext. 1234",
    "website": "https://jordan-avery-lee.example.com/portfolio",
    "linkedin": "https://www.linkedin.com/in/jordan-avery-lee",
    "github": "https://github.com/jordan-avery-lee",
}
# Each location ends the first line at a different place: inside the phone number, inside a URL ...
LOCATIONS = (
    "Greater San Francisco",
    "Remote, or on site in the Greater San Francisco Bay Area, California, USA",
    "Greater San Francisco Bay Area, California, United States of America (North Pacific Coast)",
)


@pytest.mark.parametrize("kind", ["resume", "cover_letter"])
@pytest.mark.parametrize("location", LOCATIONS)
def test_contact_items_never_break_inside(render: Any, kind: str, location: str) -> None:
    data: dict[str, Any] = {"personalInfo": CONTACT | {"location": location}}
    if kind == "cover_letter":
        data |= {"date": "2025-01-02", "body": ["Hello."]}
    pdf = render({"document_type": kind, "template": "classic", "data": data})
    lines = [" ".join(line.split()) for line in pdf.text.splitlines() if line.strip()]
    items = [location, CONTACT["phone"], CONTACT["email"]]
    items += [display_url(CONTACT[k]) for k in ("website", "linkedin", "github")]
    contact_lines = [line for line in lines if any(item in line for item in items)]
    assert len(contact_lines) >= 2, "the contact line should wrap for this test to mean anything"
    for item in items:
        assert any(item in line for line in lines), f"{item!r} was broken across lines (or ran off the page)"
    for line in contact_lines:
        assert not line.startswith("·"), f"a separator was left at a line break: {line!r}"
        assert not line.endswith("·"), f"a separator was left at a line break: {line!r}"


@pytest.mark.parametrize("name", ["resume.json", "resume_jsonresume.json", "resume_unicode.json"])
def test_two_column_is_read_one_column_at_a_time(render: Any, name: str) -> None:
    """The whole sidebar, then the whole main column: no section of one column inside the other."""
    lines = [flat(line) for line in render(sample(name, template="two_column")).text.splitlines()]
    headings = {flat(h) for h in (*TWO_COLUMN_SIDEBAR, *TWO_COLUMN_MAIN)}
    seen = [line for line in lines if line in headings]
    side_seen = [h for h in seen if h in {flat(x) for x in TWO_COLUMN_SIDEBAR}]
    assert seen[: len(side_seen)] == side_seen, f"headings interleaved: {seen}"
