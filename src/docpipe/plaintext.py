"""A document as plain text (format "txt"): what an applicant tracking system should see, for people who
paste their résumé or letter into a web form.

UTF-8, one line per paragraph (no hard wraps: a web form wraps lines itself, and a break inside a
sentence would stay in the pasted text), résumé headings underlined, a blank line between entries and
blocks. A link whose text is not its address is written "text (address)", so no address is lost.
"""

from __future__ import annotations

from docpipe import addresses
from docpipe.latex import display_url
from docpipe.outline import DOT, Entry, Outline, Section

BULLET = "• "
_INDENT = "  "


def _shows_address(text: str, target: str) -> bool:
    """Whether ``text`` already is the address ``target`` (as printed: without scheme or "www.")."""
    if display_url(text) == display_url(target):
        return True
    try:  # an international or percent-encoded address is printed unlike its ASCII target
        return display_url(addresses.link_target(text)) == display_url(target)
    except ValueError:
        return False


def _linked(text: str, target: str | None) -> str:
    return f"{text} ({target})" if target and not _shows_address(text, target) else text


def _with_link(line: str, text: str, target: str) -> str:
    """``line`` with the address written after the link ``text`` inside it."""
    at = line.find(text)
    if at < 0:
        return line
    end = at + len(text)
    return line[:at] + _linked(text, target) + line[end:]


def _entry_head(entry: Entry) -> str:
    title, subtitle = entry.title, entry.subtitle
    if subtitle:
        subtitle = _linked(subtitle, entry.link)
    elif title:
        title = _linked(title, entry.link)
    return " — ".join(part for part in (title, subtitle) if part)


def _entry_lines(entry: Entry) -> list[str]:
    meta = DOT.join(part for part in (entry.dates, entry.location) if part)
    lines = [line for line in (_entry_head(entry), meta) if line]
    lines += [*entry.paragraphs, *entry.details, *(BULLET + bullet for bullet in entry.bullets)]
    for child in entry.children:
        first, *rest = _entry_lines(child)
        lines += [BULLET + first, *(_INDENT + line for line in rest)]
    return lines


def _items(section: Section) -> list[str]:
    lines = list(section.items)
    for index, text, target in section.item_links:
        lines[index] = _with_link(lines[index], text, target)
    return [BULLET + line for line in lines] if section.bulleted else lines


def _blocks(section: Section) -> list[list[str]]:
    """The section's blocks of lines (blank lines go between them), its heading on the first."""
    blocks = [[paragraph] for paragraph in section.paragraphs]
    blocks += [_entry_lines(entry) for entry in section.entries]
    if section.items:
        blocks.append(_items(section))
    if section.heading and blocks:
        # Underlined, not upper-cased: the heading stays the text it is (an extra section's is the
        # user's own key, and "Straße".upper() is "STRASSE").
        blocks[0] = [section.heading, "-" * len(section.heading), *blocks[0]]
    return blocks


def render_text(outline: Outline) -> str:
    """The outline as plain text: name, headline, contact line, then each section in reading order."""
    contact = DOT.join(_linked(item.text, item.target) for item in outline.contact)
    head = [line for line in (outline.name, outline.headline, contact) if line]
    blocks = [head, *(block for section in outline.sections for block in _blocks(section))]
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"
