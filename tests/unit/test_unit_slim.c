// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The slim vmlinux.h (lib/slim.c) from this kernel's BTF, and the compile
 * pipeline around it: same relocations as with the full vmlinux.h, and a
 * fallback to the full one when the slim one lacks a name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <cmocka.h>
#include <gelf.h>

#include "compile/compile.h"

#define SYS_BTF "/sys/kernel/btf/vmlinux"

static char dir[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/coolbpf-test-slim.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };

	(void)state;
	run_argv(argv, NULL, 0);
	return 0;
}

static void put(const char *name, const char *text, char path[PATH_MAX])
{
	assert_int_equal(pathf(path, PATH_MAX, "%s/%s", dir, name), 0);
	assert_int_equal(write_file_atomic(path, text, strlen(text)), 0);
}

/* the text of "struct name {...};" in hdr, or NULL */
static char *definition(const char *hdr, const char *name)
{
	char open[128];
	const char *p, *end;

	snprintf(open, sizeof(open), "\nstruct %s {\n", name);
	p = strstr(hdr, open);
	if (!p)
		return NULL;
	end = strstr(p, "\n};\n");
	assert_non_null(end);
	return strndup(p, (size_t)(end - p));
}

static void test_slim_keeps_what_the_program_names(void **state)
{
	/* task_struct named: in full; ->fs named: fs_struct with umask only;
	 * ->mm never named: a declaration; cred through a CO-RE flavor; rlimit
	 * only in an included header; BPF_ANY an enumerator */
	static const char src[] =
		"#include \"mine.h\"\n"
		"struct task_struct *t;\n"
		"int f(void) { return t->fs->umask + BPF_ANY; }\n"
		"struct cred___old { int uid; };\n"
		"/* comments do not count: pwd */ const char *s = \"nor strings: pwd\";\n";
	struct strbuf hdr = STRBUF_INIT;
	char path[PATH_MAX], btf_out[PATH_MAX], *def;
	const char *const no_dirs[] = { NULL };
	struct btf *full, *slim;
	size_t n_types = 0;

	(void)state;
	if (access(SYS_BTF, R_OK))
		skip();
	put("mine.h", "struct rlimit *lim;\n", path);
	assert_int_equal(pathf(btf_out, sizeof(btf_out), "%s/slim.btf", dir), 0);
	{
		struct slim_input in = {
			.src = src, .src_len = strlen(src), .src_dir = dir, .include_dirs = no_dirs
		};

		assert_int_equal(slim_vmlinux_h(SYS_BTF, &in, &hdr, btf_out, &n_types), 0);
	}
	def = definition(hdr.buf, "task_struct");
	assert_non_null(def);
	assert_non_null(strstr(def, "struct fs_struct *fs;"));
	assert_non_null(strstr(def, "struct mm_struct *mm;"));
	free(def);

	def = definition(hdr.buf, "fs_struct");
	if (!def || !strstr(def, " umask;") || strstr(def, " pwd;"))
		fail_msg("fs_struct should hold umask and not pwd:\n%s", def ? def : "(none)");
	free(def);

	assert_null(strstr(hdr.buf, "\nstruct mm_struct {\n"));
	assert_non_null(strstr(hdr.buf, "\nstruct mm_struct;\n"));
	assert_non_null(strstr(hdr.buf, "\nstruct cred {\n"));
	assert_non_null(strstr(hdr.buf, "\nstruct rlimit {\n"));
	assert_non_null(strstr(hdr.buf, "BPF_ANY = 0"));

	/* a small fraction of the kernel's types, and the BTF says the same */
	full = btf__parse(SYS_BTF, NULL);
	slim = btf__parse_raw(btf_out);
	assert_non_null(full);
	assert_non_null(slim);
	assert_int_equal(btf__type_cnt(slim) - 1, n_types);
	if (n_types * 20 > btf__type_cnt(full))
		fail_msg("%zu of %u types kept", n_types, btf__type_cnt(full));
	btf__free(full);
	btf__free(slim);

	/* and clang takes it as it is */
	put("slim.h", hdr.buf, path);
	{
		const char *argv[] = { "clang", "-target", "bpf", "-fsyntax-only", "-Werror", "-x",
				       "c",	path,	   NULL };
		struct strbuf log = STRBUF_INIT;

		if (run_argv(argv, &log, 64 * 1024))
			fail_msg("clang rejects the slim header:\n%s", strbuf_str(&log));
		strbuf_release(&log);
	}
	strbuf_release(&hdr);
}

/* A copy of the kernel's BTF in a regular file reads the same; garbage and
 * truncation are errors; an ELF file goes through libbpf. */
static void test_slim_reads_files_and_refuses_garbage(void **state)
{
	static const char src[] = "struct task_struct *t; int f(void) { return t->pid; }\n";
	struct slim_input in = { .src = src, .src_len = strlen(src) };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;
	char path[PATH_MAX];
	void *data;
	size_t len;

	(void)state;
	if (access(SYS_BTF, R_OK))
		skip();
	assert_int_equal(read_file(SYS_BTF, &data, &len), 0);
	assert_int_equal(slim_vmlinux_h(SYS_BTF, &in, &a, NULL, NULL), 0);
	assert_int_equal(pathf(path, sizeof(path), "%s/copy.btf", dir), 0);
	assert_int_equal(write_file_atomic(path, data, len), 0);
	assert_int_equal(slim_vmlinux_h(path, &in, &b, NULL, NULL), 0);
	assert_string_equal(a.buf, b.buf);

	/* truncated anywhere: an error, never a crash or a header */
	for (size_t cut = 0; cut < len; cut += cut < 256 ? 7 : len / 9) {
		assert_int_equal(write_file_atomic(path, data, cut), 0);
		strbuf_reset(&c);
		assert_true(slim_vmlinux_h(path, &in, &c, NULL, NULL) < 0);
	}
	/* a type's kind byte corrupted: refused or read, never out of bounds */
	srand(2);
	for (int i = 0; i < 50; i++) {
		unsigned char *copy = malloc(len);
		size_t at = 24 + (size_t)rand() % (len / 2);

		memcpy(copy, data, len);
		copy[at] = (unsigned char)rand();
		assert_int_equal(write_file_atomic(path, copy, len), 0);
		strbuf_reset(&c);
		slim_vmlinux_h(path, &in, &c, NULL, NULL);
		free(copy);
	}
	free(data);

	/* an ELF object with .BTF: libbpf reads it */
	{
		struct coolbpf_compile_result r;
		char cache[PATH_MAX];
		static const char prog[] = "#include \"lbc.h\"\n"
					   "struct ev { int pid; } last;\n"
					   "char LICENSE[] SEC(\"license\") = \"GPL\";\n";

		assert_int_equal(pathf(cache, sizeof(cache), "%s/cache", dir), 0);
		COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache);
		assert_int_equal(coolbpf_compile_buf("e.bpf.c", prog, strlen(prog), &opts, &r), 0);
		assert_int_equal(pathf(path, sizeof(path), "%s/obj.o", dir), 0);
		assert_int_equal(write_file_atomic(path, r.obj, r.obj_sz), 0);
		strbuf_reset(&c);
		in.src = "struct ev e;";
		in.src_len = strlen(in.src);
		assert_int_equal(slim_vmlinux_h(path, &in, &c, NULL, NULL), 0);
		assert_non_null(strstr(c.buf, "struct ev {"));
		coolbpf_compile_result__release(&r);
	}
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&c);
}

static const void *section(const struct coolbpf_compile_result *r, const char *want, size_t *sz)
{
	Elf *elf = elf_memory((char *)r->obj, r->obj_sz);
	Elf_Scn *scn = NULL;
	const void *found = NULL;
	size_t shstrndx;

	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		assert_non_null(gelf_getshdr(scn, &sh));
		if (!strcmp(elf_strptr(elf, shstrndx, sh.sh_name), want)) {
			found = (const char *)r->obj + sh.sh_offset;
			*sz = sh.sh_size;
		}
	}
	elf_end(elf);
	return found;
}

static void compile_src(const char *src, bool full, struct coolbpf_compile_result *r)
{
	char cache[PATH_MAX];

	assert_int_equal(pathf(cache, sizeof(cache), "%s/cache", dir), 0);
	COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache, .no_cache = true, .full_vmlinux_h = full);
	if (coolbpf_compile_buf("s.bpf.c", src, strlen(src), &opts, r))
		fail_msg("compile failed (%s): %s\n%s", full ? "full" : "slim", coolbpf_errmsg(),
			 r->log);
}

/* the relocations' target types, min BTF, come out the same either way */
static void test_slim_and_full_agree_on_min_btf(void **state)
{
	static const char src[] =
		"#include \"lbc.h\"\n"
		"struct task_struct___v1 { int tgid; } __attribute__((preserve_access_index));\n"
		"SEC(\"tp/sched/sched_process_exec\")\n"
		"int tp(void *ctx)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\tstruct task_struct___v1 *o = (void *)t;\n"
		"\tu64 v = BPF_CORE_READ(t, real_parent, mm, total_vm) + BPF_CORE_READ(o, tgid);\n"
		"\tif (bpf_core_field_exists(t->pid) && bpf_core_type_exists(struct sk_buff))\n"
		"\t\tv += bpf_core_type_size(struct sock);\n"
		"\tbpf_printk(\"%llu\", v);\n"
		"\treturn 0;\n"
		"}\n"
		"char LICENSE[] SEC(\"license\") = \"GPL\";\n";
	struct coolbpf_compile_result slim, full;
	const void *a, *b;
	size_t a_sz = 0, b_sz = 0;

	(void)state;
	if (access(SYS_BTF, R_OK))
		skip();
	compile_src(src, false, &slim);
	compile_src(src, true, &full);
	a = section(&slim, ".lbc.minbtf", &a_sz);
	b = section(&full, ".lbc.minbtf", &b_sz);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a_sz > 24);
	if (a_sz != b_sz || memcmp(a, b, a_sz))
		fail_msg("min BTF differs: slim %zu bytes, full %zu", a_sz, b_sz);
	/* the slim object is the smaller one: its BTF holds fewer types */
	section(&slim, ".BTF", &a_sz);
	section(&full, ".BTF", &b_sz);
	if (a_sz >= b_sz)
		fail_msg(".BTF: slim %zu bytes, full %zu", a_sz, b_sz);
	coolbpf_compile_result__release(&slim);
	coolbpf_compile_result__release(&full);
}

static char info_log[4096];

static int capture(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n = strlen(info_log);

	if (level <= COOLBPF_INFO && n < sizeof(info_log) - 1)
		vsnprintf(info_log + n, sizeof(info_log) - n, fmt, ap);
	return 0;
}

/* a member name made by pasting tokens is not in the slim header: clang
 * rejects it, the full vmlinux.h compiles it, to the same object */
static void test_slim_falls_back_to_full(void **state)
{
	static const char src[] =
		"#include \"lbc.h\"\n"
		"#define CAT(a, b) a##b\n"
		"SEC(\"tp/sched/sched_process_exec\")\n"
		"int tp(void *ctx)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\tbpf_printk(\"%lu\", BPF_CORE_READ(t, CAT(m, m), CAT(total_, vm)));\n"
		"\treturn 0;\n"
		"}\n"
		"char LICENSE[] SEC(\"license\") = \"GPL\";\n";
	struct coolbpf_compile_result slim, full;
	coolbpf_print_fn_t old;

	(void)state;
	if (access(SYS_BTF, R_OK))
		skip();
	info_log[0] = '\0';
	old = coolbpf_set_print(capture);
	compile_src(src, false, &slim);
	coolbpf_set_print(old);
	if (!strstr(info_log, "compiling with the full one"))
		fail_msg("no fallback reported:\n%s", info_log);
	compile_src(src, true, &full);
	assert_string_equal(slim.sha256, full.sha256);
	coolbpf_compile_result__release(&slim);
	coolbpf_compile_result__release(&full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slim_keeps_what_the_program_names),
		cmocka_unit_test(test_slim_reads_files_and_refuses_garbage),
		cmocka_unit_test(test_slim_and_full_agree_on_min_btf),
		cmocka_unit_test(test_slim_falls_back_to_full),
	};

	elf_version(EV_CURRENT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
