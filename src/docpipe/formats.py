"""Precompiled TeX formats: each template's static preamble dumped once, loaded in milliseconds.

A format is named by the hash of its preamble *and* of the TeX installation (engine version and
the bytes of the base format it was dumped from, never their timestamps), so editing a template or
upgrading TeX selects a new format and the stale one is simply never loaded again, while a format
baked into an image keeps its name wherever the image is unpacked. XeTeX cannot dump a format with OpenType fonts
loaded, so only pdfTeX documents use one; a missing or unbuildable format falls back to compiling
the whole preamble, which gives the same PDF, slower.

Formats are stored *uncompressed*. TeX dumps them gzip-compressed, and inflating ~18 MB took about
45% of a warm pdfTeX run (50 of 110 ms); web2c reads formats through zlib's ``gzread``, which reads a
file without a gzip header as is, so the unpacked file loads with no other change (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from docpipe import catalog, contract
from docpipe.errors import RenderFailed
from docpipe.texprocess import run_tex, tex_environment

if TYPE_CHECKING:  # the templates (Jinja2, the models) load only to build a format, not to find one
    from docpipe import templates

FORMAT_ENGINES = {"pdftex": ("pdftex", "pdflatex")}


def default_directory() -> Path:
    """Where formats live: the ``format_dir`` setting (the render image bakes them into a read-only
    /opt/docpipe/formats and sets ``DOCPIPE_FORMAT_DIR``), else the user's cache, where `make setup`
    builds them, so the CLI, the local stack and the tests all find the same ones.

    Read now, not cached: it follows the environment. Read as settings.py reads every variable (in
    any case), but without it: the CLI looks here before it has imported pydantic."""
    configured = next(
        (value for name, value in os.environ.items() if name.upper() == contract.ENV_FORMAT_DIR and value), ""
    )
    if configured:
        return Path(configured)
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "docpipe" / "formats"


_LAYOUT = "uncompressed-1"
"""Part of every format's name: a format dir written by an older docpipe is not mistaken for this one."""
_GZIP_MAGIC = b"\x1f\x8b"


@cache
def installation_id(engine: str) -> str:
    """Changes whenever the TeX engine or its base format changes; computed once per process, with no
    subprocess once the base format has been located (a CLI run pays a few milliseconds of hashing).

    Keyed by content, never by timestamps: the render image bakes its formats at build time and looks
    them up in Lambda, and an image layer that went through a registry keeps whole-second mtimes only,
    so a key holding the base format's ``st_mtime_ns`` named a different file at build time than at
    run time, and every render compiled the whole preamble (~0.5 s instead of ~0.08 s).
    """
    binary, base = FORMAT_ENGINES[engine]
    program = shutil.which(binary)
    if program is None:
        return installation_key("no engine", None)
    with open(Path(program).resolve(), "rb") as handle:
        engine_digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return installation_key(engine_digest, _base_format(binary, base, engine_digest))


def _base_format(binary: str, base: str, engine_digest: str) -> Path | None:
    """Where the engine's base format is: asked of kpsewhich once per engine build, then remembered
    beside the formats (the render image writes this record when it bakes them)."""
    record = default_directory() / f".base-{binary}-{engine_digest[:16]}"
    with contextlib.suppress(OSError):
        remembered = Path(record.read_text().strip())
        if remembered.is_file():
            return remembered
    found = subprocess.run(
        ["kpsewhich", f"-engine={binary}", f"{base}.fmt"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not found:
        return None
    with contextlib.suppress(OSError):  # a read-only directory: ask again next time
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(found)
    return Path(found)


def installation_key(engine_id: str, base_format: Path | None) -> str:
    """The engine's identity (a digest of its binary) and a digest of the base format's bytes."""
    if base_format is None:
        content = "none"
    else:
        with open(base_format, "rb") as handle:
            content = hashlib.file_digest(handle, "sha256").hexdigest()
    return hashlib.sha256(f"{engine_id}|{content}|{_LAYOUT}".encode()).hexdigest()[:12]


def format_file(source: templates.Source) -> str:
    return f"{source.format_name}-{installation_id(source.engine)}.fmt"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time per format, across processes (the local stack runs several)."""
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class FormatStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._failed: set[str] = set()

    def find_or_build(self, source: templates.Source) -> Path | None:
        if source.engine not in FORMAT_ENGINES:
            return None
        path = self.directory / format_file(source)
        if path.exists() or path.name in self._failed:
            return path if path.exists() else None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with _locked(self.directory / f".{path.name}.lock"):
                if not path.exists():
                    build(source, path)
        except (OSError, RenderFailed, subprocess.SubprocessError):
            self._failed.add(path.name)  # read-only or broken: compile without a format from now on
            return None
        return path


def build(source: templates.Source, target: Path) -> None:
    """Dump ``source.preamble`` into ``target`` with mylatexformat."""
    from docpipe import templates

    binary, base = FORMAT_ENGINES[source.engine]
    root = Path(tempfile.mkdtemp(prefix="docpipe-fmt-"))
    try:
        (root / "preamble.tex").write_text(
            source.preamble + templates.END_OF_DUMP + "\\begin{document}\\end{document}\n", encoding="utf-8"
        )
        command = [binary, "-ini", "-interaction=nonstopmode", "-halt-on-error", f"-jobname={target.stem}"]
        command += [f"&{base}", "mylatexformat.ltx", "preamble.tex"]
        code = run_tex(command, root, tex_environment(root, None), timeout=120)
        built = root / target.name
        if code != 0 or not built.exists():
            raise RenderFailed(f"could not build the format {target.name}")
        tmp = target.with_suffix(".tmp")
        _unpack(built, tmp)
        tmp.replace(target)  # atomic: a reader never sees half a format
        _remove_superseded(source, target)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _remove_superseded(source: templates.Source, current: Path) -> None:
    """Formats of the same template and engine built from an older preamble or TeX are never loaded
    again (their names no longer match): delete them, so a cache directory does not grow forever."""
    family = source.format_name.rsplit("-", 1)[0]  # docpipe-<type>-<template>-<engine>
    for stale in current.parent.glob(f"{family}-*.fmt"):
        if stale != current:
            with contextlib.suppress(OSError):
                stale.unlink()
                (stale.parent / f".{stale.name}.lock").unlink(missing_ok=True)


def _unpack(source: Path, target: Path) -> None:
    """Copy a dumped format, inflating it if TeX wrote it gzip-compressed (it always does)."""
    with open(source, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    opener = gzip.open if compressed else open
    with opener(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def build_all(directory: Path) -> list[Path]:
    """Every template's format (for the render image and `make setup`)."""
    from docpipe import templates

    store = FormatStore(directory)
    built = []
    for document_type in ("resume", "cover_letter"):
        for name in catalog.template_names(document_type):
            source = templates.Source(
                templates.preamble(document_type, name, "pdftex"),
                "",
                "pdftex",
                templates.format_name(document_type, name, "pdftex"),
            )
            path = store.find_or_build(source)
            if path is None:
                raise RenderFailed(f"could not build the format for {document_type}/{name}")
            _remove_superseded(source, path)
            built.append(path)
    templates.compile_all()  # beside the formats, where the renderer looks for them
    return built
