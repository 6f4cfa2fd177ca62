// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Child processes: run an argv (no shell) and collect its output; wait for it. */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"

extern char **environ;

int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_argv(const char *const argv[], struct strbuf *out, size_t out_max)
{
	return run_argv_fd(argv, -1, out, out_max);
}

int run_argv_fd(const char *const argv[], int out_fd, struct strbuf *out, size_t out_max)
{
	return run_argv_in(NULL, argv, out_fd, out, out_max);
}

/* How a child's standard streams are set up, and what its output is for. */
struct child_io {
	const char *dir; /* NULL: the current one */
	int in_fd;	 /* -1: /dev/null */
	int out_fd;	 /* -1: the pipe read into out */
	bool err_to_out; /* stderr into the pipe too, else /dev/null */
	/* more than out_max: kill the child (-EFBIG), else drop the rest */
	bool kill_on_excess;
};

/* In the child, between fork and exec: the streams as io says, and death
 * with the parent. Only async-signal-safe calls. */
static void child_exec(const char *const argv[], const struct child_io *io, int pipe_w, int err_w,
		       pid_t parent)
{
	int e;

	sigset_t none;
	int null_in, null_err = -1;

	/* a parent killed (even by SIGKILL) takes its compiler with it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	null_in = io->in_fd >= 0 ? io->in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!io->err_to_out)
		null_err = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_in < 0 || dup2(null_in, 0) < 0 ||
	    dup2(io->out_fd >= 0 ? io->out_fd : pipe_w, 1) < 0 ||
	    dup2(io->err_to_out ? pipe_w : null_err, 2) < 0)
		_exit(127);
	if (io->dir && chdir(io->dir))
		_exit(127);
	execvp(argv[0], (char *const *)argv);
	/* the parent learns why, as posix_spawn would have told it */
	e = errno;
	if (write(err_w, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Spawn argv as io says, read what it writes into out, wait for it. The
 * child stays in our process group (a terminal's Ctrl-C, a job's kill
 * reach it too) and dies with us (PR_SET_PDEATHSIG). */
static int run_child(const char *const argv[], const struct child_io *io, struct strbuf *out,
		     size_t out_max)
{
	int pipefd[2], errfd[2], status, child_errno = 0;
	bool too_much = false;
	pid_t pid, parent = getpid();
	char buf[1 << 16];

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	if (pipe2(errfd, O_CLOEXEC)) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	pid = fork();
	if (pid == 0)
		child_exec(argv, io, pipefd[1], errfd[1], parent);
	close(pipefd[1]);
	close(errfd[1]);
	if (pid < 0) {
		int err = -errno;

		close(pipefd[0]);
		close(errfd[0]);
		return cb_err(err);
	}
	/* closed by the exec (nothing read), or the exec's errno */
	while (read(errfd[0], &child_errno, sizeof(child_errno)) < 0 && errno == EINTR)
		;
	close(errfd[0]);
	if (child_errno) {
		close(pipefd[0]);
		wait_child(pid);
		return cb_err(-child_errno);
	}
	for (;;) {
		ssize_t r = read(pipefd[0], buf, sizeof(buf));
		size_t n = r > 0 ? (size_t)r : 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!out)
			continue;
		if (io->kill_on_excess && (out->len + n > out_max || strbuf_add(out, buf, n))) {
			too_much = true;
			kill(pid, SIGKILL);
			break;
		}
		if (!io->kill_on_excess && out->len < out_max)
			strbuf_add(out, buf, n < out_max - out->len ? n : out_max - out->len);
	}
	close(pipefd[0]);
	status = wait_child(pid);
	return too_much ? cb_err(-EFBIG) : status;
}

int run_argv_in(const char *dir, const char *const argv[], int out_fd, struct strbuf *out,
		size_t out_max)
{
	struct child_io io = { .dir = dir, .in_fd = -1, .out_fd = out_fd, .err_to_out = true };

	return run_child(argv, &io, out, out_max);
}

int run_filter(const char *const argv[], int in_fd, struct strbuf *out, size_t out_max)
{
	struct child_io io = { .in_fd = in_fd, .out_fd = -1, .kill_on_excess = true };

	return run_child(argv, &io, out, out_max);
}

int find_program(const char *search_path, const char *const names[], const char *const extra_dirs[],
		 char *buf, size_t sz)
{
	for (const char *const *n = names; *n; n++) {
		const char *p =
			search_path && *search_path ? search_path : "/usr/local/bin:/usr/bin:/bin";

		while (*p) {
			size_t len = strcspn(p, ":");

			if (len && (size_t)snprintf(buf, sz, "%.*s/%s", (int)len, p, *n) < sz &&
			    access(buf, X_OK) == 0)
				return 0;
			p += len + (p[len] == ':');
		}
		for (const char *const *d = extra_dirs; d && *d; d++) {
			if ((size_t)snprintf(buf, sz, "%s/%s", *d, *n) < sz &&
			    access(buf, X_OK) == 0)
				return 0;
		}
	}
	return cb_err(-ENOENT);
}
