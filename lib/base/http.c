// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTP(S) requests through libcurl, loaded with dlopen() on first use:
 * linking it would pull libssl and libcrypto into every `coolbpf run`
 * (megabytes of RSS for what most runs never do). Only the handful of
 * curl_easy_* entry points below are resolved, through function pointers.
 * The compile client (a coolbpfd's /v1/compile), the BTF resolver's remote
 * step (/v1/btf) and the crawler's downloads all come through here.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "base.h"

static struct {
	CURLcode (*global_init)(long);
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

int dl_resolve(const char *soname, const char *const names[], void **const fns[], char *err,
	       size_t err_size)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		snprintf(err, err_size, "%s", dlerror());
		return -1;
	}
	for (i = 0; names[i]; i++) {
		*fns[i] = dlsym(h, names[i]);
		if (!*fns[i]) {
			snprintf(err, err_size, "%s lacks %s", soname, names[i]);
			while (i)
				*fns[--i] = NULL;
			return -1;
		}
	}
	return 0; /* never dlclose: the library may keep global state */
}

static void curl_load(void)
{
	static const char *const names[] = {
		"curl_global_init",  "curl_easy_init",	    "curl_easy_setopt",
		"curl_easy_perform", "curl_easy_getinfo",   "curl_easy_cleanup",
		"curl_slist_append", "curl_slist_free_all", NULL
	};
	void **const fns[] = { (void **)&curl.global_init,  (void **)&curl.easy_init,
			       (void **)&curl.easy_setopt,  (void **)&curl.easy_perform,
			       (void **)&curl.easy_getinfo, (void **)&curl.easy_cleanup,
			       (void **)&curl.slist_append, (void **)&curl.slist_free_all };

	if (dl_resolve("libcurl.so.4", names, fns, curl.err, sizeof(curl.err)))
		return;
	/* once, before any thread makes a handle (not thread-safe in older curl) */
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl.err, sizeof(curl.err), "curl_global_init failed");
		curl.easy_init = NULL;
	}
	/* never dlclose: curl keeps global state */
}

const char *http_unavailable(void)
{
	pthread_once(&curl_once, curl_load);
	return curl.easy_init ? NULL : curl.err;
}

struct transfer {
	const struct http_req *req;
	struct http_resp *resp;
	int write_err;
};

static size_t on_body(char *data, size_t size, size_t n, void *tp)
{
	struct transfer *t = tp;
	size_t len = size * n;

	if (t->req->out_fd >= 0) {
		int err = write_all(t->req->out_fd, data, len);

		if (err) {
			t->write_err = err;
			return 0; /* curl reports CURLE_WRITE_ERROR */
		}
	} else {
		size_t max = t->req->max_body ? t->req->max_body : HTTP_BODY_MAX;

		if (t->resp->body.len + len > max) {
			t->write_err = -EFBIG;
			return 0;
		}
		if (strbuf_add(&t->resp->body, data, len)) {
			t->write_err = -ENOMEM;
			return 0;
		}
	}
	t->resp->received += len;
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *tp)
{
	struct transfer *t = tp;
	size_t len = size * n;

	/* a redirect or "100 Continue" starts a new set of headers */
	if (len > 5 && !strncmp(data, "HTTP/", 5))
		strbuf_reset(&t->resp->headers);
	if (t->resp->headers.len + len > 64 * 1024 || strbuf_add(&t->resp->headers, data, len))
		return 0;
	return len;
}

static int on_progress(void *tp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct transfer *t = tp;

	(void)ultotal;
	(void)ulnow;
	return t->req->progress(t->req->ctx, (uint64_t)dlnow, (uint64_t)dltotal);
}

int http_request(const struct http_req *req, struct http_resp *resp)
{
	struct transfer t = { .req = req, .resp = resp };
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	CURL *h;
	int err = 0;

	memset(resp, 0, sizeof(*resp));
	if (http_unavailable()) {
		snprintf(resp->err, sizeof(resp->err),
			 "libcurl is not available (%.200s): install libcurl4", curl.err);
		return cb_err(-ENOPKG);
	}
	h = curl.easy_init();
	if (!h)
		return cb_err(-ENOMEM);
	for (const char *const *p = req->headers; p && *p; p++) {
		struct curl_slist *n = curl.slist_append(hdrs, *p);

		if (!n) {
			err = -ENOMEM;
			goto out;
		}
		hdrs = n;
	}
	curl.easy_setopt(h, CURLOPT_URL, req->url);
	curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, req->protocols ? req->protocols : "http,https");
	curl.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, req->follow ? 1L : 0L);
	curl.easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	if (req->ca_file)
		curl.easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	if (hdrs)
		curl.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (req->body) {
		curl.easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (req->resume_from)
		curl.easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)req->resume_from);
	/* into a file, only a 2xx body: an error page must not land in a
	 * download being resumed (the status is still reported) */
	if (req->out_fd >= 0)
		curl.easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl.easy_setopt(h, CURLOPT_WRITEDATA, &t);
	curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl.easy_setopt(h, CURLOPT_HEADERDATA, &t);
	if (req->progress) {
		curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl.easy_setopt(h, CURLOPT_XFERINFODATA, &t);
		curl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	curl.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
			 req->connect_timeout_s ? req->connect_timeout_s : 10L);
	if (req->timeout_s)
		curl.easy_setopt(h, CURLOPT_TIMEOUT, req->timeout_s);
	if (req->low_speed_s) {
		/* a stalled download fails instead of hanging a cron job */
		curl.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, req->low_speed_s);
	}
	curl.easy_setopt(h, CURLOPT_USERAGENT, req->user_agent ? req->user_agent : "coolbpf");
	cc = curl.easy_perform(h);
	curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (cc != CURLE_OK) {
		snprintf(resp->err, sizeof(resp->err), "%s",
			 t.write_err == -EFBIG ? "response too large" :
			 errbuf[0]	       ? errbuf :
						 "transfer failed");
		err = t.write_err			 ? t.write_err :
		      cc == CURLE_COULDNT_CONNECT	 ? -ECONNREFUSED :
		      cc == CURLE_COULDNT_RESOLVE_HOST	 ? -EHOSTUNREACH :
		      cc == CURLE_OPERATION_TIMEDOUT	 ? -ETIMEDOUT :
		      cc == CURLE_ABORTED_BY_CALLBACK	 ? -ECANCELED :
		      cc == CURLE_RANGE_ERROR		 ? -ERANGE :
		      cc == CURLE_FILE_COULDNT_READ_FILE ? -ENOENT :
							   -EIO;
	}
out:
	if (hdrs)
		curl.slist_free_all(hdrs);
	curl.easy_cleanup(h);
	return err ? cb_err(err) : 0;
}

int http_header(const struct http_resp *resp, const char *name, char *buf, size_t sz)
{
	const char *p = strbuf_str(&resp->headers);
	size_t n = strlen(name);

	while (*p) {
		size_t len = strcspn(p, "\r\n");

		if (len > n && p[n] == ':' && !strncasecmp(p, name, n)) {
			const char *v = p + n + 1;
			size_t vlen = len - n - 1;

			while (vlen && (*v == ' ' || *v == '\t'))
				v++, vlen--;
			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= sz)
				return cb_err(-ENAMETOOLONG);
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			return 0;
		}
		p += len;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	return cb_err(-ENOENT);
}

int http_url(const char *base, const char *path, struct strbuf *url)
{
	int err = strbuf_addstr(url, base);

	while (!err && url->len && url->buf[url->len - 1] == '/')
		strbuf_setlen(url, url->len - 1);
	return err ?: strbuf_addstr(url, path);
}

void http_resp_release(struct http_resp *resp)
{
	if (!resp)
		return;
	strbuf_release(&resp->body);
	strbuf_release(&resp->headers);
}
