// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The types of a BPF object's DWARF, for what its BTF does not hold: clang
 * puts into .BTF only the types that maps, globals and function signatures
 * name, so an event struct that appears only in `sizeof(e)` or a local
 * variable is in .debug_info alone. This reads the DWARF 4/5 that clang
 * writes for -target bpf (one compile unit, relocatable: the in-place
 * values of .rel.debug_* are the offsets, against section symbols at 0)
 * and copies a type from it into a BTF.
 */
#include <elf.h>
#include <stdlib.h>

#include <bpf/btf.h>

#include "btf.h"

enum {
	TAG_array = 0x01,
	TAG_enumeration = 0x04,
	TAG_member = 0x0d,
	TAG_pointer = 0x0f,
	TAG_compile_unit = 0x11,
	TAG_structure = 0x13,
	TAG_subroutine = 0x15,
	TAG_typedef = 0x16,
	TAG_union = 0x17,
	TAG_subrange = 0x21,
	TAG_base = 0x24,
	TAG_const = 0x26,
	TAG_enumerator = 0x28,
	TAG_variable = 0x34,
	TAG_formal_parameter = 0x05,
	TAG_volatile = 0x35,
	TAG_restrict = 0x37,
	TAG_atomic = 0x47,
};

enum {
	AT_name = 0x03,
	AT_byte_size = 0x0b,
	AT_stmt_list = 0x10,
	AT_const_value = 0x1c,
	AT_upper_bound = 0x2f,
	AT_count = 0x37,
	AT_data_member_location = 0x38,
	AT_decl_file = 0x3a,
	AT_declaration = 0x3c,
	AT_encoding = 0x3e,
	AT_type = 0x49,
	AT_bit_size = 0x0d,
	AT_data_bit_offset = 0x6b,
	AT_str_offsets_base = 0x72,
};

struct cursor {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t rd(struct cursor *c, size_t n)
{
	uint64_t v = 0;

	if ((size_t)(c->end - c->p) < n) {
		c->bad = true;
		c->p = c->end;
		return 0;
	}
	/* a field wider than 8 bytes (a crafted address size) is passed
	 * over, its low 8 bytes kept: no shift of 64 or more */
	for (size_t i = 0; i < n && i < sizeof(v); i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static uint64_t uleb(struct cursor *c)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (c->p < c->end) {
		unsigned char b = *c->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return v;
}

static int64_t sleb(struct cursor *c)
{
	uint64_t v = 0; /* unsigned: a shift into bit 63 is defined */
	unsigned int shift = 0;
	unsigned char b = 0;

	while (c->p < c->end) {
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

static void skip(struct cursor *c, uint64_t n)
{
	if ((uint64_t)(c->end - c->p) < n) {
		c->bad = true;
		c->p = c->end;
	} else {
		c->p += n;
	}
}

struct abbrev_attr {
	uint16_t at, form;
	int64_t implicit;
};

struct abbrev {
	uint64_t code;
	uint16_t tag;
	bool children;
	struct abbrev_attr *attrs;
	size_t n;
};

struct sect {
	const unsigned char *buf;
	size_t sz;
};

struct dwarf {
	struct sect info, abbrev, str, str_offsets, line, line_str;
	struct abbrev *abbrevs;
	size_t nr_abbrevs;
	struct dw_die *dies;
	size_t nr_dies, cap_dies;
	char **files;
	size_t nr_files;
	/* dies[i] -> BTF id while copying (0: not yet) */
	__u32 *memo;
	struct btf *memo_btf;
};

static const char *str_at(const struct dwarf *d, uint64_t off)
{
	if (off >= d->str.sz)
		return NULL;
	return memchr(d->str.buf + off, 0, d->str.sz - off) ? (const char *)d->str.buf + off : NULL;
}

static const char *line_str_at(const struct dwarf *d, uint64_t off)
{
	if (off >= d->line_str.sz)
		return NULL;
	return memchr(d->line_str.buf + off, 0, d->line_str.sz - off) ?
		       (const char *)d->line_str.buf + off :
		       NULL;
}

static int abbrevs_read(struct dwarf *d, uint64_t off)
{
	struct cursor c = { d->abbrev.buf + off, d->abbrev.buf + d->abbrev.sz, off > d->abbrev.sz };

	while (!c.bad && c.p < c.end) {
		struct abbrev a = { 0 }, *na;
		size_t cap = 0;

		a.code = uleb(&c);
		if (!a.code)
			break;
		a.tag = (uint16_t)uleb(&c);
		a.children = rd(&c, 1) != 0;
		for (;;) {
			uint64_t at = uleb(&c), form = uleb(&c);
			struct abbrev_attr *x;
			int64_t imp = form == 0x21 ? sleb(&c) : 0;

			if (c.bad || (!at && !form))
				break;
			if (a.n == cap) {
				cap = cap ? cap * 2 : 8;
				x = realloc(a.attrs, cap * sizeof(*x));
				if (!x) {
					free(a.attrs);
					return -ENOMEM;
				}
				a.attrs = x;
			}
			a.attrs[a.n++] = (struct abbrev_attr){ (uint16_t)at, (uint16_t)form, imp };
		}
		na = realloc(d->abbrevs, (d->nr_abbrevs + 1) * sizeof(*na));
		if (!na) {
			free(a.attrs);
			return -ENOMEM;
		}
		d->abbrevs = na;
		d->abbrevs[d->nr_abbrevs++] = a;
	}
	return c.bad ? -EINVAL : 0;
}

static const struct abbrev *abbrev_find(const struct dwarf *d, uint64_t code)
{
	/* clang numbers them 1..n in order */
	if (code && code <= d->nr_abbrevs && d->abbrevs[code - 1].code == code)
		return &d->abbrevs[code - 1];
	for (size_t i = 0; i < d->nr_abbrevs; i++)
		if (d->abbrevs[i].code == code)
			return &d->abbrevs[i];
	return NULL;
}

struct form_val {
	uint64_t u;
	int64_t s;
	const char *str;
	bool is_str, is_signed;
};

/* Read (or skip) one attribute value of FORM. */
static void form_read(struct dwarf *d, struct cursor *c, const struct abbrev_attr *a,
		      uint64_t unit_off, uint64_t str_base, int addr_sz, struct form_val *v)
{
	memset(v, 0, sizeof(*v));
	switch (a->form) {
	case 0x01: /* addr */
		v->u = rd(c, (size_t)addr_sz);
		break;
	case 0x0b: /* data1 */
	case 0x11: /* ref1 */
	case 0x0c: /* flag */
	case 0x25: /* strx1 */
	case 0x29: /* addrx1 */
		v->u = rd(c, 1);
		break;
	case 0x05: /* data2 */
	case 0x12: /* ref2 */
	case 0x26: /* strx2 */
	case 0x2a: /* addrx2 */
		v->u = rd(c, 2);
		break;
	case 0x27: /* strx3 */
	case 0x2b: /* addrx3 */
		v->u = rd(c, 3);
		break;
	case 0x06: /* data4 */
	case 0x13: /* ref4 */
	case 0x0e: /* strp */
	case 0x1f: /* line_strp */
	case 0x17: /* sec_offset */
	case 0x10: /* ref_addr */
	case 0x28: /* strx4 */
	case 0x2c: /* addrx4 */
	case 0x1d: /* strp_sup */
	case 0x1c: /* ref_sup4 */
		v->u = rd(c, 4);
		break;
	case 0x07: /* data8 */
	case 0x14: /* ref8 */
	case 0x20: /* ref_sig8 */
		v->u = rd(c, 8);
		break;
	case 0x1e: /* data16 */
		skip(c, 16);
		break;
	case 0x0d: /* sdata */
		v->s = sleb(c);
		v->u = (uint64_t)v->s;
		v->is_signed = true;
		break;
	case 0x0f: /* udata */
	case 0x15: /* ref_udata */
	case 0x1a: /* strx */
	case 0x1b: /* addrx */
	case 0x22: /* loclistx */
	case 0x23: /* rnglistx */
		v->u = uleb(c);
		break;
	case 0x08: /* string */
		v->str = (const char *)c->p;
		while (c->p < c->end && *c->p)
			c->p++;
		if (c->p < c->end)
			c->p++;
		else
			c->bad = true, v->str = NULL;
		v->is_str = true;
		return;
	case 0x18: /* exprloc */
	case 0x09: /* block */
		skip(c, uleb(c));
		break;
	case 0x0a: /* block1 */
		skip(c, rd(c, 1));
		break;
	case 0x03: /* block2 */
		skip(c, rd(c, 2));
		break;
	case 0x04: /* block4 */
		skip(c, rd(c, 4));
		break;
	case 0x19: /* flag_present */
		v->u = 1;
		break;
	case 0x21: /* implicit_const */
		v->s = a->implicit;
		v->u = (uint64_t)a->implicit;
		v->is_signed = true;
		break;
	default:
		c->bad = true;
		return;
	}
	switch (a->form) {
	case 0x11:
	case 0x12:
	case 0x13:
	case 0x14:
	case 0x15:
		v->u += unit_off; /* CU-relative reference */
		break;
	case 0x0e:
		v->str = str_at(d, v->u);
		v->is_str = true;
		break;
	case 0x1f:
		v->str = line_str_at(d, v->u);
		v->is_str = true;
		break;
	case 0x25:
	case 0x26:
	case 0x27:
	case 0x28:
	case 0x1a: {
		uint64_t at = str_base + v->u * 4;

		v->is_str = true;
		if (at + 4 <= d->str_offsets.sz) {
			struct cursor s = { d->str_offsets.buf + at, d->str_offsets.buf + at + 4 };

			v->str = str_at(d, rd(&s, 4));
		}
		break;
	}
	default:
		break;
	}
}

static int die_push(struct dwarf *d, const struct dw_die *die)
{
	if (d->nr_dies == d->cap_dies) {
		size_t cap = d->cap_dies ? d->cap_dies * 2 : 1024;
		struct dw_die *n = realloc(d->dies, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		d->dies = n;
		d->cap_dies = cap;
	}
	d->dies[d->nr_dies++] = *die;
	return 0;
}

/* The file names of the line table at OFF (DWARF 5 only; older: none). */
static void files_read(struct dwarf *d, uint64_t off)
{
	struct cursor c = { d->line.buf + off, d->line.buf + d->line.sz, off >= d->line.sz };
	unsigned int opbase;
	uint64_t nfmt, n;
	struct abbrev_attr fmt[8];

	rd(&c, 4); /* unit_length (32-bit DWARF) */
	if (rd(&c, 2) != 5)
		return;
	rd(&c, 2); /* address and segment selector sizes */
	rd(&c, 4); /* header_length */
	rd(&c, 5); /* min_inst, max_ops, default_is_stmt, line_base, line_range */
	opbase = (unsigned int)rd(&c, 1);
	skip(&c, opbase ? opbase - 1 : 0);
	for (int pass = 0; pass < 2 && !c.bad; pass++) {
		nfmt = rd(&c, 1);
		if (nfmt > 8)
			return;
		for (uint64_t i = 0; i < nfmt; i++) {
			fmt[i].at = (uint16_t)uleb(&c);
			fmt[i].form = (uint16_t)uleb(&c);
			fmt[i].implicit = 0;
		}
		n = uleb(&c);
		if (pass == 1) {
			d->files = calloc(n ? n : 1, sizeof(*d->files));
			if (!d->files)
				return;
			d->nr_files = n;
		}
		for (uint64_t i = 0; i < n && !c.bad; i++) {
			for (uint64_t k = 0; k < nfmt; k++) {
				struct form_val v;

				form_read(d, &c, &fmt[k], 0, 0, 8, &v);
				if (pass == 1 && fmt[k].at == 1 /* DW_LNCT_path */ && v.str)
					d->files[i] = strdup(v.str);
			}
		}
	}
}

static int info_read(struct dwarf *d)
{
	struct cursor c = { d->info.buf, d->info.buf + d->info.sz, false };

	while (!c.bad && c.p < c.end) {
		uint64_t unit_off = (uint64_t)(c.p - d->info.buf), len = rd(&c, 4);
		const unsigned char *unit_end = c.p + len;
		uint64_t abbrev_off, str_base = 8;
		int ver, addr_sz, depth = 0, err;
		size_t parents[64];
		struct cursor u;

		if (len == 0xffffffff || len > (uint64_t)(c.end - c.p))
			return -EINVAL; /* 64-bit DWARF: clang does not write it for BPF */
		u = (struct cursor){ c.p, unit_end, false };
		ver = (int)rd(&u, 2);
		if (ver >= 5) {
			if (rd(&u, 1) != 1 /* DW_UT_compile */)
				goto next;
			addr_sz = (int)rd(&u, 1);
			abbrev_off = rd(&u, 4);
		} else if (ver >= 2) {
			abbrev_off = rd(&u, 4);
			addr_sz = (int)rd(&u, 1);
		} else {
			goto next;
		}
		for (size_t i = 0; i < d->nr_abbrevs; i++)
			free(d->abbrevs[i].attrs);
		free(d->abbrevs);
		d->abbrevs = NULL;
		d->nr_abbrevs = 0;
		err = abbrevs_read(d, abbrev_off);
		if (err)
			return err;
		while (!u.bad && u.p < u.end) {
			struct dw_die die = { .off = (uint32_t)(u.p - d->info.buf) };
			uint64_t code = uleb(&u);
			const struct abbrev *a;

			if (!code) {
				if (depth > 0)
					depth--;
				continue;
			}
			a = abbrev_find(d, code);
			if (!a)
				return -EINVAL;
			die.tag = a->tag;
			die.parent = depth > 0 ? parents[depth - 1] : SIZE_MAX;
			for (size_t i = 0; i < a->n; i++) {
				struct form_val v;

				form_read(d, &u, &a->attrs[i], unit_off, str_base, addr_sz, &v);
				switch (a->attrs[i].at) {
				case AT_name:
					die.name = v.str;
					break;
				case AT_byte_size:
					die.byte_size = v.u;
					break;
				case AT_type:
					die.type = (uint32_t)v.u;
					break;
				case AT_data_member_location:
					die.member_off = v.u;
					break;
				case AT_bit_size:
					die.bit_size = (uint32_t)v.u;
					break;
				case AT_data_bit_offset:
					die.bit_off = v.u;
					die.has_bit_off = true;
					break;
				case AT_count:
					die.count = v.u;
					die.has_count = true;
					break;
				case AT_upper_bound:
					die.count = v.u + 1;
					die.has_count = true;
					break;
				case AT_const_value:
					die.value = v.is_signed ? v.s : (int64_t)v.u;
					break;
				case AT_encoding:
					die.encoding = (uint8_t)v.u;
					break;
				case AT_decl_file:
					die.decl_file = (uint32_t)v.u;
					break;
				case AT_declaration:
					die.declaration = v.u != 0;
					break;
				case AT_str_offsets_base:
					str_base = v.u;
					break;
				case AT_stmt_list:
					if (a->tag == TAG_compile_unit && !d->files)
						files_read(d, v.u);
					break;
				default:
					break;
				}
			}
			err = die_push(d, &die);
			if (err)
				return err;
			if (a->children) {
				if (depth >= 64)
					return -EINVAL;
				parents[depth++] = d->nr_dies - 1;
			}
		}
		if (u.bad)
			return -EINVAL;
next:
		c.p = unit_end;
	}
	return 0;
}

struct dwarf *dwarf_open(const void *elf, size_t sz)
{
	const unsigned char *b = elf;
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh;
	struct dwarf *d;
	const char *names;
	int err;

	if (sz < sizeof(*eh) || memcmp(b, ELFMAG, SELFMAG) || b[EI_CLASS] != ELFCLASS64 ||
	    b[EI_DATA] != ELFDATA2LSB || eh->e_shoff > sz ||
	    (sz - eh->e_shoff) / sizeof(*sh) < eh->e_shnum || eh->e_shstrndx >= eh->e_shnum ||
	    (uintptr_t)(b + eh->e_shoff) % _Alignof(Elf64_Shdr))
		return cb_err_ptr(-EINVAL);
	sh = (const Elf64_Shdr *)(b + eh->e_shoff);
	/* the section names inside the file, as every section is checked below */
	if (sh[eh->e_shstrndx].sh_offset > sz ||
	    sh[eh->e_shstrndx].sh_size > sz - sh[eh->e_shstrndx].sh_offset)
		return cb_err_ptr(-EINVAL);
	names = (const char *)b + sh[eh->e_shstrndx].sh_offset;
	d = calloc(1, sizeof(*d));
	if (!d)
		return cb_err_ptr(-ENOMEM);
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		const char *n;
		struct sect s, *to = NULL;

		/* checked before any pointer is made of them */
		if (sh[i].sh_type == SHT_NOBITS || sh[i].sh_offset > sz ||
		    sh[i].sh_size > sz - sh[i].sh_offset ||
		    sh[i].sh_name >= sh[eh->e_shstrndx].sh_size)
			continue;
		n = names + sh[i].sh_name;
		s = (struct sect){ b + sh[i].sh_offset, (size_t)sh[i].sh_size };
		if (!strcmp(n, ".debug_info"))
			to = &d->info;
		else if (!strcmp(n, ".debug_abbrev"))
			to = &d->abbrev;
		else if (!strcmp(n, ".debug_str"))
			to = &d->str;
		else if (!strcmp(n, ".debug_str_offsets"))
			to = &d->str_offsets;
		else if (!strcmp(n, ".debug_line"))
			to = &d->line;
		else if (!strcmp(n, ".debug_line_str"))
			to = &d->line_str;
		if (to)
			*to = s;
	}
	if (!d->info.sz || !d->abbrev.sz) {
		dwarf_free(d);
		return cb_err_ptr(-ENOENT); /* no DWARF (or an artifact's, emptied) */
	}
	err = info_read(d);
	if (err) {
		dwarf_free(d);
		return cb_err_ptr(err);
	}
	return d;
}

void dwarf_free(struct dwarf *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nr_abbrevs; i++)
		free(d->abbrevs[i].attrs);
	free(d->abbrevs);
	for (size_t i = 0; i < d->nr_files; i++)
		free(d->files[i]);
	free(d->files);
	free(d->dies);
	free(d->memo);
	free(d);
}

const struct dw_die *dwarf_dies(const struct dwarf *d, size_t *n)
{
	*n = d->nr_dies;
	return d->dies;
}

const char *dwarf_decl_file(const struct dwarf *d, const struct dw_die *die)
{
	return die->decl_file < d->nr_files && d->files[die->decl_file] ? d->files[die->decl_file] :
									  "";
}

const struct dw_die *dwarf_die_at(const struct dwarf *d, uint32_t off)
{
	size_t lo = 0, hi = d->nr_dies;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->dies[mid].off == off)
			return &d->dies[mid];
		if (d->dies[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool dwarf_is_record(uint16_t tag)
{
	return tag == TAG_structure || tag == TAG_union;
}

bool dwarf_is_var(uint16_t tag)
{
	return tag == TAG_variable || tag == TAG_formal_parameter;
}

/* Strip pointer, typedef and qualifiers: what a variable refers to. */
const struct dw_die *dwarf_referent(const struct dwarf *d, const struct dw_die *die)
{
	for (int i = 0; die && i < 16; i++) {
		if (die->tag == TAG_pointer || die->tag == TAG_const || die->tag == TAG_volatile ||
		    die->tag == TAG_typedef || die->tag == TAG_restrict || die->tag == TAG_atomic ||
		    dwarf_is_var(die->tag))
			die = die->type ? dwarf_die_at(d, die->type) : NULL;
		else
			return die;
	}
	return NULL;
}

/* Size in bytes of the type DIE (following typedefs and arrays). */
uint64_t dwarf_type_size(const struct dwarf *d, const struct dw_die *die)
{
	for (int i = 0; die && i < 16; i++) {
		if (die->byte_size || die->tag == TAG_structure || die->tag == TAG_union ||
		    die->tag == TAG_base || die->tag == TAG_enumeration)
			return die->byte_size;
		if (die->tag == TAG_pointer)
			return 8;
		if (die->tag == TAG_array) {
			uint64_t n = 1;
			const struct dw_die *el = die->type ? dwarf_die_at(d, die->type) : NULL;

			for (const struct dw_die *s = die + 1;
			     s < d->dies + d->nr_dies && s->parent == (size_t)(die - d->dies); s++)
				if (s->tag == TAG_subrange)
					n *= s->count;
			return n * dwarf_type_size(d, el);
		}
		die = die->type ? dwarf_die_at(d, die->type) : NULL;
	}
	return 0;
}

/* ---- copying a DWARF type into a BTF ---------------------------------- */

static int copy_type(struct dwarf *d, struct btf *btf, const struct dw_die *die);

static int int_type(struct btf *btf, const char *name, size_t sz, int enc)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_INT);

	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, (__u32)id);

		if (t && t->size == sz)
			return id;
	}
	return btf__add_int(btf, name, sz, enc);
}

static int array_type(struct dwarf *d, struct btf *btf, const struct dw_die *die)
{
	size_t idx = (size_t)(die - d->dies);
	uint64_t dims[8];
	int n = 0, id, index_id;

	for (size_t i = idx + 1; i < d->nr_dies && d->dies[i].parent == idx && n < 8; i++)
		if (d->dies[i].tag == TAG_subrange)
			dims[n++] = d->dies[i].has_count ? d->dies[i].count : 0;
	id = die->type ? copy_type(d, btf, dwarf_die_at(d, die->type)) : 0;
	index_id = int_type(btf, "unsigned int", 4, 0);
	if (id < 0 || index_id < 0)
		return id < 0 ? id : index_id;
	if (!n)
		dims[n++] = 0;
	while (n-- > 0 && id >= 0)
		id = btf__add_array(btf, (__u32)index_id, (__u32)id, (__u32)dims[n]);
	return id;
}

static int record_type(struct dwarf *d, struct btf *btf, const struct dw_die *die)
{
	size_t idx = (size_t)(die - d->dies), nm = 0;
	bool is_union = die->tag == TAG_union;
	int kind = is_union ? BTF_KIND_UNION : BTF_KIND_STRUCT, id;
	__u32 *mt;

	if (die->declaration)
		return btf__add_fwd(btf, die->name ? die->name : "",
				    is_union ? BTF_FWD_UNION : BTF_FWD_STRUCT);
	if (die->name) {
		/* the object's BTF often has it already (a map's value) */
		id = btf__find_by_name_kind(btf, die->name, kind);
		if (id > 0 && btf__type_by_id(btf, (__u32)id)->size == die->byte_size)
			return id;
	}
	for (size_t i = idx + 1;
	     i < d->nr_dies && d->dies[i].parent >= idx && d->dies[i].parent != SIZE_MAX; i++)
		if (d->dies[i].parent == idx && d->dies[i].tag == TAG_member)
			nm++;
	mt = calloc(nm ? nm : 1, sizeof(*mt));
	if (!mt)
		return -ENOMEM;
	/* members' types first: btf__add_field() must follow btf__add_struct() */
	nm = 0;
	for (size_t i = idx + 1;
	     i < d->nr_dies && d->dies[i].parent != SIZE_MAX && d->dies[i].parent >= idx; i++) {
		if (d->dies[i].parent != idx || d->dies[i].tag != TAG_member)
			continue;
		id = d->dies[i].type ? copy_type(d, btf, dwarf_die_at(d, d->dies[i].type)) : 0;
		if (id < 0) {
			free(mt);
			return id;
		}
		mt[nm++] = (__u32)id;
	}
	id = is_union ? btf__add_union(btf, die->name ? die->name : "", (__u32)die->byte_size) :
			btf__add_struct(btf, die->name ? die->name : "", (__u32)die->byte_size);
	nm = 0;
	for (size_t i = idx + 1;
	     id > 0 && i < d->nr_dies && d->dies[i].parent != SIZE_MAX && d->dies[i].parent >= idx;
	     i++) {
		const struct dw_die *m = &d->dies[i];
		uint64_t bit = m->has_bit_off ? m->bit_off : m->member_off * 8;
		int err;

		if (m->parent != idx || m->tag != TAG_member)
			continue;
		err = btf__add_field(btf, m->name ? m->name : "", mt[nm++], (__u32)bit,
				     m->bit_size);
		if (err < 0)
			id = err;
	}
	free(mt);
	return id;
}

static int enum_type(struct dwarf *d, struct btf *btf, const struct dw_die *die)
{
	size_t idx = (size_t)(die - d->dies);
	int id = btf__add_enum(btf, die->name ? die->name : "",
			       die->byte_size ? (__u32)die->byte_size : 4);

	for (size_t i = idx + 1; id > 0 && i < d->nr_dies && d->dies[i].parent == idx; i++) {
		int err;

		if (d->dies[i].tag != TAG_enumerator)
			continue;
		err = btf__add_enum_value(btf, d->dies[i].name ? d->dies[i].name : "",
					  d->dies[i].value);
		if (err < 0)
			id = err;
	}
	return id;
}

static int copy_new(struct dwarf *d, struct btf *btf, const struct dw_die *die)
{
	const struct dw_die *to = die->type ? dwarf_die_at(d, die->type) : NULL;
	int id;

	switch (die->tag) {
	case TAG_base:
		if (die->encoding == 0x04) /* DW_ATE_float */
			return btf__add_float(btf, die->name, (size_t)die->byte_size);
		return int_type(btf, die->name ? die->name : "int", (size_t)die->byte_size,
				die->encoding == 0x02			       ? BTF_INT_BOOL :
				die->encoding == 0x05 || die->encoding == 0x0d ? BTF_INT_SIGNED :
				die->encoding == 0x06 ? BTF_INT_SIGNED | BTF_INT_CHAR :
				die->encoding == 0x08 ? BTF_INT_CHAR :
							0);
	case TAG_pointer:
	case TAG_subroutine:
		/* decoded as addresses: the pointee does not matter, and a
		 * void * cannot loop back into a struct being copied */
		return die->tag == TAG_pointer ? btf__add_ptr(btf, 0) : btf__add_ptr(btf, 0);
	case TAG_typedef:
		id = to ? copy_type(d, btf, to) : 0;
		return id < 0 ? id : btf__add_typedef(btf, die->name ? die->name : "", (__u32)id);
	case TAG_const:
	case TAG_volatile:
	case TAG_restrict:
	case TAG_atomic:
		id = to ? copy_type(d, btf, to) : 0;
		if (id < 0)
			return id;
		return die->tag == TAG_const	? btf__add_const(btf, (__u32)id) :
		       die->tag == TAG_volatile ? btf__add_volatile(btf, (__u32)id) :
						  id;
	case TAG_array:
		return array_type(d, btf, die);
	case TAG_structure:
	case TAG_union:
		return record_type(d, btf, die);
	case TAG_enumeration:
		return enum_type(d, btf, die);
	default:
		return -EOPNOTSUPP;
	}
}

static int copy_type(struct dwarf *d, struct btf *btf, const struct dw_die *die)
{
	size_t i;
	int id;

	if (!die)
		return 0; /* void */
	if (d->memo_btf != btf) {
		free(d->memo);
		d->memo = calloc(d->nr_dies ? d->nr_dies : 1, sizeof(*d->memo));
		if (!d->memo)
			return -ENOMEM;
		d->memo_btf = btf;
	}
	i = (size_t)(die - d->dies);
	if (d->memo[i])
		return (int)d->memo[i];
	id = copy_new(d, btf, die);
	if (id > 0)
		d->memo[i] = (__u32)id;
	return id;
}

int dwarf_copy_type(struct dwarf *d, const struct dw_die *die, struct btf *btf)
{
	return copy_type(d, btf, die);
}
