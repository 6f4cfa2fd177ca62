// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Byte encodings: base64 (the compile server's JSON carries objects in it)
 * and gzip through zlib (the BTF archive's entries). */
#include <stdlib.h>

#include <zlib.h>

#include "base.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(struct strbuf *sb, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t out = (len + 2) / 3 * 4;
	char *w;

	if (strbuf_grow(sb, out + 1))
		return -ENOMEM;
	w = sb->buf + sb->len;
	for (; len >= 3; p += 3, len -= 3) {
		*w++ = b64chars[p[0] >> 2];
		*w++ = b64chars[((p[0] & 3) << 4) | (p[1] >> 4)];
		*w++ = b64chars[((p[1] & 15) << 2) | (p[2] >> 6)];
		*w++ = b64chars[p[2] & 63];
	}
	if (len) {
		*w++ = b64chars[p[0] >> 2];
		*w++ = b64chars[((p[0] & 3) << 4) | (len > 1 ? p[1] >> 4 : 0)];
		*w++ = len > 1 ? b64chars[(p[1] & 15) << 2] : '=';
		*w++ = '=';
	}
	strbuf_setlen(sb, sb->len + out);
	return 0;
}

int base64_decode(const char *s, size_t len, void **out, size_t *out_sz)
{
	unsigned char *buf = malloc(len / 4 * 3 + 3), *w = buf;
	unsigned int acc = 0;
	int bits = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		const char *c;

		if (s[i] == '=')
			break;
		c = s[i] ? strchr(b64chars, s[i]) : NULL;
		if (!c) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned int)(c - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*w++ = (unsigned char)(acc >> bits);
		}
	}
	*out = buf;
	*out_sz = (size_t)(w - buf);
	return 0;
}

bool is_gzip(const void *data, size_t len)
{
	const unsigned char *p = data;

	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

int gunzip(const void *in, size_t in_len, void **out, size_t *out_len)
{
	return gunzip_max(in, in_len, SIZE_MAX / 4, out, out_len);
}

int gunzip_max(const void *in, size_t in_len, size_t max, void **out, size_t *out_len)
{
	z_stream zs = { 0 };
	/* gzip's trailer holds the size mod 2^32: a good first guess */
	size_t cap = in_len >= 4 ? (size_t)((const unsigned char *)in)[in_len - 1] << 24 |
					   (size_t)((const unsigned char *)in)[in_len - 2] << 16 |
					   (size_t)((const unsigned char *)in)[in_len - 3] << 8 |
					   (size_t)((const unsigned char *)in)[in_len - 4] :
				   0;
	char *buf;
	int zerr;

	if (cap < in_len)
		cap = in_len * 4 + 64;
	/* the trailer is the sender's word: never more than max up front */
	if (cap > max)
		cap = max + 1;
	buf = malloc(cap + 1);
	if (!buf)
		return cb_err(-ENOMEM);
	if (inflateInit2(&zs, 15 + 32) != Z_OK) {
		free(buf);
		return cb_err(-ENOMEM);
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_len;
	do {
		if (zs.total_out == cap) {
			char *p;

			if (cap > max) {
				zerr = Z_BUF_ERROR;
				break;
			}
			p = realloc(buf, cap * 2 + 1);

			if (!p) {
				zerr = Z_MEM_ERROR;
				break;
			}
			buf = p;
			cap *= 2;
		}
		zs.next_out = (Bytef *)buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		zerr = inflate(&zs, Z_NO_FLUSH);
	} while (zerr == Z_OK);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	if (zerr != Z_STREAM_END) {
		free(buf);
		return cb_err(zerr == Z_MEM_ERROR ? -ENOMEM :
			      zerr == Z_BUF_ERROR ? -EFBIG :
						    -EBADMSG);
	}
	if (*out_len > max) {
		free(buf);
		return cb_err(-EFBIG);
	}
	buf[*out_len] = '\0';
	*out = buf;
	return 0;
}

int gzip(const void *in, size_t in_len, void **out, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap;
	char *buf;
	int err;

	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return cb_err(-ENOMEM);
	cap = deflateBound(&zs, (uLong)in_len);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return cb_err(-ENOMEM);
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)cap;
	err = deflate(&zs, Z_FINISH) == Z_STREAM_END ? 0 : -EIO;
	deflateEnd(&zs);
	if (err) {
		free(buf);
		return cb_err(err);
	}
	*out = buf;
	*out_len = zs.total_out;
	return 0;
}
