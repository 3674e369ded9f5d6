/*
 * How closeframe._speedups makes a Close: new_close.  Included by
 * _speedups.c, and by benchmarks/least.c, whose stand-in for the parser
 * must allocate a Close exactly as closeframe does (one copy of the rule,
 * so the two cannot drift apart).  The function is static.
 */

#ifndef CLOSEFRAME_CLOSE_H
#define CLOSEFRAME_CLOSE_H

#include <Python.h>

/* A new Close(value, reason), taking over the reference to reason.
 *
 * A Close is a tuple subclass that adds no field (__slots__ = (): the
 * caller checks its layout, as the Parser's constructor does), so it is a
 * tuple's memory with another type: allocated as PyTuple_New allocates (no
 * zeroing, which tp_alloc does
 * and the two items overwrite at once: 9 instructions less a parse), and
 * tracked by the collector as the Close Python builds is.  CPython 3.14
 * caches a tuple's hash in the object, -1 until computed; a cache left at
 * 0 would make every such Close hash to 0 while an equal Close built in
 * Python hashes otherwise (tests/test_implementations.py compares hashes). */
static PyObject *
new_close(PyTypeObject *close_type, PyObject *value, PyObject *reason)
{
    PyTupleObject *close = PyObject_GC_NewVar(PyTupleObject, close_type, 2);
    if (close == NULL) {
        Py_DECREF(reason);
        return NULL;
    }
    close->ob_item[0] = Py_NewRef(value);
    close->ob_item[1] = reason;
#if PY_VERSION_HEX >= 0x030E0000
    close->ob_hash = -1;
#endif
    PyObject_GC_Track(close);
    return (PyObject *)close;
}

#endif /* CLOSEFRAME_CLOSE_H */
