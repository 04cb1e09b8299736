"""PNG previews of a PDF (``format: "png"``), for thumbnails in a UI: the first page, or every page in a
zip, ``width`` pixels wide and as tall as the page's aspect ratio makes it (rounded up, as poppler does).

Drawn by poppler's ``pdftoppm`` (Debian package poppler-utils, in layers/texlive/packages.txt) from the
PDF the renderer made, in a fresh temporary directory. The same PDF and options give the same bytes:
pdftoppm writes no timestamp into a PNG, and the zip's entries are in page order with a fixed date.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path

from docpipe import contract
from docpipe.envelope import PreviewOptions
from docpipe.errors import RenderCrashed, RenderFailed, RenderTimeout

PDFTOPPM = "pdftoppm"
MAX_PAGES = 20
"""Pages ``pages: "all"`` draws at most: a preview is for thumbnails, and a 256 KiB request can make a
PDF of a hundred pages, at up to 3000 px wide each (memory and time in the render function)."""
MIN_SECONDS = 5.0
"""The least time pdftoppm is given, whatever TeX left of the render time: a page takes well under 1 s."""
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Every zip entry's date: the earliest a zip can hold, so a zip says nothing about when it was made."""
_PAGE_FILE = re.compile(r"^page-(\d+)\.png$")  # pdftoppm pads the number: page-01.png of 10 or more


def preview(
    pdf: bytes, options: PreviewOptions, *, timeout: float = contract.RENDER_TIMEOUT_SECONDS
) -> bytes:
    """The first page as a PNG, or (``pages: "all"``) a zip of ``page-1.png``, ``page-2.png``, ... —
    drawn within ``timeout`` seconds, or :class:`~docpipe.errors.RenderTimeout`."""
    with tempfile.TemporaryDirectory(prefix="docpipe-preview-") as work:
        pages = draw(Path(work), pdf, options, timeout)
    return pages[0] if options.pages == "first" else pack(pages)


def draw(work: Path, pdf: bytes, options: PreviewOptions, timeout: float) -> list[bytes]:
    """Each page's PNG (only the first for ``pages: "first"``), in page order, drawn in ``work``."""
    source = work / "document.pdf"
    source.write_bytes(pdf)
    argv = [PDFTOPPM, "-png", "-scale-to-x", str(options.width), "-scale-to-y", "-1"]
    argv += ["-f", "1", "-l", "1" if options.pages == "first" else str(MAX_PAGES)]
    _run([*argv, str(source), str(work / "page")], timeout)
    numbered = sorted(
        (int(match.group(1)), path)
        for path in work.iterdir()
        if (match := _PAGE_FILE.match(path.name)) is not None
    )
    if not numbered:
        raise RenderFailed("the preview could not be drawn: pdftoppm wrote no page")
    return [path.read_bytes() for _, path in numbered]


def _run(argv: list[str], timeout: float) -> None:
    """Run pdftoppm (no shell); its failures as the render errors the pipeline knows."""
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise RenderFailed(
            f"the preview could not be drawn: {PDFTOPPM} is not installed (Debian package poppler-utils)"
        ) from None
    except subprocess.TimeoutExpired:
        raise RenderTimeout(f"the preview was not drawn within {timeout:.3g} s") from None
    if done.returncode < 0:  # killed from outside (the OOM killer, say): worth retrying
        raise RenderCrashed(f"{PDFTOPPM} was killed by signal {-done.returncode}")
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no reason given"]
        raise RenderFailed(f"the preview could not be drawn: {PDFTOPPM}: {reason[0]}")


def pack(pages: list[bytes]) -> bytes:
    """A zip of ``page-1.png``, ``page-2.png``, ...: stored (PNG is compressed already), in page order,
    with fixed dates and permissions, so the same pages always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, png in enumerate(pages, start=1):
            entry = zipfile.ZipInfo(f"page-{number}.png", date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_STORED
            entry.create_system = 3  # Unix, wherever the zip is made
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, png)
    return buffer.getvalue()
