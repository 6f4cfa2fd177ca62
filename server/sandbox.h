/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A compile runs in a worker process: coolbpfd re-executes itself as
 * "coolbpfd --worker", which limits itself (rlimits, new namespaces, a
 * root filesystem of its own, an unprivileged uid, Landlock, seccomp:
 * jail.c), then calls the same coolbpf_compile_buf() that `coolbpf
 * compile` uses and writes the result to its stdout.
 */
#ifndef COOLBPFD_SANDBOX_H
#define COOLBPFD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "request.h"

/* toolchain.c: the host paths every worker's root holds (read-only) */
struct sandbox_fs {
	char **paths; /* directories first */
	size_t n, cap;
};

/* Find clang and bpftool in tool_path as the library does, their
 * libraries, clang's installation and the system headers, plus extra
 * (NULL-terminated, may be NULL). 0, or -errno with err saying why. */
int sandbox_fs_discover(const char *tool_path, const char *const *extra, struct sandbox_fs *fs,
			char *err, size_t err_sz);
void sandbox_fs_release(struct sandbox_fs *fs);

struct sandbox_config {
	/* this executable, re-run with --worker */
	const char *self;
	/* the pipeline's root: kernels/ (vmlinux.h + PCH, made by the prep
	 * job), tmp/ (the mount point of each worker's root) */
	const char *pipeline_root;
	/* where the workers look for clang and bpftool */
	const char *tool_path;
	const struct sandbox_fs *fs;
	unsigned timeout_s;
	unsigned long long mem_bytes;
	size_t output_max;
	/* compile slot i runs as uid and gid uid_base + i; the prep job as
	 * uid_base + n_slots, which owns kernels/ */
	uid_t uid_base;
	unsigned n_slots;
};

enum sandbox_mode {
	SANDBOX_COMPILE, /* a client's request */
	SANDBOX_PREP,	 /* the server's own: the per-kernel headers, kernels/ writable */
};

struct sandbox_job {
	enum sandbox_mode mode;
	const struct compile_request *req; /* SANDBOX_PREP: NULL */
	const char *kernel;		   /* NULL: the running one */
	const char *arch;		   /* uname -m spelling */
	const char *btf_path;		   /* NULL: the running kernel's */
	unsigned slot;
	/* watched while the worker runs: the client's socket, whose hangup
	 * cancels the compile (-1: none), and a tick about every second */
	int client_fd;
	void (*tick)(void *arg);
	void *tick_arg;
};

enum sandbox_status {
	SANDBOX_OK,	       /* compiled: obj set */
	SANDBOX_COMPILE_ERROR, /* clang refused the source: log set */
	SANDBOX_TIMEOUT,       /* wall-clock limit: the process group was killed */
	SANDBOX_TOO_LARGE,     /* output over output_max */
	SANDBOX_CANCELLED,     /* the client went away: the process group was killed */
	SANDBOX_FAILED,	       /* anything else: err says what */
};

struct sandbox_result {
	enum sandbox_status status;
	char *log;
	void *obj;
	size_t obj_sz;
	int signal; /* the worker died of it (0: it exited) */
	char err[256];
};

/* Run the job; returns the status. res must be released with
 * sandbox_result_release(). */
enum sandbox_status sandbox_run(const struct sandbox_config *cfg, const struct sandbox_job *job,
				struct sandbox_result *res);
void sandbox_result_release(struct sandbox_result *res);

/* The Landlock ABI version, or -errno when Landlock is unavailable. */
int sandbox_landlock_abi(void);

/* "coolbpfd --worker": never returns. */
int sandbox_worker_main(void);

/* jail.c: inside the worker */
#define JAIL_ROOT "/coolbpf"
#define JAIL_BTF  JAIL_ROOT "/target.btf"

struct jail_spec {
	const char *root_dir; /* the host directory the new root is mounted on */
	const char *kernels;  /* the host's kernels/, at JAIL_ROOT/kernels */
	bool kernels_rw;      /* the prep job only */
	const char *btf;      /* bound at JAIL_BTF; "": none */
	const char *const *binds;
	size_t n_binds;
	uid_t uid;
	gid_t gid;
};

/* Build the root, pivot into it, drop root, apply Landlock and seccomp.
 * 0, or -errno with err saying what failed. */
int jail_enter(const struct jail_spec *s, char *err, size_t err_sz);

#endif /* COOLBPFD_SANDBOX_H */
