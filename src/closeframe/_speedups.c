/*
 * closeframe._speedups: the close-payload codec in C.
 *
 * The pure-Python codec in payload.py is the reference: this file does the
 * same work with the same tables, which payload.py and frame.py build and
 * hand over by name, and calls back into Python for everything off the hot
 * path (unusual input types, the serializer's checked path).  The rules
 * come with the tables: which codes are accepted, which error class refuses
 * each other code, the payload and reason limits.  C restates none of them;
 * it only knows the wire format (two code bytes, the frame header's bits).
 * Errors are raised with the same classes and arguments, so their messages
 * are identical.
 *
 * Why C and not Cython: in pure Python the time goes to interpreter
 * operations (calls, attribute lookups, building the result), not to the
 * work; here the bytes are read through the buffer protocol, checked
 * against a table of codes, and the reason is checked and decoded in one
 * pass sized for a close reason (_utf8.h: utf8_decode).
 *
 * Memory the caller owns is read once.  A bytearray, an mmap or any other
 * buffer may be rewritten while we read it (by another process sharing an
 * mmap, or a thread running without the GIL), so its bytes are first copied
 * into our own stack buffer (copy_buffer) and every later pass reads that
 * copy: a pass may then trust what an earlier one found.  Only bytes, which
 * nobody may change, are read in place.
 *
 * Laid out as CPython's own modules are (Modules/_struct.c): multi-phase
 * initialisation (speedups_exec), everything the module owns in its state
 * (module_state) rather than in process-wide statics, and heap types built
 * from specs, so that each interpreter, and each import of the module,
 * has its own.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h> /* offsetof */
#include <string.h> /* memcpy */

#if PY_VERSION_HEX < 0x030C0000
/* PyMemberDef's type codes, in Python.h under these names since 3.12. */
#include <structmember.h>
#define Py_T_OBJECT_EX T_OBJECT_EX
#define Py_T_PYSSIZET T_PYSSIZET
#define Py_T_BOOL T_BOOL
#define Py_READONLY READONLY
#endif

#include "_close.h"
#include "_utf8.h"

#ifndef Py_ALWAYS_INLINE /* pyport.h has it from 3.11 */
#define Py_ALWAYS_INLINE __attribute__((always_inline))
#endif

/* The sizes of the stack buffers, the only limits C must know when it is
 * compiled: a control frame's payload is at most 125 bytes (RFC 6455
 * §5.5).  The limits checked are the ones Python passes in
 * (codes.MAX_PAYLOAD_BYTES, MAX_REASON_BYTES), which a constructor refuses
 * above these; the module exports them, and tests/test_implementations.py
 * checks they equal Python's. */
#define MAX_PAYLOAD 125
#define MAX_REASON (MAX_PAYLOAD - 2)
_Static_assert(MAX_REASON <= UTF8_DECODE_ROOM, "utf8_decode's buffers hold any reason");
/* encode_reason writes up to 4 bytes a character before it checks the size. */
#define REASON_ROOM (4 * MAX_REASON)
/* The longest close frame: 2 header bytes, a 4-byte key, the payload.
 * read_frame reads nothing at or past the frame's end, which is at most
 * this: copy_buffer need copy no more. */
#define MAX_FRAME (2 + 4 + MAX_PAYLOAD)
/* A code is two bytes (RFC 6455 §5.5.1): the parser's tables must have an
 * entry for every value they can spell. */
#define CODE_SPACE 65536

/* ------------------------------------------------------------------ */
/* Module state: what the module owns, one copy per module object.     */

/* The keyword arguments the fast paths take, by name.  Python interns the
 * names a call spells out, so a name is first compared by identity with
 * the interned one (is_keyword): PyUnicode_CompareWithASCIIString took 80
 * of read_close_frame(data, masked=False)'s instructions. */
enum { KW_CODE, KW_REASON, KW_TRUNCATE, KW_MASKED, KW_MASK_KEY, KEYWORDS };
static const char *const keyword_names[KEYWORDS] = {"code", "reason", "truncate", "masked",
                                                    "mask_key"};

typedef struct {
    PyTypeObject *parser_type;
    PyTypeObject *serializer_type;
    PyTypeObject *frame_reader_type;
    PyTypeObject *frame_encoder_type;
    PyObject *empty_str;                /* "", the reason's default */
    PyObject *utf8_error[UTF8_ERRORS];  /* utf8_error_text, as str */
    /* InvalidReasonError's arguments, (position, utf8_error[what]), for
     * every position a reason can have: made once, shared by every error
     * (a tuple never changes), so that refusing a reason builds no tuple
     * and no int (180 of the invalid-UTF-8 row's 2,313 instructions).
     * 369 small tuples, about 24 kB. */
    PyObject *reason_error[UTF8_ERRORS][MAX_REASON];
    PyObject *keyword[KEYWORDS];        /* keyword_names, interned */
} module_state;

/* The state of the module that made `self`'s type.  The types cannot be
 * subclassed, so Py_TYPE(self) is always one of ours. */
static inline module_state *
state_of(PyObject *self)
{
    return (module_state *)PyType_GetModuleState(Py_TYPE(self));
}

/* Whether the keyword `name` (a str, from a call's kwnames) is `expected`,
 * one of the state's interned keywords. */
static inline int
is_keyword(PyObject *name, PyObject *expected)
{
    return name == expected || PyUnicode_Compare(name, expected) == 0;
}

/* A new 2-tuple (first, second), taking over both references; NULL (with
 * both released) if either is NULL or the tuple cannot be made.  Built by
 * hand: Py_BuildValue parses its format on every call, which cost 350 of
 * read_close_frame's 1,150 instructions on a code-only frame. */
static PyObject *
new_pair(PyObject *first, PyObject *second)
{
    PyObject *pair = first == NULL || second == NULL ? NULL : PyTuple_New(2);
    if (pair == NULL) {
        Py_XDECREF(first);
        Py_XDECREF(second);
        return NULL;
    }
    PyTuple_SET_ITEM(pair, 0, first);
    PyTuple_SET_ITEM(pair, 1, second);
    return pair;
}

/* ------------------------------------------------------------------ */
/* What the four types share.                                          */

/* Every compiled type starts with this.  An instance holds the tables of
 * one public function; the function itself is a built-in bound to it
 * (compiled_function), because CPython 3.11+ specialises a call to a
 * built-in (CALL_BUILTIN_FAST_WITH_KEYWORDS) and calls its C entry point
 * straight from the bytecode, where a call to any other callable object
 * takes the generic path: 98 instructions a call more on 3.11, 79 on 3.12,
 * 57 on 3.13 (callgrind, an empty function called in a loop; on 3.10, which
 * specialises nothing, the built-in costs 39 more).  random.random is made
 * the same way: a built-in method of a hidden instance.
 *
 * The built-in's name, docstring and text signature are its Python twin's
 * (the fallback, for arguments off the hot path), so help() and
 * inspect.signature show the function.  Each type lists its object fields
 * in its members (COMPILED_MEMBERS first), read-only, named as the
 * constructor's keywords: compiled_traverse and compiled_clear walk that
 * list, as CPython's subtype_traverse walks a class's __slots__, so one copy
 * of each serves the four types. */
typedef struct {
    PyObject_HEAD
    PyObject *fallback; /* the pure-Python function */
    /* The state of the module that made the type: looked up once, here
     * (PyType_GetModuleState cost 19 instructions a lookup).  The object
     * holds its type, which holds the module, so it stays valid. */
    module_state *state;
    PyMethodDef method; /* the built-in's definition: name, C entry point, docstring */
    /* The strings method points into: "name\0name(signature)\n--\n\ndoc\0",
     * owned, and freed only with the object, which every built-in made
     * from it keeps alive (a Python str would be dropped by compiled_clear
     * while a built-in in the same garbage cycle may still read it). */
    char *text;
} Compiled;

#define COMPILED_MEMBERS                                                              \
    {"fallback", Py_T_OBJECT_EX, offsetof(Compiled, fallback), Py_READONLY,            \
     "The pure-Python function."}

typedef PyObject *(*fastcall_function)(PyObject *, PyObject *const *, Py_ssize_t, PyObject *);

/* Take `fallback` as the twin of the built-in that calls `entry`: its
 * __name__, the `signature` Python computed from it (closeframe._impl), and
 * its __doc__, in CPython's form for a built-in's docstring. */
static int
compiled_setup(Compiled *self, PyObject *fallback, PyObject *signature, fastcall_function entry)
{
    self->fallback = Py_NewRef(fallback);
    self->state = state_of((PyObject *)self);
    PyObject *name = PyObject_GetAttrString(fallback, "__name__");
    PyObject *doc = name == NULL ? NULL : PyObject_GetAttrString(fallback, "__doc__");
    PyObject *text = NULL;
    /* %U takes a str and nothing else: each is checked first (the
     * signature by the constructor's format). */
    if (doc != NULL && PyUnicode_Check(name) && (doc == Py_None || PyUnicode_Check(doc))) {
        text = PyUnicode_FromFormat("%U%c%U%U\n--\n\n%U", name, 0, name, signature,
                                    doc == Py_None ? self->state->empty_str : doc);
    }
    else if (doc != NULL) {
        PyErr_SetString(PyExc_TypeError, "the fallback needs a str __name__ and __doc__ (or None)");
    }
    Py_XDECREF(name);
    Py_XDECREF(doc);
    if (text == NULL) {
        return -1;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    if (utf8 != NULL) {
        self->text = PyMem_Malloc((size_t)size + 1);
        if (self->text == NULL) {
            PyErr_NoMemory();
        }
        else {
            memcpy(self->text, utf8, (size_t)size + 1);
            self->method.ml_name = self->text;
            self->method.ml_doc = self->text + strlen(self->text) + 1;
            self->method.ml_meth = (PyCFunction)(void (*)(void))entry;
            self->method.ml_flags = METH_FASTCALL | METH_KEYWORDS;
        }
    }
    Py_DECREF(text);
    return self->text == NULL ? -1 : 0;
}

/* The field a member describes. */
static inline PyObject **
member_field(PyObject *self, const PyMemberDef *member)
{
    return (PyObject **)((char *)self + member->offset);
}

static int
compiled_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self)); /* an instance of a heap type owns a reference to it */
    for (const PyMemberDef *member = Py_TYPE(self)->tp_members; member->name; member++) {
        if (member->type == Py_T_OBJECT_EX) {
            Py_VISIT(*member_field(self, member));
        }
    }
    return 0;
}

static int
compiled_clear(PyObject *self)
{
    for (const PyMemberDef *member = Py_TYPE(self)->tp_members; member->name; member++) {
        if (member->type == Py_T_OBJECT_EX) {
            Py_CLEAR(*member_field(self, member));
        }
    }
    return 0;
}

static void
compiled_dealloc(PyObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    char *text = ((Compiled *)self)->text;
    PyObject_GC_UnTrack(self);
    (void)compiled_clear(self);
    type->tp_free(self);
    PyMem_Free(text);
    Py_DECREF(type);
}

/* The public function: a new built-in bound to this object, whose
 * __module__ is its twin's. */
static PyObject *
compiled_function(PyObject *self, void *Py_UNUSED(closure))
{
    Compiled *compiled = (Compiled *)self;
    PyObject *module = PyObject_GetAttrString(compiled->fallback, "__module__");
    if (module == NULL) {
        return NULL;
    }
    PyObject *function = PyCFunction_NewEx(&compiled->method, self, module);
    Py_DECREF(module);
    return function;
}

/* pickle: a built-in bound to an object pickles as getattr(object, name),
 * so the object must pickle.  closeframe._impl.reduce_tables says how: the
 * tables of a module's own public function by reference, as the Python
 * function pickles; any other's (a CloseCodec's) not at all, as a Python
 * function that is not its module's own does not. */
static PyObject *
compiled_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *impl = PyImport_ImportModule("closeframe._impl");
    if (impl == NULL) {
        return NULL;
    }
    PyObject *reduced = PyObject_CallMethod(impl, "reduce_tables", "O", self);
    Py_DECREF(impl);
    return reduced;
}

static PyMethodDef compiled_methods[] = {
    {"__reduce__", compiled_reduce, METH_NOARGS, "pickle: see closeframe._impl.reduce_tables."},
    {NULL},
};

static PyGetSetDef compiled_getset[] = {
    {"function", compiled_function, NULL, "The public function: a built-in bound to these tables.",
     NULL},
    {NULL},
};

/* The spec of a compiled type: immutable, and not a base, so Py_TYPE(self)
 * is always this type. */
#define COMPILED_SPEC(NAME, STRUCT, SLOTS)                                                \
    {                                                                                     \
        .name = "closeframe._speedups." NAME, .basicsize = sizeof(STRUCT),                \
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,      \
        .slots = SLOTS,                                                                   \
    }

#define COMPILED_SLOTS(NEW, MEMBERS, DOC)                                             \
    {Py_tp_new, NEW}, {Py_tp_members, MEMBERS}, {Py_tp_getset, compiled_getset},      \
        {Py_tp_methods, compiled_methods},                                            \
        {Py_tp_doc, DOC}, {Py_tp_traverse, compiled_traverse},                        \
        {Py_tp_clear, compiled_clear}, {Py_tp_dealloc, compiled_dealloc}, {0, NULL}

/* The Python twin takes the call: arguments off the hot path. */
static inline PyObject *
fall_back(Compiled *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return PyObject_Vectorcall(self->fallback, args, (size_t)nargs, kwnames);
}

/* The constructors take keyword arguments only: each table and error class
 * is named where Python builds it (payload.py, frame.py), none matched by
 * its position.  The format names them all as required. */
static int
keywords_only(const char *type_name, PyObject *args)
{
    if (PyTuple_GET_SIZE(args) != 0) {
        PyErr_Format(PyExc_TypeError, "%s() takes keyword arguments only", type_name);
        return -1;
    }
    return 0;
}

/* Raise error_class(*args): the error classes take their fields as
 * arguments.  The arguments are new references, released here; a NULL one
 * could not be built, and the error that left (a MemoryError) is the one
 * raised.  Always returns NULL.
 *
 * closeframe's errors keep BaseException's own __new__ and __init__, which
 * both just store the arguments: for such a class the error is made by its
 * tp_new alone, skipping type.__call__ and an __init__ that would store the
 * same tuple again (about 150 instructions of the 2,400 a refused payload
 * cost on 3.11).  Any other class (its own __new__ or __init__, or a
 * metaclass, whose __call__ may do anything), or any other callable, is
 * called. */
static void raise_with(PyObject *error_class, PyObject *tuple);

static PyObject *
raise_error(PyObject *error_class, Py_ssize_t nargs, PyObject *args[])
{
    PyObject *tuple = PyTuple_New(nargs);
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (tuple == NULL || args[i] == NULL) {
            Py_CLEAR(tuple);
            Py_XDECREF(args[i]);
        }
        else {
            PyTuple_SET_ITEM(tuple, i, args[i]);
        }
    }
    if (tuple == NULL) {
        return NULL;
    }
    raise_with(error_class, tuple);
    Py_DECREF(tuple);
    return NULL;
}

/* Raise error_class(*tuple), tuple borrowed (see raise_error). */
static void
raise_with(PyObject *error_class, PyObject *tuple)
{
    PyTypeObject *base = (PyTypeObject *)PyExc_BaseException;
    PyTypeObject *type = (PyTypeObject *)error_class;
    PyObject *error = Py_IS_TYPE(error_class, &PyType_Type) && type->tp_new == base->tp_new
                              && type->tp_init == base->tp_init
                          ? type->tp_new(type, tuple, NULL)
                          : PyObject_Call(error_class, tuple, NULL);
    if (error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
    }
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

/* ------------------------------------------------------------------ */
/* Parser: parse_close_payload for one table of accepted codes.        */

typedef struct {
    Compiled base;         /* fallback: the pure-Python parser, for other input types */
    /* values and code_only have an entry per code.  An accepted code's is
     * what to return (or put in Close.code); a refused code's is the error
     * class that refuses it, so a class in a table means "raise it". */
    PyObject *values;      /* tuple[65536]: CloseCode member or int / error class */
    PyObject *code_only;   /* tuple[65536]: prebuilt Close(code, "") / error class */
    PyObject *no_status;   /* Close(1005, "") */
    PyObject *close_type;  /* Close, a subclass of tuple */
    PyObject *too_long;    /* PayloadTooLongError */
    PyObject *truncated;   /* TruncatedPayloadError */
    PyObject *bad_reason;  /* InvalidReasonError */
    Py_ssize_t max_payload; /* 125, at most MAX_PAYLOAD */
} Parser;

static PyMemberDef parser_members[] = {
    COMPILED_MEMBERS,
    {"values", Py_T_OBJECT_EX, offsetof(Parser, values), Py_READONLY, NULL},
    {"code_only", Py_T_OBJECT_EX, offsetof(Parser, code_only), Py_READONLY, NULL},
    {"no_status", Py_T_OBJECT_EX, offsetof(Parser, no_status), Py_READONLY, NULL},
    {"close_type", Py_T_OBJECT_EX, offsetof(Parser, close_type), Py_READONLY, NULL},
    {"too_long", Py_T_OBJECT_EX, offsetof(Parser, too_long), Py_READONLY, NULL},
    {"truncated", Py_T_OBJECT_EX, offsetof(Parser, truncated), Py_READONLY, NULL},
    {"bad_reason", Py_T_OBJECT_EX, offsetof(Parser, bad_reason), Py_READONLY, NULL},
    {"max_payload", Py_T_PYSSIZET, offsetof(Parser, max_payload), Py_READONLY, NULL},
    {NULL},
};

/* The code is refused: raise the error class its table entry holds. */
static PyObject *
refuse_code(PyObject *error_class, unsigned int code)
{
    return raise_error(error_class, 1, (PyObject *[]){PyLong_FromUnsignedLong(code)});
}

/* The checks of DESIGN.md, in their order, on `length` bytes at `data`
 * (only the length is read when it is over max_payload).  `data` must be
 * memory no one else can change (bytes, or our copy): the decoder copies
 * what it has checked, and reads a refused sequence again to name it. */
static PyObject *
parse_bytes(Parser *self, const unsigned char *data, Py_ssize_t length)
{
    if (length == 2) {
        unsigned int code = (unsigned int)data[0] << 8 | data[1];
        PyObject *close = PyTuple_GET_ITEM(self->code_only, code);
        if (PyType_Check(close)) {
            return refuse_code(close, code);
        }
        return Py_NewRef(close); /* shared: no allocation */
    }
    if (2 < length && length <= self->max_payload) {
        unsigned int code = (unsigned int)data[0] << 8 | data[1];
        PyObject *value = PyTuple_GET_ITEM(self->values, code);
        if (PyType_Check(value)) {
            return refuse_code(value, code);
        }
        Py_ssize_t position = 0;
        PyObject *reason;
        int what = utf8_decode(data + 2, length - 2, &reason, &position);
        if (what != UTF8_VALID) {
            /* position < length - 2 <= MAX_REASON: a reason's own offset. */
            raise_with(self->bad_reason, self->base.state->reason_error[what][position]);
            return NULL;
        }
        if (reason == NULL) {
            return NULL;
        }
        return new_close((PyTypeObject *)self->close_type, value, reason);
    }
    if (length == 0) {
        return Py_NewRef(self->no_status);
    }
    if (length == 1) {
        return raise_error(self->truncated, 1, (PyObject *[]){PyLong_FromLong(1)});
    }
    return raise_error(self->too_long, 1, (PyObject *[]){PyLong_FromSsize_t(length)});
}

static PyObject *
parser_call(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Parser *self = (Parser *)op;
    if (nargs != 1 || kwnames != NULL) {
        return fall_back(&self->base, args, nargs, kwnames);
    }
    PyObject *data = args[0];
    if (PyBytes_CheckExact(data)) {
        return parse_bytes(self, (const unsigned char *)PyBytes_AS_STRING(data),
                           PyBytes_GET_SIZE(data));
    }
    if (PyByteArray_CheckExact(data) || PyMemoryView_Check(data)) {
        /* parse_bytes reads a sequence again to name what is wrong with it,
         * and sizes the str from what it read first: it must read memory
         * nobody else can change (see the top). */
        unsigned char copy[MAX_PAYLOAD];
        Py_ssize_t length;
        if (copy_buffer(data, copy, MAX_PAYLOAD, &length)) {
            /* Over max_payload bytes, only the length is read: the error. */
            return parse_bytes(self, copy, length);
        }
    }
    return fall_back(&self->base, args, nargs, kwnames);
}

static PyObject *
parser_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"values", "code_only", "no_status", "close_type", "max_payload",
                            "too_long", "truncated", "bad_reason", "fallback", "signature", NULL};
    PyObject *values, *code_only, *no_status, *close_type, *too_long, *truncated, *bad_reason,
        *fallback, *signature;
    Py_ssize_t max_payload;
    if (keywords_only("Parser", args) < 0
        || !PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!OO!nOOOOU:Parser", names,
                                        &PyTuple_Type, &values, &PyTuple_Type, &code_only,
                                        &no_status, &PyType_Type, &close_type, &max_payload,
                                        &too_long, &truncated, &bad_reason, &fallback,
                                        &signature)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(values) != CODE_SPACE || PyTuple_GET_SIZE(code_only) != CODE_SPACE) {
        PyErr_SetString(PyExc_ValueError, "the code tables must have 65536 entries");
        return NULL;
    }
    /* new_close allocates a Close as a tuple: the type must add nothing to
     * a tuple's layout (no __dict__, no __weakref__, no slot). */
    PyTypeObject *pair = (PyTypeObject *)close_type;
    if (!PyType_IsSubtype(pair, &PyTuple_Type) || pair->tp_basicsize != PyTuple_Type.tp_basicsize
        || pair->tp_itemsize != PyTuple_Type.tp_itemsize || pair->tp_dictoffset != 0
        || pair->tp_weaklistoffset != 0) {
        PyErr_SetString(PyExc_TypeError,
                        "the Close type must subclass tuple with __slots__ = () throughout");
        return NULL;
    }
    if (max_payload < 2 || max_payload > MAX_PAYLOAD) {
        PyErr_Format(PyExc_ValueError, "max_payload must be in 2-%d (the buffers' size)",
                     MAX_PAYLOAD);
        return NULL;
    }
    Parser *self = (Parser *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    if (compiled_setup(&self->base, fallback, signature, parser_call) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    self->values = Py_NewRef(values);
    self->code_only = Py_NewRef(code_only);
    self->no_status = Py_NewRef(no_status);
    self->close_type = Py_NewRef(close_type);
    self->too_long = Py_NewRef(too_long);
    self->truncated = Py_NewRef(truncated);
    self->bad_reason = Py_NewRef(bad_reason);
    self->max_payload = max_payload;
    return (PyObject *)self;
}

static PyType_Slot parser_slots[] = {COMPILED_SLOTS(parser_new, parser_members,
                   "parse_close_payload, compiled: see closeframe.payload.")};
static PyType_Spec parser_spec = COMPILED_SPEC("Parser", Parser, parser_slots);

/* ------------------------------------------------------------------ */
/* Serializer: the fast path of serialize_close_payload.               */

typedef struct {
    Compiled base;         /* fallback: the pure-Python serializer */
    PyObject *heads;       /* tuple[65536]: the 2-byte code as bytes, or None */
    PyObject *code_enum;   /* CloseCode */
    PyObject *checked;     /* the Python checked path: checked(code, reason, truncate) */
    Py_ssize_t max_reason; /* 123, at most MAX_REASON */
} Serializer;

static PyMemberDef serializer_members[] = {
    COMPILED_MEMBERS,
    {"heads", Py_T_OBJECT_EX, offsetof(Serializer, heads), Py_READONLY, NULL},
    {"code_enum", Py_T_OBJECT_EX, offsetof(Serializer, code_enum), Py_READONLY, NULL},
    {"checked", Py_T_OBJECT_EX, offsetof(Serializer, checked), Py_READONLY, NULL},
    {"max_reason", Py_T_PYSSIZET, offsetof(Serializer, max_reason), Py_READONLY, NULL},
    {NULL},
};

/* The value of an int (or an int subclass: a CloseCode) of at most one
 * digit's worth, read from the object; -1 for any other, negative or
 * larger (which the checked path refuses, with the error it names).  Every
 * code fits: a digit holds 30 bits.  PyLong_AsLongAndOverflow took 21 of
 * serialize(1000)'s 515 instructions for what is one load here. */
static inline long
small_int(PyObject *code)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyLongObject *number = (PyLongObject *)code;
    return PyUnstable_Long_IsCompact(number) ? (long)PyUnstable_Long_CompactValue(number) : -1;
#else
    /* Before 3.12 an int's size is its number of digits, negated for a
     * negative int. */
    Py_ssize_t size = Py_SIZE(code);
    return size == 0 ? 0 : size == 1 ? (long)((PyLongObject *)code)->ob_digit[0] : -1;
#endif
}

/* The fast path of the serializer, shared with the frame encoder: an exact
 * int or CloseCode (not 1000.0, not True) that may be sent, and a str reason
 * that fits, or none (NULL: the default, "").  Returns 1 with *head (the
 * packed code, borrowed) set and the reason's UTF-8 at (*utf8)[0:*size]:
 * in room (REASON_ROOM bytes), or in the str itself when it is ASCII; 0
 * when the call must take the checked path instead.  Nothing here can
 * fail: it only reads.  Inlined into both callers, so that what it returns
 * through pointers stays in registers (7 instructions of a serialize). */
static Py_ALWAYS_INLINE inline int
serialize_parts(Serializer *self, PyObject *code, PyObject *reason, PyObject **head,
                unsigned char *room, const unsigned char **utf8, Py_ssize_t *size)
{
    if (!(PyLong_CheckExact(code) || Py_IS_TYPE(code, (PyTypeObject *)self->code_enum))
        || !(reason == NULL || PyUnicode_CheckExact(reason))) {
        return 0;
    }
    long value = small_int(code);
    if (value < 0 || value >= PyTuple_GET_SIZE(self->heads)) {
        return 0;
    }
    *head = PyTuple_GET_ITEM(self->heads, value);
    if (*head == Py_None) {
        return 0;
    }
    *utf8 = room;
    *size = reason == NULL ? 0 : encode_reason(reason, self->max_reason, room, utf8);
    return *size >= 0;
}

static PyObject *
serializer_call(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Serializer *self = (Serializer *)op;
    PyObject *code = Py_None, *reason = NULL, *truncate = Py_False;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);

    if (nargs > 2) {
        return fall_back(&self->base, args, nargs, kwnames);
    }
    if (nargs > 0) {
        code = args[0];
    }
    if (nargs > 1) {
        reason = args[1];
    }
    PyObject *const *keyword = self->base.state->keyword;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        PyObject *value = args[nargs + i];
        if (nargs < 1 && is_keyword(name, keyword[KW_CODE])) {
            code = value;
        }
        else if (nargs < 2 && is_keyword(name, keyword[KW_REASON])) {
            reason = value;
        }
        else if (is_keyword(name, keyword[KW_TRUNCATE])) {
            truncate = value;
        }
        else {
            /* Unknown or repeated: the Python function raises TypeError. */
            return fall_back(&self->base, args, nargs, kwnames);
        }
    }
    PyObject *head;
    unsigned char room[REASON_ROOM];
    const unsigned char *utf8;
    Py_ssize_t size;
    /* truncate must be a bool even where it changes nothing: the checked
     * path says so. */
    int fast = truncate == Py_False || truncate == Py_True
                   ? serialize_parts(self, code, reason, &head, room, &utf8, &size)
                   : 0;
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
    /* The default reason, "", which the checked path needs as a str. */
    if (reason == NULL) {
        reason = self->base.state->empty_str;
    }
    PyObject *call_args[3] = {code, reason, truncate};
    return PyObject_Vectorcall(self->checked, call_args, 3, NULL);
}

static PyObject *
serializer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"heads", "code_enum", "max_reason", "checked", "fallback", "signature",
                            NULL};
    PyObject *heads, *code_enum, *checked, *fallback, *signature;
    Py_ssize_t max_reason;
    if (keywords_only("Serializer", args) < 0
        || !PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!nOOU:Serializer", names,
                                        &PyTuple_Type, &heads, &PyType_Type, &code_enum,
                                        &max_reason, &checked, &fallback, &signature)) {
        return NULL;
    }
    /* serializer_call copies two bytes from every head it finds. */
    for (Py_ssize_t code = 0; code < PyTuple_GET_SIZE(heads); code++) {
        PyObject *head = PyTuple_GET_ITEM(heads, code);
        if (head != Py_None && !(PyBytes_CheckExact(head) && PyBytes_GET_SIZE(head) == 2)) {
            PyErr_SetString(PyExc_TypeError, "each head must be None or 2 bytes");
            return NULL;
        }
    }
    if (max_reason < 0 || max_reason > MAX_REASON) {
        PyErr_Format(PyExc_ValueError, "max_reason must be in 0-%d (the buffers' size)",
                     MAX_REASON);
        return NULL;
    }
    Serializer *self = (Serializer *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    if (compiled_setup(&self->base, fallback, signature, serializer_call) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    self->heads = Py_NewRef(heads);
    self->code_enum = Py_NewRef(code_enum);
    self->checked = Py_NewRef(checked);
    self->max_reason = max_reason;
    return (PyObject *)self;
}

static PyType_Slot serializer_slots[] = {COMPILED_SLOTS(serializer_new, serializer_members,
                   "serialize_close_payload, compiled: see closeframe.payload.")};
static PyType_Spec serializer_spec = COMPILED_SPEC("Serializer", Serializer, serializer_slots);

/* ------------------------------------------------------------------ */
/* Frames: decode_close_frame, read_close_frame, encode_close_frame.   */
/* RFC 6455 §5.2: FIN, RSV1-3, opcode; MASK, 7-bit length; masking key. */

#define FIN 0x80
#define RSV 0x70
#define OPCODE 0x0F
#define CLOSE_OPCODE 0x8
#define MASK 0x80
#define LENGTH 0x7F

typedef struct {
    Compiled base;           /* fallback: the pure-Python function */
    PyObject *parser;        /* the compiled payload parser */
    /* The frame error classes, named as frame.py hands them over. */
    PyObject *not_close;     /* NotACloseFrameError */
    PyObject *fragmented;    /* FragmentedControlFrameError */
    PyObject *reserved_bits; /* ReservedBitsError */
    PyObject *mask_mismatch; /* MaskMismatchError */
    PyObject *too_long;      /* ControlFrameTooLongError */
    PyObject *incomplete;    /* IncompleteFrameError */
    PyObject *trailing;      /* TrailingBytesError */
    char prefix;             /* 1: read_close_frame, 0: decode_close_frame */
} FrameReader;

static PyMemberDef frame_reader_members[] = {
    COMPILED_MEMBERS,
    {"parser", Py_T_OBJECT_EX, offsetof(FrameReader, parser), Py_READONLY, NULL},
    {"not_close", Py_T_OBJECT_EX, offsetof(FrameReader, not_close), Py_READONLY, NULL},
    {"fragmented", Py_T_OBJECT_EX, offsetof(FrameReader, fragmented), Py_READONLY, NULL},
    {"reserved_bits", Py_T_OBJECT_EX, offsetof(FrameReader, reserved_bits), Py_READONLY, NULL},
    {"mask_mismatch", Py_T_OBJECT_EX, offsetof(FrameReader, mask_mismatch), Py_READONLY, NULL},
    {"too_long", Py_T_OBJECT_EX, offsetof(FrameReader, too_long), Py_READONLY, NULL},
    {"incomplete", Py_T_OBJECT_EX, offsetof(FrameReader, incomplete), Py_READONLY, NULL},
    {"trailing", Py_T_OBJECT_EX, offsetof(FrameReader, trailing), Py_READONLY, NULL},
    {"prefix", Py_T_BOOL, offsetof(FrameReader, prefix), Py_READONLY, NULL},
    {NULL},
};

/* §5.3: octet i of the payload is XORed with octet i % 4 of the key.  Eight
 * octets at a time, with the key twice in a word (a payload's offset in
 * the frame does not matter: each word starts at a multiple of 4 into the
 * payload), then the rest one by one: a masked 125-byte frame took 5 of
 * these per byte, one by one.  `out` may be `in`. */
static void
apply_mask(unsigned char *out, const unsigned char *in, Py_ssize_t size,
           const unsigned char *key)
{
    unsigned char twice[8];
    memcpy(twice, key, 4);
    memcpy(twice + 4, key, 4);
    uint64_t key_word, word;
    memcpy(&key_word, twice, 8);
    Py_ssize_t i = 0;
    for (; i + 8 <= size; i += 8) {
        memcpy(&word, in + i, 8);
        word ^= key_word;
        memcpy(out + i, &word, 8);
    }
    for (; i < size; i++) {
        out[i] = in[i] ^ key[i & 3];
    }
}

/* (None, needed) from read_close_frame; IncompleteFrameError(needed) from
 * decode_close_frame. */
static PyObject *
need_more(FrameReader *self, Py_ssize_t needed)
{
    if (!self->prefix) {
        return raise_error(self->incomplete, 1, (PyObject *[]){PyLong_FromSsize_t(needed)});
    }
    return new_pair(Py_NewRef(Py_None), PyLong_FromSsize_t(needed));
}

/* Check and decode the frame at `data`, which holds `length` bytes in all
 * (of which only the first MAX_FRAME are read).  `data` must be memory no
 * one else can change (bytes, or our copy): the header read first decides
 * which bytes are read next. */
static PyObject *
read_frame(FrameReader *self, const unsigned char *data, Py_ssize_t length, PyObject *masked)
{
    Parser *parser = (Parser *)self->parser;
    if (length < 2) {
        return need_more(self, 2 - length);
    }
    unsigned char first = data[0], second = data[1];
    if ((first & OPCODE) != CLOSE_OPCODE) {
        return raise_error(self->not_close, 1, (PyObject *[]){PyLong_FromLong(first & OPCODE)});
    }
    if (!(first & FIN)) {
        return raise_error(self->fragmented, 0, NULL);
    }
    if (first & RSV) {
        return raise_error(self->reserved_bits, 1,
                           (PyObject *[]){PyLong_FromLong((first & RSV) >> 4)});
    }
    int is_masked = (second & MASK) != 0;
    if (masked != Py_None && is_masked != (masked == Py_True)) {
        return raise_error(self->mask_mismatch, 1, (PyObject *[]){PyBool_FromLong(is_masked)});
    }
    Py_ssize_t size = second & LENGTH;
    if (size > parser->max_payload) {
        return raise_error(self->too_long, 1, (PyObject *[]){PyLong_FromSsize_t(size)});
    }
    Py_ssize_t offset = is_masked ? 6 : 2, end = offset + size;
    if (length < end) {
        return need_more(self, end - length);
    }
    if (!self->prefix && length > end) {
        return raise_error(self->trailing, 1, (PyObject *[]){PyLong_FromSsize_t(length - end)});
    }
    const unsigned char *payload = data + offset;
    unsigned char unmasked[MAX_PAYLOAD];
    if (is_masked) {
        apply_mask(unmasked, payload, size, data + 2);
        payload = unmasked;
    }
    PyObject *close = parse_bytes(parser, payload, size);
    if (close == NULL || !self->prefix) {
        return close;
    }
    return new_pair(close, PyLong_FromSsize_t(end));
}

static PyObject *
frame_reader_call(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    FrameReader *self = (FrameReader *)op;
    PyObject *masked = Py_None;
    if (nargs != 1) {
        return fall_back(&self->base, args, nargs, kwnames);
    }
    if (kwnames != NULL) {
        if (PyTuple_GET_SIZE(kwnames) != 1
            || !is_keyword(PyTuple_GET_ITEM(kwnames, 0), self->base.state->keyword[KW_MASKED])) {
            return fall_back(&self->base, args, nargs, kwnames);
        }
        masked = args[1];
    }
    if (masked != Py_None && masked != Py_True && masked != Py_False) {
        /* Not a bool: the Python function has the last word on what it means. */
        return fall_back(&self->base, args, nargs, kwnames);
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
    return fall_back(&self->base, args, nargs, kwnames);
}

static PyObject *
frame_reader_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"parser", "prefix", "not_close", "fragmented", "reserved_bits",
                            "mask_mismatch", "too_long", "incomplete", "trailing", "fallback",
                            "signature", NULL};
    PyObject *parser, *not_close, *fragmented, *reserved_bits, *mask_mismatch, *too_long,
        *incomplete, *trailing, *fallback, *signature;
    int prefix;
    PyTypeObject *parser_type = ((module_state *)PyType_GetModuleState(type))->parser_type;
    if (keywords_only("FrameReader", args) < 0
        || !PyArg_ParseTupleAndKeywords(args, kwargs, "O!pOOOOOOOOU:FrameReader", names,
                                        parser_type, &parser, &prefix, &not_close, &fragmented,
                                        &reserved_bits, &mask_mismatch, &too_long, &incomplete,
                                        &trailing, &fallback, &signature)) {
        return NULL;
    }
    FrameReader *self = (FrameReader *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    if (compiled_setup(&self->base, fallback, signature, frame_reader_call) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    self->parser = Py_NewRef(parser);
    self->not_close = Py_NewRef(not_close);
    self->fragmented = Py_NewRef(fragmented);
    self->reserved_bits = Py_NewRef(reserved_bits);
    self->mask_mismatch = Py_NewRef(mask_mismatch);
    self->too_long = Py_NewRef(too_long);
    self->incomplete = Py_NewRef(incomplete);
    self->trailing = Py_NewRef(trailing);
    self->prefix = (char)prefix;
    return (PyObject *)self;
}

static PyType_Slot frame_reader_slots[] = {
    COMPILED_SLOTS(frame_reader_new, frame_reader_members,
                   "decode_close_frame / read_close_frame, compiled: see closeframe.frame.")};
static PyType_Spec frame_reader_spec =
    COMPILED_SPEC("FrameReader", FrameReader, frame_reader_slots);

/* FrameEncoder: encode_close_frame's fast path over the compiled serializer. */
typedef struct {
    Compiled base;         /* fallback: the pure-Python encode_close_frame */
    PyObject *serializer;  /* the compiled payload serializer */
} FrameEncoder;

static PyMemberDef frame_encoder_members[] = {
    COMPILED_MEMBERS,
    {"serializer", Py_T_OBJECT_EX, offsetof(FrameEncoder, serializer), Py_READONLY, NULL},
    {NULL},
};

static PyObject *
frame_encoder_call(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    FrameEncoder *self = (FrameEncoder *)op;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *code = Py_None, *reason = NULL, *mask_key = Py_None;
    if (nargs > 2) {
        return fall_back(&self->base, args, nargs, kwnames);
    }
    if (nargs > 0) {
        code = args[0];
    }
    if (nargs > 1) {
        reason = args[1];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        if (is_keyword(name, self->base.state->keyword[KW_MASK_KEY])) {
            mask_key = args[nargs + i];
        }
        else {
            /* code=, reason=, truncate=: rare enough for the Python path. */
            return fall_back(&self->base, args, nargs, kwnames);
        }
    }
    if (mask_key != Py_None && !(PyBytes_CheckExact(mask_key) && PyBytes_GET_SIZE(mask_key) == 4)) {
        return fall_back(&self->base, args, nargs, kwnames);
    }
    PyObject *head;
    unsigned char room[REASON_ROOM];
    const unsigned char *utf8;
    Py_ssize_t size;
    if (!serialize_parts((Serializer *)self->serializer, code, reason, &head, room, &utf8, &size)) {
        return fall_back(&self->base, args, nargs, kwnames);
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
        apply_mask(out + 6, out + 6, payload_size, key);
    }
    return frame;
}

static PyObject *
frame_encoder_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"serializer", "fallback", "signature", NULL};
    PyObject *serializer, *fallback, *signature;
    PyTypeObject *serializer_type =
        ((module_state *)PyType_GetModuleState(type))->serializer_type;
    if (keywords_only("FrameEncoder", args) < 0
        || !PyArg_ParseTupleAndKeywords(args, kwargs, "O!OU:FrameEncoder", names,
                                        serializer_type, &serializer, &fallback, &signature)) {
        return NULL;
    }
    FrameEncoder *self = (FrameEncoder *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    if (compiled_setup(&self->base, fallback, signature, frame_encoder_call) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    self->serializer = Py_NewRef(serializer);
    return (PyObject *)self;
}

static PyType_Slot frame_encoder_slots[] = {
    COMPILED_SLOTS(frame_encoder_new, frame_encoder_members,
                   "encode_close_frame, compiled: see closeframe.frame.")};
static PyType_Spec frame_encoder_spec =
    COMPILED_SPEC("FrameEncoder", FrameEncoder, frame_encoder_slots);

/* ------------------------------------------------------------------ */
/* The module.                                                         */

/* Make one type and add it to the module; *type keeps a reference. */
static int
add_type(PyObject *module, PyType_Spec *spec, PyTypeObject **type)
{
    *type = (PyTypeObject *)PyType_FromModuleAndSpec(module, spec, NULL);
    if (*type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, *type);
}

static int
speedups_exec(PyObject *module)
{
    module_state *state = PyModule_GetState(module);
    state->empty_str = PyUnicode_FromStringAndSize(NULL, 0);
    if (state->empty_str == NULL) {
        return -1;
    }
    for (int what = 0; what < UTF8_ERRORS; what++) {
        state->utf8_error[what] = PyUnicode_FromString(utf8_error_text[what]);
        if (state->utf8_error[what] == NULL) {
            return -1;
        }
        for (Py_ssize_t position = 0; position < MAX_REASON; position++) {
            PyObject *index = PyLong_FromSsize_t(position);
            state->reason_error[what][position] =
                index == NULL ? NULL : PyTuple_Pack(2, index, state->utf8_error[what]);
            Py_XDECREF(index);
            if (state->reason_error[what][position] == NULL) {
                return -1;
            }
        }
    }
    for (int name = 0; name < KEYWORDS; name++) {
        state->keyword[name] = PyUnicode_InternFromString(keyword_names[name]);
        if (state->keyword[name] == NULL) {
            return -1;
        }
    }
    if (add_type(module, &parser_spec, &state->parser_type) < 0
        || add_type(module, &serializer_spec, &state->serializer_type) < 0
        || add_type(module, &frame_reader_spec, &state->frame_reader_type) < 0
        || add_type(module, &frame_encoder_spec, &state->frame_encoder_type) < 0) {
        return -1;
    }
    /* The buffers' sizes, for the test that they equal Python's limits. */
    if (PyModule_AddIntConstant(module, "MAX_PAYLOAD", MAX_PAYLOAD) < 0
        || PyModule_AddIntConstant(module, "MAX_REASON", MAX_REASON) < 0
        || PyModule_AddIntConstant(module, "MAX_FRAME", MAX_FRAME) < 0) {
        return -1;
    }
    return 0;
}

static int
speedups_traverse(PyObject *module, visitproc visit, void *arg)
{
    module_state *state = PyModule_GetState(module);
    Py_VISIT(state->parser_type);
    Py_VISIT(state->serializer_type);
    Py_VISIT(state->frame_reader_type);
    Py_VISIT(state->frame_encoder_type);
    Py_VISIT(state->empty_str);
    for (int what = 0; what < UTF8_ERRORS; what++) {
        Py_VISIT(state->utf8_error[what]);
        for (Py_ssize_t position = 0; position < MAX_REASON; position++) {
            Py_VISIT(state->reason_error[what][position]);
        }
    }
    for (int name = 0; name < KEYWORDS; name++) {
        Py_VISIT(state->keyword[name]);
    }
    return 0;
}

static int
speedups_clear(PyObject *module)
{
    module_state *state = PyModule_GetState(module);
    Py_CLEAR(state->parser_type);
    Py_CLEAR(state->serializer_type);
    Py_CLEAR(state->frame_reader_type);
    Py_CLEAR(state->frame_encoder_type);
    Py_CLEAR(state->empty_str);
    for (int what = 0; what < UTF8_ERRORS; what++) {
        Py_CLEAR(state->utf8_error[what]);
        for (Py_ssize_t position = 0; position < MAX_REASON; position++) {
            Py_CLEAR(state->reason_error[what][position]);
        }
    }
    for (int name = 0; name < KEYWORDS; name++) {
        Py_CLEAR(state->keyword[name]);
    }
    return 0;
}

static void
speedups_free(void *module)
{
    (void)speedups_clear((PyObject *)module);
}

static PyModuleDef_Slot speedups_slots[] = {
    {Py_mod_exec, speedups_exec},
#if PY_VERSION_HEX >= 0x030C0000
    /* No state outside the module's own: each interpreter, with or without
     * a GIL of its own, may import it (tests/test_implementations.py). */
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#ifdef Py_mod_gil
    /* Safe without the GIL (3.13+; ignored by builds that have one): what
     * a call reads is never written after construction (tuples, read-only
     * fields), its results are shared immutable objects or new ones, and
     * memory the caller owns is read once into the call's own buffer.
     * tests/test_threads.py shows it on the free-threaded builds
     * (python3.14t in CI, python3.13t by hand): eight threads on shared
     * objects, and the GIL still off afterwards. */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "closeframe._speedups",
    .m_doc = "The close-payload codec in C; closeframe.payload is its reference.",
    .m_size = sizeof(module_state),
    .m_slots = speedups_slots,
    .m_traverse = speedups_traverse,
    .m_clear = speedups_clear,
    .m_free = speedups_free,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
