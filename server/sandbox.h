/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A compile runs in a worker process: coolbpfd re-executes itself as
 * "coolbpfd --worker", which limits itself (rlimits, a new network
 * namespace, Landlock), then calls the same coolbpf_compile_buf() that
 * `coolbpf compile` uses and writes the result to its stdout.
 */
#ifndef COOLBPFD_SANDBOX_H
#define COOLBPFD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "request.h"

struct sandbox_config {
	/* this executable, re-run with --worker */
	const char *self;
	/* the pipeline's cache root (kernels/ with vmlinux.h + PCH, tmp/) */
	const char *pipeline_root;
	unsigned timeout_s;
	unsigned long long mem_bytes;
	size_t output_max;
};

enum sandbox_status {
	SANDBOX_OK,	       /* compiled: obj set */
	SANDBOX_COMPILE_ERROR, /* clang refused the source: log set */
	SANDBOX_TIMEOUT,       /* wall-clock limit: the process group was killed */
	SANDBOX_TOO_LARGE,     /* output over output_max */
	SANDBOX_FAILED,	       /* anything else: err says what */
};

struct sandbox_result {
	enum sandbox_status status;
	char *log;
	void *obj;
	size_t obj_sz;
	char err[256];
};

/*
 * Compile req for kernel (NULL: the running one) with the target BTF
 * btf_path (NULL: the running kernel's). Returns the status; res must be
 * released with sandbox_result_release().
 */
enum sandbox_status sandbox_compile(const struct sandbox_config *cfg,
				    const struct compile_request *req, const char *kernel,
				    const char *btf_path, struct sandbox_result *res);
void sandbox_result_release(struct sandbox_result *res);

/* The Landlock ABI version, or -errno when Landlock is unavailable. */
int sandbox_landlock_abi(void);

/* "coolbpfd --worker": never returns. */
int sandbox_worker_main(void);

#endif /* COOLBPFD_SANDBOX_H */
