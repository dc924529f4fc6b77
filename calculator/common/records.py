"""`@record`: a dataclass that is cheap to define, for the ~100 value classes of the engine.

Why not `@dataclass(frozen=True)` itself: on CPython 3.11 it compiles six methods per class with
one `exec` each (`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`), about
1-2 ms a class on a slow machine. The engine defines ~65 of them before `envelope eval` can print a
line, so class creation alone was a fifth of a cold run. A record lets `dataclasses` do the parsing
(fields, defaults, `kw_only`, inheritance; `fields()`, `replace()` and `asdict()` keep working) and
compiles only `__init__` (at its first call), the one method whose speed matters per instance;
`__repr__`, `__eq__`, `__hash__` and the frozen guards are shared functions that read the field
names the class keeps. Fields are slots (`dataclass(slots=True)` would run the field parsing again).
The behaviour is the dataclass's: `tests/test_records.py` compares the two on the same definitions.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)
R = TypeVar("R")

_FACTORY = object()  # stands in an `__init__` signature for a field whose default comes from a factory


@overload
def record(cls: T, /) -> T: ...
@overload
def record(*, kw_only: bool = False, frozen: bool = True) -> Callable[[T], T]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: T | None = None, /, *, kw_only: bool = False, frozen: bool = True) -> T | Callable[[T], T]:
    """`@record` (frozen, hashable) or `@record(frozen=False)` (mutable, unhashable), like `@dataclass`."""

    def build(cls: T) -> T:
        documented = bool(cls.__dict__.get("__doc__"))
        if not documented:
            cls.__doc__ = "-"  # so that `dataclasses` does not ask `inspect.signature` for one (slow); set below
        explicit_hash = "__hash__" in cls.__dict__ and not (cls.__dict__["__hash__"] is None and "__eq__" in cls.__dict__)
        dataclasses.dataclass(cls, init=False, repr=False, eq=False, kw_only=kw_only)  # the same class, with fields
        cls = _with_slots(cls)
        fields = dataclasses.fields(cls)
        _refuse_shadowed_fields(cls, fields)
        if not documented:
            cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        cls.__record_repr__ = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
        cls.__record_key__ = _getter([f.name for f in fields if f.compare])  # type: ignore[attr-defined]
        cls.__record_hash_key__ = _getter(hashed)  # type: ignore[attr-defined]
        cls.__record_fields__ = tuple(f.name for f in fields)  # type: ignore[attr-defined]
        methods: dict[str, object] = {"__init__": _init(cls, fields, frozen), "__repr__": _repr, "__eq__": _eq}
        methods |= {"__getstate__": _getstate, "__setstate__": _setstate}  # copy: the slots set past a frozen guard
        if frozen:
            methods |= {"__setattr__": _refuse_set, "__delattr__": _refuse_delete}
        for name, method in methods.items():  # a method the class writes itself is kept, as `dataclass` keeps it
            if name not in cls.__dict__:
                setattr(cls, name, method)
            elif name in ("__setattr__", "__delattr__"):
                raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")
        if not explicit_hash:
            cls.__hash__ = _hash if frozen else None  # type: ignore[assignment]
        return cls

    return build if cls is None else build(cls)


def _refuse_shadowed_fields(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> None:
    """A field named like a method of its own class: the method becomes the field's default, silently (as
    in a dataclass), and reading the field gives the method. Refused, as no one means it."""
    for f in fields:
        default = f.default
        if callable(default) and getattr(default, "__qualname__", "") == f"{cls.__qualname__}.{f.name}":
            raise TypeError(f"{cls.__name__}: field {f.name!r} is also the name of a method of the class")


def _with_slots(cls: T) -> T:
    """The class again, its fields in slots.

    Why: CPython 3.11 keeps a plain instance's attributes in an array of their own, a second block
    away from the object; a slot is in the object. A 10,000-formula scenario holds ~14 records a
    formula and each stage walks them all: with slots it holds a fifth less memory, and a record
    read from cold memory is one miss, not two. A class with a `cached_property` keeps a `__dict__`."""
    inherited = {name for base in cls.__mro__[1:] for name in _slots_of(base)}
    own = [f.name for f in dataclasses.fields(cls) if f.name not in inherited]
    namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__", *own)}
    # (a field's default is dropped with it: `dataclasses.fields` keeps it, and `_init` reads it there)
    cached = any(isinstance(v, functools.cached_property) for v in namespace.values())
    has_dict = any(base.__dictoffset__ for base in cls.__bases__)
    namespace["__slots__"] = (*own, "__dict__") if cached and not has_dict else tuple(own)
    slotted: T = type(cls)(cls.__name__, cls.__bases__, namespace)
    slotted.__qualname__ = cls.__qualname__
    return slotted


def _slots_of(cls: type) -> tuple[str, ...]:
    slots = cls.__dict__.get("__slots__", ())
    return (slots,) if isinstance(slots, str) else tuple(slots)


def evolve(instance: R, **changes: Any) -> R:
    """`dataclasses.replace` for a record without `__post_init__`, somewhat faster (a `CheckedValue`: 5-7 µs
    against 7 µs, a noisy machine): the fields copied as they are, the changed ones set (names checked)."""
    cls = type(instance)
    if hasattr(cls, "__post_init__"):
        return dataclasses.replace(instance, **changes)  # type: ignore[type-var]
    copier = _copier(cls, cls)
    unknown = changes.keys() - copier.known
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    return copier.copy(instance, changes)  # type: ignore[no-any-return]


def widen(instance: Any, cls: type[R], **extra: Any) -> R:
    """A record of `cls` (a subclass of the instance's class, without `__post_init__`) holding the
    instance's fields and the `extra` ones: `CheckedValue` from a `Value` without naming each field."""
    if cls is type(instance) or not issubclass(cls, type(instance)) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} does not extend {type(instance).__name__}")
    copier = _copier(type(instance), cls)
    if not (copier.added <= extra.keys() <= copier.known):
        missing, unknown = copier.added - extra.keys(), extra.keys() - copier.known
        raise TypeError(f"{cls.__name__}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return copier.copy(instance, extra)  # type: ignore[no-any-return]


# How a frozen record sets its fields: the generic setter (a slot's descriptor), past the class's
# refusing `__setattr__`.
_set = object.__setattr__


class _Copier:
    """How to copy a `source` record into a new `target` one (the same class, or a subclass).

    `copy(instance, values)` is compiled once for the pair: each of the source's fields is taken from
    `values` when there and from `instance` otherwise, and `target`'s added fields from `values` (the
    caller checked the names). Straight-line code: a loop over the field names with `getattr` took
    twice as long, and a `CheckedValue` is copied for every value of every scenario."""

    __slots__ = ("added", "copy", "known")

    def __init__(self, source: type, target: type):
        kept = list(source.__dataclass_fields__)  # type: ignore[attr-defined]
        self.known = frozenset(target.__dataclass_fields__)  # type: ignore[attr-defined]
        self.added = self.known - frozenset(kept)
        lines = ["def copy(instance, values):", "    new = _new(_target)"]
        lines += [f"    _set(new, {name!r}, values[{name!r}] if {name!r} in values else instance.{name})" for name in kept]
        lines += [f"    _set(new, {name!r}, values[{name!r}])" for name in target.__dataclass_fields__ if name in self.added]  # type: ignore[attr-defined]
        lines.append("    return new")
        namespace: dict[str, Any] = {"_new": object.__new__, "_target": target, "_set": _set}
        exec("\n".join(lines), namespace)
        self.copy: Callable[[object, dict[str, Any]], Any] = namespace["copy"]


_copiers: dict[tuple[type, type], _Copier] = {}


def _copier(source: type, target: type) -> _Copier:
    copier = _copiers.get((source, target))
    if copier is None:
        copier = _copiers[source, target] = _Copier(source, target)
    return copier


def _getter(names: list[str]) -> Callable[[object], object]:
    """The values compared or hashed: a tuple, or the one value itself for a single field (equal exactly
    when its tuple would be; hashed by the value, which is as consistent)."""
    return operator.attrgetter(*names) if names else (lambda _: ())


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...], frozen: bool) -> Callable[..., None]:
    """`__init__` for the class: positional fields, then `*` and the keyword-only ones. Its source is
    written (and a misordered default refused) now, and compiled at the first call: compiling is most
    of the cost of defining a record, and many (views, designs, edits) are defined at every start
    and made in few runs."""
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY, "_set": _set}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    seen_default = False
    for index, field in enumerate(fields):
        name = field.name
        if field.default is not dataclasses.MISSING:
            namespace[f"_default{index}"] = field.default
            parameter = f"{name}=_default{index}"
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{index}"] = field.default_factory
            parameter = f"{name}=_FACTORY"
            body.append(f"    if {name} is _FACTORY: {name} = _factory{index}()")
        else:
            parameter = name
        if field.kw_only:
            keyword.append(parameter)
        else:
            if parameter == name and seen_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            seen_default = seen_default or parameter != name
            positional.append(parameter)
        body.append(f"    _set(self, {name!r}, {name})" if frozen else f"    self.{name} = {name}")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    parameters = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({parameters}) -> None:\n" + ("\n".join(body) or "    pass")

    compiled: list[Callable[..., None]] = []  # (not the stub's own name: a function in its closure is a cycle)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not compiled:
            exec(source, namespace)
            compiled.append(namespace["__init__"])
            compiled[0].__qualname__ = f"{cls.__qualname__}.__init__"
            cls.__init__ = compiled[0]  # type: ignore[misc]
        compiled[0](self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _repr(self: Any) -> str:
    names = type(self).__record_repr__
    return f"{type(self).__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in names)})"


def _eq(self: Any, other: Any) -> Any:  # bool, or NotImplemented for another class
    if other is self:  # as a tuple compares its items: shared values (dimensions) compare at once
        return True
    if other.__class__ is not self.__class__:
        return NotImplemented
    key = type(self).__record_key__
    return key(self) == key(other)


def _hash(self: Any) -> int:
    return hash(type(self).__record_hash_key__(self))


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, name) for name in type(self).__record_fields__]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(type(self).__record_fields__, state, strict=True):
        _set(self, name, value)


def _refuse_set(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
