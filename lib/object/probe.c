// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the running kernel can host, found by trying: a program of the kind
 * is loaded and attached where that is the question (fentry on a kernel
 * that loads tracing programs may still refuse to attach them), never by
 * kernel version. Results are kept for the process.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

#include "object.h"

static bool pmu_or_events(const char *pmu, const char *events)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu);
	if (access(path, F_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/%s", tracefs_root(), events);
	return access(path, F_OK) == 0;
}

bool kernel_has_kprobes(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = pmu_or_events("kprobe", "kprobe_events");
	return cached;
}

/*
 * A tracepoint of the function's own subsystem: its category is the
 * function's first word (or one starts with the other) and its event holds
 * some of the other words; or an event that holds all of the function's
 * words but one, at least three (sched:sched_wakeup_new for
 * wake_up_new_task). Else nothing: a word shared by chance ("read" in
 * msr:read_msr for vfs_read) is no relation.
 */
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
	if (nwords < 2 || read_file(path, &data, &len))
		return;
	for (char *line = data, *next; line && *line; line = next) {
		char *event = strchr(line, ':');
		size_t l, cl;
		int score = 0;
		bool own;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!event)
			continue;
		cl = (size_t)(event - line);
		l = strlen(line);
		own = !strncmp(line, words[0], cl < strlen(words[0]) ? cl : strlen(words[0]));
		for (int i = own; i < nwords; i++)
			score += strstr(event + 1, words[i]) != NULL;
		if (!own && (score < 3 || score < nwords - 1))
			continue;
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

/* in /sys/kernel/btf/vmlinux, or a module's BTF split on it */
int kernel_btf_has(const char *name, int kind)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int found;
	DIR *d;

	if (!vmlinux)
		return -errno;
	found = btf__find_by_name_kind(vmlinux, name, kind) > 0;
	d = found ? NULL : opendir("/sys/kernel/btf");
	for (struct dirent *e; d && !found && (e = readdir(d));) {
		char path[PATH_MAX];
		struct btf *mod;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", e->d_name);
		mod = btf__parse_split(path, vmlinux);
		if (!mod)
			continue;
		found = btf__find_by_name_kind(mod, name, kind) > 0;
		btf__free(mod);
	}
	if (d)
		closedir(d);
	btf__free(vmlinux);
	return found;
}

/* A traceable kernel function and a BTF-typed tracepoint present in every
 * kernel worth tracing; the first one found is tried. */
static const char *const probe_funcs[] = { "do_nanosleep", "vfs_read", "ksys_read",
					   "do_sys_openat2", NULL };
static const char *const probe_tps[] = { "btf_trace_sched_switch", "btf_trace_sys_enter", NULL };

static int find_btf_id(const struct btf *vmlinux, const char *const names[], int kind)
{
	for (const char *const *n = names; *n; n++) {
		int id = btf__find_by_name_kind(vmlinux, *n, kind);

		if (id > 0)
			return id;
	}
	return -ENOENT;
}

/* Load r0 = 0; exit as a tracing program of attach type at on BTF id, and
 * attach it: 1 attached, 0 the kernel refused, -errno cannot tell. */
static int try_tracing(enum bpf_attach_type at, const char *const names[], int kind)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id, fd, link, err;

	if (!vmlinux)
		return 0; /* no kernel BTF: no typed hooks */
	id = find_btf_id(vmlinux, names, kind);
	btf__free(vmlinux);
	if (id < 0)
		return 0;
	{
		LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = at,
			    .attach_btf_id = (__u32)id);

		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "coolbpf_probe", "GPL", insns,
				   ARRAY_SIZE(insns), &po);
	}
	if (fd < 0) {
		err = -errno;
		return geteuid() != 0 && err == -EPERM ? cb_err(err) : 0;
	}
	link = bpf_link_create(fd, 0, at, NULL);
	if (link < 0)
		link = bpf_raw_tracepoint_open(NULL, fd);
	err = link >= 0;
	if (link >= 0)
		close(link);
	close(fd);
	return err;
}

int coolbpf_probe_hook(enum coolbpf_hook hook)
{
	static int known[COOLBPF_HOOK_PERF_EVENT + 1];
	int r;

	if ((unsigned)hook > COOLBPF_HOOK_PERF_EVENT)
		return cb_err(-EINVAL);
	if (known[hook])
		return known[hook] > 0 ? 1 : 0;
	switch (hook) {
	case COOLBPF_HOOK_KPROBE:
		r = kernel_has_kprobes();
		break;
	case COOLBPF_HOOK_UPROBE:
		r = pmu_or_events("uprobe", "uprobe_events");
		break;
	case COOLBPF_HOOK_FENTRY:
		r = try_tracing(BPF_TRACE_FENTRY, probe_funcs, BTF_KIND_FUNC);
		break;
	case COOLBPF_HOOK_TP_BTF:
		r = try_tracing(BPF_TRACE_RAW_TP, probe_tps, BTF_KIND_TYPEDEF);
		break;
	default:
		r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, NULL);
		if (r < 0 && geteuid() != 0)
			return cb_err(-EPERM);
		r = r > 0;
		break;
	}
	if (r < 0)
		return r;
	known[hook] = r ? 1 : -1;
	return r;
}

COOLBPF_API const char *coolbpf_bpf_backend(void)
{
	return nobpf_backend();
}
