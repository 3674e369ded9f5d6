/*
 * _least: the least a built-in function can do for a benchmark row and still
 * return what closeframe's API promises for it, with no check at all.
 *
 * Not part of closeframe.  benchmarks/least.py builds it against the running
 * interpreter's headers and bench_close.py --instructions counts each of its
 * functions in the same timing loop as the row it stands beside ("least"
 * rows), so a target can be set against what the API's shape costs before
 * any rule is enforced: the call of a built-in (specialised by CPython
 * 3.11+), the value it returns (a Close is a tuple subclass made in
 * Python, with a str inside), and for an error the exception it raises.
 *
 * Each function is a built-in bound to a small object holding what it
 * returns, called as closeframe's own are (see src/closeframe/_speedups.c):
 * METH_FASTCALL | METH_KEYWORDS, the convention a function taking keyword
 * arguments needs (parse_close_payload(data=...), truncate=...), which
 * CPython 3.11+ specialises; a Close is allocated as closeframe allocates it.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "_close.h" /* src/closeframe: closeframe's own allocation of a Close */

typedef struct {
    PyObject_HEAD
    PyMethodDef method;
    PyObject *first;  /* shared: the value; pair: Close; raising: the error class; concat: head */
    PyObject *second; /* pair: the code; raising: the error's arguments */
} Bound;

static void
bound_dealloc(PyObject *self)
{
    Bound *bound = (Bound *)self;
    Py_XDECREF(bound->first);
    Py_XDECREF(bound->second);
    PyObject_Free(self);
}

static PyTypeObject bound_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_least.Bound",
    .tp_basicsize = sizeof(Bound),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = bound_dealloc,
};

typedef PyObject *(*fastcall)(PyObject *, PyObject *const *, Py_ssize_t, PyObject *);

static PyObject *
make(const char *name, fastcall function, PyObject *first, PyObject *second)
{
    Bound *bound = PyObject_New(Bound, &bound_type);
    if (bound == NULL) {
        return NULL;
    }
    bound->method = (PyMethodDef){name, (PyCFunction)(void (*)(void))function,
                                  METH_FASTCALL | METH_KEYWORDS, NULL};
    bound->first = Py_NewRef(first);
    bound->second = Py_XNewRef(second);
    PyObject *built = PyCFunction_NewEx(&bound->method, (PyObject *)bound, NULL);
    Py_DECREF(bound);
    return built;
}

/* Code only: return the value prebuilt for the code. */
static PyObject *
shared_call(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t Py_UNUSED(nargs),
            PyObject *Py_UNUSED(kwnames))
{
    return Py_NewRef(((Bound *)self)->first);
}

/* A reason: Close(code, data[2:] as an ASCII str), allocated by
 * closeframe's own new_close (src/closeframe/_close.h). */
static PyObject *
pair_call(PyObject *self, PyObject *const *args, Py_ssize_t Py_UNUSED(nargs),
          PyObject *Py_UNUSED(kwnames))
{
    Bound *bound = (Bound *)self;
    PyObject *data = args[0];
    Py_ssize_t length = PyBytes_GET_SIZE(data) - 2;
    PyObject *reason = PyUnicode_New(length, 127);
    if (reason == NULL) {
        return NULL;
    }
    memcpy(PyUnicode_1BYTE_DATA(reason), PyBytes_AS_STRING(data) + 2, (size_t)length);
    return new_close((PyTypeObject *)bound->first, bound->second, reason);
}

/* An error: raise error_class(*args), made by its tp_new alone, from the
 * arguments prebuilt. */
static PyObject *
raising_call(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t Py_UNUSED(nargs),
             PyObject *Py_UNUSED(kwnames))
{
    Bound *bound = (Bound *)self;
    PyTypeObject *type = (PyTypeObject *)bound->first;
    PyObject *error = type->tp_new(type, bound->second, NULL);
    if (error != NULL) {
        PyErr_SetObject((PyObject *)type, error);
        Py_DECREF(error);
    }
    return NULL;
}

/* Serialize: the 2-byte head, then the reason's UTF-8 (CPython's encoder,
 * which caches nothing in the str); the head itself when there is none. */
static PyObject *
concat_call(PyObject *self, PyObject *const *args, Py_ssize_t Py_UNUSED(nargs),
            PyObject *Py_UNUSED(kwnames))
{
    PyObject *head = ((Bound *)self)->first, *reason = args[1];
    if (PyUnicode_GET_LENGTH(reason) == 0) {
        return Py_NewRef(head);
    }
    Py_ssize_t length;
    const char *text;
    PyObject *encoded = NULL;
    if (PyUnicode_IS_ASCII(reason)) {
        text = (const char *)PyUnicode_1BYTE_DATA(reason);
        length = PyUnicode_GET_LENGTH(reason);
    }
    else {
        encoded = PyUnicode_AsUTF8String(reason);
        if (encoded == NULL) {
            return NULL;
        }
        text = PyBytes_AS_STRING(encoded);
        length = PyBytes_GET_SIZE(encoded);
    }
    PyObject *payload = PyBytes_FromStringAndSize(NULL, 2 + length);
    if (payload != NULL) {
        memcpy(PyBytes_AS_STRING(payload), PyBytes_AS_STRING(head), 2);
        memcpy(PyBytes_AS_STRING(payload) + 2, text, (size_t)length);
    }
    Py_XDECREF(encoded);
    return payload;
}

static PyObject *
shared(PyObject *Py_UNUSED(module), PyObject *value)
{
    return make("shared", shared_call, value, NULL);
}

static PyObject *
pair(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *close_type, *code;
    /* closeframe.Close only: new_close relies on its layout, which the
     * accelerator's Parser checks when it is given the type. */
    if (!PyArg_ParseTuple(args, "O!O:pair", &PyType_Type, &close_type, &code)) {
        return NULL;
    }
    return make("pair", pair_call, close_type, code);
}

static PyObject *
raising(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *error_class, *arguments;
    if (!PyArg_ParseTuple(args, "O!O!:raising", &PyType_Type, &error_class, &PyTuple_Type,
                          &arguments)) {
        return NULL;
    }
    return make("raising", raising_call, error_class, arguments);
}

static PyObject *
concat(PyObject *Py_UNUSED(module), PyObject *head)
{
    if (!PyBytes_CheckExact(head) || PyBytes_GET_SIZE(head) != 2) {
        PyErr_SetString(PyExc_TypeError, "the head is 2 bytes");
        return NULL;
    }
    return make("concat", concat_call, head, NULL);
}

static PyMethodDef least_methods[] = {
    {"shared", shared, METH_O, "shared(value)(data) -> value"},
    {"pair", pair, METH_VARARGS, "pair(Close, code)(data) -> Close(code, data[2:].decode('ascii'))"},
    {"raising", raising, METH_VARARGS, "raising(error, args)(data) raises error(*args)"},
    {"concat", concat, METH_O, "concat(head)(code, reason) -> head + reason.encode()"},
    {NULL},
};

static struct PyModuleDef least_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_least",
    .m_doc = "The least a built-in can do for each benchmark row (benchmarks/least.c).",
    .m_size = -1,
    .m_methods = least_methods,
};

PyMODINIT_FUNC
PyInit__least(void)
{
    if (PyType_Ready(&bound_type) < 0) {
        return NULL;
    }
    return PyModule_Create(&least_module);
}
