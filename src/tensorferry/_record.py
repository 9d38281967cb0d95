"""Plain record classes for the data every run loads (diagnostics, configuration, results).

Every ``tensorferry`` command and every flake8 worker imports these before it reads a file, so
they are written out rather than made with ``dataclasses``: importing ``dataclasses`` (with the
``inspect`` it imports) took 4-7 ms and generating the methods of a dozen frozen classes 7-12 ms
more, against 90-130 ms for a whole warm run of the 1% benchmark sample.

A subclass lists its fields in ``__slots__`` and writes its own ``__init__``. :class:`Record`
gives it ``==`` over ``_compare`` (all fields unless a subclass narrows it) and a ``repr``;
:class:`Frozen` adds a hash over the same fields and refuses assignment after ``__init__``
(which sets the fields with ``_set``), and its ``__init__`` takes every field in
``__slots__`` order (pickling passes them back that way).
"""

from __future__ import annotations

from operator import attrgetter

_set = object.__setattr__


class Record:
    __slots__ = ()
    _compare: tuple[str, ...] = ()  # the fields compared and hashed; default: all of __slots__
    _key = staticmethod(lambda self: ())  # the compared fields' values, as one tuple (in C)

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        fields = cls._compare or cls.__slots__
        if len(fields) == 1:
            one = attrgetter(fields[0])
            cls._key = staticmethod(lambda self: (one(self),))
        elif fields:
            cls._key = staticmethod(attrgetter(*fields))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = self._key
        return self is other or key(self) == key(other)

    __hash__ = None  # type: ignore[assignment]  # mutable: like a dataclass with eq

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Frozen(Record):
    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._key(self))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of {type(self).__name__}")

    def __reduce__(self):  # pickle and copy through __init__, which takes every field in order
        return self.__class__, tuple(getattr(self, f) for f in self.__slots__)
