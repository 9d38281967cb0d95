"""Run the engine over files: discovery, decoding, per-file error isolation, stable order."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence

from tensorferry._record import Record
from tensorferry.cache import Cache
from tensorferry.diagnostics import Diagnostic
from tensorferry.files import DecodeError, decode, discover
from tensorferry.rules import rule_codes

# The engine (and what it imports) loads on the first file to lint: a warm run answers every
# file from the cache and needs none of it.
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:  # pragma: no cover
    from tensorferry.rules import Rule


class Progress:
    """A one-line "checked N/M files" counter on a terminal's stderr; silent elsewhere."""

    def __init__(self, stream=None, min_files: int = 200, every: float = 0.2) -> None:
        import time

        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_files = min_files
        self.every = every
        self._clock = time.monotonic
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.min_files:
            return
        now = self._clock()
        if done < total and now - self._last < self.every:
            return
        self._last = now
        self.stream.write(f"\rchecked {done}/{total} files")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


class Report(Record):
    __slots__ = ("diagnostics", "errors", "files", "had_error", "sources")

    def __init__(self, diagnostics: list[Diagnostic] | None = None, errors: list[str] | None = None,
                 files: int = 0, had_error: bool = False, sources: dict[str, str] | None = None) -> None:
        self.diagnostics = [] if diagnostics is None else diagnostics
        self.errors = [] if errors is None else errors
        self.files = files
        self.had_error = had_error
        # Text of sources that are not on disk (stdin), by reported name, for snippets and SARIF.
        self.sources = {} if sources is None else sources


def _read(path: str, name: str, cache: "Cache | None", lookup: bool = True):
    """(the file's bytes, its cache key or None, the cached result or None); raises OSError."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if cache is None:
        return raw, None, None
    key = cache.key(name, raw)
    return raw, key, cache.get(key) if lookup else None


def check_one(path: str, rules: Sequence[type[Rule]], display: str | None = None,
              sources: dict[str, str] | None = None, cache: "Cache | None" = None,
              lookup: bool = True) -> tuple[list[Diagnostic], bool]:
    """Lint one file (``-``: stdin). With ``cache``, a cached result is returned (unless
    ``lookup`` is off: the caller knows it is not there) and a new one is stored."""
    name = display or path
    key = None
    problem = None
    try:
        if path == "-":
            src = decode(sys.stdin.buffer.read())
            if sources is not None:
                sources[name] = src.text
        else:
            raw, key, hit = _read(path, name, cache, lookup)
            if hit is not None:
                return hit
            src = decode(raw)
    except DecodeError as exc:
        problem = f"cannot read: {exc}"
    except OSError as exc:
        problem = f"cannot read: {exc.strerror or exc}"
    from tensorferry.engine import lint_source, parse_error  # past the cache

    if problem is not None:
        return [parse_error(name, problem)], True
    result = lint_source(src.text, name, rules)
    if key is not None and not any(d.code == "TNP002" for d in result.diagnostics):
        cache.put(key, result.diagnostics, result.error)
    return result.diagnostics, result.error


_RULES: Sequence[type[Rule]] = ()
_CACHE: "Cache | None" = None


def _init_worker(codes: tuple[str, ...], cache_dir: str | None) -> None:
    global _RULES, _CACHE
    from tensorferry.rules import rules_by_code

    by_code = rules_by_code()
    _RULES = tuple(by_code[c] for c in codes)
    _CACHE = Cache(cache_dir, codes) if cache_dir else None


def _work(path: str) -> tuple[list[Diagnostic], bool]:
    # the parent has answered the cache hits: what reaches a worker is not in the cache
    return check_one(path, _RULES, cache=_CACHE, lookup=False)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


def start_method() -> str | None:
    """How worker processes start: forked where the platform can, else its default (None)."""
    import multiprocessing

    return "fork" if "fork" in multiprocessing.get_all_start_methods() else None


def pool_map(work: Callable, items: Sequence, jobs: int, initializer: Callable,
             initargs: tuple) -> Iterator:
    """``work`` over ``items`` in ``jobs`` processes (see ``start_method``), results in the order
    of ``items``."""
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context(start_method())
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=min(jobs, len(items)), mp_context=ctx,
        initializer=initializer, initargs=initargs,
    ) as pool:
        chunk = max(1, min(32, len(items) // (jobs * 8) or 1))
        yield from pool.map(work, items, chunksize=chunk)


def cached(path: str, cache: Cache) -> tuple[list[Diagnostic], bool] | None:
    """The cached result for the file at ``path``, or None (not cached, or unreadable: the
    worker that lints it reports why)."""
    try:
        return _read(path, path, cache)[2]
    except OSError:
        return None


def reaches_parser(paths: Iterable[str], rules: Sequence[type[Rule]], limit: int = 64) -> bool:
    """Do the text triggers of a rule hold in one of the first ``limit`` files, so that linting
    will need the analysis, and libcst where a rule reports (see ``preload`` and
    ``likely_libcst``)? A file that cannot be read is left to its worker."""
    from tensorferry.engine import triggered

    for path in itertools.islice(paths, limit):
        try:
            with open(path, "rb") as fh:
                text = decode(fh.read()).text
        except (OSError, DecodeError):
            continue
        if triggered(text, rules):
            return True
    return False


# About 3% of the files of the benchmark corpus are parsed by libcst, a rule reporting there (293
# of 9695: ``bench/prefilter.py``). A worker given this many files then meets one with a
# probability of about 95%; with fewer, libcst is imported only where a file needs it.
FILES_PER_WORKER_FOR_LIBCST = 100


def likely_libcst(files: int, jobs: int) -> bool:
    """Will each of ``jobs`` workers sharing ``files`` files likely need libcst (a file where a
    rule reports)? Then importing it once before the workers start is cheaper than each worker
    importing it; for a few files (a pre-commit run) most runs need it nowhere."""
    return files >= FILES_PER_WORKER_FOR_LIBCST * jobs


def check_paths(paths: Sequence[str], rules: Sequence[type[Rule]], *,
                stdin_filename: str | None = None, exclude: list[str] | None = None,
                jobs: int | None = None, skip: Callable[[str], bool] | None = None,
                cache_dir: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> Report:
    """Check ``paths``. ``exclude`` globs prune the walk; ``skip(path)`` drops discovered files
    (never a file named on the command line)."""
    report = Report()
    files, errors = discover(list(paths), exclude)
    if skip is not None:
        explicit = {p for p in paths if p == "-" or not os.path.isdir(p)}
        files = [f for f in files if f in explicit or not skip(f)]
    report.errors.extend(errors)
    report.had_error = bool(errors)
    jobs = default_jobs() if not jobs or jobs < 1 else jobs
    parallel = [f for f in files if f != "-"]
    results: list[tuple[list[Diagnostic], bool]] = []
    if "-" in files:
        results.append(check_one("-", rules, stdin_filename, report.sources))
    cache = Cache(cache_dir, rule_codes(rules)) if cache_dir else None
    if jobs > 1 and len(parallel) > 1 and cache is not None:
        # cache hits are answered here, and only the other files go to workers: a warm run
        # starts none
        todo = []
        for p in parallel:
            hit = cached(p, cache)
            if hit is None:
                todo.append(p)
            else:
                results.append(hit)
                if progress is not None:
                    progress(len(results), len(files))
        parallel = todo
    if jobs > 1 and len(parallel) > 1:
        # Forked workers inherit what this process has imported: importing the analysis once
        # here spares each worker its own import, when a file will need it; and libcst too
        # when every worker is likely to meet a file where a rule reports (``likely_libcst``).
        if start_method() == "fork" and reaches_parser(parallel, rules):
            from tensorferry.engine import preload

            preload(libcst=likely_libcst(len(parallel), jobs))
        for res in pool_map(_work, parallel, jobs, _init_worker, (rule_codes(rules), cache_dir)):
            results.append(res)
            if progress is not None:
                progress(len(results), len(files))
    else:
        for p in parallel:
            results.append(check_one(p, rules, cache=cache))
            if progress is not None:
                progress(len(results), len(files))
    for diags, err in results:
        report.files += 1
        report.diagnostics.extend(diags)
        report.had_error |= err
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report
