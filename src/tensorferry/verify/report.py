"""Render a verification report as text, JSON or Markdown."""

from __future__ import annotations

import json
from collections import Counter

from tensorferry.verify.harness import CONFIRMED, FAILED, SKIPPED, Report

FORMATS = ("text", "json", "markdown")


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "text":
        return render_text(report)
    raise ValueError(f"unknown format {fmt!r}")


def _cuda_line(report: Report) -> str:
    if "cuda" in report.devices:
        return f"{report.versions.get('cuda')} ({report.cuda_device})"
    why = report.unavailable.get("cuda")
    return f"not verified: {why}" if why else "not requested"


def _counts(c: Counter) -> str:
    return f"{c[CONFIRMED]} / {c[FAILED]} / {c[SKIPPED]}"


def _summary(report: Report) -> str:
    t = report.totals()
    return (f"{t.get(CONFIRMED, 0)} confirmed, {t.get(FAILED, 0)} failed, "
            f"{t.get(SKIPPED, 0)} skipped")


def render_text(report: Report) -> str:
    v = report.versions
    out = [
        f"tensorferry {v['tensorferry']} verify: torch {v['torch']}, numpy {v['numpy']}, "
        f"python {v['python']}",
        f"devices verified: {', '.join(report.devices) or 'none'}; CUDA: {_cuda_line(report)}",
        "",
    ]
    cols = report.columns()
    table = report.table()
    name_w = max([len("name")] + [len(n) for n in report.rules.values()])
    head = f"{'rule':<8}{'name':<{name_w + 2}}" + "".join(f"{d:<16}" for d in cols)
    sub = " " * (8 + name_w + 2) + "".join(f"{'c / f / s':<16}" for _ in cols)
    out += [head.rstrip(), sub.rstrip()]
    for code, per_device in table.items():
        name = report.rules.get(code, "")
        row = f"{code:<8}{name:<{name_w + 2}}" + "".join(f"{_counts(per_device[d]):<16}" for d in cols)
        out.append(row.rstrip())
    out += ["", "c / f / s = confirmed / failed / skipped cases", ""]
    failures = [c for c in report.cases if c.status == FAILED]
    if failures:
        out.append(f"Failures ({len(failures)}):")
        for c in failures:
            out.append(f"  {c.case} [{c.device}]")
            for line in c.detail.splitlines() or [""]:
                out.append(f"      {line}")
        out.append("")
    out.append(f"{_summary(report)} in {report.elapsed:.1f} s")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _md_cell(c: Counter) -> str:
    parts = [f"{c[s]} {s}" for s in (CONFIRMED, FAILED, SKIPPED) if c[s]]
    return ", ".join(parts) or "-"


def render_markdown(report: Report) -> str:
    v = report.versions
    cols = report.columns()
    out = [
        "# tensorferry verification report",
        "",
        "| | |",
        "|---|---|",
        f"| tensorferry | {v['tensorferry']} |",
        f"| torch | {v['torch']} |",
        f"| numpy | {v['numpy']} |",
        f"| python | {v['python']} |",
        f"| CUDA | {_md(_cuda_line(report))} |",
        f"| devices verified | {', '.join(report.devices) or 'none'} |",
        f"| result | {_summary(report)} |",
        "",
        "## Rules",
        "",
        "| rule | name | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for code, per_device in report.table().items():
        cells = " | ".join(_md_cell(per_device[d]) for d in cols)
        out.append(f"| {code} | {report.rules.get(code, '')} | {cells} |")
    out += ["", "## Cases", "", "| case | device | status | detail |", "|---|---|---|---|"]
    for c in report.cases:
        out.append(f"| `{c.case}` | {c.device} | {c.status} | {_md(c.detail)} |")
    return "\n".join(out) + "\n"
