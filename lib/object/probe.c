// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the running kernel can host, found by trying: a program of the kind
 * is loaded and attached where that is the question (fentry on a kernel
 * that loads tracing programs may still refuse to attach them), never by
 * kernel version. Results are kept for the process.
 */
#include <dirent.h>
#include <pthread.h>
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

/* The kernel BTF object fd of module mod (its name in /sys/kernel/btf),
 * opened once a process and kept: a program loaded on one of the
 * module's types names it by this fd. -errno when none is. */
static int module_btf_fd(const char *mod)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct known {
		char name[64];
		int fd;
	} * known;
	static size_t nr_known;
	struct known *grown;
	int fd = -ENOENT;
	__u32 id = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nr_known; i++) {
		if (!strcmp(known[i].name, mod)) {
			fd = known[i].fd;
			goto out;
		}
	}
	while (!bpf_btf_get_next_id(id, &id)) {
		struct bpf_btf_info info = {};
		__u32 len = sizeof(info);
		char name[64] = "";
		int f = bpf_btf_get_fd_by_id(id);

		if (f < 0)
			continue;
		info.name = (__u64)(unsigned long)name;
		info.name_len = sizeof(name);
		if (!bpf_obj_get_info_by_fd(f, &info, &len) && info.kernel_btf &&
		    !strcmp(name, mod)) {
			fd = f;
			break;
		}
		close(f);
	}
	if (fd < 0) {
		/* the ids ran out (ENOENT), or could not be listed (EPERM) */
		fd = errno && errno != ENOENT ? -errno : -ENOENT;
		goto out;
	}
	/* one entry a module programs load on, never more than it has */
	grown = realloc(known, (nr_known + 1) * sizeof(*known));
	if (!grown) {
		close(fd);
		fd = -ENOMEM;
		goto out;
	}
	known = grown;
	strlcpy_cb(known[nr_known].name, mod, sizeof(known[0].name));
	known[nr_known++].fd = fd;
out:
	pthread_mutex_unlock(&lock);
	return fd;
}

/* What kernel_btf_find() does, through libbpf: for BTF the scan cannot
 * read (a kind newer than it knows, a name repeated past its count);
 * the file's whole BTF is loaded. */
static int libbpf_find(const char *path, const char *name, int kind, struct btf **vmlinux)
{
	struct btf *b;
	int id;

	if (!*vmlinux) {
		*vmlinux = btf__parse(SYS_BTF, NULL);
		if (!*vmlinux)
			return -errno;
	}
	if (!strcmp(path, SYS_BTF))
		return btf__find_by_name_kind(*vmlinux, name, kind);
	b = btf__parse_split(path, *vmlinux);
	if (!b)
		return -errno;
	id = btf__find_by_name_kind(b, name, kind);
	btf__free(b);
	return id;
}

/*
 * The kernel BTF type id of kind and name, as libbpf looks for one (in
 * vmlinux, then each module's BTF), read from /sys/kernel/btf without
 * loading any of it (lib/btf/scan.c: libbpf would hold 11 MB to learn
 * one number). > 0 with *obj_fd 0 (vmlinux) or the module's BTF fd
 * (kept by this file, not the caller's to close); -ENOENT when the
 * kernel's BTF has none; -ENODATA when the kernel has no BTF; -errno.
 */
int kernel_btf_find(const char *name, int kind, int *obj_fd)
{
	struct btf *vmlinux = NULL;
	struct btf_scan_base base;
	int id;
	DIR *d;

	*obj_fd = 0;
	if (access(SYS_BTF, R_OK) != 0)
		return cb_err(-ENODATA);
	id = btf_scan_find(SYS_BTF, name, kind, NULL, &base);
	if (id < 0 && id != -ENOENT) /* a BTF the scan cannot read: libbpf's way */
		id = libbpf_find(SYS_BTF, name, kind, &vmlinux);
	d = id == -ENOENT ? opendir("/sys/kernel/btf") : NULL;
	for (struct dirent *e; d && id == -ENOENT && (e = readdir(d));) {
		char path[PATH_MAX];

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", e->d_name);
		id = vmlinux ? -EPROTO : btf_scan_find(path, name, kind, &base, NULL);
		if (id < 0 && id != -ENOENT)
			id = libbpf_find(path, name, kind, &vmlinux);
		if (id > 0) {
			int fd = module_btf_fd(e->d_name);

			if (fd < 0)
				id = fd;
			else
				*obj_fd = fd;
		}
	}
	if (d)
		closedir(d);
	btf__free(vmlinux);
	return id < 0 ? cb_err(id) : id;
}

int kernel_btf_has(const char *name, int kind)
{
	int fd, id = kernel_btf_find(name, kind, &fd);

	return id > 0 ? 1 : id == -ENOENT ? 0 : id;
}

/* A traceable kernel function and a BTF-typed tracepoint present in every
 * kernel worth tracing; the first one found is tried. */
static const char *const probe_funcs[] = { "do_nanosleep", "vfs_read", "ksys_read",
					   "do_sys_openat2", NULL };
static const char *const probe_tps[] = { "btf_trace_sched_switch", "btf_trace_sys_enter", NULL };

/* the first of names the kernel's BTF has, as kernel_btf_find() finds it */
static int find_btf_id(const char *const names[], int kind, int *obj_fd)
{
	for (const char *const *n = names; *n; n++) {
		int id = kernel_btf_find(*n, kind, obj_fd);

		if (id != -ENOENT)
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
	int obj_fd, id = find_btf_id(names, kind, &obj_fd), fd, link, err;

	if (id < 0)
		return 0; /* no kernel BTF, or none of names: no typed hooks */
	{
		LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = at,
			    .attach_btf_id = (__u32)id, .attach_btf_obj_fd = (__u32)obj_fd);

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
