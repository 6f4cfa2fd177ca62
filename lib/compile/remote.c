// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Remote compile: POST the source to a coolbpfd (its /v1/compile, see
 * coolbpfd(8)) and take its artifact. The server returns the artifact the
 * local pipeline would have made (.lbc.minbtf + .lbc.target sections
 * included), so the rest of the library cannot tell the difference.
 *
 * The request goes through lib/base's http.c, which loads libcurl only
 * when a server is used; the reply's JSON is read by libjansson, loaded
 * the same way (a library that every program linking libcoolbpf, a pylcc
 * tool's Python included, would otherwise map for nothing).
 *
 * A server sees only the request's source. The quoted includes that
 * resolve on this machine (next to the including file, then in the -I
 * directories, as clang searches them) are inlined into it here, between
 * #line markers so diagnostics name the header; the rest (lbc.h,
 * vmlinux.h, <system> headers) the server provides.
 *
 * A failed remote compile never falls back to a local one silently: the
 * message says what happened and how to compile locally.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "compile.h"

#define RESPONSE_MAX (256u * 1024 * 1024)
#define LOCAL_HINT   "to compile locally, unset COOLBPF_SERVER or drop --server"
/* coolbpfd's REQ_SOURCE_MAX: the most source a request carries */
#define REMOTE_SOURCE_MAX (256u * 1024)
/* headers inlined into one request, at most, and their nesting */
#define INLINE_FILES_MAX 64
#define INLINE_DEPTH_MAX 16

/* inlining the local quoted includes ----------------------------------- */

struct inliner {
	const char *server;
	const char *const *dirs; /* the -I directories */
	struct strbuf *out;
	/* the files being inlined, outermost first: a cycle check */
	const char *stack[INLINE_DEPTH_MAX];
	const char *names[INLINE_DEPTH_MAX]; /* as included, for messages */
	const char *top;		     /* the source's name */
	int depth;
	/* every file inlined so far; those with #pragma once are not again */
	char *seen[INLINE_FILES_MAX];
	bool once[INLINE_FILES_MAX];
	int n_seen;
};

/* The name in `#include "name"` (spaces and tabs allowed around '#'),
 * copied into name; false for any other line. */
static bool quoted_include(const char *line, const char *end, char *name, size_t sz)
{
	const char *p = line, *q;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p++ != '#')
		return false;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 7 || memcmp(p, "include", 7))
		return false;
	p += 7;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p++ != '"')
		return false;
	q = memchr(p, '"', end - p);
	if (!q || q == p || (size_t)(q - p) >= sz)
		return false;
	memcpy(name, p, q - p);
	name[q - p] = '\0';
	return true;
}

static bool is_pragma_once(const char *line, const char *end)
{
	char buf[64];
	size_t n = 0;

	/* the line without blanks: "#pragmaonce" */
	for (const char *p = line; p < end && n < sizeof(buf) - 1; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			buf[n++] = *p;
	buf[n] = '\0';
	return !strcmp(buf, "#pragmaonce");
}

/* The real path of name as `#include "name"` in a file of directory dir
 * (NULL: a source with no directory) finds it here, or false. */
static bool resolve_local(const struct inliner *in, const char *dir, const char *name, char *out)
{
	char cand[PATH_MAX];

	if (name[0] == '/')
		return realpath(name, out) != NULL;
	if (dir && !pathf(cand, sizeof(cand), "%s/%s", dir, name) && realpath(cand, out))
		return true;
	for (const char *const *d = in->dirs; d && *d; d++)
		if (!pathf(cand, sizeof(cand), "%s/%s", *d, name) && realpath(cand, out))
			return true;
	return false;
}

static int inline_text(struct inliner *in, const char *shown, const char *dir, const char *src,
		       size_t len);

static int inline_file(struct inliner *in, const char *includer, const char *name, const char *path)
{
	char dir[PATH_MAX];
	void *data;
	size_t len;
	int slot, err;

	for (slot = 0; slot < in->n_seen; slot++)
		if (!strcmp(in->seen[slot], path))
			break;
	if (slot < in->n_seen && in->once[slot])
		return 0;
	for (int i = 0; i < in->depth; i++) {
		struct strbuf chain = STRBUF_INIT;

		if (strcmp(in->stack[i], path))
			continue;
		strbuf_addstr(&chain, in->top);
		for (int j = 0; j < in->depth; j++)
			strbuf_addf(&chain, " -> %s", in->names[j]);
		pr_warn("compile: include cycle in the local headers for compile server %s: "
			"%s -> %s (%s); give the header #pragma once; %s\n",
			in->server, strbuf_str(&chain), name, path, LOCAL_HINT);
		strbuf_release(&chain);
		return -ELOOP;
	}
	if (in->depth == INLINE_DEPTH_MAX || (slot == in->n_seen && slot == INLINE_FILES_MAX)) {
		pr_warn("compile: '%s' includes \"%s\": more than %d nested or %d local headers "
			"to send to compile server %s; %s\n",
			includer, name, INLINE_DEPTH_MAX, INLINE_FILES_MAX, in->server, LOCAL_HINT);
		return -ELOOP;
	}
	err = read_file_max(path, REMOTE_SOURCE_MAX, &data, &len);
	if (err) {
		pr_warn("compile: '%s' includes \"%s\" (%s): %s; %s\n", includer, name, path,
			err == -EFBIG  ? "larger than the 256 KiB a compile server takes" :
			err == -EINVAL ? "not a regular file" :
					 strerror(-err),
			LOCAL_HINT);
		return err;
	}
	if (slot == in->n_seen) {
		if (!(in->seen[slot] = strdup(path))) {
			free(data);
			return -ENOMEM;
		}
		in->n_seen++;
		for (const char *l = data, *e = l + len; l < e;) {
			const char *nl = memchr(l, '\n', e - l);

			in->once[slot] = in->once[slot] || is_pragma_once(l, nl ?: e);
			l = nl ? nl + 1 : e;
		}
	}
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	in->names[in->depth] = name;
	in->stack[in->depth++] = in->seen[slot];
	err = strbuf_addf(in->out, "#line 1 \"%s\"\n", name);
	err = err ?: inline_text(in, name, dir[0] ? dir : "/", data, len);
	in->depth--;
	free(data);
	return err;
}

/* Append src to in->out with its local quoted includes inlined; shown is
 * its name in #line markers and messages. */
static int inline_text(struct inliner *in, const char *shown, const char *dir, const char *src,
		       size_t len)
{
	const char *p = src, *end = src + len;
	char name[PATH_MAX], path[PATH_MAX];
	bool top = in->depth == 0;
	long line = 1;
	int err = 0;

	while (!err && p < end) {
		const char *eol = memchr(p, '\n', end - p);
		const char *next = eol ? eol + 1 : end;

		if (!top && is_pragma_once(p, eol ?: end)) {
			/* done by inline_file; kept, it would warn outside a header */
			err = strbuf_addch(in->out, '\n');
		} else if (quoted_include(p, eol ?: end, name, sizeof(name)) &&
			   resolve_local(in, dir, name, path)) {
			err = inline_file(in, shown, name, path);
			err = err ?: strbuf_addf(in->out, "\n#line %ld \"%s\"\n", line + 1, shown);
		} else {
			err = strbuf_add(in->out, p, next - p);
		}
		if (!err && in->out->len > REMOTE_SOURCE_MAX) {
			pr_warn("compile: '%s' with the local headers it includes is more than the "
				"256 KiB of source a compile server takes (%s); %s\n",
				shown, in->server, LOCAL_HINT);
			err = -EFBIG;
		}
		line++;
		p = next;
	}
	return err;
}

/* response: one flat JSON object ------------------------------------- */

struct reply {
	char *object, *btf, *sha256, *log, *error;
	bool cached;
};

/* libjansson, resolved on the first remote compile: the four calls the
 * reply needs (json_decref is an inline over json_delete) */
static struct {
	json_t *(*loadb)(const char *, size_t, size_t, json_error_t *);
	json_t *(*object_get)(const json_t *, const char *);
	const char *(*string_value)(const json_t *);
	void (*del)(json_t *);
	char err[256];
} jansson;
static pthread_once_t jansson_once = PTHREAD_ONCE_INIT;

static void jansson_load(void)
{
	static const char *const names[] = { "json_loadb", "json_object_get", "json_string_value",
					     "json_delete", NULL };
	void **const fns[] = { (void **)&jansson.loadb, (void **)&jansson.object_get,
			       (void **)&jansson.string_value, (void **)&jansson.del };

	dl_resolve("libjansson.so.4", names, fns, jansson.err, sizeof(jansson.err));
}

/* NULL when libjansson is there, else why not */
static const char *jansson_unavailable(void)
{
	pthread_once(&jansson_once, jansson_load);
	return jansson.loadb ? NULL : jansson.err;
}

/* The reply, parsed with jansson as coolbpfd parses requests; fields
 * that are absent or not strings stay NULL. */
static int dup_field(json_t *o, const char *key, char **out)
{
	const char *s = jansson.string_value(jansson.object_get(o, key));

	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

static int parse_reply(const char *body, size_t len, struct reply *r)
{
	json_t *o = jansson.loadb(body, len, 0, NULL);
	int err = -EINVAL;

	if (json_is_object(o)) {
		err = dup_field(o, "object", &r->object)	 ?:
			      dup_field(o, "btf", &r->btf)	 ?:
			      dup_field(o, "sha256", &r->sha256) ?:
			      dup_field(o, "log", &r->log)	 ?:
								   dup_field(o, "error", &r->error);
		r->cached = json_is_true(jansson.object_get(o, "cached"));
	}
	if (o)
		jansson.del(o); /* ours alone: json_loadb's reference */
	return err;
}

static void reply_release(struct reply *r)
{
	free(r->object);
	free(r->btf);
	free(r->sha256);
	free(r->log);
	free(r->error);
}

/* request ----------------------------------------------------------- */

static int request_body(const char *src, size_t len, const struct coolbpf_compile_opts *opts,
			const char *kernel, struct strbuf *sb)
{
	struct jw w;

	jw_init(&w, sb);
	jw_begin_object(&w);
	jw_key(&w, "source");
	jw_string_len(&w, src, len);
	jw_key(&w, "kernel");
	jw_string(&w, kernel);
	jw_key(&w, "arch");
	jw_string(&w, arch_uname(OPTS_GET(opts, arch, NULL) ?: host_arch()));
	jw_key(&w, "defines");
	jw_begin_object(&w);
	for (const char *const *d = opts ? opts->defines : NULL; d && *d; d++) {
		const char *eq = strchr(*d, '=');
		char name[128];

		/* -D NAME means NAME=1, as for clang */
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - *d : (long)strlen(*d)), *d);
		jw_key(&w, name);
		jw_string(&w, eq ? eq + 1 : "1");
	}
	jw_end_object(&w);
	jw_end_object(&w);
	return jw_error(&w);
}

static int take_reply(const char *url, const char *display, const struct reply *r,
		      struct coolbpf_compile_result *res)
{
	char sha[65];
	int err;

	if (!r->object || !r->sha256) {
		pr_warn("compile server %s: malformed reply (no object); %s\n", url, LOCAL_HINT);
		return cb_err(-EPROTO);
	}
	err = base64_decode(r->object, strlen(r->object), &res->obj, &res->obj_sz);
	if (err) {
		pr_warn("compile server %s: malformed reply (bad base64); %s\n", url, LOCAL_HINT);
		return cb_err(err == -ENOMEM ? err : -EPROTO);
	}
	sha256_hex(res->obj, res->obj_sz, sha);
	if (strcmp(sha, r->sha256)) {
		pr_warn("compile server %s: object does not match its sha256; %s\n", url,
			LOCAL_HINT);
		return cb_err(-EPROTO);
	}
	memcpy(res->sha256, sha, sizeof(sha));
	res->cached = r->cached;
	pr_info("compile: '%s' compiled on %s%s\n", display, url, r->cached ? " (cached)" : "");
	return 0;
}

/* The job's source with its local quoted includes inlined, into out. */
static int inline_source(const char *server, const struct compile_job *job, struct strbuf *out)
{
	struct inliner in = {
		.server = server,
		.dirs = OPTS_GET(job->opts, include_dirs, NULL),
		.out = out,
		.top = job->display,
	};
	char dir[PATH_MAX] = "";
	int err;

	/* a file's own directory first; a buffer has none */
	if (!job->buf_dir && job->src_path && !abs_path(job->src_path, dir, sizeof(dir)))
		*strrchr(dir, '/') = '\0';
	err = inline_text(&in, job->display, job->buf_dir ? NULL : (dir[0] ? dir : "/"), job->src,
			  job->src_len);
	for (int i = 0; i < in.n_seen; i++)
		free(in.seen[i]);
	if (!err && in.n_seen)
		pr_debug("compile: %d local header(s) inlined for the server (%zu bytes)\n",
			 in.n_seen, out->len);
	return err;
}

int remote_compile(const char *server, const struct compile_job *job,
		   struct coolbpf_compile_result *res)
{
	const struct coolbpf_compile_opts *opts = job->opts;
	const char *display = job->display;
	struct strbuf body = STRBUF_INIT, url = STRBUF_INIT, auth = STRBUF_INIT;
	struct strbuf src = STRBUF_INIT;
	const char *kernel = OPTS_GET(opts, kernel, NULL);
	const char *token = OPTS_GET(opts, server_token, NULL);
	const char *hdrs[3] = { "Content-Type: application/json" };
	const char *why, *need = "libcurl", *pkg = "libcurl4";
	struct http_resp resp = { 0 };
	struct reply r = { 0 };
	int err;

	if (!kernel || !*kernel)
		kernel = host_kernel_release();
	if (OPTS_GET(opts, btf_path, NULL)) {
		pr_warn("compile server %s uses its own BTF archive: --btf is not supported remotely; %s\n",
			server, LOCAL_HINT);
		return cb_err(-EINVAL);
	}
	if (OPTS_GET(opts, kernels, NULL) && opts->kernels[0]) {
		pr_warn("compile server %s compiles for one kernel a request: more than one --kernel "
			"is not supported remotely; %s\n",
			server, LOCAL_HINT);
		return cb_err(-EINVAL);
	}
	/* both loaded on first use: say which one is missing, and why */
	if (!(why = http_unavailable())) {
		need = "libjansson";
		pkg = "libjansson4";
		why = jansson_unavailable();
	}
	if (why) {
		pr_warn("remote compile needs %s (%s): install %s; %s\n", need, why, pkg,
			LOCAL_HINT);
		return cb_err(-ENOPKG);
	}
	err = inline_source(server, job, &src);
	err = err ?: request_body(src.buf, src.len, opts, kernel, &body);
	err = err ?: http_url(server, "/v1/compile", &url);
	if (!err && token && *token) {
		err = strbuf_addf(&auth, "Authorization: Bearer %s", token);
		hdrs[1] = auth.buf;
	}
	if (err)
		goto out;
	{
		struct http_req req = {
			.url = url.buf,
			.headers = hdrs,
			.body = body.buf,
			.body_len = body.len,
			.out_fd = -1,
			.max_body = RESPONSE_MAX,
			/* a cold compile builds the target kernel's PCH first: seconds */
			.timeout_s = 300,
			.user_agent = "coolbpf/" COMPILE_PIPELINE_VERSION,
			.ca_file = OPTS_GET(opts, server_ca, NULL),
		};

		err = http_request(&req, &resp);
	}
	if (err) {
		pr_warn("cannot compile on server %s: %s; %s\n", url.buf, resp.err, LOCAL_HINT);
		goto out;
	}
	if (parse_reply(strbuf_str(&resp.body), resp.body.len, &r)) {
		pr_warn("compile server %s answered HTTP %ld with a body that is not JSON; %s\n",
			url.buf, resp.status, LOCAL_HINT);
		err = -EPROTO;
		goto out;
	}
	if (resp.status == 200) {
		res->log = strdup(r.log ? r.log : "");
		err = res->log ? take_reply(url.buf, display, &r, res) : -ENOMEM;
	} else if (resp.status == 422) {
		/* the compiler refused the source: diagnostics, as locally */
		res->log = strdup(r.log ? r.log : "");
		pr_warn("compile: '%s' did not compile (on %s)\n", display, url.buf);
		err = -EINVAL;
	} else {
		pr_warn("compile server %s %s (HTTP %ld): %s%s%s; %s\n", url.buf,
			resp.status >= 500 ? "failed" : "refused the request", resp.status,
			r.error ? r.error : "no reason given", r.log && *r.log ? "\n" : "",
			r.log ? r.log : "", LOCAL_HINT);
		err = resp.status == 401 ? -EACCES :
		      resp.status == 504 ? -ETIMEDOUT :
		      resp.status >= 500 ? -EIO :
					   -EINVAL;
	}
out:
	http_resp_release(&resp);
	reply_release(&r);
	strbuf_release(&body);
	strbuf_release(&url);
	strbuf_release(&auth);
	strbuf_release(&src);
	return err ? cb_err(err) : 0;
}
