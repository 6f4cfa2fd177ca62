// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BTF and BPF objects checked before libbpf sees them. libbpf 1.1 trusts
 * the type graph it parses: one byte changed in an object's .BTF (a type
 * id past the last type) makes bpf_object__open_mem() read out of bounds
 * and crash. Here the header and its sections are checked against the
 * buffer, then (btf__new having checked each type's size) every name
 * offset and every type id a type refers to, as libbpf >= 1.3 does in
 * btf_sanity_check(). An object's .BTF and .BTF.ext get the same before
 * it is opened.
 */
#include <gelf.h>
#include <stdarg.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "btf.h"

#define BTF_MAGIC_LE 0xeB9F

__printf(3, 4) static int bad(char *why, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sz, fmt, ap);
	va_end(ap);
	return cb_err(-EBADMSG);
}

/* The header and section bounds, in the buffer's own byte order. */
static int check_header(const void *data, size_t len, char *why, size_t sz)
{
	struct btf_header h;
	unsigned long long end_t, end_s;

	if (len < sizeof(h))
		return bad(why, sz, "%llu bytes, shorter than a BTF header (%llu)",
			   (unsigned long long)(len), (unsigned long long)(sizeof(h)));
	memcpy(&h, data, sizeof(h));
	if (h.magic != BTF_MAGIC_LE)
		return bad(why, sz, "bad magic 0x%llx (BTF has 0x%llx, in this byte order)",
			   (unsigned long long)(h.magic), (unsigned long long)(BTF_MAGIC_LE));
	if (h.version != 1)
		return bad(why, sz, "BTF version %llu (this library reads %llu)",
			   (unsigned long long)(h.version), (unsigned long long)(1));
	if (h.hdr_len < sizeof(h) || h.hdr_len > len)
		return bad(why, sz, "header length %llu outside the %llu bytes",
			   (unsigned long long)(h.hdr_len), (unsigned long long)(len));
	end_t = (unsigned long long)h.hdr_len + h.type_off + h.type_len;
	end_s = (unsigned long long)h.hdr_len + h.str_off + h.str_len;
	if (end_t > len || end_s > len)
		return bad(why, sz, "sections end at %llu, past the %llu bytes",
			   (unsigned long long)(end_t > end_s ? end_t : end_s),
			   (unsigned long long)(len));
	if (h.type_off % 4 || h.type_len % 4)
		return bad(why, sz, "type section at %llu+%llu, not 4-byte aligned",
			   (unsigned long long)(h.type_off), (unsigned long long)(h.type_len));
	if (!h.str_len || ((const char *)data)[h.hdr_len + h.str_off] ||
	    ((const char *)data)[h.hdr_len + h.str_off + h.str_len - 1])
		return bad(why, sz, "string section at %llu+%llu is not NUL-delimited",
			   (unsigned long long)(h.str_off), (unsigned long long)(h.str_len));
	return 0;
}

static bool name_ok(const struct btf *btf, __u32 off)
{
	return btf__str_by_offset(btf, off) != NULL;
}

/* Every type's name and every type id it refers to exist. */
static int check_types(const struct btf *btf, char *why, size_t sz)
{
	__u32 n = btf__type_cnt(btf);

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		__u16 vlen = btf_vlen(t);
		__u32 ref = 0;
		bool has_ref = false;

		if (!t)
			return bad(why, sz, "type %llu of %llu missing", (unsigned long long)(id),
				   (unsigned long long)(n));
		if (!name_ok(btf, t->name_off))
			return bad(why, sz, "type %llu: name offset %llu outside the strings",
				   (unsigned long long)(id), (unsigned long long)(t->name_off));
		switch (btf_kind(t)) {
		case BTF_KIND_INT:
		case BTF_KIND_FLOAT:
		case BTF_KIND_FWD:
			break;
		case BTF_KIND_PTR:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
		case BTF_KIND_DECL_TAG:
		case BTF_KIND_VAR:
			ref = t->type, has_ref = true;
			break;
		case BTF_KIND_FUNC:
			ref = t->type, has_ref = true;
			if (ref >= n || !btf_is_func_proto(btf__type_by_id(btf, ref)))
				return bad(why, sz, "function %llu: prototype %llu is not one",
					   (unsigned long long)(id), (unsigned long long)(ref));
			break;
		case BTF_KIND_ARRAY: {
			const struct btf_array *a = btf_array(t);

			if (a->type >= n || a->index_type >= n)
				return bad(why, sz, "array %llu: element or index type past %llu",
					   (unsigned long long)(id), (unsigned long long)(n));
			break;
		}
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION: {
			const struct btf_member *m = btf_members(t);

			for (__u16 i = 0; i < vlen; i++, m++)
				if (m->type >= n || !name_ok(btf, m->name_off))
					return bad(why, sz, "struct %llu: member %llu is bad",
						   (unsigned long long)(id),
						   (unsigned long long)(i));
			break;
		}
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: {
			/* btf_enum and btf_enum64 both start with name_off */
			size_t stride = btf_is_enum(t) ? sizeof(struct btf_enum) :
							 sizeof(struct btf_enum64);

			for (__u16 i = 0; i < vlen; i++) {
				__u32 name;

				memcpy(&name, (const char *)(t + 1) + i * stride, sizeof(name));
				if (!name_ok(btf, name))
					return bad(why, sz, "enum %llu: value %llu has no name",
						   (unsigned long long)(id),
						   (unsigned long long)(i));
			}
			break;
		}
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *p = btf_params(t);

			ref = t->type, has_ref = true;
			for (__u16 i = 0; i < vlen; i++, p++)
				if (p->type >= n || !name_ok(btf, p->name_off))
					return bad(why, sz, "prototype %llu: parameter %llu is bad",
						   (unsigned long long)(id),
						   (unsigned long long)(i));
			break;
		}
		case BTF_KIND_DATASEC: {
			const struct btf_var_secinfo *v = btf_var_secinfos(t);

			for (__u16 i = 0; i < vlen; i++, v++)
				if (v->type >= n || v->type == 0)
					return bad(why, sz, "section %llu: variable %llu is bad",
						   (unsigned long long)(id),
						   (unsigned long long)(i));
			break;
		}
		default:
			return bad(why, sz, "type %llu: unknown kind %llu",
				   (unsigned long long)(id), (unsigned long long)(btf_kind(t)));
		}
		if (has_ref && ref >= n)
			return bad(why, sz, "type %llu refers to type %llu, past the last",
				   (unsigned long long)(id), (unsigned long long)(ref));
	}
	return 0;
}

struct btf *btf_new_checked(const void *data, size_t len, char *why, size_t sz)
{
	struct btf *btf;
	int err;

	if (len > BTF_FILE_MAX) {
		bad(why, sz, "%zu bytes, more than BTF takes (at most %u)", len, BTF_FILE_MAX);
		return cb_err_ptr(-EFBIG);
	}
	err = check_header(data, len, why, sz);
	if (err)
		return cb_err_ptr(err);
	btf = btf__new(data, (__u32)len);
	if (!btf) {
		err = -errno;
		snprintf(why, sz, "libbpf cannot parse it: %s", strerror(-err));
		return cb_err_ptr(-EBADMSG);
	}
	err = check_types(btf, why, sz);
	if (err) {
		btf__free(btf);
		return cb_err_ptr(err);
	}
	return btf;
}

int btf_check(const void *data, size_t len, char *why, size_t sz)
{
	struct btf *btf = btf_new_checked(data, len, why, sz);

	if (!btf)
		return cb_err(-errno);
	btf__free(btf);
	return 0;
}

/* .BTF.ext: its header and sections inside it (the records libbpf checks) */
static int check_btf_ext(const Elf_Data *d, char *why, size_t sz)
{
	struct {
		__u16 magic;
		__u8 version, flags;
		__u32 hdr_len, func_info_off, func_info_len, line_info_off, line_info_len;
	} hdr, *h = &hdr;
	unsigned long long end;

	if (d->d_size < sizeof(*h))
		return bad(why, sz, ".BTF.ext: %llu bytes, shorter than its header (%llu)",
			   (unsigned long long)(d->d_size), (unsigned long long)(sizeof(*h)));
	/* copied: the section may start at any offset of the file */
	memcpy(&hdr, d->d_buf, sizeof(hdr));
	if (h->magic != BTF_MAGIC_LE || h->version != 1)
		return bad(why, sz, ".BTF.ext: bad magic 0x%llx or version %llu",
			   (unsigned long long)(h->magic), (unsigned long long)(h->version));
	if (h->hdr_len < sizeof(*h) || h->hdr_len > d->d_size)
		return bad(why, sz, ".BTF.ext: header length %llu outside the %llu bytes",
			   (unsigned long long)(h->hdr_len), (unsigned long long)(d->d_size));
	end = (unsigned long long)h->hdr_len + h->func_info_off + h->func_info_len;
	if (end < (unsigned long long)h->hdr_len + h->line_info_off + h->line_info_len)
		end = (unsigned long long)h->hdr_len + h->line_info_off + h->line_info_len;
	if (end > d->d_size)
		return bad(why, sz, ".BTF.ext: sections end at %llu, past the %llu bytes",
			   (unsigned long long)(end), (unsigned long long)(d->d_size));
	return 0;
}

/* Each section inside the file and named; on_sec for each (non-zero stops). */
static int elf_walk(const void *obj, size_t obj_sz, bool bpf, char *why, size_t sz,
		    int (*on_sec)(const char *name, Elf_Data *d, void *ctx, char *why, size_t sz),
		    void *ctx)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx;
	int err = 0;

	if (obj_sz < EI_NIDENT || memcmp(obj, ELFMAG, SELFMAG))
		return bad(why, sz, "not an ELF file (%zu bytes)", obj_sz);
	if (((const unsigned char *)obj)[EI_CLASS] != ELFCLASS64)
		return bad(why, sz, "not a 64-bit ELF (class %d)",
			   ((const unsigned char *)obj)[EI_CLASS]);
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)obj, obj_sz);
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx)) {
		snprintf(why, sz, "not a valid ELF object: %s", elf_errmsg(-1));
		err = -EBADMSG;
		goto out;
	}
	if (bpf && eh.e_machine != EM_BPF) {
		err = bad(why, sz, "an ELF for machine %d, not BPF (%d)", eh.e_machine, EM_BPF);
		goto out;
	}
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh)) {
			snprintf(why, sz, "a bad section header: %s", elf_errmsg(-1));
			err = -EBADMSG;
			break;
		}
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > obj_sz || sh.sh_size > obj_sz - sh.sh_offset)) {
			err = bad(why, sz, "a section at %llu+%llu past the end of the file",
				  (unsigned long long)sh.sh_offset, (unsigned long long)sh.sh_size);
			break;
		}
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name) {
			err = bad(why, sz, "section %zu has no name", elf_ndxscn(scn));
			break;
		}
		d = sh.sh_type == SHT_NOBITS ? NULL : elf_getdata(scn, NULL);
		err = on_sec(name, d, ctx, why, sz);
	}
out:
	elf_end(elf);
	return err > 0 ? 0 : err;
}

static int check_sec(const char *name, Elf_Data *d, void *ctx, char *why, size_t sz)
{
	char inner[200];
	int err;

	(void)ctx;
	if (strcmp(name, ".BTF") && strcmp(name, ".BTF.ext"))
		return 0;
	if (!d || !d->d_buf || !d->d_size)
		return bad(why, sz, "its %s section is empty", name);
	if (!strcmp(name, ".BTF.ext"))
		return check_btf_ext(d, why, sz);
	err = btf_check(d->d_buf, d->d_size, inner, sizeof(inner));
	if (err)
		snprintf(why, sz, "its .BTF is damaged: %s", inner);
	return err;
}

int bpf_elf_check(const void *obj, size_t obj_sz, char *why, size_t sz)
{
	if (obj_sz > BPF_OBJECT_MAX)
		return bad(why, sz, "%zu bytes, more than a BPF object takes (at most %u)", obj_sz,
			   BPF_OBJECT_MAX);
	return elf_walk(obj, obj_sz, true, why, sz, check_sec, NULL);
}

struct found {
	struct btf *btf;
	int err;
};

static int btf_sec(const char *name, Elf_Data *d, void *ctx, char *why, size_t sz)
{
	struct found *f = ctx;
	char inner[200];

	if (strcmp(name, ".BTF"))
		return 0;
	if (!d || !d->d_buf || !d->d_size)
		return bad(why, sz, "its .BTF section is empty");
	f->btf = btf_new_checked(d->d_buf, d->d_size, inner, sizeof(inner));
	if (!f->btf) {
		f->err = -errno;
		return bad(why, sz, "its .BTF is damaged: %s", inner);
	}
	return 1;
}

struct btf *btf_from_bytes(const void *data, size_t len, char *why, size_t sz)
{
	struct found f = { 0 };
	int err;

	if (len < SELFMAG || memcmp(data, ELFMAG, SELFMAG))
		return btf_new_checked(data, len, why, sz);
	err = elf_walk(data, len, false, why, sz, btf_sec, &f);
	if (!err && !f.btf)
		err = bad(why, sz, "an ELF file without a .BTF section");
	return f.btf ? f.btf : cb_err_ptr(err);
}
