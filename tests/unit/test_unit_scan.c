// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lib/btf/scan.c: a type's id read from a BTF file in one pass gives what
 * libbpf's btf__find_by_name_kind() gives on the whole parsed BTF: on
 * this kernel's own BTF (a sample of every kind's names, the tp_btf
 * targets all), on a BTF of every kind made here, on a split BTF over it
 * (a module's shape); a damaged file is an error, not a wrong id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <cmocka.h>
#include <linux/btf.h>

#include "btf/btf.h"

static char dir[] = "/tmp/coolbpf-scan-XXXXXX";

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* the first id from first of kind and name: btf__find_by_name_kind()'s
 * answer within one file of a split BTF */
static int first_of(const struct btf *btf, __u32 first, const char *name, int kind)
{
	for (__u32 id = first; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_kind(t) == kind && !strcmp(btf__name_by_offset(btf, t->name_off), name))
			return (int)id;
	}
	return -ENOENT;
}

/* every step-th named type of btf's file at path (its ids from first)
 * found by the scan as libbpf finds it; how many checked */
static int compare_all(const struct btf *btf, const char *path, const struct btf_scan_base *base,
		       __u32 first, __u32 step)
{
	int checked = 0;

	for (__u32 id = first; id < btf__type_cnt(btf); id += step) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name = btf__name_by_offset(btf, t->name_off);
		int kind = btf_kind(t);

		if (!name || !name[0])
			continue;
		assert_int_equal(btf_scan_find(path, name, kind, base, NULL),
				 base ? first_of(btf, first, name, kind) :
					btf__find_by_name_kind(btf, name, kind));
		checked++;
	}
	return checked;
}

static void test_kernel_btf_as_libbpf(void **state)
{
	struct btf_scan_base self;
	struct btf *vmlinux;
	int tps = 0;

	(void)state;
	if (access(SYS_BTF, R_OK) != 0)
		skip();
	vmlinux = btf__parse(SYS_BTF, NULL);
	assert_non_null(vmlinux);
	/* a sample of every kind, spread over the whole file */
	assert_true(compare_all(vmlinux, SYS_BTF, NULL, 1, 997) > 50);
	/* every tracepoint a tp_btf program can name */
	for (__u32 id = 1; id < btf__type_cnt(vmlinux); id++) {
		const struct btf_type *t = btf__type_by_id(vmlinux, id);
		const char *name = btf__name_by_offset(vmlinux, t->name_off);

		if (btf_is_typedef(t) && !strncmp(name, "btf_trace_", 10) && tps++ % 7 == 0)
			assert_int_equal(btf_scan_find(SYS_BTF, name, BTF_KIND_TYPEDEF, NULL, NULL),
					 (int)id);
	}
	assert_true(tps > 100);
	assert_int_equal(
		btf_scan_find(SYS_BTF, "btf_trace_no_such_tp", BTF_KIND_TYPEDEF, NULL, &self),
		-ENOENT);
	assert_int_equal(self.nr_types, btf__type_cnt(vmlinux) - 1);
	/* a name of another kind is not found as this one */
	assert_int_equal(btf_scan_find(SYS_BTF, "task_struct", BTF_KIND_TYPEDEF, NULL, NULL),
			 btf__find_by_name_kind(vmlinux, "task_struct", BTF_KIND_TYPEDEF));
	btf__free(vmlinux);
}

/* a BTF with a type of each kind libbpf 1.1 can add */
static struct btf *every_kind(void)
{
	struct btf *b = btf__new_empty();
	int i32, s, fp;

	assert_non_null(b);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	assert_true(i32 > 0);
	assert_true(btf__add_ptr(b, i32) > 0);
	assert_true(btf__add_array(b, i32, i32, 4) > 0);
	s = btf__add_struct(b, "pair", 8);
	assert_true(s > 0);
	assert_int_equal(btf__add_field(b, "a", i32, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "b", i32, 32, 0), 0);
	assert_true(btf__add_union(b, "either", 4) > 0);
	assert_int_equal(btf__add_field(b, "x", i32, 0, 0), 0);
	assert_true(btf__add_enum(b, "color", 4) > 0);
	assert_int_equal(btf__add_enum_value(b, "RED", 0), 0);
	assert_int_equal(btf__add_enum_value(b, "BLUE", 1), 0);
	assert_true(btf__add_enum64(b, "wide", 8, false) > 0);
	assert_int_equal(btf__add_enum64_value(b, "BIG", 1ULL << 40), 0);
	assert_true(btf__add_fwd(b, "later", BTF_FWD_STRUCT) > 0);
	assert_true(btf__add_typedef(b, "pair_t", s) > 0);
	assert_true(btf__add_volatile(b, i32) > 0);
	assert_true(btf__add_const(b, i32) > 0);
	assert_true(btf__add_restrict(b, i32) > 0);
	assert_true(btf__add_type_tag(b, "user", i32) > 0);
	fp = btf__add_func_proto(b, i32);
	assert_true(fp > 0);
	assert_int_equal(btf__add_func_param(b, "p", s), 0);
	assert_true(btf__add_func(b, "do_pair", BTF_FUNC_GLOBAL, fp) > 0);
	assert_true(btf__add_var(b, "counter", BTF_VAR_GLOBAL_ALLOCATED, i32) > 0);
	assert_true(btf__add_datasec(b, ".data", 4) > 0);
	assert_int_equal(btf__add_datasec_var_info(b, btf__type_cnt(b) - 2, 0, 4), 0);
	assert_true(btf__add_float(b, "double", 8) > 0);
	assert_true(btf__add_decl_tag(b, "tagged", s, -1) > 0);
	/* the same name twice, of two kinds: each kind finds its own */
	assert_true(btf__add_typedef(b, "do_pair", i32) > 0);
	return b;
}

static void test_every_kind_and_split(void **state)
{
	char path[64], split[64];
	struct btf_scan_base self;
	struct btf *b = every_kind(), *m;
	const void *raw;
	__u32 sz;
	int s2;

	(void)state;
	snprintf(path, sizeof(path), "%s/base.btf", dir);
	raw = btf__raw_data(b, &sz);
	assert_non_null(raw);
	write_file(path, raw, sz);
	assert_int_equal(compare_all(b, path, NULL, 1, 1), 14); /* the named ones */
	assert_int_equal(btf_scan_find(path, "none", BTF_KIND_STRUCT, NULL, &self), -ENOENT);
	assert_int_equal(self.nr_types, btf__type_cnt(b) - 1);

	/* a module's shape: ids and string offsets continue the base's */
	m = btf__new_empty_split(b);
	assert_non_null(m);
	s2 = btf__add_struct(m, "mod_state", 4);
	assert_true(s2 > 0);
	assert_int_equal(btf__add_field(m, "pair", 1, 0, 0), 0);
	assert_true(btf__add_typedef(m, "btf_trace_mod_event", s2) > 0);
	assert_true(btf__add_typedef(m, "pair_t", s2) > 0); /* the base has one first */
	assert_true(btf__add_typedef(m, "pair", s2) > 0);   /* a name of the base's strings */
	snprintf(split, sizeof(split), "%s/mod.btf", dir);
	raw = btf__raw_data(m, &sz);
	assert_non_null(raw);
	write_file(split, raw, sz);
	/* each name as the kernel's BTF is searched: the base, then the module */
	for (__u32 id = btf__type_cnt(b); id < btf__type_cnt(m); id++) {
		const struct btf_type *t = btf__type_by_id(m, id);
		const char *name = btf__name_by_offset(m, t->name_off);
		int in_base = btf_scan_find(path, name, btf_kind(t), NULL, &self);

		if (in_base > 0)
			continue; /* pair_t: the base's, as libbpf finds it too */
		assert_int_equal(in_base, -ENOENT);
		assert_int_equal(btf_scan_find(split, name, btf_kind(t), &self, NULL),
				 first_of(m, btf__type_cnt(b), name, btf_kind(t)));
	}
	/* the module's typedef "pair", named by the base's string (the base's
	 * struct pair's): found through the hits the base's scan gave */
	assert_int_equal(btf_scan_find(path, "pair", BTF_KIND_TYPEDEF, NULL, &self), -ENOENT);
	assert_int_equal(self.nr_hits, 1);
	assert_int_equal(btf_scan_find(split, "pair", BTF_KIND_TYPEDEF, &self, NULL),
			 btf__find_by_name_kind(m, "pair", BTF_KIND_TYPEDEF));
	assert_true(btf__find_by_name_kind(m, "pair", BTF_KIND_TYPEDEF) > (int)btf__type_cnt(b));
	btf__free(m);
	btf__free(b);
}

static void test_damaged_files_are_errors(void **state)
{
	struct btf *b = every_kind();
	unsigned char *copy;
	struct btf_header h;
	char path[64];
	const void *raw;
	__u32 sz;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.btf", dir);
	raw = btf__raw_data(b, &sz);
	copy = malloc(sz);
	assert_non_null(copy);
	memcpy(&h, raw, sizeof(h));

	/* not BTF; the other byte order */
	memcpy(copy, raw, sz);
	copy[0] ^= 0xff;
	write_file(path, copy, sz);
	assert_int_equal(btf_scan_find(path, "pair_t", BTF_KIND_TYPEDEF, NULL, NULL), -EPROTO);
	/* cut inside the strings (the header says more) */
	write_file(path, raw, sz - 3);
	assert_int_equal(btf_scan_find(path, "pair_t", BTF_KIND_TYPEDEF, NULL, NULL), -EPROTO);
	/* a kind this reader does not know, before the one looked for */
	memcpy(copy, raw, sz);
	copy[h.hdr_len + h.type_off + 7] = 31 & 0x1f; /* info's kind byte of type 1 */
	write_file(path, copy, sz);
	assert_int_equal(btf_scan_find(path, "pair_t", BTF_KIND_TYPEDEF, NULL, NULL), -EPROTO);
	/* missing file; no name */
	assert_int_equal(btf_scan_find("/nonexistent/btf", "x", BTF_KIND_INT, NULL, NULL), -ENOENT);
	assert_int_equal(btf_scan_find(path, "", BTF_KIND_INT, NULL, NULL), -EINVAL);
	free(copy);
	btf__free(b);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_btf_as_libbpf),
		cmocka_unit_test(test_every_kind_and_split),
		cmocka_unit_test(test_damaged_files_are_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
