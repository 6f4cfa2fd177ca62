// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Histograms into a caller's buffer, for bindings that cannot hand the
 * library a FILE * (the Python binding prints through sys.stdout). */
#include <stdio.h>

#include "decode.h"

int coolbpf_hist_format(char *buf, size_t buf_sz, const char *name, const __u64 *slots,
			unsigned int nr_slots, enum coolbpf_hist_kind kind, __u64 step,
			const char *val_type, enum coolbpf_format fmt)
{
	struct strbuf sb = STRBUF_INIT;
	int err;

	if (!buf && buf_sz)
		return cb_err(-EINVAL);
	err = hist_append(&sb, name, slots, nr_slots, kind, step, val_type, fmt);
	if (!err && sb.len > INT32_MAX)
		err = cb_err(-E2BIG);
	if (!err && buf_sz) {
		size_t n = sb.len < buf_sz - 1 ? sb.len : buf_sz - 1;

		memcpy(buf, strbuf_str(&sb), n);
		buf[n] = '\0';
	}
	if (!err)
		err = (int)sb.len;
	strbuf_release(&sb);
	return err;
}
