"""The record classes every run loads (``tensorferry._record``) behave like the frozen and
plain dataclasses they stand for: equality, hashing, immutability, pickling, ordering."""

import copy
import pickle

import pytest

from tensorferry.config import Config
from tensorferry.diagnostics import Diagnostic, Edit, Fix, Location
from tensorferry.facts import TENSOR, TOP, Value


def diag(detail=None, row=1):
    loc = Location(row, 2)
    fix = Fix("safe", "m", (Edit("x", loc, Location(row, 5)),))
    return Diagnostic("TNP101", "name", "msg", "a.py", loc, Location(row, 5), fix, "u", detail)


def test_equality_and_hash_ignore_detail_only():
    a, b = diag(), diag(detail="traceback")
    assert a == b and hash(a) == hash(b)
    assert a != diag(row=2) and len({a, b, diag(row=2)}) == 2
    assert a != ("TNP101",) and a.__eq__(object()) is NotImplemented


def test_frozen_records_refuse_assignment():
    d = diag()
    for obj, name in ((d, "code"), (d.location, "row"), (d.fix, "edits"), (TOP, "kind")):
        with pytest.raises(AttributeError):
            setattr(obj, name, None)
        with pytest.raises(AttributeError):
            delattr(obj, name)


def test_pickle_and_copy_round_trip():
    # diagnostics travel from workers to the parent by pickle
    d = diag(detail="trace")
    for back in (pickle.loads(pickle.dumps(d)), copy.copy(d), copy.deepcopy(d)):
        assert back == d and back.detail == "trace" and back.fix.edits[0].location == Location(1, 2)


def test_location_orders_by_row_then_column():
    assert sorted([Location(2, 1), Location(1, 9), Location(1, 3)]) == [
        Location(1, 3), Location(1, 9), Location(2, 1)]
    assert Location(1, 3) <= Location(1, 3) < Location(1, 4) and Location(3, 1) > Location(2, 9)
    with pytest.raises(TypeError):
        Location(1, 1) < (1, 2)  # noqa: B015


def test_value_copies_with_changes():
    v = Value(kind=TENSOR, dtype="float32")
    w = v.with_(grad="yes")
    assert (w.kind, w.dtype, w.grad) == (TENSOR, "float32", "yes") and v.grad is None
    assert w == Value(kind=TENSOR, dtype="float32", grad="yes") != v
    with pytest.raises(TypeError):
        v.with_(colour="red")
    assert "kind='tensor'" in repr(v)
    for back in (pickle.loads(pickle.dumps(w)), copy.copy(w), copy.deepcopy(w)):
        assert back == w and type(back) is Value and back.grad == "yes"
    assert hash(w) == hash(Value(kind=TENSOR, dtype="float32", grad="yes"))
    with pytest.raises(AttributeError):
        v.kind = "other"
    assert Value() == TOP and TOP.kind == "unknown" and TOP.flags == frozenset()


def test_mutable_records_have_fresh_defaults():
    a, b = Config(), Config()
    a.ignore.append("TNP1")
    assert b.ignore == [] and a != b
    b.ignore.append("TNP1")
    assert a == b
    with pytest.raises(TypeError):
        hash(a)
