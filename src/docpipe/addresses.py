"""E-mail addresses and web links: which are accepted, and the link target each one becomes.

An e-mail address is one mailbox: RFC 5322's addr-spec as mail is sent in practice. Before the @ a
dot-atom of letters, digits and ``!#$'*+-/=^_`{|}~`` (letters of any script too, as RFC 6531 allows);
after it a domain name. No quoted strings, comments or address literals, and no ``?``, ``%``, ``&``,
``<``, ``>``, whitespace or control characters: that is how an address smuggles headers into the
``mailto:`` link it becomes (``a?bcc=x@evil.com``, ``a%0ABcc:x@evil.com``).

A web link names its host plainly: no user name before it (``https://google.com@evil.example`` goes to
evil.example), and a host that is a domain name or an IP address. Its target, as written into the PDF,
is ASCII: the host IDNA-encoded (UTS 46 as browsers apply it, so ``straße`` stays ``xn--strae-oqa``),
path, query and fragment percent-encoded as UTF-8, the user's own valid ``%XX`` escapes kept as they
are. Validation (fields.py) and typesetting (latex.url) call the same functions, so every accepted
address has a target.
"""

from __future__ import annotations

import ipaddress
import re
import string
import unicodedata
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import idna

NOT_AN_ADDRESS = "is not an email address"
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$'*+-/=^_`{|}~")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")
_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")
# What may stay as it is in a path, query or fragment (RFC 3986 pchar, and "?" and "/" after them).
_SAFE = "/:@!$&'()*+,;=?"
# What may stay as it is in a mailto: link's mailbox (RFC 6068); everything else is percent-encoded.
_MAILBOX_SAFE = "!$'*+"
_WEB = ("http://", "https://")
_MAILTO = "mailto:"


def ascii_host(host: str) -> str:
    """``host`` as DNS spells it, each international label in IDNA (``xn--...``); ValueError if it is
    not a domain name."""
    root = "." if host.endswith(".") and len(host) > 1 else ""  # "example.com." names the same host
    host = host.removesuffix(root)
    try:
        mapped = host.lower() if host.isascii() else idna.uts46_remap(host, std3_rules=False)
        labels = [
            label if label.isascii() else idna.alabel(label).decode("ascii") for label in mapped.split(".")
        ]
        for label in labels:
            if label.startswith("xn--"):
                idna.ulabel(label)  # a label that claims to be IDNA must decode
    except UnicodeError:  # idna.IDNAError is one
        raise ValueError("is not a domain name") from None
    spelled = ".".join(labels)
    if not all(_LABEL.match(label) for label in labels) or len(spelled) > 253:
        raise ValueError("is not a domain name")
    return spelled + root


def _invisible(text: str) -> list[str]:
    return sorted({ch for ch in text if ch.isspace() or unicodedata.category(ch).startswith("C")})


def _local_part_problem(local: str) -> str | None:
    if not local:
        return "there is nothing before the @"
    if len(local) > 64:
        return "the part before the @ is longer than 64 characters"
    bad = [ch for ch in dict.fromkeys(local) if ch != "." and ch not in _ATEXT and not _is_letter(ch)]
    if bad:
        return "the part before the @ may not contain " + ", ".join(f"`{ch}`" for ch in bad[:5])
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "the part before the @ may not start or end with a dot, nor have two dots in a row"
    return None


def _is_letter(ch: str) -> bool:
    return not ch.isascii() and unicodedata.category(ch)[0] in "LMN"


def _domain_problem(domain: str) -> str | None:
    try:
        labels = [] if domain.endswith(".") else ascii_host(domain).split(".")
    except ValueError:
        labels = []
    if len(labels) < 2 or labels[-1].isdigit():
        return "the part after the @ is not a domain name (such as example.com)"
    return None


def check_email(value: str) -> str:
    """``value`` if it is one mailbox (``name@example.com``); otherwise ValueError saying what is wrong."""
    invisible = _invisible(value)
    if invisible:
        names = ", ".join(f"U+{ord(ch):04X}" for ch in invisible)
        raise ValueError(f"{NOT_AN_ADDRESS}: it contains spaces or invisible characters ({names})")
    if "@" not in value:
        raise ValueError(f"{NOT_AN_ADDRESS} (expected name@example.com)")
    if value.count("@") > 1:
        raise ValueError(f"{NOT_AN_ADDRESS}: it has more than one @")
    local, domain = value.split("@")
    why = _local_part_problem(local) or _domain_problem(domain)
    if why:
        raise ValueError(f"{NOT_AN_ADDRESS}: {why}")
    return value


def check_link(value: str) -> str:
    """``value`` if it is a web address (or a bare host: ``example.com/x``) or a ``mailto:`` link to
    one mailbox; otherwise ValueError saying what is wrong."""
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces")
    lowered = value.lower()
    if lowered.startswith(_MAILTO):
        if "?" in value:
            raise ValueError("a mailto: link must hold one address and nothing else (no ?subject= or ?cc=)")
        check_email(value[len(_MAILTO) :])
        return value
    if ":" in lowered.split("/")[0] and not lowered.startswith(_WEB):
        raise ValueError("must be a web address (http or https) or a mailto: link")
    if "@" in lowered.split("/")[0] and not lowered.startswith(_WEB):
        raise ValueError("looks like an email address: a link to one is written mailto:name@example.com")
    link_target(value)
    return value


def _quote(part: str) -> str:
    """Percent-encode ``part`` as UTF-8, keeping escapes that are already valid (never ``%2541``)."""
    return "".join(
        piece if _ESCAPE.fullmatch(piece) else quote(piece, safe=_SAFE) for piece in _ESCAPE.split(part)
    )


def _authority(parts: SplitResult) -> str:
    if "@" in parts.netloc:
        raise ValueError("must not contain a user name before the host (name@): it hides where the link goes")
    host = parts.hostname
    if not host:
        raise ValueError("has no host (expected https://example.com/...)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has an invalid port (expected a number up to 65535)") from None
    try:
        host = f"[{ipaddress.IPv6Address(host)}]" if ":" in host else ascii_host(host)
    except ValueError:
        raise ValueError("the host is not a domain name (such as example.com)") from None
    return host if port is None else f"{host}:{port}"


def link_target(address: str) -> str:
    """The ASCII URI a link to ``address`` points at (a bare host gets ``https://``); ValueError if
    ``address`` is no link (see :func:`check_link`)."""
    target = address.strip()
    if target.lower().startswith(_MAILTO):
        local, _, domain = target[len(_MAILTO) :].rpartition("@")
        return f"{_MAILTO}{quote(local, safe=_MAILBOX_SAFE)}@{ascii_host(domain)}"
    if not target.lower().startswith(_WEB):
        target = "https://" + target
    try:
        parts = urlsplit(target)
    except ValueError:  # "[::1" and other broken hosts
        raise ValueError("the host is not a domain name (such as example.com)") from None
    authority = _authority(parts)
    return urlunsplit(
        (parts.scheme, authority, _quote(parts.path), _quote(parts.query), _quote(parts.fragment))
    )
