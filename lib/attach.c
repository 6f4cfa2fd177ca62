// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attach every loaded program by its section, and say where it went or
 * why it could not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "object.h"

bool kernel_has_kprobes(void)
{
	static int cached = -1;
	char path[PATH_MAX];

	if (cached < 0) {
		snprintf(path, sizeof(path), "%s/kprobe_events", tracefs_root());
		cached = access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
			 access(path, F_OK) == 0;
	}
	return cached;
}

/* Score tracepoints by how many words of the function name they contain. */
void attach_suggest_tracepoint(const char *func, struct strbuf *sb)
{
	char path[PATH_MAX], words[8][32];
	int nwords = 0, best_score = 0;
	size_t best_len = 0;
	char best[256] = "";
	const char *p = func;
	void *data;
	size_t len;

	while (*p && nwords < 8) {
		size_t n = strcspn(p, "_.+");

		if (n >= 2 && n < sizeof(words[0])) {
			memcpy(words[nwords], p, n);
			words[nwords++][n] = '\0';
		}
		p += n;
		p += strspn(p, "_.+");
	}
	snprintf(path, sizeof(path), "%s/available_events", tracefs_root());
	if (!nwords || read_file(path, &data, &len))
		return;
	for (char *line = data, *next; line && *line; line = next) {
		int score = 0;
		size_t l;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		l = strlen(line);
		for (int i = 0; i < nwords; i++)
			score += strstr(line, words[i]) != NULL;
		if (score > best_score || (score == best_score && score && l < best_len)) {
			best_score = score;
			best_len = l;
			strlcpy_cb(best, line, sizeof(best));
		}
	}
	free(data);
	if (best_score) {
		char *colon = strchr(best, ':');

		if (colon)
			*colon = '/';
		strbuf_addf(sb, "SEC(\"tp/%s\")", best);
	}
}

static int attach_tracepoint(struct bpf_program *prog, const char *target, char *where,
			     size_t where_sz, struct bpf_link **link, char *why, size_t why_sz)
{
	char cat[128], path[PATH_MAX];
	const char *slash = strchr(target, '/');

	if (!slash || (size_t)(slash - target) >= sizeof(cat)) {
		snprintf(why, why_sz, "section must be tp/<category>/<event>");
		return -EINVAL;
	}
	memcpy(cat, target, (size_t)(slash - target));
	cat[slash - target] = '\0';
	snprintf(where, where_sz, "%s:%s", cat, slash + 1);
	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs_root(), cat, slash + 1);
	if (access(path, F_OK)) {
		snprintf(why, why_sz,
			 "tracepoint '%s' does not exist in this kernel (see ls %s/events/%s)",
			 where, tracefs_root(), cat);
		return -ENOENT;
	}
	*link = bpf_program__attach_tracepoint(prog, cat, slash + 1);
	return *link ? 0 : -errno;
}

static int attach_one(struct coolbpf_object *obj, struct prog_plan *p, struct bpf_program *prog,
		      struct coolbpf_attach_info *ai, struct bpf_link **link, char *why,
		      size_t why_sz, char *where, size_t where_sz)
{
	int err;

	strlcpy_cb(where, p->target, where_sz);
	ai->kind = "program";
	switch (p->hook) {
	case HOOK_TP:
		ai->kind = "tracepoint";
		return attach_tracepoint(prog, p->target, where, where_sz, link, why, why_sz);
	case HOOK_RAW_TP:
		ai->kind = "raw_tp";
		*link = bpf_program__attach_raw_tracepoint(prog, p->target);
		break;
	case HOOK_TP_BTF:
		ai->kind = p->to_raw_tp ? "raw_tp" : "tp_btf";
		*link = p->to_raw_tp ? bpf_program__attach_raw_tracepoint(prog, p->target)
				     : bpf_program__attach_trace(prog);
		break;
	case HOOK_KPROBE:
	case HOOK_KRETPROBE:
		ai->kind = p->hook == HOOK_KPROBE ? "kprobe" : "kretprobe";
		*link = bpf_program__attach(prog);
		break;
	case HOOK_FENTRY:
	case HOOK_FEXIT:
		ai->kind = p->hook == HOOK_FENTRY ? "fentry" : "fexit";
		*link = bpf_program__attach(prog);
		break;
	case HOOK_UPROBE:
		ai->kind = str_has_prefix(p->section, "uretprobe") ? "uretprobe" : "uprobe";
		*link = bpf_program__attach(prog);
		break;
	default:
		*link = bpf_program__attach(prog);
		if (!*link && (errno == EOPNOTSUPP || errno == ESRCH)) {
			/* xdp, tc, socket filters, perf_event: the user picks the target */
			ai->kind = "loaded";
			snprintf(where, where_sz, "-");
			snprintf(why, why_sz,
				 "loaded, not attached: section '%s' has no automatic target",
				 p->section);
			return 1;
		}
		break;
	}
	if (*link)
		return 0;
	err = -errno;
	if ((p->hook == HOOK_KPROBE || p->hook == HOOK_KRETPROBE) && err == -ENOENT)
		snprintf(why, why_sz,
			 "no kernel function '%s' to probe (see %s/available_filter_functions)",
			 p->target, tracefs_root());
	else if (p->hook == HOOK_RAW_TP || p->hook == HOOK_TP_BTF)
		snprintf(why, why_sz, "cannot attach to tracepoint '%s': %s", p->target,
			 strerror(-err));
	else
		snprintf(why, why_sz, "%s", strerror(-err));
	(void)obj;
	return err;
}

int coolbpf_object__attach(struct coolbpf_object *obj)
{
	size_t n = 0;
	int err = 0;

	if (!obj || !obj->loaded)
		return cb_err(-EINVAL);
	if (obj->links)
		return cb_err(-EALREADY);
	coolbpf_mount_fs();
	for (size_t i = 0; i < obj->nr_plans; i++)
		n += obj->plans[i].enabled || obj->plans[i].skipped;
	obj->att = calloc(n ? n : 1, sizeof(*obj->att));
	obj->links = calloc(n ? n : 1, sizeof(*obj->links));
	if (!obj->att || !obj->links)
		return cb_err(-ENOMEM);
	for (size_t i = 0; i < obj->nr_plans; i++) {
		struct prog_plan *p = &obj->plans[i];
		struct coolbpf_attach_info *ai;
		struct bpf_program *prog;
		char why[512] = "", where[256];
		int r;

		ai = &obj->att[obj->nr_att];
		if (!p->enabled && p->skipped) {
			/* an optional program left out at load: reported, not attached */
			ai->prog = p->name;
			ai->section = p->section;
			ai->kind = "none";
			ai->target = strdup(p->target);
			ai->note = strdup(p->note);
			ai->err = p->skipped;
			obj->nr_att++;
			continue;
		}
		if (!p->enabled)
			continue;
		prog = bpf_object__find_program_by_name(obj->bpf, p->name);
		r = attach_one(obj, p, prog, ai, &obj->links[obj->nr_att], why, sizeof(why),
			       where, sizeof(where));
		ai->prog = p->name;
		ai->section = p->section;
		ai->target = strdup(where);
		ai->err = r < 0 ? r : 0;
		ai->note = why[0] ? strdup(why) : p->note[0] ? strdup(p->note) : NULL;
		obj->nr_att++;
		if (r < 0 && p->optional) {
			/* the caller can do without it: report, keep the rest */
			pr_info("program '%s' (%s) left out: %s\n", p->name, p->section, why);
		} else if (r < 0) {
			pr_warn("program '%s' (%s): %s\n", p->name, p->section, why);
			err = r;
		}
	}
	if (err) {
		/* all or nothing: a half-attached tool reports wrong numbers */
		for (size_t i = 0; i < obj->nr_att; i++) {
			bpf_link__destroy(obj->links[i]);
			obj->links[i] = NULL;
		}
		return cb_err(err);
	}
	return 0;
}

void coolbpf_object__detach(struct coolbpf_object *obj)
{
	if (!obj)
		return;
	for (size_t i = 0; i < obj->nr_att; i++) {
		bpf_link__destroy(obj->links[i]);
		free((char *)obj->att[i].target);
		free((char *)obj->att[i].note);
	}
	free(obj->links);
	free(obj->att);
	obj->links = NULL;
	obj->att = NULL;
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
