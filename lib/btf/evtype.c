// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event type of an output map nobody named. Programs written for
 * libbpf (bcc's libbpf-tools and most others) name their event struct only
 * in the call that writes it: bpf_perf_event_output(ctx, &events, flags,
 * &e, sizeof(e)), bpf_ringbuf_reserve(&rb, sizeof(*e), 0). So: walk the
 * instructions, follow what each register holds (a map, a constant, the
 * value a bpf_map_lookup_elem() returned) through moves and stack spills,
 * and at each such call note the record's type (the looked-up map's value
 * type) or its size; a size is matched to the program's own struct types
 * in its DWARF (not those of vmlinux.h or system headers; preferring the
 * ones its variables have). What is found is recorded as lbc.h's
 * LBC_EVENT_TYPE would have: VAR __lbc_event__<map> -> PTR -> type.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>
#include <linux/bpf.h>

#include "btf.h"

#define MAX_OUT_MAPS 32
#define MAX_FINDINGS 16

struct finding {
	__u32 type_id; /* in .BTF: the record is a looked-up map value */
	__u64 size;    /* else its constant size (0: unknown) */
};

struct out_map {
	char name[128];
	struct finding f[MAX_FINDINGS];
	size_t n;
};

struct image {
	const unsigned char *b;
	size_t sz;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *shnames;
	const Elf64_Sym *syms;
	size_t nr_syms;
	const char *strtab;
	size_t strtab_sz;
	int maps_idx, btf_idx;
	struct btf *btf;
	struct out_map maps[MAX_OUT_MAPS];
	size_t nr_maps;
	/* maps bpf_map_delete_elem() is called on, NUL-separated */
	struct strbuf deleted;
};

static bool sect_ok(const struct image *im, unsigned int i)
{
	const Elf64_Shdr *s = &im->sh[i];

	return s->sh_type != SHT_NOBITS && s->sh_offset <= im->sz &&
	       s->sh_size <= im->sz - s->sh_offset;
}

/* section i inside the image and aligned for an array of align-byte
 * items: a crafted object may put any table at an odd offset */
static bool sect_aligned(const struct image *im, unsigned int i, size_t align)
{
	return sect_ok(im, i) && (uintptr_t)(im->b + im->sh[i].sh_offset) % align == 0;
}

static int image_parse(struct image *im, const void *elf, size_t sz)
{
	const Elf64_Ehdr *eh = elf;

	im->b = elf;
	im->sz = sz;
	im->maps_idx = im->btf_idx = -1;
	if (sz < sizeof(*eh) || memcmp(elf, ELFMAG, SELFMAG) || im->b[EI_CLASS] != ELFCLASS64 ||
	    im->b[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_BPF || eh->e_shoff > sz ||
	    (sz - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum ||
	    eh->e_shstrndx >= eh->e_shnum || (uintptr_t)elf % _Alignof(Elf64_Ehdr) ||
	    (uintptr_t)(im->b + eh->e_shoff) % _Alignof(Elf64_Shdr))
		return -EINVAL;
	im->eh = eh;
	im->sh = (const Elf64_Shdr *)(im->b + eh->e_shoff);
	if (!sect_ok(im, eh->e_shstrndx))
		return -EINVAL;
	im->shnames = (const char *)im->b + im->sh[eh->e_shstrndx].sh_offset;
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i];
		const char *n;

		if (!sect_ok(im, i) || s->sh_name >= im->sh[eh->e_shstrndx].sh_size)
			continue;
		n = im->shnames + s->sh_name;
		if (!strcmp(n, ".maps"))
			im->maps_idx = (int)i;
		else if (!strcmp(n, ".BTF"))
			im->btf_idx = (int)i;
		if (s->sh_type == SHT_SYMTAB && sect_aligned(im, i, _Alignof(Elf64_Sym)) &&
		    s->sh_link < eh->e_shnum && sect_ok(im, s->sh_link)) {
			im->syms = (const Elf64_Sym *)(im->b + s->sh_offset);
			im->nr_syms = s->sh_size / sizeof(Elf64_Sym);
			im->strtab = (const char *)im->b + im->sh[s->sh_link].sh_offset;
			im->strtab_sz = im->sh[s->sh_link].sh_size;
		}
	}
	return im->btf_idx < 0 || !im->syms ? -ENOENT : 0;
}

static const char *sym_name(const struct image *im, const Elf64_Sym *s)
{
	return s->st_name < im->strtab_sz ? im->strtab + s->st_name : "";
}

/* What a register (or an 8-byte stack slot) holds. */
enum what { UNKNOWN, CONSTANT, MAP, LOOKUP, FRAME };
struct reg {
	enum what w;
	__s64 v;	 /* CONSTANT: the value; FRAME: offset from r10 */
	const char *map; /* MAP, LOOKUP: the map's symbol */
};

/* The BTF type of member MEMBER of map NAME's definition in .maps. */
static const struct btf_type *map_member(const struct btf *btf, const char *name,
					 const char *member, __u32 *id)
{
	int vid = btf__find_by_name_kind(btf, name, BTF_KIND_VAR);
	const struct btf_type *t = vid > 0 ? btf__type_by_id(btf, (__u32)vid) : NULL;
	const struct btf_member *m;

	t = t ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_struct(t))
		return NULL;
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *pt = btf__type_by_id(btf, m->type);

		if (strcmp(btf__name_by_offset(btf, m->name_off), member) || !pt || !btf_is_ptr(pt))
			continue;
		*id = pt->type;
		return btf__type_by_id(btf, pt->type);
	}
	return NULL;
}

static struct out_map *out_map(struct image *im, const char *name)
{
	for (size_t i = 0; i < im->nr_maps; i++)
		if (!strcmp(im->maps[i].name, name))
			return &im->maps[i];
	if (im->nr_maps == MAX_OUT_MAPS || strlen(name) >= sizeof(im->maps[0].name))
		return NULL;
	snprintf(im->maps[im->nr_maps].name, sizeof(im->maps[0].name), "%s", name);
	return &im->maps[im->nr_maps++];
}

static void note_write(struct image *im, const struct reg *map, const struct reg *data,
		       const struct reg *size)
{
	struct finding f = { 0 };
	struct out_map *om;
	__u32 id = 0;

	if (map->w != MAP || !(om = out_map(im, map->map)))
		return;
	if (data && data->w == LOOKUP && map_member(im->btf, data->map, "value", &id))
		f.type_id = id;
	else if (size->w == CONSTANT && size->v > 0)
		f.size = (__u64)size->v;
	else
		return;
	for (size_t i = 0; i < om->n; i++)
		if (om->f[i].type_id == f.type_id && om->f[i].size == f.size)
			return;
	if (om->n < MAX_FINDINGS)
		om->f[om->n++] = f;
}

/* The symbol a relocation of section SEC at OFF points to, or NULL. */
static const Elf64_Sym *reloc_sym(const struct image *im, unsigned int sec, __u64 off)
{
	for (unsigned int i = 0; i < im->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i];
		const Elf64_Rel *r;

		if (s->sh_type != SHT_REL || s->sh_info != sec ||
		    !sect_aligned(im, i, _Alignof(Elf64_Rel)))
			continue;
		r = (const Elf64_Rel *)(im->b + s->sh_offset);
		for (size_t k = 0; k < s->sh_size / sizeof(*r); k++)
			if (r[k].r_offset == off && ELF64_R_SYM(r[k].r_info) < im->nr_syms)
				return &im->syms[ELF64_R_SYM(r[k].r_info)];
	}
	return NULL;
}

static bool func_starts_at(const struct image *im, unsigned int sec, __u64 off)
{
	for (size_t i = 0; i < im->nr_syms; i++)
		if (im->syms[i].st_shndx == sec && ELF64_ST_TYPE(im->syms[i].st_info) == STT_FUNC &&
		    im->syms[i].st_value == off)
			return true;
	return false;
}

/* NUL-separated list sb holds word. */
static bool strbuf_has_word(const struct strbuf *sb, const char *word)
{
	for (size_t at = 0; at < sb->len; at += strlen(sb->buf + at) + 1)
		if (!strcmp(sb->buf + at, word))
			return true;
	return false;
}

static void scan_section(struct image *im, unsigned int sec)
{
	const struct bpf_insn *in = (const void *)(im->b + im->sh[sec].sh_offset);
	size_t n = im->sh[sec].sh_size / sizeof(*in);
	struct reg r[11] = { 0 }, stack[64] = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *x = &in[i];
		__u8 cls = BPF_CLASS(x->code), d = x->dst_reg, s = x->src_reg;

		if (func_starts_at(im, sec, i * sizeof(*in))) {
			memset(r, 0, sizeof(r));
			memset(stack, 0, sizeof(stack));
		}
		if (d > 10 || s > 10)
			continue;
		if (x->code == (BPF_LD | BPF_IMM | BPF_DW)) {
			const Elf64_Sym *sym = reloc_sym(im, sec, i * sizeof(*in));

			r[d] = (struct reg){ UNKNOWN, 0, NULL };
			if (sym && im->maps_idx >= 0 && sym->st_shndx == (unsigned int)im->maps_idx)
				r[d] = (struct reg){ MAP, 0, sym_name(im, sym) };
			i++;
			continue;
		}
		if (x->code == (BPF_JMP | BPF_CALL) && s == 0) {
			switch (x->imm) {
			case BPF_FUNC_map_delete_elem:
				if (r[1].w == MAP && !strbuf_has_word(&im->deleted, r[1].map))
					strbuf_add(&im->deleted, r[1].map, strlen(r[1].map) + 1);
				r[0] = (struct reg){ 0 };
				break;
			case BPF_FUNC_map_lookup_elem:
				r[0] = r[1].w == MAP ? (struct reg){ LOOKUP, 0, r[1].map } :
						       (struct reg){ 0 };
				break;
			case BPF_FUNC_perf_event_output:
				note_write(im, &r[2], &r[4], &r[5]);
				r[0] = (struct reg){ 0 };
				break;
			case BPF_FUNC_ringbuf_output:
				note_write(im, &r[1], &r[2], &r[3]);
				r[0] = (struct reg){ 0 };
				break;
			case BPF_FUNC_ringbuf_reserve:
				note_write(im, &r[1], NULL, &r[2]);
				r[0] = (struct reg){ 0 };
				break;
			default:
				r[0] = (struct reg){ 0 };
				break;
			}
			memset(&r[1], 0, 5 * sizeof(r[0]));
			continue;
		}
		if (x->code == (BPF_JMP | BPF_CALL)) {
			memset(r, 0, 6 * sizeof(r[0]));
			continue;
		}
		if (x->code == (BPF_STX | BPF_MEM | BPF_DW) && d == BPF_REG_10 && x->off < 0 &&
		    x->off >= -512 && !(x->off % 8)) {
			stack[(-x->off) / 8 - 1] = r[s];
			continue;
		}
		if (x->code == (BPF_LDX | BPF_MEM | BPF_DW) && s == BPF_REG_10 && x->off < 0 &&
		    x->off >= -512 && !(x->off % 8)) {
			r[d] = stack[(-x->off) / 8 - 1];
			continue;
		}
		switch (x->code) {
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[d] = (struct reg){ CONSTANT, x->imm, NULL };
			continue;
		case BPF_ALU | BPF_MOV | BPF_K:
			r[d] = (struct reg){ CONSTANT, (__u32)x->imm, NULL };
			continue;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			r[d] = s == BPF_REG_10 ? (struct reg){ FRAME, 0, NULL } : r[s];
			continue;
		case BPF_ALU64 | BPF_ADD | BPF_K:
			if (r[d].w == FRAME || r[d].w == CONSTANT)
				r[d].v += x->imm;
			else
				r[d] = (struct reg){ 0 };
			continue;
		default:
			break;
		}
		if (cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX || cls == BPF_LD)
			r[d] = (struct reg){ 0 };
	}
}

/* The file declares kernel or system types, not the program's own. */
static bool foreign_file(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	/* libbpf's headers: bpf_*.h, usdt.bpf.h (its arg specs) */
	return str_has_prefix(base, "vmlinux") || str_has_prefix(path, "/usr/") ||
	       str_has_prefix(base, "bpf_") || !strcmp(base, "usdt.bpf.h") ||
	       !strcmp(base, "lbc.h");
}

/* The DIE that names a record: itself, or a typedef of an anonymous one. */
static const struct dw_die *named(const struct dw_die *dies, size_t n, const struct dw_die *rec)
{
	if (rec->name)
		return rec;
	for (size_t i = 0; i < n; i++)
		if (dies[i].tag == 0x16 /* typedef */ && dies[i].type == rec->off && dies[i].name)
			return &dies[i];
	return NULL;
}

static void die_label(const struct dw_die *die, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s%s",
		 die->tag == 0x13 ? "struct " :
		 die->tag == 0x17 ? "union " :
				    "",
		 die->name);
}

/* The program's own named records of SIZE bytes, those its variables have
 * when there are any. */
static size_t size_candidates(struct dwarf *dw, __u64 size, const struct dw_die **out, size_t max)
{
	size_t n, k = 0, used = 0;
	const struct dw_die *dies = dwarf_dies(dw, &n);

	for (size_t i = 0; i < n && k < max; i++) {
		const struct dw_die *nm;

		if (!dwarf_is_record(dies[i].tag) || dies[i].declaration ||
		    dies[i].byte_size != size || foreign_file(dwarf_decl_file(dw, &dies[i])) ||
		    !(nm = named(dies, n, &dies[i])))
			continue;
		out[k++] = &dies[i];
	}
	/* keep those some variable refers to (struct event e; struct event *e) */
	for (size_t c = 0; c < k; c++) {
		bool hit = false;

		for (size_t i = 0; i < n && !hit; i++)
			hit = dwarf_is_var(dies[i].tag) && dwarf_referent(dw, &dies[i]) == out[c];
		if (hit)
			out[used++] = out[c];
	}
	return used ? used : k;
}

/* A type the user named: "struct x", "union x", or a typedef or record name. */
static const struct dw_die *by_name(struct dwarf *dw, const char *want)
{
	size_t n;
	const struct dw_die *dies = dwarf_dies(dw, &n);
	uint16_t tag = 0;

	if (str_has_prefix(want, "struct "))
		tag = 0x13, want += 7;
	else if (str_has_prefix(want, "union "))
		tag = 0x17, want += 6;
	for (size_t i = 0; i < n; i++)
		if (dies[i].name && !strcmp(dies[i].name, want) && !dies[i].declaration &&
		    (tag ? dies[i].tag == tag :
			   dies[i].tag == 0x16 || dwarf_is_record(dies[i].tag)))
			return &dies[i];
	return NULL;
}

static const char *override_for(const char *const *ov, const char *map)
{
	size_t l = strlen(map);

	for (; ov && *ov; ov++)
		if (!strncmp(*ov, map, l) && (*ov)[l] == '=')
			return *ov + l + 1;
	return NULL;
}

/* The BTF id of map om's event type, 0 if none can be told. */
static int resolve(struct image *im, struct dwarf *dw, const struct out_map *om,
		   const char *const *ov)
{
	const struct dw_die *cand[8], *pick = NULL;
	const char *want = override_for(ov, om->name);
	__u32 tid = 0;
	char a[160], b[160];
	size_t nc;

	if (want) {
		pick = dw ? by_name(dw, want) : NULL;
		if (!pick) {
			pr_warn("--event-type %s=%s: the object's DWARF has no type '%s'%s\n",
				om->name, want, want,
				dw ? "" : " (it has no DWARF: compile it with -g, or from source)");
			return 0;
		}
		return dwarf_copy_type(dw, pick, im->btf);
	}
	for (size_t i = 0; i < om->n; i++) {
		if (!om->f[i].type_id)
			continue;
		if (tid && tid != om->f[i].type_id) {
			pr_warn("map '%s': events of two types are written into it; name one with "
				"--event-type %s=TYPE\n",
				om->name, om->name);
			return 0;
		}
		tid = om->f[i].type_id;
	}
	if (tid)
		return (int)tid;
	for (size_t i = 0; i < om->n; i++) {
		if (!dw) {
			pr_warn("map '%s': the type of its %llu-byte events is not recorded: they "
				"print as hex (name it with --event-type %s=TYPE)\n",
				om->name, (unsigned long long)om->f[i].size, om->name);
			return 0;
		}
		nc = size_candidates(dw, om->f[i].size, cand, 8);
		if (nc > 1) {
			die_label(named(cand[0], 1, cand[0]) ? cand[0] : cand[0], a, sizeof(a));
			die_label(cand[1], b, sizeof(b));
			pr_warn("map '%s': its %llu-byte events may be '%s' or '%s'%s: name one with "
				"--event-type %s=TYPE\n",
				om->name, (unsigned long long)om->f[i].size,
				cand[0]->name ? a : "?", cand[1]->name ? b : "?",
				nc > 2 ? " (or more)" : "", om->name);
			return 0;
		}
		if (nc == 1 && pick && pick != cand[0]) {
			pr_warn("map '%s': events of two types are written into it; name one with "
				"--event-type %s=TYPE\n",
				om->name, om->name);
			return 0;
		}
		if (nc == 1)
			pick = cand[0];
	}
	if (!pick)
		return 0;
	/* an anonymous struct is copied through the typedef that names it */
	{
		size_t n;
		const struct dw_die *dies = dwarf_dies(dw, &n), *nm = named(dies, n, pick);

		return dwarf_copy_type(dw, nm ? nm : pick, im->btf);
	}
}

/* The image with section IDX's contents replaced by BUF (appended). */
static int replace_section(const struct image *im, int idx, const void *buf, size_t len, void **out,
			   size_t *out_sz)
{
	size_t at = (im->sz + 7) & ~(size_t)7;
	unsigned char *o = calloc(1, at + len);
	Elf64_Shdr *sh;

	if (!o)
		return -ENOMEM;
	memcpy(o, im->b, im->sz);
	memcpy(o + at, buf, len);
	sh = (Elf64_Shdr *)(o + im->eh->e_shoff) + idx;
	sh->sh_offset = at;
	sh->sh_size = len;
	*out = o;
	*out_sz = at + len;
	return 0;
}

static void scan_all(struct image *im)
{
	for (unsigned int i = 0; i < im->eh->e_shnum; i++)
		if ((im->sh[i].sh_flags & SHF_EXECINSTR) && im->sh[i].sh_type == SHT_PROGBITS &&
		    sect_aligned(im, i, _Alignof(struct bpf_insn)))
			scan_section(im, i);
}

int elf_deleted_maps(const void *elf, size_t sz, struct strbuf *names)
{
	struct image *im = calloc(1, sizeof(*im));
	int err;

	if (!im)
		return -ENOMEM;
	err = image_parse(im, elf, sz);
	if (!err) {
		im->btf = btf__new(im->b + im->sh[im->btf_idx].sh_offset,
				   (__u32)im->sh[im->btf_idx].sh_size);
		scan_all(im);
		err = strbuf_add(names, im->deleted.buf ? im->deleted.buf : "", im->deleted.len);
	}
	btf__free(im->btf);
	strbuf_release(&im->deleted);
	free(im);
	return err == -ENOENT ? 0 : err;
}

int evtype_record(const void *elf, size_t sz, const char *const *overrides, void **out,
		  size_t *out_sz)
{
	struct image *im = calloc(1, sizeof(*im));
	struct dwarf *dw = NULL;
	size_t recorded = 0;
	int err;

	*out = NULL;
	*out_sz = 0;
	if (!im)
		return -ENOMEM;
	err = image_parse(im, elf, sz);
	if (err) {
		free(im);
		return err == -ENOENT ? 0 : err; /* no BTF or symbols: nothing to record into */
	}
	im->btf =
		btf__new(im->b + im->sh[im->btf_idx].sh_offset, (__u32)im->sh[im->btf_idx].sh_size);
	if (!im->btf) {
		free(im);
		return 0;
	}
	scan_all(im);
	for (size_t i = 0; i < im->nr_maps; i++) {
		struct out_map *om = &im->maps[i];
		char var[160];
		int id, ptr;

		if (snprintf(var, sizeof(var), "__lbc_event__%s", om->name) >= (int)sizeof(var) ||
		    btf__find_by_name_kind(im->btf, var, BTF_KIND_VAR) > 0)
			continue; /* named in the source */
		if (!dw && !(dw = dwarf_open(elf, sz)) && errno != ENOENT)
			pr_debug("evtype: cannot read the DWARF: %s\n", strerror(errno));
		id = resolve(im, dw, om, overrides);
		if (id <= 0)
			continue;
		ptr = btf__add_ptr(im->btf, (__u32)id);
		if (ptr < 0 || btf__add_var(im->btf, var, BTF_VAR_GLOBAL_ALLOCATED, ptr) < 0) {
			err = -ENOMEM;
			break;
		}
		pr_debug("map '%s': event type [%d] found from the calls that write it\n", om->name,
			 id);
		recorded++;
	}
	if (!err && recorded) {
		__u32 raw_sz;
		const void *raw = btf__raw_data(im->btf, &raw_sz);

		err = raw ? replace_section(im, im->btf_idx, raw, raw_sz, out, out_sz) : -ENOMEM;
	}
	dwarf_free(dw);
	btf__free(im->btf);
	strbuf_release(&im->deleted);
	free(im);
	return err;
}
