// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/bindings/rss's floor: the smallest binding evtool.py's job can have
 * without ctypes, a CPython extension of three calls (open a source, load
 * and attach it with events decoded to JSON for a Python callable, poll
 * with the GIL released). Not a binding anyone should use: it measures
 * what pylcc would weigh if it called libcoolbpf through an extension
 * instead of ctypes (bench/REPORT.md, issue 19).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "coolbpf/coolbpf.h"
#include "base/banned.h"

static PyObject *on_event_fn;
static char json[4096];

static int on_event(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	int n = coolbpf_map__decode_event(map, data, size, COOLBPF_FMT_JSON, json, sizeof(json));
	PyGILState_STATE g;
	PyObject *r;

	(void)ctx;
	if (n < 0 || (size_t)n >= sizeof(json))
		return 0;
	g = PyGILState_Ensure();
	r = PyObject_CallFunction(on_event_fn, "is#", coolbpf_map__event_cpu(map), json,
				  (Py_ssize_t)n);
	if (!r)
		PyErr_Print();
	Py_XDECREF(r);
	PyGILState_Release(g);
	return 0;
}

static PyObject *floor_open(PyObject *self, PyObject *args)
{
	struct coolbpf_object *obj;
	const char *name, *src;
	PyObject *fn;
	Py_ssize_t len;

	(void)self;
	if (!PyArg_ParseTuple(args, "ss#O", &name, &src, &len, &fn))
		return NULL;
	COOLBPF_OBJECT_OPTS(oo, .name = name);
	obj = coolbpf_object__open_source(src, (size_t)len, &oo);
	if (!obj)
		return PyErr_Format(PyExc_OSError, "%s", coolbpf_errmsg());
	if (coolbpf_object__load(obj) || coolbpf_object__attach(obj)) {
		PyErr_Format(PyExc_OSError, "%s", coolbpf_errmsg());
		coolbpf_object__close(obj);
		return NULL;
	}
	Py_XDECREF(on_event_fn);
	Py_INCREF(fn);
	on_event_fn = fn;
	/* as pylcc opens them: a drain thread and its queue */
	COOLBPF_EVENTS_OPTS(eo, .on_event = on_event, .queue_size = COOLBPF_EVENTS_QUEUE_DEFAULT);
	if (coolbpf_object__open_events(obj, &eo)) {
		PyErr_Format(PyExc_OSError, "%s", coolbpf_errmsg());
		coolbpf_object__close(obj);
		return NULL;
	}
	return PyLong_FromVoidPtr(obj);
}

static PyObject *floor_poll(PyObject *self, PyObject *args)
{
	PyObject *o;
	void *obj;
	int ms, r;

	(void)self;
	if (!PyArg_ParseTuple(args, "Oi", &o, &ms) || !(obj = PyLong_AsVoidPtr(o)))
		return NULL;
	Py_BEGIN_ALLOW_THREADS r = coolbpf_object__poll(obj, ms);
	Py_END_ALLOW_THREADS return PyLong_FromLong(r);
}

static PyMethodDef floor_methods[] = {
	{ "open", floor_open, METH_VARARGS, "open(name, source, on_event(cpu, json))" },
	{ "poll", floor_poll, METH_VARARGS, "poll(obj, timeout_ms)" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef floor_module = {
	PyModuleDef_HEAD_INIT, "_floor", NULL, -1, floor_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__floor(void);
PyMODINIT_FUNC PyInit__floor(void)
{
	return PyModule_Create(&floor_module);
}
