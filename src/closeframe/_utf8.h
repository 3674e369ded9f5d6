/*
 * UTF-8 for closeframe._speedups: the parser's strict check and decoder of a
 * close reason (utf8_decode, and utf8_scan to name an error) and the serializer's
 * encoder (encode_reason).  Included once, by _speedups.c: every function is
 * static.  Nothing here keeps state or calls back into Python.
 */

#ifndef CLOSEFRAME_UTF8_H
#define CLOSEFRAME_UTF8_H

#include <Python.h>
#include <stdint.h> /* uint64_t */
#include <string.h> /* memcpy */

/* What is wrong with bytes that are not UTF-8, in the words of CPython's
 * decoder (UnicodeDecodeError.reason); _speedups.c makes them str once per
 * module, in its state. */
enum { UTF8_VALID = -1, INVALID_START, END_OF_DATA, INVALID_CONTINUATION, UTF8_ERRORS };
static const char *const utf8_error_text[UTF8_ERRORS] = {
    "invalid start byte", "unexpected end of data", "invalid continuation byte"};

/* The most bytes utf8_decode takes: a close reason, a control frame's 125
 * bytes less the 2-byte code (RFC 6455 §5.5).  Its buffers live on the stack
 * at this size; _speedups.c asserts its MAX_REASON is no more. */
#define UTF8_DECODE_ROOM 123

/* For the decoder's refusals: tells the compiler to lay out each check as
 * a compare and a jump, rather than compute flags to test later. */
#if defined(__GNUC__) || defined(__clang__)
#define UTF8_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define UTF8_UNLIKELY(x) (x)
#endif

/* Strict UTF-8 (RFC 3629), checked the way CPython's own decoder checks it
 * (Objects/stringlib/codecs.h, which this mirrors step for step), so that an
 * error names the same byte with the same words as the Python codec.
 * Returns UTF8_VALID when s[0:n] is valid; otherwise what is wrong, with
 * *position set to the offending sequence's first byte.  utf8_decode calls
 * it once it has met an invalid sequence, at that sequence, and first on a
 * non-ASCII tail of at most three bytes. */
static int
utf8_scan(const unsigned char *s, Py_ssize_t n, Py_ssize_t *position)
{
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char lead = s[i], low = 0x80, high = 0xBF;
        Py_ssize_t follow;
        if (lead < 0x80) {
            i++;
            continue;
        }
        if (lead < 0xC2 || lead > 0xF4) { /* continuation, overlong C0/C1, F5-FF */
            *position = i;
            return INVALID_START;
        }
        if (lead < 0xE0) {
            follow = 1;
        }
        else if (lead < 0xF0) {
            follow = 2;
            low = lead == 0xE0 ? 0xA0 : 0x80;  /* E0 80-9F would be overlong */
            high = lead == 0xED ? 0x9F : 0xBF; /* ED A0-BF would be a surrogate */
        }
        else {
            follow = 3;
            low = lead == 0xF0 ? 0x90 : 0x80;  /* F0 80-8F would be overlong */
            high = lead == 0xF4 ? 0x8F : 0xBF; /* F4 90-BF would pass U+10FFFF */
        }
        for (Py_ssize_t k = 1; k <= follow; k++) {
            if (i + k >= n) {
                *position = i;
                return END_OF_DATA;
            }
            unsigned char next = s[i + k];
            if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xBF)) {
                *position = i;
                return INVALID_CONTINUATION;
            }
        }
        i += follow + 1;
    }
    return UTF8_VALID;
}

/* utf8_decode's loop, for a reason whose first non-ASCII byte is s[ascii]. */
static int
utf8_decode_wide(const unsigned char *s, Py_ssize_t n, Py_ssize_t ascii, PyObject **text,
                 Py_ssize_t *position)
{
    *text = NULL;
    unsigned char rest[UTF8_DECODE_ROOM + 3];
    Py_UCS4 wide[UTF8_DECODE_ROOM];
    Py_ssize_t left = n - ascii;
    memcpy(rest, s + ascii, (size_t)left);
    memset(rest + left, 0xFF, 3);
    const unsigned char *p = rest, *end = rest + left;
    Py_UCS4 *out = wide, seen = 0, c = rest[0]; /* not ASCII */
    for (;;) {
        /* A continuation byte, 80-BF, is -128 to -65 as a signed char (one
         * compare checks it, and adding 0x80 makes its 6 bits), or 00-3F
         * once XORed with 0x80 (one compare checks the OR of several).
         * The 2-byte branch takes the first form, the others the second:
         * given the same check in every branch, GCC 12 hoists it above the
         * branches into flags tested later, which cost 46 instructions
         * more on the benchmark's reason. */
        if (c < 0xE0) {
            int b1 = (signed char)p[1];
            if (UTF8_UNLIKELY(c < 0xC2 || b1 >= -0x40)) { /* 80-C1: no lead, or overlong */
                break;
            }
            c = (c << 6) + (Py_UCS4)b1 - ((0xC0u << 6) - 0x80);
            p += 2;
        }
        else if (c < 0xF0) {
            Py_UCS4 b1 = p[1] ^ 0x80u, b2 = p[2] ^ 0x80u;
            if (UTF8_UNLIKELY((b1 | b2) > 0x3F)) {
                break;
            }
            c = (c << 12) + (b1 << 6) + b2 - (0xE0u << 12);
            if (UTF8_UNLIKELY(c < 0x800 || c - 0xD800 < 0x800)) { /* overlong, surrogate */
                break;
            }
            p += 3;
        }
        else { /* F5-FF too: they come out past U+10FFFF */
            Py_UCS4 b1 = p[1] ^ 0x80u, b2 = p[2] ^ 0x80u, b3 = p[3] ^ 0x80u;
            if (UTF8_UNLIKELY((b1 | b2 | b3) > 0x3F)) {
                break;
            }
            c = (c << 18) + (b1 << 12) + (b2 << 6) + b3 - (0xF0u << 18);
            if (UTF8_UNLIKELY(c - 0x10000 > 0x10FFFF - 0x10000)) { /* overlong, too big */
                break;
            }
            p += 4;
        }
        seen |= c;
        *out++ = c;
        c = *p;
        while (c < 0x80) { /* a run of ASCII; the 0xFF after the end stops it */
            *out++ = c;
            c = *++p;
        }
        if (p == end) {
            break;
        }
    }
    if (p < end) {
        Py_ssize_t at = ascii + (p - rest);
        int what = utf8_scan(s + at, n - at, position);
        *position += at;
        return what;
    }

    /* At least one character is past ASCII: seen is 0x80 or more. */
    Py_ssize_t count = out - wide;
    Py_UCS4 maxchar = seen < 0x100 ? 0xFF : seen < 0x10000 ? 0xFFFF : 0x10FFFF;
    PyObject *result = PyUnicode_New(ascii + count, maxchar);
    if (result == NULL) {
        return UTF8_VALID;
    }
    if (maxchar == 0xFF) {
        Py_UCS1 *data = PyUnicode_1BYTE_DATA(result);
        memcpy(data, s, (size_t)ascii);
        for (Py_ssize_t k = 0; k < count; k++) {
            data[ascii + k] = (Py_UCS1)wide[k];
        }
    }
    else if (maxchar == 0xFFFF) {
        Py_UCS2 *data = PyUnicode_2BYTE_DATA(result);
        for (Py_ssize_t k = 0; k < ascii; k++) {
            data[k] = s[k];
        }
        for (Py_ssize_t k = 0; k < count; k++) {
            data[ascii + k] = (Py_UCS2)wide[k];
        }
    }
    else {
        Py_UCS4 *data = PyUnicode_4BYTE_DATA(result);
        for (Py_ssize_t k = 0; k < ascii; k++) {
            data[k] = s[k];
        }
        memcpy(data + ascii, wide, (size_t)count * sizeof(Py_UCS4));
    }
    *text = result;
    return UTF8_VALID;
}

/* Check and decode a reason of n <= UTF8_DECODE_ROOM bytes: returns
 * UTF8_VALID with *text set to a new str (NULL if it could not be
 * allocated, with the error set), or, for bytes that are not UTF-8, what is
 * wrong, with *position set as utf8_scan sets it (and *text NULL).
 *
 * Why not PyUnicode_DecodeUTF8: built for text of any length, it starts
 * with 1-byte storage and, on meeting a wider character, copies everything
 * so far into wider storage (for the benchmark's reason, mixing Latin, CJK
 * and an emoji: twice), then shrinks the over-allocated result.  A reason
 * is short, so it is decoded in one pass into a stack buffer of code
 * points, noting the OR of them all, which fixes the str's storage: a str
 * must use the narrowest that holds its widest character (unicodeobject.c
 * compares kinds before contents), and the kinds' limits (U+00FF, U+FFFF)
 * are powers of two less one, so the OR is under a limit when every
 * character is.  The exact str is then allocated once and the code points
 * copied in at that width.  This replaced a check-and-count pass followed
 * by a decoding pass: on the benchmark's 123-byte reason (68 characters of
 * 1 to 4 bytes) parse_bytes took 2,904 instructions; now 1,375 in all
 * (parse_bytes 104, utf8_decode_wide 1,221, memcpy 50), and the whole
 * `parse max-reason` row 3,966 -> 2,437 (callgrind, CPython 3.11).
 *
 * Plain ASCII, most reasons, never reaches the loop: it is found eight
 * bytes at a time and copied straight into a 1-byte str, inline in the
 * caller (the 20-byte row's parse_bytes: 132 -> 112 instructions, with no
 * call and no stack buffers to set up).  The rest of the
 * reason, from its first non-ASCII byte, is copied to the stack followed by
 * three 0xFF bytes, neither ASCII nor continuation bytes: a sequence cut
 * short by the end of the reason then fails its continuation check like
 * any other bad byte, and a run of ASCII stops at them, so the loop needs
 * no bound check but one per non-ASCII character, and every read stays
 * inside the copy.  Each sequence is checked through its
 * code point: continuation bytes must be 10xxxxxx, and the value must be
 * in its length's range (U+0080-U+07FF, U+0800-U+FFFF less the surrogates
 * U+D800-U+DFFF, U+10000-U+10FFFF), which refuses exactly what RFC 3629
 * refuses (overlongs, surrogates, C0, C1, F5-FF, stray continuations).
 * On the first refusal, utf8_scan, the faithful copy of CPython's check,
 * runs from that sequence over the caller's bytes to name the error. */
static inline int
utf8_decode(const unsigned char *s, Py_ssize_t n, PyObject **text, Py_ssize_t *position)
{
    Py_ssize_t ascii = 0;
    uint64_t word;
    while (ascii + 8 <= n && (memcpy(&word, s + ascii, 8), (word & 0x8080808080808080u) == 0)) {
        ascii += 8;
    }
    /* When fewer than eight bytes are left (the loop did not stop at a
     * non-ASCII byte), they are read as the last eight, overlapping bytes
     * already read, if there are eight: no byte loop for an ASCII reason
     * (the 20-byte row's parse_bytes: 117 -> 101 instructions). */
    if (ascii < n && ascii + 8 > n && n >= 8
        && (memcpy(&word, s + n - 8, 8), (word & 0x8080808080808080u) == 0)) {
        ascii = n;
    }
    while (ascii < n && s[ascii] < 0x80) {
        ascii++;
    }
    if (ascii < n) {
        /* At most three bytes past the ASCII: one sequence, or a cut one.
         * A reason cut at its byte limit in the middle of a character (by
         * a sender that truncates bytes, not characters) ends so: CPython's
         * check alone tells a cut one, without
         * copying for the decoder first (about 2,050 -> 1,970 instructions on
         * the benchmark's cut reason, where the least raising of that error
         * costs 1,813; a valid short tail pays a few more). */
        if (n - ascii <= 3) {
            int what = utf8_scan(s + ascii, n - ascii, position);
            if (what != UTF8_VALID) {
                *text = NULL;
                *position += ascii;
                return what;
            }
        }
        return utf8_decode_wide(s, n, ascii, text, position);
    }
    *text = PyUnicode_New(n, 0x7F);
    if (*text != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(*text), s, (size_t)n);
    }
    return UTF8_VALID;
}

/* Encode a str reason that may be sent (at most `limit` bytes of UTF-8, no
 * lone surrogate) into out, which has room for 4 * limit bytes: returns its
 * size, with *utf8 set to where the UTF-8 is (out, or the str's own storage
 * when it is ASCII; *utf8 is left alone otherwise), or -1 for any other
 * reason (the checked path says what is wrong).
 *
 * Encoded here from the str's own storage rather than through
 * PyUnicode_AsUTF8AndSize, which would leave a UTF-8 copy cached inside the
 * caller's str for as long as it lives (a million-character Latin-1 string
 * grew from 1 MB to 3 MB), even when the reason is then refused.  A reason
 * of more than `limit` characters is refused from its length alone; the others
 * take at most 4 bytes a character, so `out` has room for any of them and
 * the loops check no bound: the size is checked once, at the end.  One loop
 * per storage width keeps the work per character to a compare or two
 * (RFC 3629 §3); writing through a moving pointer rather than an index
 * took serialize_parts from 1,159 to 1,124 instructions on the benchmark's
 * 68-character reason (about 16 a character: a load, the loop's bound, a
 * compare per width passed, and the bytes themselves). */
#define ENCODE_REASON(CHAR)                                                 \
    do {                                                                    \
        const CHAR *text = (const CHAR *)data, *stop = text + length;       \
        for (; text < stop; text++) {                                       \
            Py_UCS4 c = *text;                                              \
            if (c < 0x80) {                                                 \
                *o++ = (unsigned char)c;                                    \
            }                                                               \
            else if (c < 0x800) {                                           \
                o[0] = (unsigned char)(0xC0 | c >> 6);                      \
                o[1] = (unsigned char)(0x80 | (c & 0x3F));                  \
                o += 2;                                                     \
            }                                                               \
            else if (sizeof(CHAR) == 2 || c < 0x10000) {                    \
                if (Py_UNICODE_IS_SURROGATE(c)) {                           \
                    return -1;                                              \
                }                                                           \
                o[0] = (unsigned char)(0xE0 | c >> 12);                     \
                o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));             \
                o[2] = (unsigned char)(0x80 | (c & 0x3F));                  \
                o += 3;                                                     \
            }                                                               \
            else {                                                          \
                o[0] = (unsigned char)(0xF0 | c >> 18);                     \
                o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));            \
                o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));             \
                o[3] = (unsigned char)(0x80 | (c & 0x3F));                  \
                o += 4;                                                     \
            }                                                               \
        }                                                                   \
    } while (0)

/* The characters past ASCII: one loop per storage width.  Out of line, so
 * that encode_reason, which the serializer inlines, stays small. */
static Py_ssize_t
encode_wide(PyObject *reason, Py_ssize_t length, Py_ssize_t limit, unsigned char *out)
{
    const void *data = PyUnicode_DATA(reason);
    unsigned char *o = out;
    switch (PyUnicode_KIND(reason)) {
    case PyUnicode_1BYTE_KIND:
        ENCODE_REASON(Py_UCS1);
        break;
    case PyUnicode_2BYTE_KIND:
        ENCODE_REASON(Py_UCS2);
        break;
    default:
        ENCODE_REASON(Py_UCS4);
        break;
    }
    Py_ssize_t size = o - out;
    return size <= limit ? size : -1;
}

static inline Py_ssize_t
encode_reason(PyObject *reason, Py_ssize_t limit, unsigned char *out,
              const unsigned char **utf8)
{
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(reason) < 0) { /* a legacy str; none since 3.12 */
        PyErr_Clear();
        return -1;
    }
#endif
    Py_ssize_t length = PyUnicode_GET_LENGTH(reason);
    if (length > limit) {
        return -1; /* every character takes at least one byte */
    }
    if (PyUnicode_IS_ASCII(reason)) {
        /* ASCII is its own UTF-8: read in place, no copy into out (15 of
         * a 20-byte reason's instructions), and no call (15 more).  A str
         * never changes, so the caller may read it after this returns. */
        *utf8 = PyUnicode_1BYTE_DATA(reason);
        return length;
    }
    return encode_wide(reason, length, limit, out);
}

#endif /* CLOSEFRAME_UTF8_H */
