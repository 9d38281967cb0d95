"""Unit tests of the analysis' memory-sharing facts: buffers, writes, loads, escapes, shares,
branch exclusivity and loops (what TNP201 / TNP202 are built on)."""

from __future__ import annotations

import textwrap

import libcst as cst

from tensorferry.analysis import Analysis, analyze
from tensorferry.facts import NDARRAY, TENSOR
from tensorferry.sharing import exclusive, mutation_hazards

HEAD = "import numpy as np\nimport torch\n"


def run(src: str) -> Analysis:
    return analyze(cst.parse_module(HEAD + textwrap.dedent(src)))


def env(src: str) -> dict:
    """Module-level bindings after the snippet."""
    return run(src).module_env


def code_of(a: Analysis, node) -> str:
    return a.module.code_for_node(node)


def writes(a: Analysis) -> list[tuple[str, str]]:
    return [(code_of(a, w.node), w.kind) for w in a.writes]


def func_events(a: Analysis, kind: str, scope: str) -> list:
    return [e for e in getattr(a, kind) if e.scope.name == scope]


# -- which names share a buffer ------------------------------------------------------------

def test_from_numpy_shares_buffer_with_source():
    e = env("a = np.zeros(3, dtype=np.float32)\nt = torch.from_numpy(a)\n")
    assert e["a"].kind == NDARRAY and e["t"].kind == TENSOR
    assert e["a"].buf is not None and e["a"].buf == e["t"].buf


def test_no_op_casts_and_views_keep_the_buffer():
    e = env("""
        a = np.zeros(3, dtype=np.float32)
        t = torch.from_numpy(a).float()
        v = t.view(3)
        d = t.detach()
        s = a[1:]
        c = t.cpu()
        x = torch.as_tensor(a)
        y = torch.asarray(a)
    """)
    for name in ("t", "v", "d", "s", "c", "x", "y"):
        assert e[name].buf == e["a"].buf, name


def test_copies_get_a_new_buffer():
    e = env("""
        a = np.zeros(3, dtype=np.float32)
        a64 = np.zeros(3)
        t1 = torch.tensor(a)
        t2 = torch.from_numpy(a.copy())
        t3 = torch.from_numpy(a).clone()
        t4 = torch.as_tensor(a64, dtype=torch.float32)
        t5 = torch.from_numpy(a).double()
        t6 = torch.asarray(a, copy=True)
        r = a + 1
    """)
    bufs = {e["a"].buf, e["a64"].buf}
    for name in ("t1", "t2", "t3", "t4", "t5", "t6", "r"):
        assert e[name].buf not in bufs, name


def test_torch_to_numpy_sharing():
    e = env("""
        t = torch.zeros(3)
        a1 = t.numpy()
        a2 = t.detach().numpy()
        a3 = t.cpu().numpy()
        a4 = np.asarray(t)
        a5 = t.numpy(force=True)
        c1 = t.numpy().copy()
        c2 = t.clone().numpy()
        c3 = np.asarray(t, dtype=np.float64)
        c4 = np.array(t)
    """)
    for name in ("a1", "a2", "a3", "a4", "a5"):
        assert e[name].buf == e["t"].buf, name
    for name in ("c1", "c2", "c3", "c4"):
        assert e[name].buf != e["t"].buf, name


def test_cpu_of_unknown_device_is_not_assumed_to_share():
    a = run("""
        def f(x: torch.Tensor):
            arr = x.cpu().numpy()
            arr += 1
    """)
    (share,) = a.shares  # `.numpy()` of the `.cpu()` result, a buffer of its own
    assert share.buf not in a.param_bufs
    assert a.param_side == {}
    assert mutation_hazards(a) == []


def test_legacy_constructor_aliases_only_float32():
    e = env("""
        a32 = np.zeros(3, dtype=np.float32)
        a64 = np.zeros(3)
        t32 = torch.Tensor(a32)
        t64 = torch.Tensor(a64)
    """)
    assert e["t32"].buf == e["a32"].buf
    assert e["t64"].buf != e["a64"].buf


def test_rebinding_drops_the_alias():
    e = env("""
        a = np.zeros(3, dtype=np.float32)
        t = torch.from_numpy(a)
        a = a + 1
    """)
    assert e["a"].buf != e["t"].buf


# -- recorded events ----------------------------------------------------------------------------

def test_share_records_direction_source_and_order():
    a = run("""
        a = np.zeros(3, dtype=np.float32)
        t = torch.from_numpy(a)
        arr = t.numpy()
    """)
    assert [(s.direction, s.src_name, s.src_kind) for s in a.shares] == [
        ("np->torch", "a", NDARRAY), ("torch->np", "t", TENSOR)]
    assert a.shares[0].order < a.shares[1].order
    assert code_of(a, a.shares[0].node) == "torch.from_numpy(a)"


def test_in_place_writes_are_recorded_per_side():
    a = run("""
        a = np.zeros(3, dtype=np.float32)
        t = torch.from_numpy(a)
        a += 1
        a[0] = 2
        np.add(a, 1, out=a)
        a.fill(0)
        np.random.shuffle(a)
        np.copyto(a, a)
        t.sub_(1)
        t[0] = 3
        torch.nn.init.normal_(t)
        t *= 2
    """)
    got = writes(a)
    assert got == [
        ("a += 1", NDARRAY), ("a[0]", NDARRAY), ("np.add(a, 1, out=a)", NDARRAY),
        ("a.fill(0)", NDARRAY), ("np.random.shuffle(a)", NDARRAY), ("np.copyto(a, a)", NDARRAY),
        ("t.sub_(1)", TENSOR), ("t[0]", TENSOR), ("torch.nn.init.normal_(t)", TENSOR),
        ("t *= 2", TENSOR),
    ]
    buf = a.module_env["a"].buf
    assert all(w.buf == buf for w in a.writes)


def test_out_of_place_ops_are_not_writes():
    a = run("""
        t = torch.zeros(3)
        u = t.add(1)
        v = t.sort()
        w = t.requires_grad_()
    """)
    assert a.writes == []


def test_loads_and_escapes():
    a = run("""
        def f(x):
            a = np.zeros(3, dtype=np.float32)
            t = torch.from_numpy(a)
            print(t)
            self_like = []
            self_like.append(a)
            x.attr = t
            return a
    """)
    loads = [(e.name, e.kind) for e in func_events(a, "loads", "f")]
    assert ("t", TENSOR) in loads and ("a", NDARRAY) in loads
    how = sorted((e.name, e.kind) for e in func_events(a, "escapes", "f"))
    assert how == [("returned", NDARRAY), ("stored in a container", NDARRAY),
                   ("stored on an attribute", TENSOR)]


def test_parameter_memory_is_owned_by_the_caller_through_views():
    a = run("""
        def f(w: torch.Tensor):
            arr = w.detach().numpy()
            arr[0] = 1
    """)
    (share,) = a.shares
    assert a.param_side[share.buf] == TENSOR
    (hz,) = mutation_hazards(a)
    assert hz.code == "TNP202" and hz.observer.how == "caller"


def test_class_attributes_from_init_are_seen_by_methods():
    a = run("""
        class Acc:
            def __init__(self, n):
                self.total = np.zeros(n, dtype=np.float32)

            def update(self, x):
                snap = torch.from_numpy(self.total)
                self.total += x
                return snap
    """)
    (share,) = a.shares
    assert share.scope.name == "update"
    (w,) = [w for w in a.writes if w.scope.name == "update"]
    assert w.buf == share.buf and w.name == "self.total"
    (hz,) = mutation_hazards(a)
    assert hz.code == "TNP201" and hz.observer.how == "load" and hz.observer.name == "snap"


def test_parameter_attribute_is_an_observer():
    a = run("""
        from torch import nn

        class P(nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = nn.Parameter(torch.ones(3))

            def noisy(self, noise):
                w = self.weight.detach().numpy()
                w += noise
                return w
    """)
    (hz,) = mutation_hazards(a)
    assert hz.code == "TNP202" and hz.observer.how == "attribute"
    assert hz.observer.name == "self.weight"


def test_plain_tensor_attribute_is_not_an_observer():
    a = run("""
        class Ring:
            def __init__(self):
                self.obs = torch.zeros(8)

            def add(self, i, x):
                v = self.obs.numpy()
                v[i] = x
    """)
    assert mutation_hazards(a) == []


# -- hazards: order, branches, loops ----------------------------------------------------------

def test_write_then_later_load_of_other_side_is_a_hazard():
    a = run("""
        a = np.zeros(3, dtype=np.float32)
        t = torch.from_numpy(a)
        a += 1
        print(t)
    """)
    (hz,) = mutation_hazards(a)
    assert hz.code == "TNP201" and hz.observer.how == "load" and hz.observer.name == "t"


def test_write_before_conversion_or_without_later_observer_is_not():
    assert mutation_hazards(run("""
        a = np.zeros(3, dtype=np.float32)
        print(a)
        a += 1
        t = torch.from_numpy(a)
        print(t)
    """)) == []
    assert mutation_hazards(run("""
        def f():
            a = np.arange(3, dtype=np.float32)
            t = torch.from_numpy(a)
            t.mul_(2)
            return t
    """)) == []


def test_branch_paths_and_exclusive():
    a = run("""
        def f(flag):
            a = np.random.rand(3).astype(np.float32)
            if flag:
                t = torch.from_numpy(a)
            else:
                a += 1
            return t
    """)
    (share,) = a.shares
    (w,) = a.writes
    assert share.path[-1][0] == "if" and w.path[-1][0] == "if"
    assert share.path[-1][1] == w.path[-1][1] and share.path[-1][2] != w.path[-1][2]
    assert exclusive(share.path, w.path)
    assert mutation_hazards(a) == []


def test_exclusive_rules():
    body, other, later = ("if", 1, 0), ("if", 1, 1), ("if", 2, 0)
    assert exclusive((body,), (other,))
    assert not exclusive((body,), (body,))
    assert not exclusive((body,), (later,))
    assert not exclusive((), (body,))
    # arms of an if inside different loop iterations are not exclusive
    assert not exclusive((("loop", 3, 0), body), (("loop", 3, 1), other))
    assert exclusive((("loop", 3, 0), body), (("loop", 3, 0), other))


def test_same_arm_write_and_share_is_a_hazard():
    a = run("""
        def f(flag):
            a = np.random.rand(3).astype(np.float32)
            if flag:
                t = torch.from_numpy(a)
                a += 1
                return t
            return None
    """)
    assert [h.code for h in mutation_hazards(a)] == ["TNP201"]


def test_loop_reaches_a_fixpoint_and_sees_the_next_iteration():
    a = run("""
        def f(batches):
            buf = np.random.rand(3).astype(np.float32)
            t = torch.from_numpy(buf)
            out = []
            for b in batches:
                out.append(t.sum())
                buf += b
            return out
    """)
    iters = {w.path[-1][2] for w in a.writes}
    assert iters and max(iters) < 3  # iterations are bounded
    assert len(iters) >= 2  # the body ran again after the write changed nothing it tracks
    (hz,) = mutation_hazards(a)
    assert hz.observer.how == "load" and hz.observer.name == "t"
    later = [e for e in a.loads if e.node is hz.observer.node and e.order > hz.write.order]
    assert later and later[0].path[-1][2] > hz.write.path[-1][2]


def test_loop_with_fresh_array_each_iteration_is_not_a_hazard():
    a = run("""
        seen = []
        for i in range(3):
            a = np.full(3, i, dtype=np.float32)
            t = torch.from_numpy(a)
            seen.append(t.sum())
            a += 1
    """)
    assert mutation_hazards(a) == []


def test_filling_a_fresh_buffer_is_not_a_hazard():
    a = run("""
        def pack(data):
            buf = torch.empty(4)
            view = buf.numpy()
            view[:] = data
            return buf
    """)
    (w,) = a.writes
    assert w.buf in a.fills
    assert mutation_hazards(a) == []


def test_fresh_buffer_read_before_the_write_is_a_hazard():
    a = run("""
        def step():
            buf = torch.zeros(4)
            view = buf.numpy()
            before = buf.sum()
            view += 1
            return buf, before
    """)
    assert [h.code for h in mutation_hazards(a)] == ["TNP202"]
