/* Which literals occur in each row of a string column: a byte-level Aho-Corasick DFA.
 *
 * evaluate() needs, per row of a text field, the bit mask of the needle calls owning a literal
 * that occurs in the row (moderation/rules/literals.py builds the automaton). Each byte is one
 * class lookup and one transition lookup; a transition entry is the next state's offset in the
 * table (state * classes), so no multiply sits on the chain of dependent loads. Accepting states
 * are numbered last: "state >= accept_start" is the only test per byte, and their masks already
 * include those of their suffixes (overlapping literals all count).
 *
 * The column is read in place (Arrow string views, as moderation/features/native.py's _spec
 * hands them over); the GIL is released while rows are scanned, so callers run row slices on
 * parallel threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "../_arrow_views.h"

/* ---- the automaton ---------------------------------------------------------------------------- */
typedef struct {
    const uint8_t *classes;     /* 256: the class of each byte */
    const int32_t *next;        /* states x n_classes: the next state's offset (state * n_classes) */
    const uint64_t *accept;     /* (states - first accepting state) x words */
    const uint64_t *base;       /* words: the calls owning an empty literal (every non-NULL row) */
    int32_t n_classes, accept_start; /* accept_start: offset of the first accepting state */
    int64_t words;
} Automaton;

/* A row passes an accepting state: OR its masks into the row's. */
static inline void accept_into(const Automaton *a, int32_t st, uint64_t *o) {
    const uint64_t *m = a->accept + (int64_t)((st - a->accept_start) / a->n_classes) * a->words;
    for (int64_t k = 0; k < a->words; k++) o[k] |= m[k];
}

/* The rest of a row, s[0..len) from state st, alone. */
static void row_finish(const Automaton *a, int32_t st, const uint8_t *s, int64_t len, uint64_t *o) {
    for (int64_t i = 0; i < len; i++) {
        st = a->next[st + a->classes[s[i]]];
        if (st >= a->accept_start) accept_into(a, st, o);
    }
}

/* ---- four rows at once -----------------------------------------------------------------------
 * A row is a chain of dependent table loads (the next state needs the last), each a few cycles
 * and more when the table is not in L1. Four rows walked in lock step overlap those waits (2.4x
 * as fast as a row at a time): four lanes each hold a row, step together as long as none is at
 * its end, and a lane that ends its row takes the next one. */
#define LANES 4

typedef struct {
    const uint8_t *p[LANES], *end[LANES];
    int32_t st[LANES];
    uint64_t *o[LANES]; /* the row's masks */
    int busy[LANES];    /* 0: no rows were left for the lane */
    int64_t next_row;
} Lanes;

/* Give lane k the next non-NULL row (NULL rows are written on the way). */
static void lane_fill(const Automaton *a, const Column *c, int64_t n, uint64_t *out, uint8_t *nulls,
                      Lanes *l, int k) {
    const int64_t w = a->words;
    while (l->next_row < n) {
        int64_t r = l->next_row++;
        const uint8_t *s;
        int32_t len;
        uint64_t *o = out + r * w;
        if (!column_get(c, r, &s, &len)) {
            nulls[r] = 1;
            memset(o, 0, (size_t)w * 8);
            continue;
        }
        nulls[r] = 0;
        memcpy(o, a->base, (size_t)w * 8);
        l->p[k] = s;
        l->end[k] = s + len;
        l->st[k] = 0;
        l->o[k] = o;
        l->busy[k] = 1;
        return;
    }
    l->busy[k] = 0;
}

#define LANE_STEP(k) do { \
    st##k = next[st##k + cls[*p##k++]]; \
    if (st##k >= acc) accept_into(a, st##k, l->o[k]); \
} while (0)

/* Step all four lanes `steps` bytes (none reaches its end before): the loop the time goes to. */
static inline void lanes_run(const Automaton *a, Lanes *l, int64_t steps) {
    const uint8_t *cls = a->classes;
    const int32_t *next = a->next;
    const int32_t acc = a->accept_start;
    const uint8_t *p0 = l->p[0], *p1 = l->p[1], *p2 = l->p[2], *p3 = l->p[3];
    int32_t st0 = l->st[0], st1 = l->st[1], st2 = l->st[2], st3 = l->st[3];
    for (int64_t i = 0; i < steps; i++) {
        LANE_STEP(0);
        LANE_STEP(1);
        LANE_STEP(2);
        LANE_STEP(3);
    }
    l->p[0] = p0; l->p[1] = p1; l->p[2] = p2; l->p[3] = p3;
    l->st[0] = st0; l->st[1] = st1; l->st[2] = st2; l->st[3] = st3;
}

/* Every row's masks (out: n x words) and NULL flags. */
static void scan_rows(const Automaton *a, const Column *c, int64_t n, uint64_t *out, uint8_t *nulls) {
    Lanes l;
    l.next_row = 0;
    for (int k = 0; k < LANES; k++) lane_fill(a, c, n, out, nulls, &l, k);
    for (;;) {
        int64_t steps = INT64_MAX;
        int idle = 0;
        for (int k = 0; k < LANES; k++) {
            idle |= !l.busy[k];
            if (l.end[k] - l.p[k] < steps) steps = l.end[k] - l.p[k];
        }
        if (idle) break; /* the rows are running out: finish them one by one */
        lanes_run(a, &l, steps);
        for (int k = 0; k < LANES; k++)
            if (l.p[k] == l.end[k]) lane_fill(a, c, n, out, nulls, &l, k);
    }
    for (int k = 0; k < LANES; k++)
        if (l.busy[k]) row_finish(a, l.st[k], l.p[k], l.end[k] - l.p[k], l.o[k]);
}

/* ---- Python ----------------------------------------------------------------------------------- */
static int buffer_of(PyObject *obj, Py_buffer *b, int flags, Py_ssize_t bytes, const char *name) {
    if (PyObject_GetBuffer(obj, b, flags) < 0) return -1;
    if (b->len != bytes) {
        PyErr_Format(PyExc_ValueError, "%s: buffer of %zd bytes, expected %zd", name, b->len, bytes);
        PyBuffer_Release(b);
        b->obj = NULL;
        return -1;
    }
    return 0;
}

/* Every transition lands on a state's offset and the accepting states' masks exist: a bad table
 * must not read out of bounds. */
static int check_tables(const Automaton *a, int64_t states, int64_t accepting) {
    if (a->n_classes <= 0 || states <= 0 || a->accept_start != (states - accepting) * a->n_classes) {
        PyErr_SetString(PyExc_ValueError, "inconsistent automaton sizes");
        return -1;
    }
    for (int k = 0; k < 256; k++)
        if (a->classes[k] >= a->n_classes) { PyErr_SetString(PyExc_ValueError, "byte class out of range"); return -1; }
    for (int64_t k = 0; k < states * a->n_classes; k++) {
        int32_t t = a->next[k];
        if (t < 0 || t >= states * a->n_classes || t % a->n_classes) {
            PyErr_SetString(PyExc_ValueError, "transition to no state");
            return -1;
        }
    }
    return 0;
}

/* masks(spec, n, classes, next, n_classes, accept, accept_start, base, out, nulls) -> None
 *   classes: uint8[256]; next: int32[states * n_classes] (offsets); accept: uint64[accepting * words];
 *   accept_start: offset of the first accepting state (they are numbered last); base: uint64[words];
 *   out: uint64[n * words], row-major, written; nulls: uint8[n], 1 where the row is NULL. */
static PyObject *py_masks(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *spec, *o_cls, *o_next, *o_acc, *o_base, *o_out, *o_nulls;
    long long n, n_classes, accept_start;
    if (!PyArg_ParseTuple(args, "OLOOLOLOOO", &spec, &n, &o_cls, &o_next, &n_classes, &o_acc, &accept_start,
                          &o_base, &o_out, &o_nulls))
        return NULL;
    if (n < 0 || n_classes <= 0 || n_classes > 256 || accept_start < 0 || accept_start > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "bad sizes");
        return NULL;
    }
    Py_buffer b[6];
    memset(b, 0, sizeof(b));
    Column col;
    memset(&col, 0, sizeof(col));
    PyObject *result = NULL;
    if (buffer_of(o_cls, &b[0], PyBUF_SIMPLE, 256, "classes") < 0) goto done;
    if (PyObject_GetBuffer(o_next, &b[1], PyBUF_SIMPLE) < 0) goto done;
    if (PyObject_GetBuffer(o_base, &b[2], PyBUF_SIMPLE) < 0) goto done;
    if (PyObject_GetBuffer(o_acc, &b[3], PyBUF_SIMPLE) < 0) goto done;
    int64_t words = b[2].len / 8, cells = b[1].len / 4;
    if (b[1].len % (4 * n_classes) || b[2].len % 8 || (words && b[3].len % (8 * words))
        || cells > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "table sizes do not fit together");
        goto done;
    }
    int64_t states = cells / n_classes, accepting = words ? b[3].len / 8 / words : states - accept_start / n_classes;
    Automaton a = {b[0].buf, b[1].buf, b[3].buf, b[2].buf, (int32_t)n_classes, (int32_t)accept_start, words};
    if (check_tables(&a, states, accepting) < 0) goto done;
    if (buffer_of(o_out, &b[4], PyBUF_WRITABLE, (Py_ssize_t)(8 * n * words), "out") < 0) goto done;
    if (buffer_of(o_nulls, &b[5], PyBUF_WRITABLE, (Py_ssize_t)n, "nulls") < 0) goto done;
    if (column_from(spec, n, &col) < 0) goto done;
    Py_BEGIN_ALLOW_THREADS
    scan_rows(&a, &col, n, b[4].buf, b[5].buf);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    for (int k = 0; k < 6; k++) if (b[k].obj) PyBuffer_Release(&b[k]);
    column_release(&col);
    return result;
}

static PyMethodDef methods[] = {
    {"masks", py_masks, METH_VARARGS, "Per row, the OR of the call masks of every literal occurring."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_literals", NULL, -1, methods};

PyMODINIT_FUNC PyInit__literals(void) { return PyModule_Create(&module); }
