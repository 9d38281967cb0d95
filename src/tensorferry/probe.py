"""Where can a file hold a finding? The analysis and the rules run on light nodes built from
CPython's tree, and libcst parses the file only when a rule gets as far as a report, and then
only the functions where one does.

libcst's parse (its native parser and the conversion of every token into Python objects) was
most of the checker's time, and most files that pass the prefilters hold no finding. The
analysis reads only the structure of the tree (node types, names, operators, arguments,
statements), never whitespace, parentheses or comments, so it runs just as well on nodes made
directly from CPython's ``ast``: the light classes of ``tensorferry.nodes``, which carry libcst's
class names and structural fields (the analysis and the rules take the classes to test against
from the tree they read: ``tensorferry.family``), and no whitespace. Building them costs a
fraction of libcst's parse, and a run where no file holds a finding never imports libcst.

The rules run on that tree with a context that gives a node's code and line from the source and
stops at the first thing only a report needs (a span, an edit, a fix, the report itself). Where
no rule gets that far, the file has no finding (``locate`` answers None). Where one does, the
rules run again to the end with a context that records the row of every report
(``LocateContext``), and the file is linted as before, from libcst's own parse, which gives the
positions, the messages and the fixes, with every function that holds none of those rows left
out as well (``reduce.Parts.narrow``: a function's findings depend only on its own body and on
what is always kept). Where anything on the way fails or asks for more (the module, a field or a
node the builder did not make), libcst parses the file as planned (``ANYWHERE``). So the findings
are always libcst's. ``tests/test_probe.py`` checks the built tree against libcst's and the
findings with and without this step, and ``bench/prefilter.py --compare`` checks the findings on
the corpus.

Where the two trees could differ, the tree built here follows libcst's: a string made of several
literals (``"a" "b"``) is a ``ConcatenatedString``, a one-line suite (``if x: a; b``) a
``SimpleStatementSuite``, ``elif`` an ``If`` in ``orelse``, ``x[a, b]`` two subscript elements
and ``x[(a, b)]`` one, and call arguments keep their order in the source. A function left out by
``tensorferry.reduce`` is ``def name(*_):`` with its decorators and an empty string for a body,
as in the reduced source. A ``match`` statement keeps its subject and case bodies (all the
analysis reads). Sequences are lists where libcst has tuples.
"""

from __future__ import annotations

import ast

from tensorferry import nodes as cst

_DEFAULT = cst.MaybeSentinel.DEFAULT


class Unsupported(Exception):
    """A construct this builder does not make; the file is linted from libcst's parse."""


_BINOPS = {
    ast.Add: cst.Add(), ast.Sub: cst.Subtract(), ast.Mult: cst.Multiply(),
    ast.Div: cst.Divide(), ast.FloorDiv: cst.FloorDivide(), ast.Mod: cst.Modulo(),
    ast.Pow: cst.Power(), ast.MatMult: cst.MatrixMultiply(),
    ast.LShift: cst.LeftShift(), ast.RShift: cst.RightShift(),
    ast.BitOr: cst.BitOr(), ast.BitAnd: cst.BitAnd(), ast.BitXor: cst.BitXor(),
}
_AUGOPS = {
    ast.Add: cst.AddAssign(), ast.Sub: cst.SubtractAssign(),
    ast.Mult: cst.MultiplyAssign(), ast.Div: cst.DivideAssign(),
    ast.FloorDiv: cst.FloorDivideAssign(), ast.Mod: cst.ModuloAssign(),
    ast.Pow: cst.PowerAssign(), ast.MatMult: cst.MatrixMultiplyAssign(),
    ast.LShift: cst.LeftShiftAssign(), ast.RShift: cst.RightShiftAssign(),
    ast.BitOr: cst.BitOrAssign(), ast.BitAnd: cst.BitAndAssign(),
    ast.BitXor: cst.BitXorAssign(),
}
_UNARY = {ast.UAdd: cst.Plus(), ast.USub: cst.Minus(), ast.Invert: cst.BitInvert(),
          ast.Not: cst.Not()}
_BOOL = {ast.And: cst.And(), ast.Or: cst.Or()}
_COMPARE = {
    ast.Eq: cst.Equal(), ast.NotEq: cst.NotEqual("!="), ast.Lt: cst.LessThan(),
    ast.LtE: cst.LessThanEqual(), ast.Gt: cst.GreaterThan(),
    ast.GtE: cst.GreaterThanEqual(), ast.Is: cst.Is(), ast.IsNot: cst.IsNot(),
    ast.In: cst.In(), ast.NotIn: cst.NotIn(),
}
_ASYNC = cst.Asynchronous()
_IMPORT_STAR = cst.ImportStar()
_DOT = cst.Dot()
_SLASH = cst.ParamSlash()
_PARAM_STAR = cst.ParamStar()
_EMPTY_DOC = '""""""'
_OWN_PARENS = (ast.Tuple, ast.GeneratorExp)
_QUOTES = ('"""', "'''", '"', "'")


class Builder:
    """Light nodes (``tensorferry.nodes``) from CPython's tree of ``source``; ``dropped`` holds the ids of the function
    nodes left out (``reduce.Plan.dropped``), and with ``class_facts`` each class gets the
    attribute sets the reduced parse would have had (``reduce.class_facts``)."""

    def __init__(self, source: str, dropped: frozenset = frozenset(), class_facts: bool = False
                 ) -> None:
        self.source = source
        self.dropped = dropped
        self.class_facts: dict[int, tuple] | None = {} if class_facts else None
        self._lines: list[bytes] | None = None
        self.origin: dict[int, ast.AST] = {}  # id(built expression) -> its CPython node
    # -- source bytes (CPython's columns count UTF-8 bytes) -----------------------------------------
    def line(self, lineno: int) -> bytes:
        if self._lines is None:
            self._lines = self.source.encode("utf-8", "surrogatepass").splitlines(keepends=True)
        return self._lines[lineno - 1] if 0 < lineno <= len(self._lines) else b""

    def code_of(self, node) -> str:
        """The source text of a built expression, as libcst's ``code_for_node`` gives it. Not
        answered for tuples and generator expressions, whose parentheses CPython counts in the
        node and libcst keeps apart."""
        n = self.origin[id(node)]
        if type(n) in _OWN_PARENS:
            raise Unsupported("text in parentheses")
        return self.segment(n).decode("utf-8", "surrogatepass")

    def segment(self, n) -> bytes:
        """The source bytes of CPython's node ``n``."""
        if n.lineno == n.end_lineno:
            return self.line(n.lineno)[n.col_offset:n.end_col_offset]
        return (self.line(n.lineno)[n.col_offset:]
                + b"".join(self.line(i) for i in range(n.lineno + 1, n.end_lineno))
                + self.line(n.end_lineno)[:n.end_col_offset])

    def line_of(self, node) -> int:
        n = self.origin[id(node)]
        if type(n) in _OWN_PARENS:
            raise Unsupported("position in parentheses")
        return n.lineno

    # -- module -------------------------------------------------------------------------------------
    def module(self, tree: ast.Module):
        return cst.Module(body=self.statements(tree.body))

    def statements(self, body: list) -> list:
        """Statement lines: consecutive simple statements on one line form one line (`a; b`)."""
        out: list = []
        line = None
        last_end = -1
        simple = _SMALL
        for stmt in body:
            t = type(stmt)
            if t in simple:
                small = simple[t](self, stmt)
                self.origin[id(small)] = stmt
                if line is not None and stmt.lineno == last_end:
                    line.append(small)
                else:
                    line = [small]
                    out.append(cst.SimpleStatementLine(body=line))
                last_end = stmt.end_lineno
                continue
            line = None
            conv = _STMT.get(t)
            if conv is None:
                raise Unsupported(t.__name__)
            made = conv(self, stmt)
            self.origin[id(made)] = stmt
            out.append(made)
        return out

    def block(self, body: list):
        """An indented block, or a one-line suite (`if x: a; b`) when the body starts on the
        header's line."""
        first = body[0]
        if type(first) in _SMALL:
            prefix = self.line(first.lineno)[:first.col_offset]
            if prefix.strip():
                smalls = []
                for s in body:
                    small = _SMALL[type(s)](self, s)
                    self.origin[id(small)] = s
                    smalls.append(small)
                return cst.SimpleStatementSuite(body=smalls)
        return cst.IndentedBlock(body=self.statements(body))

    def orelse(self, stmts: list):
        if not stmts:
            return None
        if len(stmts) == 1 and type(stmts[0]) is ast.If:
            s = stmts[0]
            if self.line(s.lineno)[s.col_offset:s.col_offset + 4] == b"elif":
                return self.s_if(s)
        return cst.Else(body=self.block(stmts))

    # -- compound statements ------------------------------------------------------------------------
    def s_function(self, s):
        decorators = [cst.Decorator(decorator=self.expr(d)) for d in s.decorator_list]
        asynchronous = _ASYNC if type(s) is ast.AsyncFunctionDef else None
        if id(s) in self.dropped:
            star = cst.Param(name=cst.Name("_"), annotation=None, default=None, star="*")
            params = cst.Parameters(params=[], star_arg=star, kwonly_params=[],
                                    star_kwarg=None, posonly_params=[], posonly_ind=_DEFAULT)
            doc = cst.Expr(value=cst.SimpleString(_EMPTY_DOC))
            return cst.FunctionDef(name=cst.Name(s.name), params=params,
                                   body=cst.SimpleStatementSuite(body=[doc]), decorators=decorators,
                                   returns=None, asynchronous=asynchronous)
        returns = None if s.returns is None else cst.Annotation(annotation=self.expr(s.returns))
        return cst.FunctionDef(name=cst.Name(s.name), params=self.parameters(s.args),
                               body=self.block(s.body), decorators=decorators, returns=returns,
                               asynchronous=asynchronous)

    def parameters(self, a: ast.arguments):
        positional = a.posonlyargs + a.args
        defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        made = [self.param(p, d, "") for p, d in zip(positional, defaults)]
        n = len(a.posonlyargs)
        if a.vararg is not None:
            star_arg = self.param(a.vararg, None, "*")
        elif a.kwonlyargs:
            star_arg = _PARAM_STAR
        else:
            star_arg = _DEFAULT
        kwonly = [self.param(p, d, "") for p, d in zip(a.kwonlyargs, a.kw_defaults)]
        star_kwarg = None if a.kwarg is None else self.param(a.kwarg, None, "**")
        return cst.Parameters(params=made[n:], star_arg=star_arg, kwonly_params=kwonly,
                              star_kwarg=star_kwarg, posonly_params=made[:n],
                              posonly_ind=_SLASH if n else _DEFAULT)

    def param(self, p: ast.arg, default, star: str):
        ann = None if p.annotation is None else cst.Annotation(annotation=self.expr(p.annotation))
        return cst.Param(name=cst.Name(p.arg), annotation=ann,
                         default=None if default is None else self.expr(default), star=star)

    def s_class(self, s: ast.ClassDef):
        node = cst.ClassDef(name=cst.Name(s.name), body=self.block(s.body),
                            bases=[self.arg_of(b) for b in s.bases],
                            keywords=[self.keyword(k) for k in s.keywords],
                            decorators=[cst.Decorator(decorator=self.expr(d))
                                        for d in s.decorator_list])
        if self.class_facts is not None:
            from tensorferry.reduce import class_facts

            self.class_facts[id(node)] = class_facts(s)
        return node

    def s_if(self, s: ast.If):
        return cst.If(test=self.expr(s.test), body=self.block(s.body),
                      orelse=self.orelse(s.orelse))

    def s_for(self, s):
        return cst.For(target=self.expr(s.target), iter=self.expr(s.iter),
                       body=self.block(s.body), orelse=self.orelse(s.orelse),
                       asynchronous=_ASYNC if type(s) is ast.AsyncFor else None)

    def s_while(self, s: ast.While):
        return cst.While(test=self.expr(s.test), body=self.block(s.body),
                         orelse=self.orelse(s.orelse))

    def s_try(self, s):
        star = type(s) is ast.TryStar
        handler_cls = cst.ExceptStarHandler if star else cst.ExceptHandler
        handlers = []
        for h in s.handlers:
            name = None if h.name is None else cst.AsName(name=cst.Name(h.name))
            handlers.append(handler_cls(body=self.block(h.body),
                                        type=None if h.type is None else self.expr(h.type),
                                        name=name))
        final = None if not s.finalbody else cst.Finally(body=self.block(s.finalbody))
        return (cst.TryStar if star else cst.Try)(body=self.block(s.body), handlers=handlers,
                                                  orelse=self.orelse_block(s.orelse),
                                                  finalbody=final)

    def orelse_block(self, stmts: list):
        return None if not stmts else cst.Else(body=self.block(stmts))

    def s_with(self, s):
        items = [cst.WithItem(item=self.expr(i.context_expr),
                              asname=None if i.optional_vars is None
                              else cst.AsName(name=self.expr(i.optional_vars)))
                 for i in s.items]
        return cst.With(items=items, body=self.block(s.body),
                        asynchronous=_ASYNC if type(s) is ast.AsyncWith else None)

    def s_match(self, s: ast.Match):
        cases = [cst.MatchCase(pattern=None, guard=None, body=self.block(c.body))
                 for c in s.cases]
        return cst.Match(subject=self.expr(s.subject), cases=cases)

    # -- simple statements --------------------------------------------------------------------------
    def x_expr(self, s: ast.Expr):
        v = s.value
        if type(v) is ast.Constant and type(v.value) is str:
            # a docstring or a string statement: nothing reads its value
            return cst.Expr(value=cst.SimpleString(repr(v.value)))
        return cst.Expr(value=self.expr(v))

    def x_assign(self, s: ast.Assign):
        return cst.Assign(targets=[cst.AssignTarget(target=self.expr(t))
                                   for t in s.targets], value=self.expr(s.value))

    def x_annassign(self, s: ast.AnnAssign):
        return cst.AnnAssign(target=self.expr(s.target),
                             annotation=cst.Annotation(annotation=self.expr(s.annotation)),
                             value=None if s.value is None else self.expr(s.value))

    def x_augassign(self, s: ast.AugAssign):
        return cst.AugAssign(target=self.expr(s.target), operator=_AUGOPS[type(s.op)],
                             value=self.expr(s.value))

    def x_return(self, s: ast.Return):
        return cst.Return(value=None if s.value is None else self.expr(s.value))

    def x_raise(self, s: ast.Raise):
        return cst.Raise(exc=None if s.exc is None else self.expr(s.exc),
                         cause=None if s.cause is None else cst.From(item=self.expr(s.cause)))

    def x_assert(self, s: ast.Assert):
        return cst.Assert(test=self.expr(s.test),
                          msg=None if s.msg is None else self.expr(s.msg))

    def x_delete(self, s: ast.Delete):
        if len(s.targets) == 1:
            return cst.Del(target=self.expr(s.targets[0]))
        elements = [cst.Element(value=self.expr(t)) for t in s.targets]
        return cst.Del(target=cst.Tuple(elements=elements))

    def x_pass(self, s):
        return cst.Pass()

    def x_break(self, s):
        return cst.Break()

    def x_continue(self, s):
        return cst.Continue()

    def x_global(self, s):
        return cst.Global(names=[cst.NameItem(name=cst.Name(n)) for n in s.names])

    def x_nonlocal(self, s):
        return cst.Nonlocal(names=[cst.NameItem(name=cst.Name(n)) for n in s.names])

    def dotted(self, text: str):
        parts = text.split(".")
        node = cst.Name(parts[0])
        for p in parts[1:]:
            node = cst.Attribute(value=node, attr=cst.Name(p))
        return node

    def alias(self, a: ast.alias):
        asname = None if a.asname is None else cst.AsName(name=cst.Name(a.asname))
        return cst.ImportAlias(name=self.dotted(a.name), asname=asname)

    def x_import(self, s: ast.Import):
        return cst.Import(names=[self.alias(a) for a in s.names])

    def x_importfrom(self, s: ast.ImportFrom):
        if len(s.names) == 1 and s.names[0].name == "*":
            names = _IMPORT_STAR
        else:
            names = [self.alias(a) for a in s.names]
        return cst.ImportFrom(module=None if s.module is None else self.dotted(s.module),
                              names=names, relative=[_DOT] * (s.level or 0))

    # -- expressions --------------------------------------------------------------------------------
    def expr(self, node):
        conv = _EXPR.get(type(node))
        if conv is None:
            raise Unsupported(type(node).__name__)
        made = conv(self, node)
        self.origin[id(made)] = node
        return made

    def e_name(self, n: ast.Name):
        return cst.Name(n.id)

    def e_attribute(self, n: ast.Attribute):
        return cst.Attribute(self.expr(n.value), cst.Name(n.attr))

    def arg_of(self, a):
        if type(a) is ast.Starred:
            value = self.expr(a.value)
            star = "*"
        else:
            value = self.expr(a)
            star = ""
        return cst.Arg(value, None, star)

    def keyword(self, k: ast.keyword):
        value = self.expr(k.value)
        if k.arg is None:
            return cst.Arg(value, None, "**")
        return cst.Arg(value, cst.Name(k.arg), "")

    def e_call(self, n: ast.Call):
        func = self.expr(n.func)
        args, keywords = n.args, n.keywords
        if args and keywords and _before(keywords[0], args[-1]):
            # `f(x=1, *rest)`: the arguments in their order in the source
            made = sorted([(a.lineno, a.col_offset, self.arg_of(a)) for a in args]
                          + [(k.lineno, k.col_offset, self.keyword(k)) for k in keywords],
                          key=lambda t: (t[0], t[1]))
            made = [m[2] for m in made]
        else:
            made = [self.arg_of(a) for a in args] + [self.keyword(k) for k in keywords]
        return cst.Call(func, made)

    def e_constant(self, n: ast.Constant):
        value = n.value
        t = type(value)
        if t is str or t is bytes:
            if not self.single_literal(n):
                return cst.ConcatenatedString(left=cst.SimpleString(repr(value)),
                                              right=cst.SimpleString("''"))
            return cst.SimpleString(repr(value))
        if t is bool or value is None:
            return cst.Name(repr(value))
        if t is int:
            return cst.Integer(value=repr(value))
        if t is float:
            return cst.Float(value=repr(value))
        if t is complex:
            return cst.Imaginary(value=repr(value))
        if value is Ellipsis:
            return cst.Ellipsis()
        raise Unsupported(t.__name__)

    def single_literal(self, n) -> bool:
        """Is this string or f-string one literal in the source (not `"a" "b"`)?"""
        text = self.segment(n)
        i = 0
        while i < len(text) and text[i] in b"rRbBuUfF":
            i += 1
        body = text[i:]
        for q in _QUOTES:
            qb = q.encode()
            if body.startswith(qb):
                break
        else:
            return False
        j = len(qb)
        while True:
            k = body.find(qb, j)
            if k < 0:
                return False
            back = 0
            while k - back - 1 >= 0 and body[k - back - 1] == 92:  # backslashes before it
                back += 1
            if back % 2 == 0:
                return k + len(qb) == len(body)
            j = k + 1

    def e_joinedstr(self, n: ast.JoinedStr):
        parts = []
        for p in n.values:
            if type(p) is ast.FormattedValue:
                parts.append(cst.FormattedStringExpression(expression=self.expr(p.value),
                                                           conversion=None, format_spec=None))
            else:
                parts.append(cst.FormattedStringText(value=str(p.value)))
        made = cst.FormattedString(parts=parts)
        if not self.single_literal(n):  # `f"a" "b"`, `f"{a}" f"{b}"`
            return cst.ConcatenatedString(left=made, right=cst.SimpleString("''"))
        return made

    def e_subscript(self, n: ast.Subscript):
        s = n.slice
        if type(s) is ast.Tuple and s.elts and not _parenthesized(s):
            elements = [self.subscript_element(e) for e in s.elts]
        else:
            elements = [self.subscript_element(s)]
        return cst.Subscript(value=self.expr(n.value), slice=elements)

    def subscript_element(self, e):
        if type(e) is ast.Slice:
            inner = self.e_bare_slice(e)
        elif type(e) is ast.Starred:
            inner = cst.Index(value=self.expr(e.value), star="*")
        else:
            inner = cst.Index(value=self.expr(e), star=None)
        return cst.SubscriptElement(slice=inner)

    def e_bare_slice(self, e: ast.Slice):
        return cst.Slice(lower=None if e.lower is None else self.expr(e.lower),
                         upper=None if e.upper is None else self.expr(e.upper),
                         step=None if e.step is None else self.expr(e.step))

    def e_binop(self, n: ast.BinOp):
        return cst.BinaryOperation(left=self.expr(n.left), operator=_BINOPS[type(n.op)],
                                   right=self.expr(n.right))

    def e_unary(self, n: ast.UnaryOp):
        return cst.UnaryOperation(operator=_UNARY[type(n.op)],
                                  expression=self.expr(n.operand))

    def e_boolop(self, n: ast.BoolOp):
        op = _BOOL[type(n.op)]
        values = n.values
        node = self.expr(values[0])
        for v in values[1:]:
            node = cst.BooleanOperation(left=node, operator=op, right=self.expr(v))
        return node

    def e_compare(self, n: ast.Compare):
        return cst.Comparison(left=self.expr(n.left), comparisons=[
            cst.ComparisonTarget(operator=_COMPARE[type(op)], comparator=self.expr(c))
            for op, c in zip(n.ops, n.comparators)])

    def e_ifexp(self, n: ast.IfExp):
        return cst.IfExp(test=self.expr(n.test), body=self.expr(n.body),
                         orelse=self.expr(n.orelse))

    def elements(self, elts: list) -> list:
        out = []
        for e in elts:
            if type(e) is ast.Starred:
                out.append(cst.StarredElement(value=self.expr(e.value)))
            else:
                out.append(cst.Element(value=self.expr(e)))
        return out

    def e_tuple(self, n: ast.Tuple):
        return cst.Tuple(elements=self.elements(n.elts))

    def e_list(self, n: ast.List):
        return cst.List(elements=self.elements(n.elts))

    def e_set(self, n: ast.Set):
        return cst.Set(elements=self.elements(n.elts))

    def e_dict(self, n: ast.Dict):
        elements = []
        for k, v in zip(n.keys, n.values):
            if k is None:
                elements.append(cst.StarredDictElement(value=self.expr(v)))
            else:
                elements.append(cst.DictElement(key=self.expr(k), value=self.expr(v)))
        return cst.Dict(elements=elements)

    def comp_for(self, generators: list):
        inner = None
        for g in reversed(generators):
            inner = cst.CompFor(target=self.expr(g.target), iter=self.expr(g.iter),
                                ifs=[cst.CompIf(test=self.expr(t)) for t in g.ifs],
                                inner_for_in=inner, asynchronous=_ASYNC if g.is_async else None)
        return inner

    def e_listcomp(self, n):
        for_in = self.comp_for(n.generators)
        return cst.ListComp(elt=self.expr(n.elt), for_in=for_in)

    def e_setcomp(self, n):
        for_in = self.comp_for(n.generators)
        return cst.SetComp(elt=self.expr(n.elt), for_in=for_in)

    def e_genexp(self, n):
        for_in = self.comp_for(n.generators)
        return cst.GeneratorExp(elt=self.expr(n.elt), for_in=for_in)

    def e_dictcomp(self, n):
        for_in = self.comp_for(n.generators)
        return cst.DictComp(key=self.expr(n.key), value=self.expr(n.value), for_in=for_in)

    def e_lambda(self, n: ast.Lambda):
        return cst.Lambda(params=self.parameters(n.args), body=self.expr(n.body))

    def e_namedexpr(self, n: ast.NamedExpr):
        return cst.NamedExpr(target=self.expr(n.target), value=self.expr(n.value))

    def e_await(self, n: ast.Await):
        return cst.Await(expression=self.expr(n.value))

    def e_yield(self, n: ast.Yield):
        return cst.Yield(value=None if n.value is None else self.expr(n.value))

    def e_yieldfrom(self, n: ast.YieldFrom):
        return cst.Yield(value=cst.From(item=self.expr(n.value)))

    def e_starred(self, n: ast.Starred):
        return cst.StarredElement(value=self.expr(n.value))


# How each CPython node type is built: plain functions of (builder, node). A table of bound
# methods on the builder would be a reference cycle, leaving the builder and both trees to the
# cyclic garbage collector instead of freeing them when the file is done.
_EXPR = {
    ast.Name: Builder.e_name, ast.Attribute: Builder.e_attribute, ast.Call: Builder.e_call,
    ast.Constant: Builder.e_constant, ast.Subscript: Builder.e_subscript,
    ast.BinOp: Builder.e_binop, ast.UnaryOp: Builder.e_unary, ast.BoolOp: Builder.e_boolop,
    ast.Compare: Builder.e_compare, ast.IfExp: Builder.e_ifexp, ast.Tuple: Builder.e_tuple,
    ast.List: Builder.e_list, ast.Set: Builder.e_set, ast.Dict: Builder.e_dict,
    ast.ListComp: Builder.e_listcomp, ast.SetComp: Builder.e_setcomp,
    ast.GeneratorExp: Builder.e_genexp, ast.DictComp: Builder.e_dictcomp,
    ast.Lambda: Builder.e_lambda, ast.NamedExpr: Builder.e_namedexpr, ast.Await: Builder.e_await,
    ast.Yield: Builder.e_yield, ast.YieldFrom: Builder.e_yieldfrom,
    ast.Starred: Builder.e_starred, ast.JoinedStr: Builder.e_joinedstr,
    ast.Slice: Builder.e_bare_slice,
}
_STMT = {
    ast.FunctionDef: Builder.s_function, ast.AsyncFunctionDef: Builder.s_function,
    ast.ClassDef: Builder.s_class, ast.If: Builder.s_if, ast.For: Builder.s_for,
    ast.AsyncFor: Builder.s_for, ast.While: Builder.s_while, ast.Try: Builder.s_try,
    ast.TryStar: Builder.s_try, ast.With: Builder.s_with, ast.AsyncWith: Builder.s_with,
    ast.Match: Builder.s_match,
}
_SMALL = {
    ast.Expr: Builder.x_expr, ast.Assign: Builder.x_assign, ast.AnnAssign: Builder.x_annassign,
    ast.AugAssign: Builder.x_augassign, ast.Return: Builder.x_return, ast.Raise: Builder.x_raise,
    ast.Assert: Builder.x_assert, ast.Delete: Builder.x_delete, ast.Pass: Builder.x_pass,
    ast.Break: Builder.x_break, ast.Continue: Builder.x_continue, ast.Global: Builder.x_global,
    ast.Nonlocal: Builder.x_nonlocal, ast.Import: Builder.x_import,
    ast.ImportFrom: Builder.x_importfrom,
}


def _before(a, b) -> bool:
    return (a.lineno, a.col_offset) < (b.lineno, b.col_offset)


def _parenthesized(t: ast.Tuple) -> bool:
    """`x[(a, b)]`: CPython's tuple starts at its parenthesis, before its first element."""
    first = t.elts[0]
    return _before(t, first)


class _Found(BaseException):
    """A rule asked for something only a report needs. A BaseException, so that no rule's own
    ``except Exception`` takes it for a failure of its own."""


class ProbeContext:
    """What the rules report into on the built tree. A node's code and line are read from the
    source, as ``Context`` gives them; anything else (a span, an edit, a fix, a report, the
    module) stops the rule: it is about to report. A node the builder did not make (a new node
    for a fix) stops it too."""

    _rule = None
    filename = ""

    def __init__(self, builder: Builder) -> None:
        self._builder = builder

    def code(self, node) -> str:
        try:
            return self._builder.code_of(node)
        except (KeyError, Unsupported):
            raise _Found() from None

    def line(self, node) -> int:
        try:
            return self._builder.line_of(node)
        except (KeyError, Unsupported):
            raise _Found() from None

    def __getattr__(self, name):
        raise _Found()


class LocateContext(ProbeContext):
    """The rules run again, to the end, to find the rows of their reports: a report records
    its node's row, and spans, edits and fixes are placeholders (only the report's row is
    used). Anything else still stops the rule."""

    def __init__(self, builder: Builder) -> None:
        super().__init__(builder)
        self.rows: set[int] = set()

    def span(self, node):
        from tensorferry.diagnostics import Location

        at = Location(self.line(node), 1)
        return at, at

    def replace(self, node, new):
        from tensorferry.diagnostics import Edit

        start, end = self.span(node)
        return Edit("", start, end)

    def fix(self, applicability: str, message: str, *edits):
        from tensorferry.diagnostics import Fix

        return Fix(applicability, message, tuple(edits))

    def report(self, node, message: str, *, fix=None, rule=None) -> None:
        self.rows.add(self.line(node))


def locate(tree: ast.Module, source: str, rules, dropped: frozenset | None = None):
    """Where can a rule in ``rules`` report on the file? None: nowhere (the analysis and the
    rules ran on the tree built from ``tree`` and none reached a report); else the rows of the
    reports, or ``engine.ANYWHERE`` when that cannot be told (anything unusual). ``dropped``:
    the ids of the functions the plan leaves out (None: no plan)."""
    from tensorferry.analysis import analyze
    from tensorferry.engine import ANYWHERE

    builder = Builder(source, dropped or frozenset(), class_facts=dropped is not None)
    try:
        module = builder.module(tree)
        analysis = analyze(module, builder.class_facts, code_of=builder.code_of)
        ctx = ProbeContext(builder)
        for rule in rules:
            rule().check(analysis, ctx)
    except _Found:
        pass
    except Exception:  # Unsupported, or anything the built tree does differently: libcst decides
        return ANYWHERE
    else:
        return None
    try:
        ctx = LocateContext(builder)
        for rule in rules:
            rule().check(analysis, ctx)
    except (_Found, Exception):
        return ANYWHERE
    return frozenset(ctx.rows) if ctx.rows else ANYWHERE


def may_report(tree: ast.Module, source: str, rules, dropped: frozenset | None = None) -> bool:
    """Can a rule in ``rules`` report on the file (see :func:`locate`)?"""
    return locate(tree, source, rules, dropped) is not None
