// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Objects and BTF checked before libbpf parses them (lib/btf/check.c):
 * every byte of a real artifact's .BTF changed in turn, opened in process
 * (libbpf 1.1 crashed in bpf_object__open_mem on one of them); BTF
 * headers that lie about their sections; gzip bombs; inputs over their
 * bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <cmocka.h>
#include <gelf.h>
#include <linux/btf.h>

#include "btf/btf.h"
#include "object/object.h"

static int quiet(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Offset and size of section name in the ELF obj. */
static void section_of(const void *obj, size_t sz, const char *name, size_t *off, size_t *len)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)obj, sz);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	*len = 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		assert_non_null(gelf_getshdr(scn, &sh));
		if (!strcmp(elf_strptr(elf, shstrndx, sh.sh_name), name)) {
			*off = sh.sh_offset;
			*len = sh.sh_size;
		}
	}
	elf_end(elf);
	assert_true(*len > 0);
}

/* The regression: the artifact of tests/fuzz/corpus-object whose .BTF has
 * a member type past the last type crashed libbpf 1.1; it is refused. */
static void test_damaged_btf_refused_not_crashed(void **state)
{
	void *obj;
	size_t sz;

	(void)state;
	assert_int_equal(read_file("tests/fuzz/corpus-object/btf-type-past-last.o", &obj, &sz), 0);
	COOLBPF_OBJECT_OPTS(opts, .name = "bad");
	assert_null(coolbpf_object__open_mem(obj, sz, &opts));
	assert_int_equal(errno, EBADMSG);
	assert_non_null(strstr(coolbpf_errmsg(), "its .BTF is damaged"));
	free(obj);
}

/* Every byte of .BTF of two real artifacts changed in turn (xor 0xff and
 * 0x80): each opens or is refused, none crashes. */
static void test_every_btf_byte_changed(void **state)
{
	static const char *const files[] = { "tests/fuzz/corpus-object/hello_tp.o",
					     "tests/fuzz/corpus-object/execsnoop.o" };
	size_t refused = 0, opened = 0;

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		unsigned char *obj;
		size_t sz, off = 0, len;

		assert_int_equal(read_file(files[f], (void **)&obj, &sz), 0);
		section_of(obj, sz, ".BTF", &off, &len);
		for (size_t i = off; i < off + len; i++) {
			for (int x = 0; x < 2; x++) {
				struct coolbpf_object *o;

				obj[i] ^= x ? 0x80 : 0xff;
				COOLBPF_OBJECT_OPTS(opts, .name = "mut");
				o = coolbpf_object__open_mem(obj, sz, &opts);
				if (o)
					opened++;
				else
					refused++;
				coolbpf_object__close(o);
				obj[i] ^= x ? 0x80 : 0xff;
			}
		}
		free(obj);
	}
	print_message("     %zu changed objects refused, %zu opened\n", refused, opened);
	assert_true(refused > 0);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A header whose sections lie outside the buffer never reaches libbpf. */
static void test_btf_header_lies(void **state)
{
	unsigned char *btf;
	size_t len, off, n;
	char why[256];

	(void)state;
	assert_int_equal(read_file("tests/fuzz/corpus-object/min.btf", (void **)&btf, &len), 0);
	assert_int_equal(btf_check(btf, len, why, sizeof(why)), 0);
	/* hdr_len, type_off, type_len, str_off, str_len: each pushed past the end */
	for (off = 4; off < 24; off += 4) {
		uint32_t was;

		memcpy(&was, btf + off, 4);
		put_le32(btf + off, 0xfffffff0u);
		assert_int_equal(btf_check(btf, len, why, sizeof(why)), -EBADMSG);
		assert_true(why[0]);
		put_le32(btf + off, was);
	}
	/* truncated anywhere */
	for (n = 0; n < len; n++)
		assert_int_not_equal(btf_check(btf, n, why, sizeof(why)), 0);
	free(btf);
}

/* Bounded reads: a device, a file over the bound, a gzip bomb. */
static void test_reads_are_bounded(void **state)
{
	char path[] = "/tmp/coolbpf-test-check.XXXXXX";
	void *data, *gz, *out;
	size_t len, gz_len, out_len;
	char *zeros = calloc(1, 8 << 20);
	int fd;

	(void)state;
	assert_int_equal(read_file_max("/dev/zero", 1 << 20, &data, &len), -EINVAL);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1ll << 30), 0); /* 1 GB, sparse */
	close(fd);
	assert_int_equal(read_file_max(path, BTF_FILE_MAX, &data, &len), -EFBIG);
	assert_int_equal(btf_file_read(path, &data, &len), -EFBIG);
	assert_null(btf_load_file(path));
	/* 8 MB of zeros gzip to a few KB: inflated with a 1 MB bound, refused */
	assert_int_equal(gzip(zeros, 8 << 20, &gz, &gz_len), 0);
	assert_true(gz_len < 64 << 10);
	assert_int_equal(gunzip_max(gz, gz_len, 1 << 20, &out, &out_len), -EFBIG);
	assert_int_equal(gunzip_max(gz, gz_len, 8 << 20, &out, &out_len), 0);
	assert_int_equal(out_len, 8 << 20);
	free(out);
	assert_int_equal(write_file_atomic(path, gz, gz_len), 0);
	assert_int_equal(btf_file_read(path, &data, &len), 0); /* under 256 MB: read */
	free(data);
	unlink(path);
	free(gz);
	free(zeros);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_damaged_btf_refused_not_crashed),
		cmocka_unit_test(test_every_btf_byte_changed),
		cmocka_unit_test(test_btf_header_lies),
		cmocka_unit_test(test_reads_are_bounded),
	};

	coolbpf_set_print(quiet);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
