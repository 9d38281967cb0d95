from __future__ import annotations

from tensorferry.facts import TENSOR
from tensorferry.rules._common import describe
from tensorferry.rules._triggers import GRAD, TORCH
from tensorferry.rules.base import Rule, RuleDocs

# methods that keep the graph of their receiver (a `.cpu()` result stays "the same" value through them)
KEEPS_GRAPH = {"cpu", "to", "float", "double", "half", "squeeze", "unsqueeze", "view", "reshape",
                "flatten", "contiguous", "clone", "permute", "transpose", "t", "view_as", "reshape_as"}
_BACKWARD_QUALS = {"torch.autograd.grad", "torch.autograd.backward"}
# evidence phrases of leaf tensors: a stored copy of a leaf keeps no graph worth reporting
_LEAF_WHY = {"it is a parameter of a module", "it is an `nn.Parameter`", "it is a module parameter",
             "it is created with `requires_grad=True`", "`.requires_grad_()` was called on it",
             "`requires_grad` is set to True"}
# container methods that keep their argument (`update` is left out: caches and meters use the name
# for calls that compute with their arguments, e.g. a KV cache's `update(key, value, layer)`)
KEEPING_METHODS = {"append", "extend", "insert", "appendleft", "add", "put", "setdefault"}


def _is_backward(f) -> bool:
    return f.method == "backward" or f.qual in _BACKWARD_QUALS


def _loops(path) -> set:
    return {p[1] for p in path if p[0] == "loop"}


class GraphRetention(Rule):
    code = "TNP304"
    name = "graph-retention"
    summary = "a `.cpu()` / `.to(...)` result of a grad tensor, or a `+=` total of losses, is kept with its autograd graph"
    fix_availability = "always"
    fix_applicability = "unsafe"
    # `.cpu()` / `.to()` of a tensor that requires grad, or `+=` / `-=` of one
    triggers = (((".cpu", ".to", "+=", "-="), GRAD),)
    gate_walks = True

    @classmethod
    def gate(cls, syntax) -> bool:
        # a `.cpu()` / `.to()` result that reaches a store (see `_graph_flows.moved_store`), or `+=` / `-=`
        # in a function (with what it nests) that calls backward or `.eval()`
        from tensorferry.rules._graph_flows import ADD_SUB, moved_store

        if syntax.method_called(("cpu", "to")) and moved_store(syntax):
            return True
        if not syntax.augassigns & ADD_SUB:
            return False
        autograd = syntax.calls(("grad", "backward"), TORCH)
        for u in syntax.units():
            if ("aug:Add" in u or "aug:Sub" in u) and (
                    autograd or "call:backward" in u or "call:eval" in u):
                return True
        return False

    docs = RuleDocs(
        what="""
Flags two ways of keeping an autograd graph alive beyond the statement that built it, while grad
mode is on:

* a `.cpu()` or `.to(...)` result of a tensor that provably requires grad (a module output, a
  parameter, a tensor created with `requires_grad=True`, or computed from one) that is stored
  without `.detach()`: appended or inserted into a container (`outs.append(out.cpu())`), put in a
  container item (`results[k] = out.cpu()`), or set on an attribute (`self.last = out.to("cpu")`),
  directly or through a name, and also inside a tuple, list or dict literal that is stored;
* `total += loss` in a loop, where `total` carries over from before the loop and `loss` is a
  tensor that requires grad, when either `loss` (or the tensor it was computed from) was already
  backpropagated in the same iteration (a training loop that sums losses for logging), or the
  function switches a model to `.eval()` and never calls `backward` (an evaluation loop without
  `torch.no_grad()`).
""",
        why="""
A tensor that requires grad holds its `grad_fn`, and through it every node of the graph that
produced it, with the tensors those nodes saved for backward (activations, inputs, weight views).
`.cpu()` and `.to(...)` do not detach: on CPU `out.cpu()` is `out` itself; from an accelerator the
copy records a `ToCopyBackward0` node that still points at the whole graph. Keeping such results
keeps every graph alive: 50 kept outputs of a 512->4096->10 MLP in an evaluation loop without
`torch.no_grad()` kept 200 saved tensors (433 MB counted) alive and grew RSS by 201 MB; with
`.detach()` nothing was kept (runtime-facts section 5).

`total += loss` is the same mistake written as arithmetic (the PyTorch FAQ's "don't accumulate
history across your training loop"): `total` becomes a tensor whose graph chains every
iteration's graph. In a training loop `backward()` has already freed the saved tensors, but every
iteration's nodes stay reachable from `total` for as long as it lives; in an evaluation loop
without `torch.no_grad()` every batch's activations stay alive too.
""",
        example="""
model.eval()
preds = []
for x in loader:
    out = model(x)
    preds.append(out.cpu())

total_loss = 0.0
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    total_loss += loss
""",
        use_instead="""
model.eval()
preds = []
with torch.no_grad():
    for x in loader:
        out = model(x)
        preds.append(out.cpu())

total_loss = 0.0
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    total_loss += loss.item()
""",
        fix_safety="""
The fix inserts `.detach()`: `out.detach().cpu()` for stored copies, `total += loss.detach()` for
totals. The stored values are the same numbers with the same dtype and device, but they no longer
require grad and have no `grad_fn`, so code that later calls `backward()` through them, or reads
their `grad_fn`, behaves differently. The fix is unsafe. `loss.item()` (a Python number) is the
usual choice for totals that are only printed or logged; the fix keeps a tensor so the type of
`total` does not change. Wrapping an evaluation loop in `torch.no_grad()` is better still, and
not done automatically.
""",
        references=(
            "[PyTorch FAQ: my model reports cuda runtime error(2): out of memory](https://pytorch.org/docs/stable/notes/faq.html)",
            "[torch.Tensor.detach](https://pytorch.org/docs/stable/generated/torch.Tensor.detach.html)",
            "runtime-facts.md section 5",
        ),
        known_limits="""
Only values proven to require grad are reported: outputs of modules with parameters, parameters,
`requires_grad=True` tensors and tensors computed from them in the same function. Tensors passed
in as unannotated parameters are unknown, and grad mode is judged within the function (a helper
called from inside `torch.no_grad()` elsewhere is assumed to run with grad on).
A stored copy is not reported when the function calls `backward` (or `torch.autograd.grad`)
later outside the loop that stores it: the kept graph may be meant for that backward pass.
A `+=` total is reported only with the proof above (its graph was already backpropagated, or
the function evaluates a model and never calls backward); a total that is returned and
backpropagated by a caller, such as the sum of several loss terms, is deliberate and not reported.
Copies of leaves (`p.cpu()` of a parameter or of a `requires_grad=True` tensor named directly)
are not reported: they keep no computation graph, only the leaf itself.
Values stored through a function call, or inside objects other than tuple, list and dict
literals, are not followed.
""",
    )

    def check(self, analysis, ctx) -> None:
        moved: dict[int, object] = {}
        backwards = []
        evals: dict[int, object] = {}
        for f in analysis.calls:
            if _is_backward(f):
                backwards.append(f)
            if f.method == "eval" and not f.args:
                evals.setdefault(id(f.scope), f)
            recv, res = f.recv, f.result
            if f.method is None or recv is None or res.kind != TENSOR or res.grad != "yes":
                continue
            if f.method in ("cpu", "to") and recv.kind == TENSOR and recv.grad == "yes" and f.grad == "on":
                if f.method == "to" and not f.args:
                    continue
                if recv.grad_why in _LEAF_WHY and f.recv_node.__class__.__name__ in ("Name", "Attribute"):
                    continue  # `p.cpu()` of a parameter or leaf: no graph behind it
                moved[id(res)] = f
            elif f.method in KEEPS_GRAPH and id(recv) in moved:
                moved[id(res)] = moved[id(recv)]
        done: set[int] = set()
        for s in analysis.stores:
            if s.how == "accumulate":
                self._accumulate(s, analysis, ctx, backwards, evals, done)
                continue
            if s.grad != "on" or s.value_node is None:
                continue
            if s.how == "container" and not (
                    s.node.__class__.__name__ == "Call" and s.node.func.__class__.__name__ == "Attribute"
                    and s.node.func.attr.value in KEEPING_METHODS):
                continue
            for node in self._stored_nodes(s.value_node):
                f = moved.get(id(analysis.value_of(node)))
                if f is None or id(f.node) in done:
                    continue
                if self._backward_later(s, backwards):
                    continue
                done.add(id(f.node))
                self._report_moved(f, s, node, ctx)

    # -- stored copies ---------------------------------------------------------------------------
    @staticmethod
    def _stored_nodes(node):
        from tensorferry.family import cst

        out = [node]
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, (cst.Tuple, cst.List)):
                kids = [e.value for e in n.elements if not isinstance(e, cst.StarredElement)]
            elif isinstance(n, cst.Dict):
                kids = [e.value for e in n.elements if isinstance(e, cst.DictElement)]
            else:
                continue
            out += kids
            stack += kids
        return out

    @staticmethod
    def _backward_later(s, backwards) -> bool:
        loops = _loops(s.path)
        for b in backwards:
            if b.scope is s.scope and b.order > s.order and not (loops & _loops(b.path)):
                return True
        return False

    def _report_moved(self, f, s, stored_node, ctx) -> None:
        from tensorferry.family import cst

        call = f.node
        x = call.func.value
        t = f.recv
        why = t.grad_why or "it requires grad"
        ev = f" (line {ctx.line(t.grad_node)})" if t.grad_node is not None else ""
        op = ".cpu()" if f.method == "cpu" else ".to(...)"
        target = f"`{s.target}`" if s.target else "a container"
        if s.how == "attribute":
            where = f"stored on {target if s.target else 'an attribute'}"
        elif s.how == "item":
            where = f"stored in an item of {target}"
        else:
            where = f"stored in {target}"
        name = describe(ctx, x)
        msg = (f"`{op}` does not detach: {name} requires grad ({why}{ev}) and grad mode is on, so "
               f"the result, {where} (line {ctx.line(s.node)}), keeps its whole autograd graph "
               f"alive; insert `.detach()` before `{op}`")
        detached = cst.Call(func=cst.Attribute(value=x, attr=cst.Name("detach")))
        new = call.with_changes(func=call.func.with_changes(value=detached), lpar=[], rpar=[])
        fix = ctx.fix("unsafe", f"Insert `.detach()` before `{op}` (the stored value no longer requires grad)",
                      ctx.replace(call, new))
        ctx.report(call, msg, fix=fix)

    # -- `total += loss` ---------------------------------------------------------------------------
    def _accumulate(self, s, analysis, ctx, backwards, evals, done) -> None:
        from tensorferry.rules._numpy_calls import insert_before_numpy

        v = s.value
        if (not s.carried or s.grad != "on" or v.kind != TENSOR or v.grad != "yes"
                or id(s.node) in done):
            return
        loops = _loops(s.path)
        rhs_bufs = self._bufs(s.value_node, analysis)
        proof = None
        for b in backwards:
            if b.scope is not s.scope or b.order > s.order or not (loops & _loops(b.path)):
                continue
            if b.recv_node is not None and rhs_bufs & self._bufs(b.recv_node, analysis):
                proof = f"it was already backpropagated (line {ctx.line(b.node)})"
                break
        if proof is None:
            ev = evals.get(id(s.scope))
            if ev is None or any(b.scope is s.scope for b in backwards):
                return
            proof = (f"the model is in `.eval()` (line {ctx.line(ev.node)}) and this function never "
                     f"calls backward, so every batch's saved activations stay alive")
        done.add(id(s.node))
        why = v.grad_why or "it requires grad"
        ev_line = f", line {ctx.line(v.grad_node)}" if v.grad_node is not None else ""
        rhs = describe(ctx, s.value_node)
        op = "+=" if s.node.operator.__class__.__name__ == "AddAssign" else "-="
        msg = (f"`{s.target} {op} {rhs.strip('`')}` chains every iteration's autograd graph into "
               f"`{s.target}`: {rhs} requires grad ({why}{ev_line}) and {proof}; "
               f"accumulate `.item()` or `.detach()`")
        edit = insert_before_numpy(ctx, s.value_node, ".detach()")
        fix = ctx.fix("unsafe", "Accumulate `.detach()` (the total no longer requires grad)", edit) if edit else None
        ctx.report(s.node, msg, fix=fix)

    @staticmethod
    def _bufs(node, analysis) -> set:
        from tensorferry.family import cst

        out = set()
        stack = [node]
        while stack:
            n = stack.pop()
            b = analysis.value_of(n).buf
            if b is not None:
                out.add(b)
            if isinstance(n, cst.BinaryOperation):
                stack += [n.left, n.right]
            elif isinstance(n, cst.UnaryOperation):
                stack.append(n.expression)
        return out
