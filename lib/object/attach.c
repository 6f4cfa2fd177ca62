// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attach: every loaded program by its section (all or nothing), or one
 * program by hand where the caller names the target; either way the
 * attach report says where each program went or why it could not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "object.h"

/* the report ---------------------------------------------------------- */

int attach_report_add(struct coolbpf_object *obj, const char *prog, const char *section,
		      const char *kind, const char *target, const char *note, int err)
{
	struct coolbpf_attach_info *ai;

	if (obj->nr_att == obj->cap_att) {
		size_t cap = obj->cap_att ? obj->cap_att * 2 : 8;
		void *p = realloc(obj->att, cap * sizeof(*obj->att));

		if (!p)
			return cb_err(-ENOMEM);
		obj->att = p;
		obj->cap_att = cap;
	}
	ai = &obj->att[obj->nr_att];
	ai->prog = prog;
	ai->section = section;
	ai->kind = kind;
	ai->target = strdup(target ? target : "");
	ai->note = note && note[0] ? strdup(note) : NULL;
	ai->err = err;
	if (!ai->target || (note && note[0] && !ai->note)) {
		free((char *)ai->target);
		free((char *)ai->note);
		return cb_err(-ENOMEM);
	}
	return (int)obj->nr_att++;
}

static void report_clear(struct coolbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_att; i++) {
		free((char *)obj->att[i].target);
		free((char *)obj->att[i].note);
	}
	obj->nr_att = 0;
}

size_t coolbpf_object__attach_count(const struct coolbpf_object *obj)
{
	return obj ? obj->nr_att : 0;
}

const struct coolbpf_attach_info *coolbpf_object__attach_info(const struct coolbpf_object *obj,
							      size_t i)
{
	if (!obj || i >= obj->nr_att)
		return cb_err_ptr(-ENOENT);
	return &obj->att[i];
}

/* hooks --------------------------------------------------------------- */

/* "cat/name" or "cat:name" -> cat, name; where gets "cat:name". */
static int attach_tracepoint(struct bpf_program *prog, const char *target, char *where,
			     size_t where_sz, struct bpf_link **link, char *why, size_t why_sz)
{
	char cat[128], path[PATH_MAX];
	size_t n = strcspn(target, "/:");

	if (!target[n] || n >= sizeof(cat)) {
		snprintf(why, why_sz, "section must be tp/<category>/<event>");
		return -EINVAL;
	}
	memcpy(cat, target, n);
	cat[n] = '\0';
	snprintf(where, where_sz, "%s:%s", cat, target + n + 1);
	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs_root(), cat, target + n + 1);
	if (access(path, F_OK)) {
		snprintf(why, why_sz,
			 "tracepoint '%s' does not exist in this kernel (see ls %s/events/%s)",
			 where, tracefs_root(), cat);
		return -ENOENT;
	}
	*link = bpf_program__attach_tracepoint(prog, cat, target + n + 1);
	return *link ? 0 : -errno;
}

/* why a kprobe or raw tracepoint attach failed, in words */
static void hook_failure(enum hook h, const char *target, int err, char *why, size_t why_sz)
{
	if ((h == HOOK_KPROBE || h == HOOK_KRETPROBE) && err == -ENOENT)
		snprintf(why, why_sz,
			 "no kernel function '%s' to probe (see %s/available_filter_functions)",
			 target, tracefs_root());
	else if (h == HOOK_RAW_TP || h == HOOK_TP_BTF)
		snprintf(why, why_sz, "cannot attach to tracepoint '%s': %s", target,
			 strerror(-err));
	else
		snprintf(why, why_sz, "%s", strerror(-err));
}

/* One rule for a program whose section names nothing to attach to (a
 * bare uprobe, uretprobe or usdt, xdp, tc): loaded, not attached, with
 * the section that would name a target where there is one; 1. */
static int no_target(const struct prog_plan *p, const char **kind, char *where, size_t where_sz,
		     char *why, size_t why_sz)
{
	const char *hint = "";

	if (p->hook == HOOK_UPROBE)
		hint = str_has_prefix(p->section, "uretprobe") ?
			       ": name one with SEC(\"uretprobe/BINARY:FUNCTION\")" :
			       ": name one with SEC(\"uprobe/BINARY:FUNCTION\")";
	else if (!strcmp(p->section, "usdt"))
		hint = ": name one with SEC(\"usdt/BINARY:PROVIDER:NAME\")";
	*kind = "loaded";
	snprintf(where, where_sz, "-");
	snprintf(why, why_sz, "loaded, not attached: section '%s' has no target%s", p->section,
		 hint);
	return 1;
}

static int attach_one(struct prog_plan *p, struct bpf_program *prog, const char **kind,
		      struct bpf_link **link, char *why, size_t why_sz, char *where,
		      size_t where_sz)
{
	int err;

	strlcpy_cb(where, p->target, where_sz);
	*kind = "program";
	switch (p->hook) {
	case HOOK_TP:
		*kind = "tracepoint";
		return attach_tracepoint(prog, p->target, where, where_sz, link, why, why_sz);
	case HOOK_RAW_TP:
		*kind = "raw_tp";
		*link = bpf_program__attach_raw_tracepoint(prog, p->target);
		break;
	case HOOK_TP_BTF:
		*kind = p->to_raw_tp ? "raw_tp" : "tp_btf";
		*link = p->to_raw_tp ? bpf_program__attach_raw_tracepoint(prog, p->target) :
				       bpf_program__attach_trace(prog);
		break;
	case HOOK_FENTRY:
	case HOOK_FEXIT:
		/* by type, not by section handler (object.c's, which libbpf
		 * >= 1.2 forgets once the program's type is set) */
		*kind = hook_name(p->hook);
		*link = bpf_program__attach_trace(prog);
		break;
	case HOOK_KPROBE:
	case HOOK_KRETPROBE:
		*kind = hook_name(p->hook);
		*link = bpf_program__attach(prog);
		break;
	case HOOK_UPROBE:
		*kind = str_has_prefix(p->section, "uretprobe") ? "uretprobe" : "uprobe";
		*link = bpf_program__attach(prog);
		if (!*link && errno == EOPNOTSUPP && !strchr(p->section, '/'))
			return no_target(p, kind, where, where_sz, why, why_sz);
		break;
	default:
		*link = bpf_program__attach(prog);
		/* xdp, tc, socket filters, a bare usdt: the user picks the target */
		if (!*link && (errno == EOPNOTSUPP || errno == ESRCH))
			return no_target(p, kind, where, where_sz, why, why_sz);
		break;
	}
	if (*link)
		return 0;
	err = -errno;
	hook_failure(p->hook, p->target, err, why, why_sz);
	return err;
}

/*
 * A kernel limit err stands for, said with what to do, into why (after
 * what why already says); false when err is not one. The kernel's own
 * words ("Argument list too long") name no limit.
 */
bool object_limit_hint(int err, const char *kind, const char *where, char *why, size_t sz)
{
	size_t n = strnlen(why, sz);
	struct rlimit rl;

	if (n + 1 >= sz)
		return false;
	if (!n)
		n = (size_t)snprintf(why, sz, "%s", strerror(-err));
	if (n >= sz)
		return false;
	switch (-err) {
	case E2BIG:
		if (strcmp(kind, "tracepoint") && strcmp(kind, "kprobe") &&
		    strcmp(kind, "kretprobe") && strcmp(kind, "uprobe") &&
		    strcmp(kind, "uretprobe") && strcmp(kind, "perf_event"))
			return false;
		snprintf(
			why + n, sz - n,
			": the kernel runs at most 64 BPF programs on one %s (BPF_TRACE_MAX_PROGS), "
			"and '%s' has them; attach fewer there, or do the work of several programs "
			"in one",
			kind, where);
		return true;
	case EMFILE:
		if (getrlimit(RLIMIT_NOFILE, &rl))
			return false;
		/* the hard limit when it is higher, else (root may raise it) 4x */
		if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max <= rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur * 4;
		snprintf(why + n, sz - n,
			 ": every program, link and perf event is a file descriptor, and this "
			 "process may open %llu (RLIMIT_NOFILE); raise it (ulimit -n %llu) or "
			 "use fewer programs",
			 (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
		return true;
	case ENFILE:
		snprintf(why + n, sz - n,
			 ": the system's table of open files is full (fs.file-max); raise it "
			 "(sysctl fs.file-max) or close files");
		return true;
	case ENOMEM:
	case EPERM:
		if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
			return false;
		snprintf(why + n, sz - n,
			 ": locked memory is limited to %llu KB here (RLIMIT_MEMLOCK), which "
			 "kernels before 5.11 charge BPF to; raise it (ulimit -l unlimited)",
			 (unsigned long long)rl.rlim_cur / 1024);
		return true;
	}
	return false;
}

/* attach by section --------------------------------------------------- */

/* no such tracepoint or kernel function (attach_tracepoint, hook_failure) */
static bool target_missing(const struct prog_plan *p, int err)
{
	return err == -ENOENT &&
	       (p->hook == HOOK_TP || p->hook == HOOK_KPROBE || p->hook == HOOK_KRETPROBE ||
		p->hook == HOOK_RAW_TP || p->hook == HOOK_TP_BTF);
}

static int attach_perf_auto(struct coolbpf_object *obj, struct prog_plan *p,
			    struct bpf_program *prog, const char **kind, char *where,
			    size_t where_sz, char *why, size_t why_sz);
static void auto_links_free(struct coolbpf_object *obj);

int coolbpf_object__attach(struct coolbpf_object *obj)
{
	size_t n = 0, same = 0;
	char said[512] = "";
	int err = 0;

	if (!obj || !obj->loaded)
		return cb_err(-EINVAL);
	if (obj->auto_links)
		return cb_err(-EALREADY);
	coolbpf_mount_fs();
	for (size_t i = 0; i < obj->nr_plans; i++)
		n += obj->plans[i].enabled || obj->plans[i].skipped;
	obj->auto_links = calloc(n ? n : 1, sizeof(*obj->auto_links));
	if (!obj->auto_links)
		return cb_err(-ENOMEM);
	for (size_t i = 0; i < obj->nr_plans; i++) {
		struct prog_plan *p = &obj->plans[i];
		struct bpf_link *link = NULL;
		const char *kind = "none";
		char why[512] = "", where[256];
		int r, idx;

		if (!p->enabled && !p->skipped)
			continue;
		if (!p->enabled) {
			/* an optional program left out at load: reported, not attached */
			idx = attach_report_add(obj, p->name, p->section, "none", p->target,
						p->note, p->skipped);
			if (idx < 0) {
				err = idx;
				break;
			}
			continue;
		}
		if (p->hook == HOOK_PERF)
			r = attach_perf_auto(obj, p,
					     bpf_object__find_program_by_name(obj->bpf, p->name),
					     &kind, where, sizeof(where), why, sizeof(why));
		else
			r = attach_one(p, bpf_object__find_program_by_name(obj->bpf, p->name),
				       &kind, &link, why, sizeof(why), where, sizeof(where));
		if (r < 0) {
			if (!why[0])
				snprintf(why, sizeof(why), "%s", strerror(-r));
			object_limit_hint(r, kind, where, why, sizeof(why));
		}
		idx = attach_report_add(obj, p->name, p->section, kind, where,
					why[0] ? why : p->note, r < 0 ? r : 0);
		if (idx < 0) {
			bpf_link__destroy(link);
			err = idx;
			break;
		}
		obj->auto_links[obj->nr_auto++] = link;
		if (r < 0 && (p->optional || (obj->missing_optional && target_missing(p, r)))) {
			/* the caller can do without it: report, keep the rest */
			pr_info("program '%s' (%s) left out: %s\n", p->name, p->section, why);
		} else if (r < 0 && !strcmp(why, said)) {
			same++; /* said once, for the first of them */
			err = r;
		} else if (r < 0) {
			pr_warn("program '%s' (%s): %s\n", p->name, p->section, why);
			strlcpy_cb(said, why, sizeof(said));
			err = r;
		}
	}
	if (same)
		/* info: the last warning, coolbpf_errmsg(), stays the reason itself */
		pr_info("... and %zu more programs, for the same reason\n", same);
	if (err) {
		/* all or nothing: a half-attached tool reports wrong numbers */
		for (size_t i = 0; i < obj->nr_auto; i++) {
			bpf_link__destroy(obj->auto_links[i]);
			obj->auto_links[i] = NULL;
		}
		auto_links_free(obj);
		return cb_err(err);
	}
	return 0;
}

/* attach one program by hand ------------------------------------------ */

/* kernel.perf_event_max_sample_rate */
static int perf_max_rate(unsigned long long *rate)
{
	void *data;
	size_t len;
	int err = read_file_max("/proc/sys/kernel/perf_event_max_sample_rate", 64, &data, &len);

	if (err)
		return err;
	*rate = strtoull(data, NULL, 10);
	free(data);
	return *rate ? 0 : -EINVAL;
}

static int perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd,
			   unsigned long flags)
{
	return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

/* The online CPUs (/sys/devices/system/cpu/online: "0-3,5"); -errno. */
static int online_cpus(bool **mask, int *n)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	void *data;
	size_t len;
	char *p, *end;

	if (ncpu <= 0)
		return cb_err(ncpu < 0 ? ncpu : -ENOENT);
	*mask = calloc((size_t)ncpu, sizeof(**mask));
	if (!*mask)
		return cb_err(-ENOMEM);
	*n = ncpu;
	if (read_file("/sys/devices/system/cpu/online", &data, &len)) {
		for (int i = 0; i < ncpu; i++)
			(*mask)[i] = true;
		return 0;
	}
	for (p = data; *p && *p != '\n' && !err; p = *end == ',' ? end + 1 : end) {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			err = -EINVAL;
		else if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (long c = lo; !err && c <= hi && c < ncpu; c++)
			(*mask)[c] = true;
	}
	free(data);
	return err ? cb_err(err) : 0;
}

static const struct {
	const char *name;
	__u32 type;
	__u64 config;
} perf_names[] = {
	{ "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
	{ "bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES },
	{ "ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
};

int coolbpf_perf_event__parse(const char *name, __u32 *type, __u64 *config)
{
	struct strbuf sb = STRBUF_INIT;

	if (!name || !type || !config)
		return cb_err(-EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(perf_names); i++) {
		if (!strcmp(name, perf_names[i].name)) {
			*type = perf_names[i].type;
			*config = perf_names[i].config;
			return 0;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(perf_names); i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", perf_names[i].name);
	pr_warn("unknown perf event '%s': known are %s\n", name, strbuf_str(&sb));
	strbuf_release(&sb);
	return cb_err(-ENOENT);
}

/* "cpu-clock", else "type T config C" */
static void perf_attr_name(const struct perf_event_attr *attr, char *buf, size_t sz)
{
	for (size_t i = 0; i < ARRAY_SIZE(perf_names); i++) {
		if (perf_names[i].type == attr->type && perf_names[i].config == attr->config) {
			snprintf(buf, sz, "%s", perf_names[i].name);
			return;
		}
	}
	snprintf(buf, sz, "type %u config %llu", attr->type, (unsigned long long)attr->config);
}

static void perf_attr_from(const struct coolbpf_attach_opts *o, struct perf_event_attr *attr)
{
	const void *user = OPTS_GET(o, perf_attr, NULL);

	memset(attr, 0, sizeof(*attr));
	if (user) {
		__u32 usz = ((const struct perf_event_attr *)user)->size;

		if (!usz || usz > sizeof(*attr))
			usz = sizeof(*attr);
		memcpy(attr, user, usz);
		attr->size = sizeof(*attr);
		return;
	}
	attr->size = sizeof(*attr);
	attr->type = OPTS_GET(o, perf_type, 0);
	attr->config = OPTS_GET(o, perf_config, 0);
	if (!attr->type && !attr->config) {
		attr->type = PERF_TYPE_SOFTWARE;
		attr->config = PERF_COUNT_SW_CPU_CLOCK;
	}
	if (OPTS_GET(o, sample_period, 0)) {
		attr->sample_period = o->sample_period;
	} else {
		attr->freq = 1;
		attr->sample_freq = OPTS_GET(o, sample_freq, 0) ? o->sample_freq : 99;
	}
}

static int link_add(struct coolbpf_link *l, struct bpf_link *bl, int perf_fd)
{
	void *a = realloc(l->links, (l->n + 1) * sizeof(*l->links));
	void *b;

	if (!a)
		return cb_err(-ENOMEM);
	l->links = a;
	b = realloc(l->perf_fds, (l->n + 1) * sizeof(*l->perf_fds));
	if (!b)
		return cb_err(-ENOMEM);
	l->perf_fds = b;
	l->links[l->n] = bl;
	l->perf_fds[l->n++] = perf_fd;
	return 0;
}

static void link_detach(struct coolbpf_link *l)
{
	for (size_t i = 0; i < l->n; i++) {
		bpf_link__destroy(l->links[i]);
		if (l->perf_fds[i] >= 0)
			close(l->perf_fds[i]);
	}
	free(l->links);
	free(l->perf_fds);
	l->links = NULL;
	l->perf_fds = NULL;
	l->n = 0;
}

static int attach_perf(struct bpf_program *prog, const struct coolbpf_attach_opts *o,
		       struct coolbpf_link *l, char *where, size_t where_sz, char *why,
		       size_t why_sz)
{
	struct perf_event_attr attr;
	int cpu = OPTS_GET(o, cpu, -1), pid = OPTS_GET(o, pid, -1);
	int group = OPTS_GET(o, perf_group_fd, -1);
	unsigned long flags = OPTS_GET(o, perf_flags, 0) | PERF_FLAG_FD_CLOEXEC;
	bool *mask = NULL;
	int ncpu = 0, err;
	char ev[64];

	perf_attr_from(o, &attr);
	if (pid < 0 && cpu < 0) {
		err = online_cpus(&mask, &ncpu);
		if (err)
			return err;
	}
	perf_attr_name(&attr, ev, sizeof(ev));
	snprintf(where, where_sz, attr.freq ? "%s at %llu Hz%s" : "%s every %llu events%s", ev,
		 (unsigned long long)attr.sample_period,
		 cpu < 0 && pid < 0 ? " on every CPU" :
		 cpu >= 0	    ? " on one CPU" :
				      "");
	for (int c = mask ? 0 : cpu; c < (mask ? ncpu : cpu + 1); c++) {
		struct bpf_link *bl;
		int fd;

		if (mask && !mask[c])
			continue;
		fd = perf_event_open(&attr, pid, c, group, flags);
		if (fd < 0) {
			unsigned long long max_rate = 0;

			err = -errno;
			if (err == -EINVAL && attr.freq && perf_max_rate(&max_rate) == 0 &&
			    attr.sample_freq > max_rate)
				snprintf(why, why_sz,
					 "%llu Hz is over this kernel's limit of %llu "
					 "(kernel.perf_event_max_sample_rate): ask for less, or "
					 "raise it (sysctl kernel.perf_event_max_sample_rate=%llu)",
					 (unsigned long long)attr.sample_freq, max_rate,
					 (unsigned long long)attr.sample_freq);
			else if (err == -ENOENT || err == -EOPNOTSUPP || err == -ENODEV)
				snprintf(why, why_sz,
					 "this machine has no '%s' perf event (%s): use a software "
					 "event such as cpu-clock",
					 ev,
					 attr.type == PERF_TYPE_HARDWARE ?
						 "no hardware counters: a VM or a container?" :
						 "not supported here");
			else {
				snprintf(why, why_sz, "perf_event_open on CPU %d: %s", c,
					 strerror(-err));
				object_limit_hint(err, "perf_event", where, why, why_sz);
			}
			goto fail;
		}
		bl = bpf_program__attach_perf_event(prog, fd);
		if (!bl) {
			err = -errno;
			close(fd);
			snprintf(why, why_sz, "cannot attach to the perf event on CPU %d: %s", c,
				 strerror(-err));
			goto fail;
		}
		err = link_add(l, bl, fd);
		if (err) {
			bpf_link__destroy(bl);
			close(fd);
			goto fail;
		}
	}
	free(mask);
	return 0;
fail:
	free(mask);
	link_detach(l);
	return err;
}

/* SEC("perf_event") in coolbpf_object__attach(): the event of
 * coolbpf_object__set_perf_event() (default 99 Hz cpu-clock) on every
 * online CPU, as a link of obj->links that __detach() frees. */
static int attach_perf_auto(struct coolbpf_object *obj, struct prog_plan *p,
			    struct bpf_program *prog, const char **kind, char *where,
			    size_t where_sz, char *why, size_t why_sz)
{
	COOLBPF_ATTACH_OPTS(dflt, .kind = COOLBPF_ATTACH_PERF_EVENT);
	struct coolbpf_link *l = calloc(1, sizeof(*l));
	int err;

	(void)p;
	*kind = "perf_event";
	if (!l)
		return cb_err(-ENOMEM);
	l->obj = obj;
	l->auto_made = true;
	err = attach_perf(prog, obj->perf_opts.sz ? &obj->perf_opts : &dflt, l, where, where_sz,
			  why, why_sz);
	if (err) {
		free(l);
		return err;
	}
	l->att = obj->nr_att; /* the report entry the caller adds next */
	l->next = obj->links;
	obj->links = l;
	return 0;
}

static void auto_links_free(struct coolbpf_object *obj)
{
	struct coolbpf_link **pp = &obj->links;

	while (*pp) {
		struct coolbpf_link *l = *pp;

		if (!l->auto_made) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		link_detach(l);
		free(l);
	}
}

int coolbpf_object__set_perf_event(struct coolbpf_object *obj,
				   const struct coolbpf_attach_opts *opts)
{
	enum coolbpf_attach_kind k;

	if (!obj || !OPTS_VALID(opts, coolbpf_attach_opts))
		return cb_err(-EINVAL);
	k = OPTS_GET(opts, kind, COOLBPF_ATTACH_PERF_EVENT);
	if (k != COOLBPF_ATTACH_AUTO && k != COOLBPF_ATTACH_PERF_EVENT) {
		pr_warn("perf event of '%s': the opts must be of kind COOLBPF_ATTACH_PERF_EVENT\n",
			obj->name);
		return cb_err(-EINVAL);
	}
	if (obj->auto_links) {
		pr_warn("perf event of '%s': set it before coolbpf_object__attach()\n", obj->name);
		return cb_err(-EBUSY);
	}
	memset(&obj->perf_opts, 0, sizeof(obj->perf_opts));
	obj->perf_opts.pid = -1;
	obj->perf_opts.cpu = -1;
	obj->perf_opts.perf_group_fd = -1;
	if (opts)
		memcpy(&obj->perf_opts, opts,
		       opts->sz < sizeof(obj->perf_opts) ? opts->sz : sizeof(obj->perf_opts));
	obj->perf_opts.sz = sizeof(obj->perf_opts);
	obj->perf_opts.kind = COOLBPF_ATTACH_PERF_EVENT;
	return 0;
}

static int attach_by_kind(struct coolbpf_object *obj, struct prog_plan *p, struct bpf_program *prog,
			  const struct coolbpf_attach_opts *o, struct coolbpf_link *l,
			  const char **kind, char *where, size_t where_sz, char *why, size_t why_sz)
{
	enum coolbpf_attach_kind k = OPTS_GET(o, kind, COOLBPF_ATTACH_AUTO);
	const char *target = OPTS_GET(o, target, NULL);
	struct bpf_link *bl = NULL;
	int err;

	(void)obj;
	if (k != COOLBPF_ATTACH_AUTO && k != COOLBPF_ATTACH_PERF_EVENT && (!target || !*target)) {
		snprintf(why, why_sz, "no target given");
		return -EINVAL;
	}
	strlcpy_cb(where, target ? target : "", where_sz);
	if (k == COOLBPF_ATTACH_AUTO && p->hook == HOOK_PERF)
		k = COOLBPF_ATTACH_PERF_EVENT;
	switch (k) {
	case COOLBPF_ATTACH_AUTO:
		err = attach_one(p, prog, kind, &bl, why, why_sz, where, where_sz);
		if (err > 0) /* no automatic target */
			return -EOPNOTSUPP;
		break;
	case COOLBPF_ATTACH_KPROBE:
	case COOLBPF_ATTACH_KRETPROBE: {
		LIBBPF_OPTS(bpf_kprobe_opts, ko, .retprobe = k == COOLBPF_ATTACH_KRETPROBE,
			    .offset = (size_t)OPTS_GET(o, offset, 0));

		*kind = ko.retprobe ? "kretprobe" : "kprobe";
		if (!kernel_has_kprobes()) {
			snprintf(why, why_sz,
				 "this kernel has no kprobe support (no kprobe PMU, no "
				 "kprobe_events: built without CONFIG_KPROBES); use a tracepoint");
			return -EOPNOTSUPP;
		}
		bl = bpf_program__attach_kprobe_opts(prog, target, &ko);
		err = bl ? 0 : -errno;
		if (err)
			hook_failure(HOOK_KPROBE, target, err, why, why_sz);
		break;
	}
	case COOLBPF_ATTACH_UPROBE:
	case COOLBPF_ATTACH_URETPROBE: {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = k == COOLBPF_ATTACH_URETPROBE,
			    .func_name = OPTS_GET(o, symbol, NULL));
		int pid = OPTS_GET(o, pid, -1);

		*kind = uo.retprobe ? "uretprobe" : "uprobe";
		if (uo.func_name)
			snprintf(where, where_sz, "%s:%s", target, uo.func_name);
		bl = bpf_program__attach_uprobe_opts(prog, pid > 0 ? pid : -1, target,
						     (size_t)OPTS_GET(o, offset, 0), &uo);
		err = bl ? 0 : -errno;
		if (err)
			snprintf(why, why_sz, "cannot attach to '%s': %s", where, strerror(-err));
		break;
	}
	case COOLBPF_ATTACH_TRACEPOINT:
		*kind = "tracepoint";
		err = attach_tracepoint(prog, target, where, where_sz, &bl, why, why_sz);
		break;
	case COOLBPF_ATTACH_RAW_TRACEPOINT:
		*kind = "raw_tp";
		bl = bpf_program__attach_raw_tracepoint(prog, target);
		err = bl ? 0 : -errno;
		if (err)
			hook_failure(HOOK_RAW_TP, target, err, why, why_sz);
		break;
	case COOLBPF_ATTACH_PERF_EVENT:
		*kind = "perf_event";
		return attach_perf(prog, o, l, where, where_sz, why, why_sz);
	default:
		snprintf(why, why_sz, "unknown attach kind %d", (int)k);
		return -EINVAL;
	}
	if (!err && bl)
		err = link_add(l, bl, -1);
	if (err && bl)
		bpf_link__destroy(bl);
	return err;
}

struct coolbpf_link *coolbpf_object__attach_program(struct coolbpf_object *obj, const char *prog,
						    const struct coolbpf_attach_opts *opts)
{
	struct prog_plan *p = NULL;
	struct bpf_program *bp;
	struct coolbpf_link *l;
	const char *kind = "program";
	char why[512] = "", where[256] = "";
	int err;

	if (!obj || !prog || !OPTS_VALID(opts, coolbpf_attach_opts))
		return cb_err_ptr(-EINVAL);
	if (!obj->loaded) {
		pr_warn("cannot attach '%s': load the object first\n", prog);
		return cb_err_ptr(-EINVAL);
	}
	for (size_t i = 0; i < obj->nr_plans && !p; i++)
		p = !strcmp(obj->plans[i].name, prog) ? &obj->plans[i] : NULL;
	bp = p && p->enabled ? bpf_object__find_program_by_name(obj->bpf, prog) : NULL;
	if (!bp) {
		pr_warn("cannot attach: '%s' has no %sprogram '%s'\n", obj->name,
			p ? "loaded " : "", prog);
		return cb_err_ptr(-ENOENT);
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return cb_err_ptr(-ENOMEM);
	l->obj = obj;
	coolbpf_mount_fs();
	err = attach_by_kind(obj, p, bp, opts, l, &kind, where, sizeof(where), why, sizeof(why));
	if (err && !why[0])
		snprintf(why, sizeof(why), "%s", strerror(-err));
	if (attach_report_add(obj, p->name, p->section, kind, where, err ? why : p->note, err) <
		    0 &&
	    !err)
		err = -ENOMEM;
	if (err) {
		link_detach(l);
		free(l);
		pr_warn("program '%s' (%s): %s\n", p->name, p->section, why);
		return cb_err_ptr(err);
	}
	l->next = obj->links;
	obj->links = l;
	return l;
}

size_t coolbpf_link__perf_count(const struct coolbpf_link *link)
{
	size_t n = 0;

	for (size_t i = 0; link && i < link->n; i++)
		n += link->perf_fds[i] >= 0;
	return n;
}

void coolbpf_link__destroy(struct coolbpf_link *link)
{
	struct coolbpf_link **pp;

	if (!link)
		return;
	for (pp = &link->obj->links; *pp && *pp != link; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = link->next;
	link_detach(link);
	free(link);
}

/* detach -------------------------------------------------------------- */

void coolbpf_object__detach(struct coolbpf_object *obj)
{
	if (!obj)
		return;
	events_drain_stop(obj); /* nothing new will come */
	for (size_t i = 0; i < obj->nr_auto; i++)
		bpf_link__destroy(obj->auto_links[i]);
	free(obj->auto_links);
	obj->auto_links = NULL;
	obj->nr_auto = 0;
	auto_links_free(obj);
	/* links made by hand stay valid, empty, until destroyed */
	for (struct coolbpf_link *l = obj->links; l; l = l->next)
		link_detach(l);
	report_clear(obj);
}

void attach_release(struct coolbpf_object *obj)
{
	coolbpf_object__detach(obj);
	while (obj->links) {
		struct coolbpf_link *l = obj->links;

		obj->links = l->next;
		free(l);
	}
	free(obj->att);
	obj->att = NULL;
	obj->cap_att = 0;
}
