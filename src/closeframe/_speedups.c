/*
 * closeframe._speedups: the close-payload codec in C.
 *
 * The pure-Python codec in payload.py is the reference: this file does the
 * same work with the same tables, which payload.py builds and hands over, and
 * calls back into Python for everything off the hot path (unusual input
 * types, the serializer's checked path).  Errors are raised with the same
 * classes and arguments, so their messages are identical.
 *
 * Why C and not Cython: in pure Python the time goes to interpreter
 * operations (calls, attribute lookups, building the result), not to the
 * work; here the bytes are read through the buffer protocol, checked
 * against a table of codes, and the reason is checked and decoded in two
 * passes sized for a close reason (utf8_scan, utf8_decode).
 *
 * Memory the caller owns is read once.  A bytearray, an mmap or any other
 * buffer may be rewritten while we read it (by another process sharing an
 * mmap, or a thread running without the GIL), so its bytes are first copied
 * into our own stack buffer (copy_buffer) and every later pass reads that
 * copy: a pass may then trust what an earlier one found.  Only bytes, which
 * nobody may change, are read in place.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h> /* offsetof */
#include <stdint.h> /* uint64_t */
#include <string.h> /* memcpy */

#define MAX_PAYLOAD 125
#define MAX_REASON 123
#define CODE_SPACE 65536

static PyObject *empty_str; /* "", the reason's default */

/* Every compiled function starts with this: it is called with vectorcall,
 * and its Python twin is its fallback for arguments off the hot path and
 * lends it a name and a docstring (see twin_getset). */
#define COMPILED_HEAD   \
    PyObject_HEAD       \
    vectorcallfunc vectorcall; \
    PyObject *fallback;

typedef struct {
    COMPILED_HEAD
} Compiled;

/* __wrapped__ is the Python twin; __doc__, __name__, ... are its own. */
static PyObject *
twin_attribute(PyObject *self, void *name)
{
    PyObject *twin = ((Compiled *)self)->fallback;
    return name == NULL ? Py_NewRef(twin) : PyObject_GetAttrString(twin, (const char *)name);
}

static PyGetSetDef twin_getset[] = {
    {"__wrapped__", twin_attribute, NULL, "The pure-Python function.", NULL},
    {"__doc__", twin_attribute, NULL, NULL, "__doc__"},
    {"__name__", twin_attribute, NULL, NULL, "__name__"},
    {"__qualname__", twin_attribute, NULL, NULL, "__qualname__"},
    {"__module__", twin_attribute, NULL, NULL, "__module__"},
    {NULL},
};

/* ------------------------------------------------------------------ */
/* Parser: parse_close_payload for one table of accepted codes.        */

typedef struct {
    COMPILED_HEAD         /* fallback: the pure-Python parser, for other input types */
    PyObject *values;     /* tuple[65536]: CloseCode member / int, or None */
    PyObject *code_only;  /* tuple[65536]: prebuilt Close(code, ""), or None */
    PyObject *no_status;  /* Close(1005, "") */
    PyTypeObject *close_type;
    PyObject *too_long;   /* PayloadTooLongError */
    PyObject *truncated;  /* TruncatedPayloadError */
    PyObject *bad_code;   /* InvalidCodeError */
    PyObject *local_code; /* ProtocolOnlyCodeError */
    PyObject *bad_reason; /* InvalidReasonError */
} Parser;

/* Raise error_class(value): the classes take their fields as arguments. */
static PyObject *
raise_with_int(PyObject *error_class, Py_ssize_t value)
{
    PyObject *arg = PyLong_FromSsize_t(value);
    if (arg == NULL) {
        return NULL;
    }
    PyObject *error = PyObject_CallOneArg(error_class, arg);
    Py_DECREF(arg);
    if (error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
    }
    return NULL;
}

static PyObject *
refuse_code(Parser *self, unsigned int code)
{
    /* RFC 6455 §7.4.1: 1005, 1006 and 1015 name local conditions. */
    int local = code == 1005 || code == 1006 || code == 1015;
    return raise_with_int(local ? self->local_code : self->bad_code, code);
}

/* What is wrong with a reason that is not UTF-8, in the words of CPython's
 * decoder (UnicodeDecodeError.reason); built once, in PyInit__speedups. */
enum { UTF8_VALID = -1, INVALID_START, END_OF_DATA, INVALID_CONTINUATION, UTF8_ERRORS };
static const char *const utf8_error_text[UTF8_ERRORS] = {
    "invalid start byte", "unexpected end of data", "invalid continuation byte"};
static PyObject *utf8_error_str[UTF8_ERRORS];

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
 * 123-byte row from 0.73x to 0.44x of the floor).  A str must use the narrowest storage that holds its
 * widest character (unicodeobject.c compares kinds before contents), and
 * the widest lead byte says exactly which: C2-C3 lead U+0080-U+00FF, C4-EF
 * U+0100-U+FFFF, F0-F4 the rest. */
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

/* The reason is not UTF-8: raise InvalidReasonError(position, detail). */
static PyObject *
refuse_reason(Parser *self, Py_ssize_t position, int what)
{
    PyObject *args[2] = {PyLong_FromSsize_t(position), utf8_error_str[what]};
    if (args[0] == NULL) {
        return NULL;
    }
    PyObject *error = PyObject_Vectorcall(self->bad_reason, args, 2, NULL);
    Py_DECREF(args[0]);
    if (error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
    }
    return NULL;
}

/* The checks of DESIGN.md, in their order, on `length` bytes at `data`
 * (only the length is read when it is over 125).  `data` must be memory no
 * one else can change (bytes, or our copy): the decoder trusts the scan. */
static PyObject *
parse_bytes(Parser *self, const unsigned char *data, Py_ssize_t length)
{
    if (length == 2) {
        unsigned int code = (unsigned int)data[0] << 8 | data[1];
        PyObject *close = PyTuple_GET_ITEM(self->code_only, code);
        if (close == Py_None) {
            return refuse_code(self, code);
        }
        return Py_NewRef(close); /* shared: no allocation */
    }
    if (2 < length && length <= MAX_PAYLOAD) {
        unsigned int code = (unsigned int)data[0] << 8 | data[1];
        PyObject *value = PyTuple_GET_ITEM(self->values, code);
        if (value == Py_None) {
            return refuse_code(self, code);
        }
        Py_ssize_t position = 0, chars = 0;
        unsigned char widest = 0;
        int what = utf8_scan(data + 2, length - 2, &position, &chars, &widest);
        if (what != UTF8_VALID) {
            return refuse_reason(self, position, what);
        }
        PyObject *reason = utf8_decode(data + 2, length - 2, chars, widest);
        if (reason == NULL) {
            return NULL;
        }
        /* A Close is a 2-tuple subclass: allocate it as tuple_subtype_new does. */
        PyObject *close = self->close_type->tp_alloc(self->close_type, 2);
        if (close == NULL) {
            Py_DECREF(reason);
            return NULL;
        }
        PyTuple_SET_ITEM(close, 0, Py_NewRef(value));
        PyTuple_SET_ITEM(close, 1, reason);
        return close;
    }
    if (length == 0) {
        return Py_NewRef(self->no_status);
    }
    if (length == 1) {
        return raise_with_int(self->truncated, 1);
    }
    return raise_with_int(self->too_long, length);
}

/* Copy the first `capacity` bytes of a C-contiguous buffer into `copy`, and
 * its whole length into *length: the only read of the caller's memory.
 * Returns 1 when copied; 0 when the object refuses a C-contiguous buffer
 * (strided, released, closed), with the error cleared, so that the caller
 * takes the Python path, which says what is wrong.  The buffer is released
 * before returning: nothing is kept of it. */
static int
copy_buffer(PyObject *data, unsigned char *copy, Py_ssize_t capacity, Py_ssize_t *length)
{
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        return 0;
    }
    *length = view.len;
    memcpy(copy, view.buf, (size_t)(view.len < capacity ? view.len : capacity));
    PyBuffer_Release(&view);
    return 1;
}

static PyObject *
parser_call(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Parser *self = (Parser *)op;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    }
    PyObject *data = args[0];
    if (PyBytes_CheckExact(data)) {
        return parse_bytes(self, (const unsigned char *)PyBytes_AS_STRING(data),
                           PyBytes_GET_SIZE(data));
    }
    if (PyByteArray_CheckExact(data) || PyMemoryView_Check(data)) {
        /* parse_bytes scans the reason, then decodes it trusting the scan:
         * it must read memory nobody else can change (see the top). */
        unsigned char copy[MAX_PAYLOAD];
        Py_ssize_t length;
        if (copy_buffer(data, copy, MAX_PAYLOAD, &length)) {
            /* Over 125 bytes, only the length is read: the error. */
            return parse_bytes(self, copy, length);
        }
    }
    return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
}

static PyObject *
parser_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *values, *code_only, *no_status, *close_type, *too_long, *truncated,
        *bad_code, *local_code, *bad_reason, *fallback;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "Parser() takes positional arguments only");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!OO!OOOOOO:Parser", &PyTuple_Type, &values,
                          &PyTuple_Type, &code_only, &no_status, &PyType_Type, &close_type,
                          &too_long, &truncated, &bad_code, &local_code, &bad_reason,
                          &fallback)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(values) != CODE_SPACE || PyTuple_GET_SIZE(code_only) != CODE_SPACE) {
        PyErr_SetString(PyExc_ValueError, "the code tables must have 65536 entries");
        return NULL;
    }
    if (!PyType_IsSubtype((PyTypeObject *)close_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the Close type must subclass tuple");
        return NULL;
    }
    Parser *self = (Parser *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = parser_call;
    self->values = Py_NewRef(values);
    self->code_only = Py_NewRef(code_only);
    self->no_status = Py_NewRef(no_status);
    self->close_type = (PyTypeObject *)Py_NewRef(close_type);
    self->too_long = Py_NewRef(too_long);
    self->truncated = Py_NewRef(truncated);
    self->bad_code = Py_NewRef(bad_code);
    self->local_code = Py_NewRef(local_code);
    self->bad_reason = Py_NewRef(bad_reason);
    self->fallback = Py_NewRef(fallback);
    return (PyObject *)self;
}

static int
parser_traverse(Parser *self, visitproc visit, void *arg)
{
    Py_VISIT(self->values);
    Py_VISIT(self->code_only);
    Py_VISIT(self->no_status);
    Py_VISIT(self->close_type);
    Py_VISIT(self->too_long);
    Py_VISIT(self->truncated);
    Py_VISIT(self->bad_code);
    Py_VISIT(self->local_code);
    Py_VISIT(self->bad_reason);
    Py_VISIT(self->fallback);
    return 0;
}

static int
parser_clear(Parser *self)
{
    Py_CLEAR(self->values);
    Py_CLEAR(self->code_only);
    Py_CLEAR(self->no_status);
    Py_CLEAR(self->close_type);
    Py_CLEAR(self->too_long);
    Py_CLEAR(self->truncated);
    Py_CLEAR(self->bad_code);
    Py_CLEAR(self->local_code);
    Py_CLEAR(self->bad_reason);
    Py_CLEAR(self->fallback);
    return 0;
}

static void
parser_dealloc(Parser *self)
{
    PyObject_GC_UnTrack(self);
    parser_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}


static PyTypeObject ParserType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "closeframe._speedups.Parser",
    .tp_basicsize = sizeof(Parser),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "parse_close_payload, compiled: see closeframe.payload.",
    .tp_new = parser_new,
    .tp_traverse = (traverseproc)parser_traverse,
    .tp_clear = (inquiry)parser_clear,
    .tp_dealloc = (destructor)parser_dealloc,
    .tp_vectorcall_offset = offsetof(Parser, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_getset = twin_getset,
};

/* ------------------------------------------------------------------ */
/* Serializer: the fast path of serialize_close_payload.               */

typedef struct {
    COMPILED_HEAD             /* fallback: the pure-Python serializer */
    PyObject *heads;          /* tuple[65536]: the 2-byte code as bytes, or None */
    PyTypeObject *code_enum;  /* CloseCode */
    PyObject *checked;        /* the Python checked path: checked(code, reason, truncate) */
} Serializer;

/* Encode a str reason that may be sent (at most 123 bytes of UTF-8, no lone
 * surrogate) into out[REASON_ROOM]: returns its size, or -1 for any other
 * reason (the checked path says what is wrong).
 *
 * Encoded here from the str's own storage rather than through
 * PyUnicode_AsUTF8AndSize, which would leave a UTF-8 copy cached inside the
 * caller's str for as long as it lives (a million-character Latin-1 string
 * grew from 1 MB to 3 MB), even when the reason is then refused.  A reason
 * of more than 123 characters is refused from its length alone; the others
 * take at most 4 bytes a character, so `out` has room for any of them and
 * the loops check no bound: the size is checked once, at the end.  One loop
 * per storage width keeps the work per character to a compare or two
 * (RFC 3629 §3). */
#define REASON_ROOM (4 * MAX_REASON)
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
encode_reason(PyObject *reason, unsigned char *out)
{
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(reason) < 0) { /* a legacy str; none since 3.12 */
        PyErr_Clear();
        return -1;
    }
#endif
    Py_ssize_t length = PyUnicode_GET_LENGTH(reason), size = 0;
    if (length > MAX_REASON) {
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
    return size <= MAX_REASON ? size : -1;
}

/* The fast path of the serializer, shared with the frame encoder: an exact
 * int or CloseCode (not 1000.0, not True) that may be sent, and a str reason
 * that fits.  Returns 1 with *head (the packed code, borrowed) set and the
 * reason's UTF-8 in utf8[0:*size] (utf8 has REASON_ROOM bytes); 0 when the call must take the checked
 * path instead; -1 on an error. */
static int
serialize_parts(Serializer *self, PyObject *code, PyObject *reason, PyObject **head,
                unsigned char *utf8, Py_ssize_t *size)
{
    if (!(PyLong_CheckExact(code) || Py_TYPE(code) == self->code_enum)
        || !PyUnicode_CheckExact(reason)) {
        return 0;
    }
    int overflow;
    long value = PyLong_AsLongAndOverflow(code, &overflow);
    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow || value < 0 || value >= CODE_SPACE) {
        return 0;
    }
    *head = PyTuple_GET_ITEM(self->heads, value);
    if (*head == Py_None) {
        return 0;
    }
    *size = encode_reason(reason, utf8);
    return *size >= 0;
}

static PyObject *
serializer_call(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Serializer *self = (Serializer *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *code = Py_None, *reason = NULL, *truncate = Py_False;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);

    if (nargs > 2) {
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    }
    if (nargs > 0) {
        code = args[0];
    }
    if (nargs > 1) {
        reason = args[1];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        PyObject *value = args[nargs + i];
        if (nargs < 1 && PyUnicode_CompareWithASCIIString(name, "code") == 0) {
            code = value;
        }
        else if (nargs < 2 && PyUnicode_CompareWithASCIIString(name, "reason") == 0) {
            reason = value;
        }
        else if (PyUnicode_CompareWithASCIIString(name, "truncate") == 0) {
            truncate = value;
        }
        else {
            /* Unknown or repeated: the Python function raises TypeError. */
            return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
        }
    }
    if (reason == NULL) {
        reason = empty_str;
    }
    PyObject *head;
    unsigned char utf8[REASON_ROOM];
    Py_ssize_t size;
    int fast = serialize_parts(self, code, reason, &head, utf8, &size);
    if (fast < 0) {
        return NULL;
    }
    if (fast) {
        if (size == 0) {
            return Py_NewRef(head); /* shared: no allocation */
        }
        PyObject *payload = PyBytes_FromStringAndSize(NULL, 2 + size);
        if (payload == NULL) {
            return NULL;
        }
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(payload);
        memcpy(out, PyBytes_AS_STRING(head), 2);
        memcpy(out + 2, utf8, (size_t)size);
        return payload;
    }
    PyObject *call_args[3] = {code, reason, truncate};
    return PyObject_Vectorcall(self->checked, call_args, 3, NULL);
}

static PyObject *
serializer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *heads, *code_enum, *checked, *fallback;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "Serializer() takes positional arguments only");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!OO:Serializer", &PyTuple_Type, &heads, &PyType_Type,
                          &code_enum, &checked, &fallback)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(heads) != CODE_SPACE) {
        PyErr_SetString(PyExc_ValueError, "the code table must have 65536 entries");
        return NULL;
    }
    Serializer *self = (Serializer *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = serializer_call;
    self->heads = Py_NewRef(heads);
    self->code_enum = (PyTypeObject *)Py_NewRef(code_enum);
    self->checked = Py_NewRef(checked);
    self->fallback = Py_NewRef(fallback);
    return (PyObject *)self;
}

static int
serializer_traverse(Serializer *self, visitproc visit, void *arg)
{
    Py_VISIT(self->heads);
    Py_VISIT(self->code_enum);
    Py_VISIT(self->checked);
    Py_VISIT(self->fallback);
    return 0;
}

static int
serializer_clear(Serializer *self)
{
    Py_CLEAR(self->heads);
    Py_CLEAR(self->code_enum);
    Py_CLEAR(self->checked);
    Py_CLEAR(self->fallback);
    return 0;
}

static void
serializer_dealloc(Serializer *self)
{
    PyObject_GC_UnTrack(self);
    serializer_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}


static PyTypeObject SerializerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "closeframe._speedups.Serializer",
    .tp_basicsize = sizeof(Serializer),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "serialize_close_payload, compiled: see closeframe.payload.",
    .tp_new = serializer_new,
    .tp_traverse = (traverseproc)serializer_traverse,
    .tp_clear = (inquiry)serializer_clear,
    .tp_dealloc = (destructor)serializer_dealloc,
    .tp_vectorcall_offset = offsetof(Serializer, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_getset = twin_getset,
};

/* ------------------------------------------------------------------ */
/* Frames: decode_close_frame, read_close_frame, encode_close_frame.   */
/* RFC 6455 §5.2: FIN, RSV1-3, opcode; MASK, 7-bit length; masking key. */

#define FIN 0x80
#define RSV 0x70
#define OPCODE 0x0F
#define CLOSE_OPCODE 0x8
#define MASK 0x80
#define LENGTH 0x7F
/* The longest close frame: 2 header bytes, a 4-byte key, 125 payload bytes.
 * read_frame reads nothing at or past the frame's end, which is at most this:
 * copy_buffer need copy no more. */
#define MAX_FRAME (2 + 4 + MAX_PAYLOAD)

enum { NOT_CLOSE, FRAGMENTED, RESERVED_BITS, MASK_MISMATCH, TOO_LONG_FIELD, INCOMPLETE,
       TRAILING, FRAME_ERRORS };

typedef struct {
    COMPILED_HEAD                   /* fallback: the pure-Python function */
    Parser *parser;                 /* the compiled payload parser */
    PyObject *errors[FRAME_ERRORS]; /* the frame error classes, in the order above */
    int prefix;                     /* 1: read_close_frame, 0: decode_close_frame */
} FrameReader;

static PyObject *
raise_frame_error(FrameReader *self, int which, PyObject *arg)
{
    PyObject *error = arg == NULL ? PyObject_CallNoArgs(self->errors[which])
                                  : PyObject_CallOneArg(self->errors[which], arg);
    Py_XDECREF(arg);
    if (error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
    }
    return NULL;
}

/* (None, needed) from read_close_frame. */
static PyObject *
need_more(Py_ssize_t needed)
{
    return Py_BuildValue("(On)", Py_None, needed);
}

/* Check and decode the frame at `data`, which holds `length` bytes in all
 * (of which only the first MAX_FRAME are read).  `data` must be memory no
 * one else can change (bytes, or our copy): the header read first decides
 * which bytes are read next. */
static PyObject *
read_frame(FrameReader *self, const unsigned char *data, Py_ssize_t length, PyObject *masked)
{
    if (length < 2) {
        return self->prefix ? need_more(2 - length)
                            : raise_frame_error(self, INCOMPLETE, PyLong_FromSsize_t(2 - length));
    }
    unsigned char first = data[0], second = data[1];
    if ((first & OPCODE) != CLOSE_OPCODE) {
        return raise_frame_error(self, NOT_CLOSE, PyLong_FromLong(first & OPCODE));
    }
    if (!(first & FIN)) {
        return raise_frame_error(self, FRAGMENTED, NULL);
    }
    if (first & RSV) {
        return raise_frame_error(self, RESERVED_BITS, PyLong_FromLong((first & RSV) >> 4));
    }
    int is_masked = (second & MASK) != 0;
    if (masked != Py_None && is_masked != (masked == Py_True)) {
        return raise_frame_error(self, MASK_MISMATCH, PyBool_FromLong(is_masked));
    }
    Py_ssize_t size = second & LENGTH;
    if (size > MAX_PAYLOAD) {
        return raise_frame_error(self, TOO_LONG_FIELD, PyLong_FromSsize_t(size));
    }
    Py_ssize_t offset = is_masked ? 6 : 2, end = offset + size;
    if (length < end) {
        return self->prefix ? need_more(end - length)
                            : raise_frame_error(self, INCOMPLETE, PyLong_FromSsize_t(end - length));
    }
    if (!self->prefix && length > end) {
        return raise_frame_error(self, TRAILING, PyLong_FromSsize_t(length - end));
    }
    const unsigned char *payload = data + offset;
    unsigned char unmasked[MAX_PAYLOAD];
    if (is_masked) {
        /* §5.3: octet i of the payload is XORed with octet i % 4 of the key. */
        for (Py_ssize_t i = 0; i < size; i++) {
            unmasked[i] = payload[i] ^ data[2 + (i & 3)];
        }
        payload = unmasked;
    }
    PyObject *close = parse_bytes(self->parser, payload, size);
    if (close == NULL || !self->prefix) {
        return close;
    }
    return Py_BuildValue("(Nn)", close, end);
}

static PyObject *
frame_reader_call(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    FrameReader *self = (FrameReader *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *masked = Py_None;
    if (nargs != 1) {
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    }
    if (kwnames != NULL) {
        if (PyTuple_GET_SIZE(kwnames) != 1
            || PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "masked") != 0) {
            return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
        }
        masked = args[1];
    }
    if (masked != Py_None && masked != Py_True && masked != Py_False) {
        /* Not a bool: the Python function has the last word on what it means. */
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    }
    PyObject *data = args[0];
    if (PyBytes_CheckExact(data)) {
        return read_frame(self, (const unsigned char *)PyBytes_AS_STRING(data),
                          PyBytes_GET_SIZE(data), masked);
    }
    if (PyByteArray_CheckExact(data) || PyMemoryView_Check(data)) {
        /* read_frame reads the header, then the key and payload the header
         * announced: from our copy, so the header cannot change under it. */
        unsigned char copy[MAX_FRAME];
        Py_ssize_t length;
        if (copy_buffer(data, copy, MAX_FRAME, &length)) {
            return read_frame(self, copy, length, masked);
        }
    }
    return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
}

static PyObject *
frame_reader_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *parser, *errors, *fallback;
    int prefix;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "FrameReader() takes positional arguments only");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!Op:FrameReader", &ParserType, &parser, &PyTuple_Type,
                          &errors, &fallback, &prefix)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(errors) != FRAME_ERRORS) {
        PyErr_SetString(PyExc_ValueError, "FrameReader() needs the 7 frame error classes");
        return NULL;
    }
    FrameReader *self = (FrameReader *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = frame_reader_call;
    self->parser = (Parser *)Py_NewRef(parser);
    for (int i = 0; i < FRAME_ERRORS; i++) {
        self->errors[i] = Py_NewRef(PyTuple_GET_ITEM(errors, i));
    }
    self->fallback = Py_NewRef(fallback);
    self->prefix = prefix;
    return (PyObject *)self;
}

static int
frame_reader_traverse(FrameReader *self, visitproc visit, void *arg)
{
    Py_VISIT(self->parser);
    for (int i = 0; i < FRAME_ERRORS; i++) {
        Py_VISIT(self->errors[i]);
    }
    Py_VISIT(self->fallback);
    return 0;
}

static int
frame_reader_clear(FrameReader *self)
{
    Py_CLEAR(self->parser);
    for (int i = 0; i < FRAME_ERRORS; i++) {
        Py_CLEAR(self->errors[i]);
    }
    Py_CLEAR(self->fallback);
    return 0;
}

static void
frame_reader_dealloc(FrameReader *self)
{
    PyObject_GC_UnTrack(self);
    frame_reader_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* FrameEncoder: encode_close_frame's fast path over the compiled serializer. */
typedef struct {
    COMPILED_HEAD /* fallback: the pure-Python encode_close_frame */
    Serializer *serializer;
} FrameEncoder;

static PyObject *
frame_encoder_call(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    FrameEncoder *self = (FrameEncoder *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *code = Py_None, *reason = empty_str, *mask_key = Py_None;
    if (nargs > 2) {
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    }
    if (nargs > 0) {
        code = args[0];
    }
    if (nargs > 1) {
        reason = args[1];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(name, "mask_key") == 0) {
            mask_key = args[nargs + i];
        }
        else {
            /* code=, reason=, truncate=: rare enough for the Python path. */
            return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
        }
    }
    if (mask_key != Py_None && !(PyBytes_CheckExact(mask_key) && PyBytes_GET_SIZE(mask_key) == 4)) {
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    }
    PyObject *head;
    unsigned char utf8[REASON_ROOM];
    Py_ssize_t size;
    int fast = serialize_parts(self->serializer, code, reason, &head, utf8, &size);
    if (fast < 0) {
        return NULL;
    }
    if (!fast) {
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    }
    Py_ssize_t payload_size = 2 + size;
    Py_ssize_t offset = mask_key == Py_None ? 2 : 6;
    PyObject *frame = PyBytes_FromStringAndSize(NULL, offset + payload_size);
    if (frame == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(frame);
    out[0] = FIN | CLOSE_OPCODE;
    out[1] = (unsigned char)payload_size;
    memcpy(out + offset, PyBytes_AS_STRING(head), 2);
    memcpy(out + offset + 2, utf8, (size_t)size);
    if (mask_key != Py_None) {
        const unsigned char *key = (const unsigned char *)PyBytes_AS_STRING(mask_key);
        out[1] |= MASK;
        memcpy(out + 2, key, 4);
        for (Py_ssize_t i = 0; i < payload_size; i++) {
            out[6 + i] ^= key[i & 3];
        }
    }
    return frame;
}

static PyObject *
frame_encoder_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *serializer, *fallback;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "FrameEncoder() takes positional arguments only");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O:FrameEncoder", &SerializerType, &serializer, &fallback)) {
        return NULL;
    }
    FrameEncoder *self = (FrameEncoder *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = frame_encoder_call;
    self->serializer = (Serializer *)Py_NewRef(serializer);
    self->fallback = Py_NewRef(fallback);
    return (PyObject *)self;
}

static int
frame_encoder_traverse(FrameEncoder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->serializer);
    Py_VISIT(self->fallback);
    return 0;
}

static int
frame_encoder_clear(FrameEncoder *self)
{
    Py_CLEAR(self->serializer);
    Py_CLEAR(self->fallback);
    return 0;
}

static void
frame_encoder_dealloc(FrameEncoder *self)
{
    PyObject_GC_UnTrack(self);
    frame_encoder_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject FrameReaderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "closeframe._speedups.FrameReader",
    .tp_basicsize = sizeof(FrameReader),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "decode_close_frame / read_close_frame, compiled: see closeframe.frame.",
    .tp_new = frame_reader_new,
    .tp_traverse = (traverseproc)frame_reader_traverse,
    .tp_clear = (inquiry)frame_reader_clear,
    .tp_dealloc = (destructor)frame_reader_dealloc,
    .tp_vectorcall_offset = offsetof(FrameReader, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_getset = twin_getset,
};

static PyTypeObject FrameEncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "closeframe._speedups.FrameEncoder",
    .tp_basicsize = sizeof(FrameEncoder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "encode_close_frame, compiled: see closeframe.frame.",
    .tp_new = frame_encoder_new,
    .tp_traverse = (traverseproc)frame_encoder_traverse,
    .tp_clear = (inquiry)frame_encoder_clear,
    .tp_dealloc = (destructor)frame_encoder_dealloc,
    .tp_vectorcall_offset = offsetof(FrameEncoder, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_getset = twin_getset,
};

/* ------------------------------------------------------------------ */

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "closeframe._speedups",
    .m_doc = "The close-payload codec in C; closeframe.payload is its reference.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&ParserType) < 0 || PyType_Ready(&SerializerType) < 0
        || PyType_Ready(&FrameReaderType) < 0 || PyType_Ready(&FrameEncoderType) < 0) {
        return NULL;
    }
    if (empty_str == NULL && (empty_str = PyUnicode_FromStringAndSize(NULL, 0)) == NULL) {
        return NULL;
    }
    for (int what = 0; what < UTF8_ERRORS; what++) {
        if (utf8_error_str[what] == NULL
            && (utf8_error_str[what] = PyUnicode_InternFromString(utf8_error_text[what])) == NULL) {
            return NULL;
        }
    }
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(module, "Parser", (PyObject *)&ParserType) < 0
        || PyModule_AddObjectRef(module, "Serializer", (PyObject *)&SerializerType) < 0
        || PyModule_AddObjectRef(module, "FrameReader", (PyObject *)&FrameReaderType) < 0
        || PyModule_AddObjectRef(module, "FrameEncoder", (PyObject *)&FrameEncoderType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
