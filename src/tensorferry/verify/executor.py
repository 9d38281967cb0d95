"""Parent side of the snippet runner: start zygotes, feed them runs, collect the replies.

One zygote per device (``_child.py serve``) imports torch and numpy once and forks a fresh
process for every run, so each run starts in the pristine post-import state in milliseconds
instead of paying torch's import again. CUDA is never initialised in a zygote; the CUDA
zygote's grandchildren initialise it after the fork. A zygote may also preload modules that
the snippets it serves would import on their first call anyway (see ``harness.PRELOADS``).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

CHILD = Path(__file__).with_name("_child.py")
HANDSHAKE_TIMEOUT = 300.0


class RunnerError(RuntimeError):
    """The runner process could not be started or died."""


class MissingDependency(RuntimeError):
    """torch or numpy is not importable by the interpreter that runs the snippets."""

    def __init__(self, name: str, error: str) -> None:
        super().__init__(f"{name} is not importable ({error})")
        self.name = name
        self.error = error


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class Zygote:
    """A ``_child.py serve`` process: send requests, read replies (JSON lines)."""

    def __init__(self, name: str = "cpu", python: str | None = None, env: dict | None = None,
                 preload: Sequence[str] = ()) -> None:
        self.name = name
        self.preload = tuple(preload)
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [python or sys.executable, str(CHILD), "serve", *self.preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env=env, close_fds=True,
        )
        self.fd = self.proc.stdout.fileno()
        self._buf = bytearray()
        self.info: dict | None = None
        self.closed = False

    # -- reading -------------------------------------------------------------------------------
    def _lines(self) -> list[dict]:
        out = []
        while b"\n" in self._buf:
            line, _, rest = self._buf.partition(b"\n")
            self._buf = bytearray(rest)
            if line.strip():
                out.append(json.loads(line))
        return out

    def read_available(self) -> tuple[list[dict], bool]:
        """One read from the pipe: the complete reply lines, and whether the pipe is at its end."""
        data = os.read(self.fd, 1 << 16)
        if not data:
            return self._lines(), True
        self._buf += data
        return self._lines(), False

    def stderr_tail(self, limit: int = 2000) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode("utf-8", "replace")[-limit:]
        except (OSError, ValueError):
            return ""

    def handshake(self, timeout: float = HANDSHAKE_TIMEOUT) -> dict:
        """Wait for the zygote's first line. Raises MissingDependency or RunnerError."""
        if self.info is not None:
            return self.info
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self.fd, selectors.EVENT_READ)
        try:
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.close()
                    raise RunnerError(f"the {self.name} runner did not start within {timeout:g} s")
                if sel.select(left):
                    data = os.read(self.fd, 1 << 16)
                    if not data:
                        self.proc.wait()
                        raise RunnerError(
                            f"the {self.name} runner exited with status {self.proc.returncode} "
                            f"before starting: {self.stderr_tail().strip() or 'no output'}")
                    self._buf += data
        finally:
            sel.close()
        line, _, rest = self._buf.partition(b"\n")
        self._buf = bytearray(rest)
        info = json.loads(line)
        if not info.get("ok"):
            self.close()
            if "missing" not in info:
                raise RunnerError(f"the {self.name} runner could not start: {info.get('error')}")
            raise MissingDependency(info["missing"], info.get("error", ""))
        self.info = info
        return info

    # -- writing -------------------------------------------------------------------------------
    def send(self, request: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise RunnerError(f"the {self.name} runner is gone: {self.stderr_tail().strip() or exc}")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self._stderr.close()

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_requests(requests: Iterable[tuple[Zygote, dict]], jobs: int,
                 on_reply: Callable[[dict], None] | None = None,
                 watchdog: float | None = None) -> dict[str, dict]:
    """Run every request with at most ``jobs`` in flight over all zygotes; replies by request id.

    A zygote enforces each run's timeout itself; ``watchdog`` (seconds without any reply while
    runs are in flight) only guards against a zygote that stops answering.
    """
    pending = deque(requests)
    replies: dict[str, dict] = {}
    inflight: dict[str, Zygote] = {}
    sel = selectors.DefaultSelector()
    registered: set[int] = set()
    jobs = max(1, jobs)
    last = time.monotonic()
    try:
        while pending or inflight:
            while pending and len(inflight) < jobs:
                zyg, req = pending.popleft()
                if zyg.closed:
                    replies[req["id"]] = _lost(req, zyg)
                    continue
                if zyg.fd not in registered:
                    sel.register(zyg.fd, selectors.EVENT_READ, zyg)
                    registered.add(zyg.fd)
                try:
                    zyg.send(req)
                except RunnerError as exc:
                    replies[req["id"]] = {"id": req["id"], "status": "crashed", "detail": str(exc)}
                    continue
                inflight[req["id"]] = zyg
            if not inflight:
                continue
            events = sel.select(timeout=5.0)
            if not events:
                if watchdog is not None and time.monotonic() - last > watchdog:
                    for rid, zyg in list(inflight.items()):
                        replies[rid] = {"id": rid, "status": "crashed",
                                        "detail": f"the {zyg.name} runner stopped answering"}
                        inflight.pop(rid)
                    break
                continue
            for key, _ in events:
                zyg: Zygote = key.data
                lines, eof = zyg.read_available()
                for reply in lines:
                    rid = reply.get("id")
                    if rid in inflight:
                        inflight.pop(rid)
                        replies[rid] = reply
                        last = time.monotonic()
                        if on_reply is not None:
                            on_reply(reply)
                if eof:
                    sel.unregister(zyg.fd)
                    registered.discard(zyg.fd)
                    zyg.close()
                    for rid, owner in list(inflight.items()):
                        if owner is zyg:
                            inflight.pop(rid)
                            replies[rid] = _lost({"id": rid}, zyg)
    finally:
        sel.close()
    for zyg, req in pending:
        replies.setdefault(req["id"], _lost(req, zyg))
    return replies


def _lost(req: dict, zyg: Zygote) -> dict:
    tail = zyg.stderr_tail().strip()
    return {"id": req["id"], "status": "crashed",
            "detail": f"the {zyg.name} runner died" + (f": {tail}" if tail else "")}


def run_one(zygote: Zygote, request: dict) -> dict:
    """Run a single request and wait for its reply."""
    zygote.handshake()
    return run_requests([(zygote, request)], 1)[request["id"]]
