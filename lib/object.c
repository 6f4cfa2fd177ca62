// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Open and load: choose the BTF for CO-RE, plan hook fallbacks, load, and
 * turn a load failure into one message that says what to do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "object.h"

#define VERIFIER_LOG_SZ (16u << 20)
#define MAX_LOAD_ROUNDS 8

static const struct {
	const char *prefix;
	enum hook hook;
} hook_prefixes[] = {
	{ "kprobe/", HOOK_KPROBE },	  { "kretprobe/", HOOK_KRETPROBE },
	{ "fentry/", HOOK_FENTRY },	  { "fexit/", HOOK_FEXIT },
	{ "tracepoint/", HOOK_TP },	  { "tp/", HOOK_TP },
	{ "raw_tracepoint/", HOOK_RAW_TP }, { "raw_tp/", HOOK_RAW_TP },
	{ "tp_btf/", HOOK_TP_BTF },	  { "uprobe", HOOK_UPROBE },
	{ "uretprobe", HOOK_UPROBE },
};

static enum hook section_hook(const char *sec, const char **target)
{
	for (size_t i = 0; i < ARRAY_SIZE(hook_prefixes); i++) {
		if (str_has_prefix(sec, hook_prefixes[i].prefix)) {
			*target = sec + strlen(hook_prefixes[i].prefix);
			return hook_prefixes[i].hook;
		}
	}
	*target = "";
	return HOOK_NONE;
}

/* kprobe <-> fentry, kretprobe <-> fexit, tp_btf <-> raw_tp on the same target */
static enum hook hook_partner(enum hook h)
{
	switch (h) {
	case HOOK_KPROBE: return HOOK_FENTRY;
	case HOOK_FENTRY: return HOOK_KPROBE;
	case HOOK_KRETPROBE: return HOOK_FEXIT;
	case HOOK_FEXIT: return HOOK_KRETPROBE;
	case HOOK_TP_BTF: return HOOK_RAW_TP;
	case HOOK_RAW_TP: return HOOK_TP_BTF;
	default: return HOOK_OTHER;
	}
}

static void plans_free(struct coolbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_plans; i++) {
		free(obj->plans[i].name);
		free(obj->plans[i].section);
		free(obj->plans[i].target);
	}
	free(obj->plans);
	obj->plans = NULL;
	obj->nr_plans = 0;
}

static int plans_build(struct coolbpf_object *obj)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, obj->bpf)
		n++;
	obj->plans = calloc(n ? n : 1, sizeof(*obj->plans));
	if (!obj->plans)
		return cb_err(-ENOMEM);
	bpf_object__for_each_program(prog, obj->bpf) {
		struct prog_plan *p = &obj->plans[obj->nr_plans++];
		const char *sec = bpf_program__section_name(prog);
		const char *target;

		p->name = strdup(bpf_program__name(prog));
		p->section = strdup(sec);
		p->hook = section_hook(sec, &target);
		p->target = strdup(target);
		p->alt = -1;
		p->enabled = bpf_program__autoload(prog);
		if (!p->name || !p->section || !p->target)
			return cb_err(-ENOMEM);
		if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC) {
			pr_warn("program '%s' is in section '%s', which names no BPF program type: "
				"use e.g. SEC(\"tp/<category>/<event>\"), SEC(\"raw_tp/<event>\"), "
				"SEC(\"kprobe/<function>\") or SEC(\"uprobe/<binary>:<function>\")\n",
				p->name, sec);
			return cb_err(-EINVAL);
		}
	}
	/* pair alternatives: the same target under partner hooks */
	for (size_t i = 0; i < obj->nr_plans; i++) {
		struct prog_plan *a = &obj->plans[i];

		for (size_t j = i + 1; j < obj->nr_plans && a->alt < 0; j++) {
			struct prog_plan *b = &obj->plans[j];

			if (b->alt < 0 && hook_partner(a->hook) == b->hook &&
			    !strcmp(a->target, b->target)) {
				a->alt = (int)j;
				b->alt = (int)i;
			}
		}
	}
	return 0;
}

/* Choose one program of each alternative pair before the first load. */
static const char *hook_name(enum hook h);

static void plans_choose(struct coolbpf_object *obj)
{
	/* fentry/fexit/tp_btf attach by the kernel's own BTF type ids: without
	 * /sys/kernel/btf/vmlinux (archive BTF serves CO-RE only) they cannot load */
	bool kernel_btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;

	for (size_t i = 0; i < obj->nr_plans; i++) {
		/* a lone tp_btf is not turned into raw_tp here: libbpf 1.1 still
		 * resolves its BTF id and crashes without kernel BTF */
		struct prog_plan *a = &obj->plans[i], *b, *typed, *untyped;

		if (a->alt < (int)i)
			continue;
		b = &obj->plans[a->alt];
		if (!a->enabled || !b->enabled)
			continue;
		/* prefer fentry/fexit and tp_btf (cheaper, typed); a kprobe
		 * pair member only wins when it is all the kernel has, which
		 * the load round finds out. Without kprobes, fentry it is. */
		if (a->hook == HOOK_KPROBE || a->hook == HOOK_KRETPROBE || a->hook == HOOK_RAW_TP)
			untyped = a, typed = b;
		else
			typed = a, untyped = b;
		if (kernel_btf) {
			untyped->enabled = false;
		} else {
			typed->enabled = false;
			snprintf(untyped->note, sizeof(untyped->note), "instead of %s '%s': no kernel BTF",
				 hook_name(typed->hook), typed->name);
		}
	}
}

static int object_reopen(struct coolbpf_object *obj);

static struct bpf_program *find_prog(struct coolbpf_object *obj, const char *name)
{
	return bpf_object__find_program_by_name(obj->bpf, name);
}

static void plans_apply(struct coolbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_plans; i++) {
		struct prog_plan *p = &obj->plans[i];
		struct bpf_program *prog = find_prog(obj, p->name);

		if (!prog)
			continue;
		bpf_program__set_autoload(prog, p->enabled);
		if (p->enabled && p->to_raw_tp) {
			bpf_program__set_type(prog, BPF_PROG_TYPE_RAW_TRACEPOINT);
			bpf_program__set_expected_attach_type(prog, 0);
		}
	}
}

static char *verifier_log;

static int object_open_bpf(struct coolbpf_object *obj)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = obj->name);
	int err;

	if (obj->btf_path[0])
		oo.btf_custom_path = obj->btf_path;
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

static int object_reopen(struct coolbpf_object *obj)
{
	int err;

	bpf_object__close(obj->bpf);
	obj->bpf = NULL;
	err = object_open_bpf(obj);
	if (err)
		return err;
	return map_classify(obj);
}

/* Decompress a BTF file (explicit_path) or the archive entry of this kernel
 * into a memfd for libbpf. Without either, origin "none" names the file
 * looked for, so that a load failing for want of BTF can say so. */
static int choose_archive_btf(struct coolbpf_object *obj, const char *explicit_path)
{
	char path[PATH_MAX] = "";
	void *data;
	size_t len;
	int err, fd;

	if (explicit_path) {
		strlcpy_cb(path, explicit_path, sizeof(path));
		err = btf_file_read(path, &data, &len);
	} else {
		err = btf_archive_read(NULL, NULL, NULL, &data, &len, path, sizeof(path));
	}
	if (err == -ENOENT && !explicit_path) {
		snprintf(obj->btf_origin, sizeof(obj->btf_origin), "none%s%s", path[0] ? " " : "",
			 path);
		return 0;
	}
	if (err) {
		pr_warn("cannot read BTF '%s': %s\n", path, strerror(-err));
		return cb_err(err);
	}
	fd = btf_memfd(data, len, obj->btf_path, sizeof(obj->btf_path));
	free(data);
	if (fd < 0)
		return cb_err(fd);
	obj->btf_memfd = fd;
	snprintf(obj->btf_origin, sizeof(obj->btf_origin), "%s %s",
		 explicit_path ? "explicit" : "archive", path);
	return 0;
}

/* The BTF for CO-RE: explicit, the artifact's min BTF for this kernel,
 * the kernel's, the archive. */
static int choose_btf(struct coolbpf_object *obj, const char *explicit_path)
{
	const void *min_btf;
	size_t min_sz;
	const char *release;

	obj->btf_memfd = -1;
	if (explicit_path) {
		struct btf *btf = btf_load_file(explicit_path);

		if (!btf) {
			int err = -errno;

			pr_warn("cannot use BTF '%s': %s; give a raw BTF file or an ELF with a "
				".BTF section (e.g. from 'coolbpf btf gen')\n",
				explicit_path,
				err == -ENOENT ? "No such file or directory"
					       : "not a valid BTF file");
			return cb_err(err);
		}
		btf__free(btf);
		if (str_has_suffix(explicit_path, ".gz"))
			return choose_archive_btf(obj, explicit_path);
		strlcpy_cb(obj->btf_path, explicit_path, sizeof(obj->btf_path));
		snprintf(obj->btf_origin, sizeof(obj->btf_origin), "explicit %s", explicit_path);
		return 0;
	}
	if (!coolbpf_artifact__min_btf(obj->elf, obj->elf_sz, &min_btf, &min_sz, &release) &&
	    !strcmp(release, host_kernel_release())) {
		/* libbpf takes a path: hand it an in-memory file */
		int fd = memfd_create("coolbpf-min-btf", MFD_CLOEXEC);

		if (fd >= 0 && write(fd, min_btf, min_sz) == (ssize_t)min_sz) {
			obj->btf_memfd = fd;
			snprintf(obj->btf_path, sizeof(obj->btf_path), "/proc/self/fd/%d", fd);
			snprintf(obj->btf_origin, sizeof(obj->btf_origin), "artifact");
			return 0;
		}
		if (fd >= 0)
			close(fd);
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) {
		snprintf(obj->btf_origin, sizeof(obj->btf_origin), "kernel");
		return 0;
	}
	return choose_archive_btf(obj, NULL);
}

static struct coolbpf_object *object_new(const char *name, const char *origin)
{
	struct coolbpf_object *obj = calloc(1, sizeof(*obj));

	if (!obj)
		return NULL;
	obj->name = strdup(name ? name : "coolbpf");
	strlcpy_cb(obj->origin, origin ? origin : obj->name ? obj->name : "", sizeof(obj->origin));
	obj->btf_memfd = -1;
	obj->epfd = -1;
	obj->trace_fd = -1;
	if (!obj->name) {
		free(obj);
		return NULL;
	}
	return obj;
}

/* Takes ownership of elf. */
static struct coolbpf_object *open_owned(void *elf, size_t sz, const char *name,
					 const char *origin, const struct coolbpf_object_opts *opts)
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
	err = choose_btf(obj, opts ? opts->btf_path : NULL);
	if (!err)
		err = object_open_bpf(obj);
	if (!err)
		err = plans_build(obj);
	if (!err)
		err = map_classify(obj);
	if (err) {
		coolbpf_object__close(obj);
		return cb_err_ptr(err);
	}
	return obj;
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

	if (!data || !sz)
		return cb_err_ptr(-EINVAL);
	copy = malloc(sz);
	if (!copy)
		return cb_err_ptr(-ENOMEM);
	memcpy(copy, data, sz);
	return open_owned(copy, sz, opts && opts->name ? opts->name : "coolbpf", NULL, opts);
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
	const char *name = opts && opts->name ? opts->name : "coolbpf";
	char file[NAME_MAX + 1];
	int err;

	snprintf(file, sizeof(file), "%s.bpf.c", name);
	err = coolbpf_compile_buf(file, src, len, opts ? opts->compile : NULL, &res);
	return open_compiled(&res, err, file, name, opts);
}

struct coolbpf_object *coolbpf_object__open_file(const char *path,
						 const struct coolbpf_object_opts *opts)
{
	char name[NAME_MAX + 1];
	void *data;
	size_t sz;
	int err;

	if (!path)
		return cb_err_ptr(-EINVAL);
	if (opts && opts->name)
		strlcpy_cb(name, opts->name, sizeof(name));
	else
		object_name_from(path, name, sizeof(name));
	if (str_has_suffix(path, ".c")) {
		struct coolbpf_compile_result res = {};

		if (access(path, R_OK)) {
			err = -errno;
			pr_warn("cannot open '%s': %s\n", path, strerror(-err));
			return cb_err_ptr(err);
		}
		err = coolbpf_compile_file(path, opts ? opts->compile : NULL, &res);
		return open_compiled(&res, err, path, name, opts);
	}
	err = read_file(path, &data, &sz);
	if (err) {
		pr_warn("cannot open '%s': %s\n", path, strerror(-err));
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

/* ------------------------------------------------------------------ */

/* The program libbpf blamed for the failed load (see log.c). */
static struct prog_plan *failed_plan(struct coolbpf_object *obj)
{
	const char *name = cb_libbpf_failed_prog();

	for (size_t i = 0; name[0] && i < obj->nr_plans; i++) {
		if (obj->plans[i].enabled && !strcmp(obj->plans[i].name, name))
			return &obj->plans[i];
	}
	return NULL;
}

static const char *hook_name(enum hook h)
{
	switch (h) {
	case HOOK_KPROBE: return "kprobe";
	case HOOK_KRETPROBE: return "kretprobe";
	case HOOK_FENTRY: return "fentry";
	case HOOK_FEXIT: return "fexit";
	case HOOK_TP: return "tracepoint";
	case HOOK_RAW_TP: return "raw_tp";
	case HOOK_TP_BTF: return "tp_btf";
	case HOOK_UPROBE: return "uprobe";
	default: return "program";
	}
}

/* A kprobe program on a kernel without kprobes cannot load usefully:
 * say so before anything reaches the kernel. */
static int check_kprobes(struct coolbpf_object *obj)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < obj->nr_plans; i++) {
		struct prog_plan *p = &obj->plans[i];

		if (!p->enabled || (p->hook != HOOK_KPROBE && p->hook != HOOK_KRETPROBE))
			continue;
		if (kernel_has_kprobes())
			return 0;
		if (p->optional && p->alt < 0) {
			/* the caller said it can do without: leave it out, say why */
			p->enabled = false;
			p->skipped = -EOPNOTSUPP;
			snprintf(p->note, sizeof(p->note),
				 "left out: this kernel has no kprobe support");
			continue;
		}
		if (p->alt >= 0) {
			/* the pair's fentry/fexit member takes over */
			p->enabled = false;
			obj->plans[p->alt].enabled = true;
			snprintf(obj->plans[p->alt].note, sizeof(obj->plans[p->alt].note),
				 "instead of %s '%s': this kernel has no kprobe support",
				 hook_name(p->hook), p->name);
			continue;
		}
		attach_suggest_tracepoint(p->target, &sb);
		pr_warn("program '%s' (%s): this kernel has no kprobe support (no kprobe PMU in "
			"/sys/bus/event_source/devices and no kprobe_events in tracefs: built "
			"without CONFIG_KPROBES); use a tracepoint instead%s%s\n",
			p->name, p->section, sb.len ? ", e.g. " : "", strbuf_str(&sb));
		strbuf_release(&sb);
		return cb_err(-EOPNOTSUPP);
	}
	return 0;
}

/* The map libbpf blamed for the failed load, if it was a map. */
static int report_map_failure(struct coolbpf_object *obj, int err)
{
	struct bpf_map *map = NULL;
	const char *name = cb_libbpf_failed_map();

	if (name[0] && !cb_libbpf_failed_prog()[0])
		map = bpf_object__find_map_by_name(obj->bpf, name);
	if (map) {
		enum bpf_map_type t = bpf_map__type(map);
		const char *tn = libbpf_bpf_map_type_str(t);

		if (!tn) {
			pr_warn("map '%s' has map type %d, which this libbpf and kernel do not know; "
				"use a BPF_MAP_TYPE_* value\n",
				bpf_map__name(map), (int)t);
		} else if (libbpf_probe_bpf_map_type(t, NULL) <= 0) {
			pr_warn("map '%s': this kernel does not support map type '%s'\n",
				bpf_map__name(map), tn);
		} else {
			pr_warn("map '%s' (%s, key %u, value %u, max_entries %u): the kernel "
				"refused to create it: %s\n",
				bpf_map__name(map), tn, bpf_map__key_size(map),
				bpf_map__value_size(map), bpf_map__max_entries(map),
				strerror(-err));
		}
		return cb_err(err);
	}
	return 0;
}

static int report_prog_failure(struct prog_plan *p, int err)
{
	struct strbuf sb = STRBUF_INIT;

	if (err == -EPERM && (p->hook == HOOK_FENTRY || p->hook == HOOK_FEXIT)) {
		pr_warn("program '%s' (%s): this kernel does not permit %s programs (EPERM)%s\n",
			p->name, p->section, hook_name(p->hook),
			kernel_has_kprobes() ? "; add a kprobe variant of it, coolbpf falls back "
					       "to it"
					     : "; this kernel has no kprobes either: use a "
					       "tracepoint");
		return cb_err(err);
	}
	if (err == -EPERM) {
		pr_warn("program '%s' (%s): permission denied: run as root (CAP_BPF and "
			"CAP_PERFMON)\n",
			p->name, p->section);
		return cb_err(err);
	}
	verifier_summary(verifier_log ? verifier_log : "", &sb);
	if (sb.len)
		pr_warn("verifier rejected program '%s' (%s):\n%s", p->name, p->section,
			strbuf_str(&sb));
	else
		pr_warn("program '%s' (%s): the kernel refused to load it: %s\n", p->name,
			p->section, strerror(-err));
	strbuf_release(&sb);
	return cb_err(err);
}

int coolbpf_object__load(struct coolbpf_object *obj)
{
	int err = 0;

	if (!obj)
		return cb_err(-EINVAL);
	if (obj->loaded)
		return cb_err(-EALREADY);
	if (geteuid() != 0) {
		pr_warn("loading BPF programs needs root (CAP_BPF, CAP_PERFMON): run with sudo\n");
		return cb_err(-EPERM);
	}
	plans_choose(obj);
	err = check_kprobes(obj);
	if (err)
		return err;
	for (int round = 0; round < MAX_LOAD_ROUNDS; round++) {
		struct prog_plan *p;

		if (round) {
			err = object_reopen(obj);
			if (err)
				return err;
		}
		plans_apply(obj);
		cb_libbpf_fail_reset();
		err = bpf_object__load(obj->bpf);
		if (!err) {
			obj->loaded = true;
			return 0;
		}
		err = -errno;
		/* libbpf closes every fd of a failed object: which map or program
		 * failed is known from what libbpf said (log.c). libbpf found no
		 * kernel BTF to relocate against (-ESRCH): that comes before maps
		 * and programs, whatever it says of them */
		if (err == -ESRCH && str_has_prefix(obj->btf_origin, "none"))
			p = NULL;
		else if (report_map_failure(obj, err))
			return err;
		else
			p = failed_plan(obj);
		if (!p) {
			if (!strcmp(obj->btf_origin, "none"))
				pr_warn("cannot load '%s': no BTF for kernel %s: "
					"/sys/kernel/btf/vmlinux is missing and COOLBPF_BTF_DIR "
					"is not set (set it to a BTF archive, or pass --btf FILE)\n",
					obj->name, host_kernel_release());
			else if (str_has_prefix(obj->btf_origin, "none "))
				pr_warn("cannot load '%s': no BTF for kernel %s: "
					"/sys/kernel/btf/vmlinux is missing and the archive has no "
					"'%s' (add it with 'coolbpf btf fetch-debian' or 'coolbpf "
					"btf archive add', or pass --btf FILE)\n",
					obj->name, host_kernel_release(), obj->btf_origin + 5);
			else
				pr_warn("cannot load '%s': %s\n", obj->name, strerror(-err));
			return cb_err(err);
		}
		if (p->alt >= 0 && !obj->plans[p->alt].enabled && !obj->plans[p->alt].note[0] &&
		    (kernel_has_kprobes() || (obj->plans[p->alt].hook != HOOK_KPROBE &&
					      obj->plans[p->alt].hook != HOOK_KRETPROBE))) {
			struct prog_plan *q = &obj->plans[p->alt];

			p->enabled = false;
			q->enabled = true;
			snprintf(q->note, sizeof(q->note), "instead of %s '%s': %s", hook_name(p->hook),
				 p->name, strerror(-err));
			continue;
		}
		/* a tp_btf the kernel cannot take (no BTF, no tracing programs)
		 * may load as raw_tp; a verifier rejection would not change */
		if (p->hook == HOOK_TP_BTF && !p->to_raw_tp && !(verifier_log && verifier_log[0])) {
			p->to_raw_tp = true;
			snprintf(p->note, sizeof(p->note), "loaded as raw_tp: tp_btf failed: %s",
				 strerror(-err));
			continue;
		}
		/* an optional program the kernel does not permit or cannot
		 * resolve is left out; a verifier rejection is still a bug */
		if (p->optional && !(verifier_log && verifier_log[0])) {
			p->enabled = false;
			p->skipped = err;
			snprintf(p->note, sizeof(p->note), "left out: %s: %s", hook_name(p->hook),
				 strerror(-err));
			continue;
		}
		return report_prog_failure(p, err);
	}
	pr_warn("cannot load '%s': no combination of fallbacks loads\n", obj->name);
	return cb_err(-EINVAL);
}

int coolbpf_object__set_optional(struct coolbpf_object *obj, const char *prog, bool optional)
{
	if (!obj || !prog)
		return cb_err(-EINVAL);
	if (obj->loaded)
		return cb_err(-EBUSY);
	for (size_t i = 0; i < obj->nr_plans; i++) {
		if (!strcmp(obj->plans[i].name, prog)) {
			obj->plans[i].optional = optional;
			return 0;
		}
	}
	pr_warn("'%s' has no program '%s'\n", obj->name, prog);
	return cb_err(-ENOENT);
}

const char *coolbpf_object__btf_origin(const struct coolbpf_object *obj)
{
	return obj ? obj->btf_origin : NULL;
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
	bpf_object__close(obj->bpf);
	if (obj->btf_memfd >= 0)
		close(obj->btf_memfd);
	plans_free(obj);
	free(obj->elf);
	free(obj->name);
	free(obj);
}
