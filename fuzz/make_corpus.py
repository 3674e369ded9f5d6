"""Write the seed corpus of fuzz_close.py into fuzz/corpus/ (reproducibly).

Run from anywhere: ``python fuzz/make_corpus.py``.  It deletes the files
it does not write, so the directory always matches this script exactly.
Each file is one fuzz input: a selector byte (see fuzz_close.py), then the
payload or frame.  Only the standard library is used: the frames are built
by hand, not by the codec under test.
"""

from __future__ import annotations

import os
import sys

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# Selector bytes: entry point | masked= expectation | buffer type.
PAYLOAD, DECODE, READ = 0x00, 0x01, 0x02
MASKED_NONE, MASKED_TRUE, MASKED_FALSE = 0x00, 0x04, 0x08
BYTES, BYTEARRAY, MEMORYVIEW, STRIDED = 0x00, 0x10, 0x20, 0x30
ITEMS_2, TWO_D, STRIDED_ITEMS_2 = 0x40, 0x50, 0x60

KEY = bytes.fromhex("37fa213d")  # the masking key of RFC 6455 §5.7


def code(value: int, reason: bytes = b"") -> bytes:
    return value.to_bytes(2, "big") + reason


def mask(payload: bytes, key: bytes) -> bytes:
    return bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))


def frame(payload: bytes, key: bytes | None = None, first: int = 0x88) -> bytes:
    if key is None:
        return bytes((first, len(payload))) + payload
    return bytes((first, 0x80 | len(payload))) + key + mask(payload, key)


def payloads() -> dict[str, bytes]:
    seeds = {
        "empty": b"",
        "one-byte": b"\x03",
        "1000": code(1000),
        "1000-bye": code(1000, b"bye"),
        "1000-nul": code(1000, b"\x00"),
        # 123 bytes of reason, the most that fits, in 2-, 3- and 4-byte characters.
        "reason-123-2byte": code(1000, "é".encode() * 61 + b"a"),
        "reason-123-3byte": code(1000, "€".encode() * 41),
        "reason-123-4byte": code(1000, "😀".encode() * 30 + b"abc"),
        "reason-124-multibyte": code(1000, "€".encode() * 41 + b"a"),
        "length-125": code(1000, b"a" * 123),
        "length-126": code(1000, b"a" * 124),
        "length-200": code(1000, b"a" * 198),
        "1005-with-reason": code(1005, b"x"),
        "invalid-code-with-bad-utf8": code(999, b"\xff"),
        "long-bad-utf8": code(1000, b"\xff" * 124),
    }
    for value in (0, 999, 1003, 1004, 1005, 1006, 1007, 1014, 1015, 1016, 2999, 3000,
                  4000, 4999, 5000, 65535):  # fmt: skip
        seeds[f"code-{value}"] = code(value)
    invalid_utf8 = {
        "overlong-2": b"\xc0\xaf",
        "overlong-3": b"\xe0\x80\xaf",
        "overlong-4": b"\xf0\x80\x80\xaf",
        "surrogate-high": b"\xed\xa0\x80",
        "surrogate-low": b"\xed\xbf\xbf",
        "above-10ffff": b"\xf4\x90\x80\x80",
        "lead-f5": b"\xf5\x80\x80\x80",
        "truncated-3": b"ok\xe2\x82",
        "truncated-4": b"\xf0\x9f\x98",
        "stray-continuation": b"a\x80b",
        "byte-ff": b"\xff",
        "byte-fe": b"\xfe",
    }
    for name, reason in invalid_utf8.items():
        seeds[f"utf8-{name}"] = code(1000, reason)
    seeds["utf8-valid-4byte"] = code(1000, b"\xf0\x9f\x98\x80")
    seeds["utf8-max-10ffff"] = code(1000, b"\xf4\x8f\xbf\xbf")
    return {f"payload-{name}": bytes((PAYLOAD,)) + data for name, data in seeds.items()}


def frames() -> dict[str, bytes]:
    bye = code(1000, b"bye")
    seeds = {
        "empty": frame(b""),
        "1000": frame(code(1000)),
        "1000-bye": frame(bye),
        "masked-empty": frame(b"", KEY),
        "masked-1000-bye": frame(bye, KEY),
        "masked-zero-key": frame(bye, bytes(4)),
        "masked-125": frame(code(4000, "€".encode() * 41), KEY),
        "masked-bad-utf8": frame(code(1000, b"\xed\xa0\x80"), KEY),
        "masked-bad-code": frame(code(1006), KEY),
        "unmasked-125": frame(code(3000, b"z" * 123)),
        "payload-one-byte": frame(b"\x03"),
        "opcode-ping": frame(bye, first=0x89),
        "opcode-text": frame(bye, first=0x81),
        "opcode-continuation": frame(bye, first=0x80),
        "fin-clear": frame(bye, first=0x08),
        "rsv1": frame(bye, first=0xC8),
        "rsv2": frame(bye, first=0xA8),
        "rsv3": frame(bye, first=0x98),
        "length-126": bytes((0x88, 0x7E, 0x00, 0x7E)) + code(1000, b"a" * 124),
        "length-127": bytes((0x88, 0x7F)) + (128).to_bytes(8, "big") + code(1000, b"a" * 126),
        "masked-length-126": bytes((0x88, 0xFE, 0x00, 0x7E)) + KEY,
        "trailing-byte": frame(code(1000)) + b"\x00",
        "trailing-frame": frame(bye) + bytes((0x89, 0x00)),
        "trailing-masked": frame(bye, KEY) + frame(b"", KEY),
        "header-only": bytes((0x88,)),
        "incomplete-payload": frame(bye)[:4],
        "incomplete-key": frame(bye, KEY)[:4],
    }
    out: dict[str, bytes] = {}
    for name, data in seeds.items():
        out[f"decode-{name}"] = bytes((DECODE | MASKED_NONE,)) + data
        out[f"read-{name}"] = bytes((READ | MASKED_NONE,)) + data
    # The masked= expectation, met and broken, and the other buffer types.
    out["decode-expect-masked-ok"] = bytes((DECODE | MASKED_TRUE,)) + frame(bye, KEY)
    out["decode-expect-masked-got-unmasked"] = bytes((DECODE | MASKED_TRUE,)) + frame(bye)
    out["decode-expect-unmasked-ok"] = bytes((DECODE | MASKED_FALSE,)) + frame(bye)
    out["decode-expect-unmasked-got-masked"] = bytes((DECODE | MASKED_FALSE,)) + frame(bye, KEY)
    out["read-expect-masked-ok"] = bytes((READ | MASKED_TRUE,)) + frame(bye, KEY)
    out["read-expect-unmasked-got-masked"] = bytes((READ | MASKED_FALSE,)) + frame(bye, KEY)
    kinds = (
        (BYTEARRAY, "bytearray"),
        (MEMORYVIEW, "memoryview"),
        (STRIDED, "strided"),
        (ITEMS_2, "items2"),
        (TWO_D, "2d"),
        (STRIDED_ITEMS_2, "strided-items2"),
    )
    for kind, label in kinds:
        out[f"payload-{label}"] = bytes((PAYLOAD | kind,)) + bye
        out[f"payload-{label}-too-long"] = bytes((PAYLOAD | kind,)) + code(1000, b"a" * 200)
        out[f"decode-{label}-masked"] = bytes((DECODE | kind,)) + frame(bye, KEY)
        out[f"read-{label}-trailing"] = bytes((READ | kind,)) + frame(bye) + b"\x88"
    return out


def main() -> int:
    seeds = {**payloads(), **frames()}
    os.makedirs(CORPUS, exist_ok=True)
    for stale in set(os.listdir(CORPUS)) - set(seeds):
        os.remove(os.path.join(CORPUS, stale))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(CORPUS, name), "wb") as file:
            file.write(data)
    print(f"{len(seeds)} seeds in {CORPUS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
