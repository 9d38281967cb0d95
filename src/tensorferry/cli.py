"""Command line: ``tensorferry check|fix|verify|rules|explain``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tensorferry import __version__
from tensorferry.config import ConfigError
from tensorferry.output import CHECK_FORMATS

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def _globs(value: str) -> list[str]:
    return [g.strip() for g in value.split(",") if g.strip()]


def add_selection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", type=_codes, metavar="CODES",
                   help="comma-separated codes or prefixes to enable (default: all, TNP)")
    p.add_argument("--extend-select", type=_codes, metavar="CODES", default=[],
                   help="codes or prefixes to enable in addition to --select")
    p.add_argument("--ignore", type=_codes, metavar="CODES", default=[],
                   help="comma-separated codes or prefixes to disable")
    p.add_argument("--config", metavar="PATH",
                   help="read [tool.tensorferry] from this pyproject.toml instead of searching for one")
    p.add_argument("--isolated", action="store_true",
                   help="ignore every configuration file")


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (and the compression
    modules it imports): ``$COLUMNS``, else the terminal's width, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter. argparse makes one for every ``add_argument`` (to check the
    metavar), and its own asks ``shutil`` for the terminal width each time."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line parser; with ``command``, the parser of that subcommand only: ``main``
    gives it where the command line starts with the subcommand, so that the top-level parser
    only hands the rest to it (each subparser costs its arguments, and a message catalog
    lookup per help string argparse translates: about a millisecond of every run together)."""
    parser = _Parser(
        prog="tensorferry",
        description="Find, fix and prove risky NumPy <-> PyTorch conversions.",
    )
    parser.add_argument("--version", action="version", version=f"tensorferry {__version__}")
    # `prog` given: argparse would otherwise make a help formatter to work it out, which imports
    # shutil and asks for the terminal size on every run
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog="tensorferry")

    for name, help_text, add_args in _COMMANDS:
        if command is None or command == name:
            add_args(sub.add_parser(name, help=help_text))
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` starts with, if any (after an option such as ``--help`` the
    top-level parser may print the list of subcommands: then all are built)."""
    if argv and any(argv[0] == name for name, _, _ in _COMMANDS):
        return argv[0]
    return None


def _check_args(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    add_selection_args(check)
    check.add_argument("--output-format", default=None, choices=CHECK_FORMATS,
                       help="full (default), concise, json, json-lines, sarif or github")
    check.add_argument("--output-file", "-o", metavar="FILE", help="write the report to FILE")
    check.add_argument("--statistics", action="store_true",
                       help="print the number of findings per rule instead of the findings")
    check.add_argument("--exclude", type=_globs, metavar="GLOBS", default=None,
                       help="comma-separated globs of files and folders to skip (replaces `exclude`)")
    check.add_argument("--extend-exclude", type=_globs, metavar="GLOBS", default=[],
                       help="globs to skip in addition to `exclude`")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    check.add_argument("--cache-dir", metavar="DIR", default=None,
                       help="result cache folder (default: .tensorferry_cache in the project root, "
                            "or $TENSORFERRY_CACHE_DIR)")
    check.add_argument("-j", "--jobs", type=int, default=None,
                       help="parallel processes (default: all cores; 1 = serial)")
    check.add_argument("--unsafe-fixes", action="store_const", const=True, default=None,
                       help="count unsafe fixes as available (summary, statistics, SARIF fixes)")
    check.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_const", const=False,
                       help="override `unsafe-fixes = true` from the configuration")
    check.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--stdin-filename", metavar="NAME", help="file name to report for `-`")
    check.add_argument("--show-traceback", action="store_true",
                       help="print the traceback of internal errors")
    check.set_defaults(func=cmd_check)


def _fix_args(fix: argparse.ArgumentParser) -> None:
    fix.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                     help="files or folders (default: .); `-` reads stdin and writes the fixed "
                          "source to stdout")
    add_selection_args(fix)
    fix.add_argument("--unsafe-fixes", action="store_const", const=True, default=None,
                     help="also apply unsafe fixes")
    fix.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_const", const=False,
                     help="override `unsafe-fixes = true` from the configuration")
    fix.add_argument("--exclude", type=_globs, metavar="GLOBS", default=None,
                     help="comma-separated globs of files and folders to skip (replaces `exclude`)")
    fix.add_argument("--extend-exclude", type=_globs, metavar="GLOBS", default=[],
                     help="globs to skip in addition to `exclude`")
    fix.add_argument("--output-format", default=None, choices=("full", "concise"),
                     help="how remaining findings are shown: full (default) or concise")
    fix.add_argument("-j", "--jobs", type=int, default=None,
                     help="parallel processes (default: all cores; 1 = serial)")
    fix.add_argument("--diff", action="store_true",
                     help="print a unified diff of the fixes and write nothing (exit 1 if any)")
    fix.add_argument("--exit-non-zero-on-fix", action="store_true",
                     help="exit 1 when a file was changed, even if no findings remain")
    fix.add_argument("--stdin-filename", metavar="NAME", help="file name to report for `-`")
    fix.add_argument("-q", "--quiet", action="store_true",
                     help="print remaining findings only: no summary, no `Rewriting` lines")
    fix.add_argument("--show-traceback", action="store_true",
                     help="print the traceback of internal errors")
    fix.set_defaults(func=cmd_fix)


def _rules_args(rules: argparse.ArgumentParser) -> None:
    rules.add_argument("--output-format", default="text", choices=["text", "json"])
    rules.set_defaults(func=cmd_rules)


def _explain_args(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("rule", metavar="CODE|NAME")
    explain.set_defaults(func=cmd_explain)


def _verify_args(verify: argparse.ArgumentParser) -> None:
    verify.add_argument("--device", default=None,
                        help="comma-separated devices (cpu,cuda); default: every available one; "
                             "a named device that is missing exits 2")
    verify.add_argument("--rule", action="append", default=[], metavar="CODE",
                        help="verify only this rule (code or prefix; repeat or comma-separate)")
    verify.add_argument("--format", default="text", choices=["text", "json", "markdown"])
    verify.add_argument("--jobs", "-j", type=int, default=None,
                        help="snippet runs in parallel (default: number of cores)")
    verify.add_argument("--timeout", type=float, default=120.0, help="seconds per snippet run")
    verify.add_argument("--output", metavar="FILE", help="also write the report to FILE")
    verify.add_argument("--fixtures", metavar="DIR", default=None,
                        help="fixtures folder (default: the one shipped with tensorferry)")
    verify.set_defaults(func=cmd_verify)


_COMMANDS = (
    ("check", "lint files and report findings", _check_args),
    ("fix", "apply fixes (safe ones unless --unsafe-fixes)", _fix_args),
    ("rules", "list the rules", _rules_args),
    ("explain", "show a rule's documentation", _explain_args),
    ("verify", "run every rule's fixtures on real devices", _verify_args),
)


def resolve_settings(args: argparse.Namespace):
    """The run's configuration (``[tool.tensorferry]``), read once and kept on ``args.settings``."""
    from tensorferry.config import resolve_config

    if getattr(args, "settings", None) is None:
        args.settings = resolve_config(getattr(args, "paths", None) or [],
                                       getattr(args, "config", None), getattr(args, "isolated", False))
    return args.settings


def resolve_rules(args: argparse.Namespace):
    """Rules for this run: the configuration's selection, then the command line's (ruff's
    precedence: ``--select`` starts over, ``--extend-select`` and ``--ignore`` adjust)."""
    from tensorferry.config import ConfigError, check_codes, select_layered

    cfg = resolve_settings(args)
    try:
        check_codes((args.select or []) + args.extend_select + args.ignore, "command line")
    except ConfigError as exc:
        raise UsageError(str(exc).removeprefix("command line: ")) from None
    return select_layered([
        (cfg.select, cfg.extend_select, cfg.ignore),
        (args.select, args.extend_select, args.ignore),
    ])


def cmd_check(args: argparse.Namespace) -> int:
    from tensorferry.config import filter_per_file_ignores, is_excluded
    from tensorferry.output import Sources, render
    from tensorferry.runner import check_paths

    rules = resolve_rules(args)
    cfg = args.settings
    fmt = args.output_format or cfg.output_format or "full"
    unsafe = bool(cfg.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes)
    excludes = (cfg.exclude if args.exclude is None else args.exclude) + cfg.extend_exclude + args.extend_exclude
    # Folder-name globs prune the walk; every glob is then matched relative to the project root.
    prune = [g for g in excludes if "/" not in g and os.sep not in g]
    skip = (lambda path: is_excluded(path, excludes, cfg.root)) if excludes else None
    cache_dir = None
    if not args.no_cache:
        from tensorferry.cache import DEFAULT_DIR

        cache_dir = (args.cache_dir or os.environ.get("TENSORFERRY_CACHE_DIR")
                     or os.path.join(str(cfg.root) if cfg.root else os.getcwd(), DEFAULT_DIR))
    from tensorferry.runner import Progress

    progress = Progress() if fmt in ("full", "concise", "text") and not args.output_file else None
    report = check_paths(args.paths, rules, stdin_filename=args.stdin_filename, jobs=args.jobs,
                         exclude=prune, skip=skip, cache_dir=cache_dir, progress=progress)
    if progress is not None:
        progress.close()
    diagnostics = filter_per_file_ignores(report.diagnostics, cfg.per_file_ignores, cfg.root)
    for msg in report.errors:
        print(f"error: {msg}", file=sys.stderr)
    options = dict(quiet=args.quiet, unsafe_enabled=unsafe, rules=rules,
                   sources=Sources(report.sources), errors=report.errors,
                   had_error=report.had_error, show_statistics=args.statistics)
    if args.output_file:
        try:
            with open(args.output_file, "w", encoding="utf-8") as fh:
                render(diagnostics, fmt, fh, color=False, **options)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output_file}: {exc.strerror or exc}") from None
    else:
        render(diagnostics, fmt, sys.stdout, **options)
    if args.show_traceback:
        for d in diagnostics:
            if d.detail:
                print(d.detail, file=sys.stderr)
    if report.had_error:
        return EXIT_ERROR
    if diagnostics and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_fix(args: argparse.Namespace) -> int:
    from tensorferry.fixer import run_fix

    return run_fix(args, resolve_rules(args))


def cmd_rules(args: argparse.Namespace) -> int:
    import json

    from tensorferry.rules import all_rules

    rows = [
        {
            "code": r.code,
            "name": r.name,
            "summary": r.summary,
            "fix": r.fix_availability,
            "applicability": r.fix_applicability,
            "url": r.url(),
        }
        for r in all_rules()
    ]
    if args.output_format == "json":
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            fix = row["fix"] + (f" ({row['applicability']})" if row["applicability"] else "")
            print(f"{row['code']}  {row['name']:<32} fix: {fix:<18} {row['summary']}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from tensorferry.rules import rules_by_code, rules_by_name

    rule = rules_by_code().get(args.rule.upper()) or rules_by_name().get(args.rule)
    if rule is None:
        raise UsageError(f"unknown rule: {args.rule} (see `tensorferry rules`)")
    print(rule.markdown(), end="")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        from tensorferry.verify import run_verify
    except ImportError as exc:  # pragma: no cover - the module itself has no heavy imports
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return run_verify(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.func(args)
    except (UsageError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
