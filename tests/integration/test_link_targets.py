"""International addresses in a real PDF: the link a reader clicks is plain ASCII (the host in IDNA,
path and query percent-encoded once), while the page shows the address as the user wrote it. Both
engines: pdfLaTeX for Latin text, XeLaTeX once a CJK address is on the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pdf_links import link_targets

from docpipe.validation import validate_request

Render = Callable[[dict[str, Any]], tuple[Any, Any]]

LATIN = {
    "website": ("https://bücher.example/ä?x=ü", "https://xn--bcher-kva.example/%C3%A4?x=%C3%BC"),
    "github": ("https://Straße.example/a%20b/100%", "https://xn--strae-oqa.example/a%20b/100%25"),
    "linkedin": ("bücher.example/in/josé", "https://xn--bcher-kva.example/in/jos%C3%A9"),
}
CJK = {"website": ("https://例子.example/路径", "https://xn--fsqu00a.example/%E8%B7%AF%E5%BE%84")}
EMAIL = ("josé@bücher.example", "mailto:jos%C3%A9@xn--bcher-kva.example")


def _document(document_type: str, template: str, links: dict[str, tuple[str, str]]) -> dict[str, Any]:
    info = {"name": "Ada", "email": EMAIL[0]} | {key: address for key, (address, _) in links.items()}
    data: dict[str, Any] = {"personalInfo": info}
    if document_type == "cover_letter":
        data |= {"body": ["Hello."], "date": "2026-01-02"}
    else:
        data |= {"experience": [{"title": "Dev", "url": links["website"][0]}]}
    return {"document_type": document_type, "template": template, "data": data}


@pytest.mark.parametrize("links", [LATIN, CJK], ids=["pdflatex", "xelatex"])
@pytest.mark.parametrize(
    ("document_type", "template"),
    [("resume", "classic"), ("resume", "two_column"), ("cover_letter", "classic")],
)
def test_international_links_are_encoded_in_the_pdf_and_shown_as_written(
    renderer: Any, pdf_text: Any, document_type: str, template: str, links: dict[str, tuple[str, str]]
) -> None:
    request = validate_request(_document(document_type, template, links))
    result = renderer.render(request)
    assert result.engine == ("xetex" if links is CJK else "pdftex")
    targets = link_targets(result.pdf)
    assert all(target.isascii() for target in targets), targets
    assert EMAIL[1] in targets
    text = pdf_text(result.pdf)
    assert text.contains(EMAIL[0])
    for address, target in links.values():
        assert target in targets, (target, targets)
        assert text.contains(address.removeprefix("https://")), address
