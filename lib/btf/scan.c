// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A type's id found by kind and name in a raw BTF file read once, in
 * order, through a small buffer: the kernel's BTF (5.5 MB on 6.18) is
 * never held in memory. libbpf 1.1 reads it whole and copies it once
 * more while parsing (an 11 MB peak) to learn one id: the target of a
 * tp_btf program, or of a probe.
 *
 * The strings are read first (the offsets of every string equal to the
 * name), then the types, each one's size known from its kind, until the
 * first of that kind whose name is one of those offsets: the id
 * btf__find_by_name_kind() gives. A module's BTF is split: its ids and
 * string offsets continue its base's (vmlinux).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "btf.h"

#define BTF_MAGIC_LE 0xeB9F
#define SCAN_BUF     (128u << 10)
/* equal strings a BTF may hold more than once (pahole dedups: one), with
 * its base's */
#define MAX_HITS BTF_SCAN_HITS

struct reader {
	int fd;
	unsigned char *buf;
	size_t len, pos;
	unsigned long long left; /* bytes of the section not yet in buf */
};

static int reader_at(struct reader *r, off_t off, unsigned long long len)
{
	if (lseek(r->fd, off, SEEK_SET) != off)
		return -errno;
	r->len = r->pos = 0;
	r->left = len;
	return 0;
}

/* Bytes of the section in buf from pos, read on when none is left: their
 * number, 0 at the section's end, or -errno. */
static long reader_fill(struct reader *r)
{
	while (r->pos == r->len) {
		size_t want = r->left < SCAN_BUF ? (size_t)r->left : SCAN_BUF;
		ssize_t got;

		if (!want)
			return 0;
		got = read(r->fd, r->buf, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno :
					 -EPROTO; /* the file is shorter than its header says */
		r->len = (size_t)got;
		r->pos = 0;
		r->left -= (size_t)got;
	}
	return (long)(r->len - r->pos);
}

/* The next n bytes of the section into dst (NULL: skip them): 1; 0 when
 * the section ended before them; -errno (-EPROTO: it ends inside them). */
static int reader_take(struct reader *r, void *dst, size_t n)
{
	unsigned char *out = dst;
	bool first = true;

	while (n) {
		long avail = reader_fill(r);
		size_t k;

		if (avail <= 0)
			return avail < 0 ? (int)avail : first ? 0 : -EPROTO;
		k = (size_t)avail < n ? (size_t)avail : n;
		if (out) {
			memcpy(out, r->buf + r->pos, k);
			out += k;
		}
		r->pos += k;
		n -= k;
		first = false;
	}
	return 1;
}

size_t btf_type_rec_size(const struct btf_type *t)
{
	size_t n = sizeof(*t), vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return n + sizeof(__u32);
	case BTF_KIND_ARRAY:
		return n + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return n + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return n + vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return n + vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return n + vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return n + sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return n + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return n + sizeof(struct btf_decl_tag);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return n;
	default:
		return 0;
	}
}

/* The offsets (past base) of the strings equal to name added to the n
 * hits already known: how many then, up to MAX_HITS, or -errno. A string
 * may run on past the buffer: at (its bytes so far) and same (they are
 * name's) carry it over. */
static int find_strings(struct reader *r, const char *name, __u32 base, __u32 *hits, int n)
{
	size_t nlen = strlen(name), at = 0;
	unsigned long long off = 0; /* of buf[pos] in the section */
	unsigned long long start = 0;
	bool same = true;
	long avail;

	while ((avail = reader_fill(r)) > 0) {
		const unsigned char *cur = r->buf + r->pos, *end = r->buf + r->len;

		while (cur < end) {
			const unsigned char *nul = memchr(cur, 0, (size_t)(end - cur));
			size_t seg = (size_t)((nul ? nul : end) - cur);

			same = same && at + seg <= nlen && !memcmp(name + at, cur, seg);
			at += seg;
			if (!nul) {
				cur = end;
				break;
			}
			if (same && at == nlen) {
				if (n == MAX_HITS)
					return -E2BIG;
				hits[n++] = base + (__u32)start;
			}
			cur = nul + 1;
			start = off + (unsigned long long)(cur - (r->buf + r->pos));
			at = 0;
			same = true;
		}
		off += r->len - r->pos;
		r->pos = r->len;
	}
	return avail < 0 ? (int)avail : n;
}

int btf_scan_find(const char *path, const char *name, int kind, const struct btf_scan_base *base,
		  struct btf_scan_base *self)
{
	struct reader r = { .fd = -1 };
	struct btf_header h;
	__u32 hits[MAX_HITS], id = base ? base->nr_types : 0;
	int nhits, err;

	if (!path || !name || !name[0])
		return cb_err(-EINVAL);
	r.buf = malloc(SCAN_BUF);
	if (!r.buf)
		return cb_err(-ENOMEM);
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0) {
		err = -errno;
		goto out;
	}
	if (read(r.fd, &h, sizeof(h)) != (ssize_t)sizeof(h) || h.magic != BTF_MAGIC_LE ||
	    h.hdr_len < sizeof(h)) {
		err = -EPROTO; /* not raw BTF of this host's byte order */
		goto out;
	}
	err = reader_at(&r, (off_t)h.hdr_len + h.str_off, h.str_len);
	if (err)
		goto out;
	nhits = base ? base->nr_hits : 0;
	if (nhits < 0 || nhits > MAX_HITS) {
		err = -EINVAL;
		goto out;
	}
	if (nhits)
		memcpy(hits, base->hits, (size_t)nhits * sizeof(hits[0]));
	nhits = find_strings(&r, name, base ? base->str_len : 0, hits, nhits);
	if (nhits <= 0 && (nhits < 0 || !self)) {
		err = nhits ? nhits : -ENOENT; /* no string of that name: no type of it */
		goto out;
	}
	err = reader_at(&r, (off_t)h.hdr_len + h.type_off, h.type_len);
	if (err)
		goto out;
	for (;;) {
		struct btf_type t;
		long extra;
		int ok = 1;

		if (r.len - r.pos >= sizeof(t)) { /* the common case: no call */
			memcpy(&t, r.buf + r.pos, sizeof(t));
			r.pos += sizeof(t);
		} else {
			ok = reader_take(&r, &t, sizeof(t));
			if (ok <= 0) {
				err = ok ? ok : -ENOENT;
				break;
			}
		}
		id++;
		if (nhits && (int)BTF_INFO_KIND(t.info) == kind) {
			for (int i = 0; i < nhits; i++) {
				if (t.name_off == hits[i]) {
					err = (int)id;
					goto out;
				}
			}
		}
		extra = (long)btf_type_rec_size(&t) - (long)sizeof(t);
		if (extra > 0 && (size_t)extra <= r.len - r.pos) {
			r.pos += (size_t)extra;
			continue;
		}
		while (extra > 0) {
			long k = extra < (long)SCAN_BUF ? extra : (long)SCAN_BUF;

			ok = reader_take(&r, NULL, (size_t)k);
			if (ok <= 0)
				break;
			extra -= k;
		}
		if (extra < 0 || ok <= 0) {
			err = -EPROTO;
			break;
		}
	}
	if (err == -ENOENT && self) {
		self->nr_types = id;
		self->str_len = (base ? base->str_len : 0) + h.str_len;
		self->nr_hits = nhits;
		memcpy(self->hits, hits, (size_t)nhits * sizeof(hits[0]));
	}
out:
	if (r.fd >= 0)
		close(r.fd);
	free(r.buf);
	return err < 0 ? cb_err(err) : err;
}
