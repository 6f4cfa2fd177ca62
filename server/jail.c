// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The worker's confinement, entered by "coolbpfd --worker" (still root,
 * already in new mount, network, IPC, UTS and PID namespaces) before it
 * reads a byte of the source into clang:
 *
 *  - a root filesystem built for this compile: a small tmpfs holding only
 *    what toolchain.c found (clang's installation, clang and bpftool, the
 *    libraries they load, the system headers, the loader's cache) and
 *    /dev/null, each bound read-only at its own path; the per-kernel
 *    headers at /coolbpf/kernels (read-only: the server makes them, see
 *    the prep job), the target BTF at /coolbpf/target.btf, and the only
 *    writable place, a private tmpfs at /coolbpf/tmp. pivot_root into it
 *    and the host's tree is detached: every other path does not exist,
 *    so `#include`, `.incbin` or `__has_include` of a host file finds
 *    nothing, and /proc (host pids) is not there at all;
 *  - no root: an unprivileged uid and gid of the worker's own (no
 *    capabilities, RLIMIT_NPROC counts), no new privileges;
 *  - Landlock over the new tree (defence in depth: read-only but for
 *    /coolbpf/tmp, no TCP, no signals or abstract sockets out);
 *  - a seccomp filter: the system calls a compiler has no use for that
 *    reach the kernel or other processes (bpf, perf_event_open, ptrace,
 *    sockets, mount, keyctl, namespaces, modules, ...) fail with EPERM.
 */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/base.h"
#include "sandbox.h"

/* Newer than Debian 12's <linux/landlock.h>; the kernel (6.18) has them. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define LL_NET_BIND_TCP		      (1ULL << 0)
#define LL_NET_CONNECT_TCP	      (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL		      (1ULL << 1)

/* struct landlock_ruleset_attr as of ABI 6; its size tells the kernel
 * which fields we pass */
struct ll_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;
	__u64 scoped;
};

int sandbox_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? -errno : (int)v;
}

/* the root filesystem ------------------------------------------------ */

#define MAX_BOUND_DIRS 64

struct root_build {
	const char *root;	    /* where the new root is mounted, on the host */
	char *dirs[MAX_BOUND_DIRS]; /* host directories bound whole */
	size_t n_dirs;
};

static bool covered(const struct root_build *rb, const char *path)
{
	for (size_t i = 0; i < rb->n_dirs; i++) {
		size_t n = strlen(rb->dirs[i]);

		if (!strncmp(path, rb->dirs[i], n) && (path[n] == '/' || !path[n]))
			return true;
	}
	return false;
}

static int bind_at(struct root_build *rb, const char *src, const char *dst, bool is_dir,
		   bool writable)
{
	int fd;

	if (is_dir) {
		if (mkdir(dst, 0755) && errno != EEXIST)
			return -errno;
	} else {
		fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	if (mount(src, dst, NULL, MS_BIND, NULL))
		return -errno;
	if (!writable &&
	    mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
		return -errno;
	if (is_dir && rb->n_dirs < MAX_BOUND_DIRS && !(rb->dirs[rb->n_dirs] = strdup(src)))
		return -ENOMEM;
	if (is_dir && rb->n_dirs < MAX_BOUND_DIRS)
		rb->n_dirs++;
	return 0;
}

/*
 * Make the host's absolute path exist at the same place under the new
 * root: its directories made, its symbolic links copied and followed
 * (so /usr/bin/clang -> ../lib/llvm-14/bin/clang resolves inside as
 * outside), its last component bound.
 */
static int replicate(struct root_build *rb, const char *path, bool writable, int depth)
{
	char cur[PATH_MAX], dst[PATH_MAX], target[PATH_MAX], next[PATH_MAX];
	const char *p = path;
	size_t len = 0;
	struct stat st;

	if (depth > 16)
		return -ELOOP;
	cur[0] = '\0';
	while (*p) {
		size_t n;
		bool last;

		p += strspn(p, "/");
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			/* the components so far are real directories */
			while (len && cur[len - 1] != '/')
				len--;
			if (len)
				len--;
			cur[len] = '\0';
			p += n;
			continue;
		}
		if (len + 1 + n >= sizeof(cur))
			return -ENAMETOOLONG;
		cur[len++] = '/';
		memcpy(cur + len, p, n);
		len += n;
		cur[len] = '\0';
		p += n;
		last = p[strspn(p, "/")] == '\0';
		if (covered(rb, cur))
			return 0;
		if (lstat(cur, &st))
			return -errno;
		if (pathf(dst, sizeof(dst), "%s%s", rb->root, cur))
			return -ENAMETOOLONG;
		if (S_ISLNK(st.st_mode)) {
			ssize_t t = readlink(cur, target, sizeof(target) - 1);

			if (t < 0)
				return -errno;
			target[t] = '\0';
			if (symlink(target, dst) && errno != EEXIST)
				return -errno;
			while (len && cur[len - 1] != '/')
				len--;
			cur[len ? len - 1 : 0] = '\0';
			if (target[0] == '/' ? pathf(next, sizeof(next), "%s%s", target, p) :
					       pathf(next, sizeof(next), "%s/%s%s", cur, target, p))
				return -ENAMETOOLONG;
			return replicate(rb, next, writable, depth + 1);
		}
		if (!last) {
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
			if (mkdir(dst, 0755) && errno != EEXIST)
				return -errno;
			continue;
		}
		return bind_at(rb, cur, dst, S_ISDIR(st.st_mode), writable);
	}
	return 0;
}

static int fail_at(char *err, size_t err_sz, const char *what, const char *path, int e)
{
	snprintf(err, err_sz, "%s '%s': %s", what, path, strerror(e < 0 ? -e : e));
	return e < 0 ? e : -e;
}

/* /coolbpf: kernels/ (read-only but for the prep job), target.btf, tmp/ */
static int build_work_dir(struct root_build *rb, const struct jail_spec *s, char *err,
			  size_t err_sz)
{
	char path[PATH_MAX], opts[128];
	int rc;

	if (pathf(path, sizeof(path), "%s%s", rb->root, JAIL_ROOT) ||
	    (mkdir(path, 0755) && errno != EEXIST))
		return fail_at(err, err_sz, "cannot create", JAIL_ROOT, errno);
	pathf(path, sizeof(path), "%s%s/kernels", rb->root, JAIL_ROOT);
	rc = bind_at(rb, s->kernels, path, true, s->kernels_rw);
	if (rc)
		return fail_at(err, err_sz, "cannot bind", s->kernels, rc);
	if (s->btf[0]) {
		pathf(path, sizeof(path), "%s%s", rb->root, JAIL_BTF);
		rc = bind_at(rb, s->btf, path, false, false);
		if (rc)
			return fail_at(err, err_sz, "cannot bind", s->btf, rc);
	}
	pathf(path, sizeof(path), "%s%s/tmp", rb->root, JAIL_ROOT);
	snprintf(opts, sizeof(opts), "size=512m,mode=0700,uid=%u,gid=%u", (unsigned)s->uid,
		 (unsigned)s->gid);
	if (mkdir(path, 0755) ||
	    mount("coolbpfd-tmp", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts))
		return fail_at(err, err_sz, "cannot mount a tmpfs on", path, errno);
	return 0;
}

static int build_root(const struct jail_spec *s, char *err, size_t err_sz)
{
	struct root_build rb = { .root = s->root_dir };
	char old[PATH_MAX];
	int rc = 0;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return fail_at(err, err_sz, "cannot make private", "/", errno);
	if (mount("coolbpfd-root", s->root_dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=16m,mode=0755"))
		return fail_at(err, err_sz, "cannot mount a tmpfs on", s->root_dir, errno);
	for (size_t i = 0; !rc && i < s->n_binds; i++) {
		rc = replicate(&rb, s->binds[i], false, 0);
		if (rc)
			fail_at(err, err_sz, "cannot bind", s->binds[i], rc);
	}
	if (!rc && (rc = replicate(&rb, "/dev/null", true, 0)))
		fail_at(err, err_sz, "cannot bind", "/dev/null", rc);
	/* the running kernel's BTF, the default target */
	if (!rc && !access("/sys/kernel/btf/vmlinux", R_OK) &&
	    (rc = replicate(&rb, "/sys/kernel/btf/vmlinux", false, 0)))
		fail_at(err, err_sz, "cannot bind", "/sys/kernel/btf/vmlinux", rc);
	if (!rc)
		rc = build_work_dir(&rb, s, err, err_sz);
	for (size_t i = 0; i < rb.n_dirs; i++)
		free(rb.dirs[i]);
	if (rc)
		return rc;
	pathf(old, sizeof(old), "%s/.old", s->root_dir);
	if (mkdir(old, 0700) || syscall(SYS_pivot_root, s->root_dir, old) || chdir("/") ||
	    umount2("/.old", MNT_DETACH) || rmdir("/.old"))
		return fail_at(err, err_sz, "cannot pivot_root to", s->root_dir, errno);
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
		return fail_at(err, err_sz, "cannot make read-only", "/", errno);
	if (chdir(JAIL_ROOT "/tmp"))
		return fail_at(err, err_sz, "cannot enter", JAIL_ROOT "/tmp", errno);
	return 0;
}

/* privileges --------------------------------------------------------- */

static int drop_root(const struct jail_spec *s)
{
	if (setgroups(0, NULL) || setresgid(s->gid, s->gid, s->gid) ||
	    setresuid(s->uid, s->uid, s->uid))
		return -errno;
	/* the change from uid 0 cleared the capabilities */
	if (!geteuid())
		return -EPERM;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -errno : 0;
}

static int ll_add(int ruleset, const char *path, __u64 access, __u64 handled)
{
	struct landlock_path_beneath_attr pb = { 0 };
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
			  LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
			  LANDLOCK_ACCESS_FS_IOCTL_DEV;
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0))
		err = -errno;
	close(fd);
	return err;
}

/* Inside the new root: read and execute everywhere, write in tmp/ (and
 * kernels/ for the prep job) and /dev/null. */
static int landlock_apply(bool kernels_rw)
{
	const __u64 RX = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
			 LANDLOCK_ACCESS_FS_EXECUTE;
	const __u64 RW = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
			 LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
			 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR |
			 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR;
	struct ll_ruleset_attr attr = { 0 };
	size_t attr_sz = sizeof(attr.handled_access_fs);
	int abi = sandbox_landlock_abi(), fd, err;

	if (abi < 1)
		return abi < 0 ? abi : -EOPNOTSUPP;
	attr.handled_access_fs = (1ULL << 13) - 1; /* ABI 1: EXECUTE .. MAKE_SYM */
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_sz = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 5)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		attr_sz = sizeof(attr);
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_sz, 0);
	if (fd < 0)
		return -errno;
	err = ll_add(fd, "/", RX, attr.handled_access_fs);
	if (!err)
		err = ll_add(fd, "/dev/null", RW, attr.handled_access_fs);
	if (!err)
		err = ll_add(fd, JAIL_ROOT "/tmp", RW, attr.handled_access_fs);
	if (!err && kernels_rw)
		err = ll_add(fd, JAIL_ROOT "/kernels", RW, attr.handled_access_fs);
	if (!err && syscall(SYS_landlock_restrict_self, fd, 0))
		err = -errno;
	close(fd);
	return err;
}

/* Refused with EPERM: nothing a compile needs, everything that reaches
 * the kernel's other subsystems or other processes. The filter holds for
 * the native ABI only; any other (x32, i386) kills the process. */
static int seccomp_apply(void)
{
	static const char *const denied[] = {
		"bpf",
		"perf_event_open",
		"ptrace",
		"process_vm_readv",
		"process_vm_writev",
		"kcmp",
		"pidfd_getfd",
		"socket",
		"socketpair",
		"connect",
		"bind",
		"listen",
		"accept",
		"accept4",
		"mount",
		"umount2",
		"pivot_root",
		"chroot",
		"move_mount",
		"open_tree",
		"fsopen",
		"fsconfig",
		"fsmount",
		"fspick",
		"mount_setattr",
		"unshare",
		"setns",
		"keyctl",
		"add_key",
		"request_key",
		"init_module",
		"finit_module",
		"delete_module",
		"kexec_load",
		"kexec_file_load",
		"reboot",
		"swapon",
		"swapoff",
		"acct",
		"quotactl",
		"syslog",
		"iopl",
		"ioperm",
		"settimeofday",
		"clock_settime",
		"clock_adjtime",
		"adjtimex",
		"sethostname",
		"setdomainname",
		"userfaultfd",
		"io_uring_setup",
		"io_uring_enter",
		"io_uring_register",
		"fanotify_init",
		"name_to_handle_at",
		"open_by_handle_at",
		"lookup_dcookie",
		"vhangup",
		"setuid",
		"setgid",
		"setreuid",
		"setregid",
		"setresuid",
		"setresgid",
		"setgroups",
		"capset",
	};
	static const unsigned long ns_flags[] = { CLONE_NEWNS,	  CLONE_NEWUSER, CLONE_NEWPID,
						  CLONE_NEWNET,	  CLONE_NEWIPC,	 CLONE_NEWUTS,
						  CLONE_NEWCGROUP };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = 0;

	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; !rc && i < ARRAY_SIZE(denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);

		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	/* clone() into new namespaces; clone3's flags sit in memory the
	 * filter cannot read: ENOSYS, and glibc falls back to clone() */
	for (size_t i = 0; !rc && i < ARRAY_SIZE(ns_flags); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int jail_enter(const struct jail_spec *s, char *err, size_t err_sz)
{
	int rc = build_root(s, err, err_sz);

	if (rc)
		return rc;
	rc = drop_root(s);
	if (rc)
		return fail_at(err, err_sz, "cannot drop root for uid", "worker", rc);
	rc = landlock_apply(s->kernels_rw);
	if (rc)
		return fail_at(err, err_sz, "cannot apply", "Landlock", rc);
	rc = seccomp_apply();
	if (rc)
		return fail_at(err, err_sz, "cannot apply", "seccomp", rc);
	return 0;
}
