"""The snippet runner: a zygote that imports torch and numpy once, then forks one process per run.

The harness starts this file as a script (``python _child.py serve``). It imports nothing from
tensorferry, so it works with whatever interpreter has torch installed. Protocol: JSON lines.

* On start the zygote imports numpy and torch, and nothing else that could set torch's
  once-per-process warning state (except the MODULEs named on the command line: modules that
  the snippets it serves import on their first call anyway), then writes a handshake line:
  ``{"ok": true, "python": ..., "torch": ..., "numpy": ..., "cuda_build": ...}`` or
  ``{"ok": false, "missing": "torch", "error": ...}`` when an import fails (then it exits).
* Each request line on stdin is ``{"op": "run" | "probe", "id": ...}``. For ``run`` the zygote
  forks a grandchild that starts in the pristine post-import state, runs the snippet, evaluates
  the witnesses and ``observe`` expressions in the snippet's globals and writes its result into a
  pipe. The zygote kills a grandchild that outlives its timeout (its whole process group), and
  answers each request with one line ``{"id": ..., "status": "ok" | "timeout" | "crashed", ...}``.
* ``probe`` forks a grandchild that asks ``torch.cuda.is_available()``; CUDA is never initialised
  in the zygote itself, so later forks stay safe.
* End of stdin: the zygote kills what still runs and exits.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback

OUTPUT_TAIL = 2000
MAX_WARNINGS = 20


# -- inside the grandchild --------------------------------------------------------------------

def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _names(cls: type) -> set[str]:
    """A class's name, qualified name and those of its bases (``RuntimeError``, ``torch.OutOfMemoryError``)."""
    out: set[str] = set()
    for c in getattr(cls, "__mro__", (cls,)):
        out.add(c.__name__)
        out.add(f"{c.__module__}.{c.__qualname__}")
    return out


def exception_matches(target: str, fragment: str, exc: BaseException | None) -> bool:
    return exc is not None and target in _names(type(exc)) and fragment in str(exc)


def warning_matches(target: str, fragment: str, category: type, message: str) -> bool:
    return target in _names(category) and fragment in message


def canon(value, depth: int = 0):
    """A JSON form of an observed value: tensors and arrays as (dtype, shape, values)."""
    if depth > 50:
        return {"repr": _short(repr(value)), "type": type(value).__name__}
    torch = sys.modules.get("torch")
    np = sys.modules.get("numpy")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    if torch is not None:
        if isinstance(value, torch.Tensor):
            t = value.detach()
            try:
                if t.layout != torch.strided:
                    t = t.to_dense()
                values = canon(t.cpu().tolist(), depth + 1)
            except Exception as exc:  # meta, quantized, ... tensors have no values to compare
                values = {"error": f"{type(exc).__name__}: {_short(exc)}"}
            return {"tensor": str(value.dtype), "shape": list(value.shape), "values": values}
        if isinstance(value, torch.dtype):
            return {"dtype": str(value)}
        if isinstance(value, torch.device):
            return {"device": str(value)}
    if np is not None:
        if isinstance(value, np.ndarray):
            return {"ndarray": str(value.dtype), "shape": list(value.shape),
                    "values": canon(value.tolist(), depth + 1)}
        if isinstance(value, np.generic):
            return {"scalar": str(value.dtype), "value": canon(value.item(), depth + 1)}
        if isinstance(value, np.dtype):
            return {"npdtype": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, list):
        return [canon(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [canon(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[canon(k, depth + 1), canon(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"set": sorted(repr(v) for v in value)}
    return {"repr": _short(repr(value), 1000), "type": f"{type(value).__module__}.{type(value).__qualname__}"}


def _describe_exception(exc: BaseException) -> dict:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": tb[-OUTPUT_TAIL:],
    }


def execute(req: dict) -> dict:
    """Run one snippet in this process and evaluate its witnesses and observations."""
    import builtins
    import types
    import warnings

    source, filename = req["source"], req["filename"]
    # A module of its own, registered as __main__, so that classes the snippet defines pickle
    # the way they do when the snippet runs as a script.
    main = types.ModuleType("__main__")
    main.__file__ = filename
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    g = main.__dict__
    exc: BaseException | None = None
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(source, filename, "exec"), g)
        except SystemExit as e:
            if e.code not in (None, 0):
                exc = e
        except BaseException as e:  # noqa: B036 - the snippet's exception is the evidence
            exc = e
        elapsed = time.perf_counter() - start
        seen = [(w.category, str(w.message)) for w in caught]
        witnesses = [_witness(w, exc, seen, g) for w in req.get("witnesses", [])]
        observed = []
        for expr in req.get("observe", []):
            try:
                observed.append({"value": canon(eval(expr, g))})
            except BaseException as e:  # noqa: B036
                observed.append({"error": f"{type(e).__name__}: {_short(e)}"})
    return {
        "exception": _describe_exception(exc) if exc is not None else None,
        "warnings": [{"category": c.__name__, "message": _short(m)} for c, m in seen[:MAX_WARNINGS]],
        "warning_count": len(seen),
        "witnesses": witnesses,
        "observe": observed,
        "elapsed": elapsed,
        "cpu": _cpu_seconds(),
        "pid": os.getpid(),
    }


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)  # since the fork
    return usage.ru_utime + usage.ru_stime


def _witness(w: list, exc: BaseException | None, seen: list, g: dict) -> dict:
    kind, target, fragment = w
    if kind == "raises":
        if exc is None:
            return {"holds": False, "seen": "no exception was raised"}
        holds = exception_matches(target, fragment, exc)
        return {"holds": holds, "seen": f"raised {type(exc).__name__}: {_short(exc)}"}
    if kind == "warns":
        holds = any(warning_matches(target, fragment, c, m) for c, m in seen)
        if not seen:
            return {"holds": holds, "seen": "no warning was emitted"}
        listed = "; ".join(f"{c.__name__}: {_short(m, 120)}" for c, m in seen[:5])
        more = f" (+{len(seen) - 5} more)" if len(seen) > 5 else ""
        return {"holds": holds, "seen": f"warnings emitted: {listed}{more}"}
    if kind == "hazard":
        try:
            value = eval(target, g)
            holds = bool(value)
        except BaseException as e:  # noqa: B036
            return {"holds": None, "seen": f"cannot evaluate: {type(e).__name__}: {_short(e)}"}
        return {"holds": holds, "seen": f"evaluated to {_short(repr(value), 200)}"}
    return {"holds": None, "seen": f"unknown witness kind {kind!r}"}


def probe_cuda() -> dict:
    import torch

    available = bool(torch.cuda.is_available())
    return {
        "available": available,
        "count": torch.cuda.device_count() if available else 0,
        "name": torch.cuda.get_device_name(0) if available else None,
        "version": torch.version.cuda,
    }


def _grandchild(req: dict, wfd: int, outpath: str, cwd: str, close: list[int]) -> None:
    """Runs in the forked process; never returns."""
    code = 70
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for fd in close:
            try:
                os.close(fd)
            except OSError:
                pass
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        out = os.open(outpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(devnull)
        os.chdir(cwd)
        if req["op"] == "probe":
            result = probe_cuda()
        else:
            device = req.get("device", "cpu")
            os.environ["TENSORFERRY_DEVICE"] = device
            if device == "cpu":
                os.environ["CUDA_VISIBLE_DEVICES"] = ""
            sys.argv = [req["filename"]]
            result = execute(req)
        try:
            data = json.dumps(result).encode()
        except (TypeError, ValueError) as e:
            data = json.dumps({"internal": f"cannot encode the result: {e}"}).encode()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        view = memoryview(data)
        while view:
            n = os.write(wfd, view)
            view = view[n:]
        code = 0
    except BaseException:
        try:
            os.write(2, traceback.format_exc().encode())
        except Exception:
            pass
    finally:
        os._exit(code)


# -- the zygote ----------------------------------------------------------------------------------

class _Run:
    def __init__(self, req: dict, pid: int, rfd: int, root: str, timeout: float) -> None:
        self.req = req
        self.pid = pid
        self.rfd = rfd
        self.root = root
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.timeout = timeout
        self.buf = bytearray()


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - OUTPUT_TAIL))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _send(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _start(req: dict, running: dict[int, _Run]) -> None:
    root = tempfile.mkdtemp(prefix="tensorferry-run-")
    cwd = os.path.join(root, "cwd")
    os.mkdir(cwd)
    outpath = os.path.join(root, "output")
    rfd, wfd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _grandchild(req, wfd, outpath, cwd, [rfd] + list(running))
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    os.close(wfd)
    running[rfd] = _Run(req, pid, rfd, root, float(req.get("timeout", 60.0)))


def _kill(run: _Run) -> None:
    for target in (lambda: os.killpg(run.pid, signal.SIGKILL), lambda: os.kill(run.pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def _finish(run: _Run, running: dict[int, _Run], timed_out: bool = False) -> None:
    running.pop(run.rfd, None)
    os.close(run.rfd)
    if timed_out:
        _kill(run)
    _, status = os.waitpid(run.pid, 0)
    # Reap what the snippet may have left in its process group.
    try:
        os.killpg(run.pid, signal.SIGKILL)
    except OSError:
        pass
    reply = {"id": run.req["id"], "elapsed": time.monotonic() - run.started,
             "output": _tail(os.path.join(run.root, "output"))}
    if timed_out:
        reply.update(status="timeout", detail=f"timed out after {run.timeout:g} s (killed)")
    else:
        result = None
        if run.buf:
            try:
                result = json.loads(run.buf.decode("utf-8", "replace"))
            except ValueError:
                result = None
        if result is not None and "internal" not in result and os.WIFEXITED(status) \
                and os.WEXITSTATUS(status) == 0:
            reply.update(status="ok", result=result)
        else:
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                try:
                    name = signal.Signals(sig).name
                except ValueError:
                    name = str(sig)
                why = f"was killed by signal {name}"
            else:
                why = f"exited with status {os.WEXITSTATUS(status)}"
            if result is not None and "internal" in result:
                why += f" ({result['internal']})"
            reply.update(status="crashed", detail=f"the run process {why} before reporting a result")
    shutil.rmtree(run.root, ignore_errors=True)
    _send(reply)


def serve(preload: list[str]) -> int:
    # Ctrl-C reaches the whole foreground process group: the harness handles it and closes our
    # stdin, which makes us clean up. The grandchildren restore the default handler.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("numpy", "torch"):
        try:
            __import__(name)
        except BaseException as exc:  # noqa: B036 - a broken install may raise anything
            _send({"ok": False, "missing": name, "error": f"{type(exc).__name__}: {_short(exc)}"})
            return 3
    import importlib
    import platform

    import numpy
    import torch

    for name in preload:  # modules the snippets would import on their first line anyway
        try:
            importlib.import_module(name)
        except BaseException as exc:  # noqa: B036
            _send({"ok": False, "error": f"cannot preload {name}: {type(exc).__name__}: {_short(exc)}"})
            return 3
    # Move everything the imports created out of the collector's reach: a collection in a forked
    # run would otherwise walk (and so copy-on-write) every object of torch, many times the cost
    # of a typical snippet.
    import gc

    gc.collect()
    gc.freeze()
    _send({
        "ok": True,
        "python": platform.python_version(),
        "executable": sys.executable,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "cuda_build": torch.version.cuda,
        "preloaded": list(preload),
        "pid": os.getpid(),
    })
    running: dict[int, _Run] = {}
    inbuf = bytearray()
    eof = False
    while not eof:
        now = time.monotonic()
        timeout = max(0.0, min(r.deadline for r in running.values()) - now) if running else None
        readable, _, _ = select.select([0] + list(running), [], [], timeout)
        for fd in readable:
            if fd == 0:
                data = os.read(0, 1 << 16)
                if not data:
                    eof = True
                    continue
                inbuf += data
                while b"\n" in inbuf:
                    line, _, rest = inbuf.partition(b"\n")
                    inbuf = bytearray(rest)
                    if line.strip():
                        req = json.loads(line)
                        if req.get("op") == "exit":
                            eof = True
                        else:
                            _start(req, running)
            elif fd in running:
                run = running[fd]
                data = os.read(fd, 1 << 16)
                if data:
                    run.buf += data
                else:
                    _finish(run, running)
        now = time.monotonic()
        for run in list(running.values()):
            if now >= run.deadline:
                _finish(run, running, timed_out=True)
    for run in list(running.values()):
        _kill(run)
        running.pop(run.rfd, None)
        os.close(run.rfd)
        os.waitpid(run.pid, 0)
        shutil.rmtree(run.root, ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]  # snippets must not import the harness's own modules by accident
    if argv[1:2] == ["serve"]:
        return serve(argv[2:])
    sys.stderr.write("usage: _child.py serve [MODULE...]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
