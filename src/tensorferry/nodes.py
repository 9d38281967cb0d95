"""Light syntax nodes: libcst's class names and structural fields, none of its machinery.

The tree builder of ``tensorferry.probe`` makes these from CPython's tree, and the analysis and
the rules read them exactly as they read libcst's nodes (``type(node) is cst.Name``, ``node.func``,
``node.args``): they take their node classes from the tree they are given (``tensorferry.family``).
Importing libcst costs about 0.17 s of CPU, most of it in building its dataclass node classes;
these classes cost about a millisecond, so a run where no file holds a finding never loads libcst.

A class has a slot for each structural field libcst's class has that the builder fills in;
whitespace, parentheses, commas and the like are not there, and reading one raises
``AttributeError`` (on the built tree the probe then leaves the file to libcst's parse). The
constructor takes the fields in libcst's order, or by name: ``Name("x")``,
``Call(func=..., args=[...])``. ``tests/test_probe.py`` checks every name here against libcst's
classes and the built trees against libcst's parses.
"""

from __future__ import annotations

_set = object.__setattr__


class MaybeSentinel:
    """libcst's ``MaybeSentinel``: only ``DEFAULT`` (a field left to its default) is used."""

    __slots__ = ()
    DEFAULT: MaybeSentinel

    def __repr__(self) -> str:
        return "MaybeSentinel.DEFAULT"


MaybeSentinel.DEFAULT = MaybeSentinel()


class CSTNode:
    __slots__ = ()

    def __init__(self, *args, **fields) -> None:
        for name, value in zip(self.__slots__, args):
            _set(self, name, value)
        for name, value in fields.items():
            _set(self, name, value)

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


# name: (base, the structural fields in libcst's order)
_CLASSES = {
    # module, suites, statement lines
    "Module": (CSTNode, "body"),
    "SimpleStatementLine": (CSTNode, "body"),
    "SimpleStatementSuite": (BaseSuite, "body"),
    "IndentedBlock": (BaseSuite, "body"),
    "Else": (CSTNode, "body"),
    "Finally": (CSTNode, "body"),
    # compound statements
    "FunctionDef": (BaseCompoundStatement, "name params body decorators returns asynchronous"),
    "ClassDef": (BaseCompoundStatement, "name body bases keywords decorators"),
    "If": (BaseCompoundStatement, "test body orelse"),
    "For": (BaseCompoundStatement, "target iter body orelse asynchronous"),
    "While": (BaseCompoundStatement, "test body orelse"),
    "Try": (BaseCompoundStatement, "body handlers orelse finalbody"),
    "TryStar": (BaseCompoundStatement, "body handlers orelse finalbody"),
    "With": (BaseCompoundStatement, "items body asynchronous"),
    "Match": (BaseCompoundStatement, "subject cases"),
    "ExceptHandler": (CSTNode, "body type name"),
    "ExceptStarHandler": (CSTNode, "body type name"),
    "WithItem": (CSTNode, "item asname"),
    "MatchCase": (CSTNode, "pattern body guard"),
    "Decorator": (CSTNode, "decorator"),
    "Parameters": (CSTNode, "params star_arg kwonly_params star_kwarg posonly_params posonly_ind"),
    "Param": (CSTNode, "name annotation default star"),
    "ParamStar": (CSTNode, ""),
    "ParamSlash": (CSTNode, ""),
    "Annotation": (CSTNode, "annotation"),
    "AsName": (CSTNode, "name"),
    "Asynchronous": (CSTNode, ""),
    # small statements
    "Expr": (BaseSmallStatement, "value"),
    "Assign": (BaseSmallStatement, "targets value"),
    "AssignTarget": (CSTNode, "target"),
    "AnnAssign": (BaseSmallStatement, "target annotation value"),
    "AugAssign": (BaseSmallStatement, "target operator value"),
    "Return": (BaseSmallStatement, "value"),
    "Raise": (BaseSmallStatement, "exc cause"),
    "Assert": (BaseSmallStatement, "test msg"),
    "Del": (BaseSmallStatement, "target"),
    "Pass": (BaseSmallStatement, ""),
    "Break": (BaseSmallStatement, ""),
    "Continue": (BaseSmallStatement, ""),
    "Global": (BaseSmallStatement, "names"),
    "Nonlocal": (BaseSmallStatement, "names"),
    "NameItem": (CSTNode, "name"),
    "Import": (BaseSmallStatement, "names"),
    "ImportFrom": (BaseSmallStatement, "module names relative"),
    "ImportAlias": (CSTNode, "name asname"),
    "ImportStar": (CSTNode, ""),
    "Dot": (CSTNode, ""),
    "From": (CSTNode, "item"),
    # expressions
    "Name": (BaseExpression, "value"),
    "Attribute": (BaseExpression, "value attr"),
    "Call": (BaseExpression, "func args"),
    "Arg": (CSTNode, "value keyword star"),
    "Subscript": (BaseExpression, "value slice"),
    "SubscriptElement": (CSTNode, "slice"),
    "Index": (CSTNode, "value star"),
    "Slice": (CSTNode, "lower upper step"),
    "SimpleString": (BaseExpression, "value"),
    "ConcatenatedString": (BaseExpression, "left right"),
    "FormattedString": (BaseExpression, "parts"),
    "FormattedStringText": (CSTNode, "value"),
    "FormattedStringExpression": (CSTNode, "expression conversion format_spec"),
    "Integer": (BaseExpression, "value"),
    "Float": (BaseExpression, "value"),
    "Imaginary": (BaseExpression, "value"),
    "Ellipsis": (BaseExpression, ""),
    "BinaryOperation": (BaseExpression, "left operator right"),
    "UnaryOperation": (BaseExpression, "operator expression"),
    "BooleanOperation": (BaseExpression, "left operator right"),
    "Comparison": (BaseExpression, "left comparisons"),
    "ComparisonTarget": (CSTNode, "operator comparator"),
    "IfExp": (BaseExpression, "test body orelse"),
    "Tuple": (BaseExpression, "elements"),
    "List": (BaseExpression, "elements"),
    "Set": (BaseExpression, "elements"),
    "Dict": (BaseExpression, "elements"),
    "Element": (CSTNode, "value"),
    "StarredElement": (BaseExpression, "value"),
    "DictElement": (CSTNode, "key value"),
    "StarredDictElement": (CSTNode, "value"),
    "ListComp": (BaseExpression, "elt for_in"),
    "SetComp": (BaseExpression, "elt for_in"),
    "GeneratorExp": (BaseExpression, "elt for_in"),
    "DictComp": (BaseExpression, "key value for_in"),
    "CompFor": (CSTNode, "target iter ifs inner_for_in asynchronous"),
    "CompIf": (CSTNode, "test"),
    "Lambda": (BaseExpression, "params body"),
    "NamedExpr": (BaseExpression, "target value"),
    "Await": (BaseExpression, "expression"),
    "Yield": (BaseExpression, "value"),
}
# operators: no structural field (``!=`` keeps its spelling, as libcst's NotEqual does)
_OPERATORS = (
    "Add Subtract Multiply Divide FloorDivide Modulo Power MatrixMultiply LeftShift RightShift "
    "BitOr BitAnd BitXor AddAssign SubtractAssign MultiplyAssign DivideAssign FloorDivideAssign "
    "ModuloAssign PowerAssign MatrixMultiplyAssign LeftShiftAssign RightShiftAssign BitOrAssign "
    "BitAndAssign BitXorAssign Plus Minus BitInvert Not And Or Equal LessThan LessThanEqual "
    "GreaterThan GreaterThanEqual Is IsNot In NotIn"
)
for _name in _OPERATORS.split():
    _CLASSES[_name] = (CSTNode, "")
_CLASSES["NotEqual"] = (CSTNode, "value")


def _make(name: str, base: type, fields: str) -> type:
    return type(name, (base,), {"__slots__": tuple(fields.split()), "__module__": __name__})


for _name, (_base, _fields) in _CLASSES.items():
    globals()[_name] = _make(_name, _base, _fields)
del _name, _base, _fields

