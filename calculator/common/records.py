"""`@record`: a dataclass that is cheap to define, for the ~100 value classes of the engine.

Why not `@dataclass(frozen=True)` itself: on CPython 3.11 it compiles six methods per class with
one `exec` each (`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`), about
1-2 ms a class on a slow machine. The engine defines ~65 of them before `envelope eval` can print a
line, so class creation alone was a fifth of a cold run. A record lets `dataclasses` do the parsing
(fields, defaults, `kw_only`, inheritance; `fields()`, `replace()` and `asdict()` keep working) and
compiles only `__init__`, the one method whose speed matters per instance; `__repr__`, `__eq__`,
`__hash__` and the frozen guards are shared functions that read the field names the class keeps.
The behaviour is the dataclass's: `tests/test_records.py` compares the two on the same definitions.
"""

from __future__ import annotations

import dataclasses
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
        fields = dataclasses.fields(cls)
        if not documented:
            cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        cls.__record_repr__ = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
        cls.__record_key__ = _getter([f.name for f in fields if f.compare])  # type: ignore[attr-defined]
        cls.__record_hash_key__ = _getter(hashed)  # type: ignore[attr-defined]
        methods: dict[str, object] = {"__init__": _init(cls, fields, frozen), "__repr__": _repr, "__eq__": _eq}
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


def evolve(instance: R, **changes: Any) -> R:
    """`dataclasses.replace` for a record without `__post_init__`, in under half its time (a `CheckedValue`:
    3.6 µs against 8.7 µs): the fields copied as they are, the changed ones set (names checked)."""
    cls = type(instance)
    if hasattr(cls, "__post_init__"):
        return dataclasses.replace(instance, **changes)  # type: ignore[type-var]
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    unknown = [name for name in changes if name not in fields]
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    return _filled(cls, instance, changes)


def widen(instance: Any, cls: type[R], **extra: Any) -> R:
    """A record of `cls` (a subclass of the instance's class, without `__post_init__`) holding the
    instance's fields and the `extra` ones: `CheckedValue` from a `Value` without naming each field."""
    if cls is type(instance) or not issubclass(cls, type(instance)) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} does not extend {type(instance).__name__}")
    missing = cls.__dataclass_fields__.keys() - instance.__dict__.keys() - extra.keys()  # type: ignore[attr-defined]
    unknown = extra.keys() - cls.__dataclass_fields__.keys()  # type: ignore[attr-defined]
    if missing or unknown:
        raise TypeError(f"{cls.__name__}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return _filled(cls, instance, extra)


def _filled(cls: type[R], instance: object, values: dict[str, Any]) -> R:
    """An instance of `cls` with `instance`'s fields and then `values`, put in its `__dict__` as a frozen
    record's `__init__` puts them (no `__init__` runs: the caller checked the names)."""
    new = object.__new__(cls)
    new.__dict__.update(instance.__dict__)
    new.__dict__.update(values)
    return new


def _getter(names: list[str]) -> Callable[[object], object]:
    """The values compared or hashed: a tuple, or the one value itself for a single field (equal exactly
    when its tuple would be; hashed by the value, which is as consistent)."""
    return operator.attrgetter(*names) if names else (lambda _: ())


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...], frozen: bool) -> Callable[..., None]:
    """`__init__` compiled for the class: positional fields, then `*` and the keyword-only ones."""
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
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
        # a frozen record's fields go straight into its __dict__ (as object.__setattr__ would put them,
        # at a fraction of the cost of a call each: a Location is made for every place of every file)
        body.append(f"    __d[{name!r}] = {name}" if frozen else f"    self.{name} = {name}")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    if frozen and fields:
        body.insert(0, "    __d = self.__dict__")
    parameters = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    exec(f"def __init__({parameters}) -> None:\n" + ("\n".join(body) or "    pass"), namespace)
    function: Callable[..., None] = namespace["__init__"]
    function.__qualname__ = f"{cls.__qualname__}.__init__"
    return function


def _repr(self: Any) -> str:
    names = type(self).__record_repr__
    return f"{type(self).__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in names)})"


def _eq(self: Any, other: Any) -> Any:  # bool, or NotImplemented for another class
    if other.__class__ is not self.__class__:
        return NotImplemented
    key = type(self).__record_key__
    return key(self) == key(other)


def _hash(self: Any) -> int:
    return hash(type(self).__record_hash_key__(self))


def _refuse_set(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
