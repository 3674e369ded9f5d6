"""Sphinx directives that render closeframe's close-code registry as tables.

The tables are built from the installed package each time the docs build,
so they cannot drift from the code:

``.. closeframe-codes-table::``
    one row per registered code (every value of :class:`closeframe.CloseCode`);
``.. closeframe-ranges-table::``
    the ranges of RFC 6455 §7.4.2, with what the registry and the wire rules
    say about the codes in each.

Each directive writes reStructuredText (a ``list-table``) and hands it back
to the parser, so the output is ordinary docutils table nodes.
"""

from __future__ import annotations

import re

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

import closeframe
from closeframe import CloseCode, CloseEvent, code_info, code_range, is_script_allowed, is_sendable
from closeframe.browser import ENGINES, STRICT, BrowserOutcome, BrowserPolicy

# The ranges of RFC 6455 §7.4.2 (the last is bounded by the 2-byte field, §5.5.1).
RANGES = [(0, 999), (1000, 2999), (3000, 3999), (4000, 4999), (5000, 65535)]


def _text(value: str) -> str:
    """Registry prose as literal reST text: no markup can slip in."""
    return re.sub(r"([\\`*_|])", r"\\\1", value)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _spans(codes: list[int]) -> str:
    """``[1000, 1001, 1002, 1007]`` -> ``"1000–1002, 1007"``; ``"none"`` if empty."""
    if not codes:
        return "none"
    spans: list[tuple[int, int]] = []
    for code in codes:
        if spans and spans[-1][1] == code - 1:
            spans[-1] = (spans[-1][0], code)
        else:
            spans.append((code, code))
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def _aliases(canonical: CloseCode) -> tuple[list[str], list[str]]:
    """The enum's aliases for one code: (MDN constants, other spellings)."""
    info = code_info(canonical)
    assert info is not None
    mdn: list[str] = []
    other: list[str] = []
    for name, member in CloseCode.__members__.items():
        if member is canonical and name != canonical.name:
            (mdn if name == info.mdn_name else other).append(name)
    return mdn, other


def _table(title: str, header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    lines = [
        f".. list-table:: {title}",
        "   :header-rows: 1",
        f"   :widths: {widths}",
        "",
    ]
    for row in [header, *rows]:
        first, *rest = row
        lines.append(f"   * - {first}")
        lines.extend(f"     - {cell}" for cell in rest)
    return lines


def codes_table() -> list[str]:
    rows = []
    for member in sorted(set(CloseCode)):
        info = code_info(member)
        assert info is not None  # every CloseCode member is registered
        mdn, other = _aliases(member)
        names = [f"``{member.name}``", f"IANA: {_text(info.iana_name)}"]
        names += [f"MDN: ``{name}``" for name in mdn]
        names += [f"wsproto/websockets: ``{name}``" for name in other]
        rows.append(
            [
                f"**{int(member)}**",
                "; ".join(names),
                _text(f"{info.description} ({info.reference})"),
                _text(info.sender.value),
                _yes_no(is_sendable(member)),
                _yes_no(is_script_allowed(member)),
            ]
        )
    header = [
        "Code",
        "Names",
        "Meaning",
        "Who may send it",
        "Valid on the wire",
        "Allowed from a browser script",
    ]
    return _table("The registered close codes", header, rows, "6 24 34 14 10 12")


def ranges_table() -> list[str]:
    rows = []
    for low, high in RANGES:
        span = range(low, high + 1)
        # Each CodeRange class met in the span, in order of first appearance.
        classes = list(dict.fromkeys(code_range(code) for code in span))
        if len(classes) == 1:
            meaning = _text(classes[0].value)
        else:  # say which codes of the span fall in each class
            meaning = "; ".join(
                f"{_text(kind.value)}: {_spans([c for c in span if code_range(c) is kind])}"
                for kind in classes
            )
        rows.append(
            [
                f"{low}–{high}",
                meaning,
                _spans([code for code in span if is_sendable(code)]),
                _spans([code for code in span if is_script_allowed(code)]),
            ]
        )
    header = ["Range", "What the codes are", "Valid on the wire", "Allowed from a browser script"]
    return _table("The close-code ranges (RFC 6455 §7.4.2)", header, rows, "12 48 20 20")


def _frame(payload: bytes, first: int = 0x88, length_form: bytes | None = None) -> bytes:
    """A server's frame: unmasked, FIN and close opcode unless *first* says otherwise."""
    length = bytes((len(payload),)) if length_form is None else length_form
    return bytes((first,)) + length + payload


# (what the server sends, its byte stream or None, what it then does with TCP,
# and for a class of codes every code the row stands for).
_BYE = _frame(b"\x03\xe8bye")
BROWSER_ROWS: list[tuple[str, bytes | None, str, list[int]]] = [
    ("1000-1003, 1007-1011, 3000-4999", None, "after-reply",
     [*range(1000, 1004), *range(1007, 1012), *range(3000, 5000)]),
    ("1012-1014", None, "after-reply", [1012, 1013, 1014]),
    ("1004", None, "after-reply", [1004]),
    ("1005, 1006, 1015", None, "after-reply", [1005, 1006, 1015]),
    ("0", None, "after-reply", [0]),
    ("1-999, 1016-2999, 5000-65535", None, "after-reply",
     [*range(1, 1000), *range(1016, 3000), *range(5000, 65536)]),
    ("an empty close", _frame(b""), "after-reply", []),
    ("a 1-byte payload", _frame(b"\x03"), "after-reply", []),
    ("a reason that is not UTF-8", _frame(b"\x03\xe8\xff"), "after-reply", []),
    ("a NUL in the reason", _frame(b"\x03\xe8a\x00b"), "after-reply", []),
    ("a 126-byte payload", _frame(b"\x03\xe8" + b"a" * 124, length_form=b"\x7e\x00\x7e"),
     "after-reply", []),
    ("125 bytes in the 16-bit length form",
     _frame(b"\x03\xe8" + b"a" * 123, length_form=b"\x7e\x00\x7d"), "after-reply", []),
    ("a masked close", b"\x88\x85\x00\x00\x00\x00\x03\xe8bye", "after-reply", []),
    ("RSV1 set", _frame(b"\x03\xe8bye", first=0xC8), "after-reply", []),
    ("FIN clear", _frame(b"\x03\xe8bye", first=0x08), "after-reply", []),
    ("a text frame after the close", _BYE + b"\x81\x04late", "after-reply", []),
    ("a second close after the close", _BYE + _frame(b"\x03\xe9"), "after-reply", []),
    ("1000 \"bye\", then TCP half-closed", _BYE, "fin", []),
    ("1000 \"bye\", then TCP closed", _BYE, "close", []),
    ("1000 \"bye\", then TCP reset", _BYE, "rst", []),
    ("nothing; TCP closed", None, "close", []),
    ("nothing; TCP reset", None, "rst", []),
]  # fmt: skip


def _shown(reason: str) -> str:
    # A NUL or another control character, shown as an escape.
    return _text(reason if reason.isprintable() else reason.encode("unicode_escape").decode())


def _reply_text(reply: bytes | None) -> str:
    if reply is None:
        return "no close frame reaches the server"
    if not reply:
        return "sends an empty close"
    code = int.from_bytes(reply[:2], "big")
    reason = reply[2:].decode()
    return f"sends {code}" + (f' "{_shown(reason)}"' if reason else "")


def _outcome_text(outcome: BrowserOutcome, code_class: bool) -> str:
    event = outcome.close_event
    if event == CloseEvent.abnormal():
        seen = "page sees 1006"
    else:
        seen = "page sees the code" if code_class else f"page sees {int(event.code)}"
        if event.reason:
            seen += f' "{_shown(event.reason)}"'
    parts = ["**error** event" if outcome.error_event else "", seen]
    parts.append("clean" if event.was_clean else "not clean")
    reply = outcome.reply
    if code_class and reply is not None and event != CloseEvent.abnormal():
        parts.append("sends an empty close" if not reply else "echoes it")
    else:
        parts.append(_reply_text(reply))
    text = ", ".join(part for part in parts if part)
    if outcome.uncertain:
        text += " (varies between runs: " + ", ".join(sorted(outcome.uncertain)) + ")"
    return text


def _row_outcome(policy: BrowserPolicy, stream: bytes | None, mode: str, codes: list[int]) -> str:
    if not codes:
        return _outcome_text(policy.receive(stream, server_closes=mode), code_class=False)  # type: ignore[arg-type]
    # A class of codes: every code must get the same answer, else the row lies.
    answers = set()
    for code in codes:
        outcome = policy.receive(_frame(code.to_bytes(2, "big")))
        answers.add(_outcome_text(outcome, code_class=True))
    if len(answers) != 1:
        raise ValueError(f"{policy!r} answers the codes of one row differently: {answers}")
    return answers.pop()


def browsers_table() -> list[str]:
    rows = []
    strict = STRICT
    for label, stream, mode, codes in BROWSER_ROWS:
        reference = _row_outcome(strict, stream, mode, codes)
        cells = [reference]
        for policy in ENGINES.values():
            cell = _row_outcome(policy, stream, mode, codes)
            cells.append(cell if cell == reference else f"**≠** {cell}")
        rows.append([_text(label), *cells])
    header = [
        "The server sends",
        "RFC 6455, strictly",
        *(p.CHECKED_WITH for p in ENGINES.values()),
    ]
    return _table("What the page sees, and what the browser sends back", header, rows,
                  "16 21 21 21 21")  # fmt: skip


class _GeneratedTable(SphinxDirective):
    has_content = False
    build = staticmethod(codes_table)

    def run(self) -> list[nodes.Node]:
        container = nodes.container(classes=["closeframe-generated"])
        source = f"<generated by {type(self).__name__} from closeframe {closeframe.__version__}>"
        self.state.nested_parse(StringList(self.build(), source=source), 0, container)
        return [container]


class CodesTable(_GeneratedTable):
    build = staticmethod(codes_table)


class RangesTable(_GeneratedTable):
    build = staticmethod(ranges_table)


class BrowsersTable(_GeneratedTable):
    build = staticmethod(browsers_table)


def resolve_reexport(
    app: Sphinx, env: object, node: nodes.Element, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve ``closeframe.X`` (and a bare ``X`` from another module) to where X is documented.

    The API reference documents each object once, under its submodule
    (``closeframe.payload.Close``), while users import it from the package
    root and docstrings name it without a module.  A reference Sphinx could
    not resolve is retried here against the one documented object whose
    name, after ``closeframe.<module>.``, matches.
    """
    if node.get("refdomain") != "py":
        return None
    short = node["reftarget"].removeprefix("closeframe.")
    domain = app.env.get_domain("py")
    found = [
        name
        for name, *_ in domain.get_objects()
        if name.startswith("closeframe.") and name.split(".", 2)[-1] == short
    ]
    if len(found) != 1:
        return None
    return domain.resolve_xref(
        app.env, node["refdoc"], app.builder, node["reftype"], found[0], node, contnode
    )


def hide_private_bases(
    app: Sphinx, name: str, obj: object, options: object, bases: list[type]
) -> None:
    """Show ``tuple`` instead of a private tuple base.

    Such as a namedtuple's ``_CodeInfoFields``, or ``closeframe._record.Record``
    under Close and CloseEvent.
    """
    bases[:] = [
        tuple
        if isinstance(base, type)
        and issubclass(base, tuple)
        and (base.__name__.startswith("_") or base.__module__.startswith("closeframe._"))
        else base
        for base in bases
    ]
    bases[:] = list(dict.fromkeys(bases))  # Record and tuple[...] both become tuple


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("closeframe-codes-table", CodesTable)
    app.add_directive("closeframe-ranges-table", RangesTable)
    app.add_directive("closeframe-browsers-table", BrowsersTable)
    app.connect("missing-reference", resolve_reexport)
    app.connect("autodoc-process-bases", hide_private_bases)
    return {"version": closeframe.__version__, "parallel_read_safe": True}
