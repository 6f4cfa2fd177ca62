// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Load: plan hook fallbacks (kprobe <-> fentry, kretprobe <-> fexit,
 * tp_btf <-> raw_tp on the same target), leave out optional programs the
 * kernel cannot host, load in rounds until a plan loads, and turn a
 * failure into one message that says what to do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "object.h"

#define MAX_LOAD_ROUNDS 8

/* The last load wrote a verifier log: the kernel judged the program. */
static bool verifier_failed(void)
{
	const char *log = object_verifier_log();

	return log && log[0];
}

static const struct {
	const char *prefix;
	enum hook hook;
} hook_prefixes[] = {
	{ "kprobe/", HOOK_KPROBE },	    { "kretprobe/", HOOK_KRETPROBE },
	{ "fentry/", HOOK_FENTRY },	    { "fexit/", HOOK_FEXIT },
	{ "tracepoint/", HOOK_TP },	    { "tp/", HOOK_TP },
	{ "raw_tracepoint/", HOOK_RAW_TP }, { "raw_tp/", HOOK_RAW_TP },
	{ "tp_btf/", HOOK_TP_BTF },	    { "uprobe", HOOK_UPROBE },
	{ "uretprobe", HOOK_UPROBE },	    { "perf_event", HOOK_PERF },
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
	case HOOK_KPROBE:
		return HOOK_FENTRY;
	case HOOK_FENTRY:
		return HOOK_KPROBE;
	case HOOK_KRETPROBE:
		return HOOK_FEXIT;
	case HOOK_FEXIT:
		return HOOK_KRETPROBE;
	case HOOK_TP_BTF:
		return HOOK_RAW_TP;
	case HOOK_RAW_TP:
		return HOOK_TP_BTF;
	default:
		return HOOK_OTHER;
	}
}

void plans_free(struct coolbpf_object *obj)
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

/* What coolbpf_object__program_info() says of a plan: its hook by name
 * (the section's prefix for hooks coolbpf does not plan: "perf_event",
 * "xdp"), and what is loaded where the kernel lacks that hook. */
static void plan_info(const struct coolbpf_object *obj, struct prog_plan *p)
{
	if (p->hook == HOOK_OTHER || p->hook == HOOK_NONE)
		snprintf(p->hook_str, sizeof(p->hook_str), "%.*s", (int)strcspn(p->section, "/."),
			 p->section);
	else
		strlcpy_cb(p->hook_str, hook_name(p->hook), sizeof(p->hook_str));
	p->info.name = p->name;
	p->info.section = p->section;
	p->info.hook = p->hook_str;
	p->info.target = p->target;
	p->info.fallback = p->alt >= 0		  ? obj->plans[p->alt].name :
			   p->hook == HOOK_TP_BTF ? "raw_tp" :
						    NULL;
}

int plans_build(struct coolbpf_object *obj)
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
	for (size_t i = 0; i < obj->nr_plans; i++)
		plan_info(obj, &obj->plans[i]);
	return 0;
}

const struct coolbpf_program_info *coolbpf_object__program_info(const struct coolbpf_object *obj,
								size_t i)
{
	if (!obj || i >= obj->nr_plans)
		return cb_err_ptr(-ENOENT);
	return &obj->plans[i].info;
}

/* Choose one program of each alternative pair before the first load. */
static void plans_choose(struct coolbpf_object *obj)
{
	/* fentry/fexit/tp_btf attach by the kernel's own BTF type ids: without
	 * /sys/kernel/btf/vmlinux (archive BTF serves CO-RE only) they cannot load */
	bool kernel_btf = access(SYS_BTF, R_OK) == 0;

	for (size_t i = 0; i < obj->nr_plans; i++) {
		struct prog_plan *a = &obj->plans[i], *b, *typed, *untyped;

		/* a lone tp_btf without kernel BTF: opened as raw_tp already
		 * (object.c's section handler), attached as one */
		if (!kernel_btf && a->hook == HOOK_TP_BTF && a->alt < 0 && a->enabled) {
			a->to_raw_tp = true;
			snprintf(a->note, sizeof(a->note), "loaded as raw_tp: no kernel BTF");
			continue;
		}
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
			snprintf(untyped->note, sizeof(untyped->note),
				 "instead of %s '%s': no kernel BTF", hook_name(typed->hook),
				 typed->name);
		}
	}
}

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

const char *hook_name(enum hook h)
{
	switch (h) {
	case HOOK_KPROBE:
		return "kprobe";
	case HOOK_KRETPROBE:
		return "kretprobe";
	case HOOK_FENTRY:
		return "fentry";
	case HOOK_FEXIT:
		return "fexit";
	case HOOK_TP:
		return "tracepoint";
	case HOOK_RAW_TP:
		return "raw_tp";
	case HOOK_TP_BTF:
		return "tp_btf";
	case HOOK_UPROBE:
		return "uprobe";
	case HOOK_PERF:
		return "perf_event";
	default:
		return "program";
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

/* libbpf's -ESRCH for an fentry/fexit whose function, or a tp_btf whose
 * tracepoint, the kernel's BTF lacks, in words (false: it is there, or
 * not that case) */
static bool fentry_missing(const struct prog_plan *p, int err, char *why, size_t sz)
{
	struct strbuf sb = STRBUF_INIT;
	char tp[256];

	if ((err != -ESRCH && err != -ENOENT) || !p->target)
		return false;
	if (p->hook == HOOK_TP_BTF) {
		snprintf(tp, sizeof(tp), "btf_trace_%s", p->target);
		if (kernel_btf_has(tp, BTF_KIND_TYPEDEF) != 0)
			return false;
		snprintf(why, sz, "no tracepoint '%s' in this kernel (its BTF has no %s)",
			 p->target, tp);
		return true;
	}
	if ((p->hook != HOOK_FENTRY && p->hook != HOOK_FEXIT) ||
	    kernel_btf_has(p->target, BTF_KIND_FUNC) != 0)
		return false;
	attach_suggest_tracepoint(p->target, &sb);
	snprintf(why, sz,
		 "no function '%s' in this kernel (%s attaches to functions its BTF lists)%s%s",
		 p->target, hook_name(p->hook), sb.len ? "; a tracepoint near it: " : "",
		 strbuf_str(&sb));
	strbuf_release(&sb);
	return true;
}

static int report_prog_failure(struct prog_plan *p, int err)
{
	struct strbuf sb = STRBUF_INIT;
	char missing[512];

	if (fentry_missing(p, err, missing, sizeof(missing))) {
		pr_warn("program '%s' (%s): %s\n", p->name, p->section, missing);
		return cb_err(err);
	}

	if (err == -EPERM && (p->hook == HOOK_FENTRY || p->hook == HOOK_FEXIT)) {
		pr_warn("program '%s' (%s): this kernel does not permit %s programs (EPERM)%s\n",
			p->name, p->section, hook_name(p->hook),
			kernel_has_kprobes() ? "; add a kprobe variant of it, coolbpf falls back "
					       "to it" :
					       "; this kernel has no kprobes either: use a "
					       "tracepoint");
		return cb_err(err);
	}
	if (err == -EPERM) {
		pr_warn("program '%s' (%s): permission denied: run as root (CAP_BPF and "
			"CAP_PERFMON)\n",
			p->name, p->section);
		return cb_err(err);
	}
	verifier_summary(verifier_failed() ? object_verifier_log() : "", &sb);
	if (sb.len)
		pr_warn("verifier rejected program '%s' (%s):\n%s", p->name, p->section,
			strbuf_str(&sb));
	else {
		char why[512] = "";

		/* out of files or locked memory: say which limit, and how to raise it */
		object_limit_hint(err, "program", p->name, why, sizeof(why));
		pr_warn("program '%s' (%s): the kernel refused to load it: %s\n", p->name,
			p->section, why[0] ? why : strerror(-err));
	}
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
	if (!strcmp(nobpf_backend(), "none")) {
		pr_warn("this kernel has no bpf() system call (built with CONFIG_BPF_SYSCALL=n): "
			"load the coolbpf_nobpf module to run BPF programs through it "
			"('make nobpf NOBPF_KDIR=/lib/modules/$(uname -r)/build' and insmod "
			"build/nobpf/coolbpf_nobpf.ko; see docs/NOBPF.md)\n");
		return cb_err(-ENOSYS);
	}
	plans_choose(obj);
	err = check_kprobes(obj);
	if (err)
		return err;
	for (int round = 0; round < MAX_LOAD_ROUNDS; round++) {
		struct prog_plan *p;
		char why[400];
		bool missing;

		if (round) {
			err = object_reopen(obj);
			if (err)
				return err;
		}
		plans_apply(obj);
		lost_table_prepare(obj);
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
		if (err == -ESRCH && obj->btf.source == BTF_SRC_NONE)
			p = NULL;
		else if (report_map_failure(obj, err))
			return err;
		else
			p = failed_plan(obj);
		if (!p) {
			char msg[PATH_MAX + 512];

			if (obj->btf.source == BTF_SRC_NONE) {
				btf_missing_message(&obj->btf, msg, sizeof(msg));
				pr_warn("cannot load '%s': %s\n", obj->name, msg);
			} else {
				pr_warn("cannot load '%s': %s\n", obj->name, strerror(-err));
			}
			return cb_err(err);
		}
		missing = fentry_missing(p, err, why, sizeof(why));
		if (p->alt >= 0 && !obj->plans[p->alt].enabled && !obj->plans[p->alt].note[0] &&
		    (kernel_has_kprobes() || (obj->plans[p->alt].hook != HOOK_KPROBE &&
					      obj->plans[p->alt].hook != HOOK_KRETPROBE))) {
			struct prog_plan *q = &obj->plans[p->alt];

			p->enabled = false;
			q->enabled = true;
			snprintf(q->note, sizeof(q->note), "instead of %s '%s': %s",
				 hook_name(p->hook), p->name, missing ? why : strerror(-err));
			continue;
		}
		/* a tp_btf the kernel cannot take (no BTF, no tracing programs)
		 * may load as raw_tp; a verifier rejection would not change */
		if (p->hook == HOOK_TP_BTF && !p->to_raw_tp && !verifier_failed() && !missing) {
			p->to_raw_tp = true;
			snprintf(p->note, sizeof(p->note), "loaded as raw_tp: tp_btf failed: %s",
				 strerror(-err));
			continue;
		}
		/* an optional program the kernel does not permit or cannot
		 * resolve is left out; a verifier rejection is still a bug */
		if ((p->optional || (missing && obj->missing_optional)) && !verifier_failed()) {
			p->enabled = false;
			p->skipped = err;
			snprintf(p->note, sizeof(p->note), "left out: %s%s%s",
				 missing ? "" : hook_name(p->hook), missing ? "" : ": ",
				 missing ? why : strerror(-err));
			continue;
		}
		return report_prog_failure(p, err);
	}
	pr_warn("cannot load '%s': no combination of fallbacks loads\n", obj->name);
	return cb_err(-EINVAL);
}

int coolbpf_object__set_missing_optional(struct coolbpf_object *obj, bool on)
{
	if (!obj)
		return cb_err(-EINVAL);
	if (obj->loaded)
		return cb_err(-EBUSY);
	obj->missing_optional = on;
	return 0;
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

size_t coolbpf_object__program_count(const struct coolbpf_object *obj)
{
	return obj ? obj->nr_plans : 0;
}

const char *coolbpf_object__program_name(const struct coolbpf_object *obj, size_t i)
{
	if (!obj || i >= obj->nr_plans)
		return cb_err_ptr(-ENOENT);
	return obj->plans[i].name;
}

const char *coolbpf_object__program_section(const struct coolbpf_object *obj, size_t i)
{
	if (!obj || i >= obj->nr_plans)
		return cb_err_ptr(-ENOENT);
	return obj->plans[i].section;
}
