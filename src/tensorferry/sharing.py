"""Memory-sharing hazards: an in-place write on one side of a NumPy/PyTorch alias while the
other side is still observable. Computed once per file from the analysis' event lists and
read by TNP201 (shared by a numpy->torch conversion) and TNP202 (torch->numpy)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tensorferry.analysis import Analysis, Event, Share
from tensorferry.facts import NDARRAY, TENSOR


def exclusive(p1: tuple, p2: tuple) -> bool:
    """True when two program points lie in different arms of the same `if` (same loop iteration)."""
    for e1, e2 in zip(p1, p2):
        if e1 == e2:
            continue
        if e1[0] == "if" and e2[0] == "if" and e1[1] == e2[1]:
            return e1[2] != e2[2]
        return False
    return False


@dataclass(frozen=True)
class Observer:
    how: str  # "load" | "escape" | "caller" | "attribute"
    node: object | None
    name: str | None
    detail: str = ""


@dataclass(frozen=True)
class Hazard:
    write: Event
    share: Share
    observer: Observer

    @property
    def code(self) -> str:
        return "TNP201" if self.share.direction == "np->torch" else "TNP202"


def _dst_side(share: Share) -> str:
    return TENSOR if share.direction == "np->torch" else NDARRAY


def filling(analysis: Analysis, share: Share, w: Event, loads: list[Event]) -> bool:
    """True when `w` fills a buffer through its alias: the shared memory was allocated by
    `empty/zeros/ones/full` in this scope before the conversion, the write goes through the
    conversion's result, and the allocated side is not read between the conversion and the write
    (`buf = torch.empty(n); buf.numpy()[:] = data`). The write-through is the point there."""
    alloc = analysis.fills.get(w.buf)
    if alloc is None or alloc[1] is not w.scope or alloc[0] > share.order:
        return False
    if w.kind != _dst_side(share):
        return False
    src_side = NDARRAY if share.direction == "np->torch" else TENSOR
    return not any(ev.kind == src_side and ev.scope is w.scope and share.order < ev.order < w.order
                   for ev in loads)


def mutation_hazards(analysis: Analysis) -> list[Hazard]:
    cached = getattr(analysis, "_hazards", None)
    if cached is not None:
        return cached
    shares: dict[int, list[Share]] = defaultdict(list)
    for s in analysis.shares:
        shares[s.buf].append(s)
    loads: dict[int, list[Event]] = defaultdict(list)
    escapes: dict[int, list[Event]] = defaultdict(list)
    if shares:
        for ev in analysis.loads:
            if ev.buf in shares:
                loads[ev.buf].append(ev)
        for ev in analysis.escapes:
            if ev.buf in shares:
                escapes[ev.buf].append(ev)
    out: list[Hazard] = []
    seen: set[int] = set()
    for w in analysis.writes:
        if w.buf not in shares or id(w.node) in seen:
            continue
        before = [s for s in shares[w.buf]
                  if s.order < w.order and s.scope is w.scope and not exclusive(s.path, w.path)]
        before = [s for s in before if not filling(analysis, s, w, loads[w.buf])]
        if not before:
            continue
        share = before[0]
        other = NDARRAY if w.kind == TENSOR else TENSOR
        observer = None
        for ev in loads[w.buf]:
            if ev.kind == other and ev.order > w.order and ev.scope is w.scope \
                    and not exclusive(ev.path, w.path):
                observer = Observer("load", ev.node, ev.name)
                break
        if observer is None:
            for ev in escapes[w.buf]:
                if ev.kind == other and ev.scope is w.scope:
                    observer = Observer("escape", ev.node, None, ev.name or "")
                    break
        if observer is None and analysis.param_side.get(w.buf) == other:
            observer = Observer("caller", None, share.src_name)
        if observer is None and w.buf in analysis.attr_side:
            # a parameter kept on `self` outlives the call; numpy writes bypass its version counter
            side, attr, grad = analysis.attr_side[w.buf]
            if side == other and grad:
                observer = Observer("attribute", None, attr)
        if observer is None:
            continue
        seen.add(id(w.node))
        out.append(Hazard(w, share, observer))
    analysis._hazards = out  # type: ignore[attr-defined]
    return out
