// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Remote compile: POST the source to a coolbpfd (its /v1/compile, see
 * coolbpfd(8)) and take its artifact. The server returns the artifact the
 * local pipeline would have made (.lbc.minbtf + .lbc.target sections
 * included), so the rest of the library cannot tell the difference.
 *
 * The request goes through lib/base's http.c, which loads libcurl only
 * when a server is used.
 *
 * A failed remote compile never falls back to a local one silently: the
 * message says what happened and how to compile locally.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "compile.h"

#define RESPONSE_MAX (256u * 1024 * 1024)
#define LOCAL_HINT   "to compile locally, unset COOLBPF_SERVER or drop --server"

/* response: one flat JSON object ------------------------------------- */

struct reply {
	char *object, *btf, *sha256, *log, *error;
	bool cached;
};

/* The reply, parsed with jansson as coolbpfd parses requests; fields
 * that are absent or not strings stay NULL. */
static int dup_field(json_t *o, const char *key, char **out)
{
	const char *s = json_string_value(json_object_get(o, key));

	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

static int parse_reply(const char *body, size_t len, struct reply *r)
{
	json_t *o = json_loadb(body, len, 0, NULL);
	int err = -EINVAL;

	if (json_is_object(o)) {
		err = dup_field(o, "object", &r->object)	 ?:
			      dup_field(o, "btf", &r->btf)	 ?:
			      dup_field(o, "sha256", &r->sha256) ?:
			      dup_field(o, "log", &r->log)	 ?:
								   dup_field(o, "error", &r->error);
		r->cached = json_is_true(json_object_get(o, "cached"));
	}
	json_decref(o);
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

int remote_compile(const char *server, const char *display, const void *src, size_t len,
		   const struct coolbpf_compile_opts *opts, struct coolbpf_compile_result *res)
{
	struct strbuf body = STRBUF_INIT, url = STRBUF_INIT, auth = STRBUF_INIT;
	const char *kernel = OPTS_GET(opts, kernel, NULL);
	const char *token = OPTS_GET(opts, server_token, NULL);
	const char *hdrs[3] = { "Content-Type: application/json" };
	struct http_resp resp = { 0 };
	struct reply r = { 0 };
	int err;

	if (!kernel || !*kernel)
		kernel = host_kernel_release();
	if (OPTS_GET(opts, include_dirs, NULL) && opts->include_dirs[0]) {
		pr_warn("compile server %s sees only the source: -I is not supported remotely; %s\n",
			server, LOCAL_HINT);
		return cb_err(-EINVAL);
	}
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
	if (http_unavailable()) {
		pr_warn("remote compile needs libcurl (%s): install libcurl4; %s\n",
			http_unavailable(), LOCAL_HINT);
		return cb_err(-ENOPKG);
	}
	err = request_body(src, len, opts, kernel, &body);
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
	return err ? cb_err(err) : 0;
}
