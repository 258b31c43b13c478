/* Fast path for the monthly visa files: reads their "regular" JSON lines, leaves the rest to Python.

   A line is regular when it is exactly {"K1":"V1","K2":"V2","K3":"V3"}, optionally followed by
   keys whose value is null ({..."V3","K4":null,"K5":null}, as in files where the parser added
   empty columns): no whitespace, no number, and no string holding a control character or a
   backslash, except the escaped slash "\/" (as in "B1\/B2"). Such a line means the same to any
   JSON parser as it does here. Every other line (blank, a null among the first three values,
   another escape, other spacing, malformed) is left to Python's json module, which reports
   problems by file and line. Nothing here rejects input; it only sorts lines into "read here"
   and "read in Python".

   A regular line is returned as its file, its line number, its shape (the line with its three
   values emptied: {"K1":"","K2":"","K3":""}, which names the keys) and its three values. Shapes
   and values are interned: each distinct byte string gets a code, in order of first appearance,
   so Python decodes a few thousand strings instead of millions, checks their UTF-8, turns "\/"
   into "/", and decides from the few shapes which lines have the table's keys.

   Consecutive lines almost always share their shape, so a line is first matched against the
   previous line's shape, which reads the keys with one memcmp each. The scan runs without the
   GIL, so the two kinds of file are read side by side. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *ptr;
    Py_ssize_t len;
} Span;

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint32_t load32(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* Whether the n bytes at a and b are equal: inline, a word at a time, the last word overlapping
   (libc's memcmp is a call per string, which costs more than comparing the short strings here). */
static inline int same(const unsigned char *a, const unsigned char *b, Py_ssize_t n)
{
    if (n >= 8) {
        for (Py_ssize_t i = 0; i + 8 < n; i += 8) {
            if (load64(a + i) != load64(b + i))
                return 0;
        }
        return load64(a + n - 8) == load64(b + n - 8);
    }
    if (n >= 4)
        return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ interning */

typedef struct {
    int32_t *slots; /* open addressing: code + 1, or 0 for an empty slot */
    size_t mask;    /* number of slots - 1 (a power of two) */
    Span *entries;  /* by code; they point into the input, or into `owned` copies */
    uint64_t *hashes;
    size_t count, capacity;
    int owns;       /* entries are malloc'd copies (for strings built here) */
} Interner;

static inline uint64_t hash_bytes(const unsigned char *p, Py_ssize_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    uint64_t w = 0; /* the last bytes, without reading past them */
    for (Py_ssize_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33; /* mix the high bits into the low ones, which pick the slot */
    h *= 0xFF51AFD7ED558CCDULL;
    return h ^ (h >> 33);
}

static int interner_init(Interner *t, int owns)
{
    t->mask = 1023;
    t->count = 0;
    t->capacity = 256;
    t->owns = owns;
    t->slots = calloc(t->mask + 1, sizeof(int32_t));
    t->entries = malloc(t->capacity * sizeof(Span));
    t->hashes = malloc(t->capacity * sizeof(uint64_t));
    return t->slots && t->entries && t->hashes ? 0 : -1;
}

static void interner_free(Interner *t)
{
    if (t->owns && t->entries) {
        for (size_t i = 0; i < t->count; i++)
            free((void *)t->entries[i].ptr);
    }
    free(t->slots);
    free(t->entries);
    free(t->hashes);
}

static int interner_grow(Interner *t)
{
    size_t size = (t->mask + 1) * 2;
    int32_t *slots = calloc(size, sizeof(int32_t));
    if (!slots)
        return -1;
    for (size_t code = 0; code < t->count; code++) {
        size_t i = (size_t)t->hashes[code] & (size - 1);
        while (slots[i])
            i = (i + 1) & (size - 1);
        slots[i] = (int32_t)(code + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->mask = size - 1;
    return 0;
}

/* The code of the bytes [p, p + n), added if new; -1 when out of memory or codes. */
static inline int32_t intern(Interner *t, const unsigned char *p, Py_ssize_t n)
{
    uint64_t hash = hash_bytes(p, n);
    size_t i = (size_t)hash & t->mask;
    while (t->slots[i]) {
        int32_t code = t->slots[i] - 1;
        const Span *e = &t->entries[code];
        if (t->hashes[code] == hash && e->len == n && same(e->ptr, p, n))
            return code;
        i = (i + 1) & t->mask;
    }
    if (t->count >= INT32_MAX - 1)
        return -1;
    if (t->count == t->capacity) {
        Span *entries = realloc(t->entries, t->capacity * 2 * sizeof(Span));
        if (!entries)
            return -1;
        t->entries = entries;
        uint64_t *hashes = realloc(t->hashes, t->capacity * 2 * sizeof(uint64_t));
        if (!hashes)
            return -1;
        t->hashes = hashes;
        t->capacity *= 2;
    }
    if (t->owns) {
        unsigned char *copy = malloc(n ? (size_t)n : 1);
        if (!copy)
            return -1;
        memcpy(copy, p, (size_t)n);
        p = copy;
    }
    int32_t code = (int32_t)t->count++;
    t->entries[code].ptr = p;
    t->entries[code].len = n;
    t->hashes[code] = hash;
    t->slots[i] = code + 1;
    if (t->count * 2 > t->mask + 1 && interner_grow(t) < 0)
        return -1;
    return code;
}

/* ------------------------------------------------------------------ reading a line */

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* High bit set in the lowest byte of w that is a quote, a backslash or below 0x20 (exact for the
   lowest such byte; bytes above it may be flagged wrongly, and are never looked at). */
static inline uint64_t special_bytes(uint64_t w)
{
    uint64_t quote = w ^ (ONES * '"'), backslash = w ^ (ONES * '\\');
    return ((quote - ONES) & ~quote & HIGHS) | ((backslash - ONES) & ~backslash & HIGHS)
           | ((w - ONES * 0x20) & ~w & HIGHS);
}
#define WORDS 1
#else
#define WORDS 0
#endif

/* Reads a plain string's text starting at p (just after its opening quote); on success returns
   its closing quote. */
static const unsigned char *read_text(const unsigned char *p, const unsigned char *end, Span *out)
{
    const unsigned char *q = p;
    for (;;) {
#if WORDS
        for (; end - q >= 8; q += 8) {
            uint64_t flags = special_bytes(load64(q));
            if (flags) {
                q += __builtin_ctzll(flags) >> 3;
                goto special;
            }
        }
#endif
        while (q < end && *q != '"' && *q != '\\' && *q >= 0x20)
            q++;
        if (q == end)
            return NULL;
#if WORDS
    special:
#endif
        if (*q == '"') {
            out->ptr = p;
            out->len = q - p;
            return q;
        }
        if (*q != '\\' || end - q < 2 || q[1] != '/')
            return NULL; /* a control character, or an escape other than "\\/" */
        q += 2;
    }
}

static int expect(const unsigned char **p, const unsigned char *end, unsigned char c)
{
    if (*p >= end || **p != c)
        return 0;
    (*p)++;
    return 1;
}

static int read_string(const unsigned char **p, const unsigned char *end, Span *out)
{
    const unsigned char *close;
    if (!expect(p, end, '"') || !(close = read_text(*p, end, out)))
        return 0;
    *p = close + 1;
    return 1;
}

/* The parts of a regular line around its three values: line = parts[0] V1 parts[1] V2 parts[2]
   V3 parts[3]. parts[0] is {"K1":" and parts[3] is " then any null keys and }. */
typedef struct {
    Span parts[4];
    int32_t shape;
} Template;

/* Reads a regular line at p in full; on success fills `values` and `shape` and returns the end
   of the line (its '}' + 1); NULL if the line is not regular. */
static const unsigned char *read_line(const unsigned char *p, const unsigned char *end, Span values[3],
                                      Template *shape)
{
    const unsigned char *start = p, *after_value = NULL;
    Span key;
    if (!expect(&p, end, '{'))
        return NULL;
    for (int field = 0; field < 3; field++) {
        if (!read_string(&p, end, &key) || !expect(&p, end, ':') || !read_string(&p, end, &values[field]))
            return NULL;
        shape->parts[field].ptr = field ? after_value : start;
        shape->parts[field].len = values[field].ptr - shape->parts[field].ptr;
        after_value = values[field].ptr + values[field].len;
        if (field < 2 && !expect(&p, end, ','))
            return NULL;
    }
    while (p < end && *p == ',') {
        p++;
        if (!read_string(&p, end, &key) || !expect(&p, end, ':') || end - p < 4 || memcmp(p, "null", 4) != 0)
            return NULL;
        p += 4;
    }
    if (!expect(&p, end, '}'))
        return NULL;
    shape->parts[3].ptr = after_value;
    shape->parts[3].len = p - after_value;
    return p;
}

/* Reads a line at p that has the same shape as `t`; NULL if it does not. */
static const unsigned char *read_like(const unsigned char *p, const unsigned char *end, Span values[3],
                                      const Template *t)
{
    for (int field = 0; field < 3; field++) {
        const Span *part = &t->parts[field];
        if (end - p < part->len || !same(p, part->ptr, part->len))
            return NULL;
        p = read_text(p + part->len, end, &values[field]);
        if (!p)
            return NULL;
    }
    const Span *last = &t->parts[3];
    if (end - p < last->len || !same(p, last->ptr, last->len))
        return NULL;
    return p + last->len;
}

/* ------------------------------------------------------------------ scanning files */

/* A growable array of fixed-size items, filled without the GIL. */
typedef struct {
    char *data;
    size_t size, capacity, item;
} Buffer;

static int reserve(Buffer *b, size_t capacity)
{
    char *data = realloc(b->data, capacity * b->item);
    if (!data)
        return -1;
    b->data = data;
    b->capacity = capacity;
    return 0;
}

static int grow(Buffer *b)
{
    return reserve(b, b->capacity ? b->capacity * 2 : 4096);
}

static inline int push32(Buffer *b, int32_t value)
{
    if (b->size == b->capacity && grow(b) < 0)
        return -1;
    ((int32_t *)b->data)[b->size++] = value;
    return 0;
}

static inline int push64(Buffer *b, int64_t value)
{
    if (b->size == b->capacity && grow(b) < 0)
        return -1;
    ((int64_t *)b->data)[b->size++] = value;
    return 0;
}

enum { FILE_, LINE, SHAPE, PLACE, CLASS, COUNT, LEFT_FILE, LEFT_LINE, LEFT_START, LINES, N_BUFFERS };
static const char *const BUFFER_NAMES[N_BUFFERS] = {
    "file", "line", "shape", "place", "visa_class", "count", "left_file", "left_line", "left_start", "lines",
};
enum { SHAPES, PLACES, CLASSES, COUNTS, N_TABLES };
static const char *const TABLE_NAMES[N_TABLES] = {"shapes", "places", "visa_classes", "counts"};

typedef struct {
    Buffer out[N_BUFFERS];
    Interner tables[N_TABLES];
} Scan;

/* The empty-valued text of a shape, {"K1":"","K2":"","K3":""}, interned; -1 when out of memory. */
static int32_t intern_shape(Interner *shapes, const Template *t)
{
    Py_ssize_t n = t->parts[0].len + t->parts[1].len + t->parts[2].len + t->parts[3].len;
    unsigned char *text = malloc(n ? (size_t)n : 1), *q = text;
    if (!text)
        return -1;
    for (int i = 0; i < 4; i++) {
        memcpy(q, t->parts[i].ptr, (size_t)t->parts[i].len);
        q += t->parts[i].len;
    }
    int32_t code = intern(shapes, text, n);
    free(text);
    return code;
}

/* Scans one file; -1 when out of memory. */
static int scan_file(Scan *s, int32_t file, const unsigned char *data, Py_ssize_t size)
{
    const unsigned char *p = data, *end = data + size;
    Template shape = {{{NULL, 0}}, -1};
    Span previous_place = {NULL, 0};
    int32_t place = -1;
    int64_t line = 0;
    while (p < end) {
        Span values[3];
        const unsigned char *stop = NULL;
        int32_t number = (int32_t)++line;
        if (shape.shape >= 0)
            stop = read_like(p, end, values, &shape);
        if (!stop) {
            Template read;
            stop = read_line(p, end, values, &read);
            if (stop) {
                if ((read.shape = intern_shape(&s->tables[SHAPES], &read)) < 0)
                    return -1;
                shape = read;
            }
        }
        if (stop && stop != end && *stop != '\n')
            stop = NULL; /* something after the object */
        if (!stop) {
            int64_t start = p - data;
            const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
            if (push32(&s->out[LEFT_FILE], file) || push32(&s->out[LEFT_LINE], number)
                || push64(&s->out[LEFT_START], start))
                return -1;
            continue;
        }
        p = stop == end ? end : stop + 1;
        if (!(previous_place.ptr && values[0].len == previous_place.len
              && same(values[0].ptr, previous_place.ptr, values[0].len))) {
            place = intern(&s->tables[PLACES], values[0].ptr, values[0].len); /* (places repeat) */
            previous_place = values[0];
        }
        int32_t visa_class = intern(&s->tables[CLASSES], values[1].ptr, values[1].len);
        int32_t count = intern(&s->tables[COUNTS], values[2].ptr, values[2].len);
        if (place < 0 || visa_class < 0 || count < 0)
            return -1;
        if (push32(&s->out[FILE_], file) || push32(&s->out[LINE], number) || push32(&s->out[SHAPE], shape.shape)
            || push32(&s->out[PLACE], place) || push32(&s->out[CLASS], visa_class) || push32(&s->out[COUNT], count))
            return -1;
    }
    return push64(&s->out[LINES], line);
}

PyDoc_STRVAR(scan_doc,
"scan(files: list[bytes]) -> dict\n\n"
"Each file's text is split into lines on b'\\n' (a last line without one counts); line numbers\n"
"start at 1 in each file. Returns the arrays (as bytes):\n"
"  lines (int64 per file): its number of lines;\n"
"  file, line, shape, place, visa_class, count (int32 per regular line): where it is, and codes\n"
"    into the lists below;\n"
"  left_file, left_line (int32), left_start (int64: offset in its file), per other line;\n"
"and the lists of distinct byte strings, as written: shapes ({\"K1\":\"\",\"K2\":\"\",\"K3\":\"\"} and\n"
"any null keys), places, visa_classes, counts.");

static PyObject *scan(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *files;
    if (!PyArg_ParseTuple(args, "O!:scan", &PyList_Type, &files))
        return NULL;
    Py_ssize_t n_files = PyList_GET_SIZE(files);
    if (n_files > INT32_MAX)
        return PyErr_Format(PyExc_ValueError, "too many files");
    static const size_t item_size[N_BUFFERS] = {4, 4, 4, 4, 4, 4, 4, 4, 8, 8};
    Scan s;
    memset(&s, 0, sizeof s);
    for (int b = 0; b < N_BUFFERS; b++)
        s.out[b].item = item_size[b];
    Py_buffer *views = PyMem_Calloc((size_t)n_files + 1, sizeof(Py_buffer));
    PyObject *result = NULL;
    Py_ssize_t held = 0;
    int ok = views != NULL;
    for (int t = 0; t < N_TABLES; t++)
        ok = ok && interner_init(&s.tables[t], t == SHAPES) == 0;
    if (!ok) {
        PyErr_NoMemory();
        goto done;
    }
    size_t total = 0;
    for (; held < n_files; held++) {
        if (PyObject_GetBuffer(PyList_GET_ITEM(files, held), &views[held], PyBUF_SIMPLE) < 0)
            goto done;
        total += (size_t)views[held].len;
    }
    /* Room for as many regular lines as the shortest could give, so that the arrays never move
       (pages that are not written to cost nothing). */
    for (int b = FILE_; b <= COUNT; b++) {
        if (reserve(&s.out[b], total / 20 + 1) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t f = 0; f < n_files && !failed; f++)
        failed = scan_file(&s, (int32_t)f, views[f].buf, views[f].len) < 0;
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *out = PyDict_New();
    if (!out)
        goto done;
    for (int b = 0; b < N_BUFFERS; b++) {
        const Buffer *buffer = &s.out[b];
        PyObject *bytes = PyBytes_FromStringAndSize(buffer->data ? buffer->data : "",
                                                    (Py_ssize_t)(buffer->size * buffer->item));
        if (!bytes || PyDict_SetItemString(out, BUFFER_NAMES[b], bytes) < 0) {
            Py_XDECREF(bytes);
            Py_DECREF(out);
            goto done;
        }
        Py_DECREF(bytes);
    }
    for (int t = 0; t < N_TABLES; t++) {
        const Interner *table = &s.tables[t];
        PyObject *strings = PyList_New((Py_ssize_t)table->count);
        for (size_t c = 0; strings && c < table->count; c++) {
            PyObject *text = PyBytes_FromStringAndSize((const char *)table->entries[c].ptr, table->entries[c].len);
            if (!text) {
                Py_CLEAR(strings);
                break;
            }
            PyList_SET_ITEM(strings, (Py_ssize_t)c, text);
        }
        if (!strings || PyDict_SetItemString(out, TABLE_NAMES[t], strings) < 0) {
            Py_XDECREF(strings);
            Py_DECREF(out);
            goto done;
        }
        Py_DECREF(strings);
    }
    result = out;

done:
    for (Py_ssize_t f = 0; f < held; f++)
        PyBuffer_Release(&views[f]);
    PyMem_Free(views);
    for (int t = 0; t < N_TABLES; t++)
        interner_free(&s.tables[t]);
    for (int b = 0; b < N_BUFFERS; b++)
        free(s.out[b].data);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_jsonl",
    "Fast path for reading the monthly visa files (see safecity/sources/state_dept_monthly.py).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__jsonl(void)
{
    return PyModule_Create(&module);
}
