// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf run --columns: text events as aligned columns under a header
 * line, as BCC's tools print them. The values are the decoder's own (its
 * JSON, so typed fields read as they do everywhere: "127.0.0.1",
 * "ENOENT"); the widths come from the fields' BTF types, never from the
 * values, so every line of a type lines up with its header. The last
 * column is never padded nor cut (a path, a command line); a string
 * before it longer than its column is cut to it.
 */
#include <argp.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "run.h"

bool run_columns;

/* a column of one event type: the field's name and its width */
struct column {
	char name[64];
	int width;
};

/* the event types seen so far, with their columns (their header printed) */
#define COLUMN_TYPES 16
#define COLUMNS_MAX  64
static struct column_type {
	const struct coolbpf_map *map;
	struct column cols[COLUMNS_MAX];
	int nr_cols;
	bool headed;
} types[COLUMN_TYPES];
static int nr_types;

enum { OPT_COLUMNS = 0x500 };

static const struct argp_option options[] = {
	{ "columns", OPT_COLUMNS, NULL, 0,
	  "Text events as aligned columns under a header line per event type (as BCC's tools)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	(void)state;
	if (key != OPT_COLUMNS)
		return ARGP_ERR_UNKNOWN;
	run_columns = true;
	return 0;
}

const struct argp run_columns_argp = { options, parse_opt, NULL, NULL, NULL, NULL, NULL };

/* lbc.h's typed fields, by their typedef's name: as wide as what they print */
static const struct {
	const char *typedef_name;
	int width;
} typed_widths[] = {
	{ "lbc_ipv4_t", 15 }, { "lbc_ipv6_t", 39 },   { "lbc_port_t", 5 },  { "lbc_ksym_t", 24 },
	{ "lbc_usym_t", 24 }, { "lbc_ns_t", 15 },     { "lbc_errno_t", 7 }, { "lbc_syscall_t", 16 },
	{ "lbc_dev_t", 10 },  { "lbc_stackid_t", 7 },
};

static int type_width(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	/* a typed field is known by a typedef on the way to its type */
	for (int i = 0; t && i < 16 && (btf_is_typedef(t) || btf_is_mod(t)); i++) {
		const char *name = btf__name_by_offset(btf, t->name_off);

		for (size_t k = 0; btf_is_typedef(t) && name && k < ARRAY_SIZE(typed_widths); k++)
			if (!strcmp(name, typed_widths[k].typedef_name))
				return typed_widths[k].width;
		t = btf__type_by_id(btf, t->type);
	}
	if (!t)
		return 8;
	if (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t)) {
		bool is_signed = btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED);

		if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL))
			return 5;
		if (btf_is_enum(t) || btf_is_enum64(t))
			return 12;
		/* u32 as 7 (pids, uids), u64 as 12, as BCC's columns */
		switch (t->size) {
		case 1:
			return 3 + is_signed;
		case 2:
			return 5 + is_signed;
		case 4:
			return 7;
		default:
			return 12;
		}
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *e = btf__type_by_id(btf, a->type);

		while (e && (btf_is_typedef(e) || btf_is_mod(e)))
			e = btf__type_by_id(btf, e->type);
		if (e && btf_is_int(e) && e->size == 1) /* a string: BCC's comm is 16 */
			return a->nelems - 1 < 16 ? (int)a->nelems - 1 : 16;
	}
	if (btf_is_ptr(t))
		return 18;
	return 16;
}

/* The event type's columns, from its BTF struct; NULL when it has none. */
static struct column_type *columns_of(const struct coolbpf_map *map, const struct btf *btf)
{
	const struct btf_type *t;
	struct column_type *ct;
	__u32 id;

	for (int i = 0; i < nr_types; i++)
		if (types[i].map == map)
			return &types[i];
	if (nr_types == COLUMN_TYPES || !btf)
		return NULL;
	id = coolbpf_map__value_type_id(map);
	t = id ? btf__type_by_id(btf, id) : NULL;
	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_struct(t) || !btf_vlen(t))
		return NULL;
	ct = &types[nr_types++];
	ct->map = map;
	for (__u16 k = 0; k < btf_vlen(t) && ct->nr_cols < COLUMNS_MAX; k++) {
		const struct btf_member *m = &btf_members(t)[k];
		struct column *c = &ct->cols[ct->nr_cols++];
		int n;

		snprintf(c->name, sizeof(c->name), "%s", btf__name_by_offset(btf, m->name_off));
		n = (int)strlen(c->name);
		c->width = type_width(btf, m->type);
		if (c->width < n)
			c->width = n;
	}
	return ct;
}

/* One cell: a string as it is, anything else as compact JSON. */
static char *cell_text(json_t *v)
{
	if (!v)
		return strdup("-");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void put_cell(struct coolbpf_buf *out, const char *s, int width, bool last)
{
	if (last)
		coolbpf_buf__printf(out, "%s", s);
	else
		coolbpf_buf__printf(out, "%-*.*s ", width, width, s);
}

int run_columns_event(struct coolbpf_map *map, const struct btf *btf, const void *data, size_t size,
		      const char *time, struct coolbpf_buf *out)
{
	struct coolbpf_buf js = COOLBPF_BUF_INIT;
	struct column_type *ct = columns_of(map, btf);
	json_t *root = NULL, *ev;
	int err;

	COOLBPF_FORMAT_OPTS(fo, .fmt = COOLBPF_FMT_JSON);
	if (!ct)
		return -ENOENT;
	err = coolbpf_map__format_event(map, data, size, &fo, &js);
	if (!err)
		root = json_loads(js.data, 0, NULL);
	coolbpf_buf__release(&js);
	ev = root ? json_object_get(root, "event") : NULL;
	if (!ev || !json_is_object(ev)) {
		json_decref(root);
		return -EINVAL; /* the caller prints it as text */
	}
	/* the header, once per type, before its first event */
	if (!ct->headed) {
		ct->headed = true;
		if (time)
			put_cell(out, "TIME", (int)strlen(time), false);
		for (int i = 0; i < ct->nr_cols; i++) {
			char up[64];
			size_t j;

			for (j = 0; ct->cols[i].name[j] && j < sizeof(up) - 1; j++)
				up[j] = (char)toupper((unsigned char)ct->cols[i].name[j]);
			up[j] = '\0';
			put_cell(out, up, ct->cols[i].width, i == ct->nr_cols - 1);
		}
		coolbpf_buf__append(out, "\n", 1);
	}
	if (time)
		put_cell(out, time, (int)strlen(time), false);
	for (int i = 0; i < ct->nr_cols; i++) {
		char *s = cell_text(json_object_get(ev, ct->cols[i].name));

		put_cell(out, s ? s : "?", ct->cols[i].width, i == ct->nr_cols - 1);
		free(s);
	}
	json_decref(root);
	return 0;
}
