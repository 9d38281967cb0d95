"""Command line: ``tensorferry check|fix|verify|rules|explain``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tensorferry import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def add_selection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", type=_codes, metavar="CODES",
                   help="comma-separated codes or prefixes to enable (default: all, TNP)")
    p.add_argument("--extend-select", type=_codes, metavar="CODES", default=[],
                   help="codes or prefixes to enable in addition to --select")
    p.add_argument("--ignore", type=_codes, metavar="CODES", default=[],
                   help="comma-separated codes or prefixes to disable")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tensorferry",
        description="Find, fix and prove risky NumPy <-> PyTorch conversions.",
    )
    parser.add_argument("--version", action="version", version=f"tensorferry {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="lint files and report findings")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    add_selection_args(check)
    check.add_argument("--output-format", default="text",
                       choices=["text", "concise", "json", "json-lines"])
    check.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    check.add_argument("-j", "--jobs", type=int, default=None,
                       help="parallel processes (default: all cores; 1 = serial)")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="count unsafe fixes as available in the summary")
    check.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--stdin-filename", metavar="NAME", help="file name to report for `-`")
    check.add_argument("--show-traceback", action="store_true",
                       help="print the traceback of internal errors")
    check.set_defaults(func=cmd_check)

    fix = sub.add_parser("fix", help="apply fixes (safe ones unless --unsafe-fixes)")
    fix.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                     help="files or folders (default: .); `-` reads stdin and writes the fixed "
                          "source to stdout")
    add_selection_args(fix)
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
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

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--output-format", default="text", choices=["text", "json"])
    rules.set_defaults(func=cmd_rules)

    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", metavar="CODE|NAME")
    explain.set_defaults(func=cmd_explain)

    verify = sub.add_parser("verify", help="run every rule's fixtures on real devices")
    verify.add_argument("--device", default=None,
                        help="comma-separated devices (cpu,cuda); default: every available one")
    verify.add_argument("--rule", action="append", default=[], metavar="CODE")
    verify.add_argument("--format", default="text", choices=["text", "json", "markdown"])
    verify.add_argument("--jobs", "-j", type=int, default=None)
    verify.add_argument("--timeout", type=float, default=120.0, help="seconds per snippet run")
    verify.add_argument("--output", metavar="FILE", help="also write the report to FILE")
    verify.set_defaults(func=cmd_verify)
    return parser


def resolve_rules(args: argparse.Namespace):
    from tensorferry.rules import all_rules, select_rules

    known = [r.code for r in all_rules()]
    for code in (args.select or []) + args.extend_select + args.ignore:
        if code != "ALL" and not any(k.startswith(code) for k in known):
            raise UsageError(f"unknown rule code or prefix: {code}")
    return select_rules(args.select, args.ignore, args.extend_select)


def cmd_check(args: argparse.Namespace) -> int:
    from tensorferry.runner import check_paths
    from tensorferry.output import render

    rules = resolve_rules(args)
    report = check_paths(args.paths, rules, stdin_filename=args.stdin_filename, jobs=args.jobs)
    for msg in report.errors:
        print(f"error: {msg}", file=sys.stderr)
    render(report.diagnostics, args.output_format, sys.stdout, quiet=args.quiet,
           unsafe_enabled=args.unsafe_fixes)
    if args.show_traceback:
        for d in report.diagnostics:
            if d.detail:
                print(d.detail, file=sys.stderr)
    if report.had_error:
        return EXIT_ERROR
    if report.diagnostics and not args.exit_zero:
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
