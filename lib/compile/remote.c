// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Remote compile: POST the source to a coolbpfd (its /v1/compile, see
 * coolbpfd(8)) and take its artifact. The server returns the artifact the
 * local pipeline would have made (.lbc.minbtf + .lbc.target sections
 * included), so the rest of the library cannot tell the difference.
 *
 * libcurl is loaded with dlopen() only when a server is used: linking it
 * would pull libssl and libcrypto into every `coolbpf run` (megabytes of
 * RSS for a feature most runs do not use). So only the handful of
 * curl_easy_* entry points below are resolved, through function pointers.
 *
 * A failed remote compile never falls back to a local one silently: the
 * message says what happened and how to compile locally.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <jansson.h>

#include "compile.h"

#define RESPONSE_MAX (256u * 1024 * 1024)
#define LOCAL_HINT   "to compile locally, unset COOLBPF_SERVER or drop --server"

/* libcurl, loaded on first use -------------------------------------- */

static struct {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	char err[256];
} curl;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(curl.err, sizeof(curl.err), "%s", dlerror());
		return;
	}
	*(void **)&curl.easy_init = dlsym(h, "curl_easy_init");
	*(void **)&curl.easy_setopt = dlsym(h, "curl_easy_setopt");
	*(void **)&curl.easy_perform = dlsym(h, "curl_easy_perform");
	*(void **)&curl.easy_getinfo = dlsym(h, "curl_easy_getinfo");
	*(void **)&curl.easy_cleanup = dlsym(h, "curl_easy_cleanup");
	*(void **)&curl.slist_append = dlsym(h, "curl_slist_append");
	*(void **)&curl.slist_free_all = dlsym(h, "curl_slist_free_all");
	if (!curl.easy_init || !curl.easy_setopt || !curl.easy_perform || !curl.easy_getinfo ||
	    !curl.easy_cleanup || !curl.slist_append || !curl.slist_free_all) {
		snprintf(curl.err, sizeof(curl.err), "libcurl.so.4 lacks curl_easy_* symbols");
		curl.easy_init = NULL;
	}
	/* never dlclose: curl keeps global state */
}

static size_t on_body(char *data, size_t size, size_t n, void *sbp)
{
	struct strbuf *sb = sbp;

	if (sb->len + size * n > RESPONSE_MAX || strbuf_add(sb, data, size * n))
		return 0; /* curl reports CURLE_WRITE_ERROR */
	return size * n;
}

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
	jw_string(&w, OPTS_GET(opts, arch, NULL) ?: host_arch());
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
	struct strbuf body = STRBUF_INIT, reply = STRBUF_INIT, url = STRBUF_INIT,
		      auth = STRBUF_INIT;
	const char *kernel = OPTS_GET(opts, kernel, NULL);
	const char *token = OPTS_GET(opts, server_token, NULL);
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct reply r = { 0 };
	long status = 0;
	CURLcode cc;
	CURL *h;
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
	pthread_once(&curl_once, curl_load);
	if (!curl.easy_init) {
		pr_warn("remote compile needs libcurl (%s): install libcurl4; %s\n", curl.err,
			LOCAL_HINT);
		return cb_err(-ENOPKG);
	}
	err = request_body(src, len, opts, kernel, &body);
	err = err ?: strbuf_add(&url, server, strcspn(server, "\0"));
	while (!err && url.len && url.buf[url.len - 1] == '/')
		strbuf_setlen(&url, url.len - 1);
	err = err ?: strbuf_addstr(&url, "/v1/compile");
	if (!err && token && *token)
		err = strbuf_addf(&auth, "Authorization: Bearer %s", token);
	h = err ? NULL : curl.easy_init();
	if (!h) {
		err = -ENOMEM;
		goto out;
	}
	hdrs = curl.slist_append(hdrs, "Content-Type: application/json");
	if (auth.len)
		hdrs = curl.slist_append(hdrs, auth.buf);
	curl.easy_setopt(h, CURLOPT_URL, url.buf);
	curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl.easy_setopt(h, CURLOPT_POSTFIELDS, body.buf);
	curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
	curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl.easy_setopt(h, CURLOPT_WRITEDATA, &reply);
	curl.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	/* a cold compile builds the target kernel's PCH first: seconds */
	curl.easy_setopt(h, CURLOPT_TIMEOUT, 300L);
	curl.easy_setopt(h, CURLOPT_USERAGENT, "coolbpf/" COMPILE_PIPELINE_VERSION);
	if (OPTS_GET(opts, server_ca, NULL))
		curl.easy_setopt(h, CURLOPT_CAINFO, OPTS_GET(opts, server_ca, NULL));
	cc = curl.easy_perform(h);
	if (cc != CURLE_OK) {
		pr_warn("cannot compile on server %s: %s; %s\n", url.buf,
			errbuf[0] ? errbuf : "transfer failed", LOCAL_HINT);
		err = cc == CURLE_COULDNT_CONNECT    ? -ECONNREFUSED :
		      cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT :
						       -EIO;
		goto out;
	}
	curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (parse_reply(strbuf_str(&reply), reply.len, &r)) {
		pr_warn("compile server %s answered HTTP %ld with a body that is not JSON; %s\n",
			url.buf, status, LOCAL_HINT);
		err = -EPROTO;
		goto out;
	}
	if (status == 200) {
		res->log = strdup(r.log ? r.log : "");
		err = res->log ? take_reply(url.buf, display, &r, res) : -ENOMEM;
	} else if (status == 422) {
		/* the compiler refused the source: diagnostics, as locally */
		res->log = strdup(r.log ? r.log : "");
		pr_warn("compile: '%s' did not compile (on %s)\n", display, url.buf);
		err = -EINVAL;
	} else {
		pr_warn("compile server %s %s (HTTP %ld): %s%s%s; %s\n", url.buf,
			status >= 500 ? "failed" : "refused the request", status,
			r.error ? r.error : "no reason given", r.log && *r.log ? "\n" : "",
			r.log ? r.log : "", LOCAL_HINT);
		err = status == 401 ? -EACCES :
		      status == 504 ? -ETIMEDOUT :
		      status >= 500 ? -EIO :
				      -EINVAL;
	}
out:
	if (h)
		curl.easy_cleanup(h);
	if (hdrs)
		curl.slist_free_all(hdrs);
	reply_release(&r);
	strbuf_release(&body);
	strbuf_release(&reply);
	strbuf_release(&url);
	strbuf_release(&auth);
	return err ? cb_err(err) : 0;
}
