"""The base of closeframe's immutable values (Close, CloseEvent): a tuple that stays itself.

The parser hands out shared, prebuilt values (every code-only payload parses
to one object per code), so no one may change a value in place: not its
fields (a tuple has none to assign), and not its class either.  Python lets
``obj.__class__ = Other`` through between classes of the same layout, and
every tuple subclass without slots has the same layout: one assignment on
a shared value would change what every later parse returns.
"""

from __future__ import annotations

from .codes import CloseCode

__all__ = ["MEMBERS", "Record", "new_record"]

TYPE_CHECKING = False  # typing is slow to import; type checkers alone need it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: A value whose fields are already checked, built without the class's
#: ``__new__`` (the parser's, the events' fast paths): ``new_record(Close, (code, reason))``.
new_record = tuple.__new__
#: Registered codes are stored as their CloseCode member, every other as int.
MEMBERS: dict[int, int] = {int(member): member for member in CloseCode}


def _same_class_only(
    compare: Callable[[Any, Any], Any], against_tuple: bool | None
) -> Callable[[Any, object], Any]:
    """*compare* (a tuple comparison), for two values of one class only.

    Against any other tuple (a plain one, another value class) equality
    answers *against_tuple* and ordering raises TypeError: returning
    NotImplemented there would let tuple's own comparison answer, as if the
    value were the plain tuple it is made of.  Against anything else it
    returns NotImplemented, so the other operand answers (``mock.ANY``).
    """

    def method(self: Any, other: object) -> Any:
        if type(other) is type(self):
            return compare(self, other)
        if not isinstance(other, tuple):
            return NotImplemented
        if against_tuple is None:
            raise TypeError(
                f"a {type(self).__name__} is ordered only against another"
                f" {type(self).__name__}, not a {type(other).__name__}"
            )
        return against_tuple

    method.__name__ = compare.__name__
    return method


class Record(tuple):  # type: ignore[type-arg]  # each subclass names its fields
    """A tuple that compares only with values of its own class, and keeps its class."""

    __slots__ = ()

    # A data descriptor in the class wins over object.__class__ for both
    # ``value.__class__ = X`` and ``object.__setattr__(value, "__class__", X)``.
    # Reading it is what object.__class__ would answer.
    @property
    def __class__(self) -> type[Any]:
        return type(self)

    @__class__.setter
    def __class__(self, value: object) -> None:
        raise TypeError(f"{type(self).__name__} values are immutable: their class cannot change")

    # Equal only to a value of the same class, never to the tuple it is made
    # of: Close(1000, "") is not CloseEvent(1000, "", False), nor (1000, "").
    # Ordered like tuples, among values of one class only (for sorting).
    __eq__ = _same_class_only(tuple.__eq__, against_tuple=False)
    __ne__ = _same_class_only(tuple.__ne__, against_tuple=True)
    __lt__ = _same_class_only(tuple.__lt__, against_tuple=None)
    __le__ = _same_class_only(tuple.__le__, against_tuple=None)
    __gt__ = _same_class_only(tuple.__gt__, against_tuple=None)
    __ge__ = _same_class_only(tuple.__ge__, against_tuple=None)
    __hash__ = tuple.__hash__

    def __getnewargs__(self) -> tuple[Any, ...]:
        # pickle and copy rebuild through the subclass's validating __new__.
        return tuple(self)
