// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tracefs and bpffs: find them, mount them when missing. */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "object.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static bool is_fs(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (long)st.f_type == magic;
}

static int mount_if_missing(const char *path, const char *type, long magic)
{
	if (is_fs(path, magic))
		return 0;
	if (mount(type, path, type, 0, NULL)) {
		int err = -errno;

		pr_warn("%s is not mounted at %s and mounting it failed: %s; as root run: "
			"mount -t %s %s %s\n",
			type, path, strerror(-err), type, type, path);
		return cb_err(err);
	}
	pr_info("mounted %s at %s\n", type, path);
	return 0;
}

const char *tracefs_root(void)
{
	if (is_fs("/sys/kernel/tracing", TRACEFS_MAGIC))
		return "/sys/kernel/tracing";
	if (is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC))
		return "/sys/kernel/debug/tracing";
	return "/sys/kernel/tracing";
}

int coolbpf_mount_fs(void)
{
	int err = 0;

	if (!is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC))
		err = mount_if_missing("/sys/kernel/tracing", "tracefs", TRACEFS_MAGIC);
	/* a kernel without bpf() has no bpffs (the module's maps are not
	 * pinned): nothing to mount, nothing to warn about */
	if (!strcmp(nobpf_backend(), "module"))
		return err;
	return mount_if_missing("/sys/fs/bpf", "bpf", BPF_FS_MAGIC) ?: err;
}
