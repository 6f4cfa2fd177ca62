// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compiler runs untrusted code paths on untrusted input, so each
 * compile runs in a fresh process (this binary re-executed with
 * --worker, never fork() from the threaded server) that, before it
 * reads a byte of the source into clang:
 *   - closes every inherited descriptor but stdin/stdout/stderr,
 *   - sets RLIMIT_CPU/AS/FSIZE/NPROC/NOFILE/CORE (inherited by clang),
 *   - enters a new, empty network namespace, and a mount namespace
 *     where the pipeline's tmp/ is a private, size-bounded tmpfs,
 *   - restricts itself with Landlock: read/execute only on the system's
 *     program and library directories and include directories, read on
 *     the target BTF file, read/write only on the pipeline's kernels/
 *     (vmlinux.h + PCH) and tmp/ directories; no TCP (ABI >= 4), no
 *     signals or abstract sockets outside the sandbox (ABI >= 6).
 * So `#include "/etc/passwd"`, `.incbin "/root/x"`, `__has_include` and
 * friends fail with "file not found" naming only the path. The parent
 * kills the worker's process group after the wall-clock limit.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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

#define WORKER_MAGIC  0x43424644u /* "CBFD" */
#define WORKER_IN_MAX (2u * 1024 * 1024)

int sandbox_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? -errno : (int)v;
}

/* parent ----------------------------------------------------------- */

static int put_field(struct strbuf *sb, const void *data, size_t len)
{
	uint32_t n = (uint32_t)len;
	int err = strbuf_add(sb, &n, sizeof(n));

	return err ? err : strbuf_add(sb, data, len);
}

static int put_str(struct strbuf *sb, const char *s)
{
	return put_field(sb, s ? s : "", s ? strlen(s) : 0);
}

static int put_num(struct strbuf *sb, unsigned long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%llu", v);

	return put_field(sb, num, (size_t)n);
}

/* Read fd to EOF into sb until the deadline or max bytes. 0, -ETIMEDOUT, -E2BIG. */
static int read_until(int fd, struct strbuf *sb, size_t max, double deadline)
{
	char buf[65536];

	for (;;) {
		double left = deadline - mono_now();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (sb->len + (size_t)n > max)
			return -E2BIG;
		if (strbuf_add(sb, buf, (size_t)n))
			return -ENOMEM;
	}
}

static enum sandbox_status failed(struct sandbox_result *res, const char *what, int err)
{
	snprintf(res->err, sizeof(res->err), "%s: %s", what, strerror(err < 0 ? -err : err));
	return res->status = SANDBOX_FAILED;
}

static enum sandbox_status parse_output(const struct strbuf *out, struct sandbox_result *res)
{
	uint32_t hdr[4];

	if (out->len < sizeof(hdr))
		return failed(res, "worker exited without a result", EIO);
	memcpy(hdr, out->buf, sizeof(hdr));
	if (hdr[0] != WORKER_MAGIC || sizeof(hdr) + (size_t)hdr[2] + hdr[3] != out->len)
		return failed(res, "worker returned a malformed result", EIO);
	res->log = strndup(out->buf + sizeof(hdr), hdr[2]);
	if (!res->log)
		return failed(res, "worker result", ENOMEM);
	if ((int32_t)hdr[1] == 0) {
		res->obj = malloc(hdr[3] ? hdr[3] : 1);
		if (!res->obj)
			return failed(res, "worker result", ENOMEM);
		memcpy(res->obj, out->buf + sizeof(hdr) + hdr[2], hdr[3]);
		res->obj_sz = hdr[3];
		return res->status = SANDBOX_OK;
	}
	if ((int32_t)hdr[1] == -EINVAL && hdr[2])
		return res->status = SANDBOX_COMPILE_ERROR;
	/* the worker's message (not clang's) is in the log field */
	snprintf(res->err, sizeof(res->err), "%s", res->log);
	free(res->log);
	res->log = NULL;
	return res->status = SANDBOX_FAILED;
}

enum sandbox_status sandbox_compile(const struct sandbox_config *cfg,
				    const struct compile_request *req, const char *kernel,
				    const char *btf_path, struct sandbox_result *res)
{
	static char *const envp[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
		"LC_ALL=C",
		"HOME=/nonexistent",
		NULL,
	};
	char *const argv[] = { (char *)cfg->self, "--worker", NULL };
	struct strbuf msg = STRBUF_INIT, out = STRBUF_INIT;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	sigset_t none, def;
	pid_t pid;
	int err, status;

	memset(res, 0, sizeof(*res));
	err = put_str(&msg, cfg->pipeline_root);
	err = err ?: put_str(&msg, kernel);
	err = err ?: put_str(&msg, btf_path);
	err = err ?: put_str(&msg, req->arch);
	err = err ?: put_num(&msg, cfg->timeout_s);
	err = err ?: put_num(&msg, cfg->mem_bytes);
	err = err ?: put_num(&msg, req->n_defines);
	for (size_t i = 0; !err && i < req->n_defines; i++)
		err = put_str(&msg, req->defines[i]);
	err = err ?: put_field(&msg, req->source, req->source_len);
	if (err) {
		strbuf_release(&msg);
		return failed(res, "worker request", err);
	}
	if (pipe2(in, O_CLOEXEC) || pipe2(outp, O_CLOEXEC)) {
		err = -errno;
		strbuf_release(&msg);
		if (in[0] >= 0)
			close(in[0]), close(in[1]);
		return failed(res, "pipe", err);
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	/* its own process group: the timeout kills clang too */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	err = posix_spawn(&pid, cfg->self, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	close(outp[1]);
	if (err) {
		close(in[1]);
		close(outp[0]);
		strbuf_release(&msg);
		return failed(res, "cannot start the worker", err);
	}
	/* the worker reads its whole request before doing anything else */
	err = write_all(in[1], msg.buf, msg.len);
	close(in[1]);
	strbuf_release(&msg);
	if (!err)
		err = read_until(outp[0], &out, cfg->output_max, mono_now() + cfg->timeout_s);
	close(outp[0]);
	/* the group: clang or bpftool may outlive a dead worker */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (err == -ETIMEDOUT) {
		snprintf(res->err, sizeof(res->err), "compile took longer than %u s",
			 cfg->timeout_s);
		res->status = SANDBOX_TIMEOUT;
	} else if (err == -E2BIG) {
		snprintf(res->err, sizeof(res->err), "compile output is larger than %zu bytes",
			 cfg->output_max);
		res->status = SANDBOX_TOO_LARGE;
	} else if (err) {
		failed(res, "worker", err);
	} else {
		parse_output(&out, res);
		if (res->status == SANDBOX_FAILED && !res->err[0])
			snprintf(res->err, sizeof(res->err), "worker failed (status 0x%x)", status);
	}
	strbuf_release(&out);
	return res->status;
}

void sandbox_result_release(struct sandbox_result *res)
{
	if (!res)
		return;
	free(res->log);
	free(res->obj);
	memset(res, 0, sizeof(*res));
}

/* worker ----------------------------------------------------------- */

struct worker_in {
	const char *root, *kernel, *btf_path, *arch;
	unsigned long long timeout_s, mem;
	const char *defines[REQ_DEFINES_MAX + 1];
	const char *src;
	size_t src_len;
};

/* Fields are <u32 len><bytes>; each is copied NUL-terminated into arena. */
static const char *get_field(const char **p, const char *end, size_t *len)
{
	uint32_t n;
	char *s;

	if ((size_t)(end - *p) < sizeof(n))
		return NULL;
	memcpy(&n, *p, sizeof(n));
	*p += sizeof(n);
	if ((size_t)(end - *p) < n)
		return NULL;
	s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n;
	if (len)
		*len = n;
	return s;
}

static int parse_input(const char *buf, size_t len, struct worker_in *in)
{
	const char *p = buf, *end = buf + len, *s;
	unsigned long long n;

	memset(in, 0, sizeof(*in));
	if (!(in->root = get_field(&p, end, NULL)) || !(in->kernel = get_field(&p, end, NULL)) ||
	    !(in->btf_path = get_field(&p, end, NULL)) || !(in->arch = get_field(&p, end, NULL)) ||
	    !(s = get_field(&p, end, NULL)))
		return -EINVAL;
	in->timeout_s = strtoull(s, NULL, 10);
	if (!(s = get_field(&p, end, NULL)))
		return -EINVAL;
	in->mem = strtoull(s, NULL, 10);
	if (!(s = get_field(&p, end, NULL)))
		return -EINVAL;
	n = strtoull(s, NULL, 10);
	if (n > REQ_DEFINES_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!(in->defines[i] = get_field(&p, end, NULL)))
			return -EINVAL;
	}
	if (!(in->src = get_field(&p, end, &in->src_len)) || p != end)
		return -EINVAL;
	return 0;
}

static int set_limit(int res, rlim_t v)
{
	struct rlimit rl = { v, v };

	return setrlimit(res, &rl) ? -errno : 0;
}

static int ll_add(int ruleset, const char *path, __u64 access, __u64 handled)
{
	struct landlock_path_beneath_attr pb = { 0 };
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* absent here: nothing to allow */
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

static int landlock_apply(const struct worker_in *in)
{
	const __u64 R = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	const __u64 RX = R | LANDLOCK_ACCESS_FS_EXECUTE;
	const __u64 RW = R | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
			 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR |
			 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR;
	/* programs, their libraries, clang's resource dir (/usr/lib/llvm-N) */
	static const char *const rx[] = { "/usr/bin",	     "/usr/sbin",      "/usr/lib",
					  "/usr/lib64",	     "/usr/libexec",   "/usr/local/bin",
					  "/usr/local/sbin", "/usr/local/lib", "/bin",
					  "/sbin",	     "/lib",	       "/lib64" };
	/* headers lbc.h and BPF programs include; the dynamic loader's cache;
	 * the running kernel's BTF (the default target) */
	static const char *const r[] = { "/usr/include", "/usr/local/include", "/etc/ld.so.cache",
					 "/sys/kernel/btf/vmlinux" };
	struct ll_ruleset_attr attr = { 0 };
	char kernels[PATH_MAX], tmp[PATH_MAX];
	size_t attr_sz = sizeof(attr.handled_access_fs);
	int abi = sandbox_landlock_abi(), fd, err = 0;

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
	if (snprintf(kernels, sizeof(kernels), "%s/kernels", in->root) >= (int)sizeof(kernels) ||
	    snprintf(tmp, sizeof(tmp), "%s/tmp", in->root) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_sz, 0);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; !err && i < ARRAY_SIZE(rx); i++)
		err = ll_add(fd, rx[i], RX, attr.handled_access_fs);
	for (size_t i = 0; !err && i < ARRAY_SIZE(r); i++)
		err = ll_add(fd, r[i], R, attr.handled_access_fs);
	if (!err && in->btf_path[0])
		err = ll_add(fd, in->btf_path, R, attr.handled_access_fs);
	if (!err)
		err = ll_add(fd, "/dev/null", RW, attr.handled_access_fs);
	if (!err)
		err = ll_add(fd, kernels, RW, attr.handled_access_fs);
	if (!err)
		err = ll_add(fd, tmp, RW, attr.handled_access_fs);
	if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = -errno;
	if (!err && syscall(SYS_landlock_restrict_self, fd, 0))
		err = -errno;
	close(fd);
	return err;
}

static int worker_print(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level != COOLBPF_WARN)
		return 0;
	return fprintf(stderr, "coolbpfd worker[%d]: %s", (int)getpid(), msg);
}

static void worker_reply(int32_t rc, const char *log, const void *obj, size_t obj_sz)
{
	uint32_t hdr[4] = { WORKER_MAGIC, (uint32_t)rc, (uint32_t)strlen(log), (uint32_t)obj_sz };

	if (!write_all(1, hdr, sizeof(hdr)) && !write_all(1, log, hdr[2]))
		write_all(1, obj, obj_sz);
}

static void worker_fail(const char *what, int err)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "worker: %s: %s", what, strerror(err < 0 ? -err : err));
	worker_reply(-EIO, msg, NULL, 0);
	_exit(1);
}

/* AddressSanitizer reserves terabytes of address space for its shadow, so
 * an ASan build (make test-asan) cannot run under RLIMIT_AS; its other
 * limits, the wall clock and the namespaces still hold. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED_ASAN 1
#endif
#endif
#ifndef SANITIZED_ASAN
#define SANITIZED_ASAN 0
#endif

int sandbox_worker_main(void)
{
	struct coolbpf_compile_result res = { 0 };
	struct strbuf buf = STRBUF_INIT;
	struct worker_in in;
	char tmp[PATH_MAX];
	int err;

	syscall(SYS_close_range, 3U, ~0U, 0U);
	if (read_until(0, &buf, WORKER_IN_MAX, mono_now() + 10) ||
	    parse_input(buf.buf, buf.len, &in))
		worker_fail("bad request from the server", EINVAL);
	if ((err = set_limit(RLIMIT_CPU, in.timeout_s)) ||
	    (!SANITIZED_ASAN && (err = set_limit(RLIMIT_AS, in.mem))) ||
	    (err = set_limit(RLIMIT_FSIZE, 512ULL << 20)) || (err = set_limit(RLIMIT_NPROC, 64)) ||
	    (err = set_limit(RLIMIT_NOFILE, 256)) || (err = set_limit(RLIMIT_CORE, 0)))
		worker_fail("setrlimit", err);
	/* a new empty network namespace, and a mount namespace where the
	 * pipeline's tmp/ is a private tmpfs: concurrent compiles cannot see
	 * each other's sources, and nothing outlives the worker (as root;
	 * otherwise inside a user namespace) */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) &&
	    unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS))
		worker_fail("unshare(CLONE_NEWNET | CLONE_NEWNS)", errno);
	if (snprintf(tmp, sizeof(tmp), "%s/tmp", in.root) >= (int)sizeof(tmp))
		worker_fail("pipeline tmp", ENAMETOOLONG);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("coolbpfd-tmp", tmp, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=512m,mode=0700"))
		worker_fail("private tmpfs", errno);
	if (chdir(tmp))
		worker_fail("chdir to the pipeline's tmp", errno);
	setenv("TMPDIR", tmp, 1);
	err = landlock_apply(&in);
	if (err)
		worker_fail("landlock", err);

	coolbpf_set_print(worker_print);
	{
		/* no from_env(): the server's environment never reaches a compile
		 * (no COOLBPF_SERVER recursion); coolbpfd caches whole responses
		 * itself, so the object cache is neither read nor written */
		COOLBPF_COMPILE_OPTS(opts, .kernel = in.kernel[0] ? in.kernel : NULL,
				     .btf_path = in.btf_path[0] ? in.btf_path : NULL,
				     .arch = in.arch[0] ? in.arch : NULL, .defines = in.defines,
				     .cache_dir = in.root, .no_cache = true, .no_cache_write = true,
				     .tool_path = getenv("PATH"));

		err = coolbpf_compile_buf("prog.bpf.c", in.src, in.src_len, &opts, &res);
	}
	if (!err)
		worker_reply(0, res.log ? res.log : "", res.obj, res.obj_sz);
	else if (err == -EINVAL && res.log && res.log[0])
		worker_reply(-EINVAL, res.log, NULL, 0);
	else
		worker_reply(err, coolbpf_errmsg()[0] ? coolbpf_errmsg() : strerror(-err), NULL, 0);
	_exit(0);
}
