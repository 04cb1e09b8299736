"""Precompiled formats: replaced, not accumulated, when a preamble changes; named by content, not mtimes."""

from __future__ import annotations

import os
import shutil
import subprocess
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


def test_a_format_is_keyed_by_the_base_formats_bytes_not_its_mtime(tmp_path: Path) -> None:
    """An image layer brought back from a registry keeps whole-second mtimes only: a key that held the
    base format's mtime named other files in Lambda than at image build (tests/sandbox runs that)."""
    base = subprocess.run(
        ["kpsewhich", "-engine=pdftex", "pdflatex.fmt"], capture_output=True, text=True, check=True
    ).stdout.strip()
    copy = tmp_path / "pdflatex.fmt"
    shutil.copyfile(base, copy)
    version = "pdfTeX 3.141592653-2.6-1.40.24 (TeX Live 2022/Debian)"
    key = formats.installation_key(version, copy)
    assert formats.installation_key(version, Path(base)) == key  # same bytes, another path and mtime

    os.utime(copy, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert formats.installation_key(version, copy) == key

    with open(copy, "r+b") as handle:  # one bit of the base format changes: a new TeX installation
        handle.seek(-1, os.SEEK_END)
        last = handle.read(1)[0]
        handle.seek(-1, os.SEEK_END)
        handle.write(bytes([last ^ 1]))
    assert formats.installation_key(version, copy) != key
    assert formats.installation_key(version.replace("1.40.24", "1.40.25"), Path(base)) != key
