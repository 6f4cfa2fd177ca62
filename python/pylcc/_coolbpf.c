// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pylcc's way into libcoolbpf without ctypes: ctypes alone costs a tool
 * about 0.7 MB resident (bench/bindings/rss), more than the rest of pylcc.
 * The functions a tool's path calls (open, load, attach, maps, their
 * elements by key, histograms' text, events, decode), each with the
 * Python-visible types the ctypes declarations of pylcc/_ct.py give
 * them: pointers are ints (None for NULL), strings are bytes; map
 * elements and texts are bytes too. pylcc/_lib.py loads this module when it is built next to the
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
	X(coolbpf_map__lookup)            \
	X(coolbpf_map__update)            \
	X(coolbpf_map__delete)            \
	X(coolbpf_map__next_key)          \
	X(coolbpf_hist_format)            \
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
 * A text of the library's (decoders' JSON, histograms) into res as bytes,
 * or as -errno; NULL with an exception when memory runs out. call writes
 * buf, cap bytes at most, and gives the length its whole text needs: the
 * first buffer is on the stack, a longer text is made again into one of
 * its size.
 */
#define DECODE_INTO(res, call)                                                                \
	do {                                                                                  \
		char stack[4096], *buf = stack;                                               \
		size_t cap = sizeof(stack);                                                   \
		int n;                                                                        \
		for (;;) {                                                                    \
			n = (call);                                                           \
			if (n < 0 || (size_t)n < cap)                                         \
				break;                                                        \
			if (buf != stack)                                                     \
				free(buf);                                                    \
			cap = (size_t)n + 1;                                                  \
			buf = malloc(cap);                                                    \
			if (!buf)                                                             \
				break;                                                        \
		}                                                                             \
		if (!buf)                                                                     \
			res = PyErr_NoMemory();                                               \
		else                                                                          \
			res = n < 0 ? PyLong_FromLong(n) : PyBytes_FromStringAndSize(buf, n); \
		if (buf != stack)                                                             \
			free(buf);                                                            \
	} while (0)

#define DECODE(call)                     \
	do {                             \
		PyObject *res_;          \
		DECODE_INTO(res_, call); \
		return res_;             \
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

/* ---- map elements, as bytes ------------------------------------------ */

/* the bytes a map's key and value take (per-CPU values: one 8-aligned
 * value a possible CPU, as the kernel copies them) */
static Py_ssize_t key_len(const struct coolbpf_map *map)
{
	return (Py_ssize_t)p_coolbpf_map__key_size(map);
}

static Py_ssize_t value_len(const struct coolbpf_map *map)
{
	Py_ssize_t vs = (Py_ssize_t)p_coolbpf_map__value_size(map);
	int ncpu;

	if (!p_coolbpf_map__percpu(map))
		return vs;
	ncpu = p_libbpf_num_possible_cpus();
	return ncpu > 0 ? ((vs + 7) & ~(Py_ssize_t)7) * ncpu : -1;
}

/* o as exactly len bytes of what (a key, a value) */
static int to_sized(PyObject *o, Py_ssize_t len, const char *what, const void **out)
{
	if (!PyBytes_Check(o)) {
		PyErr_Format(PyExc_TypeError, "%s: bytes expected, not %s", what,
			     Py_TYPE(o)->tp_name);
		return 0;
	}
	if (PyBytes_GET_SIZE(o) != len) {
		PyErr_Format(PyExc_ValueError, "%s: %zd bytes expected, not %zd", what, len,
			     PyBytes_GET_SIZE(o));
		return 0;
	}
	*out = PyBytes_AS_STRING(o);
	return 1;
}

/* a new bytes of len filled by call (into out), or -errno */
#define INTO_BYTES(len, call)                                 \
	do {                                                  \
		PyObject *res;                                \
		void *out;                                    \
		int r;                                        \
		if ((len) < 0)                                \
			return PyLong_FromLong(-EINVAL);      \
		res = PyBytes_FromStringAndSize(NULL, (len)); \
		if (!res)                                     \
			return NULL;                          \
		out = PyBytes_AS_STRING(res);                 \
		r = (call);                                   \
		if (r < 0) {                                  \
			Py_DECREF(res);                       \
			return PyLong_FromLong(r);            \
		}                                             \
		return res;                                   \
	} while (0)

/* what a map call's arguments (map, key[, value, flags]) give */
struct map_call {
	void *map;
	const void *key, *value;
	unsigned long long flags;
};

/* c of args, its key (or None where none_ok) and value each exactly the
 * map's size of them: 1; 0 with an exception set; -1 for a NULL map */
static int map_args(PyObject *args, bool none_ok, bool with_value, struct map_call *c)
{
	PyObject *map_o, *key_o, *value_o = NULL;

	memset(c, 0, sizeof(*c));
	if (!PyArg_ParseTuple(args, with_value ? "OOOK" : "OO", &map_o, &key_o, &value_o,
			      &c->flags) ||
	    !to_ptr(map_o, &c->map))
		return 0;
	if (!c->map)
		return -1;
	if (!(none_ok && key_o == Py_None) && !to_sized(key_o, key_len(c->map), "key", &c->key))
		return 0;
	return !with_value || to_sized(value_o, value_len(c->map), "value", &c->value);
}

#define MAP_ARGS(args, none_ok, with_value, c)                        \
	do {                                                          \
		int ok_ = map_args(args, none_ok, with_value, &c);    \
		if (ok_ <= 0)                                         \
			return ok_ ? PyLong_FromLong(-EINVAL) : NULL; \
	} while (0)

/* map_lookup(map, key): the value's bytes, or -errno (-ENOENT: absent) */
static PyObject *m_map_lookup(PyObject *self, PyObject *args)
{
	struct map_call c;

	(void)self;
	MAP_ARGS(args, false, false, c);
	INTO_BYTES(value_len(c.map), p_coolbpf_map__lookup(c.map, c.key, out));
}

/* map_next_key(map, prev or None): the next key's bytes, or -errno
 * (-ENOENT after the last) */
static PyObject *m_map_next_key(PyObject *self, PyObject *args)
{
	struct map_call c;

	(void)self;
	MAP_ARGS(args, true, false, c);
	INTO_BYTES(key_len(c.map), p_coolbpf_map__next_key(c.map, c.key, out));
}

/* map_update(map, key, value, flags): 0 or -errno */
static PyObject *m_map_update(PyObject *self, PyObject *args)
{
	struct map_call c;

	(void)self;
	MAP_ARGS(args, false, true, c);
	return PyLong_FromLong(p_coolbpf_map__update(c.map, c.key, c.value, c.flags));
}

/* map_delete(map, key): 0 or -errno */
static PyObject *m_map_delete(PyObject *self, PyObject *args)
{
	struct map_call c;

	(void)self;
	MAP_ARGS(args, false, false, c);
	return PyLong_FromLong(p_coolbpf_map__delete(c.map, c.key));
}

/* hist_format(name, counts, kind, step, val_type, fmt): the histogram's
 * text as bytes, or -errno */
static PyObject *m_hist_format(PyObject *self, PyObject *args)
{
	const char *name, *val_type;
	unsigned long long step;
	PyObject *counts_o, *res;
	Py_ssize_t nr, i;
	__u64 *slots;
	int kind, fmt;

	(void)self;
	if (!PyArg_ParseTuple(args, "O&O!iKO&i", to_str, &name, &PyList_Type, &counts_o, &kind,
			      &step, to_str, &val_type, &fmt))
		return NULL;
	nr = PyList_GET_SIZE(counts_o);
	if ((size_t)nr > UINT32_MAX)
		return PyLong_FromLong(-E2BIG);
	slots = calloc((size_t)nr + 1, sizeof(*slots));
	if (!slots)
		return PyErr_NoMemory();
	for (i = 0; i < nr; i++) {
		slots[i] = PyLong_AsUnsignedLongLong(PyList_GET_ITEM(counts_o, i));
		if (PyErr_Occurred()) {
			free(slots);
			return NULL;
		}
	}
	DECODE_INTO(res, p_coolbpf_hist_format(buf, cap, name, slots, (unsigned int)nr,
					       (enum coolbpf_hist_kind)kind, step, val_type,
					       (enum coolbpf_format)fmt));
	free(slots);
	return res;
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
	{ "map_lookup", m_map_lookup, METH_VARARGS, "map_lookup(map, key): bytes or -errno" },
	{ "map_next_key", m_map_next_key, METH_VARARGS,
	  "map_next_key(map, prev or None): bytes or -errno" },
	{ "map_update", m_map_update, METH_VARARGS, "map_update(map, key, value, flags)" },
	{ "map_delete", m_map_delete, METH_VARARGS, "map_delete(map, key)" },
	{ "hist_format", m_hist_format, METH_VARARGS,
	  "hist_format(name, counts, kind, step, val_type, fmt): bytes or -errno" },
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
