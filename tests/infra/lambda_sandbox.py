"""Run a command the way the render Lambda runs, without Docker: bubblewrap over the host's own root.

What the sandbox reproduces of Lambda and of the render image (layers/texlive/Dockerfile):

- the whole filesystem read-only (``--ro-bind / /``), only /tmp writable: a host directory bound
  there, so a test can look at what was written;
- new namespaces for everything but the network (``--unshare-all --share-net``), an unprivileged
  uid/gid (10001, the image's ``USER``), no controlling terminal, killed with the test
  (``--die-with-parent``), only the environment it is given (the image's ``ENV``: `image_environment`);
- the baked TeX formats read-only at the image's path, /opt/docpipe/formats;
- what the image changes after a registry round trip, through ``extra_ro_binds``:
  `base_format_after_registry` (TeX's base format with a whole-second mtime) and `bake_font_cache`
  (a fontconfig cache baked by the Dockerfile's own ``fc-cache`` line, font directories with
  whole-second mtimes).

Typical use (the render Lambda's handler runs the same way: bind ``functions/render`` at /var/task
with ``extra_ro_binds`` and pass ``chdir="/var/task"``)::

    binds = [base_format_after_registry(work), *bake_font_cache(work / "fonts")]
    command = lambda_sandbox_command(
        ["python", "-c", script], env=image_environment(), format_dir=formats_dir,
        tmp_dir=work / "tmp", extra_ro_binds=binds,
    )
    subprocess.run(command, check=True, timeout=120)

Needs ``bwrap`` (Debian ``bubblewrap``); as root it works as is, elsewhere it needs unprivileged user
namespaces. A repository or venv under /tmp (a fresh clone) is bound back read-only over the sandbox's /tmp.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from docpipe import contract

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "layers" / "texlive" / "Dockerfile"
IMAGE_FORMAT_DIR = Path(contract.IMAGE_FORMAT_DIR)
IMAGE_VENV_BIN = "/opt/venv/bin"
IMAGE_UID = 10001
FONTCONFIG_CACHE_DIR = Path("/var/cache/fontconfig")
# The part of the base image's (python:3.12-slim-bookworm) environment the Dockerfile builds on.
BASE_IMAGE_ENV = {"PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
VENV_BIN = Path(sys.executable).absolute().parent

Bind = tuple[str | Path, str | Path]
"""(host path, path inside the sandbox)."""


# --- the Dockerfile ---------------------------------------------------------------------------------


def dockerfile_instructions(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """The final stage's instructions as (KEYWORD, arguments): continuation lines joined, comments
    and blank lines dropped, as Docker reads them (default escape character only)."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comments may sit between continuation lines too
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from + 1 :]


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def dockerfile_env(
    dockerfile: Path = DOCKERFILE, base: Mapping[str, str] = BASE_IMAGE_ENV, *, until_run: str | None = None
) -> dict[str, str]:
    """The environment the image's final stage sets: ``base`` updated by every ``ENV`` instruction in
    order, ``$VAR``/``${VAR}`` expanded from what was set before that instruction (as Docker does).
    With ``until_run``, only the ``ENV`` before the ``RUN`` instruction containing that text."""
    env = dict(base)
    for keyword, arguments in dockerfile_instructions(dockerfile):
        if keyword == "RUN" and until_run is not None and until_run in arguments:
            break
        if keyword != "ENV":
            continue
        words = shlex.split(arguments)
        pairs = (
            [tuple(word.split("=", 1)) for word in words]
            if "=" in words[0]
            else [(words[0], " ".join(words[1:]))]  # the legacy `ENV KEY value` form
        )
        env |= {name: _expand(value, env) for name, value in pairs}  # expanded from env before the line
    return env


def _expand(value: str, env: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), ""), value)


def dockerfile_run(containing: str, dockerfile: Path = DOCKERFILE) -> str:
    """The shell command of the final stage's one ``RUN`` instruction that contains ``containing``."""
    runs = [
        args
        for keyword, args in dockerfile_instructions(dockerfile)
        if keyword == "RUN" and containing in args
    ]
    assert len(runs) == 1, (
        f"expected one RUN instruction with {containing!r} in {dockerfile}, found {len(runs)}"
    )
    return runs[0]


def image_environment(*, until_run: str | None = None, **extra: str) -> dict[str, str]:
    """The image's environment (`dockerfile_env`), with this test venv's bin directory standing in for
    the image's /opt/venv/bin on PATH, plus ``extra`` (what Lambda or the stack would add)."""
    env = dockerfile_env(until_run=until_run)
    path = env.get("PATH", "")
    venv = str(VENV_BIN)
    env["PATH"] = (
        path.replace(IMAGE_VENV_BIN, venv) if IMAGE_VENV_BIN in path.split(":") else f"{venv}:{path}"
    )
    env.update(extra)
    return env


# --- the sandbox ------------------------------------------------------------------------------------


def lambda_sandbox_command(
    argv: Sequence[str | Path],
    *,
    env: Mapping[str, str],
    format_dir: Path | None,
    tmp_dir: Path,
    extra_ro_binds: Iterable[Bind] = (),
    writable_binds: Iterable[Bind] = (),
    uid: int = IMAGE_UID,
    chdir: str | Path | None = None,
) -> list[str]:
    """The ``bwrap`` command line that runs ``argv`` as the render Lambda would run it.

    - ``argv``: the program and its arguments; found on ``env["PATH"]`` inside the sandbox.
    - ``env``: the whole environment (nothing is inherited); usually `image_environment`.
    - ``format_dir``: a host directory of baked formats (``docpipe build-formats --dir``), bound
      read-only at /opt/docpipe/formats; None binds nothing there.
    - ``tmp_dir``: a host directory bound at /tmp, the only writable place (created if missing).
    - ``extra_ro_binds``: more (host path, sandbox path) read-only binds, applied in order after the
      rest, so one may cover a file or directory of the host root (a base format, a font cache).
    - ``writable_binds``: (host path, sandbox path) writable binds, for image-build steps only.
    - ``uid``: the user (and group) inside; 10001 as in the image, 0 for an image-build step.
    - ``chdir``: the working directory inside (Lambda's is /var/task); None keeps the caller's.

    A sandbox path whose parent does not exist on the host (/opt/docpipe, /var/task) is made on a
    tmpfs laid over the nearest existing ancestor, with that ancestor's entries bound back read-only
    and the tmpfs itself made read-only once everything is mounted.
    """
    tmp_dir.mkdir(parents=True, exist_ok=True)
    binds: list[tuple[str, Path, Path]] = []
    if format_dir is not None:
        binds.append(("--ro-bind", format_dir, IMAGE_FORMAT_DIR))
    binds += [("--bind", Path(src), Path(dest)) for src, dest in writable_binds]
    binds += [("--ro-bind", Path(src), Path(dest)) for src, dest in extra_ro_binds]

    command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    command += ["--bind", str(tmp_dir), "/tmp"]
    for path in _hidden_by_tmp():
        command += ["--ro-bind", str(path), str(path)]
    shadowed: list[Path] = []
    for _, _, dest in binds:
        command += _make_room_for(dest, shadowed)
    for option, src, dest in binds:
        command += [option, str(src), str(dest)]
    for directory in shadowed:
        command += ["--remount-ro", str(directory)]
    command += ["--unshare-all", "--share-net", "--uid", str(uid), "--gid", str(uid)]
    command += ["--die-with-parent", "--new-session", "--clearenv"]
    if chdir is not None:
        command += ["--chdir", str(chdir)]
    for name, value in env.items():
        command += ["--setenv", name, value]
    return [*command, "--", *map(str, argv)]


def _hidden_by_tmp() -> list[Path]:
    """The repository and the interpreter's prefixes when they live under /tmp (a fresh clone in a
    temporary directory, as CI makes): the sandbox's own /tmp would hide them, so they are bound back
    read-only, as the image has its code and venv outside /tmp."""
    tmp = Path("/tmp").resolve()
    candidates = {Path(p).resolve() for p in (REPO, sys.prefix, sys.base_prefix)}
    under_tmp = sorted(p for p in candidates if p.is_relative_to(tmp) and p != tmp)
    return [p for p in under_tmp if not any(p != o and p.is_relative_to(o) for o in under_tmp)]


def _make_room_for(dest: Path, shadowed: list[Path]) -> list[str]:
    """bwrap creates a missing mount point, which needs a writable parent: lay a tmpfs over the
    nearest existing ancestor of ``dest`` (keeping that ancestor's entries) unless /tmp or an earlier
    tmpfs already holds it."""
    if os.path.lexists(dest):
        return []
    missing = next(p for p in [*reversed(dest.parents), dest] if not os.path.lexists(p))
    ancestor = missing.parent
    if any(ancestor.is_relative_to(writable) for writable in [Path("/tmp"), *shadowed]):
        return []
    assert ancestor != Path("/"), f"will not lay a tmpfs over / for {dest}"
    shadowed.append(ancestor)
    args = ["--tmpfs", str(ancestor)]
    for entry in sorted(ancestor.iterdir()):
        if entry.is_symlink():
            args += ["--symlink", os.readlink(entry), str(entry)]
        else:
            args += ["--ro-bind", str(entry), str(entry)]
    return args


# --- what the image build bakes, as a registry hands it back -----------------------------------------


def bake_formats(directory: Path) -> list[Path]:
    """``docpipe build-formats --dir`` outside the sandbox, as the image build runs it."""
    out = subprocess.run(
        [VENV_BIN / "docpipe", "build-formats", "--dir", directory],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return [Path(line) for line in out.split()]


def base_format_after_registry(work: Path, base: str = "pdflatex", engine: str = "pdftex") -> Bind:
    """A bind of TeX's base format (e.g. pdflatex.fmt) as an image layer brings it back from a registry:
    the same bytes with a whole-second mtime, always different from the host file's mtime (a
    host file that already has one is moved a second back)."""
    original = Path(
        subprocess.run(
            ["kpsewhich", f"-engine={engine}", f"{base}.fmt"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    copy = work / original.name
    shutil.copyfile(original, copy)
    mtime_ns = original.stat().st_mtime_ns
    truncated = mtime_ns - mtime_ns % 1_000_000_000
    if truncated == mtime_ns:
        truncated -= 1_000_000_000
    os.utime(copy, ns=(truncated, truncated))
    return copy, original


_FONTCONFIG_DIR = re.compile(r"<dir(?:\s[^>]*)?>\s*(/[^<\s]+)\s*</dir>")


def fontconfig_roots(config_dir: Path = Path("/etc/fonts")) -> list[Path]:
    """The absolute font directories the system fontconfig configuration scans (and that exist)."""
    roots: list[Path] = []
    for conf in [config_dir / "fonts.conf", *sorted((config_dir / "conf.d").glob("*.conf"))]:
        for match in _FONTCONFIG_DIR.finditer(conf.read_text(encoding="utf-8", errors="replace")):
            root = Path(match.group(1))
            if root.is_dir() and root not in roots:
                roots.append(root)
    return [r for r in roots if not any(r != o and r.is_relative_to(o) for o in roots)]


def bake_font_cache(work: Path, run: str | None = None) -> list[Bind]:
    """The font cache the image bakes, as Lambda gets it; returns the read-only binds that show it.

    Font directories cannot be given other mtimes on the host, so each fontconfig root is mirrored
    in ``work``: real directories (whose mtimes we own), the font files bound over empty placeholders,
    symlinks copied. The mirror starts with nanosecond mtimes, as a build machine's directories have.
    ``run`` (default: the Dockerfile's own ``RUN`` line with ``fc-cache``) then runs in an image-build
    sandbox (uid 0) that may write only the mirror and /var/cache/fontconfig (a directory in
    ``work``), and finally every mirrored directory's mtime loses its nanoseconds, as in a registry.
    """
    cache = work / "var-cache-fontconfig"
    cache.mkdir(parents=True)
    mirrors: list[Bind] = []
    files: list[Bind] = []
    for index, root in enumerate(fontconfig_roots()):
        mirror = work / f"root{index}"
        mirrors.append((mirror, root))
        for path in sorted([root, *root.rglob("*")]):
            target = mirror / path.relative_to(root)
            if path.is_symlink():
                target.symlink_to(os.readlink(path))
            elif path.is_dir():
                target.mkdir()
            else:
                target.touch()
                files.append((path, path))
    directories = [
        p
        for mirror, _ in mirrors
        for p in [Path(mirror), *Path(mirror).rglob("*")]
        if p.is_dir() and not p.is_symlink()
    ]
    for directory in directories:  # a build machine's mtimes: whole seconds plus nanoseconds
        seconds = directory.stat().st_mtime_ns // 1_000_000_000
        os.utime(directory, ns=(seconds * 1_000_000_000 + 123_456_789,) * 2)

    command = lambda_sandbox_command(
        ["bash", "-o", "pipefail", "-c", run if run is not None else dockerfile_run("fc-cache")],
        env=image_environment(until_run="fc-cache", HOME="/root"),  # docker build's HOME for root
        format_dir=None,
        tmp_dir=work / "build-tmp",
        writable_binds=[*mirrors, (cache, FONTCONFIG_CACHE_DIR)],
        extra_ro_binds=files,
        uid=0,
    )
    built = subprocess.run(command, timeout=300, capture_output=True, text=True, check=False)
    assert built.returncode == 0, f"the image build step failed:\n{built.stderr[-2000:]}"

    for directory in directories:  # through a registry: whole seconds only
        mtime = directory.stat().st_mtime_ns
        os.utime(directory, ns=(mtime - mtime % 1_000_000_000,) * 2)
    return [*mirrors, *files, (cache, FONTCONFIG_CACHE_DIR)]
