/* Arrow string-view columns read in place, for the native kernels (_textscan.c, _literals.c).
 *
 * Python hands a column over as (views, (data buffers...), validity or None, offset): the
 * buffers of a pyarrow string_view array (moderation/features/native.py: _spec). Each row is a
 * 16-byte view: its length, then the bytes themselves (12 at most) or a buffer and an offset.
 */
#ifndef MODERATION_ARROW_VIEWS_H
#define MODERATION_ARROW_VIEWS_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    Py_buffer views, validity;
    Py_buffer *data;
    Py_ssize_t n_data;
    const uint8_t **data_ptr;
    int has_validity;
    int64_t offset;
} Column;

static void column_release(Column *c) {
    if (c->views.obj) PyBuffer_Release(&c->views);
    if (c->has_validity && c->validity.obj) PyBuffer_Release(&c->validity);
    for (Py_ssize_t k = 0; k < c->n_data; k++) if (c->data[k].obj) PyBuffer_Release(&c->data[k]);
    PyMem_Free(c->data);
    PyMem_Free((void *)c->data_ptr);
    memset(c, 0, sizeof(*c));
}

/* (views, (data buffers...), validity or None, offset) -> Column, checked to hold n rows. */
static int column_from(PyObject *spec, int64_t n, Column *c) {
    memset(c, 0, sizeof(*c));
    PyObject *views, *datas, *validity;
    long long offset;
    if (!PyArg_ParseTuple(spec, "OOOL", &views, &datas, &validity, &offset)) return -1;
    c->offset = offset;
    if (offset < 0) { PyErr_SetString(PyExc_ValueError, "negative column offset"); return -1; }
    if (PyObject_GetBuffer(views, &c->views, PyBUF_SIMPLE) < 0) return -1;
    if (c->views.len < 16 * (offset + n)) {
        PyErr_SetString(PyExc_ValueError, "the views buffer is shorter than offset + n rows");
        return -1;
    }
    if (validity != Py_None) {
        if (PyObject_GetBuffer(validity, &c->validity, PyBUF_SIMPLE) < 0) return -1;
        c->has_validity = 1;
        if (c->validity.len < (offset + n + 7) / 8) {
            PyErr_SetString(PyExc_ValueError, "the validity buffer is shorter than offset + n rows");
            return -1;
        }
    }
    PyObject *seq = PySequence_Fast(datas, "data buffers must be a sequence");
    if (!seq) return -1;
    Py_ssize_t k_max = PySequence_Fast_GET_SIZE(seq);
    c->data = PyMem_Calloc((size_t)(k_max ? k_max : 1), sizeof(Py_buffer));
    c->data_ptr = PyMem_Calloc((size_t)(k_max ? k_max : 1), sizeof(uint8_t *));
    if (!c->data || !c->data_ptr) { Py_DECREF(seq); PyErr_NoMemory(); return -1; }
    for (Py_ssize_t k = 0; k < k_max; k++) {
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, k), &c->data[k], PyBUF_SIMPLE) < 0) {
            Py_DECREF(seq);
            return -1;
        }
        c->n_data = k + 1;
        c->data_ptr[k] = c->data[k].buf;
    }
    Py_DECREF(seq);
    return 0;
}

/* Row i's bytes; 0 when it is NULL. */
static inline int column_get(const Column *c, int64_t i, const uint8_t **s, int32_t *len) {
    int64_t j = c->offset + i;
    if (c->has_validity) {
        const uint8_t *v = c->validity.buf;
        if (!((v[j >> 3] >> (j & 7)) & 1)) return 0;
    }
    const uint8_t *view = (const uint8_t *)c->views.buf + 16 * j;
    int32_t n;
    memcpy(&n, view, 4);
    if (n <= 12) {
        *s = view + 4;
    } else {
        int32_t b, o;
        memcpy(&b, view + 8, 4);
        memcpy(&o, view + 12, 4);
        *s = c->data_ptr[b] + o;
    }
    *len = n;
    return 1;
}

/* How many rows the views buffer holds past the offset. */
static inline int64_t column_rows(const Column *c) { return (int64_t)(c->views.len / 16) - c->offset; }

#endif
