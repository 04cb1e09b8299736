"""Estimate the render image's size from Debian's package metadata, without Docker.

    .venv/bin/python infra/scripts/estimate_image_size.py [layers/texlive/packages.txt]

Asks apt to simulate (`apt-get install -s --no-install-recommends`, as the Dockerfile installs)
the packages of packages.txt on an empty system, so the answer does not depend on what this machine
already has, then sums their Installed-Size. Packages of priority "required" are left out: the
python:3.12-slim-bookworm base already has them. Needs Debian 12 (bookworm) apt lists
(`apt-get update`); run on another release it estimates that release's packages.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

# Uncompressed size of python:3.12-slim-bookworm as its registry page reports it (about 125 MB), the
# virtualenv (the locked runtime wheels as bundled for the ZIP functions, about 57 MB, plus
# awslambdaric) and the precompiled formats (about 10 MB each for pdfLaTeX and XeLaTeX).
_BASE_MB = 125
_VENV_MB = 60
_FORMATS_MB = 75  # four precompiled formats, ~18.5 MB each, stored uncompressed


def requested(packages_txt: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in packages_txt.read_text().splitlines())
    return [line for line in lines if line]


def simulate_install(packages: list[str]) -> list[str]:
    """Every package apt would install on an empty system (one choice per `a | b` alternative)."""
    with tempfile.NamedTemporaryFile() as empty_status:
        command = [
            "apt-get",
            "install",
            "-s",
            "--no-install-recommends",
            "-o",
            f"Dir::State::status={empty_status.name}",
            *packages,
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return [line.split()[1] for line in out.splitlines() if line.startswith("Inst ")]


def sizes(packages: list[str]) -> dict[str, tuple[int, str]]:
    """Installed-Size (KiB) and Priority of each package, from one `apt-cache show`."""
    show = ["apt-cache", "show", "--no-all-versions", *packages]
    out = subprocess.run(show, capture_output=True, text=True, check=True).stdout
    result: dict[str, tuple[int, str]] = {}
    for paragraph in out.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in paragraph.splitlines() if ": " in line and line[0] != " "
        )
        if "Package" in fields:
            result[fields["Package"]] = (
                int(fields.get("Installed-Size", "0")),
                fields.get("Priority", "optional"),
            )
    return result


def main() -> None:
    packages_txt = Path(sys.argv[1] if len(sys.argv) > 1 else "layers/texlive/packages.txt")
    info = sizes(simulate_install(requested(packages_txt)))
    added = {name: kib for name, (kib, priority) in info.items() if priority != "required"}
    apt_mb = sum(added.values()) / 1024
    for name, kib in sorted(added.items(), key=lambda item: -item[1])[:12]:
        print(f"{kib / 1024:8.1f} MB  {name}")
    print(f"{len(added)} packages from apt: {apt_mb:.0f} MB installed")
    total = _BASE_MB + apt_mb + _VENV_MB + _FORMATS_MB
    print(
        f"estimate: base {_BASE_MB} + apt {apt_mb:.0f} + venv {_VENV_MB} + formats {_FORMATS_MB} = {total:.0f} MB"
    )


if __name__ == "__main__":
    main()
