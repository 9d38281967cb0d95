"""flake8 plugin (code prefix TNP).

Importing this module is cheap: it loads neither libcst nor torch/numpy. The analysis is imported
on the first file that passes the text prefilter, and libcst on the first file where a rule
reports, or both once before flake8 forks its workers (``parse_options``). flake8 handles ``# noqa`` and
selection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tensorferry import __version__


class TensorferryChecker:
    name = "tensorferry"
    version = __version__

    def __init__(self, tree: Any, lines: list[str], filename: str) -> None:
        # flake8 classifies plugins by their parameters: `tree` makes this an AST plugin,
        # run once per file. We use the decoded `lines` flake8 already read, never the file.
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def parse_options(cls, options: Any) -> None:
        """Called by flake8 once its options are parsed, in the main process, before it starts
        its workers. Where it will fork them (``--jobs`` above 1, a platform whose default start
        method is fork), and one of the first files to check passes the text prefilter, import
        the analysis here, and libcst too when every worker is likely to need it: the workers
        then share one import instead of each paying for it (as ``tensorferry check`` does:
        ``engine.preload``, ``runner.likely_libcst``)."""
        import multiprocessing

        if multiprocessing.parent_process() is not None:
            return  # a worker started afresh, parsing the options again
        # the method set for this process, else the platform's default (listed first)
        method = (multiprocessing.get_start_method(allow_none=True)
                  or multiprocessing.get_all_start_methods()[0])
        paths = list(getattr(options, "filenames", None) or ["."])
        if method != "fork" or "-" in paths or _jobs(options) < 2:
            return
        import itertools

        from tensorferry.engine import preload
        from tensorferry.files import walk
        from tensorferry.rules import all_rules
        from tensorferry.runner import FILES_PER_WORKER_FOR_LIBCST, likely_libcst, reaches_parser

        jobs = _jobs(options)
        # enough of the walk to tell: the first files, up to the count that calls for libcst
        files = [path for path, _ in itertools.islice(walk(paths), FILES_PER_WORKER_FOR_LIBCST * jobs)]
        if reaches_parser(files, all_rules()):
            preload(libcst=likely_libcst(len(files), jobs))

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        from tensorferry.engine import lint_source
        from tensorferry.rules import all_rules

        source = "".join(self.lines)
        # flake8 built ``tree`` with CPython's parser, so the source is within its nesting limits,
        # and the rules' syntax gates read it.
        result = lint_source(source, self.filename, all_rules(), noqa=False, gate=False,
                             tree=self.tree)
        for d in result.diagnostics:
            # flake8 adds 1 to the column a plugin yields.
            yield d.row, d.column - 1, f"{d.code} {d.message}", type(self)


def _jobs(options: Any) -> int:
    """The number of workers flake8 will start (its ``--jobs``: a number or ``auto``)."""
    import os

    jobs = getattr(options, "jobs", None)
    if getattr(jobs, "is_auto", False):
        return os.cpu_count() or 1
    try:
        return int(getattr(jobs, "n_jobs", jobs))
    except (TypeError, ValueError):
        return 1
