// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pylcc's way into libcoolbpf without ctypes: ctypes alone costs a tool
 * about 0.7 MB resident (bench/bindings/rss), more than the rest of pylcc.
 * The functions a tool's path calls (open, load, attach, maps, events,
 * decode), each with the Python-visible types the ctypes declarations of
 * pylcc/_ct.py give them: pointers are ints (None for NULL), strings are
 * bytes. pylcc/_lib.py loads this module when it is built next to the
 * library (make: build/lib; make install: the pylcc package), else
 * declares the same calls with ctypes.
 *
 * The library is not linked: load(path) dlopens the one pylcc/_lib.py
 * found ($COOLBPF_LIB first), so the ctypes declarations of the calls
 * not here (pylcc/_ct.py) reach the same copy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "coolbpf/coolbpf.h"
#include "base/banned.h"

/* each function's pointer has the type its declaration gives it */
#define FUNCS(X)                          \
	X(coolbpf_set_print)              \
	X(coolbpf_errmsg)                 \
	X(coolbpf_compile_opts__from_env) \
	X(coolbpf_object_opts__from_env)  \
	X(coolbpf_object__open_file)      \
	X(coolbpf_object__open_source)    \
	X(coolbpf_object__set_global)     \
	X(coolbpf_object__load)           \
	X(coolbpf_object__attach)         \
	X(coolbpf_object__detach)         \
	X(coolbpf_object__attach_count)   \
	X(coolbpf_object__attach_info)    \
	X(coolbpf_object__bpf)            \
	X(coolbpf_object__btf)            \
	X(coolbpf_object__name)           \
	X(coolbpf_object__btf_origin)     \
	X(coolbpf_object__close)          \
	X(coolbpf_object__next_map)       \
	X(coolbpf_object__open_events)    \
	X(coolbpf_object__poll)           \
	X(coolbpf_object__consume)        \
	X(coolbpf_map__name)              \
	X(coolbpf_map__kind)              \
	X(coolbpf_map__fd)                \
	X(coolbpf_map__bpf)               \
	X(coolbpf_map__key_size)          \
	X(coolbpf_map__value_size)        \
	X(coolbpf_map__percpu)            \
	X(coolbpf_map__key_type_id)       \
	X(coolbpf_map__value_type_id)     \
	X(coolbpf_map__hist_step)         \
	X(coolbpf_map__lost)              \
	X(coolbpf_map__dropped)           \
	X(coolbpf_map__poll)              \
	X(coolbpf_map__event_cpu)         \
	X(coolbpf_map__decode_event)      \
	X(coolbpf_decode)                 \
	X(coolbpf_probe_hook)             \
	X(coolbpf_mount_fs)               \
	X(btf__resolve_size)              \
	X(bpf_map__type)                  \
	X(libbpf_num_possible_cpus)

#define DECLARE(name) static __typeof__(name) *p_##name;
FUNCS(DECLARE)

/* what the last failed open or attach of this thread left in errno, and
 * how many warnings the library printed on it (pylcc/_lib.py's marks) */
static _Thread_local int saved_errno;
static _Thread_local unsigned long warnings;

static int count_warnings(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	(void)fmt;
	(void)ap;
	if (level == COOLBPF_WARN)
		warnings++;
	return 0;
}

static PyObject *m_load(PyObject *self, PyObject *args)
{
	const char *path;
	void *h;

	(void)self;
	if (!PyArg_ParseTuple(args, "y", &path))
		return NULL;
	if (p_coolbpf_errmsg)
		Py_RETURN_NONE; /* once a process */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return PyErr_Format(PyExc_OSError, "%s", dlerror());
#define RESOLVE(name)                                                                            \
	p_##name = (__typeof__(name) *)dlsym(h, #name);                                          \
	if (!p_##name)                                                                           \
		return PyErr_Format(PyExc_OSError, "%s: no %s (a libcoolbpf older than pylcc?)", \
				    path, #name);
	FUNCS(RESOLVE)
	p_coolbpf_set_print(count_warnings);
	Py_RETURN_NONE;
}

/* ---- argument and result conversions, as ctypes' c_void_p and c_char_p */

static int to_ptr(PyObject *o, void *out)
{
	void **p = out;

	if (o == Py_None) {
		*p = NULL;
		return 1;
	}
	*p = PyLong_AsVoidPtr(o);
	return !PyErr_Occurred();
}

static int to_str(PyObject *o, void *out)
{
	const char **s = out;

	if (o == Py_None) {
		*s = NULL;
		return 1;
	}
	if (!PyBytes_Check(o)) {
		PyErr_Format(PyExc_TypeError, "bytes or None expected, not %s",
			     Py_TYPE(o)->tp_name);
		return 0;
	}
	*s = PyBytes_AS_STRING(o);
	return 1;
}

static PyObject *from_ptr(const void *p)
{
	if (!p)
		Py_RETURN_NONE;
	return PyLong_FromVoidPtr((void *)p);
}

static PyObject *from_str(const char *s)
{
	if (!s)
		Py_RETURN_NONE;
	return PyBytes_FromString(s);
}

/* ---- one wrapper a shape of call ------------------------------------- */

#define PTR_TO(name, conv)                                       \
	static PyObject *w_##name(PyObject *self, PyObject *arg) \
	{                                                        \
		void *p;                                         \
		(void)self;                                      \
		if (!to_ptr(arg, &p))                            \
			return NULL;                             \
		return conv(p_##name(p));                        \
	}
/* calls that may run callbacks or wait: without the GIL */
#define PTR_INT_TO_INT_NOGIL(name)                                  \
	static PyObject *w_##name(PyObject *self, PyObject *args)   \
	{                                                           \
		void *p;                                            \
		int n, r;                                           \
		(void)self;                                         \
		if (!PyArg_ParseTuple(args, "O&i", to_ptr, &p, &n)) \
			return NULL;                                \
		Py_BEGIN_ALLOW_THREADS r = p_##name(p, n);          \
		Py_END_ALLOW_THREADS return PyLong_FromLong(r);     \
	}

#define INT(x)	PyLong_FromLong((long)(x))
#define UINT(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))
#define BOOL(x) PyBool_FromLong((long)(x))
#define PTR(x)	from_ptr(x)
#define STR(x)	from_str(x)
#define VOID(x) ((x), Py_INCREF(Py_None), Py_None)

PTR_TO(coolbpf_object__load, INT)
PTR_TO(coolbpf_object__attach, INT)
PTR_TO(coolbpf_map__fd, INT)
PTR_TO(coolbpf_map__kind, INT)
PTR_TO(coolbpf_map__event_cpu, INT)
PTR_TO(coolbpf_object__attach_count, UINT)
PTR_TO(coolbpf_object__bpf, PTR)
PTR_TO(coolbpf_object__btf, PTR)
PTR_TO(coolbpf_map__bpf, PTR)
PTR_TO(coolbpf_object__name, STR)
PTR_TO(coolbpf_object__btf_origin, STR)
PTR_TO(coolbpf_map__name, STR)
PTR_TO(coolbpf_map__key_size, UINT)
PTR_TO(coolbpf_map__value_size, UINT)
PTR_TO(coolbpf_map__key_type_id, UINT)
PTR_TO(coolbpf_map__value_type_id, UINT)
PTR_TO(coolbpf_map__hist_step, UINT)
PTR_TO(coolbpf_map__lost, UINT)
PTR_TO(coolbpf_map__dropped, UINT)
PTR_TO(coolbpf_map__percpu, BOOL)
PTR_TO(bpf_map__type, INT)
PTR_TO(coolbpf_object__detach, VOID)
PTR_INT_TO_INT_NOGIL(coolbpf_object__poll)
PTR_INT_TO_INT_NOGIL(coolbpf_map__poll)

static PyObject *w_coolbpf_object__close(PyObject *self, PyObject *arg)
{
	void *p;

	(void)self;
	if (!to_ptr(arg, &p))
		return NULL;
	/* joins the drain thread, which may wait for a callback: no GIL */
	Py_BEGIN_ALLOW_THREADS p_coolbpf_object__close(p);
	Py_END_ALLOW_THREADS Py_RETURN_NONE;
}

static PyObject *w_coolbpf_object__consume(PyObject *self, PyObject *arg)
{
	void *p;
	int r;

	(void)self;
	if (!to_ptr(arg, &p))
		return NULL;
	Py_BEGIN_ALLOW_THREADS r = p_coolbpf_object__consume(p);
	Py_END_ALLOW_THREADS return PyLong_FromLong(r);
}

static PyObject *w_coolbpf_object__next_map(PyObject *self, PyObject *args)
{
	void *obj, *prev;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&O&", to_ptr, &obj, to_ptr, &prev))
		return NULL;
	return from_ptr(p_coolbpf_object__next_map(obj, prev));
}

static PyObject *w_coolbpf_object__set_global(PyObject *self, PyObject *args)
{
	const char *name, *value;
	void *obj;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&O&O&", to_ptr, &obj, to_str, &name, to_str, &value))
		return NULL;
	return PyLong_FromLong(p_coolbpf_object__set_global(obj, name, value));
}

static PyObject *w_coolbpf_errmsg(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return from_str(p_coolbpf_errmsg());
}

static PyObject *w_coolbpf_probe_hook(PyObject *self, PyObject *arg)
{
	long hook = PyLong_AsLong(arg);

	(void)self;
	if (hook == -1 && PyErr_Occurred())
		return NULL;
	return PyLong_FromLong(p_coolbpf_probe_hook((enum coolbpf_hook)hook));
}

static PyObject *w_coolbpf_mount_fs(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyLong_FromLong(p_coolbpf_mount_fs());
}

static PyObject *w_btf__resolve_size(PyObject *self, PyObject *args)
{
	unsigned int id;
	void *btf;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&I", to_ptr, &btf, &id))
		return NULL;
	return PyLong_FromLongLong(p_btf__resolve_size(btf, id));
}

static PyObject *w_libbpf_num_possible_cpus(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyLong_FromLong(p_libbpf_num_possible_cpus());
}

static PyObject *m_errno(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyLong_FromLong(saved_errno);
}

static PyObject *m_warn_mark(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyLong_FromUnsignedLong(warnings);
}

/* ---- calls with structures ------------------------------------------- */

/* a list of bytes into a NULL-terminated array (freed by the caller) */
static int to_strv(PyObject *o, const char ***out)
{
	Py_ssize_t n, i;
	const char **v;

	*out = NULL;
	if (o == Py_None)
		return 0;
	if (!PyList_Check(o)) {
		PyErr_SetString(PyExc_TypeError, "a list of bytes expected");
		return -1;
	}
	n = PyList_GET_SIZE(o);
	if (!n)
		return 0;
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		PyErr_NoMemory();
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!to_str(PyList_GET_ITEM(o, i), &v[i]) || !v[i]) {
			free(v);
			if (!PyErr_Occurred())
				PyErr_SetString(PyExc_TypeError, "None in a list of strings");
			return -1;
		}
	}
	*out = v;
	return 0;
}

/*
 * open(source, path, name, btf, kernel, defines, include_dirs, cache_dir,
 * server, no_cache): the object (its options and the environment's, as
 * pylcc/_ct.py's open_object), or None with errno() set.
 */
static PyObject *m_open(PyObject *self, PyObject *args)
{
	const char *source, *path, *name, *btf, *kernel, *cache_dir, *server;
	const char **defines = NULL, **incs = NULL;
	PyObject *defs_o, *incs_o;
	struct coolbpf_object *obj;
	Py_ssize_t source_len = 0;
	int no_cache;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&O&O&O&O&OOO&O&p", to_str, &source, to_str, &path, to_str,
			      &name, to_str, &btf, to_str, &kernel, &defs_o, &incs_o, to_str,
			      &cache_dir, to_str, &server, &no_cache))
		return NULL;
	if (source)
		source_len = PyBytes_GET_SIZE(PyTuple_GET_ITEM(args, 0));
	if (to_strv(defs_o, &defines) || to_strv(incs_o, &incs)) {
		free(defines);
		return NULL;
	}
	COOLBPF_COMPILE_OPTS(copts, .kernel = kernel, .btf_path = btf, .defines = defines,
			     .include_dirs = incs, .cache_dir = cache_dir, .server = server,
			     .no_cache = no_cache);
	COOLBPF_OBJECT_OPTS(oopts, .name = name, .btf_path = btf, .compile = &copts);
	/* the environment (COOLBPF_SERVER, COOLBPF_CACHE_DIR, ...), read at
	 * this entry point as the CLI does at its own */
	p_coolbpf_compile_opts__from_env(&copts);
	p_coolbpf_object_opts__from_env(&oopts);
	Py_BEGIN_ALLOW_THREADS;
	obj = source ? p_coolbpf_object__open_source(source, (size_t)source_len, &oopts) :
		       p_coolbpf_object__open_file(path, &oopts);
	saved_errno = obj ? 0 : errno;
	Py_END_ALLOW_THREADS;
	free(defines);
	free(incs);
	return from_ptr(obj);
}

static PyObject *m_attach_info(PyObject *self, PyObject *args)
{
	const struct coolbpf_attach_info *ai;
	Py_ssize_t i;
	void *obj;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&n", to_ptr, &obj, &i))
		return NULL;
	ai = p_coolbpf_object__attach_info(obj, (size_t)i);
	if (!ai)
		Py_RETURN_NONE;
	return Py_BuildValue("(yyyyyi)", ai->prog, ai->section, ai->kind, ai->target, ai->note,
			     ai->err);
}

/* the Python callables of one object's events, alive as long as the
 * capsule open_events() returns (its Program keeps it) */
struct ev_ctx {
	PyObject *on_event, *on_lost;
};

static int on_event(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	struct ev_ctx *c = ctx;
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *r = PyObject_CallFunction(c->on_event, "NNn", from_ptr(map), from_ptr(data),
					    (Py_ssize_t)size);
	int ret = 1;

	/* the callable catches what it raises (pylcc re-raises it later) */
	if (r) {
		ret = (int)PyLong_AsLong(r);
		Py_DECREF(r);
	}
	if (PyErr_Occurred()) {
		PyErr_WriteUnraisable(c->on_event);
		ret = 1;
	}
	PyGILState_Release(g);
	return ret;
}

static void on_lost(void *ctx, struct coolbpf_map *map, int cpu, __u64 count)
{
	struct ev_ctx *c = ctx;
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *r = PyObject_CallFunction(c->on_lost, "NiK", from_ptr(map), cpu,
					    (unsigned long long)count);

	Py_XDECREF(r);
	if (PyErr_Occurred())
		PyErr_WriteUnraisable(c->on_lost);
	PyGILState_Release(g);
}

static void ev_ctx_free(PyObject *capsule)
{
	struct ev_ctx *c = PyCapsule_GetPointer(capsule, "pylcc.events");

	if (!c)
		return;
	Py_XDECREF(c->on_event);
	Py_XDECREF(c->on_lost);
	free(c);
}

/* open_events(obj, on_event(map, data, size), on_lost(map, cpu, count),
 * perf_pages, queue_size): (r, capsule to keep while obj lives) */
static PyObject *m_open_events(PyObject *self, PyObject *args)
{
	PyObject *ev_fn, *lost_fn, *capsule;
	unsigned long long queue;
	Py_ssize_t pages;
	struct ev_ctx *c;
	void *obj;
	int r;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&OOnK", to_ptr, &obj, &ev_fn, &lost_fn, &pages, &queue))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return PyErr_NoMemory();
	Py_INCREF(ev_fn);
	Py_INCREF(lost_fn);
	c->on_event = ev_fn;
	c->on_lost = lost_fn;
	capsule = PyCapsule_New(c, "pylcc.events", ev_ctx_free);
	if (!capsule) {
		Py_DECREF(ev_fn);
		Py_DECREF(lost_fn);
		free(c);
		return NULL;
	}
	COOLBPF_EVENTS_OPTS(eo, .on_event = on_event, .on_lost = on_lost, .ctx = c,
			    .perf_pages = (size_t)pages, .queue_size = (size_t)queue);
	r = p_coolbpf_object__open_events(obj, &eo);
	return Py_BuildValue("(iN)", r, capsule);
}

/*
 * The decoders' text (JSON) as bytes. The caller's buffer is on the
 * stack; a larger text is decoded again into one of its size.
 */
#define DECODE(call)                                                                  \
	do {                                                                          \
		char stack[4096], *buf = stack;                                       \
		size_t cap = sizeof(stack);                                           \
		PyObject *res;                                                        \
		int n;                                                                \
		for (;;) {                                                            \
			n = (call);                                                   \
			if (n < 0 || (size_t)n < cap)                                 \
				break;                                                \
			if (buf != stack)                                             \
				free(buf);                                            \
			cap = (size_t)n + 1;                                          \
			buf = malloc(cap);                                            \
			if (!buf)                                                     \
				return PyErr_NoMemory();                              \
		}                                                                     \
		res = n < 0 ? PyLong_FromLong(n) : PyBytes_FromStringAndSize(buf, n); \
		if (buf != stack)                                                     \
			free(buf);                                                    \
		return res;                                                           \
	} while (0)

/* data to decode: bytes (at least size of them), or an address */
static int to_data(PyObject *o, Py_ssize_t size, const void **data)
{
	if (!PyBytes_Check(o))
		return to_ptr(o, (void *)data);
	if (size < 0 || size > PyBytes_GET_SIZE(o)) {
		PyErr_Format(PyExc_ValueError, "%zd bytes asked of %zd", size, PyBytes_GET_SIZE(o));
		return 0;
	}
	*data = PyBytes_AS_STRING(o);
	return 1;
}

/* decode_event(map, data, size, fmt): bytes, or -errno */
static PyObject *m_decode_event(PyObject *self, PyObject *args)
{
	PyObject *data_o;
	const void *data;
	Py_ssize_t size;
	void *map;
	int fmt;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&Oni", to_ptr, &map, &data_o, &size, &fmt) ||
	    !to_data(data_o, size, &data))
		return NULL;
	DECODE(p_coolbpf_map__decode_event(map, data, (size_t)size, (enum coolbpf_format)fmt, buf,
					   cap));
}

/* decode(btf, type id, data, size, fmt): bytes, or -errno */
static PyObject *m_decode(PyObject *self, PyObject *args)
{
	unsigned int type_id;
	PyObject *data_o;
	const void *data;
	Py_ssize_t size;
	void *btf;
	int fmt;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&IOni", to_ptr, &btf, &type_id, &data_o, &size, &fmt) ||
	    !to_data(data_o, size, &data))
		return NULL;
	DECODE(p_coolbpf_decode(btf, type_id, data, (size_t)size, (enum coolbpf_format)fmt, buf,
				cap));
}

#define ONE(name)  { #name, w_##name, METH_O, NULL },
#define ARGS(name) { #name, w_##name, METH_VARARGS, NULL },
#define NONE(name) { #name, w_##name, METH_NOARGS, NULL },

static PyMethodDef methods[] = {
	{ "load", m_load, METH_VARARGS, "load(path): dlopen libcoolbpf, resolve its calls" },
	{ "errno", m_errno, METH_NOARGS, "errno of this thread's last failed open" },
	{ "warn_mark", m_warn_mark, METH_NOARGS, "warnings this thread's calls printed" },
	{ "open", m_open, METH_VARARGS,
	  "open(source, path, name, btf, kernel, defines, "
	  "include_dirs, cache_dir, server, no_cache)" },
	{ "attach_info", m_attach_info, METH_VARARGS, "attach_info(obj, i): a tuple" },
	{ "open_events", m_open_events, METH_VARARGS,
	  "open_events(obj, on_event, on_lost, perf_pages, queue_size): (r, keep)" },
	{ "decode_event", m_decode_event, METH_VARARGS, "decode_event(map, addr, size, fmt)" },
	{ "decode", m_decode, METH_VARARGS, "decode(btf, type_id, data, size, fmt)" },
	ONE(coolbpf_object__load) ONE(coolbpf_object__attach) ONE(coolbpf_object__detach) ONE(
		coolbpf_object__close) ONE(coolbpf_object__consume) ONE(coolbpf_object__attach_count)
		ONE(coolbpf_object__bpf) ONE(coolbpf_object__btf) ONE(coolbpf_object__name) ONE(
			coolbpf_object__btf_origin) ONE(coolbpf_map__name) ONE(coolbpf_map__kind)
			ONE(coolbpf_map__fd) ONE(coolbpf_map__bpf) ONE(coolbpf_map__key_size) ONE(
				coolbpf_map__value_size) ONE(coolbpf_map__percpu)
				ONE(coolbpf_map__key_type_id) ONE(coolbpf_map__value_type_id) ONE(
					coolbpf_map__hist_step) ONE(coolbpf_map__lost)
					ONE(coolbpf_map__dropped) ONE(coolbpf_map__event_cpu) ONE(
						bpf_map__type) ONE(coolbpf_probe_hook)
						ARGS(coolbpf_object__poll) ARGS(coolbpf_map__poll) ARGS(
							coolbpf_object__next_map)
							ARGS(coolbpf_object__set_global) ARGS(
								btf__resolve_size) NONE(coolbpf_errmsg)
								NONE(coolbpf_mount_fs) NONE(
									libbpf_num_possible_cpus){
									NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "pylcc._coolbpf", NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__coolbpf(void);
PyMODINIT_FUNC PyInit__coolbpf(void)
{
	return PyModule_Create(&module);
}
