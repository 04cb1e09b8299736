"""``docpipe analyze`` and ``docpipe render --max-pages N --fit shrink`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from loadtest.bench_fit import longer_resume

SAMPLE = Path(__file__).parents[2] / "src" / "docpipe" / "samples" / "resume.json"


def write(folder: Path, bullets: int) -> Path:
    path = folder / f"resume-{bullets}.json"
    path.write_text(json.dumps(longer_resume(bullets)))
    return path


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_analyze_says_whether_it_fits_and_what_shrink_would_do(run: Any, tmp_path: Path) -> None:
    fits = run("analyze", str(SAMPLE), cwd=tmp_path)
    assert fits.returncode == 0, fits.stderr
    assert b"fits in 1 page as it is" in fits.stdout
    longer = run("analyze", str(write(tmp_path, 4)), "--json", cwd=tmp_path)
    assert longer.returncode == 1, longer.stderr
    report = json.loads(longer.stdout)
    assert report["pages"] == 2
    assert report["shrink"]["fits"] is True
    too_long = run("analyze", str(write(tmp_path, 60)), cwd=tmp_path)
    assert too_long.returncode == 1
    assert b"even at the tightest layout allowed" in too_long.stdout
    assert not list(tmp_path.glob("*.pdf"))  # an analysis makes no PDF


def test_render_fits_to_the_pages_asked_for_or_exits_2(run: Any, tmp_path: Path) -> None:
    source = write(tmp_path, 4)
    plain = run("render", str(source), "-o", "plain.pdf", cwd=tmp_path)
    fitted = run("render", str(source), "--max-pages", "1", "--fit", "shrink", "-o", "fit.pdf", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert fitted.returncode == 0, fitted.stderr
    assert pages(tmp_path / "plain.pdf") == 2
    assert pages(tmp_path / "fit.pdf") == 1
    refused = run("render", str(write(tmp_path, 60)), "--max-pages", "1", "--fit", "shrink", cwd=tmp_path)
    assert refused.returncode == 2
    assert b"options.layout.maxPages: the document does not fit in 1 page" in refused.stderr
    assert not (tmp_path / "resume-60.pdf").exists()
    no_pages = run("render", str(source), "--fit", "shrink", cwd=tmp_path)
    assert no_pages.returncode == 2
    assert b"needs maxPages" in no_pages.stderr


def test_render_takes_the_previews_width_and_pages_as_flags(run: Any, tmp_path: Path) -> None:
    source = write(tmp_path, 4)  # two pages
    first = run("render", str(source), "--format", "png", "--width", "120", "-o", "first.png", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    png = (tmp_path / "first.png").read_bytes()
    assert int.from_bytes(png[16:20], "big") == 120
    every = run("render", str(source), "--format", "png", "--width", "90", "--pages", "all", cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    with zipfile.ZipFile(tmp_path / "resume-4.zip") as archive:
        assert archive.namelist() == ["page-1.png", "page-2.png"]
        assert int.from_bytes(archive.read("page-2.png")[16:20], "big") == 90
    too_narrow = run("render", str(source), "--format", "png", "--width", "10", cwd=tmp_path)
    assert too_narrow.returncode == 2
    assert b"options.preview.width" in too_narrow.stderr
