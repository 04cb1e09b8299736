"""Addresses are addresses: an e-mail is one mailbox (no headers, no query), a link's host is a domain
name, and the link target TeX writes into the PDF is plain ASCII, IDNA- and percent-encoded once."""

from __future__ import annotations

from typing import Any

import pytest

from docpipe.errors import InvalidDocument
from docpipe.latex import display_url, link, url
from docpipe.validation import check_request

PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}


def problems(**info: Any) -> dict[str, str]:
    envelope = {"document_type": "resume", "data": {"personalInfo": PERSON | info}}
    with pytest.raises(InvalidDocument) as found:
        check_request(envelope)
    return {d.path: d.message for d in found.value.details}


def accepted(**info: Any) -> Any:
    envelope = {"document_type": "resume", "data": {"personalInfo": PERSON | info}}
    return check_request(envelope).request.data.personal_info


# --- e-mail addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "why"),
    [
        ("a?bcc=x@evil.com", "`?`"),
        ("a%0ABcc:x@evil.com", "`%`"),
        ("a&cc=x@evil.com", "`&`"),
        ("<a>@example.com", "`<`"),
        ('"ab"@example.com', '`"`'),
        ('"a b"@example.com', "U+0020"),
        ("a@b@example.com", "more than one @"),
        ("ada@example.com?subject=hi", "domain"),
        ("ada@example.com\x0abcc:x@evil.com", "U+000A"),
        ("ada\u00a0x@example.com", "U+00A0"),
        (".ada@example.com", "dot"),
        ("ada.@example.com", "dot"),
        ("a..da@example.com", "dot"),
        ("@example.com", "nothing before the @"),
        ("ada@", "domain"),
        ("ada@localhost", "domain"),
        ("ada@-example.com", "domain"),
        ("ada@exa..mple.com", "domain"),
        ("ada@[127.0.0.1]", "domain"),
        ("ada@😀.example", "domain"),
        ("ada@example.123", "domain"),
        ("a" * 65 + "@example.com", "64"),
    ],
)
def test_an_email_is_one_mailbox_and_the_error_says_what_is_wrong(email: str, why: str) -> None:
    found = problems(email=email)
    assert list(found) == ["data.personalInfo.email"], found
    message = found["data.personalInfo.email"]
    assert message.startswith("is not an email address"), message
    assert why in message, message


@pytest.mark.parametrize(
    "email",
    [
        "ada@example.com",
        "Ada.Lovelace+cv@mail.example.co.uk",
        "o'brien@example.ie",
        "{#$^_~}*/=|!`x@example.com",
        "ada@bücher.example",
        "ada@xn--bcher-kva.example",
        "josé@example.com",
    ],
)
def test_real_addresses_are_accepted_as_written(email: str) -> None:
    assert accepted(email=email).email == email


def test_the_old_message_stays_for_text_that_is_no_address_at_all() -> None:
    assert problems(email="nope") == {
        "data.personalInfo.email": "is not an email address (expected name@example.com)"
    }


@pytest.mark.parametrize(
    "address",
    ["mailto:a?bcc=x@evil.com", "mailto:ada@example.com?bcc=x@evil.com", "mailto:a%0ABcc:x@evil.com"],
)
def test_a_mailto_link_is_held_to_the_same_rule(address: str) -> None:
    found = problems(website=address)
    assert list(found) == ["data.personalInfo.website"], found


# --- web links ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("https://user@example.com/", "user name"),
        ("https://google.com@evil.example/", "user name"),
        ("https://x.org\\@evil.example/", "user name"),
        ("https://", "host"),
        ("https:///path", "host"),
        ("https://exa..mple.com/", "host"),
        ("https://😀.example/", "host"),
        ("https://-x.example/", "host"),
        ("https://x.example:99999/", "port"),
        ("https://x.example:http/", "port"),
        ("https://[::1/", "host"),
        ("ada@example.com", "mailto:"),
    ],
)
def test_a_link_names_a_host_and_nothing_that_hides_it(address: str, why: str) -> None:
    found = problems(website=address)
    assert list(found) == ["data.personalInfo.website"], found
    assert why in found["data.personalInfo.website"], found


@pytest.mark.parametrize(
    "address",
    [
        "https://bücher.example/ä?x=ü",
        "HTTPS://Example.COM/Path",
        "https://x.example:8443/a",
        "https://[2001:db8::1]/x",
        "http://192.0.2.1/x",
        "https://medium.com/@ada",
        "github.com/ada",
        "ada",
        "https://x.org/100%",
    ],
)
def test_ordinary_and_international_links_are_accepted(address: str) -> None:
    assert accepted(website=address).website == address


# --- link targets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("https://bücher.example/ä?x=ü", r"https://xn--bcher-kva.example/\%C3\%A4?x=\%C3\%BC"),
        ("https://bücher.example/a%20b?x=ü", r"https://xn--bcher-kva.example/a\%20b?x=\%C3\%BC"),
        ("bücher.example", "https://xn--bcher-kva.example"),
        ("https://Straße.example/", "https://xn--strae-oqa.example/"),
        ("https://BÜCHER.example:8443/x", "https://xn--bcher-kva.example:8443/x"),
        (
            "https://例子.example/路径#片段",
            r"https://xn--fsqu00a.example/\%E8\%B7\%AF\%E5\%BE\%84\#\%E7\%89\%87\%E6\%AE\%B5",
        ),
        ("https://x.org/a%2Fb%zz%", r"https://x.org/a\%2Fb\%25zz\%25"),
        ("https://x.org/?q=100%&r=%41", r"https://x.org/?q=100\%25\&r=\%41"),
        ("https://[2001:db8::1]:8080/x", "https://[2001:db8::1]:8080/x"),
        ("mailto:ada@bücher.example", "mailto:ada@xn--bcher-kva.example"),
        ("mailto:josé@example.com", r"mailto:jos\%C3\%A9@example.com"),
        ("mailto:{a}#b@example.com", r"mailto:\%7Ba\%7D\%23b@example.com"),
    ],
)
def test_link_targets_are_ascii_idna_and_percent_encoded_once(address: str, target: str) -> None:
    assert url(address) == target
    assert url(address).isascii()


def test_the_printed_address_stays_as_the_user_wrote_it() -> None:
    assert display_url("https://bücher.example/ä?x=ü") == "bücher.example/ä?x=ü"
    assert (
        link("https://bücher.example/ä") == r"\href{https://xn--bcher-kva.example/\%C3\%A4}{bücher.example/ä}"
    )
    assert link("mailto:ada@bücher.example", "ada@bücher.example") == (
        r"\href{mailto:ada@xn--bcher-kva.example}{ada@bücher.example}"
    )
