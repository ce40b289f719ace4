/* The build's hot path for a markdown body, in C: parse it with cmark-gfm, take the headings and code blocks
 * out of the tree, and render what is left as the description.
 *
 * rulepress/template.py does the same in Python from cmark's HTML (rendered with source positions, then
 * cut); that path stays, and tests/catalogue/test_fastbody.py holds the two to the same result. This one
 * walks cmark's tree instead, so it neither escapes the code into HTML nor searches the HTML for it.
 *
 * cmark-gfm is the copy inside the cmarkgfm package (already loaded by Python): setup() finds its public
 * functions by name in that shared library, and learns cmark's node type numbers by parsing a probe
 * document, so nothing here depends on cmark's headers. Anything unexpected makes setup() fail, and
 * template.py then uses the Python path.
 *
 * parse() returns None where the two paths could differ: a heading or code block inside a list or block
 * quote (the HTML path cuts it out of its container's HTML; the tree path would unlink it), and a heading
 * whose raw HTML holds "</h" (the HTML path cuts the heading short at its first "</hN>").
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef struct cmark_parser cmark_parser;
typedef struct cmark_node cmark_node;
typedef struct cmark_llist cmark_llist;
typedef struct cmark_syntax_extension cmark_syntax_extension;

static cmark_parser *(*p_parser_new)(int);
static void (*p_parser_free)(cmark_parser *);
static void (*p_parser_feed)(cmark_parser *, const char *, size_t);
static cmark_node *(*p_parser_finish)(cmark_parser *);
static int (*p_attach)(cmark_parser *, cmark_syntax_extension *);
static cmark_syntax_extension *(*p_find_extension)(const char *);
static cmark_llist *(*p_parser_extensions)(cmark_parser *);
static char *(*p_render_html)(cmark_node *, int, cmark_llist *);
static cmark_node *(*p_first_child)(cmark_node *);
static cmark_node *(*p_next)(cmark_node *);
static int (*p_get_type)(cmark_node *);
static int (*p_start_line)(cmark_node *);
static int (*p_end_line)(cmark_node *);
static const char *(*p_literal)(cmark_node *);
static const char *(*p_fence_info)(cmark_node *);
static int (*p_fenced)(cmark_node *, int *, int *, char *);
static void (*p_unlink)(cmark_node *);
static void (*p_node_free)(cmark_node *);

#define MAX_EXTENSIONS 8
static cmark_syntax_extension *extensions[MAX_EXTENSIONS];
static int n_extensions = 0;
static int options = 0;
static int ready = 0;
/* node type numbers, learned from the probe document */
static int t_heading = -1, t_code = -1, t_quote = -1, t_list = -1, t_item = -1, t_inline_html = -1;

static cmark_node *parse_markdown(const char *data, size_t len, cmark_parser **parser_out) {
    cmark_parser *parser = p_parser_new(options);
    if (parser == NULL)
        return NULL;
    for (int i = 0; i < n_extensions; i++)
        p_attach(parser, extensions[i]);
    p_parser_feed(parser, data, len);
    cmark_node *root = p_parser_finish(parser);
    if (root == NULL) {
        p_parser_free(parser);
        return NULL;
    }
    *parser_out = parser;
    return root;
}

#define LOOKUP(var, name)                                                             \
    do {                                                                              \
        *(void **)(&var) = dlsym(lib, name);                                          \
        if (var == NULL) {                                                            \
            PyErr_Format(PyExc_RuntimeError, "cmark-gfm has no function %s", name);   \
            return NULL;                                                              \
        }                                                                             \
    } while (0)

static const char PROBE[] = "# h <b>\n\n```x\nc\n```\n\n> q\n\n- i\n";

static PyObject *setup(PyObject *self, PyObject *args) {
    const char *path;
    PyObject *names;
    int opts;
    if (!PyArg_ParseTuple(args, "sO!i", &path, &PyList_Type, &names, &opts))
        return NULL;
    /* the library is loaded already (cmarkgfm imported it): this only finds it */
    void *lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (lib == NULL)
        lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        PyErr_Format(PyExc_RuntimeError, "cannot open %s", path);
        return NULL;
    }
    LOOKUP(p_parser_new, "cmark_parser_new");
    LOOKUP(p_parser_free, "cmark_parser_free");
    LOOKUP(p_parser_feed, "cmark_parser_feed");
    LOOKUP(p_parser_finish, "cmark_parser_finish");
    LOOKUP(p_attach, "cmark_parser_attach_syntax_extension");
    LOOKUP(p_find_extension, "cmark_find_syntax_extension");
    LOOKUP(p_parser_extensions, "cmark_parser_get_syntax_extensions");
    LOOKUP(p_render_html, "cmark_render_html");
    LOOKUP(p_first_child, "cmark_node_first_child");
    LOOKUP(p_next, "cmark_node_next");
    LOOKUP(p_get_type, "cmark_node_get_type");
    LOOKUP(p_start_line, "cmark_node_get_start_line");
    LOOKUP(p_end_line, "cmark_node_get_end_line");
    LOOKUP(p_literal, "cmark_node_get_literal");
    LOOKUP(p_fence_info, "cmark_node_get_fence_info");
    LOOKUP(p_fenced, "cmark_node_get_fenced");
    LOOKUP(p_unlink, "cmark_node_unlink");
    LOOKUP(p_node_free, "cmark_node_free");
    Py_ssize_t n = PyList_GET_SIZE(names);
    if (n > MAX_EXTENSIONS) {
        PyErr_SetString(PyExc_ValueError, "too many extensions");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *name = PyUnicode_AsUTF8(PyList_GET_ITEM(names, i));
        if (name == NULL)
            return NULL;
        extensions[i] = p_find_extension(name);
        if (extensions[i] == NULL) {
            PyErr_Format(PyExc_RuntimeError, "cmark-gfm has no extension %s", name);
            return NULL;
        }
    }
    n_extensions = (int)n;
    options = opts;
    /* learn the node types: heading, code block, block quote, list > item */
    cmark_parser *parser = NULL;
    cmark_node *root = parse_markdown(PROBE, sizeof(PROBE) - 1, &parser);
    if (root == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "cmark-gfm did not parse the probe");
        return NULL;
    }
    cmark_node *heading = p_first_child(root);
    cmark_node *code = heading ? p_next(heading) : NULL;
    cmark_node *quote = code ? p_next(code) : NULL;
    cmark_node *list = quote ? p_next(quote) : NULL;
    cmark_node *item = list ? p_first_child(list) : NULL;
    cmark_node *raw = heading ? p_first_child(heading) : NULL; /* "h ", then the raw <b> */
    raw = raw ? p_next(raw) : NULL;
    int ok = item != NULL && raw != NULL && p_next(raw) == NULL && p_next(list) == NULL &&
             p_start_line(code) == 3 && p_end_line(code) == 5 && strcmp(p_literal(raw), "<b>") == 0;
    if (ok) {
        int length = 0, offset = 0;
        char character = 0;
        ok = p_fenced(code, &length, &offset, &character) && length == 3 && character == '`' &&
             strcmp(p_literal(code), "c\n") == 0 && strcmp(p_fence_info(code), "x") == 0;
    }
    if (ok) {
        t_heading = p_get_type(heading);
        t_code = p_get_type(code);
        t_quote = p_get_type(quote);
        t_list = p_get_type(list);
        t_item = p_get_type(item);
        t_inline_html = p_get_type(raw);
        int types[6] = {t_heading, t_code, t_quote, t_list, t_item, t_inline_html};
        for (int i = 0; i < 6 && ok; i++)
            for (int j = i + 1; j < 6; j++)
                ok = ok && types[i] != types[j];
    }
    p_node_free(root);
    p_parser_free(parser);
    if (!ok) {
        PyErr_SetString(PyExc_RuntimeError, "cmark-gfm's tree is not the shape expected");
        return NULL;
    }
    ready = 1;
    Py_RETURN_NONE;
}

/* whether raw HTML inside this heading closes a heading tag: the HTML path cuts a heading out at its first
 * "</hN>", so there the two paths would differ (the HTML path decides) */
static int closes_heading_tag(cmark_node *node) {
    for (cmark_node *child = p_first_child(node); child != NULL; child = p_next(child)) {
        if (p_get_type(child) == t_inline_html) {
            const char *literal = p_literal(child);
            if (literal != NULL && strstr(literal, "</h") != NULL)
                return 1;
        } else if (closes_heading_tag(child)) {
            return 1;
        }
    }
    return 0;
}

/* whether a heading or code block sits anywhere below this container */
static int holds_cut_block(cmark_node *node) {
    for (cmark_node *child = p_first_child(node); child != NULL; child = p_next(child)) {
        int type = p_get_type(child);
        if (type == t_heading || type == t_code)
            return 1;
        if ((type == t_quote || type == t_list || type == t_item) && holds_cut_block(child))
            return 1;
    }
    return 0;
}

/* cmark_isspace: what ends the first word of an info string in cmark's HTML */
static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* A top-level fenced code block whose content lines are taken out before cmark reads the body: most of a
 * template's lines are its code, which cmark would scan line by line only to hand back verbatim. */
typedef struct {
    int line;            /* the opening fence's line in the hollowed text (1-based) */
    int removed;         /* content lines taken out */
    const char *content; /* the content, each line with its newline, as cmark's literal would be */
    Py_ssize_t size;
    int seen;            /* cmark read the opening and closing fences as one empty fenced block */
} hollow_t;

#define MAX_HOLLOW 64

/* Finds up to MAX_HOLLOW fenced blocks whose fences start a line (in no container) and that close: the
 * lines between the opening fence and the first line that closes it (at most three spaces, at least as
 * many of the fence's character, then only spaces or tabs). No line taken out could have closed the
 * block; whether the opening line really opens one is for cmark to confirm (parse_doc). Returns the
 * hollowed text (malloc'd, to be freed; NULL with MemoryError set when there is no memory), its length in
 * *out_len and how many blocks were found in *out_count. */
static char *hollow(const char *data, Py_ssize_t len, Py_ssize_t *out_len, hollow_t *found, int *out_count) {
    char *out = malloc(len > 0 ? (size_t)len : 1);
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    const char *p = data, *end = data + len, *copied = data;
    char *w = out;
    int count = 0, line = 1, removed = 0;
    while (p < end && count < MAX_HOLLOW) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            break; /* the last line: nothing can follow an opening there */
        char c = *p;
        Py_ssize_t n = 0;
        if (c == '`' || c == '~')
            while (p + n < eol && p[n] == c)
                n++;
        int opens = n >= 3;
        if (opens && c == '`')
            opens = memchr(p + n, '`', (size_t)(eol - p - n)) == NULL; /* no backtick in the info string */
        if (!opens) {
            p = eol + 1;
            line++;
            continue;
        }
        const char *q = eol + 1; /* the content's first line */
        int k = line + 1, closed = 0;
        const char *qe = q;
        while (q < end) {
            qe = memchr(q, '\n', (size_t)(end - q));
            if (qe == NULL)
                qe = end;
            const char *s = q;
            while (s < qe && *s == ' ' && s - q < 4)
                s++;
            if (s - q <= 3) {
                Py_ssize_t m = 0;
                while (s < qe && *s == c) {
                    s++;
                    m++;
                }
                if (m >= n) {
                    while (s < qe && (*s == ' ' || *s == '\t'))
                        s++;
                    if (s == qe) {
                        closed = 1;
                        break;
                    }
                }
            }
            q = qe + 1;
            k++;
        }
        if (!closed)
            break; /* open to the end: this and what follows stay as they are */
        int lines = k - line - 1;
        if (lines > 0) {
            const char *content = eol + 1;
            memcpy(w, copied, (size_t)(content - copied));
            w += content - copied;
            copied = q; /* the closing line */
            found[count].line = line - removed;
            found[count].removed = lines;
            found[count].content = content;
            found[count].size = q - content;
            found[count].seen = 0;
            count++;
            removed += lines;
        }
        p = qe < end ? qe + 1 : end;
        line = k + 1;
    }
    memcpy(w, copied, (size_t)(end - copied));
    w += end - copied;
    *out_len = w - out;
    *out_count = count;
    return out;
}

/* a line of the hollowed text -> its line in the body */
static int body_line(int line, const hollow_t *found, int count) {
    int shift = 0;
    for (int i = 0; i < count && found[i].line < line; i++)
        shift += found[i].removed;
    return line + shift;
}

static PyObject *block_tuple(cmark_node *node, const hollow_t *found, int count, int *mismatch) {
    const char *literal = p_literal(node);
    const char *info = p_fence_info(node);
    int length = 0, offset = 0;
    char character = 0;
    int fenced = p_fenced(node, &length, &offset, &character);
    int start = p_start_line(node);
    if (literal == NULL)
        literal = "";
    if (info == NULL)
        info = "";
    Py_ssize_t size = (Py_ssize_t)strlen(literal);
    for (int i = 0; i < count; i++) {
        if (found[i].line == start) { /* a hollowed block: it must have come back fenced and empty */
            if (!fenced || size != 0) {
                *mismatch = 1;
                return NULL;
            }
            ((hollow_t *)found)[i].seen = 1;
            literal = found[i].content;
            size = found[i].size;
            break;
        }
    }
    size_t word = 0;
    while (info[word] && !is_space(info[word]))
        word++;
    return Py_BuildValue("(s#is#O)", literal, size, body_line(start, found, count), info, (Py_ssize_t)word,
                         fenced ? Py_True : Py_False);
}

/* The tree's answer for `data`; with count > 0, `data` is the hollowed text and `found` its blocks.
 * Sets *mismatch (and returns NULL without an exception) when a hollowed block did not come back as one. */
static PyObject *parse_doc(const char *data, Py_ssize_t len, hollow_t *found, int count, int *mismatch) {
    cmark_parser *parser = NULL;
    cmark_node *root = parse_markdown(data, (size_t)len, &parser);
    if (root == NULL)
        return PyErr_NoMemory();
    PyObject *result = NULL, *blocks = NULL, *heading = NULL;
    for (cmark_node *child = p_first_child(root); child != NULL; child = p_next(child)) {
        int type = p_get_type(child);
        if (((type == t_quote || type == t_list) && holds_cut_block(child)) ||
            (type == t_heading && closes_heading_tag(child))) {
            result = Py_None; /* nested, or a heading that the HTML path cuts short: the HTML path decides */
            Py_INCREF(result);
            goto done;
        }
    }
    blocks = PyList_New(0);
    if (blocks == NULL)
        goto done;
    cmark_node *child = p_first_child(root);
    while (child != NULL) {
        cmark_node *next = p_next(child);
        int type = p_get_type(child);
        if (type == t_heading || type == t_code) {
            if (type == t_heading && heading == NULL) {
                heading = Py_BuildValue("(ii)", body_line(p_start_line(child), found, count),
                                        body_line(p_end_line(child), found, count));
                if (heading == NULL)
                    goto done;
            } else if (type == t_code) {
                PyObject *block = block_tuple(child, found, count, mismatch);
                if (block == NULL || PyList_Append(blocks, block) < 0) {
                    Py_XDECREF(block);
                    goto done;
                }
                Py_DECREF(block);
            }
            p_unlink(child);
            p_node_free(child);
        }
        child = next;
    }
    for (int i = 0; i < count; i++)
        if (!found[i].seen) {
            *mismatch = 1;
            goto done;
        }
    char *html = p_render_html(root, options, p_parser_extensions(parser));
    if (html == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *description = PyUnicode_DecodeUTF8(html, (Py_ssize_t)strlen(html), "strict");
    free(html); /* cmark's default allocator is the C library's */
    if (description == NULL)
        goto done;
    PyObject *tuple = PyList_AsTuple(blocks);
    if (tuple == NULL) {
        Py_DECREF(description);
        goto done;
    }
    result = Py_BuildValue("(NON)", description, heading ? heading : Py_None, tuple);
done:
    Py_XDECREF(blocks);
    Py_XDECREF(heading);
    p_node_free(root);
    p_parser_free(parser);
    return result;
}

/* parse(markdown: bytes, hollow: bool = True) ->
 *     (description, (first, last) | None, ((code, line, word, fenced), ...)) | None
 * Lines are the body's. With hollow, cmark reads the body with its top-level fenced blocks hollowed out,
 * and the whole body again if any of them does not come back as a block. */
static PyObject *parse(PyObject *self, PyObject *args) {
    if (!ready) {
        PyErr_SetString(PyExc_RuntimeError, "setup() has not succeeded");
        return NULL;
    }
    const char *data;
    Py_ssize_t len;
    int use_hollow = 1;
    if (!PyArg_ParseTuple(args, "y#|p", &data, &len, &use_hollow))
        return NULL;
    if (use_hollow) {
        hollow_t found[MAX_HOLLOW];
        Py_ssize_t text_len = 0;
        int count = 0;
        char *text = hollow(data, len, &text_len, found, &count);
        if (text == NULL)
            return NULL;
        if (count > 0) {
            int mismatch = 0;
            PyObject *result = parse_doc(text, text_len, found, count, &mismatch);
            free(text);
            /* None is left to the whole body: it comes before the hollowed blocks are confirmed */
            if (result != NULL && result != Py_None)
                return result;
            if (result == NULL && !mismatch)
                return NULL;
            Py_XDECREF(result);
        } else {
            free(text);
        }
    }
    int mismatch = 0;
    return parse_doc(data, len, NULL, 0, &mismatch);
}

/* hollowed(markdown: bytes) -> (text, [(line, removed), ...]): what parse() gives cmark, for the tests */
static PyObject *hollowed(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "y#", &data, &len))
        return NULL;
    hollow_t found[MAX_HOLLOW];
    Py_ssize_t text_len = 0;
    int count = 0;
    char *text = hollow(data, len, &text_len, found, &count);
    if (text == NULL)
        return NULL;
    PyObject *blocks = PyList_New(0);
    for (int i = 0; blocks != NULL && i < count; i++) {
        PyObject *item = Py_BuildValue("(ii)", found[i].line, found[i].removed);
        if (item == NULL || PyList_Append(blocks, item) < 0)
            Py_CLEAR(blocks);
        Py_XDECREF(item);
    }
    PyObject *result = blocks == NULL ? NULL : Py_BuildValue("(y#N)", text, text_len, blocks);
    free(text);
    return result;
}

static PyMethodDef methods[] = {
    {"hollowed", hollowed, METH_VARARGS, "hollowed(markdown) -> (text cmark reads, [(line, lines removed)])"},
    {"setup", setup, METH_VARARGS, "setup(library_path, extension_names, options): find cmark-gfm's functions"},
    {"parse", parse, METH_VARARGS, "parse(markdown, hollow=True) -> (description, heading lines, code blocks) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastbody", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastbody(void) { return PyModule_Create(&module); }
