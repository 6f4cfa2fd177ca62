// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BTF a kernel image carries: a kernel built with CONFIG_DEBUG_INFO_BTF
 * has its .BTF inside vmlinux, and vmlinux inside vmlinuz, compressed. As
 * the kernel's scripts/extract-vmlinux does, look for each decompressor's
 * magic in the image and try to decompress from there; in what comes out
 * (an ELF vmlinux on x86, a raw Image on arm64) find the BTF header and
 * keep the blob that parses as a kernel's BTF. A 70 MB linux-image package
 * instead of its 0.9 GB -dbg twin and pahole.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "cli.h"

/* a decompressed kernel is well under this */
#define IMAGE_MAX (1024u << 20)
/* tries per format: a magic may occur by chance in compressed data */
#define MAX_TRIES 16

struct btf_hdr_raw {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t type_off, type_len, str_off, str_len;
};

static uint32_t swap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

/* A blob at p that parses as a kernel's BTF: its length, else 0. */
static size_t btf_blob_len(const unsigned char *p, size_t left)
{
	struct btf_hdr_raw h;
	uint64_t end;
	struct btf *btf;
	size_t len;
	bool ok;

	if (left < sizeof(h))
		return 0;
	memcpy(&h, p, sizeof(h));
	if (h.magic == 0x9feb) { /* the other byte order (s390x) */
		h.hdr_len = swap32(h.hdr_len);
		h.type_off = swap32(h.type_off);
		h.type_len = swap32(h.type_len);
		h.str_off = swap32(h.str_off);
		h.str_len = swap32(h.str_len);
	}
	if (h.hdr_len < sizeof(h) || h.hdr_len > 256)
		return 0;
	end = (uint64_t)h.type_off + h.type_len;
	if ((uint64_t)h.str_off + h.str_len > end)
		end = (uint64_t)h.str_off + h.str_len;
	end += h.hdr_len;
	if (end > left)
		return 0;
	len = (size_t)end;
	btf = btf__new(p, (__u32)len);
	if (!btf)
		return 0;
	/* a module's or a program's BTF would parse too: want the kernel's */
	ok = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) > 0;
	btf__free(btf);
	return ok ? len : 0;
}

/* The first kernel BTF in data (raw Image, ELF vmlinux: the .BTF section
 * is the blob as is), copied out. */
static int find_btf(const unsigned char *data, size_t len, void **btf, size_t *btf_len)
{
	static const unsigned char le[] = { 0x9f, 0xeb, 1, 0, 24, 0, 0, 0 };
	static const unsigned char be[] = { 0xeb, 0x9f, 1, 0, 0, 0, 0, 24 };
	const unsigned char *const magics[] = { le, be };

	for (size_t m = 0; m < ARRAY_SIZE(magics); m++) {
		const unsigned char *p = data, *end = data + len;

		while ((p = memmem(p, (size_t)(end - p), magics[m], sizeof(le)))) {
			size_t n = btf_blob_len(p, (size_t)(end - p));

			if (n) {
				*btf = malloc(n);
				if (!*btf)
					return cb_err(-ENOMEM);
				memcpy(*btf, p, n);
				*btf_len = n;
				return 0;
			}
			p++;
		}
	}
	return -ENOENT;
}

/* Decompress the image from off with c: 1 found (btf set), 0 not there,
 * -ENOENT the tool is missing. */
static int try_at(int fd, size_t off, const struct codec *c, struct strbuf *out, void **btf,
		  size_t *btf_len)
{
	int rc;

	strbuf_reset(out);
	lseek(fd, (off_t)off, SEEK_SET);
	/* trailing bytes after the stream make the tool complain: judge by
	 * what it wrote, as extract-vmlinux does */
	rc = run_filter(c->argv, fd, out, IMAGE_MAX);
	if (rc == -ENOENT) {
		pr_debug("btf extract: no '%s' to try the %s data at 0x%zx\n", c->argv[0], c->name,
			 off);
		return -ENOENT;
	}
	return out->len && find_btf((unsigned char *)out->buf, out->len, btf, btf_len) == 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Where the image says its payload is: an x86 bzImage's setup header, an
 * EFI zboot image's header. 0: it does not say. */
static size_t payload_hint(const unsigned char *img, size_t len)
{
	if (len > 0x250 && !memcmp(img + 0x202, "HdrS", 4)) {
		size_t setup = img[0x1f1] ? img[0x1f1] : 4;

		return (setup + 1) * 512 + le32(img + 0x248);
	}
	if (len > 0x40 && !memcmp(img, "MZ", 2) && !memcmp(img + 4, "zimg", 4))
		return le32(img + 8);
	return 0;
}

/* codecs in the order an image is scanned: strong magics first, lzma's
 * three bytes (common by chance) last */
static const char *const scan_order[] = { "xz", "zstd", "lz4", "gzip", "bzip2", "lzo", "lzma" };

static const struct codec *codec_named(const char *name)
{
	for (size_t i = 0; codec_at(i); i++) {
		if (!strcmp(codec_at(i)->name, name))
			return codec_at(i);
	}
	return NULL;
}

int btf_from_image(const char *path, void **btf, size_t *btf_len, char *how, size_t how_sz)
{
	struct strbuf out = STRBUF_INIT;
	bool missing_tool = false;
	const struct codec *c;
	unsigned char *img;
	size_t len, hint;
	int fd, err, found = 0;

	err = read_file(path, (void **)&img, &len);
	if (err) {
		pr_warn("cannot read kernel image '%s': %s\n", path, strerror(-err));
		return cb_err(err);
	}
	if (find_btf(img, len, btf, btf_len) == 0) {
		snprintf(how, how_sz, "uncompressed");
		free(img);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(img);
		return cb_err(err);
	}
	hint = payload_hint(img, len);
	if (hint && hint < len && (c = codec_sniff(img + hint, len - hint))) {
		found = try_at(fd, hint, c, &out, btf, btf_len);
		if (found > 0)
			snprintf(how, how_sz, "%s payload at offset 0x%zx", c->name, hint);
		missing_tool |= found == -ENOENT;
	}
	for (size_t i = 0; found <= 0 && i < ARRAY_SIZE(scan_order); i++) {
		const unsigned char *p = img, *end = img + len;
		int tries = 0;

		c = codec_named(scan_order[i]);
		while (c && tries < MAX_TRIES &&
		       (p = memmem(p, (size_t)(end - p), c->magic, c->magic_len))) {
			tries++;
			found = try_at(fd, (size_t)(p - img), c, &out, btf, btf_len);
			if (found > 0) {
				snprintf(how, how_sz, "%s data at offset 0x%zx", c->name,
					 (size_t)(p - img));
				break;
			}
			if (found == -ENOENT) {
				missing_tool = true;
				break;
			}
			p++;
		}
	}
	close(fd);
	strbuf_release(&out);
	free(img);
	if (found > 0)
		return 0;
	snprintf(how, how_sz, "%s",
		 missing_tool ? "no BTF found, and a decompressor it may need is not installed "
				"(xz-utils, zstd, lz4, lzop, bzip2)" :
				"no BTF in it: built without CONFIG_DEBUG_INFO_BTF, or not a "
				"kernel image");
	return cb_err(-ENOENT);
}
