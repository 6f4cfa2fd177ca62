// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Making BTF: from a vmlinux's DWARF (pahole) and minimized for a set of
 * objects (bpftool gen min_core_btf). Both tools write files; results are
 * checked by parsing them before they are reported as made.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "cli.h"

#define TOOL_LOG_MAX (64u << 10)

static int check_btf(const char *path, const char *what)
{
	struct btf *btf = btf__parse(path, NULL);

	if (!btf) {
		int err = -errno;

		pr_warn("%s: '%s' is not valid BTF: %s\n", what, path, strerror(-err));
		unlink(path);
		return cb_err(err);
	}
	btf__free(btf);
	return 0;
}

int btf_gen_vmlinux(const char *vmlinux, const char *out)
{
	struct strbuf log = STRBUF_INIT;
	char enc[PATH_MAX + 32];
	/* what the kernel's own build passes pahole 1.24 (scripts/pahole-flags.sh) */
	const char *argv[] = { "pahole", "-j", "--btf_gen_floats", "--lang_exclude=rust", enc,
			       vmlinux,	 NULL };
	int rc;

	if (access(vmlinux, R_OK)) {
		rc = -errno;
		pr_warn("btf gen: cannot read '%s': %s\n", vmlinux, strerror(-rc));
		return cb_err(rc);
	}
	if (snprintf(enc, sizeof(enc), "--btf_encode_detached=%s", out) >= (int)sizeof(enc))
		return cb_err(-ENAMETOOLONG);
	rc = run_argv(argv, &log, TOOL_LOG_MAX);
	if (rc) {
		pr_warn("btf gen: pahole failed on '%s' (%s%d)%s%s\n", vmlinux,
			rc < 0 ? "cannot run: -" : "exit ", rc < 0 ? -rc : rc,
			rc == -ENOENT ? ": install dwarves (scripts/bootstrap)" : ":\n",
			strbuf_str(&log));
		strbuf_release(&log);
		return cb_err(rc < 0 ? rc : -EIO);
	}
	strbuf_release(&log);
	return check_btf(out, "btf gen");
}

int btf_min_objects(const char *full, const char *const *objs, const char *out)
{
	struct strbuf log = STRBUF_INIT;
	const char **argv;
	char tmp[PATH_MAX] = "";
	const char *in = full;
	size_t n = 0, i = 0;
	int rc;

	while (objs[n])
		n++;
	argv = calloc(n + 7, sizeof(*argv));
	if (!argv)
		return cb_err(-ENOMEM);
	if (str_has_suffix(full, ".gz")) {
		/* bpftool reads files only: unpack the archive entry */
		const char *dir = getenv("TMPDIR");
		void *raw;
		size_t raw_len;
		void *data;
		size_t len;
		int fd;

		rc = read_file(full, &raw, &raw_len);
		if (!rc) {
			rc = gunzip(raw, raw_len, &data, &len);
			free(raw);
		}
		if (rc) {
			pr_warn("btf min: cannot read '%s': %s\n", full, strerror(-rc));
			goto out;
		}
		snprintf(tmp, sizeof(tmp), "%s/coolbpf-btf.XXXXXX", dir && *dir ? dir : "/tmp");
		fd = mkstemp(tmp);
		rc = fd < 0 ? -errno : 0;
		if (fd >= 0) {
			close(fd);
			rc = write_file_atomic(tmp, data, len);
		}
		free(data);
		if (rc) {
			pr_warn("btf min: cannot write '%s': %s\n", tmp, strerror(-rc));
			if (fd < 0)
				tmp[0] = '\0';
			goto out;
		}
		in = tmp;
	}
	argv[i++] = access("/usr/sbin/bpftool", X_OK) ? "bpftool" : "/usr/sbin/bpftool";
	argv[i++] = "gen";
	argv[i++] = "min_core_btf";
	argv[i++] = in;
	argv[i++] = out;
	for (size_t j = 0; j < n; j++)
		argv[i++] = objs[j];
	rc = run_argv(argv, &log, TOOL_LOG_MAX);
	if (rc) {
		pr_warn("btf min: bpftool gen min_core_btf failed (%s%d)%s%s\n",
			rc < 0 ? "cannot run: -" : "exit ", rc < 0 ? -rc : rc,
			rc == -ENOENT ? ": install bpftool (scripts/bootstrap)" : ":\n",
			strbuf_str(&log));
		rc = rc < 0 ? rc : -EIO;
		goto out;
	}
	rc = check_btf(out, "btf min");
out:
	if (tmp[0])
		unlink(tmp);
	strbuf_release(&log);
	free(argv);
	return rc ? cb_err(rc) : 0;
}
