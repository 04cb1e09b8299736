"""The render image has the programs the render path runs besides TeX's own: each comes from a Debian
package that layers/texlive/packages.txt names, the one list the image's Dockerfile and `make setup`
both install (texlive-* packages bring TeX's programs)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from lambda_sandbox import REPO

from docpipe import previews

PACKAGES_TXT = REPO / "layers" / "texlive" / "packages.txt"
PROGRAMS = [previews.PDFTOPPM]  # PNG previews (format "png")


def listed_packages() -> set[str]:
    """The package names, as the Dockerfile reads them: comments and blank lines dropped."""
    lines = (line.split("#", 1)[0].strip() for line in PACKAGES_TXT.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line}


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_package_of_each_program_the_render_path_runs_is_in_the_image_list(program: str) -> None:
    path = shutil.which(program)
    assert path is not None, f"{program} is missing: `make setup` installs layers/texlive/packages.txt"
    owner = subprocess.run(["dpkg-query", "-S", path], capture_output=True, text=True, check=True)
    packages = {name.split(":")[0].strip() for name in owner.stdout.split(": ", 1)[0].split(",")}
    assert packages & listed_packages(), f"{program} comes from {packages}, which packages.txt lacks"
