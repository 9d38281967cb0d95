"""Which node classes the tree under analysis is made of: libcst's, or the light ones of
``tensorferry.nodes`` that ``tensorferry.probe`` builds from CPython's tree.

The analysis and the rules test node types by identity (``type(node) is cst.Call``), so they must
test against the classes of the tree they read. ``Analyzer`` binds them from the module node it
is given (``bind``); the analysis reads its own module-level ``cst``, and the rules' and their
helpers' functions take ``cst`` from here (``from tensorferry.family import cst``), which is read
at call time. A file is analysed and its rules run before the next tree is bound, so the two
never mix. Binding libcst imports it; binding the light classes does not.
"""

from __future__ import annotations

cst = None  # the node classes of the tree being read (a module)


def bind(module):
    """Make the node classes of ``module``'s tree the current ones, and return them."""
    global cst
    if type(module).__module__ == "tensorferry.nodes":
        import tensorferry.nodes as classes
    else:
        import libcst as classes
    cst = classes
    return classes
