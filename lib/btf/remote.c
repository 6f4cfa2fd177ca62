// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The resolver's last step: a kernel none of the others has BTF for is
 * asked of a coolbpfd (GET /v1/btf/<arch>/<release>, the archive it
 * serves). What comes back must hash to the X-Coolbpf-Sha256 the server
 * sends and parse as BTF; it is then kept as an archive entry of the
 * caller's cache (<cache>/btf-remote/<arch>/<release>.btf.gz), which the
 * resolver reads before asking again.
 */
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>

#include "btf.h"

#define BTF_MAX (256u << 20)

int btf_remote_fetch(const struct btf_query *q, struct btf_choice *c, void **data, size_t *len)
{
	struct strbuf url = STRBUF_INIT, path = STRBUF_INIT, auth = STRBUF_INIT;
	const char *hdrs[2] = { NULL, NULL };
	struct http_resp resp = { 0 };
	char want[72] = "", got[65];
	struct btf *btf;
	int err;

	err = strbuf_addf(&path, "/v1/btf/%s/%s", c->arch, c->release);
	err = err ?: http_url(q->server, path.buf, &url);
	if (!err && q->server_token && *q->server_token) {
		err = strbuf_addf(&auth, "Authorization: Bearer %s", q->server_token);
		hdrs[0] = auth.buf;
	}
	if (err)
		goto out;
	{
		struct http_req req = {
			.url = url.buf,
			.headers = hdrs,
			.out_fd = -1,
			.max_body = BTF_MAX,
			.timeout_s = 120,
			.user_agent = "coolbpf",
		};

		err = http_request(&req, &resp);
	}
	if (err) {
		snprintf(c->remote, sizeof(c->remote), "cannot reach %s: %s", url.buf, resp.err);
		goto out;
	}
	if (resp.status == 404) {
		snprintf(c->remote, sizeof(c->remote), "%s has none either (HTTP 404)", url.buf);
		err = -ENOENT;
		goto out;
	}
	if (resp.status != 200) {
		snprintf(c->remote, sizeof(c->remote), "%s answered HTTP %ld", url.buf,
			 resp.status);
		err = resp.status == 401 ? -EACCES : -EIO;
		goto out;
	}
	sha256_hex(strbuf_str(&resp.body), resp.body.len, got);
	if (http_header(&resp, "X-Coolbpf-Sha256", want, sizeof(want)) || strcmp(want, got)) {
		snprintf(c->remote, sizeof(c->remote),
			 "%s sent BTF whose sha256 %.16s... is not the %s it announced: refused",
			 url.buf, got, want[0] ? want : "(none)");
		pr_warn("BTF from %s: sha256 %s, the server said %s: refused\n", url.buf, got,
			want[0] ? want : "nothing (X-Coolbpf-Sha256 missing)");
		err = -EBADMSG;
		goto out;
	}
	btf = btf__new(resp.body.buf, (__u32)resp.body.len);
	if (!btf) {
		snprintf(c->remote, sizeof(c->remote), "%s sent something that is not BTF",
			 url.buf);
		err = -EBADMSG;
		goto out;
	}
	btf__free(btf);
	snprintf(c->remote, sizeof(c->remote), "%s", url.buf);
	*len = resp.body.len;
	*data = strbuf_detach(&resp.body, NULL);
out:
	http_resp_release(&resp);
	strbuf_release(&url);
	strbuf_release(&path);
	strbuf_release(&auth);
	return err ? cb_err(err) : 0;
}
