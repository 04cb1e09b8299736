"""TeX started ahead of time (standby.py): the same document as a usual start, one process per
document, the sandbox unchanged, and never a wrong or stale process."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docpipe import formats
from docpipe.errors import RenderFailed, RenderTimeout
from docpipe.renderer import Renderer
from docpipe.standby import DOCUMENT, Waiting
from docpipe.templates import render_source
from docpipe.validation import validate_request

SAMPLES = Path(__file__).parents[2] / "src/docpipe/samples"


def sample(name: str, **changes: Any) -> Any:
    envelope = json.loads((SAMPLES / f"{name}.json").read_text())
    return validate_request(envelope | changes)


@pytest.fixture(scope="module")
def plain() -> Renderer:
    return Renderer(format_dir=formats.default_directory())


@pytest.fixture
def warm() -> Iterator[Renderer]:
    renderer = Renderer(format_dir=formats.default_directory(), standby=True)
    yield renderer
    renderer.close()


def waiting_for(renderer: Renderer) -> Waiting:
    """The process the renderer has waiting (ready once TeX has opened its pipe)."""
    assert renderer.standby is not None
    (waiting,) = renderer.standby.waiting()
    deadline = time.monotonic() + 60
    while not _reading(waiting) and time.monotonic() < deadline:
        time.sleep(0.02)
    return waiting


def _reading(waiting: Waiting) -> bool:
    """Whether TeX is blocked opening its pipe: format loaded, waiting for a writer."""
    return any(_wchan(pid) == "wait_for_partner" for pid in _group(waiting.process.pid))


def _wchan(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return ""


def _group(pgid: int) -> list[int]:
    """The live processes of one process group (a killed TeX whose parent died with it may linger as
    a zombie until init reaps it: it runs nothing)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.mark.parametrize("name", ["resume", "resume_unicode", "cover_letter"])
def test_a_standby_process_makes_the_same_pdf(plain: Renderer, warm: Renderer, name: str) -> None:
    request = sample(name)
    expected = plain.render(request)
    first = warm.render(request)
    assert not first.used_standby  # nothing was waiting yet
    warm.prepare_next()
    waiting_for(warm)
    again = warm.render(request)
    assert again.used_standby
    assert again.pdf == expected.pdf  # the same bytes: the same document, typeset the same way
    assert again.engine == expected.engine


def test_one_process_per_document_and_a_fresh_directory_each(warm: Renderer) -> None:
    request = sample("resume")
    warm.render(request)
    warm.prepare_next()
    first = waiting_for(warm)
    assert sorted(p.name for p in first.root.iterdir()) == [DOCUMENT]  # nothing but the empty pipe
    assert warm.render(request).used_standby
    assert not first.root.exists()  # its directory went with its document
    assert first.process.poll() is not None  # and so did it: never reused
    assert warm.standby is not None
    assert warm.standby.waiting() == []  # the next starts only when asked (after the answer)
    warm.prepare_next()
    second = waiting_for(warm)
    assert second.root != first.root
    assert second.process.pid != first.process.pid


def test_a_process_that_died_is_replaced_by_a_usual_start(plain: Renderer, warm: Renderer) -> None:
    request = sample("resume")
    warm.render(request)
    warm.prepare_next()
    waiting = waiting_for(warm)
    os.killpg(waiting.process.pid, 9)
    waiting.process.wait()
    result = warm.render(request)
    assert not result.used_standby
    assert result.pdf == plain.render(request).pdf


def test_a_process_for_other_inputs_is_never_used(warm: Renderer) -> None:
    warm.render(sample("resume"))
    warm.prepare_next()
    waiting = waiting_for(warm)
    other = warm.render(sample("resume", template="two_column"))  # another format: another plan
    assert not other.used_standby
    assert warm.standby is not None
    assert waiting in warm.standby.waiting()  # still there, for a document of its own kind


def test_a_process_that_waited_too_long_is_not_used(warm: Renderer) -> None:
    assert warm.standby is not None
    warm.standby.idle_seconds = 0.2
    warm.render(sample("resume"))
    warm.prepare_next()
    waiting = waiting_for(warm)
    time.sleep(0.5)
    assert not warm.render(sample("resume")).used_standby
    assert waiting.process.poll() is not None


def test_limits_are_in_place_while_it_waits(warm: Renderer) -> None:
    warm.render(sample("resume"))
    warm.prepare_next()
    waiting = waiting_for(warm)
    tex = [pid for pid in _group(waiting.process.pid) if Path(f"/proc/{pid}/exe").resolve().name == "pdftex"]
    assert tex, "no TeX in the waiting group"
    limits = Path(f"/proc/{tex[0]}/limits").read_text()
    assert f"{int(warm.timeout) + 2}" in next(line for line in limits.splitlines() if "cpu time" in line)
    assert "67108864" in next(line for line in limits.splitlines() if "file size" in line)
    environ = Path(f"/proc/{tex[0]}/environ").read_bytes().split(b"\0")
    names = {item.split(b"=", 1)[0].decode() for item in environ if item}
    assert not {n for n in names if n.startswith(("DOCPIPE_", "AWS_"))}  # the minimal environment
    assert {"openin_any", "openout_any", "shell_escape"} <= names


def test_the_deadline_covers_a_standby_render_and_kills_its_group(warm: Renderer) -> None:
    request = sample("resume")
    warm.render(request)
    warm.prepare_next()
    waiting = waiting_for(warm)
    source = render_source(request)
    hang = "\\begin{document}\\loop\\iftrue\\repeat"
    source = dataclasses.replace(source, document=source.document.replace("\\begin{document}", hang, 1))
    with pytest.raises(RenderTimeout):
        warm.compile(source, deadline=time.monotonic() + 2)
    # SIGKILL was sent to the whole group; dying takes the kernel a moment on a busy machine.
    gone_by = time.monotonic() + 30
    while _group(waiting.process.pid) and time.monotonic() < gone_by:
        time.sleep(0.05)
    assert _group(waiting.process.pid) == []


def test_a_tex_error_names_the_documents_own_line(warm: Renderer) -> None:
    request = sample("resume_unicode")
    warm.render(request)
    warm.prepare_next()
    waiting_for(warm)
    source = render_source(request)
    broken = source.document.replace("\\begin{document}", "\\begin{document}\\undefinedcommandhere", 1)
    source = dataclasses.replace(source, document=broken)
    with pytest.raises(RenderFailed, match=r"undefinedcommandhere"):
        warm.compile(source)


def test_workers_sharing_a_pool_start_one_process_per_plan(tmp_path: Path) -> None:
    # The local stack's render workers are threads sharing one renderer, so one Standby.
    import threading

    from docpipe.standby import Plan, Standby

    plan = Plan("pdftex", None, None)
    for _ in range(10):
        pool = Standby(timeout=20, idle_seconds=60, work_root=tmp_path)
        ready = threading.Barrier(4)

        def prepare(pool: Standby = pool, ready: threading.Barrier = ready) -> None:
            ready.wait()
            pool.prepare(plan)

        threads = [threading.Thread(target=prepare) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        started = sorted(p.name for p in tmp_path.iterdir())
        assert len(pool.waiting()) == 1
        assert len(started) == 1, f"{len(started)} processes started for one plan: {started}"
        pool.close()
        assert list(tmp_path.iterdir()) == []
