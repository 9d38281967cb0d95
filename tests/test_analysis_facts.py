"""Unit tests of the shared analysis: import aliases, grad mode, grad and device facts.

Each snippet calls an unknown function ``probe(...)``; its arguments are evaluated and recorded
like any call's, so ``probe(x)`` shows what the analysis knows about ``x`` at that statement.
"""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from tensorferry.analysis import analyze
from tensorferry.facts import ACCEL, CPU, MAYBE, META, NDARRAY, NNMODULE, REF, TENSOR, UNKNOWN


def run(src: str):
    return analyze(cst.parse_module(textwrap.dedent(src)))


def probes(src: str, name: str = "probe"):
    """The argument values of every ``probe(...)`` call, in program order (last loop pass wins)."""
    a = run(src)
    by_node = {}
    for f in a.calls:
        if isinstance(f.node.func, cst.Name) and f.node.func.value == name:
            by_node[id(f.node)] = f
    facts = sorted(by_node.values(), key=lambda f: f.order)
    return [[v for _, v, _ in f.args] for f in facts]


def probe_values(src: str):
    return [args[0] for args in probes(src)]


def probe_modes(src: str):
    """Grad mode at each ``probe(N)``, ordered by N (function bodies run after the module)."""
    a = run(src)
    modes = {}
    for f in a.calls:
        if isinstance(f.node.func, cst.Name) and f.node.func.value == "probe":
            modes[f.args[0][1].const] = f.grad
    return [modes[k] for k in sorted(modes)]


# --- import aliases ---------------------------------------------------------------------------

def test_import_torch_as_alias():
    (v,) = probe_values("""
        import torch as T
        x = T.zeros(3, requires_grad=True)
        probe(x)
    """)
    assert v.kind == TENSOR and v.grad == "yes" and v.device == CPU


def test_from_torch_import_tensor_as_alias():
    a = run("""
        from torch import Tensor as TT
        t = TT([1.0, 2.0])
    """)
    (fact,) = [f for f in a.calls if f.qual is not None]
    assert fact.qual == "torch.Tensor"
    assert fact.result.kind == TENSOR


def test_import_torch_nn_as_nn():
    (m, out) = probe_values("""
        import torch
        import torch.nn as nn
        m = nn.Linear(2, 2)
        probe(m)
        probe(m(torch.ones(1, 2)))
    """)
    assert m.kind == NNMODULE and m.info == "parametric"
    assert out.kind == TENSOR and out.grad == "yes"


def test_from_numpy_import_asarray():
    a = run("""
        import torch
        from numpy import asarray
        arr = asarray(torch.ones(2))
    """)
    (fact,) = [f for f in a.calls if f.qual == "numpy.asarray"]
    assert fact.result.kind == NDARRAY


def test_plain_import_binds_top_package():
    (v,) = probe_values("""
        import torch.nn
        probe(torch.nn.Linear)
    """)
    assert v.kind == REF and v.qual == "torch.nn.Linear"


def test_parameter_shadows_module_alias():
    (v,) = probe_values("""
        import torch

        def f(torch):
            probe(torch.zeros(3, requires_grad=True))
    """)
    assert v.kind != TENSOR and v.grad is None


def test_rebinding_drops_alias():
    (v,) = probe_values("""
        import torch
        torch = object()
        probe(torch.zeros(2, requires_grad=True))
    """)
    assert v.kind != TENSOR


def test_unknown_module_is_not_torch():
    (v,) = probe_values("""
        import mytorch as torch
        probe(torch.zeros(2, requires_grad=True))
    """)
    assert v.kind != TENSOR


# --- grad mode per call -----------------------------------------------------------------------

def test_grad_mode_contexts():
    modes = probe_modes("""
        import torch
        probe(1)
        with torch.no_grad():
            probe(2)
            with torch.enable_grad():
                probe(3)
        with torch.inference_mode():
            probe(4)
        with torch.inference_mode(False):
            probe(5)
        with torch.set_grad_enabled(False):
            probe(6)
        probe(7)
    """)
    assert modes == ["on", "off", "on", "off", "on", "off", "on"]


def test_set_grad_enabled_as_statement():
    modes = probe_modes("""
        import torch
        probe(1)
        torch.set_grad_enabled(False)
        probe(2)
        torch.set_grad_enabled(True)
        probe(3)
    """)
    assert modes == ["on", "off", "on"]


def test_set_grad_enabled_unknown_flag_is_maybe():
    modes = probe_modes("""
        import torch

        def f(train):
            with torch.set_grad_enabled(train):
                probe(1)
    """)
    assert modes == ["maybe"]


def test_decorators_and_nested_functions():
    modes = probe_modes("""
        import torch

        @torch.no_grad()
        def a():
            probe(1)

            def inner():
                probe(2)
            return inner

        @torch.inference_mode()
        def b():
            probe(3)

        @torch.inference_mode(False)
        def c():
            probe(4)

        def d():
            probe(5)
    """)
    assert modes == ["off", "off", "off", "on", "on"]


def test_model_eval_does_not_disable_grad():
    (v,) = probe_values("""
        import torch.nn as nn
        import torch
        model = nn.Linear(2, 1)
        model.eval()
        probe(model(torch.ones(1, 2)))
    """)
    assert v.grad == "yes"


# --- grad facts after each statement ----------------------------------------------------------

def test_grad_through_statements():
    vals = probe_values("""
        import torch
        x = torch.randn(3)
        probe(x)
        x.requires_grad_()
        probe(x)
        y = x * 2
        probe(y)
        z = y.detach()
        probe(z)
        with torch.no_grad():
            w = x + 1
        probe(w)
        x.requires_grad_(False)
        probe(x)
        p = torch.nn.Parameter(torch.ones(2))
        probe(p)
        q = torch.ones(2)
        q.requires_grad = True
        probe(q)
    """)
    assert [v.grad for v in vals] == ["no", "yes", "yes", "no", "no", "no", "yes", "yes"]
    assert vals[1].grad_why == "`.requires_grad_()` was called on it"
    assert vals[6].grad_why == "it is an `nn.Parameter`"


def test_module_outputs_and_parameters():
    vals = probe_values("""
        import torch
        import torch.nn as nn
        lin = nn.Linear(2, 2)
        relu = nn.ReLU()
        x = torch.ones(1, 2)
        probe(relu(x))
        probe(lin(x))
        seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        probe(seq(x))
        for p in lin.parameters():
            probe(p)
        lin.requires_grad_(False)
        probe(lin(x))
    """)
    # a module without parameters is not claimed either way: its output grad follows unknown inputs
    assert [v.grad for v in vals] == [None, "yes", "yes", "yes", None]
    assert vals[3].grad_why == "it is a parameter of a module"


def test_unknown_parameter_stays_unknown():
    (v,) = probe_values("""
        def f(t):
            probe(t.numpy())
    """)
    (t,) = probes("""
        def f(t):
            probe(t)
    """)[0]
    assert t.kind == UNKNOWN and t.grad is None and t.device is None


def test_annotated_parameter_is_a_tensor():
    (v,) = probe_values("""
        import torch

        def f(t: torch.Tensor):
            probe(t)
    """)
    assert v.kind == TENSOR and v.grad is None and v.device is None


# --- device facts -----------------------------------------------------------------------------

def test_device_through_statements():
    vals = probe_values("""
        import torch
        x = torch.randn(3)
        probe(x)
        probe(x.cuda())
        probe(x.to("cuda:1"))
        probe(x.to(0))
        probe(torch.zeros(2, device="mps"))
        probe(x.cuda().cpu())
        probe(x.to("cuda").to("cpu"))
        probe(torch.ones(2, device=torch.device("cuda")))
        probe(x.to("meta"))
        probe(torch.empty(2, device="meta"))
        probe(torch.empty(2, device=torch.device("meta")).cpu())
    """)
    assert [v.device for v in vals] == [CPU, ACCEL, ACCEL, ACCEL, ACCEL, CPU, CPU, ACCEL, META, META, CPU]


def test_device_chosen_at_run_time_is_maybe():
    vals = probe_values("""
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"
        probe(device)
        dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        x = torch.randn(2)
        probe(x.to(device))
        probe(x.to(dev))
        probe(torch.zeros(2, device=device))
        probe(x.to(device).cpu())
    """)
    assert [v.device for v in vals] == [MAYBE, MAYBE, MAYBE, MAYBE, CPU]


def test_if_else_join_cpu_and_accel_is_maybe():
    vals = probe_values("""
        import torch

        def f(use_cuda):
            x = torch.randn(3)
            if use_cuda:
                x = x.cuda()
            probe(x)
            y = torch.randn(3)
            if use_cuda:
                y = y.cuda()
            else:
                y = y.to("cuda:1")
            probe(y)
            z = torch.randn(3)
            if use_cuda:
                z = z.double()
            probe(z)
    """)
    assert [v.device for v in vals] == [MAYBE, ACCEL, CPU]
    assert vals[0].device_why == "on some paths it was moved with `.cuda()`"


def test_if_else_join_grad():
    vals = probe_values("""
        import torch

        def f(flag):
            x = torch.randn(3)
            if flag:
                x = x.requires_grad_()
            probe(x)
            y = torch.randn(3, requires_grad=True)
            if flag:
                y = y.detach()
            else:
                y = y.detach().clone()
            probe(y)
    """)
    assert [v.grad for v in vals] == [None, "no"]


def test_loops_reach_a_fixpoint():
    vals = probe_values("""
        import torch
        x = torch.randn(3)
        for i in range(3):
            probe(x)
            x = x.cuda()
        probe(x)
        h = torch.zeros(2)
        for step in range(4):
            h = h + torch.ones(2, requires_grad=True)
        probe(h)
    """)
    assert [v.device for v in vals[:2]] == [MAYBE, MAYBE]
    assert vals[2].grad is None  # zero iterations keep "no", later ones "yes"


def test_loop_over_parameters_of_a_module_moved_to_accel():
    (p,) = probe_values("""
        import torch.nn as nn
        model = nn.Linear(2, 2).cuda()
        for p in model.parameters():
            probe(p)
    """)
    assert p.grad == "yes" and p.device == ACCEL


# --- class attributes -------------------------------------------------------------------------

def test_class_attributes_from_init():
    vals = probe_values("""
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 1)
                self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
                self.scale = nn.Parameter(torch.ones(1))

            def forward(self, x):
                probe(self.fc(x))
                probe(x.to(self.device))
                probe(self.scale)
                probe(self(x))
    """)
    assert vals[0].grad == "yes"
    assert vals[1].device == MAYBE
    assert vals[2].grad == "yes"


def test_attribute_reassigned_outside_init_is_unknown():
    (v,) = probe_values("""
        import torch

        class Runner:
            def __init__(self):
                self.buf = torch.zeros(2, requires_grad=True)

            def reset(self, t):
                self.buf = t

            def show(self):
                probe(self.buf)
    """)
    assert v.kind == UNKNOWN


def test_instance_of_local_module_class():
    vals = probe_values("""
        import torch
        import torch.nn as nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 1)

            def forward(self, x):
                return self.fc(x)

        m = M()
        probe(m(torch.ones(1, 3)))
        m2 = M().cuda()
        probe(m2(torch.ones(1, 3).cuda()))
    """)
    assert vals[0].grad == "yes" and vals[0].device == CPU
    assert vals[1].grad == "yes" and vals[1].device == ACCEL


def test_calls_inside_concatenated_fstrings_are_evaluated():
    (v,) = probe_values("""
        import torch
        w = torch.ones(2, requires_grad=True)
        msg = "weights: " f"{probe(w)}"
    """)
    assert v.grad == "yes"


@pytest.mark.parametrize("src", [
    "import torch\nx: torch.Tensor\nprobe(isinstance(x, torch.Tensor))\n",
])
def test_tensor_used_as_a_type_is_not_a_tensor(src):
    (v,) = probe_values(src)
    assert v.kind != TENSOR


# --- numpy dtypes -------------------------------------------------------------------------------

def test_numpy_default_and_named_dtypes():
    vals = probe_values("""
        import numpy as np
        import torch

        def f(shape, n, dtype):
            probe(np.zeros(n))
            probe(np.empty(shape, dtype=None))
            probe(np.empty(shape, dtype=dtype))
            probe(np.zeros(n, dtype))
            probe(np.zeros(n, np.float32))
            probe(np.full(n, 0.5, "f4"))
            probe(np.full(n, 0.5, dtype=dtype))
            probe(np.array([0.5, 1.5], dtype=dtype))
            probe(np.linspace(0.0, 1.0, 5, dtype=dtype))
            probe(np.arange(0.0, 1.0, 0.1, dtype))
            probe(np.random.rand(n).astype(dtype))
            probe(np.random.rand(n).mean(dtype=np.float32))
            probe(torch.as_tensor(np.random.rand(n), dtype=dtype))
    """)
    assert [v.kind for v in vals] == [NDARRAY] * 12 + [TENSOR]
    assert [v.dtype for v in vals] == ["float64", "float64", None, None, "float32", "float32",
                                       None, None, None, None, None, "float32", None]
    assert vals[0].dtype_node is not None  # numpy's default: the call is remembered
    assert all(v.dtype_node is None for v in vals[2:])


def test_statement_walk_reaches_one_line_suites_and_nested_blocks():
    import libcst as cst

    from tensorferry.analysis import Analyzer, simple_statements

    module = cst.parse_module(
        "class M:\n"
        "    def __init__(self): self.a = 0\n"
        "    def step(self): self.a += 1\n"
        "    def f(self, c):\n"
        "        if c: self.b += 1\n"
        "        else: self.c += 1\n"
        "        try: self.b = 0\n"
        "        except E: pass\n"
        "        for _ in c:\n"
        "            with c:\n"
        "                self.d += 1\n"
        "        def inner(): self.e += 1\n"
    )
    cls = module.body[0]
    assert Analyzer.attrs_only_augassigned_outside_init(None, cls) == {"a", "c", "d", "e"}
    one_liner = cls.body.body[1]
    assert [type(s).__name__ for s in simple_statements(one_liner.body)] == ["AugAssign"]


@pytest.mark.parametrize("literal", [
    "'a'", '"a"', "''", '""', "'''a'''", '"""a"b"""', "''''''", "u'x'", "R'\\d'", "r'''\\n'''",
    "'a\\nb'", "'\\x41\\u00e9\\U0001F600'", "'\\101'", "'\\\\'", "'\\''", "'\\N{BULLET}'",
    "'\\d'", "'line\\\ncontinued'", "b'x'", "Rb'x'", "'caf\u00e9'", "'caf\u00e9\\n'",
    "'''a\r\nb'''", "f'x'",
])
def test_string_value_agrees_with_literal_eval(literal):
    import ast
    import warnings

    from tensorferry.analysis import string_value

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = ast.literal_eval(literal)
        except Exception:
            expected = None
        got = string_value(literal)
    assert got == (expected if isinstance(expected, str) else None)
