/*
 * UTF-8 for closeframe._speedups: the parser's strict check and decoder of a
 * close reason (utf8_scan, utf8_next, utf8_decode) and the serializer's
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

/* Strict UTF-8 (RFC 3629), checked the way CPython's own decoder checks it
 * (Objects/stringlib/codecs.h, which this mirrors step for step), so that an
 * error names the same byte with the same words as the Python codec.
 * Returns UTF8_VALID when s[0:n] is valid, with *chars set to the number of
 * characters and *widest to the largest lead byte (which fixes the widest
 * character's storage size); otherwise what is wrong, with *position set
 * to the offending sequence's first byte. */
static int
utf8_scan(const unsigned char *s, Py_ssize_t n, Py_ssize_t *position, Py_ssize_t *chars,
          unsigned char *widest)
{
    Py_ssize_t i = 0, count = 0;
    unsigned char top = 0;
    while (i < n) {
        unsigned char lead = s[i], low = 0x80, high = 0xBF;
        Py_ssize_t follow;
        count++;
        if (lead < 0x80) {
            i++;
            /* Most reasons are plain ASCII text: skip it eight bytes at a
             * time (no byte of the word has its high bit set). */
            uint64_t word;
            while (i + 8 <= n && (memcpy(&word, s + i, 8), (word & 0x8080808080808080u) == 0)) {
                i += 8;
                count += 8;
            }
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
        if (lead > top) {
            top = lead;
        }
        i += follow + 1;
    }
    *chars = count;
    *widest = top;
    return UTF8_VALID;
}

/* The code point of the valid sequence at s[*i], moving *i past it. */
static inline Py_UCS4
utf8_next(const unsigned char *s, Py_ssize_t *i)
{
    unsigned char lead = s[*i];
    if (lead < 0x80) {
        *i += 1;
        return lead;
    }
    if (lead < 0xE0) {
        *i += 2;
        return (Py_UCS4)(lead & 0x1F) << 6 | (s[*i - 1] & 0x3F);
    }
    if (lead < 0xF0) {
        *i += 3;
        return (Py_UCS4)(lead & 0x0F) << 12 | (Py_UCS4)(s[*i - 2] & 0x3F) << 6 |
               (s[*i - 1] & 0x3F);
    }
    *i += 4;
    return (Py_UCS4)(lead & 0x07) << 18 | (Py_UCS4)(s[*i - 3] & 0x3F) << 12 |
           (Py_UCS4)(s[*i - 2] & 0x3F) << 6 | (s[*i - 1] & 0x3F);
}

/* Decode a valid reason of `chars` characters into a new str.
 *
 * Why not PyUnicode_DecodeUTF8: built for text of any length, it starts
 * with 1-byte storage and, on meeting a wider character, copies everything
 * so far into wider storage (for the benchmark's reason, mixing Latin, CJK
 * and an emoji: twice), then shrinks the over-allocated result.  A reason
 * is at most 123 bytes, cheap to read twice: utf8_scan has counted the
 * characters and found the widest, so this allocates the exact str once
 * and writes each character into place (which took the benchmark's
 * 123-byte row from 0.73x to 0.44x of the floor).  A str must use the
 * narrowest storage that holds its widest character (unicodeobject.c
 * compares kinds before contents), and the widest lead byte says exactly
 * which: C2-C3 lead U+0080-U+00FF, C4-EF U+0100-U+FFFF, F0-F4 the rest. */
static PyObject *
utf8_decode(const unsigned char *s, Py_ssize_t n, Py_ssize_t chars, unsigned char widest)
{
    Py_UCS4 maxchar = widest < 0x80   ? 0x7F
                      : widest < 0xC4 ? 0xFF
                      : widest < 0xF0 ? 0xFFFF
                                      : 0x10FFFF;
    PyObject *text = PyUnicode_New(chars, maxchar);
    if (text == NULL) {
        return NULL;
    }
    Py_ssize_t i = 0, j = 0;
    if (maxchar == 0x7F) {
        memcpy(PyUnicode_1BYTE_DATA(text), s, (size_t)n);
    }
    else if (maxchar == 0xFF) {
        Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
        while (i < n) {
            out[j++] = (Py_UCS1)utf8_next(s, &i);
        }
    }
    else if (maxchar == 0xFFFF) {
        Py_UCS2 *out = PyUnicode_2BYTE_DATA(text);
        while (i < n) {
            out[j++] = (Py_UCS2)utf8_next(s, &i);
        }
    }
    else {
        Py_UCS4 *out = PyUnicode_4BYTE_DATA(text);
        while (i < n) {
            out[j++] = utf8_next(s, &i);
        }
    }
    return text;
}

/* Encode a str reason that may be sent (at most `limit` bytes of UTF-8, no
 * lone surrogate) into out, which has room for 4 * limit bytes: returns its
 * size, or -1 for any other reason (the checked path says what is wrong).
 *
 * Encoded here from the str's own storage rather than through
 * PyUnicode_AsUTF8AndSize, which would leave a UTF-8 copy cached inside the
 * caller's str for as long as it lives (a million-character Latin-1 string
 * grew from 1 MB to 3 MB), even when the reason is then refused.  A reason
 * of more than `limit` characters is refused from its length alone; the others
 * take at most 4 bytes a character, so `out` has room for any of them and
 * the loops check no bound: the size is checked once, at the end.  One loop
 * per storage width keeps the work per character to a compare or two
 * (RFC 3629 §3). */
#define ENCODE_REASON(CHAR)                                                 \
    do {                                                                    \
        const CHAR *text = (const CHAR *)data;                              \
        for (Py_ssize_t i = 0; i < length; i++) {                           \
            Py_UCS4 c = text[i];                                            \
            if (c < 0x80) {                                                 \
                out[size++] = (unsigned char)c;                             \
                continue;                                                   \
            }                                                               \
            if (c < 0x800) {                                                \
                out[size++] = (unsigned char)(0xC0 | c >> 6);               \
            }                                                               \
            else if (c < 0x10000) {                                         \
                if (Py_UNICODE_IS_SURROGATE(c)) {                           \
                    return -1;                                              \
                }                                                           \
                out[size++] = (unsigned char)(0xE0 | c >> 12);              \
                out[size++] = (unsigned char)(0x80 | (c >> 6 & 0x3F));      \
            }                                                               \
            else {                                                          \
                out[size++] = (unsigned char)(0xF0 | c >> 18);              \
                out[size++] = (unsigned char)(0x80 | (c >> 12 & 0x3F));     \
                out[size++] = (unsigned char)(0x80 | (c >> 6 & 0x3F));      \
            }                                                               \
            out[size++] = (unsigned char)(0x80 | (c & 0x3F));               \
        }                                                                   \
    } while (0)

static Py_ssize_t
encode_reason(PyObject *reason, Py_ssize_t limit, unsigned char *out)
{
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(reason) < 0) { /* a legacy str; none since 3.12 */
        PyErr_Clear();
        return -1;
    }
#endif
    Py_ssize_t length = PyUnicode_GET_LENGTH(reason), size = 0;
    if (length > limit) {
        return -1; /* every character takes at least one byte */
    }
    const void *data = PyUnicode_DATA(reason);
    switch (PyUnicode_KIND(reason)) {
    case PyUnicode_1BYTE_KIND:
        if (PyUnicode_IS_ASCII(reason)) {
            memcpy(out, data, (size_t)length); /* ASCII is its own UTF-8 */
            return length;
        }
        ENCODE_REASON(Py_UCS1);
        break;
    case PyUnicode_2BYTE_KIND:
        ENCODE_REASON(Py_UCS2);
        break;
    default:
        ENCODE_REASON(Py_UCS4);
        break;
    }
    return size <= limit ? size : -1;
}

#endif /* CLOSEFRAME_UTF8_H */
