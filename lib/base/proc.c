// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Child processes: run an argv (no shell) and collect its output; wait for it. */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

/* Spawn argv as io says, read what it writes into out, wait for it. */
static int run_child(const char *const argv[], const struct child_io *io, struct strbuf *out,
		     size_t out_max)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], err, status;
	bool too_much = false;
	pid_t pid;
	char buf[1 << 16];

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	if (io->in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, io->in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, io->out_fd >= 0 ? io->out_fd : pipefd[1], 1);
	if (io->err_to_out)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (io->dir)
		posix_spawn_file_actions_addchdir_np(&fa, io->dir);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		return cb_err(-err);
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
