// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Only what this file accepts ever reaches the compiler or a path: the
 * source (as a file's content, never on a command line), a kernel release
 * and arch matching strict patterns, and -D NAME=VALUE pairs whose names
 * are C identifiers and whose values use a small character set (no
 * quotes, backslashes, '#', '<'/'>' or '"', so a define cannot form an
 * include path or a string literal).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "request.h"

static bool is_alpha_(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [A-Za-z0-9][A-Za-z0-9._+~-]{0,127}, no "..": a `uname -r` */
bool request_kernel_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > REQ_KERNEL_MAX || !(is_alpha_(s[0]) || is_digit(s[0])) || s[0] == '_')
		return false;
	if (strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!(is_alpha_(c) || is_digit(c) || c == '.' || c == '+' || c == '~' || c == '-'))
			return false;
	}
	return true;
}

/* [a-z][a-z0-9_]{0,31}: a `uname -m` */
bool request_arch_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > REQ_ARCH_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '_'))
			return false;
	}
	return true;
}

const char *request_arch_uname(const char *arch)
{
	static const char *const alias[][2] = { { "arm64", "aarch64" }, { "amd64", "x86_64" } };

	for (size_t i = 0; i < ARRAY_SIZE(alias); i++) {
		if (!strcmp(arch, alias[i][0]))
			return alias[i][1];
	}
	return arch;
}

static bool define_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > REQ_DEFINE_NAME_MAX || !is_alpha_(s[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!is_alpha_(s[i]) && !is_digit(s[i]))
			return false;
	}
	return true;
}

static bool define_value_ok(const char *s)
{
	static const char extra[] = "_.+-*/%()[],:&|^~!=? ";

	if (strlen(s) > REQ_DEFINE_VALUE_MAX)
		return false;
	for (; *s; s++) {
		if (!is_alpha_(*s) && !is_digit(*s) && !strchr(extra, *s))
			return false;
	}
	return true;
}

static int cmp_define(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int fail(char *err, size_t err_sz, const char *msg)
{
	snprintf(err, err_sz, "%s", msg);
	return -EINVAL;
}

static int copy_field(json_t *v, const char *name, char *dst, size_t dst_sz,
		      bool (*ok)(const char *), char *err, size_t err_sz)
{
	const char *s;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= dst_sz ||
	    strlen(s = json_string_value(v)) != json_string_length(v) || !ok(s)) {
		snprintf(err, err_sz, "bad \"%s\": must match %s", name,
			 ok == request_kernel_ok ?
				 "[A-Za-z0-9][A-Za-z0-9._+~-]{0,127} without '..'" :
				 "[a-z][a-z0-9_]{0,31}");
		return -EINVAL;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int parse_defines(json_t *defs, struct compile_request *req, char *err, size_t err_sz)
{
	const char *name;
	json_t *val;

	if (!defs || json_is_null(defs))
		return 0;
	if (!json_is_object(defs))
		return fail(err, err_sz,
			    "bad \"defines\": must be an object of NAME: VALUE strings");
	if (json_object_size(defs) > REQ_DEFINES_MAX)
		return fail(err, err_sz, "bad \"defines\": at most 64 defines");
	json_object_foreach(defs, name, val)
	{
		const char *v;
		size_t nl, vl;
		char *d;

		if (!define_name_ok(name))
			return fail(err, err_sz,
				    "bad define name: must match [A-Za-z_][A-Za-z0-9_]{0,63}");
		if (!json_is_string(val) && !json_is_integer(val))
			return fail(err, err_sz,
				    "bad define value: must be a string or an integer");
		if (json_is_integer(val)) {
			char num[32];

			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(val));
			d = malloc(strlen(name) + strlen(num) + 2);
			if (!d)
				return fail(err, err_sz, "out of memory");
			nl = strlen(name);
			memcpy(d, name, nl);
			d[nl] = '=';
			memcpy(d + nl + 1, num, strlen(num) + 1);
		} else {
			v = json_string_value(val);
			vl = json_string_length(val);
			if (strlen(v) != vl || !define_value_ok(v))
				return fail(
					err, err_sz,
					"bad define value: at most 128 of [A-Za-z0-9_.+-*/%()[],:&|^~!=? ]");
			nl = strlen(name);
			d = malloc(nl + vl + 2);
			if (!d)
				return fail(err, err_sz, "out of memory");
			memcpy(d, name, nl);
			d[nl] = '=';
			memcpy(d + nl + 1, v, vl + 1);
		}
		req->defines[req->n_defines++] = d;
	}
	qsort(req->defines, req->n_defines, sizeof(req->defines[0]), cmp_define);
	return 0;
}

int request_parse(const char *body, size_t len, struct compile_request *req, char *err,
		  size_t err_sz)
{
	static const char *const known[] = { "source", "kernel", "arch", "defines" };
	json_error_t jerr;
	json_t *root, *src;
	const char *key;
	json_t *val;
	int rc = 0;

	memset(req, 0, sizeof(*req));
	if (err_sz)
		err[0] = '\0';
	/* jansson rejects invalid UTF-8, \u0000 and duplicate keys here,
	 * and bounds nesting depth */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, err_sz, "bad JSON at line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		rc = fail(err, err_sz, "bad request: the body must be a JSON object");
		goto out;
	}
	json_object_foreach(root, key, val)
	{
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			found |= !strcmp(key, known[i]);
		if (!found) {
			rc = fail(
				err, err_sz,
				"bad request: unknown field (expected source, kernel, arch, defines)");
			goto out;
		}
	}
	src = json_object_get(root, "source");
	if (!json_is_string(src) || !json_string_length(src)) {
		rc = fail(err, err_sz, "bad request: \"source\" must be a non-empty string");
		goto out;
	}
	if (json_string_length(src) > REQ_SOURCE_MAX) {
		rc = fail(err, err_sz, "bad request: \"source\" is larger than 256 KiB");
		goto out;
	}
	rc = copy_field(json_object_get(root, "kernel"), "kernel", req->kernel, sizeof(req->kernel),
			request_kernel_ok, err, err_sz);
	if (!rc)
		rc = copy_field(json_object_get(root, "arch"), "arch", req->arch, sizeof(req->arch),
				request_arch_ok, err, err_sz);
	if (!rc)
		rc = parse_defines(json_object_get(root, "defines"), req, err, err_sz);
	if (rc)
		goto out;
	req->source_len = json_string_length(src);
	req->source = malloc(req->source_len + 1);
	if (!req->source) {
		rc = fail(err, err_sz, "out of memory");
		goto out;
	}
	memcpy(req->source, json_string_value(src), req->source_len + 1);
out:
	json_decref(root);
	return rc;
}

void request_release(struct compile_request *req)
{
	if (!req)
		return;
	free(req->source);
	for (size_t i = 0; i < req->n_defines; i++)
		free(req->defines[i]);
	memset(req, 0, sizeof(*req));
}
