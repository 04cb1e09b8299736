"""fontconfig's font cache for XeTeX: where it may be written, and made valid once per process."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import tempfile
from functools import cache
from pathlib import Path


def fontconfig_environment() -> dict[str, str]:
    """The fontconfig variables of this process that TeX's environment keeps."""
    return {name: os.environ[name] for name in ("FONTCONFIG_PATH", "FONTCONFIG_FILE") if name in os.environ}


@cache
def fontconfig_cache_home() -> Path:
    """Where fontconfig may write font caches for XeTeX: one directory per user under the temp dir
    (Lambda: /tmp), shared by every render, never the render's own temporary directory.

    fontconfig trusts a cache only while the font directory's mtime (seconds *and* nanoseconds) is
    the one it recorded. The render image bakes its cache with whole-second mtimes so that it stays
    valid (layers/texlive/Dockerfile); if it is stale anyway, fontconfig rescans every font directory
    (0.2 to 1 s here, more on a cold disk) and writes new caches to the first writable cache dir.
    With HOME pointing into the render's temporary directory that was a rescan on *every* XeTeX
    render; here it is at most one per process (see prepare_fontconfig). TeX cannot write here itself
    (``openout_any=p``), and a cache is validated against the font directories whenever it is read.
    """
    base = Path(tempfile.gettempdir())
    home = base / f"docpipe-fontconfig-{os.getuid()}"
    with contextlib.suppress(OSError):
        with contextlib.suppress(FileExistsError):
            home.mkdir(mode=0o700)
        # In a shared /tmp, use it only if it is ours and no one else can write to it.
        info = home.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022:
            return home
    return Path(tempfile.mkdtemp(prefix="docpipe-fontconfig-", dir=base))


@cache
def prepare_fontconfig() -> None:
    """Once per process, before the first XeTeX run: make sure a valid font cache exists.

    TeX runs with ``SOURCE_DATE_EPOCH=0`` (reproducible PDFs), and fontconfig stamps the caches it
    writes under that variable with mtime 0, which it then never accepts again: a stale cache
    rebuilt by XeTeX itself would be rebuilt by every XeTeX run. ``fc-list`` without it loads every
    cache and rewrites the stale ones, correctly stamped, into ``fontconfig_cache_home``; with a
    valid baked cache it only reads (~10 ms). Best effort: if it fails, XeTeX rescans as before.
    """
    home = fontconfig_cache_home()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_CACHE_HOME": str(home)}
    env.update(fontconfig_environment())
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            ["fc-list", "-q"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
