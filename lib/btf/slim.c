// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A per-program vmlinux.h holding only the kernel types the program can
 * name, so that clang neither parses nor emits debug info for the rest.
 *
 * A program reaches kernel types through identifiers: type names, member
 * names, enumerators. We collect every identifier of the source, the
 * headers it includes (lbc.h, libbpf's, the user's) and the -D values,
 * then walk the target BTF:
 *
 *   FULL  a struct/union/enum/typedef named by an identifier: every
 *         member, and what its members hold by value in full too (the
 *         decoder shows embedded kernel types exactly)
 *   PART  reached through a member the program names: only the members
 *         it names (and anonymous ones, filtered the same way); the
 *         layout stays exact, btf_dump pads the gaps
 *   DECL  only pointed to by members the program never names: a forward
 *         declaration
 *
 * CO-RE relocates by name, so the object relocates exactly as with the
 * full vmlinux.h. An identifier made by token pasting is invisible here:
 * the caller falls back to the full vmlinux.h when clang rejects the slim
 * one, so the worst case is a slower compile, never a wrong one.
 */
#include <bpf/btf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btf.h"

#define SLIM_MAX_FILES	 256
#define SLIM_MAX_DEPTH	 16
#define SLIM_MAX_FILE_SZ (4 << 20)

enum lvl { L_NONE, L_DECL, L_PART, L_FULL };

/* identifier set ---------------------------------------------------- */

struct word {
	const char *s;
	uint32_t len;
	uint32_t hash;
};

struct words {
	struct word *slot;
	size_t cap;
	size_t n;
};

static uint32_t hash_mem(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static struct word *words_find(const struct words *w, const char *s, size_t len, uint32_t h)
{
	for (size_t i = h & (w->cap - 1);; i = (i + 1) & (w->cap - 1)) {
		struct word *e = &w->slot[i];

		if (!e->s || (e->hash == h && e->len == len && !memcmp(e->s, s, len)))
			return e;
	}
}

static int words_add(struct words *w, const char *s, size_t len)
{
	uint32_t h = hash_mem(s, len);
	struct word *e;

	if ((w->n + 1) * 2 > w->cap) {
		struct words bigger = { .cap = w->cap ? w->cap * 2 : 4096 };

		bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
		if (!bigger.slot)
			return -ENOMEM;
		for (size_t i = 0; i < w->cap; i++) {
			if (w->slot[i].s)
				*words_find(&bigger, w->slot[i].s, w->slot[i].len,
					    w->slot[i].hash) = w->slot[i];
		}
		bigger.n = w->n;
		free(w->slot);
		*w = bigger;
	}
	e = words_find(w, s, len, h);
	if (!e->s) {
		*e = (struct word){ .s = s, .len = (uint32_t)len, .hash = h };
		w->n++;
	}
	return 0;
}

static bool words_has(const struct words *w, const char *s)
{
	size_t len = strlen(s);

	return w->cap && words_find(w, s, len, hash_mem(s, len))->s;
}

static bool ident_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/* Every identifier outside comments and literals; numbers are skipped
 * whole so that 0x1f yields nothing. */
static int scan_idents(struct words *w, const char *p, size_t len)
{
	const char *end = p + len;
	int err = 0;

	while (p < end && !err) {
		if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			const char *q = memmem(p + 2, (size_t)(end - p - 2), "*/", 2);

			p = q ? q + 2 : end;
		} else if (p + 1 < end && p[0] == '/' && p[1] == '/') {
			const char *q = memchr(p, '\n', (size_t)(end - p));

			p = q ? q : end;
		} else if (*p == '"' || *p == '\'') {
			char quote = *p++;

			while (p < end && *p != quote && *p != '\n')
				p += (*p == '\\' && p + 1 < end) ? 2 : 1;
			p++;
		} else if (ident_start(*p)) {
			const char *s = p;

			const char *flavor;

			while (p < end && ident_char(*p))
				p++;
			err = words_add(w, s, (size_t)(p - s));
			/* CO-RE matches "foo___v2" against the kernel's "foo" */
			flavor = memmem(s, (size_t)(p - s), "___", 3);
			if (!err && flavor && flavor > s)
				err = words_add(w, s, (size_t)(flavor - s));
		} else if (*p >= '0' && *p <= '9') {
			while (p < end && ident_char(*p))
				p++;
		} else {
			p++;
		}
	}
	return err;
}

/* included files ---------------------------------------------------- */

struct scan {
	struct words words;
	/* the texts the words point into */
	char *bufs[SLIM_MAX_FILES];
	size_t n_bufs;
	const char *const *dirs;
};

static bool scanned(const struct scan *sc, const char *real)
{
	for (size_t i = 0; i < sc->n_bufs; i++) {
		/* each buffer starts with its file's real path and a NUL */
		if (!strcmp(sc->bufs[i], real))
			return true;
	}
	return false;
}

static int scan_file(struct scan *sc, const char *path, int depth);

/* The file an "#include" line names, or 0 if the line is none; *quoted:
 * "x" rather than <x>. */
static size_t include_name(const char *p, const char *eol, char *name, size_t sz, bool *quoted)
{
	size_t n;

	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == eol || *p++ != '#')
		return 0;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (eol - p < 8 || strncmp(p, "include", 7))
		return 0;
	p += 7;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == eol || (*p != '"' && *p != '<'))
		return 0;
	*quoted = *p == '"';
	p++;
	n = strcspn(p, *quoted ? "\"\n" : ">\n");
	if (!n || n >= sz || p + n >= eol)
		return 0;
	memcpy(name, p, n);
	name[n] = '\0';
	return n;
}

/* Look where clang would: a quoted name next to the includer first. */
static bool find_include(const struct scan *sc, const char *name, bool quoted, const char *cur_dir,
			 char path[PATH_MAX])
{
	if (quoted && cur_dir && !pathf(path, PATH_MAX, "%s/%s", cur_dir, name) &&
	    access(path, R_OK) == 0)
		return true;
	for (const char *const *d = sc->dirs; d && *d; d++) {
		if (!pathf(path, PATH_MAX, "%s/%s", *d, name) && access(path, R_OK) == 0)
			return true;
	}
	return false;
}

/* Scan what the #include lines of text name. Not found is no error: the
 * fallback to the full vmlinux.h covers whatever the scan misses. */
static int scan_includes(struct scan *sc, const char *text, size_t len, const char *cur_dir,
			 int depth)
{
	const char *p = text, *end = text + len;
	int err = 0;

	while (p < end && !err) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		char name[PATH_MAX], path[PATH_MAX];
		bool quoted;

		eol = eol ? eol : end;
		if (include_name(p, eol, name, sizeof(name), &quoted) &&
		    find_include(sc, name, quoted, cur_dir, path))
			err = scan_file(sc, path, depth + 1);
		p = eol + 1;
	}
	return err;
}

static int scan_text(struct scan *sc, const char *text, size_t len, const char *dir, int depth)
{
	int err = scan_idents(&sc->words, text, len);

	return err ? err : scan_includes(sc, text, len, dir, depth);
}

static int scan_file(struct scan *sc, const char *path, int depth)
{
	char real[PATH_MAX], *buf, *dir;
	void *data;
	size_t len, rlen;
	int err;

	if (depth > SLIM_MAX_DEPTH || sc->n_bufs == SLIM_MAX_FILES || !realpath(path, real) ||
	    scanned(sc, real))
		return 0;
	/* an #include "/dev/zero" is skipped, not read forever */
	err = read_file_max(real, SLIM_MAX_FILE_SZ, &data, &len);
	if (err)
		return 0;
	rlen = strlen(real) + 1;
	buf = malloc(rlen + len + 1);
	if (!buf) {
		free(data);
		return -ENOMEM;
	}
	memcpy(buf, real, rlen);
	memcpy(buf + rlen, data, len);
	buf[rlen + len] = '\0';
	free(data);
	sc->bufs[sc->n_bufs++] = buf;
	dir = strrchr(buf, '/');
	*dir = '\0';
	err = scan_text(sc, buf + rlen, len, buf, depth);
	*dir = '/';
	return err;
}

/* the target BTF, read in place ------------------------------------ */

/*
 * libbpf's btf__parse() holds two copies of the file while it parses (5.5
 * MB each for a kernel), the peak RSS of a first compile. The walk below
 * only needs the types where they lie and an index of their offsets, so a
 * raw BTF file is mapped (or read) once and indexed; anything else (an
 * ELF file, the other byte order, a kind this code does not know) goes
 * through libbpf.
 */
struct btf_view {
	const char *types;
	const char *strs;
	__u32 types_len, str_len;
	__u32 *off; /* offset of type id in types; 0: unused */
	__u32 nr;   /* type ids are 1..nr-1 */
	void *map;
	size_t map_sz;
	void *buf;
	struct btf *btf; /* libbpf's, when not raw */
};

static const struct btf_type *view_type(const struct btf_view *v, __u32 id)
{
	if (v->btf)
		return btf__type_by_id(v->btf, id);
	return id && id < v->nr ? (const struct btf_type *)(v->types + v->off[id]) : NULL;
}

static const char *view_name(const struct btf_view *v, __u32 off)
{
	if (v->btf)
		return btf__name_by_offset(v->btf, off);
	return off < v->str_len ? v->strs + off : NULL;
}

/* Index a raw BTF image of sz bytes: 0, or -EINVAL when it is not one
 * this code reads (the caller then asks libbpf). */
static int view_index(struct btf_view *v, const void *data, size_t sz)
{
	const struct btf_header *h = data;
	size_t pos;
	__u32 n = 0;

	if (sz < sizeof(*h) || h->magic != BTF_MAGIC || h->version != 1 ||
	    h->hdr_len < sizeof(*h) || h->hdr_len > sz || h->type_off > sz - h->hdr_len ||
	    h->type_len > sz - h->hdr_len - h->type_off || h->str_off > sz - h->hdr_len ||
	    h->str_len > sz - h->hdr_len - h->str_off || !h->str_len)
		return -EINVAL;
	v->types = (const char *)data + h->hdr_len + h->type_off;
	v->types_len = h->type_len;
	v->strs = (const char *)data + h->hdr_len + h->str_off;
	v->str_len = h->str_len;
	if (v->strs[v->str_len - 1])
		return -EINVAL;
	for (int pass = 0; pass < 2; pass++) {
		for (pos = 0, n = 1; pos < v->types_len; n++) {
			const struct btf_type *t = (const void *)(v->types + pos);
			size_t tsz = v->types_len - pos >= sizeof(*t) ? btf_type_rec_size(t) : 0;

			if (!tsz || tsz > v->types_len - pos)
				return -EINVAL;
			if (pass)
				v->off[n] = (__u32)pos;
			pos += tsz;
		}
		if (!pass && !(v->off = calloc(n, sizeof(*v->off))))
			return -ENOMEM;
	}
	v->nr = n;
	return 0;
}

static void view_close(struct btf_view *v)
{
	if (v->map)
		munmap(v->map, v->map_sz);
	free(v->buf);
	free(v->off);
	btf__free(v->btf);
	memset(v, 0, sizeof(*v));
}

static int view_open(struct btf_view *v, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	struct stat st;
	size_t len = 0;

	memset(v, 0, sizeof(*v));
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		v->map_sz = (size_t)st.st_size;
		v->map = mmap(NULL, v->map_sz, PROT_READ, MAP_PRIVATE, fd, 0);
		if (v->map == MAP_FAILED) {
			/* sysfs files may not map: read it, once */
			v->map = NULL;
			close(fd);
			fd = -1;
			err = read_file_max(path, BTF_FILE_MAX, &v->buf, &len);
		}
	}
	if (fd >= 0)
		close(fd);
	if (!err && (v->map || v->buf)) {
		err = view_index(v, v->map ? v->map : v->buf, v->map ? v->map_sz : len);
		if (!err)
			return 0;
	}
	view_close(v);
	if (err == -ENOMEM)
		return err;
	v->btf = btf__parse(path, NULL);
	if (!v->btf)
		return -errno;
	v->nr = btf__type_cnt(v->btf);
	return 0;
}

/* type selection ---------------------------------------------------- */

struct slim {
	const struct btf_view *src;
	const struct words *words;
	/* struct/union: enum lvl; other kinds: bit (lvl * 2 + named) seen */
	unsigned char *mark;
	/* the kfuncs the program names (FUNC ids tagged "bpf_kfunc") */
	__u32 *kfuncs;
	size_t nr_kfuncs;
	int err;
};

static bool name_in(const struct slim *s, __u32 name_off)
{
	const char *n = name_off ? view_name(s->src, name_off) : NULL;

	return n && *n && words_has(s->words, n);
}

static bool member_kept(const struct slim *s, enum lvl l, const struct btf_member *m)
{
	return l == L_FULL || !m->name_off || name_in(s, m->name_off);
}

/* lvl: how complete a record reached from here by value must be; named:
 * whether pointers from here were reached through a member the program
 * names (their targets then need the members it names, else a decl) */
static void want_type(struct slim *s, __u32 id, enum lvl lvl, bool named, int depth)
{
	const struct btf_type *t;
	unsigned char bit;

	if (!id || s->err)
		return;
	if (depth > 4096) {
		s->err = -ELOOP;
		return;
	}
	t = view_type(s->src, id);
	if (!t) {
		s->err = -EINVAL;
		return;
	}
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);
		enum lvl l = name_in(s, t->name_off) ? L_FULL : lvl;

		if (l == L_DECL && !t->name_off)
			l = L_PART; /* an anonymous type cannot be declared ahead */
		if (s->mark[id] >= l)
			return;
		s->mark[id] = (unsigned char)l;
		if (l == L_DECL)
			return;
		for (__u16 i = 0; i < btf_vlen(t); i++) {
			if (member_kept(s, l, &m[i]))
				want_type(s, m[i].type, l, name_in(s, m[i].name_off), depth + 1);
		}
		return;
	}
	bit = (unsigned char)(1u << (lvl * 2 + named));
	if (s->mark[id] & bit)
		return;
	s->mark[id] |= bit;
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		want_type(s, t->type, named ? L_PART : L_DECL, named, depth + 1);
		break;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		want_type(s, t->type, lvl, named, depth + 1);
		break;
	case BTF_KIND_ARRAY:
		want_type(s, btf_array(t)->type, lvl, named, depth + 1);
		want_type(s, btf_array(t)->index_type, L_PART, false, depth + 1);
		break;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = btf_params(t);

		want_type(s, t->type, L_PART, false, depth + 1);
		for (__u16 i = 0; i < btf_vlen(t); i++)
			want_type(s, p[i].type, L_PART, false, depth + 1);
		break;
	}
	default:
		break;
	}
}

static bool enum_named(const struct slim *s, const struct btf_type *t)
{
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		for (__u16 i = 0; i < btf_vlen(t); i++) {
			if (name_in(s, e[i].name_off))
				return true;
		}
	} else if (btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t);

		for (__u16 i = 0; i < btf_vlen(t); i++) {
			if (name_in(s, e[i].name_off))
				return true;
		}
	}
	return false;
}

/* A kfunc the kernel's BTF tags (decl tag "bpf_kfunc" on a FUNC) and
 * the program names: its prototype's types, and its id to declare. */
static void want_kfunc(struct slim *s, const struct btf_type *tag)
{
	const struct btf_type *f = view_type(s->src, tag->type);
	void *p;

	if (btf_decl_tag(tag)->component_idx != -1 || !f || !btf_is_func(f) ||
	    strcmp(view_name(s->src, tag->name_off), "bpf_kfunc") || !name_in(s, f->name_off))
		return;
	for (size_t i = 0; i < s->nr_kfuncs; i++)
		if (s->kfuncs[i] == tag->type)
			return;
	p = realloc(s->kfuncs, (s->nr_kfuncs + 1) * sizeof(*s->kfuncs));
	if (!p) {
		s->err = -ENOMEM;
		return;
	}
	s->kfuncs = p;
	s->kfuncs[s->nr_kfuncs++] = tag->type;
	want_type(s, f->type, L_PART, false, 0);
}

static void select_types(struct slim *s)
{
	__u32 n = s->src->nr;

	for (__u32 id = 1; id < n && !s->err; id++) {
		const struct btf_type *t = view_type(s->src, id);

		switch (btf_kind(t)) {
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_FWD:
			if (name_in(s, t->name_off))
				want_type(s, id, L_FULL, true, 0);
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			if (name_in(s, t->name_off) || enum_named(s, t))
				want_type(s, id, L_FULL, true, 0);
			break;
		case BTF_KIND_DECL_TAG:
			want_kfunc(s, t);
			break;
		default:
			break;
		}
	}
}

/* emission ---------------------------------------------------------- */

static int emit_type(const struct slim *s, struct btf *dst, __u32 id, const __u32 *map)
{
	const struct btf_type *t = view_type(s->src, id);
	const char *name = view_name(s->src, t->name_off);

	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		enum lvl l = (enum lvl)s->mark[id];
		const struct btf_member *m = btf_members(t);
		int rc;

		if (l == L_DECL)
			return btf__add_fwd(dst, name,
					    btf_is_union(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		rc = btf_is_union(t) ? btf__add_union(dst, name, t->size) :
				       btf__add_struct(dst, name, t->size);
		for (__u16 i = 0; rc > 0 && i < btf_vlen(t); i++) {
			int err;

			if (!member_kept(s, l, &m[i]))
				continue;
			err = btf__add_field(dst, view_name(s->src, m[i].name_off),
					     (int)map[m[i].type], btf_member_bit_offset(t, i),
					     btf_member_bitfield_size(t, i));
			if (err)
				rc = err;
		}
		return rc;
	}
	case BTF_KIND_PTR:
		return btf__add_ptr(dst, (int)map[t->type]);
	case BTF_KIND_TYPEDEF:
		return btf__add_typedef(dst, name, (int)map[t->type]);
	case BTF_KIND_CONST:
		return btf__add_const(dst, (int)map[t->type]);
	case BTF_KIND_VOLATILE:
		return btf__add_volatile(dst, (int)map[t->type]);
	case BTF_KIND_RESTRICT:
		return btf__add_restrict(dst, (int)map[t->type]);
	case BTF_KIND_TYPE_TAG:
		return btf__add_type_tag(dst, name, (int)map[t->type]);
	case BTF_KIND_ARRAY:
		return btf__add_array(dst, (int)map[btf_array(t)->index_type],
				      (int)map[btf_array(t)->type], btf_array(t)->nelems);
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = btf_params(t);
		int rc = btf__add_func_proto(dst, (int)map[t->type]);

		for (__u16 i = 0; rc > 0 && i < btf_vlen(t); i++) {
			int err = btf__add_func_param(dst, view_name(s->src, p[i].name_off),
						      (int)map[p[i].type]);
			if (err)
				rc = err;
		}
		return rc;
	}
	case BTF_KIND_INT:
		/* a bitfield int (offset, or fewer bits) cannot be added: never
		 * seen in a kernel; the full vmlinux.h then compiles it */
		if (btf_int_offset(t) || btf_int_bits(t) != t->size * 8)
			return -EINVAL;
		return btf__add_int(dst, name, (size_t)t->size, btf_int_encoding(t));
	case BTF_KIND_FLOAT:
		return btf__add_float(dst, name, (size_t)t->size);
	case BTF_KIND_FWD:
		return btf__add_fwd(dst, name, btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = btf_enum(t);
		int rc = btf__add_enum(dst, name, t->size);

		for (__u16 i = 0; rc > 0 && i < btf_vlen(t); i++) {
			__s64 val = btf_kflag(t) ? (__s64)e[i].val : (__s64)(__u32)e[i].val;
			int err = btf__add_enum_value(dst, view_name(s->src, e[i].name_off), val);

			if (err)
				rc = err;
		}
		return rc;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *e = btf_enum64(t);
		int rc = btf__add_enum64(dst, name, t->size, btf_kflag(t));

		for (__u16 i = 0; rc > 0 && i < btf_vlen(t); i++) {
			int err = btf__add_enum64_value(dst, view_name(s->src, e[i].name_off),
							btf_enum64_value(&e[i]));
			if (err)
				rc = err;
		}
		return rc;
	}
	default:
		return -EINVAL;
	}
}

static void dump_printf(void *ctx, const char *fmt, va_list args)
{
	struct strbuf *sb = ctx;
	va_list copy;
	int n;

	va_copy(copy, args);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n > 0 && !strbuf_grow(sb, (size_t)n + 1)) {
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, args);
		strbuf_setlen(sb, sb->len + (size_t)n);
	}
}

/* as bpftool's vmlinux.h declares them; __ksym and __weak spelled as
 * bpf_helpers.h spells them, which comes after */
static int emit_kfuncs(const struct slim *s, struct btf_dump *d, const __u32 *map,
		       struct strbuf *out)
{
	int err = strbuf_addstr(out, "\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n"
				     "#ifndef __ksym\n"
				     "#define __ksym __attribute__((section(\".ksyms\")))\n"
				     "#endif\n"
				     "#ifndef __weak\n"
				     "#define __weak __attribute__((weak))\n"
				     "#endif\n");

	for (size_t i = 0; !err && i < s->nr_kfuncs; i++) {
		const struct btf_type *f = view_type(s->src, s->kfuncs[i]);
		LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o,
			    .field_name = view_name(s->src, f->name_off));

		err = strbuf_addstr(out, "extern ");
		if (!err)
			err = btf_dump__emit_type_decl(d, map[f->type], &o);
		if (!err)
			err = strbuf_addstr(out, " __weak __ksym;\n");
	}
	return err ? err : strbuf_addstr(out, "#endif\n");
}

static int emit_header(const struct slim *s, struct strbuf *out, const char *btf_out)
{
	__u32 n = s->src->nr, next = 0;
	struct btf_dump *d = NULL;
	struct btf *dst = NULL;
	__u32 *map;
	int err = 0;

	map = calloc(n, sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (__u32 id = 1; id < n; id++) {
		if (s->mark[id])
			map[id] = ++next;
	}
	dst = btf__new_empty();
	if (!dst) {
		err = -errno;
		goto out;
	}
	for (__u32 id = 1; id < n && !err; id++) {
		if (!s->mark[id])
			continue;
		int rc = emit_type(s, dst, id, map);

		if (rc < 0)
			err = rc;
		else if ((__u32)rc != map[id])
			err = -EINVAL; /* ids out of step: a bug, not bad input */
	}
	if (!err)
		err = strbuf_addstr(
			out,
			"/* generated by coolbpf: the kernel types this program names */\n"
			"#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n"
			"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
			"#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
			"#endif\n\n");
	if (!err) {
		d = btf_dump__new(dst, dump_printf, out, NULL);
		if (!d)
			err = -errno;
	}
	for (__u32 id = 1; !err && id <= next; id++)
		err = btf_dump__dump_type(d, id);
	if (!err && s->nr_kfuncs)
		err = emit_kfuncs(s, d, map, out);
	if (!err && btf_out) {
		__u32 sz;
		const void *raw = btf__raw_data(dst, &sz);

		err = raw ? write_file_atomic(btf_out, raw, sz) : -ENOMEM;
	}
	if (!err)
		err = strbuf_addstr(out, "\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
					 "#pragma clang attribute pop\n#endif\n\n"
					 "#endif /* __VMLINUX_H__ */\n");
out:
	btf_dump__free(d);
	btf__free(dst);
	free(map);
	return err;
}

int slim_vmlinux_h(const char *btf_path, const struct slim_input *in, struct strbuf *out,
		   const char *btf_out, size_t *n_types)
{
	struct scan sc = { .dirs = in->include_dirs };
	struct slim s = { 0 };
	struct btf_view v;
	int err;

	err = scan_text(&sc, in->src, in->src_len, in->src_dir, 0);
	for (const char *const *p = in->extra; !err && p && *p; p++)
		err = scan_text(&sc, *p, strlen(*p), NULL, 0);
	if (err)
		goto out_words;
	err = view_open(&v, btf_path);
	if (err) {
		pr_warn("compile: cannot read BTF '%s': %s\n", btf_path, strerror(-err));
		goto out_words;
	}
	s.src = &v;
	s.words = &sc.words;
	s.mark = calloc(v.nr, 1);
	if (!s.mark) {
		err = -ENOMEM;
		goto out_btf;
	}
	select_types(&s);
	err = s.err;
	if (!err)
		err = emit_header(&s, out, btf_out);
	if (!err && n_types) {
		*n_types = 0;
		for (__u32 id = 1; id < v.nr; id++)
			*n_types += s.mark[id] != 0;
	}
	free(s.mark);
	free(s.kfuncs);
out_btf:
	view_close(&v);
out_words:
	for (size_t i = 0; i < sc.n_bufs; i++)
		free(sc.bufs[i]);
	free(sc.words.slot);
	return err;
}
