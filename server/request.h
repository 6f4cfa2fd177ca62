/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * coolbpfd request parsing and validation: a pure function of the body
 * bytes (no I/O, no globals), so tests/fuzz can drive it directly.
 */
#ifndef COOLBPFD_REQUEST_H
#define COOLBPFD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define REQ_SOURCE_MAX	     (256 * 1024)
#define REQ_DEFINES_MAX	     64
#define REQ_DEFINE_NAME_MAX  64
#define REQ_DEFINE_VALUE_MAX 128
#define REQ_KERNEL_MAX	     128
#define REQ_ARCH_MAX	     32

struct compile_request {
	/* NUL-free, valid UTF-8 (jansson checks both) */
	char *source;
	size_t source_len;
	/* "" when the request did not say: the server's own */
	char kernel[REQ_KERNEL_MAX + 1];
	char arch[REQ_ARCH_MAX + 1];
	/* "NAME=VALUE", sorted by NAME, NULL-terminated */
	char *defines[REQ_DEFINES_MAX + 1];
	size_t n_defines;
};

/*
 * Parse and validate a POST /v1/compile body. Returns 0, or -EINVAL with
 * a message for the client in err (never quoting more than the offending
 * field's name). req must be released with request_release() either way.
 */
int request_parse(const char *body, size_t len, struct compile_request *req, char *err,
		  size_t err_sz);
void request_release(struct compile_request *req);

/* An architecture as uname -m spells it (the BTF archive's layout):
 * "arm64" is "aarch64", "amd64" is "x86_64"; others as they are. */
const char *request_arch_uname(const char *arch);

/* Strict patterns checked before a value touches a path. */
bool request_kernel_ok(const char *s);
bool request_arch_ok(const char *s);

#endif /* COOLBPFD_REQUEST_H */
