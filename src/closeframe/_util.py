"""Argument checks shared by the modules: one spelling of each rule and message.

Every public function that takes a reason, a flag or a masking key checks it
here, so that each kind of bad argument gets the same typed error with the
same words wherever it is passed.
"""

from __future__ import annotations

__all__ = ["check_bool", "check_reason", "read_mask_key"]


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
