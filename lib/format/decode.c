// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The BTF decoder of format.h: a plan per type, built once, then events
 * decoded into text or JSON without touching BTF or malloc. */
#include <arpa/inet.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>

#include "format.h"

/*
 * A plan is a flat array of nodes, one per distinct BTF type reached
 * from the root; structs point into a member array and enums into a
 * sorted enumerator array, all addressed by index so building may
 * realloc freely. Names are copied into one string pool.
 */
enum node_kind {
	NK_INT, /* 1, 2, 4, 8 bytes; is_signed */
	NK_BOOL,
	NK_ENUM,   /* 1, 2, 4, 8 bytes; first/nr: enumerators */
	NK_PTR,	   /* 4 or 8 bytes */
	NK_FLOAT,  /* float or double */
	NK_HEX,	   /* up to 16 bytes shown as one hex number */
	NK_TYPED,  /* an lbc.h typedef (typed.c); first: enum typed */
	NK_STR,	   /* char array of size bytes */
	NK_ARRAY,  /* first: element node, nr: elements */
	NK_STRUCT, /* struct, union, datasec; first/nr: members */
};

struct node {
	__u8 kind;
	__u8 is_signed;
	__u8 bits;    /* ints narrower than size (BTF_INT_BITS): value bits, else 0 */
	__u8 bit_off; /* and their BTF_INT_OFFSET */
	__u32 size;
	__u32 first;
	__u32 nr;
};

struct member {
	__u32 name; /* offset in the name pool */
	__u32 name_len;
	__u32 node;
	__u32 bit_off; /* from the start of the enclosing struct */
	__u32 bits;    /* bitfield width, 0 if not a bitfield */
};

struct enumerator {
	__u64 val; /* sign-extended for signed enums */
	__u32 name;
	__u32 idx; /* declaration order: first name wins on duplicates */
};

/*
 * The same plan flattened for one output format, for an event that holds
 * the whole type (the common case; a shorter one takes the tree walk,
 * which shows what is there): the text between values (keys, separators,
 * braces) is pre-rendered into literals, integers and strings are ops on
 * a byte offset, and what has a richer form (enums, typed fields, floats,
 * bitfields, long arrays) is one op that runs the tree walk on that node.
 */
enum op_code {
	OP_LIT,	 /* a: offset in lits, b: length */
	OP_INT,	 /* size bytes at off, is_signed */
	OP_STR,	 /* char array: b bytes at off */
	OP_NODE, /* node a at off, through put_value(); pid, family from carries[b - 1] */
	OP_BITS, /* node a, b bits at bit offset off, through put_scalar() */
};

/* What the walk learns from an enclosing struct's members and a node of
 * it needs (struct_pid(), struct_family()): where they are in the event */
struct carry {
	__u32 pid_node; /* the enclosing pid/tgid member's node + 1, 0: none */
	__u32 pid_off;
	__u32 family_node; /* the enclosing struct's own family member's + 1 */
	__u32 family_off;
};

struct op {
	__u8 code;
	__u8 size;
	__u8 is_signed;
	__u32 off;
	__u32 a;
	__u32 b;
};

struct flat {
	struct op *ops;
	__u32 nr, cap;
	struct carry *carries; /* of OP_NODEs under a pid or a family */
	__u32 nr_carries, cap_carries;
	struct strbuf lits;
	bool ok; /* built: events of the full size take it */
};

struct decoder {
	struct flat flat[2]; /* text, JSON */
	struct node *nodes;
	struct member *members;
	struct enumerator *enums;
	__u32 nr_nodes, nr_members, nr_enums;
	__u32 cap_nodes, cap_members, cap_enums;
	struct strbuf names;
	__u32 root;
};

#define MAX_NESTING   JW_MAX_DEPTH
#define NODE_BUILDING UINT32_MAX

struct builder {
	struct decoder *d;
	const struct btf *btf;
	__u32 *cache; /* type id -> node index + 1; NODE_BUILDING while in progress */
};

/* ------------------------------------------------------------------ */
/* Building the plan                                                   */
/* ------------------------------------------------------------------ */

static int grow(void **arr, __u32 *cap, __u32 need, size_t elem)
{
	__u32 n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > UINT32_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	p = realloc(*arr, (size_t)n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int add_node(struct decoder *d, __u32 *idx)
{
	if (grow((void **)&d->nodes, &d->cap_nodes, d->nr_nodes + 1, sizeof(*d->nodes)))
		return -ENOMEM;
	*idx = d->nr_nodes++;
	memset(&d->nodes[*idx], 0, sizeof(d->nodes[0]));
	return 0;
}

static int add_name(struct decoder *d, const char *name, __u32 *off, __u32 *len)
{
	size_t n = strlen(name);

	if (d->names.len > UINT32_MAX - n - 1)
		return -ENOMEM;
	*off = (__u32)d->names.len;
	if (len)
		*len = (__u32)n;
	return strbuf_add(&d->names, name, n + 1);
}

static const char *pool_name(const struct decoder *d, __u32 off)
{
	return d->names.buf + off;
}

/* Skip typedef, const, volatile, restrict and type_tag. */
static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	int i;

	for (i = 0; t && i < 64 && (btf_is_typedef(t) || btf_is_mod(t)); i++) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	if (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		errno = ELOOP;
		return NULL;
	}
	if (!t)
		errno = EINVAL;
	return t;
}

bool btf_is_char(const struct btf *btf, const struct btf_type *t)
{
	const char *name;

	if (!btf_is_int(t) || t->size != 1)
		return false;
	if (btf_int_encoding(t) & BTF_INT_CHAR)
		return true;
	name = btf__name_by_offset(btf, t->name_off);
	return name && (!strcmp(name, "char") || !strcmp(name, "signed char"));
}

static bool scalar_size_ok(__u32 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static int build(struct builder *b, __u32 type_id, __u32 *out, int depth);

static int cmp_enumerator(const void *a, const void *b)
{
	const struct enumerator *x = a, *y = b;

	if (x->val != y->val)
		return x->val < y->val ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int build_enum(struct builder *b, const struct btf_type *t, struct node *n)
{
	struct decoder *d = b->d;
	__u32 i, vlen = btf_vlen(t), first = d->nr_enums, kept = 0;
	bool is_signed = btf_kflag(t);
	int err;

	if (grow((void **)&d->enums, &d->cap_enums, first + vlen, sizeof(*d->enums)))
		return -ENOMEM;
	for (i = 0; i < vlen; i++) {
		struct enumerator *e = &d->enums[first + i];
		__u32 name_off;

		if (btf_is_enum(t)) {
			__s32 v = btf_enum(t)[i].val;

			e->val = is_signed ? (__u64)(__s64)v : (__u64)(__u32)v;
			name_off = btf_enum(t)[i].name_off;
		} else {
			e->val = btf_enum64_value(&btf_enum64(t)[i]);
			name_off = btf_enum64(t)[i].name_off;
		}
		e->idx = i;
		err = add_name(d, btf__name_by_offset(b->btf, name_off) ?: "", &e->name, NULL);
		if (err)
			return err;
	}
	qsort(d->enums + first, vlen, sizeof(*d->enums), cmp_enumerator);
	for (i = 0; i < vlen; i++)
		if (!kept || d->enums[first + i].val != d->enums[first + kept - 1].val)
			d->enums[first + kept++] = d->enums[first + i];
	d->nr_enums = first + kept;
	n->kind = NK_ENUM;
	n->is_signed = is_signed;
	n->first = first;
	n->nr = kept;
	return 0;
}

/* Members collected for one struct before they are stored contiguously
 * (building a member's type may add that type's own members first). */
struct member_list {
	struct member *m;
	__u32 nr, cap;
};

static int collect_members(struct builder *b, const struct btf_type *t, __u32 base_bits,
			   struct member_list *ml, int depth);

static int collect_one(struct builder *b, const char *name, __u32 type_id, __u32 bit_off,
		       __u32 bits, struct member_list *ml, int depth)
{
	struct decoder *d = b->d;
	const struct btf_type *mt;
	__u32 id = type_id;
	struct member *m;
	int err;

	mt = skip_mods(b->btf, &id);
	if (!mt)
		return -errno;
	if (!*name) {
		/* anonymous struct/union: its members belong to the parent */
		if (btf_is_composite(mt))
			return collect_members(b, mt, bit_off, ml, depth + 1);
		return 0; /* unnamed bitfield: padding */
	}
	/* pre-kflag BTF encodes bitfields in the int type itself */
	if (!bits && btf_is_int(mt) && (btf_int_offset(mt) || btf_int_bits(mt) != mt->size * 8)) {
		bit_off += btf_int_offset(mt);
		bits = btf_int_bits(mt);
	}
	if (grow((void **)&ml->m, &ml->cap, ml->nr + 1, sizeof(*ml->m)))
		return -ENOMEM;
	m = &ml->m[ml->nr];
	memset(m, 0, sizeof(*m));
	/* a typed field is known by its typedef, which build() must see */
	err = build(b, typed_kind(b->btf, type_id) ? type_id : id, &m->node, depth + 1);
	if (err)
		return err;
	if (!bits && bit_off % 8) {
		/* not byte aligned: read it like a bitfield of its full size */
		const struct node *n = &d->nodes[m->node];

		if (n->size > 8 || n->kind > NK_PTR)
			return -EINVAL;
		bits = n->size * 8;
	}
	if (bits) {
		const struct node *n = &d->nodes[m->node];

		if (bits > 64 || n->kind > NK_PTR)
			return -EINVAL;
	}
	m->bit_off = bit_off;
	m->bits = bits;
	err = add_name(d, name, &m->name, &m->name_len);
	if (err)
		return err;
	ml->nr++;
	return 0;
}

static int collect_members(struct builder *b, const struct btf_type *t, __u32 base_bits,
			   struct member_list *ml, int depth)
{
	__u32 i, vlen = btf_vlen(t);
	int err;

	if (depth > MAX_NESTING)
		return -E2BIG;
	for (i = 0; i < vlen; i++) {
		const char *name;

		if (btf_is_datasec(t)) {
			const struct btf_var_secinfo *vs = &btf_var_secinfos(t)[i];
			const struct btf_type *var = btf__type_by_id(b->btf, vs->type);

			if (!var || !btf_is_var(var))
				continue;
			name = btf__name_by_offset(b->btf, var->name_off) ?: "";
			err = collect_one(b, name, var->type, base_bits + vs->offset * 8, 0, ml,
					  depth);
		} else {
			const struct btf_member *m = &btf_members(t)[i];

			name = btf__name_by_offset(b->btf, m->name_off) ?: "";
			err = collect_one(b, name, m->type, base_bits + btf_member_bit_offset(t, i),
					  btf_member_bitfield_size(t, i), ml, depth);
		}
		if (err)
			return err;
	}
	return 0;
}

static int build_struct(struct builder *b, const struct btf_type *t, __u32 idx, int depth)
{
	struct decoder *d = b->d;
	struct member_list ml = {};
	int err;

	err = collect_members(b, t, 0, &ml, depth);
	if (!err)
		err = grow((void **)&d->members, &d->cap_members, d->nr_members + ml.nr,
			   sizeof(*d->members));
	if (!err) {
		if (ml.nr)
			memcpy(d->members + d->nr_members, ml.m, ml.nr * sizeof(*ml.m));
		d->nodes[idx].kind = NK_STRUCT;
		d->nodes[idx].first = d->nr_members;
		d->nodes[idx].nr = ml.nr;
		d->nr_members += ml.nr;
	}
	free(ml.m);
	return err;
}

static int build_array(struct builder *b, const struct btf_type *t, __u32 idx, int depth)
{
	const struct btf_array *a = btf_array(t);
	__u32 elem_id = a->type, elem;
	const struct btf_type *et = skip_mods(b->btf, &elem_id);
	struct node *n = &b->d->nodes[idx];
	int err;

	if (!et)
		return -errno;
	if (btf_is_char(b->btf, et)) {
		n->kind = NK_STR;
		return 0;
	}
	err = build(b, typed_kind(b->btf, a->type) ? a->type : elem_id, &elem, depth + 1);
	if (err)
		return err;
	n = &b->d->nodes[idx];
	n->kind = NK_ARRAY;
	n->first = elem;
	n->nr = a->nelems;
	return 0;
}

/* Fill node idx for a type already stripped of modifiers. */
static int build_type(struct builder *b, __u32 type_id, const struct btf_type *t, __u32 idx,
		      int depth)
{
	struct node *n = &b->d->nodes[idx];
	__u8 enc;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		enc = btf_int_encoding(t);
		if (!scalar_size_ok(n->size)) {
			n->kind = NK_HEX;
		} else {
			n->kind = (enc & BTF_INT_BOOL) ? NK_BOOL : NK_INT;
			n->is_signed = (enc & BTF_INT_SIGNED) || btf_is_char(b->btf, t);
			if (btf_int_offset(t) || btf_int_bits(t) != n->size * 8) {
				n->bits = btf_int_bits(t);
				n->bit_off = btf_int_offset(t);
			}
		}
		return 0;
	case BTF_KIND_PTR:
		n->kind = scalar_size_ok(n->size) ? NK_PTR : NK_HEX;
		return 0;
	case BTF_KIND_FLOAT:
		n->kind =
			(n->size == sizeof(float) || n->size == sizeof(double)) ? NK_FLOAT : NK_HEX;
		return 0;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (!scalar_size_ok(n->size)) {
			n->kind = NK_HEX;
			return 0;
		}
		return build_enum(b, t, n);
	case BTF_KIND_ARRAY:
		return build_array(b, t, idx, depth);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
		return build_struct(b, t, idx, depth);
	default:
		pr_warn("decode: type [%u] of BTF kind %u cannot be decoded\n", type_id,
			btf_kind(t));
		return -EINVAL;
	}
}

static int build(struct builder *b, __u32 type_id, __u32 *out, int depth)
{
	const struct btf_type *t;
	__u32 id = type_id, idx;
	__s64 size;
	int err, typed;

	if (depth > MAX_NESTING)
		return -E2BIG;
	if (b->cache[type_id] && b->cache[type_id] != NODE_BUILDING &&
	    b->d->nodes[b->cache[type_id] - 1].kind == NK_TYPED) {
		*out = b->cache[type_id] - 1;
		return 0;
	}
	typed = typed_kind(b->btf, type_id);
	if (typed != TYPED_NONE) {
		err = add_node(b->d, &idx);
		if (err)
			return err;
		b->d->nodes[idx].kind = NK_TYPED;
		b->d->nodes[idx].first = (__u32)typed;
		b->d->nodes[idx].size = (__u32)btf__resolve_size(b->btf, type_id);
		b->cache[type_id] = idx + 1; /* the typedef's id: never a resolved one */
		*out = idx;
		return 0;
	}
	t = skip_mods(b->btf, &id);
	if (!t)
		return -errno;
	if (b->cache[id] == NODE_BUILDING)
		return -ELOOP;
	if (b->cache[id]) {
		*out = b->cache[id] - 1;
		return 0;
	}
	if (btf_is_void(t) || btf_is_fwd(t) || btf_is_func(t) || btf_is_func_proto(t) ||
	    btf_is_var(t) || btf_is_decl_tag(t)) {
		pr_warn("decode: type [%u] (BTF kind %u) has no data to decode\n", id, btf_kind(t));
		return -EINVAL;
	}
	size = btf_is_datasec(t) ? (__s64)t->size : btf__resolve_size(b->btf, id);
	if (size < 0 || size > UINT32_MAX)
		return size < 0 ? (int)size : -E2BIG;
	err = add_node(b->d, &idx);
	if (err)
		return err;
	b->d->nodes[idx].size = (__u32)size;
	b->cache[id] = NODE_BUILDING;
	err = build_type(b, id, t, idx, depth);
	if (err)
		return err;
	b->cache[id] = idx + 1;
	*out = idx;
	return 0;
}

static void flat_build(struct decoder *d, struct flat *f, bool json);
static void flat_release(struct flat *f);

struct decoder *decoder_new(const struct btf *btf, __u32 type_id)
{
	struct builder b = { .btf = btf };
	struct decoder *d;
	int err;

	if (!btf || !type_id || type_id >= btf__type_cnt(btf))
		return cb_err_ptr(-EINVAL);
	d = calloc(1, sizeof(*d));
	b.cache = calloc(btf__type_cnt(btf), sizeof(*b.cache));
	if (!d || !b.cache) {
		err = -ENOMEM;
		goto err_out;
	}
	b.d = d;
	err = build(&b, type_id, &d->root, 0);
	if (err)
		goto err_out;
	free(b.cache);
	flat_build(d, &d->flat[0], false);
	flat_build(d, &d->flat[1], true);
	return d;

err_out:
	free(b.cache);
	decoder_free(d);
	return cb_err_ptr(err);
}

void decoder_free(struct decoder *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(d->flat); i++)
		flat_release(&d->flat[i]);
	free(d->nodes);
	free(d->members);
	free(d->enums);
	strbuf_release(&d->names);
	free(d);
}

size_t decoder_type_size(const struct decoder *d)
{
	return d->nodes[d->root].size;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

/* One destination: JSON writer when w is set, else text into sb. */
struct out {
	const struct decoder *d;
	struct jw *w;
	struct strbuf *sb;
	int err;
	int pid;    /* the enclosing struct's pid/tgid member, for lbc_usym_t */
	int family; /* its "family" member (AF_INET, AF_INET6), else -1 */
	bool raw;   /* COOLBPF_FMT_JSON_RAW */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (!o->err && strbuf_add(o->sb, s, n))
		o->err = -ENOMEM;
}

static void put_ch(struct out *o, char c)
{
	if (!o->err && strbuf_addch(o->sb, c))
		o->err = -ENOMEM;
}

static const char hexdig[] = "0123456789abcdef";

static __u64 load_uint(const unsigned char *p, __u32 size, bool is_signed)
{
	__u8 v8;
	__u16 v16;
	__u32 v32;
	__u64 v64;

	switch (size) {
	case 1:
		memcpy(&v8, p, 1);
		return is_signed ? (__u64)(__s64)(__s8)v8 : v8;
	case 2:
		memcpy(&v16, p, 2);
		return is_signed ? (__u64)(__s64)(__s16)v16 : v16;
	case 4:
		memcpy(&v32, p, 4);
		return is_signed ? (__u64)(__s64)(__s32)v32 : v32;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

/* bits (1..64) starting bit_off bits into p, in BTF's (host) bit order */
static __u64 load_bits(const unsigned char *p, __u32 bit_off, __u32 bits, bool is_signed)
{
	__u32 shift = bit_off % 8, nbytes = (shift + bits + 7) / 8, i;
	unsigned __int128 v = 0;
	__u64 mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1, r;

	p += bit_off / 8;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (i = 0; i < nbytes; i++)
		v |= (unsigned __int128)p[i] << (8 * i);
	r = (__u64)(v >> shift) & mask;
#else
	for (i = 0; i < nbytes; i++)
		v = (v << 8) | p[i];
	r = (__u64)(v >> (nbytes * 8 - shift - bits)) & mask;
#endif
	if (is_signed && bits < 64 && (r >> (bits - 1)) & 1)
		r |= ~mask;
	return r;
}

static __u64 read_scalar(const struct node *n, const unsigned char *p)
{
	if (n->bits)
		return load_bits(p, n->bit_off, n->bits, n->is_signed);
	return load_uint(p, n->size, n->is_signed);
}

/* "0x" and the n-byte host-order number at p, without leading zeros. */
static void put_hex_number(struct out *o, const unsigned char *p, size_t n)
{
	char buf[2 + 2 * 16];
	size_t len = 2, k;

	buf[0] = '0';
	buf[1] = 'x';
	for (k = 0; k < n && k < 16; k++) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		unsigned char c = p[n - 1 - k];
#else
		unsigned char c = p[k];
#endif
		if (len > 2 || c >> 4)
			buf[len++] = hexdig[c >> 4];
		if (len > 2 || c & 0xf)
			buf[len++] = hexdig[c & 0xf];
	}
	if (len == 2)
		buf[len++] = '0';
	if (o->w)
		jw_string_len(o->w, buf, len);
	else
		put(o, buf, len);
}

static void put_uint(struct out *o, __u64 v, bool is_signed)
{
	if (o->w) {
		if (is_signed)
			jw_int(o->w, (long long)v);
		else
			jw_uint(o->w, v);
	} else if (!o->err) {
		if (is_signed ? strbuf_add_int(o->sb, (long long)v) : strbuf_add_uint(o->sb, v))
			o->err = -ENOMEM;
	}
}

static const struct enumerator *find_enum(const struct decoder *d, const struct node *n, __u64 v)
{
	const struct enumerator *e = d->enums + n->first;
	__u32 lo = 0, hi = n->nr;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (e[mid].val == v)
			return &e[mid];
		if (e[mid].val < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A value already read: ints, bools, enums, pointers. */
static void put_scalar(struct out *o, const struct node *n, __u64 v)
{
	const struct enumerator *e;
	unsigned char bytes[8];

	switch (n->kind) {
	case NK_BOOL:
		if (o->w)
			jw_bool(o->w, v != 0);
		else
			put(o, v ? "true" : "false", v ? 4 : 5);
		return;
	case NK_ENUM:
		e = o->raw ? NULL : find_enum(o->d, n, v);
		if (!e)
			break;
		if (o->w)
			jw_string(o->w, pool_name(o->d, e->name));
		else
			put(o, pool_name(o->d, e->name), strlen(pool_name(o->d, e->name)));
		return;
	case NK_PTR:
		memcpy(bytes, &v, sizeof(v));
		put_hex_number(o, bytes, sizeof(bytes));
		return;
	default:
		break;
	}
	put_uint(o, v, n->is_signed);
}

static void put_float(struct out *o, const struct node *n, const unsigned char *p)
{
	char buf[40];
	double v;
	float f = 0;
	int prec;

	if (n->size == sizeof(float)) {
		memcpy(&f, p, sizeof(f));
		v = f;
	} else {
		memcpy(&v, p, sizeof(v));
	}
	if (!isfinite(v)) {
		if (o->w)
			jw_null(o->w);
		else
			put(o, buf, (size_t)snprintf(buf, sizeof(buf), "%g", v));
		return;
	}
	/* shortest decimal that reads back as the same value */
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (n->size == sizeof(float) ? strtof(buf, NULL) == f : strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*g", prec, v);
	if (o->w)
		jw_raw(o->w, buf);
	else
		put(o, buf, strlen(buf));
}

static bool bare_ok(const unsigned char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static void put_text_string(struct out *o, const unsigned char *s, size_t n)
{
	size_t i, run = 0;
	char esc[4];

	if (bare_ok(s, n)) {
		put(o, (const char *)s, n);
		return;
	}
	put_ch(o, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		size_t len = 2;

		if (c >= ' ' && c < 0x7f && c != '"' && c != '\\')
			continue;
		put(o, (const char *)s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '\n':
			esc[1] = 'n';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		default:
			esc[1] = 'x';
			esc[2] = hexdig[c >> 4];
			esc[3] = hexdig[c & 0xf];
			len = 4;
		}
		put(o, esc, len);
	}
	put(o, (const char *)s + run, n - run);
	put_ch(o, '"');
}

static bool fits(const struct node *n, size_t off, size_t avail);

static void put_typed(struct out *o, const struct node *n, const unsigned char *p)
{
	char buf[TYPED_TEXT_MAX];
	bool number =
		typed_format((int)n->first, p, n->size, o->pid, o->w != NULL, buf, sizeof(buf));

	if (o->w) {
		if (number)
			jw_raw(o->w, buf);
		else
			jw_string(o->w, buf);
	} else {
		put_text_string(o, (const unsigned char *)buf, strlen(buf));
	}
}

/* The value of a struct's "pid" or "tgid" member, the process an
 * lbc_usym_t of the same struct is an address in; the outer one if none. */
static int struct_pid(const struct out *o, const struct node *n, const unsigned char *p,
		      size_t avail)
{
	const struct member *m = o->d->members + n->first;

	for (__u32 i = 0; i < n->nr; i++, m++) {
		const struct node *c = &o->d->nodes[m->node];
		const char *name = pool_name(o->d, m->name);

		if ((!strcmp(name, "pid") || !strcmp(name, "tgid")) && c->kind == NK_INT &&
		    !m->bits && m->bit_off % 8 == 0 && fits(c, m->bit_off / 8, avail))
			return (int)read_scalar(c, p + m->bit_off / 8);
	}
	return o->pid;
}

/* The value of a struct's integer "family" member, that says what its
 * 16-byte integers hold (tcpstates' unsigned __int128 saddr); -1 if none. */
static int struct_family(const struct out *o, const struct node *n, const unsigned char *p,
			 size_t avail)
{
	const struct member *m = o->d->members + n->first;

	for (__u32 i = 0; i < n->nr; i++, m++) {
		const struct node *c = &o->d->nodes[m->node];

		if (!strcmp(pool_name(o->d, m->name), "family") && c->kind == NK_INT && !m->bits &&
		    m->bit_off % 8 == 0 && fits(c, m->bit_off / 8, avail))
			return (int)read_scalar(c, p + m->bit_off / 8);
	}
	return -1;
}

static bool is_aggregate(const struct node *n)
{
	return n->kind >= NK_STR;
}

/* Is a value of node n at offset off inside avail bytes (aggregates may
 * be partial)? */
static bool fits(const struct node *n, size_t off, size_t avail)
{
	if (is_aggregate(n))
		return off < avail || (off == avail && !n->size);
	return off <= avail && n->size <= avail - off;
}

static void put_value(struct out *o, const struct node *n, const unsigned char *p, size_t avail,
		      bool top);

static void put_struct(struct out *o, const struct node *n, const unsigned char *p, size_t avail,
		       bool top)
{
	const struct decoder *d = o->d;
	const struct member *m = d->members + n->first;
	bool first = true;
	int outer_pid = o->pid, outer_family = o->family;
	__u32 i;

	o->pid = struct_pid(o, n, p, avail);
	o->family = struct_family(o, n, p, avail);
	if (o->w)
		jw_begin_object(o->w);
	else if (!top)
		put_ch(o, '{');
	for (i = 0; i < n->nr; i++, m++) {
		const struct node *c = &d->nodes[m->node];
		size_t off = m->bit_off / 8;

		if (m->bits ? (m->bit_off + (size_t)m->bits + 7) / 8 > avail : !fits(c, off, avail))
			continue;
		if (o->w) {
			jw_key(o->w, pool_name(d, m->name));
		} else {
			if (!first)
				put_ch(o, ' ');
			put(o, pool_name(d, m->name), m->name_len);
			put_ch(o, '=');
		}
		first = false;
		if (m->bits)
			put_scalar(o, c, load_bits(p, m->bit_off, m->bits, c->is_signed));
		else
			put_value(o, c, p + off, avail - off, false);
	}
	if (o->w)
		jw_end_object(o->w);
	else if (!top)
		put_ch(o, '}');
	o->pid = outer_pid;
	o->family = outer_family;
}

static void put_array(struct out *o, const struct node *n, const unsigned char *p, size_t avail)
{
	const struct node *e = &o->d->nodes[n->first];
	__u32 i;

	if (o->w)
		jw_begin_array(o->w);
	else
		put_ch(o, '[');
	for (i = 0; i < n->nr; i++) {
		size_t off = (size_t)i * e->size;

		if (!fits(e, off, avail) || (i && !e->size))
			break;
		if (!o->w && i)
			put(o, ", ", 2);
		put_value(o, e, p + off, avail - off, false);
	}
	if (o->w)
		jw_end_array(o->w);
	else
		put_ch(o, ']');
}

/*
 * A char array of several strings back to back, as execsnoop keeps argv:
 * after the first string's NUL come more non-empty printable strings,
 * each ending in a NUL (or at the end of the data), then only NULs. A
 * plain string (a tail of NULs, or of anything else) is not one. On true,
 * *len covers the strings and the NULs between them.
 */
static bool multi_string_len(const unsigned char *p, size_t all, size_t *len)
{
	size_t i = *len, end = 0;
	bool more = false;

	while (i && i < all && !p[i]) {
		size_t k = i + 1, seg;

		for (seg = k; seg < all && p[seg] >= ' ' && p[seg] < 0x7f; seg++)
			;
		if (seg == k || (seg < all && p[seg]))
			break; /* NULs from here on, or not a string */
		more = true;
		end = seg;
		i = seg;
	}
	for (size_t k = i + (i < all); more && k < all; k++)
		if (p[k])
			return false;
	if (more)
		*len = end;
	return more;
}

/* FMT_JSON_RAW's char array: {"": "..."}, one code point a byte. */
static void put_raw_chars(struct out *o, const unsigned char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	int err = strbuf_grow(&sb, n * 6 + 2) ?: strbuf_addch(&sb, '"');

	for (size_t i = 0; !err && i < n; i++) {
		if (s[i] >= ' ' && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			err = strbuf_addch(&sb, s[i]);
		else
			err = strbuf_addf(&sb, "\\u%04x", s[i]);
	}
	err = err ?: strbuf_addch(&sb, '"');
	if (err) {
		o->err = o->err ?: err;
	} else {
		jw_begin_object(o->w);
		jw_key(o->w, "");
		jw_raw(o->w, sb.buf);
		jw_end_object(o->w);
	}
	strbuf_release(&sb);
}

/* execsnoop's argv (strings back to back): its NULs shown as spaces;
 * on the stack (an event's strings are short), a longer one allocated */
static __attribute__((noinline)) void put_joined(struct out *o, const unsigned char *p, size_t len)
{
	char stack[1024], *joined = len <= sizeof(stack) ? stack : malloc(len);

	if (!joined) {
		o->err = o->err ? o->err : -ENOMEM;
		return;
	}
	for (size_t k = 0; k < len; k++)
		joined[k] = p[k] ? (char)p[k] : ' ';
	if (o->w)
		jw_string_len(o->w, joined, len);
	else
		put_text_string(o, (const unsigned char *)joined, len);
	if (joined != stack)
		free(joined);
}

static void put_value(struct out *o, const struct node *n, const unsigned char *p, size_t avail,
		      bool top)
{
	size_t len;

	switch (n->kind) {
	case NK_INT:
	case NK_BOOL:
	case NK_ENUM:
	case NK_PTR:
		put_scalar(o, n, read_scalar(n, p));
		break;
	case NK_FLOAT:
		put_float(o, n, p);
		break;
	case NK_HEX:
		if (n->size == 16 && (o->family == AF_INET || o->family == AF_INET6)) {
			/* an address of the struct's family: IPv4 in its first 4 bytes */
			char buf[INET6_ADDRSTRLEN];

			inet_ntop(o->family, p, buf, sizeof(buf));
			if (o->w)
				jw_string(o->w, buf);
			else
				put(o, buf, strlen(buf));
			break;
		}
		put_hex_number(o, p, n->size);
		break;
	case NK_TYPED:
		put_typed(o, n, p);
		break;
	case NK_STR: {
		size_t all = n->size < avail ? n->size : avail;

		len = strnlen((const char *)p, all);
		if (o->raw) {
			put_raw_chars(o, p, len);
			break;
		}
		if (multi_string_len(p, all, &len)) {
			put_joined(o, p, len);
			break;
		}
		if (o->w)
			jw_string_len(o->w, (const char *)p, len);
		else
			put_text_string(o, p, len);
		break;
	}
	case NK_ARRAY:
		put_array(o, n, p, avail);
		break;
	case NK_STRUCT:
		put_struct(o, n, p, avail, top);
		break;
	}
}

static void put_root(struct out *o, const void *data, size_t size)
{
	const struct node *n = &o->d->nodes[o->d->root];

	/* aggregates are shown even when empty: the fields just are missing */
	if (!is_aggregate(n) && !fits(n, 0, size)) {
		if (o->w)
			jw_null(o->w);
		return;
	}
	put_value(o, n, data, size, true);
}

/* ------------------------------------------------------------------ */
/* The flat plan: built once per decoder and format, run per event      */
/* ------------------------------------------------------------------ */

#define FLAT_ARRAY_MAX 64 /* longer arrays are one OP_NODE, not unrolled */

struct flat_builder {
	const struct decoder *d;
	struct flat *f;
	bool json;
	int err;
};

static struct op *flat_op(struct flat_builder *fb, enum op_code code, __u32 off)
{
	struct flat *f = fb->f;
	struct op *op;

	if (fb->err || grow((void **)&f->ops, &f->cap, f->nr + 1, sizeof(*f->ops))) {
		fb->err = -ENOMEM;
		return NULL;
	}
	op = &f->ops[f->nr++];
	memset(op, 0, sizeof(*op));
	op->code = code;
	op->off = off;
	return op;
}

static void flat_lit(struct flat_builder *fb, const char *s, size_t n)
{
	struct flat *f = fb->f;
	struct op *last = f->nr ? &f->ops[f->nr - 1] : NULL;

	if (fb->err || !n)
		return;
	if (f->lits.len + n > UINT32_MAX || strbuf_add(&f->lits, s, n)) {
		fb->err = -ENOMEM;
		return;
	}
	if (last && last->code == OP_LIT && last->a + last->b == f->lits.len - n) {
		last->b += (__u32)n; /* adjacent text is one copy */
		return;
	}
	last = flat_op(fb, OP_LIT, 0);
	if (last) {
		last->a = (__u32)(f->lits.len - n);
		last->b = (__u32)n;
	}
}

static void flat_node(struct flat_builder *fb, __u32 idx, __u32 off, const struct carry *carry)
{
	struct op *op = flat_op(fb, OP_NODE, off);
	struct flat *f = fb->f;

	if (!op)
		return;
	op->a = idx;
	if (!carry->pid_node && !carry->family_node)
		return;
	if (grow((void **)&f->carries, &f->cap_carries, f->nr_carries + 1, sizeof(*f->carries))) {
		fb->err = -ENOMEM;
		return;
	}
	f->carries[f->nr_carries++] = *carry;
	op->b = f->nr_carries;
}

static void flat_value(struct flat_builder *fb, __u32 idx, __u32 off, bool top,
		       const struct carry *carry);

static void flat_struct(struct flat_builder *fb, const struct node *n, __u32 off, bool top,
			const struct carry *outer)
{
	const struct decoder *d = fb->d;
	const struct member *m = d->members + n->first;
	struct strbuf key = STRBUF_INIT;
	/* pid/tgid: the struct's own, else the outer one (struct_pid());
	 * family: the struct's own or none (struct_family()) */
	struct carry carry = { outer->pid_node, outer->pid_off, 0, 0 };
	bool own_pid = false;

	for (__u32 i = 0; i < n->nr; i++, m++) {
		const struct node *c = &d->nodes[m->node];
		const char *name = pool_name(d, m->name);

		if (c->kind != NK_INT || m->bits || m->bit_off % 8 ||
		    !fits(c, m->bit_off / 8, n->size))
			continue;
		if (!own_pid && (!strcmp(name, "pid") || !strcmp(name, "tgid"))) {
			carry.pid_node = m->node + 1;
			carry.pid_off = off + m->bit_off / 8;
			own_pid = true;
		} else if (!carry.family_node && !strcmp(name, "family")) {
			carry.family_node = m->node + 1;
			carry.family_off = off + m->bit_off / 8;
		}
	}
	if (fb->json || !top)
		flat_lit(fb, "{", 1);
	m = d->members + n->first;
	for (__u32 i = 0; i < n->nr && !fb->err; i++, m++) {
		const struct node *c = &d->nodes[m->node];
		struct op *op;

		/* a member past the struct's end is left out by the walk
		 * when the event ends there: keep that case to the walk */
		if (m->bits ? (m->bit_off + (size_t)m->bits + 7) / 8 > n->size :
			      !fits(c, m->bit_off / 8, n->size)) {
			fb->err = -EINVAL;
			break;
		}
		if (fb->json) {
			struct jw w;

			strbuf_reset(&key);
			if (i)
				strbuf_add(&key, ", ", 2);
			jw_init(&w, &key);
			jw_string(&w, pool_name(d, m->name));
			if (jw_error(&w) || strbuf_add(&key, ": ", 2))
				fb->err = -ENOMEM;
		} else {
			strbuf_reset(&key);
			if ((i && strbuf_addch(&key, ' ')) ||
			    strbuf_add(&key, pool_name(d, m->name), m->name_len) ||
			    strbuf_addch(&key, '='))
				fb->err = -ENOMEM;
		}
		flat_lit(fb, key.buf, key.len);
		if (m->bits) {
			op = flat_op(fb, OP_BITS, off * 8 + m->bit_off);
			if (op) {
				op->a = m->node;
				op->b = m->bits;
			}
		} else {
			flat_value(fb, m->node, off + m->bit_off / 8, false, &carry);
		}
	}
	strbuf_release(&key);
	if (fb->json || !top)
		flat_lit(fb, "}", 1);
}

static void flat_value(struct flat_builder *fb, __u32 idx, __u32 off, bool top,
		       const struct carry *carry)
{
	const struct node *n = &fb->d->nodes[idx], *e;
	struct op *op;

	switch (n->kind) {
	case NK_INT:
		if (n->bits)
			break;
		op = flat_op(fb, OP_INT, off);
		if (op) {
			op->size = (__u8)n->size;
			op->is_signed = n->is_signed;
		}
		return;
	case NK_STR:
		op = flat_op(fb, OP_STR, off);
		if (op) {
			op->a = idx; /* for an argv-like value, which takes the walk */
			op->b = n->size;
		}
		return;
	case NK_ARRAY:
		e = &fb->d->nodes[n->first];
		if (!e->size || n->nr > FLAT_ARRAY_MAX)
			break;
		flat_lit(fb, "[", 1);
		for (__u32 i = 0; i < n->nr; i++) {
			if (i)
				flat_lit(fb, ", ", 2);
			flat_value(fb, n->first, off + i * e->size, false, carry);
		}
		flat_lit(fb, "]", 1);
		return;
	case NK_STRUCT:
		flat_struct(fb, n, off, top, carry);
		return;
	default:
		break;
	}
	flat_node(fb, idx, off, carry);
}

static void flat_release(struct flat *f)
{
	free(f->ops);
	free(f->carries);
	strbuf_release(&f->lits);
	memset(f, 0, sizeof(*f));
}

/* Is there a flat plan for fmt (else every event takes the tree walk)? */
bool decoder_has_flat(const struct decoder *d, enum coolbpf_format fmt)
{
	return fmt != COOLBPF_FMT_JSON_RAW && d->flat[fmt == COOLBPF_FMT_JSON].ok;
}

/* Without it (out of memory, a member past its struct's end) events take
 * the tree walk, which is slower and shows the same. */
static void flat_build(struct decoder *d, struct flat *f, bool json)
{
	struct flat_builder fb = { .d = d, .f = f, .json = json };
	const struct carry none = { 0, 0, 0, 0 };

	flat_value(&fb, d->root, 0, true, &none);
	if (fb.err)
		flat_release(f);
	else
		f->ok = true;
}

/* Room for n more bytes (and the NUL) at the end of sb, or NULL. */
static inline char *room(struct strbuf *sb, size_t n)
{
	if (sb->alloc - sb->len < n + 1 && strbuf_grow(sb, n))
		return NULL;
	return sb->buf + sb->len;
}

static const char digits2[] = "00010203040506070809101112131415161718192021222324"
			      "25262728293031323334353637383940414243444546474849"
			      "50515253545556575859606162636465666768697071727374"
			      "75767778798081828384858687888990919293949596979899";

/* v in decimal at q, two digits per division; returns the end. */
static char *put_dec(char *q, __u64 v, bool neg)
{
	static const __u64 pow10[] = {
		10ULL,
		100ULL,
		1000ULL,
		10000ULL,
		100000ULL,
		1000000ULL,
		10000000ULL,
		100000000ULL,
		1000000000ULL,
		10000000000ULL,
		100000000000ULL,
		1000000000000ULL,
		10000000000000ULL,
		100000000000000ULL,
		1000000000000000ULL,
		10000000000000000ULL,
		100000000000000000ULL,
		1000000000000000000ULL,
		10000000000000000000ULL,
	};
	unsigned int len = 1;
	char *end;

	if (neg)
		*q++ = '-';
	while (len < 20 && v >= pow10[len - 1])
		len++;
	end = q + len;
	q = end;
	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		q -= 2;
		memcpy(q, digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, digits2 + 2 * v, 2);
	} else {
		*--q = (char)('0' + v);
	}
	return end;
}

static bool json_plain(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static int flat_str(struct strbuf *sb, const unsigned char *p, size_t n, bool json)
{
	struct out o = { .sb = sb };
	char *q;

	if (json ? json_plain(p, n) : bare_ok(p, n)) {
		q = room(sb, n + 2);
		if (!q)
			return -ENOMEM;
		if (json)
			*q++ = '"';
		memcpy(q, p, n);
		q += n;
		if (json)
			*q++ = '"';
		sb->len = (size_t)(q - sb->buf);
		return 0;
	}
	if (json) {
		struct jw w;

		jw_init(&w, sb);
		jw_string_len(&w, (const char *)p, n);
		return jw_error(&w);
	}
	put_text_string(&o, p, n);
	return o.err;
}

static int flat_run(const struct decoder *d, const struct flat *f, const unsigned char *p,
		    bool json, struct strbuf *sb)
{
	int err = 0;
	char *q;

	for (__u32 i = 0; i < f->nr && !err; i++) {
		const struct op *op = &f->ops[i];
		const struct node *n;
		struct out o = { .d = d, .family = -1 };
		struct jw w;
		__u64 v;

		switch (op->code) {
		case OP_LIT:
			q = room(sb, op->b);
			if (!q)
				return -ENOMEM;
			memcpy(q, f->lits.buf + op->a, op->b);
			sb->len += op->b;
			break;
		case OP_INT:
			q = room(sb, 21);
			if (!q)
				return -ENOMEM;
			v = load_uint(p + op->off, op->size, op->is_signed);
			if (op->is_signed && (__s64)v < 0)
				q = put_dec(q, 0ULL - v, true);
			else
				q = put_dec(q, v, false);
			sb->len = (size_t)(q - sb->buf);
			break;
		case OP_STR: {
			size_t len = strnlen((const char *)p + op->off, op->b);

			if (!multi_string_len(p + op->off, op->b, &len)) {
				err = flat_str(sb, p + op->off, len, json);
				break;
			}
		}
			/* several strings back to back (execsnoop's argv): the walk's rule */
			/* fallthrough */
		case OP_NODE:
		case OP_BITS:
			n = &d->nodes[op->a];
			if (op->code == OP_NODE && op->b) {
				const struct carry *c = &f->carries[op->b - 1];

				if (c->pid_node)
					o.pid = (int)read_scalar(&d->nodes[c->pid_node - 1],
								 p + c->pid_off);
				if (c->family_node)
					o.family = (int)read_scalar(&d->nodes[c->family_node - 1],
								    p + c->family_off);
			}
			if (json) {
				jw_init(&w, sb);
				o.w = &w;
			} else {
				o.sb = sb;
			}
			if (op->code != OP_BITS)
				put_value(&o, n, p + op->off, n->size, false);
			else
				put_scalar(&o, n, load_bits(p, op->off, op->b, n->is_signed));
			err = o.err ?: (json ? jw_error(&w) : 0);
			break;
		}
	}
	if (sb->buf)
		sb->buf[sb->len] = '\0';
	return err;
}

static int decoder_json_out(const struct decoder *d, const void *data, size_t size, struct jw *w,
			    bool raw)
{
	struct out o = { .d = d, .w = w, .family = -1, .raw = raw };

	put_root(&o, data, size);
	return o.err ?: jw_error(w);
}

int decoder_json(const struct decoder *d, const void *data, size_t size, struct jw *w)
{
	return decoder_json_out(d, data, size, w, false);
}

int decoder_append(const struct decoder *d, const void *data, size_t size, enum coolbpf_format fmt,
		   struct strbuf *sb)
{
	size_t old_len = sb->len;
	bool json = fmt == COOLBPF_FMT_JSON;
	int err;

	if (fmt != COOLBPF_FMT_JSON_RAW && size >= d->nodes[d->root].size && d->flat[json].ok) {
		err = flat_run(d, &d->flat[json], data, json, sb);
	} else if (fmt == COOLBPF_FMT_JSON || fmt == COOLBPF_FMT_JSON_RAW) {
		struct jw w;

		jw_init(&w, sb);
		err = decoder_json_out(d, data, size, &w, fmt == COOLBPF_FMT_JSON_RAW);
	} else {
		struct out o = { .d = d, .sb = sb, .family = -1 };

		put_root(&o, data, size);
		err = o.err;
	}
	if (err) {
		strbuf_setlen(sb, old_len);
		return cb_err(err);
	}
	return 0;
}

int decode_hex_append(const void *data, size_t size, enum coolbpf_format fmt, struct strbuf *sb)
{
	const unsigned char *p = data;
	bool json = fmt != COOLBPF_FMT_TEXT;
	size_t i, per = json ? 2 : 3;
	char *q;

	if (size > (SIZE_MAX - 3) / 3 || strbuf_grow(sb, size * per + 2))
		return cb_err(-ENOMEM);
	q = sb->buf + sb->len;
	if (json)
		*q++ = '"';
	for (i = 0; i < size; i++) {
		if (!json && i)
			*q++ = ' ';
		*q++ = hexdig[p[i] >> 4];
		*q++ = hexdig[p[i] & 0xf];
	}
	if (json)
		*q++ = '"';
	*q = '\0';
	sb->len = (size_t)(q - sb->buf);
	return 0;
}

/* ------------------------------------------------------------------ */
/* coolbpf_decode(): a small per-thread cache of plans                  */
/* ------------------------------------------------------------------ */

/*
 * A btf object has no identity besides its address, which may be reused
 * after btf__free(); an entry also matches on the type count and on the
 * address and header of the type record, so a stale plan is only used
 * for a BTF laid out identically at the same addresses.
 */
struct plan_ent {
	const struct btf *btf;
	__u32 type_id;
	__u32 type_cnt;
	const struct btf_type *t;
	struct btf_type hdr;
	struct decoder *d;
};

struct plan_cache {
	struct plan_ent ent[8];
	unsigned int next;
	struct strbuf sb;
	bool registered;
};

static __thread struct plan_cache plan_cache;
static pthread_key_t plan_key;
static pthread_once_t plan_once = PTHREAD_ONCE_INIT;

static void plan_cache_free(void *arg)
{
	struct plan_cache *c = arg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c->ent); i++)
		decoder_free(c->ent[i].d);
	strbuf_release(&c->sb);
	memset(c, 0, sizeof(*c));
}

static void plan_key_init(void)
{
	pthread_key_create(&plan_key, plan_cache_free);
}

static struct decoder *cached_decoder(const struct btf *btf, __u32 type_id)
{
	struct plan_cache *c = &plan_cache;
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	__u32 cnt = btf__type_cnt(btf);
	struct plan_ent *e;
	size_t i;

	if (!t)
		return cb_err_ptr(-EINVAL);
	for (i = 0; i < ARRAY_SIZE(c->ent); i++) {
		e = &c->ent[i];
		if (e->d && e->btf == btf && e->type_id == type_id && e->type_cnt == cnt &&
		    e->t == t && !memcmp(&e->hdr, t, sizeof(e->hdr)))
			return e->d;
	}
	if (!c->registered) {
		pthread_once(&plan_once, plan_key_init);
		pthread_setspecific(plan_key, c);
		c->registered = true;
	}
	e = &c->ent[c->next++ % ARRAY_SIZE(c->ent)];
	decoder_free(e->d);
	memset(e, 0, sizeof(*e));
	e->d = decoder_new(btf, type_id);
	if (!e->d)
		return NULL;
	e->btf = btf;
	e->type_id = type_id;
	e->type_cnt = cnt;
	e->t = t;
	memcpy(&e->hdr, t, sizeof(e->hdr));
	return e->d;
}

int coolbpf_decode(const struct btf *btf, __u32 type_id, const void *data, size_t size,
		   enum coolbpf_format fmt, char *buf, size_t buf_sz)
{
	struct strbuf *sb = &plan_cache.sb;
	struct decoder *d;
	size_t n;
	int err;

	if (!btf || (!data && size))
		return cb_err(-EINVAL);
	d = cached_decoder(btf, type_id);
	if (!d)
		return -errno;
	strbuf_reset(sb);
	err = decoder_append(d, data, size, fmt, sb);
	if (err)
		return err;
	if (sb->len > INT_MAX)
		return cb_err(-EOVERFLOW);
	if (buf_sz) {
		n = sb->len < buf_sz - 1 ? sb->len : buf_sz - 1;
		memcpy(buf, strbuf_str(sb), n);
		buf[n] = '\0';
	}
	return (int)sb->len;
}
