// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf_printk output, streamed like BCC's trace_print. Reading the global
 * trace_pipe would steal lines from every other reader on the host, so
 * coolbpf creates its own tracefs instance (instances/coolbpf.<pid>) with
 * only the bpf_trace_printk event enabled, and reads that instance's pipe.
 * The kernel does not say which program printed a line: another BPF
 * program printing at the same time shows up too.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "object.h"

#define BPF_FUNC_TRACE_PRINTK  6
#define BPF_FUNC_TRACE_VPRINTK 177

static bool prog_uses_printk(const struct bpf_program *prog)
{
	const struct bpf_insn *insn = bpf_program__insns(prog);
	size_t n = bpf_program__insn_cnt(prog);

	for (size_t i = 0; insn && i < n; i++) {
		if (insn[i].code == (BPF_JMP | BPF_CALL) && insn[i].src_reg == 0 &&
		    (insn[i].imm == BPF_FUNC_TRACE_PRINTK || insn[i].imm == BPF_FUNC_TRACE_VPRINTK))
			return true;
	}
	return false;
}

static bool object_uses_printk(const struct coolbpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj->bpf) {
		if (bpf_program__autoload(prog) && prog_uses_printk(prog))
			return true;
	}
	return false;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Instances left by killed coolbpf processes. */
static void remove_stale_instances(const char *root)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/instances", root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (!str_has_prefix(de->d_name, "coolbpf."))
			continue;
		errno = 0;
		pid = strtol(de->d_name + 8, &end, 10);
		if (errno || *end || pid <= 0)
			continue;
		/* alive, or not ours to judge: leave it */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rmdir(path);
	}
	closedir(d);
}

static int trace_consume(void *ctx);

int coolbpf_object__open_trace(struct coolbpf_object *obj, coolbpf_trace_fn fn, void *ctx)
{
	char inst[PATH_MAX], path[PATH_MAX + 64];
	const char *root;
	int err;

	if (!obj || !obj->loaded || !fn)
		return cb_err(-EINVAL);
	if (obj->trace_fd >= 0)
		return 0;
	/* every run tidies what killed runs left, printk or not */
	remove_stale_instances(tracefs_root());
	if (!object_uses_printk(obj))
		return 0;
	coolbpf_mount_fs();
	root = tracefs_root();
	if (!strcmp(nobpf_backend(), "module")) {
		/* coolbpf_nobpf writes "bpf_trace_printk: msg" lines into the
		 * top-level buffer (the kernel has no bpf_trace event) */
		snprintf(path, sizeof(path), "%s/trace_pipe", root);
		goto open_pipe;
	}
	snprintf(inst, sizeof(inst), "%s/instances/coolbpf.%d", root, (int)getpid());
	if (mkdir(inst, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("cannot create tracefs instance '%s' for bpf_printk output: %s\n", inst,
			strerror(-err));
		return cb_err(err);
	}
	obj->trace_instance = strdup(inst);
	snprintf(path, sizeof(path), "%s/events/bpf_trace/bpf_trace_printk/enable", inst);
	err = write_str(path, "1");
	if (err) {
		pr_warn("cannot enable bpf_trace_printk events in '%s': %s\n", inst,
			strerror(-err));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/trace_pipe", inst);
open_pipe:
	obj->trace_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (obj->trace_fd < 0) {
		err = -errno;
		pr_warn("cannot open '%s': %s\n", path, strerror(-err));
		goto fail;
	}
	obj->on_trace = fn;
	obj->trace_ctx = ctx;
	err = events_add_source(obj, obj->trace_fd, trace_consume, obj);
	if (err)
		goto fail;
	return 0;
fail:
	trace_close(obj);
	return cb_err(err);
}

/* "   comm-123  [001] d..31  12.345: bpf_trace_printk: msg" -> keep all but
 * the event name, the shape BCC's trace_print shows. */
static void emit_line(struct coolbpf_object *obj, char *line)
{
	char *tag = strstr(line, "bpf_trace_printk: ");
	size_t n = strlen(line);

	if (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (tag)
		memmove(tag, tag + 18, strlen(tag + 18) + 1);
	while (*line == ' ')
		line++;
	/* bpf_printk("...\n") ends its line itself: the kernel's newline
	 * after it leaves an empty one, which is no line of the program's */
	if (!*line)
		return;
	obj->on_trace(obj->trace_ctx, line);
}

static int trace_consume(void *ctx)
{
	struct coolbpf_object *obj = ctx;
	char buf[8192];
	int lines = 0;

	for (;;) {
		ssize_t r = read(obj->trace_fd, buf, sizeof(buf));
		char *start, *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		strbuf_add(&obj->trace_partial, buf, (size_t)r);
		start = obj->trace_partial.buf;
		while ((nl = strchr(start, '\n'))) {
			*nl = '\0';
			emit_line(obj, start);
			lines++;
			start = nl + 1;
		}
		/* keep the unfinished tail */
		{
			size_t rest = strlen(start);

			memmove(obj->trace_partial.buf, start, rest + 1);
			obj->trace_partial.len = rest;
		}
	}
	return lines;
}

void trace_close(struct coolbpf_object *obj)
{
	if (obj->trace_fd >= 0)
		close(obj->trace_fd);
	obj->trace_fd = -1;
	if (obj->trace_instance) {
		if (rmdir(obj->trace_instance))
			pr_debug("cannot remove tracefs instance '%s': %s\n", obj->trace_instance,
				 strerror(errno));
		free(obj->trace_instance);
		obj->trace_instance = NULL;
	}
	strbuf_release(&obj->trace_partial);
}
