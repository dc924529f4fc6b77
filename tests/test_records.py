"""`@record` behaves as `@dataclass(frozen=True)` (and `@record(frozen=False)` as `@dataclass`) does:
the same definitions built both ways, and every use the engine makes of them compared."""

from __future__ import annotations

import copy
import dataclasses
import functools
import gc
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any

import pytest

from calculator.common.records import evolve, record, widen


def both(frozen: bool = True, kw_only: bool = False) -> tuple[Any, Any]:
    """The same class body, once as a dataclass and once as a record."""

    def body() -> dict[str, Any]:
        return {
            "__annotations__": {"name": "str", "size": "int", "tags": "list[str]", "unit": "str"},
            "size": 3,
            "tags": field(default_factory=list),
            "unit": "B",
            "__module__": __name__,
        }

    stdlib: Any = dataclass(frozen=frozen, kw_only=kw_only)(type("Thing", (), body()))
    ours = record(frozen=frozen, kw_only=kw_only)(type("Thing", (), body()))
    return stdlib, ours


@pytest.mark.parametrize("frozen", [True, False])
def test_construction_repr_and_equality_match_dataclass(frozen: bool) -> None:
    stdlib, ours = both(frozen)
    cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (("a",), {}),
        (("a", 5), {}),
        (("a",), {"unit": "GB", "tags": ["x"]}),
        ((), {"name": "b"}),
    ]
    for args, kwargs in cases:
        left, right = stdlib(*args, **kwargs), ours(*args, **kwargs)
        assert repr(left) == repr(right) == repr(stdlib(*args, **kwargs))
        assert dataclasses.asdict(left) == dataclasses.asdict(right)
        assert right == ours(*args, **kwargs)
        assert (right != ours(*args, **kwargs)) is False
    assert ours("a") != ours("b") and ours("a", 3) != ours("a", 4)
    assert ours("a").tags is not ours("a").tags  # a fresh list from the factory each time
    assert (ours("a") == stdlib("a")) is False  # another class is never equal, as with dataclasses
    assert [f.name for f in dataclasses.fields(ours)] == [f.name for f in dataclasses.fields(stdlib)]
    assert ours.__match_args__ == stdlib.__match_args__ == ("name", "size", "tags", "unit")
    with pytest.raises(TypeError):
        ours()
    with pytest.raises(TypeError):
        ours("a", 1, [], "B", "extra")


def test_frozen_record_refuses_changes_and_hashes_by_value() -> None:
    _, ours = both(frozen=True)
    thing = ours("a", tags=("x",))
    with pytest.raises(FrozenInstanceError):
        thing.size = 4
    with pytest.raises(FrozenInstanceError):
        del thing.name
    assert hash(thing) == hash(ours("a", tags=("x",)))
    assert {thing: 1}[ours("a", tags=("x",))] == 1
    changed = dataclasses.replace(thing, size=9)
    assert (changed.size, changed.name, thing.size) == (9, "a", 3)
    assert copy.deepcopy(thing) == thing and copy.copy(thing) == thing


def test_mutable_record_is_unhashable_and_assignable() -> None:
    stdlib, ours = both(frozen=False)
    thing = ours("a")
    thing.size = 7
    assert thing == ours("a", 7)
    assert ours.__hash__ is None and stdlib.__hash__ is None
    with pytest.raises(TypeError):
        hash(thing)


def test_keyword_only_and_inheritance() -> None:
    _, ours = both(kw_only=True)
    with pytest.raises(TypeError):
        ours("a")
    assert ours(name="a").size == 3

    @record
    class Base:
        name: str
        size: int = 1

    @record(kw_only=True)
    class Child(Base):
        extra: str

    child = Child("a", extra="e")
    assert (child.name, child.size, child.extra) == ("a", 1, "e")
    assert repr(child) == "test_keyword_only_and_inheritance.<locals>.Child(name='a', size=1, extra='e')"
    assert child != Base("a") and Base("a") == Base("a", 1)


def test_what_the_class_writes_itself_is_kept() -> None:
    @record
    class Shown:
        """A shown thing."""

        value: int

        def __repr__(self) -> str:
            return f"<{self.value}>"

    @record(frozen=False)
    class Counted:
        value: int
        seen: list[int] = field(default_factory=list)

        def __post_init__(self) -> None:
            self.seen.append(self.value)

    assert repr(Shown(2)) == "<2>" and Shown.__doc__ == "A shown thing."
    assert Counted(4).seen == [4]
    assert Counted.__doc__ == "Counted(value, seen)"


def test_a_field_without_default_after_one_with_is_refused_as_by_dataclass() -> None:
    body = {"__annotations__": {"a": "int", "b": "int"}, "a": 1}
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        dataclass(type("Bad", (), dict(body)))
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        record(type("Bad", (), dict(body)))


def test_evolve_is_replace() -> None:
    _, ours = both(frozen=True)
    thing = ours("a", 5, ["x"])
    assert evolve(thing, size=9) == dataclasses.replace(thing, size=9) == ours("a", 9, ["x"])
    assert thing.size == 5 and evolve(thing) == thing and evolve(thing) is not thing
    with pytest.raises(TypeError, match="no field colour"):
        evolve(thing, colour="red")


def test_widen_makes_the_subclass_from_the_fields_it_has() -> None:
    @record
    class Written:
        name: str
        size: int = 1

    @record(kw_only=True)
    class Checked(Written):
        unit: str

    assert widen(Written("a", 3), Checked, unit="B") == Checked("a", 3, unit="B")
    with pytest.raises(TypeError, match="missing \\['unit'\\]"):
        widen(Written("a"), Checked)
    with pytest.raises(TypeError, match="unknown \\['colour'\\]"):
        widen(Written("a"), Checked, unit="B", colour="red")
    with pytest.raises(TypeError, match="does not extend"):
        widen(Checked("a", unit="B"), Written)


def test_a_record_keeps_its_fields_in_slots() -> None:
    """A record's fields are slots, in the object: no attribute array or dict object beside it (CPython
    3.11 keeps a plain instance's attributes in a second block), for it, its `evolve` and its `widen`."""

    @record
    class Place:
        file: str
        line: int
        parts: tuple[str, ...] = ()

    @record(kw_only=True)
    class Shown(Place):
        unit: str

    @record(frozen=False)
    class Open:
        name: str

    made = Place("a.yaml", 3, ("x",))
    for instance in (made, evolve(made, line=4), widen(made, Shown, unit="GB"), Open("a")):
        assert not hasattr(instance, "__dict__")
        assert dict not in map(type, gc.get_referents(instance))
    assert ("x",) in gc.get_referents(made)  # what it holds is walked directly
    assert Shown.__slots__ == ("unit",)  # a subclass adds only its own fields
    with pytest.raises(AttributeError):
        Open("a").nmae = "b"  # a misspelt field is an error, not a new attribute
    assert (made.parts, Place("b", 1).parts) == (("x",), ())  # a default still applies


def test_a_record_with_a_cached_property_keeps_a_dict_for_it() -> None:
    @record
    class Squares:
        top: int

        @functools.cached_property
        def total(self) -> int:
            return sum(n * n for n in range(self.top + 1))

    squares = Squares(3)
    assert squares.total == 14 and squares.__dict__ == {"total": 14}
    assert copy.copy(squares) == squares


def test_a_field_named_like_a_method_of_its_class_is_refused() -> None:
    """A dataclass takes the method as the field's default without a word (a catalog's `kinds` field once met
    its `kinds()` method); a record refuses the class."""

    class Shadowed:
        kinds: tuple[str, ...] | None = None

        def kinds(self) -> list[str]:  # type: ignore[no-redef]  # noqa: F811 (the point of the test)
            return []

    assert dataclasses.fields(dataclass(frozen=True)(Shadowed))[0].default is Shadowed.kinds  # the silent default

    class Again:
        kinds: tuple[str, ...] | None = None

        def kinds(self) -> list[str]:  # type: ignore[no-redef]  # noqa: F811 (the point of the test)
            return []

    with pytest.raises(TypeError, match="Again: field 'kinds' is also the name of a method of the class"):
        record(Again)

    @record
    class Fine:  # a function as a default, defined elsewhere, is a default
        key: Any = len

    assert Fine().key is len
