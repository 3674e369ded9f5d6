"""What the modules share: argument checks and buffer reading, one spelling each.

Every public function that takes a code, a reason, a flag, a buffer or a
masking key checks it here, so that each kind of bad argument gets the same
typed error with the same words wherever it is passed.  The one internal
module others import from: it imports nothing of the package, so any
module may use it.
"""

from __future__ import annotations

__all__ = [
    "bytes_view",
    "check_bool",
    "check_code",
    "check_reason",
    "read_mask_key",
    "to_usv_string",
]


def check_code(code: object) -> int:
    """*code*, if it is an ``int`` (a ``CloseCode`` member, an ``int`` subclass); else TypeError.

    Only the type: the range (0-65535) is :func:`closeframe.code_range`'s check.
    """
    # bool is an int subclass, but True is never meant as close code 1.
    if type(code) is bool or not isinstance(code, int):
        raise TypeError(f"close code must be an int, not {type(code).__name__}")
    return code


def check_reason(reason: object) -> str:
    """*reason* as a plain ``str``, or ``TypeError`` if it is not a ``str`` at all.

    A ``str`` subclass (an ``enum.StrEnum`` member, say) is accepted, as an
    ``int`` subclass is as a code, and stored as the plain ``str`` it holds:
    a reason read back is then always a ``str``, whatever was passed.
    """
    if type(reason) is str:
        return reason
    if isinstance(reason, str):
        # str.__str__ returns the characters as an exact str; str(reason)
        # would run a subclass's own __str__, which may say anything.
        return str.__str__(reason)
    raise TypeError(f"close reason must be a str, not {type(reason).__name__}")


def check_bool(name: str, value: object) -> bool:
    """*value*, if it is ``True`` or ``False``; else ``TypeError``.

    A flag such as ``truncate`` must be a bool: ``truncate="no"`` is truthy,
    and acting on it would do the opposite of what it says.
    """
    if value is True or value is False:
        return value
    raise TypeError(f"{name} must be a bool, not {type(value).__name__}")


def read_mask_key(mask_key: object) -> bytes:
    """The masking key's bytes, read once from any buffer (bytes, bytearray, memoryview...).

    One read: the key sent and the key applied must be the same bytes, even if
    the caller's buffer changes meanwhile.  Its length is the caller's check.
    """
    if isinstance(mask_key, str):
        raise TypeError("mask_key must be bytes-like, not str")
    try:
        view = memoryview(mask_key)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"mask_key must be bytes-like, not {type(mask_key).__name__}") from None
    except (ValueError, BufferError) as exc:
        raise TypeError(
            f"mask_key must be a readable bytes-like object;"
            f" this {type(mask_key).__name__} has no bytes to read ({exc})"
        ) from None
    with view:
        return view.tobytes()


def bytes_view(data: object, what: str) -> memoryview:
    """A view of any bytes-like *data*, or a TypeError that says what was expected.

    Every entry point that reads bytes reads them through this, so that each
    refuses a wrong type with the same words.
    """
    if isinstance(data, str):
        raise TypeError(
            f"close {what} must be bytes-like, not str (use bytes.fromhex() for a hex string)"
        )
    try:
        return memoryview(data)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"close {what} must be bytes, bytearray or memoryview, not {type(data).__name__}"
        ) from None
    except (ValueError, BufferError) as exc:
        # It has the buffer protocol but no bytes to give now: a released
        # memoryview, a closed mmap, an exporter that refuses.  Not a frame
        # from the peer, so not a CloseFrameError: the caller passed a dead
        # object, which is a type of argument the codec cannot read.
        raise TypeError(
            f"close {what} must be a readable bytes-like object;"
            f" this {type(data).__name__} has no bytes to read ({exc})"
        ) from None


def to_usv_string(reason: str) -> str:
    """*reason* as the WHATWG ``close()`` sees it: a USVString."""
    # The IDL type of `reason` is USVString: a surrogate pair becomes its code
    # point and a lone surrogate becomes U+FFFD before the length check.
    # UTF-16 joins the pairs; its "replace" handler stands in for the rest.
    return reason.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
