"""Precompiled formats are replaced, not accumulated, when a template's preamble changes."""

from __future__ import annotations

from pathlib import Path

from docpipe import formats, templates


def test_build_all_removes_formats_of_older_preambles(tmp_path: Path) -> None:
    current = formats.build_all(tmp_path)
    assert len(current) == 4
    # A format of the same template and engine, built from an older preamble, lies beside them.
    stale = current[0].with_name(current[0].name.replace(current[0].name.split("-")[-2], "0ld0ld0ld0ld"))
    stale.write_bytes(b"old format")
    unrelated = tmp_path / "someone-else.fmt"
    unrelated.write_bytes(b"not ours")

    again = formats.build_all(tmp_path)

    assert again == current
    assert not stale.exists()
    assert unrelated.exists()
    assert sorted(p.name for p in tmp_path.glob("docpipe-*.fmt")) == sorted(p.name for p in current)


def test_a_format_is_named_by_its_preamble() -> None:
    a = templates.format_name("resume", "classic", "pdftex")
    b = templates.format_name("resume", "two_column", "pdftex")
    assert a.startswith("docpipe-resume-classic-pdftex-")
    assert a != b
