"""Light syntax nodes: libcst's class names and structural fields, none of its machinery.

The tree builder of ``tensorferry.probe`` makes these from CPython's tree, and the analysis and
the rules read them exactly as they read libcst's nodes (``type(node) is cst.Name``, ``node.func``,
``node.args``): they take their node classes from the tree they are given (``tensorferry.family``).
Importing libcst costs about 0.17 s of CPU, most of it in building its dataclass node classes;
these classes cost about a millisecond, so a run where no file holds a finding never loads libcst.

A class has a slot for each structural field libcst's class has that the builder fills in;
whitespace, parentheses, commas and the like are not there, and reading one raises
``AttributeError`` (on the built tree the probe then leaves the file to libcst's parse). The
constructor takes the fields by position (in the order of ``__slots__``: libcst's order, less the
fields left out) or by name (``Name("x")``, ``Call(func=..., args=[...])``); a field not given
is None. The classes are written out, not
made at import: a made ``__init__`` per class would cost more to import than all of this.
``tests/test_probe.py`` checks every class here against libcst's and the built trees against
libcst's parses.
"""

from __future__ import annotations


class MaybeSentinel:
    """libcst's ``MaybeSentinel``: only ``DEFAULT`` (a field left to its default) is used."""

    __slots__ = ()
    DEFAULT: MaybeSentinel

    def __repr__(self) -> str:
        return "MaybeSentinel.DEFAULT"


MaybeSentinel.DEFAULT = MaybeSentinel()


class CSTNode:
    __slots__ = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__ if hasattr(self, k))
        return f"{type(self).__name__}({shown})"


class BaseExpression(CSTNode):
    __slots__ = ()


class BaseSmallStatement(CSTNode):
    __slots__ = ()


class BaseCompoundStatement(CSTNode):
    __slots__ = ()


class BaseSuite(CSTNode):
    __slots__ = ()


# -- module, suites, statement lines ---------------------------------------------------------------
class Module(CSTNode):
    __slots__ = ("body",)

    def __init__(self, body=None) -> None:
        self.body = body


class SimpleStatementLine(CSTNode):
    __slots__ = ("body",)

    def __init__(self, body=None) -> None:
        self.body = body


class SimpleStatementSuite(BaseSuite):
    __slots__ = ("body",)

    def __init__(self, body=None) -> None:
        self.body = body


class IndentedBlock(BaseSuite):
    __slots__ = ("body",)

    def __init__(self, body=None) -> None:
        self.body = body


class Else(CSTNode):
    __slots__ = ("body",)

    def __init__(self, body=None) -> None:
        self.body = body


class Finally(CSTNode):
    __slots__ = ("body",)

    def __init__(self, body=None) -> None:
        self.body = body


# -- compound statements ---------------------------------------------------------------------------
class FunctionDef(BaseCompoundStatement):
    __slots__ = ("name", "params", "body", "decorators", "returns", "asynchronous")

    def __init__(self, name=None, params=None, body=None, decorators=None, returns=None,
                 asynchronous=None) -> None:
        self.name = name
        self.params = params
        self.body = body
        self.decorators = decorators
        self.returns = returns
        self.asynchronous = asynchronous


class ClassDef(BaseCompoundStatement):
    __slots__ = ("name", "body", "bases", "keywords", "decorators")

    def __init__(self, name=None, body=None, bases=None, keywords=None, decorators=None) -> None:
        self.name = name
        self.body = body
        self.bases = bases
        self.keywords = keywords
        self.decorators = decorators


class If(BaseCompoundStatement):
    __slots__ = ("test", "body", "orelse")

    def __init__(self, test=None, body=None, orelse=None) -> None:
        self.test = test
        self.body = body
        self.orelse = orelse


class For(BaseCompoundStatement):
    __slots__ = ("target", "iter", "body", "orelse", "asynchronous")

    def __init__(self, target=None, iter=None, body=None, orelse=None, asynchronous=None) -> None:
        self.target = target
        self.iter = iter
        self.body = body
        self.orelse = orelse
        self.asynchronous = asynchronous


class While(BaseCompoundStatement):
    __slots__ = ("test", "body", "orelse")

    def __init__(self, test=None, body=None, orelse=None) -> None:
        self.test = test
        self.body = body
        self.orelse = orelse


class Try(BaseCompoundStatement):
    __slots__ = ("body", "handlers", "orelse", "finalbody")

    def __init__(self, body=None, handlers=None, orelse=None, finalbody=None) -> None:
        self.body = body
        self.handlers = handlers
        self.orelse = orelse
        self.finalbody = finalbody


class TryStar(BaseCompoundStatement):
    __slots__ = ("body", "handlers", "orelse", "finalbody")

    def __init__(self, body=None, handlers=None, orelse=None, finalbody=None) -> None:
        self.body = body
        self.handlers = handlers
        self.orelse = orelse
        self.finalbody = finalbody


class With(BaseCompoundStatement):
    __slots__ = ("items", "body", "asynchronous")

    def __init__(self, items=None, body=None, asynchronous=None) -> None:
        self.items = items
        self.body = body
        self.asynchronous = asynchronous


class Match(BaseCompoundStatement):
    __slots__ = ("subject", "cases")

    def __init__(self, subject=None, cases=None) -> None:
        self.subject = subject
        self.cases = cases


class ExceptHandler(CSTNode):
    __slots__ = ("body", "type", "name")

    def __init__(self, body=None, type=None, name=None) -> None:
        self.body = body
        self.type = type
        self.name = name


class ExceptStarHandler(CSTNode):
    __slots__ = ("body", "type", "name")

    def __init__(self, body=None, type=None, name=None) -> None:
        self.body = body
        self.type = type
        self.name = name


class WithItem(CSTNode):
    __slots__ = ("item", "asname")

    def __init__(self, item=None, asname=None) -> None:
        self.item = item
        self.asname = asname


class MatchCase(CSTNode):
    __slots__ = ("pattern", "body", "guard")

    def __init__(self, pattern=None, body=None, guard=None) -> None:
        self.pattern = pattern
        self.body = body
        self.guard = guard


class Decorator(CSTNode):
    __slots__ = ("decorator",)

    def __init__(self, decorator=None) -> None:
        self.decorator = decorator


class Parameters(CSTNode):
    __slots__ = (
        "params", "star_arg", "kwonly_params", "star_kwarg", "posonly_params", "posonly_ind",
    )

    def __init__(self, params=None, star_arg=None, kwonly_params=None, star_kwarg=None,
                 posonly_params=None, posonly_ind=None) -> None:
        self.params = params
        self.star_arg = star_arg
        self.kwonly_params = kwonly_params
        self.star_kwarg = star_kwarg
        self.posonly_params = posonly_params
        self.posonly_ind = posonly_ind


class Param(CSTNode):
    __slots__ = ("name", "annotation", "default", "star")

    def __init__(self, name=None, annotation=None, default=None, star=None) -> None:
        self.name = name
        self.annotation = annotation
        self.default = default
        self.star = star


class ParamStar(CSTNode):
    __slots__ = ()


class ParamSlash(CSTNode):
    __slots__ = ()


class Annotation(CSTNode):
    __slots__ = ("annotation",)

    def __init__(self, annotation=None) -> None:
        self.annotation = annotation


class AsName(CSTNode):
    __slots__ = ("name",)

    def __init__(self, name=None) -> None:
        self.name = name


class Asynchronous(CSTNode):
    __slots__ = ()


# -- small statements ------------------------------------------------------------------------------
class Expr(BaseSmallStatement):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class Assign(BaseSmallStatement):
    __slots__ = ("targets", "value")

    def __init__(self, targets=None, value=None) -> None:
        self.targets = targets
        self.value = value


class AssignTarget(CSTNode):
    __slots__ = ("target",)

    def __init__(self, target=None) -> None:
        self.target = target


class AnnAssign(BaseSmallStatement):
    __slots__ = ("target", "annotation", "value")

    def __init__(self, target=None, annotation=None, value=None) -> None:
        self.target = target
        self.annotation = annotation
        self.value = value


class AugAssign(BaseSmallStatement):
    __slots__ = ("target", "operator", "value")

    def __init__(self, target=None, operator=None, value=None) -> None:
        self.target = target
        self.operator = operator
        self.value = value


class Return(BaseSmallStatement):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class Raise(BaseSmallStatement):
    __slots__ = ("exc", "cause")

    def __init__(self, exc=None, cause=None) -> None:
        self.exc = exc
        self.cause = cause


class Assert(BaseSmallStatement):
    __slots__ = ("test", "msg")

    def __init__(self, test=None, msg=None) -> None:
        self.test = test
        self.msg = msg


class Del(BaseSmallStatement):
    __slots__ = ("target",)

    def __init__(self, target=None) -> None:
        self.target = target


class Pass(BaseSmallStatement):
    __slots__ = ()


class Break(BaseSmallStatement):
    __slots__ = ()


class Continue(BaseSmallStatement):
    __slots__ = ()


class Global(BaseSmallStatement):
    __slots__ = ("names",)

    def __init__(self, names=None) -> None:
        self.names = names


class Nonlocal(BaseSmallStatement):
    __slots__ = ("names",)

    def __init__(self, names=None) -> None:
        self.names = names


class NameItem(CSTNode):
    __slots__ = ("name",)

    def __init__(self, name=None) -> None:
        self.name = name


class Import(BaseSmallStatement):
    __slots__ = ("names",)

    def __init__(self, names=None) -> None:
        self.names = names


class ImportFrom(BaseSmallStatement):
    __slots__ = ("module", "names", "relative")

    def __init__(self, module=None, names=None, relative=None) -> None:
        self.module = module
        self.names = names
        self.relative = relative


class ImportAlias(CSTNode):
    __slots__ = ("name", "asname")

    def __init__(self, name=None, asname=None) -> None:
        self.name = name
        self.asname = asname


class ImportStar(CSTNode):
    __slots__ = ()


class Dot(CSTNode):
    __slots__ = ()


class From(CSTNode):
    __slots__ = ("item",)

    def __init__(self, item=None) -> None:
        self.item = item


# -- expressions -----------------------------------------------------------------------------------
class Name(BaseExpression):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class Attribute(BaseExpression):
    __slots__ = ("value", "attr")

    def __init__(self, value=None, attr=None) -> None:
        self.value = value
        self.attr = attr


class Call(BaseExpression):
    __slots__ = ("func", "args")

    def __init__(self, func=None, args=None) -> None:
        self.func = func
        self.args = args


class Arg(CSTNode):
    __slots__ = ("value", "keyword", "star")

    def __init__(self, value=None, keyword=None, star=None) -> None:
        self.value = value
        self.keyword = keyword
        self.star = star


class Subscript(BaseExpression):
    __slots__ = ("value", "slice")

    def __init__(self, value=None, slice=None) -> None:
        self.value = value
        self.slice = slice


class SubscriptElement(CSTNode):
    __slots__ = ("slice",)

    def __init__(self, slice=None) -> None:
        self.slice = slice


class Index(CSTNode):
    __slots__ = ("value", "star")

    def __init__(self, value=None, star=None) -> None:
        self.value = value
        self.star = star


class Slice(CSTNode):
    __slots__ = ("lower", "upper", "step")

    def __init__(self, lower=None, upper=None, step=None) -> None:
        self.lower = lower
        self.upper = upper
        self.step = step


class SimpleString(BaseExpression):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class ConcatenatedString(BaseExpression):
    __slots__ = ("left", "right")

    def __init__(self, left=None, right=None) -> None:
        self.left = left
        self.right = right


class FormattedString(BaseExpression):
    __slots__ = ("parts",)

    def __init__(self, parts=None) -> None:
        self.parts = parts


class FormattedStringText(CSTNode):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class FormattedStringExpression(CSTNode):
    __slots__ = ("expression", "conversion", "format_spec")

    def __init__(self, expression=None, conversion=None, format_spec=None) -> None:
        self.expression = expression
        self.conversion = conversion
        self.format_spec = format_spec


class Integer(BaseExpression):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class Float(BaseExpression):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class Imaginary(BaseExpression):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class Ellipsis(BaseExpression):
    __slots__ = ()


class BinaryOperation(BaseExpression):
    __slots__ = ("left", "operator", "right")

    def __init__(self, left=None, operator=None, right=None) -> None:
        self.left = left
        self.operator = operator
        self.right = right


class UnaryOperation(BaseExpression):
    __slots__ = ("operator", "expression")

    def __init__(self, operator=None, expression=None) -> None:
        self.operator = operator
        self.expression = expression


class BooleanOperation(BaseExpression):
    __slots__ = ("left", "operator", "right")

    def __init__(self, left=None, operator=None, right=None) -> None:
        self.left = left
        self.operator = operator
        self.right = right


class Comparison(BaseExpression):
    __slots__ = ("left", "comparisons")

    def __init__(self, left=None, comparisons=None) -> None:
        self.left = left
        self.comparisons = comparisons


class ComparisonTarget(CSTNode):
    __slots__ = ("operator", "comparator")

    def __init__(self, operator=None, comparator=None) -> None:
        self.operator = operator
        self.comparator = comparator


class IfExp(BaseExpression):
    __slots__ = ("test", "body", "orelse")

    def __init__(self, test=None, body=None, orelse=None) -> None:
        self.test = test
        self.body = body
        self.orelse = orelse


class Tuple(BaseExpression):
    __slots__ = ("elements",)

    def __init__(self, elements=None) -> None:
        self.elements = elements


class List(BaseExpression):
    __slots__ = ("elements",)

    def __init__(self, elements=None) -> None:
        self.elements = elements


class Set(BaseExpression):
    __slots__ = ("elements",)

    def __init__(self, elements=None) -> None:
        self.elements = elements


class Dict(BaseExpression):
    __slots__ = ("elements",)

    def __init__(self, elements=None) -> None:
        self.elements = elements


class Element(CSTNode):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class StarredElement(BaseExpression):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class DictElement(CSTNode):
    __slots__ = ("key", "value")

    def __init__(self, key=None, value=None) -> None:
        self.key = key
        self.value = value


class StarredDictElement(CSTNode):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


class ListComp(BaseExpression):
    __slots__ = ("elt", "for_in")

    def __init__(self, elt=None, for_in=None) -> None:
        self.elt = elt
        self.for_in = for_in


class SetComp(BaseExpression):
    __slots__ = ("elt", "for_in")

    def __init__(self, elt=None, for_in=None) -> None:
        self.elt = elt
        self.for_in = for_in


class GeneratorExp(BaseExpression):
    __slots__ = ("elt", "for_in")

    def __init__(self, elt=None, for_in=None) -> None:
        self.elt = elt
        self.for_in = for_in


class DictComp(BaseExpression):
    __slots__ = ("key", "value", "for_in")

    def __init__(self, key=None, value=None, for_in=None) -> None:
        self.key = key
        self.value = value
        self.for_in = for_in


class CompFor(CSTNode):
    __slots__ = ("target", "iter", "ifs", "inner_for_in", "asynchronous")

    def __init__(self, target=None, iter=None, ifs=None, inner_for_in=None,
                 asynchronous=None) -> None:
        self.target = target
        self.iter = iter
        self.ifs = ifs
        self.inner_for_in = inner_for_in
        self.asynchronous = asynchronous


class CompIf(CSTNode):
    __slots__ = ("test",)

    def __init__(self, test=None) -> None:
        self.test = test


class Lambda(BaseExpression):
    __slots__ = ("params", "body")

    def __init__(self, params=None, body=None) -> None:
        self.params = params
        self.body = body


class NamedExpr(BaseExpression):
    __slots__ = ("target", "value")

    def __init__(self, target=None, value=None) -> None:
        self.target = target
        self.value = value


class Await(BaseExpression):
    __slots__ = ("expression",)

    def __init__(self, expression=None) -> None:
        self.expression = expression


class Yield(BaseExpression):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value


# -- operators: no structural field (``!=`` keeps its spelling, as libcst's NotEqual does) ---------
class Add(CSTNode):
    __slots__ = ()


class Subtract(CSTNode):
    __slots__ = ()


class Multiply(CSTNode):
    __slots__ = ()


class Divide(CSTNode):
    __slots__ = ()


class FloorDivide(CSTNode):
    __slots__ = ()


class Modulo(CSTNode):
    __slots__ = ()


class Power(CSTNode):
    __slots__ = ()


class MatrixMultiply(CSTNode):
    __slots__ = ()


class LeftShift(CSTNode):
    __slots__ = ()


class RightShift(CSTNode):
    __slots__ = ()


class BitOr(CSTNode):
    __slots__ = ()


class BitAnd(CSTNode):
    __slots__ = ()


class BitXor(CSTNode):
    __slots__ = ()


class AddAssign(CSTNode):
    __slots__ = ()


class SubtractAssign(CSTNode):
    __slots__ = ()


class MultiplyAssign(CSTNode):
    __slots__ = ()


class DivideAssign(CSTNode):
    __slots__ = ()


class FloorDivideAssign(CSTNode):
    __slots__ = ()


class ModuloAssign(CSTNode):
    __slots__ = ()


class PowerAssign(CSTNode):
    __slots__ = ()


class MatrixMultiplyAssign(CSTNode):
    __slots__ = ()


class LeftShiftAssign(CSTNode):
    __slots__ = ()


class RightShiftAssign(CSTNode):
    __slots__ = ()


class BitOrAssign(CSTNode):
    __slots__ = ()


class BitAndAssign(CSTNode):
    __slots__ = ()


class BitXorAssign(CSTNode):
    __slots__ = ()


class Plus(CSTNode):
    __slots__ = ()


class Minus(CSTNode):
    __slots__ = ()


class BitInvert(CSTNode):
    __slots__ = ()


class Not(CSTNode):
    __slots__ = ()


class And(CSTNode):
    __slots__ = ()


class Or(CSTNode):
    __slots__ = ()


class Equal(CSTNode):
    __slots__ = ()


class LessThan(CSTNode):
    __slots__ = ()


class LessThanEqual(CSTNode):
    __slots__ = ()


class GreaterThan(CSTNode):
    __slots__ = ()


class GreaterThanEqual(CSTNode):
    __slots__ = ()


class Is(CSTNode):
    __slots__ = ()


class IsNot(CSTNode):
    __slots__ = ()


class In(CSTNode):
    __slots__ = ()


class NotIn(CSTNode):
    __slots__ = ()


class NotEqual(CSTNode):
    __slots__ = ("value",)

    def __init__(self, value=None) -> None:
        self.value = value
