// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compiler runs untrusted code paths on untrusted input, so each
 * compile runs in a fresh process (this binary re-executed with
 * --worker, never fork() from the threaded server). The worker
 *   - closes every inherited descriptor but stdin/stdout/stderr, and dies
 *     with the server (PR_SET_PDEATHSIG);
 *   - sets RLIMIT_CPU/AS/FSIZE/NPROC/NOFILE/CORE (inherited by clang);
 *   - enters new mount, network, IPC, UTS, cgroup and PID namespaces and
 *     forks the namespace's first process, which does the rest: when it
 *     ends, or its parent dies, the kernel kills everything in it;
 *   - confines itself (jail.c: a root filesystem of its own, no root,
 *     Landlock, seccomp) and compiles.
 * The parent watches the worker's output, the wall clock and the
 * client's socket: past the limit, or when the client hangs up, it kills
 * the worker's process group.
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

#define WORKER_MAGIC  0x43424644u /* "CBFD" */
#define WORKER_IN_MAX (2u * 1024 * 1024)

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

static int put_request(struct strbuf *msg, const struct sandbox_config *cfg,
		       const struct sandbox_job *job)
{
	const struct compile_request *req = job->req;
	uid_t uid = cfg->uid_base + (job->mode == SANDBOX_PREP ? cfg->n_slots : job->slot);
	char kernels[PATH_MAX], tmp[PATH_MAX];
	int err;

	if (pathf(kernels, sizeof(kernels), "%s/kernels", cfg->pipeline_root) ||
	    pathf(tmp, sizeof(tmp), "%s/tmp", cfg->pipeline_root))
		return -ENAMETOOLONG;
	err = put_num(msg, job->mode);
	err = err ?: put_num(msg, (unsigned long long)getpid());
	err = err ?: put_str(msg, tmp);
	err = err ?: put_str(msg, kernels);
	err = err ?: put_str(msg, job->btf_path);
	err = err ?: put_str(msg, job->kernel);
	err = err ?: put_str(msg, job->arch);
	err = err ?: put_str(msg, cfg->tool_path);
	err = err ?: put_num(msg, uid);
	err = err ?: put_num(msg, cfg->timeout_s);
	err = err ?: put_num(msg, cfg->mem_bytes);
	err = err ?: put_num(msg, cfg->fs->n);
	for (size_t i = 0; !err && i < cfg->fs->n; i++)
		err = put_str(msg, cfg->fs->paths[i]);
	err = err ?: put_num(msg, req ? req->n_defines : 0);
	for (size_t i = 0; !err && req && i < req->n_defines; i++)
		err = put_str(msg, req->defines[i]);
	err = err ?: put_field(msg, req ? req->source : "", req ? req->source_len : 0);
	return err;
}

static pid_t spawn_worker(const struct sandbox_config *cfg, int in, int out)
{
	static char *const envp[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
		"LC_ALL=C",
		"HOME=/nonexistent",
		NULL,
	};
	char *const argv[] = { (char *)cfg->self, "--worker", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	pid_t pid;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
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
	return err ? -err : pid;
}

/* The worker's output to EOF, until the deadline, max bytes or the
 * client's hangup. 0, -ETIMEDOUT, -E2BIG, -ECANCELED, -errno. */
static int collect(int fd, const struct sandbox_job *job, struct strbuf *sb, size_t max,
		   double deadline)
{
	double next_tick = mono_now() + 1;
	char buf[65536];

	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = job->client_fd, .events = POLLRDHUP } };
		double now = mono_now(), left = deadline - now;
		ssize_t n;
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		if (job->tick && now >= next_tick) {
			job->tick(job->tick_arg);
			next_tick = now + 1;
		}
		rc = poll(p, job->client_fd >= 0 ? 2 : 1, (int)((left < 1 ? left : 1) * 1000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (job->client_fd >= 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return -ECANCELED;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
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

/*
 * Wait for the worker; when it has to be stopped, SIGTERM: it kills its
 * namespace's first process (the kernel then kills everything in the
 * namespace) and reaps it, so nothing is left for init to reap. One that
 * does not exit in 2 s loses its whole process group (not yet reaped, so
 * its group id cannot have been reused).
 */
static void stop_worker(pid_t pid, bool stop, int *status)
{
	double end = mono_now() + 2;
	pid_t r;

	if (stop)
		kill(pid, SIGTERM);
	while (stop && mono_now() < end) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return;
		usleep(5000);
	}
	if (stop)
		kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

enum sandbox_status sandbox_run(const struct sandbox_config *cfg, const struct sandbox_job *job,
				struct sandbox_result *res)
{
	struct strbuf msg = STRBUF_INIT, out = STRBUF_INIT;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	pid_t pid;
	int err, status = 0;

	memset(res, 0, sizeof(*res));
	err = put_request(&msg, cfg, job);
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
	pid = spawn_worker(cfg, in[0], outp[1]);
	close(in[0]);
	close(outp[1]);
	if (pid < 0) {
		close(in[1]);
		close(outp[0]);
		strbuf_release(&msg);
		return failed(res, "cannot start the worker", (int)pid);
	}
	/* the worker reads its whole request before doing anything else */
	err = write_all(in[1], msg.buf, msg.len);
	close(in[1]);
	strbuf_release(&msg);
	if (!err)
		err = collect(outp[0], job, &out, cfg->output_max, mono_now() + cfg->timeout_s);
	close(outp[0]);
	stop_worker(pid, err != 0, &status);
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		res->signal = WTERMSIG(status);
	else if (WIFEXITED(status) && WEXITSTATUS(status) > 128)
		res->signal = WEXITSTATUS(status) - 128; /* the namespace's first process */
	if (err == -ETIMEDOUT) {
		snprintf(res->err, sizeof(res->err), "compile took longer than %u s",
			 cfg->timeout_s);
		res->status = SANDBOX_TIMEOUT;
	} else if (err == -E2BIG) {
		snprintf(res->err, sizeof(res->err), "compile output is larger than %zu bytes",
			 cfg->output_max);
		res->status = SANDBOX_TOO_LARGE;
	} else if (err == -ECANCELED) {
		snprintf(res->err, sizeof(res->err), "the client went away");
		res->status = SANDBOX_CANCELLED;
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
	unsigned long long mode, server_pid, uid, timeout_s, mem, n_binds;
	const char *root_dir, *kernels, *btf_path, *kernel, *arch, *tool_path;
	const char *binds[256];
	const char *defines[REQ_DEFINES_MAX + 1];
	const char *src;
	size_t src_len;
};

/* Fields are <u32 len><bytes>; each is copied NUL-terminated (the worker
 * exits soon, nothing is freed). */
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

static int get_num(const char **p, const char *end, unsigned long long *v)
{
	const char *s = get_field(p, end, NULL);

	if (!s)
		return -EINVAL;
	*v = strtoull(s, NULL, 10);
	return 0;
}

static int parse_input(const char *buf, size_t len, struct worker_in *in)
{
	const char *p = buf, *end = buf + len;
	unsigned long long n;

	memset(in, 0, sizeof(*in));
	if (get_num(&p, end, &in->mode) || get_num(&p, end, &in->server_pid) ||
	    !(in->root_dir = get_field(&p, end, NULL)) ||
	    !(in->kernels = get_field(&p, end, NULL)) ||
	    !(in->btf_path = get_field(&p, end, NULL)) ||
	    !(in->kernel = get_field(&p, end, NULL)) || !(in->arch = get_field(&p, end, NULL)) ||
	    !(in->tool_path = get_field(&p, end, NULL)) || get_num(&p, end, &in->uid) ||
	    get_num(&p, end, &in->timeout_s) || get_num(&p, end, &in->mem) ||
	    get_num(&p, end, &in->n_binds) || in->n_binds > ARRAY_SIZE(in->binds))
		return -EINVAL;
	for (size_t i = 0; i < in->n_binds; i++) {
		if (!(in->binds[i] = get_field(&p, end, NULL)))
			return -EINVAL;
	}
	if (get_num(&p, end, &n) || n > REQ_DEFINES_MAX)
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

/* The prep job's program: compiled against the full vmlinux.h, it makes
 * kernels/<btf>/ (vmlinux.h, the PCH) that client compiles read. */
static const char prep_source[] =
	"#include \"lbc.h\"\n"
	"SEC(\"raw_tp/sched_switch\")\n"
	"int coolbpfd_prep(void *ctx)\n"
	"{\n"
	"\tstruct task_struct *t = (struct task_struct *)bpf_get_current_task();\n"
	"\treturn BPF_CORE_READ(t, pid) & 0;\n"
	"}\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

/*
 * A crash report of clang names its command line (paths of the server's
 * layout), its libraries and their load addresses: the client gets the
 * diagnostics about its own file and a sentence instead.
 */
static void scrub_crash(char *log)
{
	static const char *const marks[] = { "PLEASE submit a bug report",
					     "Stack dump:", "clang frontend command failed",
					     "diagnostic msg:", "Program arguments:" };
	static const char note[] = "coolbpfd: the compiler crashed on prog.bpf.c "
				   "(its backtrace stays on the server)\n";
	char *r = log, *w = log;
	bool crash = false;

	for (size_t i = 0; i < ARRAY_SIZE(marks) && !crash; i++)
		crash = strstr(log, marks[i]) != NULL;
	if (!crash)
		return;
	while (*r) {
		size_t n = strcspn(r, "\n");
		bool nl = r[n] == '\n';

		if (!strncmp(r, "prog.bpf.c:", 11)) {
			memmove(w, r, n + nl);
			w += n + nl;
		}
		r += n + nl;
	}
	*w = '\0';
	/* room: the note is shorter than any crash report it replaces */
	if ((size_t)(r - w) > sizeof(note))
		memcpy(w, note, sizeof(note));
}

/* In the namespace's first process: the jail, then the compile; writes
 * the reply to stdout. */
static void worker_compile(const struct worker_in *in, int parent_alive)
{
	struct coolbpf_compile_result res = { 0 };
	const struct jail_spec spec = {
		.root_dir = in->root_dir,
		.kernels = in->kernels,
		.kernels_rw = in->mode == SANDBOX_PREP,
		.btf = in->btf_path,
		.binds = in->binds,
		.n_binds = in->n_binds,
		.uid = (uid_t)in->uid,
		.gid = (gid_t)in->uid,
	};
	char err[512];
	int rc;

	/* the middle process may be gone already: then so is the server */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		worker_fail("PR_SET_PDEATHSIG", errno);
	rc = jail_enter(&spec, err, sizeof(err));
	if (rc) {
		worker_reply(-EIO, err, NULL, 0);
		_exit(1);
	}
	/* again: dropping root cleared it; then check the parent is there */
	{
		struct pollfd p = { .fd = parent_alive, .events = POLLIN };

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || poll(&p, 1, 0) != 0)
			_exit(1);
		close(parent_alive);
	}
	setenv("TMPDIR", JAIL_ROOT "/tmp", 1);
	coolbpf_set_print(worker_print);
	{
		/* no from_env(): the server's environment never reaches a compile
		 * (no COOLBPF_SERVER recursion); coolbpfd caches whole responses
		 * itself, so the object cache is neither read nor written */
		COOLBPF_COMPILE_OPTS(opts, .kernel = in->kernel[0] ? in->kernel : NULL,
				     .btf_path = in->btf_path[0] ? JAIL_BTF : NULL,
				     .arch = in->arch[0] ? in->arch : NULL, .defines = in->defines,
				     .cache_dir = JAIL_ROOT, .no_cache = true,
				     .no_cache_write = true, .tool_path = in->tool_path,
				     .full_vmlinux_h = in->mode == SANDBOX_PREP);

		if (in->mode == SANDBOX_PREP)
			rc = coolbpf_compile_buf("prep.bpf.c", prep_source, strlen(prep_source),
						 &opts, &res);
		else
			rc = coolbpf_compile_buf("prog.bpf.c", in->src, in->src_len, &opts, &res);
	}
	if (res.log)
		scrub_crash(res.log);
	if (!rc)
		worker_reply(0, res.log ? res.log : "", res.obj, res.obj_sz);
	else if (rc == -EINVAL && res.log && res.log[0])
		worker_reply(-EINVAL, res.log, NULL, 0);
	else
		worker_reply(rc, coolbpf_errmsg()[0] ? coolbpf_errmsg() : strerror(-rc), NULL, 0);
	_exit(0);
}

/* the namespace's first process, for the SIGTERM handler */
static volatile pid_t inner_pid;

static void on_stop(int sig)
{
	(void)sig;
	if (inner_pid > 0)
		kill(inner_pid, SIGKILL);
	else
		_exit(1);
}

int sandbox_worker_main(void)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct strbuf buf = STRBUF_INIT;
	sigset_t term, old;
	struct worker_in in;
	int err, status;
	int alive[2];
	pid_t pid;

	syscall(SYS_close_range, 3U, ~0U, 0U);
	if (read_until(0, &buf, WORKER_IN_MAX, mono_now() + 10) ||
	    parse_input(buf.buf, buf.len, &in))
		worker_fail("bad request from the server", EINVAL);
	/* SIGTERM, from the server or at its death, ends the namespace; the
	 * server may have died before this line: then exit at once */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	sigaction(SIGTERM, &sa, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != (pid_t)in.server_pid)
		_exit(1);
	if ((err = set_limit(RLIMIT_CPU, in.timeout_s)) ||
	    (!SANITIZED_ASAN && (err = set_limit(RLIMIT_AS, in.mem))) ||
	    (err = set_limit(RLIMIT_FSIZE, 512ULL << 20)) || (err = set_limit(RLIMIT_NPROC, 64)) ||
	    (err = set_limit(RLIMIT_NOFILE, 256)) || (err = set_limit(RLIMIT_CORE, 0)))
		worker_fail("setrlimit", err);
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID |
		    CLONE_NEWCGROUP))
		worker_fail("unshare", errno);
	/* the namespace's first process sees this pipe's hangup when this
	 * process is gone (its parent-death signal cannot be trusted: the
	 * kernel clears it when the process drops root) */
	if (pipe2(alive, O_CLOEXEC))
		worker_fail("pipe", errno);
	pid = fork();
	if (pid < 0)
		worker_fail("fork", errno);
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(alive[1]);
		worker_compile(&in, alive[0]);
	}
	inner_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* the reply is the namespace's: this process only waits for it */
	close(alive[0]);
	close(0);
	close(1);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			_exit(1);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
