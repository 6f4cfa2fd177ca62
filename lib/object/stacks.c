// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Merged stacks: a map that counts by a key holding stack ids (members
 * typed lbc_stackid_t, lbc.h) is printed as the stacks themselves, each
 * symbolized (kernel frames by kallsyms, user frames in the process named
 * by the key's lbc_pid_t member), sorted by count; or folded, the input
 * of flame graph tools: "comm;root frame;...;leaf frame count".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "object.h"

#define MAX_ID_MEMBERS 8

/* Where a stack-count map's key keeps what we need. */
struct stack_plan {
	struct coolbpf_map *stacks; /* the object's only stack trace map */
	__u32 id_off[MAX_ID_MEMBERS];
	int nr_ids;
	long pid_off;		 /* -1: none */
	long comm_off, comm_len; /* first char array; -1: none */
	__u32 count_sz;		 /* value: an unsigned integer of this size */
};

/* Does the chain of typedefs/modifiers from id pass through a typedef
 * called name? Returns the resolved type. */
static const struct btf_type *type_through(const struct btf *btf, __u32 id, const char *name,
					   bool *named)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	*named = false;
	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		if (btf_is_typedef(t) && name &&
		    !strcmp(btf__name_by_offset(btf, t->name_off), name))
			*named = true;
		t = btf__type_by_id(btf, t->type);
	}
	return t;
}

static bool is_char_array(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_type *e;
	bool named;

	if (!t || !btf_is_array(t))
		return false;
	e = type_through(btf, btf_array(t)->type, NULL, &named);
	return e && btf_is_int(e) && e->size == 1 &&
	       ((btf_int_encoding(e) & BTF_INT_CHAR) ||
		!strcmp(btf__name_by_offset(btf, e->name_off), "char"));
}

/* 0 when m is a stack-count map (plan filled), -EOPNOTSUPP when not. */
static int stack_plan_of(struct coolbpf_map *m, struct stack_plan *sp)
{
	const struct btf *btf = bpf_object__btf(m->obj->bpf);
	const struct btf_type *kt, *vt;
	const struct btf_member *mem;
	bool named;
	int nstacks = 0;

	memset(sp, 0, sizeof(*sp));
	sp->pid_off = sp->comm_off = -1;
	if (m->kind != COOLBPF_MAP_PLAIN || !btf || !m->key_type_id || !m->value_type_id)
		return -EOPNOTSUPP;
	for (size_t i = 0; i < m->obj->nr_maps; i++) {
		if (m->obj->maps[i].kind == COOLBPF_MAP_STACK) {
			sp->stacks = &m->obj->maps[i];
			nstacks++;
		}
	}
	kt = type_through(btf, m->key_type_id, NULL, &named);
	vt = type_through(btf, m->value_type_id, NULL, &named);
	if (nstacks != 1 || !kt || !btf_is_struct(kt) || !vt || !btf_is_int(vt) || vt->size > 8)
		return -EOPNOTSUPP;
	sp->count_sz = vt->size;
	mem = btf_members(kt);
	for (__u16 i = 0; i < btf_vlen(kt); i++, mem++) {
		__u32 off = btf_member_bit_offset(kt, i);
		const struct btf_type *t;

		if (off % 8 || btf_member_bitfield_size(kt, i))
			continue;
		t = type_through(btf, mem->type, "lbc_stackid_t", &named);
		if (named && t && btf_is_int(t) && t->size == 4 && sp->nr_ids < MAX_ID_MEMBERS) {
			sp->id_off[sp->nr_ids++] = off / 8;
			continue;
		}
		t = type_through(btf, mem->type, "lbc_pid_t", &named);
		if (named && t && btf_is_int(t) && t->size == 4 && sp->pid_off < 0) {
			sp->pid_off = off / 8;
			continue;
		}
		if (sp->comm_off < 0 && is_char_array(btf, t)) {
			sp->comm_off = off / 8;
			sp->comm_len = btf_array(t)->nelems;
		}
	}
	return sp->nr_ids ? 0 : -EOPNOTSUPP;
}

bool map_is_stack_count(struct coolbpf_map *m)
{
	struct stack_plan sp;

	return !stack_plan_of(m, &sp);
}

bool map_stacks_consumed(struct coolbpf_map *stack_map)
{
	struct stack_plan sp;

	for (size_t i = 0; i < stack_map->obj->nr_maps; i++)
		if (!stack_plan_of(&stack_map->obj->maps[i], &sp) && sp.stacks == stack_map)
			return true;
	return false;
}

/* ---- reading -------------------------------------------------------- */

/* a[n] made room for: 0 or -ENOMEM */
static int room_for(void **a, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*a, (*cap ? *cap * 2 : 16) * size);
	if (!p)
		return -ENOMEM;
	*a = p;
	*cap = *cap ? *cap * 2 : 16;
	return 0;
}

struct stack_ent {
	void *key;
	__u64 count;
};

struct pid_syms {
	int pid;
	struct coolbpf_syms *syms;
};

struct stack_dump {
	struct coolbpf_map *m;
	struct stack_plan sp;
	struct stack_ent *ents;
	size_t nr, cap;
	__u64 total;
	struct pid_syms *syms;
	size_t nr_syms, cap_syms;
	__u64 *ips;
	__u32 nr_ips;
};

static __u64 value_count(const void *v, __u32 sz)
{
	__u64 n = 0;

	memcpy(&n, v, sz); /* little and big endian: only the low bytes differ */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	n >>= 8 * (8 - sz);
#endif
	return n;
}

static int read_counts(struct stack_dump *d)
{
	struct coolbpf_map *m = d->m;
	bool percpu = coolbpf_map__percpu(m);
	int ncpu = percpu ? libbpf_num_possible_cpus() : 1, fd = bpf_map__fd(m->map);
	__u32 ksz = bpf_map__key_size(m->map), vsz = bpf_map__value_size(m->map);
	size_t stride = percpu ? ((vsz + 7) & ~7u) : vsz;
	void *prev = NULL, *next = malloc(ksz),
	     *val = calloc((size_t)(ncpu > 0 ? ncpu : 1), stride);
	int err = 0;

	if (!next || !val || ncpu <= 0) {
		err = -ENOMEM;
		goto out;
	}
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		struct stack_ent *e;
		__u64 n = 0;

		if (bpf_map_lookup_elem(fd, next, val) == 0) {
			for (int c = 0; c < ncpu; c++)
				n += value_count((char *)val + (size_t)c * stride, d->sp.count_sz);
		}
		if (room_for((void **)&d->ents, &d->cap, d->nr, sizeof(*d->ents))) {
			err = -ENOMEM;
			break;
		}
		e = &d->ents[d->nr];
		e->key = malloc(ksz);
		if (!e->key) {
			err = -ENOMEM;
			break;
		}
		memcpy(e->key, next, ksz);
		e->count = n;
		d->total += n;
		prev = e->key;
		d->nr++;
	}
out:
	free(next);
	free(val);
	return err ? cb_err(err) : 0;
}

/* One coolbpf_syms per process of the dump; for a process that is gone,
 * one without user symbols (its frames print as [unknown] + address). */
static struct coolbpf_syms *syms_for(struct stack_dump *d, int pid)
{
	char proc[64];
	struct pid_syms *ps;

	for (size_t i = 0; i < d->nr_syms; i++)
		if (d->syms[i].pid == pid)
			return d->syms[i].syms;
	if (room_for((void **)&d->syms, &d->cap_syms, d->nr_syms, sizeof(*d->syms)))
		return NULL;
	snprintf(proc, sizeof(proc), "/proc/%d/maps", pid);
	ps = &d->syms[d->nr_syms++];
	ps->pid = pid;
	ps->syms = coolbpf_syms__new(pid > 0 && !access(proc, R_OK) ? pid : 0);
	return ps->syms;
}

/* The frames of one stack id, leaf first; their number (0 for an error id). */
static __u32 stack_read(struct stack_dump *d, __s32 id)
{
	__u32 n = bpf_map__value_size(d->sp.stacks->map) / 8, i;

	if (id < 0 || bpf_map_lookup_elem(bpf_map__fd(d->sp.stacks->map), &id, d->ips))
		return 0;
	for (i = 0; i < n && d->ips[i]; i++)
		;
	return i;
}

/*
 * How frame ip reads. Merged (text, JSON): the function and its file,
 * "spin (busy)", "schedule", without the offset, so samples at different
 * places of one function count together; "[unknown] (file) 0xADDR" or,
 * for a process that is gone, "[unknown] 0xADDR". Folded: the function
 * only, "[unknown]" for what has none, no ';' or ' '.
 */
static void frame_name(struct coolbpf_syms *syms, __u64 ip, bool folded, char *buf, size_t sz)
{
	int err = syms ? coolbpf_syms__resolve(syms, ip, buf, sz) : -ENOENT;
	char *off;
	size_t len;

	if (err && folded) {
		snprintf(buf, sz, "[unknown]");
	} else if (err) {
		if (!syms)
			snprintf(buf, sz, "[unknown]");
		len = strlen(buf);
		snprintf(buf + len, sz - len, " 0x%llx", (unsigned long long)ip);
	} else if (folded) {
		buf[strcspn(buf, "+ ")] = '\0';
	} else if ((off = strstr(buf, "+0x"))) {
		len = 3 + strspn(off + 3, "0123456789abcdef");
		memmove(off, off + len, strlen(off + len) + 1);
	}
	if (folded)
		for (char *p = buf; *p; p++)
			if (*p == ';' || *p == ' ')
				*p = '_';
}

static int key_pid(const struct stack_dump *d, const void *key)
{
	__u32 pid = 0;

	if (d->sp.pid_off >= 0)
		memcpy(&pid, (const char *)key + d->sp.pid_off, sizeof(pid));
	return (int)pid;
}

static __s32 key_id(const struct stack_dump *d, const void *key, int i)
{
	__s32 id;

	memcpy(&id, (const char *)key + d->sp.id_off[i], sizeof(id));
	return id;
}

/* ---- merging and printing ------------------------------------------ */

/* Samples that read the same: who ("comm (pid N)", or its JSON; "" when
 * folded) and the frames ('\n'-separated, or folded "comm;f;...;f"). */
struct group {
	char *who;
	char *frames;
	__u64 count;
};

static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c = strcmp(x->who, y->who);

	return c ? c : strcmp(x->frames, y->frames);
}

static int by_group_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return group_cmp(a, b);
}

static void comm_append(const struct stack_dump *d, const void *key, bool folded, struct strbuf *sb)
{
	const char *c = (const char *)key + d->sp.comm_off;
	size_t len = strnlen(c, (size_t)d->sp.comm_len);

	for (size_t i = 0; i < len; i++)
		strbuf_addch(sb, folded && (c[i] == ';' || c[i] == ' ') ? '_' : c[i]);
}

static void who_append(struct stack_dump *d, const void *key, enum coolbpf_format fmt,
		       struct strbuf *sb)
{
	int pid = key_pid(d, key);

	if (d->sp.comm_off < 0 && d->sp.pid_off < 0) {
		/* neither: the key as it decodes */
		if (d->m->key_dec)
			decoder_append(d->m->key_dec, key, bpf_map__key_size(d->m->map), fmt, sb);
		else
			decode_hex_append(key, bpf_map__key_size(d->m->map), fmt, sb);
	} else if (fmt == COOLBPF_FMT_JSON) {
		struct strbuf comm = STRBUF_INIT;
		struct jw w;

		jw_init(&w, sb);
		jw_begin_object(&w);
		if (d->sp.comm_off >= 0) {
			comm_append(d, key, false, &comm);
			jw_key(&w, "comm");
			jw_string(&w, strbuf_str(&comm));
		}
		if (d->sp.pid_off >= 0) {
			jw_key(&w, "pid");
			jw_uint(&w, (__u64)pid);
		}
		jw_end_object(&w);
		strbuf_release(&comm);
	} else {
		if (d->sp.comm_off >= 0)
			comm_append(d, key, false, sb);
		if (d->sp.pid_off >= 0)
			strbuf_addf(sb, d->sp.comm_off >= 0 ? " (pid %d)" : "pid %d", pid);
	}
}

/* Frames innermost first (the stack id members in key order: kstack
 * before ustack), or folded outermost first after the comm. */
static void frames_append(struct stack_dump *d, const void *key, bool folded, struct strbuf *sb)
{
	struct coolbpf_syms *syms = syms_for(d, key_pid(d, key));
	char frame[512];

	if (folded && d->sp.comm_off >= 0)
		comm_append(d, key, true, sb);
	else if (folded)
		strbuf_addf(sb, "%d", key_pid(d, key));
	for (int j = 0; j < d->sp.nr_ids; j++) {
		int i = folded ? d->sp.nr_ids - 1 - j : j;
		__s32 id = key_id(d, key, i);
		__u32 n = stack_read(d, id);

		/* -EFAULT: no such stack (a kernel thread's user stack) */
		if (!n && id < 0 && id != -EFAULT && !folded)
			strbuf_addf(sb, "%s[stack lost: %s]", sb->len ? "\n" : "",
				    id == -EEXIST ? "its slot of the stack map was taken, a larger "
						    "LBC_STACK keeps more" :
				    id == -ENOMEM ? "the stack map was full" :
						    strerror(-id));
		for (__u32 k = 0; k < n; k++) {
			frame_name(syms, d->ips[folded ? n - 1 - k : k], folded, frame,
				   sizeof(frame));
			strbuf_addf(sb, "%s%s", folded ? ";" : sb->len ? "\n" : "", frame);
		}
	}
}

/* The entries as groups, merged, most counted first; their number. */
static int groups_build(struct stack_dump *d, enum coolbpf_format fmt, bool folded,
			struct group **out, size_t *nr_out)
{
	struct group *g = calloc(d->nr ? d->nr : 1, sizeof(*g));
	size_t nr = 0, n = 0;
	int err = 0;

	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < d->nr; i++) {
		struct strbuf who = STRBUF_INIT, frames = STRBUF_INIT;

		if (!folded)
			who_append(d, d->ents[i].key, fmt, &who);
		frames_append(d, d->ents[i].key, folded, &frames);
		g[nr].who = strbuf_detach(&who, NULL);
		g[nr].frames = strbuf_detach(&frames, NULL);
		g[nr++].count = d->ents[i].count;
	}
	qsort(g, nr, sizeof(*g), group_cmp);
	for (size_t i = 0; i < nr; i++) {
		if (n && !group_cmp(&g[n - 1], &g[i])) {
			g[n - 1].count += g[i].count;
			free(g[i].who);
			free(g[i].frames);
		} else {
			g[n++] = g[i];
		}
	}
	qsort(g, n, sizeof(*g), by_group_count);
	*out = g;
	*nr_out = n;
	return err;
}

static void group_print(const struct group *g, enum coolbpf_format fmt, struct strbuf *sb,
			struct jw *w)
{
	const char *p = g->frames;

	if (fmt == COOLBPF_FMT_JSON) {
		jw_begin_object(w);
		jw_key(w, "count");
		jw_uint(w, g->count);
		jw_key(w, "key");
		jw_raw(w, g->who);
		jw_key(w, "frames");
		jw_begin_array(w);
	} else {
		strbuf_addf(sb, "  %llu  %s\n", (unsigned long long)g->count, g->who);
	}
	while (*p) {
		size_t len = strcspn(p, "\n");

		if (fmt == COOLBPF_FMT_JSON) {
			char *f = strndup(p, len);

			jw_string(w, f ? f : "");
			free(f);
		} else {
			strbuf_addf(sb, "    %.*s\n", (int)len, p);
		}
		p += len + (p[len] == '\n');
	}
	if (fmt == COOLBPF_FMT_JSON) {
		jw_end_array(w);
		jw_end_object(w);
	}
}

static int stacks_append(struct coolbpf_map *m, enum coolbpf_format fmt, size_t top, bool folded,
			 struct strbuf *sb)
{
	struct stack_dump d = { .m = m };
	struct group *g = NULL;
	size_t nr = 0, shown;
	struct jw w;
	int err;

	if (!m->obj->loaded)
		return cb_err(-EINVAL);
	if (stack_plan_of(m, &d.sp))
		return -EOPNOTSUPP;
	if (folded && fmt != COOLBPF_FMT_TEXT) {
		pr_warn("map '%s': folded stacks are text only\n", bpf_map__name(m->map));
		return cb_err(-EINVAL);
	}
	map_decoders(m);
	d.ips = malloc(bpf_map__value_size(d.sp.stacks->map));
	err = d.ips ? read_counts(&d) : -ENOMEM;
	if (!err)
		err = groups_build(&d, fmt, folded, &g, &nr);
	if (err)
		goto out;
	shown = top && top < nr ? top : nr;
	jw_init(&w, sb);
	if (folded) {
		for (size_t i = 0; i < shown; i++)
			strbuf_addf(sb, "%s %llu\n", g[i].frames, (unsigned long long)g[i].count);
	} else if (fmt == COOLBPF_FMT_JSON) {
		jw_begin_object(&w);
		jw_key(&w, "map");
		jw_string(&w, bpf_map__name(m->map));
		jw_key(&w, "samples");
		jw_uint(&w, d.total);
		jw_key(&w, "stacks");
		jw_begin_array(&w);
	} else {
		strbuf_addf(sb, "%s: %zu stacks, %llu samples%s\n", bpf_map__name(m->map), nr,
			    (unsigned long long)d.total, shown < nr ? ", the most counted:" : "");
	}
	for (size_t i = 0; !folded && i < shown; i++)
		group_print(&g[i], fmt, sb, &w);
	if (!folded && fmt == COOLBPF_FMT_JSON) {
		jw_end_array(&w);
		jw_end_object(&w);
		strbuf_addch(sb, '\n');
	}
	err = jw_error(&w);
out:
	for (size_t i = 0; i < nr; i++) {
		free(g[i].who);
		free(g[i].frames);
	}
	free(g);
	for (size_t i = 0; i < d.nr; i++)
		free(d.ents[i].key);
	free(d.ents);
	for (size_t i = 0; i < d.nr_syms; i++)
		coolbpf_syms__free(d.syms[i].syms);
	free(d.syms);
	free(d.ips);
	return err < 0 && err != -EOPNOTSUPP ? cb_err(err) : err;
}

int map_stacks_append(struct coolbpf_map *m, enum coolbpf_format fmt, struct strbuf *sb)
{
	return stacks_append(m, fmt, 0, false, sb);
}

int coolbpf_map__format_stacks(struct coolbpf_map *map, const struct coolbpf_stack_opts *opts,
			       struct coolbpf_buf *out)
{
	enum coolbpf_format fmt;
	struct strbuf sb;
	size_t len0;
	int err;

	if (!map || !out || !OPTS_VALID(opts, coolbpf_stack_opts))
		return cb_err(-EINVAL);
	fmt = OPTS_GET(opts, fmt, COOLBPF_FMT_TEXT);
	if (fmt != COOLBPF_FMT_TEXT && fmt != COOLBPF_FMT_JSON)
		return cb_err(-EINVAL);
	buf_borrow(out, &sb);
	len0 = sb.len;
	err = stacks_append(map, fmt, OPTS_GET(opts, top, 0), OPTS_GET(opts, folded, false), &sb);
	if (err && sb.buf)
		strbuf_setlen(&sb, len0);
	buf_return(out, &sb, 0);
	if (err == -EOPNOTSUPP)
		errno = EOPNOTSUPP; /* not a stack-count map: no message, the caller decides */
	return err;
}
