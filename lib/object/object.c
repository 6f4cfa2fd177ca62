// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Open and close: read or compile the program, choose the BTF for CO-RE
 * (lib/btf's resolver), open it with libbpf, and the object's accessors.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/btf.h>

#include "object.h"

#define VERIFIER_LOG_SZ (16u << 20)

static char *verifier_log;

const char *object_verifier_log(void)
{
	return verifier_log;
}

/*
 * tp_btf, fentry and fexit sections through handlers of libcoolbpf's, not
 * libbpf's own: libbpf (1.1) reads the whole kernel BTF, and copies it
 * while parsing (11 MB resident for 6.18's 5.5 MB), to learn the one type
 * id such a program loads on, and holds it through the load. Here they
 * open as raw tracepoints, which need no kernel BTF, marked with their
 * own attach type; just before one loads, btf_prog_prepare() makes it the
 * tracing program it is, on the id kernel_btf_find() reads from
 * /sys/kernel/btf in one pass (an id set by bpf_program__set_attach_target()
 * is kept). load.c's fallback of a tp_btf to raw_tp clears the mark.
 * Without kernel BTF (the nobpf guest, old kernels) tp_btf sections stay
 * raw tracepoints (the same u64 arguments), attached by name, and fentry
 * and fexit are libbpf's (they cannot load there; load.c takes their
 * kprobe partners).
 *
 * The handlers are libbpf's for the process: another libbpf object's
 * programs of these sections load through them the same, and
 * bpf_program__attach() attaches them (libbpf >= 1.2 forgets a program's
 * handler when its type is set: there, bpf_program__attach_trace() does).
 */
static const struct btf_section {
	const char *sec; /* libbpf's handler spelling */
	enum bpf_attach_type at;
	const char *prefix; /* of the BTF type's name */
	int kind;
	const char *example;
} btf_sections[] = {
	{ "tp_btf+", BPF_TRACE_RAW_TP, "btf_trace_", BTF_KIND_TYPEDEF, "tp_btf/NAME" },
	{ "fentry+", BPF_TRACE_FENTRY, "", BTF_KIND_FUNC, "fentry/FUNCTION" },
	{ "fexit+", BPF_TRACE_FEXIT, "", BTF_KIND_FUNC, "fexit/FUNCTION" },
};

static int btf_prog_prepare(struct bpf_program *prog, struct bpf_prog_load_opts *opts, long cookie)
{
	const struct btf_section *bs = &btf_sections[cookie];
	const char *target = strchr(bpf_program__section_name(prog), '/');
	char name[256];
	int id = 0, fd = 0;

	if (bpf_program__expected_attach_type(prog) != bs->at)
		return 0; /* a raw tracepoint after all: loads as opened */
	if (!opts->attach_btf_id) {
		if (!target || !target[1]) {
			pr_warn("prog '%s': section '%s' names no target: write SEC(\"%s\"), "
				"or set one with bpf_program__set_attach_target()\n",
				bpf_program__name(prog), bpf_program__section_name(prog),
				bs->example);
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "%s%s", bs->prefix, target + 1);
		id = kernel_btf_find(name, bs->kind, &fd);
		if (id < 0) /* libbpf's -ESRCH for a target the kernel lacks: load.c says which */
			return id == -ENOENT ? -ESRCH : id;
	}
	if (bpf_program__set_type(prog, BPF_PROG_TYPE_TRACING))
		return -errno;
	opts->expected_attach_type = bs->at;
	if (id) {
		opts->attach_btf_id = (__u32)id;
		opts->attach_btf_obj_fd = fd;
	}
	return 0;
}

static int btf_prog_attach(const struct bpf_program *prog, long cookie, struct bpf_link **link)
{
	const char *tp = strchr(bpf_program__section_name(prog), '/');

	(void)cookie;
	if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING)
		*link = bpf_program__attach_trace(prog);
	else /* a tp_btf loaded as a raw tracepoint */
		*link = tp && tp[1] ? bpf_program__attach_raw_tracepoint(prog, tp + 1) : NULL;
	return *link ? 0 : tp && tp[1] ? -errno : -EINVAL;
}

static void btf_prog_handlers(void)
{
	bool kernel_btf = access(SYS_BTF, R_OK) == 0;

	for (size_t i = 0; i < ARRAY_SIZE(btf_sections); i++) {
		const struct btf_section *bs = &btf_sections[i];
		LIBBPF_OPTS(libbpf_prog_handler_opts, ho, .cookie = (long)i,
			    .prog_attach_fn = btf_prog_attach);

		if (!kernel_btf && bs->at != BPF_TRACE_RAW_TP)
			continue;
		if (kernel_btf)
			ho.prog_prepare_load_fn = btf_prog_prepare;
		if (libbpf_register_prog_handler(bs->sec, BPF_PROG_TYPE_RAW_TRACEPOINT,
						 kernel_btf ? bs->at : 0, &ho) < 0)
			pr_warn("cannot register the %.*s section handler: those programs load "
				"through libbpf's%s\n",
				(int)strlen(bs->sec) - 1, bs->sec,
				kernel_btf ? "" : ", which cannot without kernel BTF");
	}
}

static int object_open_bpf(struct coolbpf_object *obj)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = obj->name);
	int err;

	if (obj->btf.source != BTF_SRC_KERNEL && obj->btf.path[0])
		oo.btf_custom_path = obj->btf.path;
	if (!verifier_log) {
		/* untouched pages cost no memory: only a failed load writes here */
		verifier_log = mmap(NULL, VERIFIER_LOG_SZ, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (verifier_log == MAP_FAILED)
			verifier_log = NULL;
	}
	if (verifier_log) {
		verifier_log[0] = '\0';
		oo.kernel_log_buf = verifier_log;
		oo.kernel_log_size = VERIFIER_LOG_SZ;
	}
	/* libbpf trusts what it parses: a damaged .BTF must not reach it */
	{
		char why[320];

		err = bpf_elf_check(obj->elf, obj->elf_sz, why, sizeof(why));
		if (err) {
			pr_warn("cannot open '%s': not a valid BPF object (%s); rebuild it with "
				"'coolbpf compile'\n",
				obj->origin, why);
			return cb_err(err);
		}
	}
	pthread_once(&once, btf_prog_handlers);
	obj->bpf = bpf_object__open_mem(obj->elf, obj->elf_sz, &oo);
	if (!obj->bpf) {
		char msg[128];

		err = -errno;
		libbpf_strerror(err, msg, sizeof(msg));
		pr_warn("cannot open '%s': not a valid BPF object (%s); rebuild it with "
			"'coolbpf compile'\n",
			obj->origin, msg);
		return cb_err(err);
	}
	return 0;
}

int object_reopen(struct coolbpf_object *obj)
{
	int err;

	bpf_object__close(obj->bpf);
	obj->bpf = NULL;
	err = object_open_bpf(obj);
	if (err)
		return err;
	err = map_classify(obj);
	return err ? err : globals_collect(obj);
}

/* The BTF for CO-RE, by lib/btf's resolver; libbpf reads the kernel's
 * own when it is the choice. The server and cache of the compile opts
 * serve when the object's own are not given. */
static int choose_btf(struct coolbpf_object *obj, const struct coolbpf_object_opts *opts)
{
	const struct coolbpf_compile_opts *co = OPTS_GET(opts, compile, NULL);
	const char *cache = OPTS_GET(opts, cache_dir, NULL);
	char fetch[PATH_MAX] = "", def[PATH_MAX];
	struct btf_query q = {
		.explicit_path = OPTS_GET(opts, btf_path, NULL),
		.archive_dir = OPTS_GET(opts, btf_dir, NULL),
		.artifact = obj->elf,
		.artifact_sz = obj->elf_sz,
		.server = OPTS_GET(opts, server, NULL),
		.server_token = OPTS_GET(opts, server_token, NULL),
	};

	if (co && !OPTS_VALID(co, coolbpf_compile_opts))
		return cb_err(-EINVAL);
	if (!q.server && co) {
		q.server = OPTS_GET(co, server, NULL);
		q.server_token = OPTS_GET(co, server_token, NULL);
	}
	if (!cache && co)
		cache = OPTS_GET(co, cache_dir, NULL);
	if (q.server && *q.server) {
		if ((!cache || !*cache) && cache_default_root(def, sizeof(def)) == 0)
			cache = def;
		if (cache && *cache && pathf(fetch, sizeof(fetch), "%s/btf-remote", cache) == 0)
			q.fetch_dir = fetch;
	}
	return btf_choose(&q, BTF_FOR_LOAD, &obj->btf);
}

static struct coolbpf_object *object_new(const char *name, const char *origin)
{
	struct coolbpf_object *obj = calloc(1, sizeof(*obj));

	if (!obj)
		return NULL;
	obj->name = strdup(name ? name : "coolbpf");
	strlcpy_cb(obj->origin, origin ? origin : obj->name ? obj->name : "", sizeof(obj->origin));
	obj->btf.memfd = -1;
	obj->epfd = -1;
	obj->trace_fd = -1;
	if (!obj->name) {
		free(obj);
		return NULL;
	}
	return obj;
}

/* An object built without coolbpf (a third-party .o with DWARF): its
 * output maps' event types found as a compile would have (lib/btf). */
static int record_event_types(struct coolbpf_object *obj, const struct coolbpf_object_opts *opts)
{
	const struct coolbpf_compile_opts *c = OPTS_GET(opts, compile, NULL);
	void *img;
	size_t sz;
	int err = evtype_record(obj->elf, obj->elf_sz, c ? OPTS_GET(c, event_types, NULL) : NULL,
				&img, &sz);

	if (err || !img)
		return err == -ENOMEM ? cb_err(err) : 0;
	free(obj->elf);
	obj->elf = img;
	obj->elf_sz = sz;
	return 0;
}

/* Takes ownership of elf. */
static struct coolbpf_object *open_owned(void *elf, size_t sz, const char *name, const char *origin,
					 const struct coolbpf_object_opts *opts)
{
	struct coolbpf_object *obj;
	int err;

	cb_libbpf_log_init();
	obj = object_new(name, origin);
	if (!obj) {
		free(elf);
		return cb_err_ptr(-ENOMEM);
	}
	obj->elf = elf;
	obj->elf_sz = sz;
	err = record_event_types(obj, opts);
	if (!err)
		err = choose_btf(obj, opts);
	if (!err)
		err = object_open_bpf(obj);
	if (!err)
		err = plans_build(obj);
	if (!err)
		err = map_classify(obj);
	if (!err)
		err = globals_collect(obj);
	if (err) {
		coolbpf_object__close(obj);
		return cb_err_ptr(err);
	}
	return obj;
}

/* The compile of a source opened here: the caller's compile opts, with
 * the object's BTF choices where the compile has none (--btf reaches the
 * compile too). -EINVAL for bad opts. */
static int compile_opts_for(const struct coolbpf_object_opts *opts, struct coolbpf_compile_opts *c)
{
	const struct coolbpf_compile_opts *in = OPTS_GET(opts, compile, NULL);

	memset(c, 0, sizeof(*c));
	if (in) {
		if (!OPTS_VALID(in, coolbpf_compile_opts))
			return cb_err(-EINVAL);
		memcpy(c, in, in->sz < sizeof(*c) ? in->sz : sizeof(*c));
	}
	c->sz = sizeof(*c);
	if (!c->btf_path)
		c->btf_path = OPTS_GET(opts, btf_path, NULL);
	if (!c->btf_dir)
		c->btf_dir = OPTS_GET(opts, btf_dir, NULL);
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* "dir/foo.bpf.c" -> "foo" */
static void object_name_from(const char *path, char *buf, size_t sz)
{
	char *dot;

	strlcpy_cb(buf, base_name(path), sz);
	dot = strchr(buf, '.');
	if (dot && dot != buf)
		*dot = '\0';
}

struct coolbpf_object *coolbpf_object__open_mem(const void *data, size_t sz,
						const struct coolbpf_object_opts *opts)
{
	void *copy;

	if (!data || !sz || !OPTS_VALID(opts, coolbpf_object_opts))
		return cb_err_ptr(-EINVAL);
	copy = malloc(sz);
	if (!copy)
		return cb_err_ptr(-ENOMEM);
	memcpy(copy, data, sz);
	return open_owned(copy, sz, OPTS_GET(opts, name, NULL) ? opts->name : "coolbpf", NULL,
			  opts);
}

static struct coolbpf_object *open_compiled(struct coolbpf_compile_result *res, int err,
					    const char *what, const char *name,
					    const struct coolbpf_object_opts *opts)
{
	void *elf;
	size_t sz;

	if (err) {
		if (res->log && res->log[0])
			pr_warn("cannot compile '%s':\n%s", what, res->log);
		else if (!coolbpf_errmsg()[0])
			pr_warn("cannot compile '%s': %s\n", what, strerror(-err));
		coolbpf_compile_result__release(res);
		return cb_err_ptr(err);
	}
	elf = res->obj;
	sz = res->obj_sz;
	res->obj = NULL;
	coolbpf_compile_result__release(res);
	return open_owned(elf, sz, name, what, opts);
}

struct coolbpf_object *coolbpf_object__open_source(const char *src, size_t len,
						   const struct coolbpf_object_opts *opts)
{
	struct coolbpf_compile_result res = {};
	struct coolbpf_compile_opts copts;
	const char *name;
	char file[NAME_MAX + 1];
	int err;

	if (!src || !OPTS_VALID(opts, coolbpf_object_opts) || compile_opts_for(opts, &copts))
		return cb_err_ptr(-EINVAL);
	name = OPTS_GET(opts, name, NULL) ? opts->name : "coolbpf";
	snprintf(file, sizeof(file), "%s.bpf.c", name);
	err = coolbpf_compile_buf(file, src, len, &copts, &res);
	return open_compiled(&res, err, file, name, opts);
}

struct coolbpf_object *coolbpf_object__open_file(const char *path,
						 const struct coolbpf_object_opts *opts)
{
	char name[NAME_MAX + 1];
	void *data;
	size_t sz;
	int err;

	if (!path || !OPTS_VALID(opts, coolbpf_object_opts))
		return cb_err_ptr(-EINVAL);
	if (OPTS_GET(opts, name, NULL))
		strlcpy_cb(name, opts->name, sizeof(name));
	else
		object_name_from(path, name, sizeof(name));
	if (str_has_suffix(path, ".c")) {
		struct coolbpf_compile_result res = {};
		struct coolbpf_compile_opts copts;

		if (compile_opts_for(opts, &copts))
			return cb_err_ptr(-EINVAL);
		if (access(path, R_OK)) {
			err = -errno;
			pr_warn("cannot open '%s': %s\n", path, strerror(-err));
			return cb_err_ptr(err);
		}
		err = coolbpf_compile_file(path, &copts, &res);
		return open_compiled(&res, err, path, name, opts);
	}
	err = read_file_max(path, BPF_OBJECT_MAX, &data, &sz);
	if (err) {
		pr_warn("cannot open '%s': %s\n", path,
			err == -EFBIG  ? "larger than a BPF object can be (256 MiB)" :
			err == -EINVAL ? "not a regular file" :
					 strerror(-err));
		return cb_err_ptr(err);
	}
	if (sz < 4 || memcmp(data, "\177ELF", 4)) {
		free(data);
		pr_warn("cannot open '%s': not an ELF object; give a .bpf.c source or an object "
			"made by 'coolbpf compile'\n",
			path);
		return cb_err_ptr(-ENOEXEC);
	}
	return open_owned(data, sz, name, path, opts);
}

const char *coolbpf_object__btf_origin(const struct coolbpf_object *obj)
{
	return obj ? obj->btf.origin : NULL;
}

struct bpf_object *coolbpf_object__bpf(const struct coolbpf_object *obj)
{
	return obj ? obj->bpf : NULL;
}

const char *coolbpf_object__name(const struct coolbpf_object *obj)
{
	return obj ? obj->name : NULL;
}

const struct btf *coolbpf_object__btf(const struct coolbpf_object *obj)
{
	return obj && obj->bpf ? bpf_object__btf(obj->bpf) : NULL;
}

void coolbpf_object__close(struct coolbpf_object *obj)
{
	if (!obj)
		return;
	trace_close(obj);
	events_close(obj);
	coolbpf_object__detach(obj);
	object_maps_release(obj);
	globals_free(obj);
	bpf_object__close(obj->bpf);
	btf_choice_release(&obj->btf);
	attach_release(obj);
	plans_free(obj);
	free(obj->elf);
	free(obj->name);
	free(obj);
}
