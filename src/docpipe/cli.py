"""The ``docpipe`` command line.

Exit codes: 0 done (each warning on stderr as ``warning: path: message``); 2 invalid input (every
problem on stderr as ``path: message``, no output file written; with ``--strict``, warnings count as
problems); 3 the document could not be typeset (a clear reason on stderr); 4 ``dev`` or ``demo``
without the local stack (``docpipe_local`` and the ``local`` extra) installed. ``check``: 0 clean, 1
problems found (listed on stdout), 2 invalid input (the PDF or the request). ``analyze``: 0 the
document fits in ``--max-pages`` (default 1) as it is, 1 it does not (the report says what ``--fit
shrink`` would change, or by how much it overflows even then), 2 invalid input. 141: whatever read
the standard output stopped reading (``| head``), as for a program that SIGPIPE ends.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, get_args

from docpipe import contract

# Before the first model is built: docpipe uses no pydantic plugins (see contract.RUNTIME_ENV).
os.environ.update({name: os.environ.get(name, value) for name, value in contract.RUNTIME_ENV.items()})

# Nothing here loads pydantic, Jinja2 or the models (~0.3 s): a render starts TeX first (_typesetting).
from docpipe import catalog, cli_local, formats, option_flags
from docpipe.catalog import DOCUMENT_TYPES, OutputFormat
from docpipe.errors import DocpipeError, InvalidDocument

if TYPE_CHECKING:
    from docpipe import validation
    from docpipe.renderer import Renderer

EXIT_INVALID = 2
EXIT_RENDER = 3
EXIT_UNAVAILABLE = cli_local.EXIT_UNAVAILABLE


def _read_input(name: str) -> tuple[bytes, bool]:
    if name == "-":
        return sys.stdin.buffer.read(), True
    path = Path(name)
    return path.read_bytes(), path.suffix.lower() in {".yaml", ".yml"}


def _load(args: argparse.Namespace) -> validation.DocumentRequestT:
    """The validated request; its warnings (fields left out, extra sections) go to stderr first."""
    from docpipe import validation

    raw, yaml_ok = _read_input(args.input)
    # YAML is a superset of JSON, so stdin may be either.
    value = validation.parse_bytes(raw, yaml_ok=yaml_ok)
    envelope = validation.envelope_from(
        value,
        document_type=getattr(args, "type", None),
        template=getattr(args, "template", None),
        output_format=getattr(args, "format", None),
    )
    checked = validation.check_request(option_flags.apply(envelope, args), strict=args.strict)
    for warning in checked.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return checked.request


def _output_path(args: argparse.Namespace, suffix: str) -> Path | None:
    if args.output:
        return None if args.output == "-" else Path(args.output)
    if args.input == "-":
        return None
    return Path(Path(args.input).with_suffix(suffix).name)


def _write(path: Path | None, data: bytes) -> None:
    if path is None:
        sys.stdout.flush()
        # Not sys.stdout.buffer.write: on a pipe whose reader leaves it can return a short count and
        # drop the rest without an error. All of it is written, or BrokenPipeError says why not.
        view = memoryview(data)
        while view:
            view = view[os.write(sys.stdout.fileno(), view) :]
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    tmp.replace(path)  # a failed run never leaves a half-written file behind


@contextlib.contextmanager
def _typesetting(args: argparse.Namespace) -> Iterator[tuple[validation.DocumentRequestT, Renderer]]:
    """The validated request and a renderer whose TeX was started before either was made: for the
    kind of document rendered last on this machine, as soon as the arguments are parsed, so it loads
    its format while Python imports and validates, and then only typesets (standby.py). A document
    of another kind is typeset by a usual start; the TeX still waiting is killed on the way out."""
    from docpipe.standby import Standby

    directory = formats.default_directory()
    ahead = Standby(timeout=args.timeout, idle_seconds=args.timeout, record=directory / _LAST_PLAN)
    try:
        if args.format in (None, "pdf", "png", "analysis"):  # the others are written without TeX
            ahead.prepare_recorded()
        request = _load(args)
        from docpipe.renderer import Renderer

        yield request, Renderer(timeout=args.timeout, format_dir=directory, standby=ahead)
    finally:
        ahead.close()


_LAST_PLAN = "last-plan.json"
"""Beside the formats: the kind of document (engine, format) the CLI typeset last."""


def cmd_render(args: argparse.Namespace) -> int:
    with _typesetting(args) as (request, renderer):
        from docpipe.outputs import extension, produce  # after TeX has started

        output = produce(request, renderer)
    target = _output_path(args, f".{extension(request)}")
    _write(target, output.data)
    if target is not None:
        pages = f"{output.pages} page(s), " if output.pages is not None else ""
        print(f"{target}: {pages}{len(output.data):,} bytes, {output.elapsed_ms:.0f} ms", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    request = _load(args)
    print(f"ok: {request.document_type}, template {request.template}, format {request.format}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from docpipe import atscheck

    request = _load(args)  # --against: the request the PDF was made from
    report = atscheck.check(Path(args.pdf).read_bytes(), request, pdftotext=args.pdftotext)
    print(report.model_dump_json(indent=2) if args.json else atscheck.summary(report, args.pdf))
    return 0 if report.clean else 1


def cmd_analyze(args: argparse.Namespace) -> int:
    with _typesetting(args) as (request, renderer):
        from docpipe.analysis import analyze, summary  # after TeX has started

        report = analyze(request, renderer)
    print(report.model_dump_json(indent=2) if args.json else summary(report, args.input))
    return 0 if report.fits else 1


def cmd_templates(_: argparse.Namespace) -> int:
    for document_type in DOCUMENT_TYPES:
        for name in catalog.template_names(document_type):
            print(f"{document_type}/{name}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from docpipe.envelope import REQUEST_MODELS

    schema = REQUEST_MODELS[args.document_type].model_json_schema(by_alias=True)
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0


def cmd_build_formats(args: argparse.Namespace) -> int:
    for path in formats.build_all(Path(args.dir) if args.dir else formats.default_directory()):
        print(path)
    return 0


def cmd_fonts(args: argparse.Namespace) -> int:
    from docpipe import fonts

    if args.check:
        current = json.loads(fonts.TABLE_PATH.read_text())
        if current != json.loads(json.dumps(fonts.build_table())):
            print(
                "src/docpipe/fonts.json does not match the installed fonts: run `make fonts`", file=sys.stderr
            )
            return 1
        print("fonts.json matches the installed fonts")
        return 0
    fonts.write_table()
    print(f"wrote {fonts.TABLE_PATH}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docpipe", description="Résumé and cover-letter JSON to PDF.")
    sub = parser.add_subparsers(dest="command", required=True)

    def input_command(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        command.add_argument("input", help="a .json or .yaml file, or - for standard input")
        command.add_argument("--type", choices=DOCUMENT_TYPES, help="document type, for bare data")
        command.add_argument("--template", help="template name (see `docpipe templates`)")
        command.add_argument("--format", choices=get_args(OutputFormat), help="output format (default pdf)")
        command.add_argument(
            "--strict", action="store_true", help="treat warnings (unknown fields, extra sections) as errors"
        )
        option_flags.add(command)
        return command

    render = input_command("render", "typeset a document")
    render.add_argument("-o", "--output", help="output file, or - for standard output")
    render.add_argument("--timeout", type=float, default=20.0, help="TeX wall-clock limit in seconds")
    render.set_defaults(handler=cmd_render)
    input_command("validate", "check a document without rendering it").set_defaults(handler=cmd_validate)
    analyze = input_command("analyze", "how the PDF lays out, and what fitting it to N pages would change")
    analyze.add_argument("--json", action="store_true", help="the whole report as JSON")
    analyze.add_argument("--timeout", type=float, default=20.0, help="TeX wall-clock limit in seconds")
    analyze.set_defaults(handler=cmd_analyze)
    _add_check(sub)
    sub.add_parser("templates", help="list the templates").set_defaults(handler=cmd_templates)
    schema = sub.add_parser("schema", help="print the JSON Schema of a request")
    schema.add_argument("document_type", choices=DOCUMENT_TYPES)
    schema.set_defaults(handler=cmd_schema)
    build = sub.add_parser("build-formats", help="precompile every template's TeX format")
    build.add_argument("--dir", help="where to write them (default: the user cache)")
    build.set_defaults(handler=cmd_build_formats)
    fonts = sub.add_parser("fonts", help="regenerate (or --check) the font coverage table")
    fonts.add_argument("--check", action="store_true")
    fonts.set_defaults(handler=cmd_fonts)
    cli_local.add_commands(sub)
    return parser


def _add_check(sub: Any) -> None:
    check = sub.add_parser("check", help="what a résumé parser (ATS) recovers from a PDF")
    check.add_argument("pdf", help="the PDF")
    check.add_argument(
        "--against", dest="input", required=True, help="the request it was made from (.json or .yaml, or -)"
    )
    check.add_argument("--type", choices=DOCUMENT_TYPES, help="document type, for bare data")
    check.add_argument("--json", action="store_true", help="the whole report as JSON")
    check.add_argument("--pdftotext", action="store_true", help="read it with poppler's pdftotext too")
    check.set_defaults(handler=cmd_check, strict=False)


def main(argv: Sequence[str] | None = None) -> int:
    return _dispatch(_parser().parse_args(argv))


def run() -> NoReturn:
    """The ``docpipe`` program: :func:`main`, and for a command that is done once it returns, an exit
    that does not tear the interpreter down (~80 ms here: every module, every compiled validator),
    nor collect garbage on the way (~20 ms while importing). Such a command closes what it opens
    itself, its TeX included; its memory is bounded by the request's limits and freed by the exit."""
    args = _parser().parse_args()
    if args.command not in _ONE_SHOT:
        sys.exit(_dispatch(args))
    if args.command != "check":  # pdfminer's objects are the PDF's, not bounded by the request
        gc.disable()
    try:
        code = _dispatch(args)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped reading (`| head`): as a program SIGPIPE ends
        code = 128 + signal.SIGPIPE
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code)


_ONE_SHOT = {"render", "validate", "analyze", "check", "templates", "schema"}


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args))
    except InvalidDocument as exc:
        for detail in exc.details or []:
            print(detail, file=sys.stderr)
        if not exc.details:
            print(exc.message, file=sys.stderr)
        return EXIT_INVALID
    except DocpipeError as exc:  # RenderFailed (the document's fault) or RenderCrashed (TeX was killed)
        print(f"render failed: {exc.message}", file=sys.stderr)
        return EXIT_RENDER
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    run()
