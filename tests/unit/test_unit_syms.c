// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Symbolization against the live kernel and this very process: kallsyms
 * names and offsets, the test binary's own functions, libc, the vDSO,
 * unmapped addresses, exited processes, deleted and corrupt ELF files.
 * Needs root (kallsyms addresses, /proc/PID/map_files).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "format/format.h"

/* A function of this binary with a known name, more than 3 bytes long
 * (global: the symbol table must carry it as a function). */
int syms_test_target(int x);
__attribute__((noinline, used)) int syms_test_target(int x)
{
	volatile int v = x;

	v = v * 3 + 1;
	v ^= 0x5a5a;
	return v;
}

static char buf[512];

/* Address of a text symbol in /proc/kallsyms (0 if absent); *next: the
 * lowest symbol address above it. */
static __u64 kallsyms_addr(const char *want, __u64 *next)
{
	unsigned long long a, found = 0, above = ~0ULL;
	char type, name[512];
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[1024];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %511s", &a, &type, name) == 3 && !strcmp(name, want) &&
		    (type == 'T' || type == 't'))
			found = a;
	}
	rewind(f);
	while (found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx", &a) == 1 && a > found && a < above)
			above = a;
	}
	fclose(f);
	if (next)
		*next = above;
	return found;
}

/* The mapping of this process that contains addr. */
static void self_mapping(uintptr_t addr, __u64 *start, __u64 *end, __u64 *off)
{
	unsigned long long s, e, o;
	char line[1024];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %llx", &s, &e, &o) == 3 && addr >= s && addr < e) {
			*start = s;
			*end = e;
			*off = o;
			found = true;
		}
	}
	fclose(f);
	assert_true(found);
}

static const char *self_exe_base(void)
{
	static char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	assert_true(n > 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	return slash ? slash + 1 : exe;
}

static void expect_target(struct coolbpf_syms *syms, uintptr_t addr, unsigned int off,
			  const char *file)
{
	char want[512];

	snprintf(want, sizeof(want), "syms_test_target+0x%x (%s)", off, file);
	assert_int_equal(coolbpf_syms__resolve(syms, addr + off, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

/* ---- kernel ---------------------------------------------------------- */

static void test_kernel_symbol_resolves_with_offset(void **state)
{
	struct coolbpf_syms *syms = coolbpf_syms__new(0);
	__u64 next, addr = kallsyms_addr("schedule", &next);
	char want[128];

	assert_non_null(syms);
	assert_true(addr >= 0xffff800000000000ULL);
	assert_true(next > addr + 5);
	assert_int_equal(coolbpf_syms__resolve(syms, addr, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "schedule+0x0");
	assert_int_equal(coolbpf_syms__resolve(syms, addr + 5, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "schedule+0x5");
	/* the last byte before the next symbol still belongs to schedule */
	snprintf(want, sizeof(want), "schedule+0x%llx", (unsigned long long)(next - 1 - addr));
	assert_int_equal(coolbpf_syms__resolve(syms, next - 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	/* snprintf semantics: a short buffer gets a terminated prefix */
	assert_int_equal(coolbpf_syms__resolve(syms, addr, buf, 5), 0);
	assert_string_equal(buf, "sche");
	coolbpf_syms__free(syms);
}

static void test_pid0_user_address_is_unknown(void **state)
{
	struct coolbpf_syms *syms = coolbpf_syms__new(0);

	assert_int_equal(coolbpf_syms__resolve(syms, (uintptr_t)syms_test_target, buf, sizeof(buf)),
			 -ENOENT);
	assert_string_equal(buf, "[unknown]");
	coolbpf_syms__free(syms);
}

static void *resolve_schedule(void *arg)
{
	struct coolbpf_syms *syms = coolbpf_syms__new(0);
	char out[128];
	long ok;

	ok = syms && !coolbpf_syms__resolve(syms, *(__u64 *)arg, out, sizeof(out)) &&
	     !strcmp(out, "schedule+0x0");
	coolbpf_syms__free(syms);
	return (void *)ok;
}

static void test_kernel_table_loaded_once_and_shared(void **state)
{
	__u64 addr = kallsyms_addr("schedule", NULL);
	const struct ksyms *a, *b;
	pthread_t th[8];

	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, resolve_schedule, &addr), 0);
	for (int i = 0; i < 8; i++) {
		void *ok;

		assert_int_equal(pthread_join(th[i], &ok), 0);
		assert_true(ok);
	}
	assert_int_equal(ksyms_kernel(&a), 0);
	assert_int_equal(ksyms_kernel(&b), 0);
	assert_ptr_equal(a, b);
	assert_true(ksyms_count(a) > 1000);
}

static char *write_tmp(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/coolbpf-syms-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_kallsyms_modules_aliases_and_bounds(void **state)
{
	static const char text[] = "0000000000000000 A fixed_percpu_data\n"
				   "ffffffff81000000 t alias_local\n"
				   "ffffffff81000000 T _text\n"
				   "ffffffff81000010 t local_fn\n"
				   "ffffffff81000100 W weak_fn\n"
				   "ffffffff81000100 T strong_fn\n"
				   "not a kallsyms line\n"
				   "ffffffffc0001000 t mod_fn\t[mymod]\n"
				   "ffffffffc0001040 T mod_fn2\t[mymod]\n"
				   "ffffffffc0002000 t bpf_prog_0123456789abcdef_x\t[bpf]\n";
	char *path = write_tmp(text, sizeof(text) - 1);
	struct ksyms *ks = ksyms_load(path);

	unlink(path);
	assert_non_null(ks);
	assert_int_equal(ksyms_count(ks), 8);
	/* aliases: a global name beats a local one listed first */
	assert_int_equal(ksyms_format(ks, 0xffffffff81000000ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "_text+0x0");
	assert_int_equal(ksyms_format(ks, 0xffffffff81000015ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "local_fn+0x5");
	assert_int_equal(ksyms_format(ks, 0xffffffff81000100ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "strong_fn+0x0");
	assert_int_equal(ksyms_format(ks, 0xffffffffc0001008ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "mod_fn+0x8 [mymod]");
	assert_int_equal(ksyms_format(ks, 0xffffffffc0001040ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "mod_fn2+0x0 [mymod]");
	assert_int_equal(ksyms_format(ks, 0xffffffffc0002001ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "bpf_prog_0123456789abcdef_x+0x1 [bpf]");
	assert_int_equal(ksyms_format(ks, 0xffffffff80000000ULL, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "[unknown]");
	ksyms_free(ks);
}

static void test_kallsyms_hidden_addresses_give_eperm(void **state)
{
	static const char hidden[] = "0000000000000000 T _text\n"
				     "0000000000000000 T schedule\n"
				     "0000000000000000 t mod_fn\t[mymod]\n";
	char *path = write_tmp(hidden, sizeof(hidden) - 1);

	errno = 0;
	assert_null(ksyms_load(path));
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(coolbpf_errmsg(), "kptr_restrict"));
	unlink(path);

	path = write_tmp("", 0);
	assert_null(ksyms_load(path));
	assert_int_equal(errno, ENOENT);
	unlink(path);
	assert_null(ksyms_load("/nonexistent/kallsyms"));
	assert_int_equal(errno, ENOENT);
}

/* ---- user space -------------------------------------------------------- */

static void test_own_function_resolves_in_pie(void **state)
{
	struct coolbpf_syms *syms = coolbpf_syms__new(getpid());

	assert_non_null(syms);
	expect_target(syms, (uintptr_t)syms_test_target, 0, self_exe_base());
	expect_target(syms, (uintptr_t)syms_test_target, 3, self_exe_base());
	coolbpf_syms__free(syms);
}

static void test_libc_function_resolves(void **state)
{
	struct coolbpf_syms *syms = coolbpf_syms__new(getpid());
	void *fn = dlsym(RTLD_DEFAULT, "getpid");

	assert_non_null(fn);
	assert_int_equal(coolbpf_syms__resolve(syms, (uintptr_t)fn, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "getpid"));
	assert_true(str_has_suffix(buf, "+0x0 (libc.so.6)"));
	coolbpf_syms__free(syms);
}

static void test_vdso_function_resolves(void **state)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	struct coolbpf_syms *syms = coolbpf_syms__new(getpid());
	__u64 start, end, off;
	bool found = false;

	if (!base)
		skip();
	self_mapping(base, &start, &end, &off);
	for (__u64 a = start; a < end && !found; a++)
		found = !coolbpf_syms__resolve(syms, a, buf, sizeof(buf)) &&
			strstr(buf, "clock_gettime+0x0 ([vdso])");
	assert_true(found);
	coolbpf_syms__free(syms);
}

static void test_unmapped_address_is_unknown(void **state)
{
	struct coolbpf_syms *syms = coolbpf_syms__new(getpid());

	/* page 1 is below vm.mmap_min_addr: never mapped */
	assert_int_equal(coolbpf_syms__resolve(syms, 0x1000, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "[unknown]");
	assert_int_equal(errno, ENOENT);
	coolbpf_syms__free(syms);
}

static void test_exited_process_is_a_clean_error(void **state)
{
	struct coolbpf_syms *syms;
	__u64 kaddr = kallsyms_addr("schedule", NULL);
	pid_t child = fork();

	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	syms = coolbpf_syms__new(child);
	assert_non_null(syms);
	assert_int_equal(coolbpf_syms__resolve(syms, (uintptr_t)syms_test_target, buf, sizeof(buf)),
			 -ESRCH);
	assert_string_equal(buf, "[unknown]");
	assert_non_null(strstr(coolbpf_errmsg(), "exited"));
	/* kernel frames of its stacks still resolve */
	assert_int_equal(coolbpf_syms__resolve(syms, kaddr, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "schedule+0x0");
	coolbpf_syms__free(syms);
}

static void test_process_exiting_after_first_lookup_keeps_resolving(void **state)
{
	struct coolbpf_syms *syms;
	void *fn = dlsym(RTLD_DEFAULT, "getpid");
	int pfd[2];
	pid_t child;
	char c;

	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		close(pfd[1]);
		_exit(read(pfd[0], &c, 1) < 0);
	}
	close(pfd[0]);
	syms = coolbpf_syms__new(child);
	/* a fork has our layout */
	expect_target(syms, (uintptr_t)syms_test_target, 0, self_exe_base());
	close(pfd[1]);
	assert_int_equal(waitpid(child, NULL, 0), child);
	expect_target(syms, (uintptr_t)syms_test_target, 3, self_exe_base());
	/* libc not opened yet: found through the path once map_files is gone */
	assert_int_equal(coolbpf_syms__resolve(syms, (uintptr_t)fn, buf, sizeof(buf)), 0);
	assert_true(str_has_suffix(buf, "+0x0 (libc.so.6)"));
	coolbpf_syms__free(syms);
}

/* Map a copy of this binary's code, delete the copy: still resolves. */
static void test_deleted_mapped_file_resolves(void **state)
{
	uintptr_t target = (uintptr_t)syms_test_target;
	__u64 start, end, off;
	struct coolbpf_syms *syms;
	const char *name;
	size_t len;
	void *exe, *map;
	char *path;

	self_mapping(target, &start, &end, &off);
	assert_int_equal(read_file("/proc/self/exe", &exe, &len), 0);
	path = write_tmp(exe, len);
	free(exe);
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	map = mmap(NULL, end - start, PROT_READ, MAP_PRIVATE, fd, (off_t)off);
	assert_true(map != MAP_FAILED);
	close(fd);
	assert_int_equal(unlink(path), 0);
	name = strrchr(path, '/') + 1;
	syms = coolbpf_syms__new(getpid());
	expect_target(syms, (uintptr_t)map + (target - start), 3, name);
	coolbpf_syms__free(syms);
	munmap(map, end - start);
}

static void expect_unknown_mapped(const char *data, size_t len)
{
	char *path = write_tmp(data, len), want[128];
	struct coolbpf_syms *syms = coolbpf_syms__new(getpid());
	int fd = open(path, O_RDONLY);
	void *map;

	assert_true(fd >= 0);
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	close(fd);
	snprintf(want, sizeof(want), "[unknown] (%s)", path);
	assert_int_equal(coolbpf_syms__resolve(syms, (uintptr_t)map + 16, buf, sizeof(buf)),
			 -ENOENT);
	assert_string_equal(buf, want);
	coolbpf_syms__free(syms);
	munmap(map, len);
	unlink(path);
}

static void test_corrupt_mapped_elf_is_unknown(void **state)
{
	char junk[8192];
	void *exe;
	size_t len;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	memcpy(junk, ELFMAG, SELFMAG);
	expect_unknown_mapped(junk, sizeof(junk));
	/* headers intact, sections cut off */
	assert_int_equal(read_file("/proc/self/exe", &exe, &len), 0);
	expect_unknown_mapped(exe, 4096);
	free(exe);
}

/* A copy of this binary, and where syms_test_target lies in it. */
static void *load_self(size_t *len, __u64 *target_off)
{
	__u64 start, end, off;
	void *exe;

	self_mapping((uintptr_t)syms_test_target, &start, &end, &off);
	*target_off = (uintptr_t)syms_test_target - start + off;
	assert_int_equal(read_file("/proc/self/exe", &exe, len), 0);
	return exe;
}

/* Whatever it makes of img, it must not crash or read out of bounds. */
static void parse_mutant(const void *img, size_t len, __u64 target_off)
{
	void *copy = malloc(len ? len : 1);
	struct elf_syms *es;
	const char *name;
	__u64 off;

	memcpy(copy, img, len);
	es = elf_syms_open_mem(copy, len, "mutant");
	if (es) {
		int err = elf_syms_find(es, target_off, &name, &off);

		assert_true(err == 0 || err == -ENOENT);
		if (!err)
			assert_true(strlen(name) < 1024);
	} else {
		assert_true(errno == ENOEXEC || errno == E2BIG);
	}
	elf_syms_free(es);
	free(copy);
}

static void test_corrupt_elf_images_do_not_crash(void **state)
{
	__u64 target_off, off;
	size_t len;
	char *exe = load_self(&len, &target_off), *img = malloc(len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh;
	struct elf_syms *es;
	const char *name;
	unsigned int seed = 1;

	/* the intact image works, so the mutants below test something */
	memcpy(img, exe, len);
	es = elf_syms_open_mem(img, len, "self");
	assert_non_null(es);
	assert_int_equal(elf_syms_find(es, target_off + 3, &name, &off), 0);
	assert_string_equal(name, "syms_test_target");
	assert_int_equal(off, 3);
	elf_syms_free(es);

	/* targeted: every symbol table field made absurd in turn */
	for (int field = 0; field < 6; field++) {
		memcpy(img, exe, len);
		sh = (Elf64_Shdr *)(img + eh->e_shoff);
		for (int i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM &&
			    sh[i].sh_type != SHT_STRTAB)
				continue;
			switch (field) {
			case 0:
				sh[i].sh_size = 1ULL << 40;
				break;
			case 1:
				sh[i].sh_offset = len - 8;
				break;
			case 2:
				sh[i].sh_link = 0xffff;
				break;
			case 3:
				sh[i].sh_entsize = 0;
				break;
			case 4:
				sh[i].sh_size = 7;
				break;
			case 5:
				sh[i].sh_offset = ~0ULL - 16;
				break;
			}
		}
		parse_mutant(img, len, target_off);
	}
	memcpy(img, exe, len);
	eh->e_phnum = 0xffff;
	parse_mutant(img, len, target_off);
	memcpy(img, exe, len);
	eh->e_shnum = 0xfff0;
	parse_mutant(img, len, target_off);
	memcpy(img, exe, len);
	eh->e_shoff = len - 10;
	parse_mutant(img, len, target_off);

	/* random: truncations, and byte noise over the headers and tables */
	for (int iter = 0; iter < 300; iter++) {
		size_t n = len;

		memcpy(img, exe, len);
		if (iter % 3 == 0) {
			n = (size_t)rand_r(&seed) % len;
		} else {
			for (int k = 0; k < 16; k++) {
				size_t at = iter % 3 == 1 ?
						    (size_t)rand_r(&seed) % 4096 :
						    eh->e_shoff + (size_t)rand_r(&seed) %
									  (len - eh->e_shoff);

				if (at < len)
					img[at] = (char)rand_r(&seed);
			}
		}
		parse_mutant(img, n, target_off);
	}
	free(img);
	free(exe);
}

/*
 * A non-PIE-like layout, where file offsets and addresses differ: code
 * at file offset 0x1000 loaded at 0x401000, func at 0x401100 (0x40
 * bytes) after a local alias, a size-less asm_fn at 0x401800.
 */
static void test_file_offset_translated_through_pt_load(void **state)
{
	static const char strtab[] = "\0func\0func_alias\0asm_fn\0data_obj";
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		Elf64_Sym sym[5];
		char str[sizeof(strtab)];
		Elf64_Shdr sh[3];
	} img = {
	    .eh =
		{
		    .e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
				EV_CURRENT},
		    .e_type = ET_EXEC,
		    .e_machine = EM_X86_64,
		    .e_version = EV_CURRENT,
		    .e_phoff = offsetof(typeof(img), ph),
		    .e_shoff = offsetof(typeof(img), sh),
		    .e_ehsize = sizeof(Elf64_Ehdr),
		    .e_phentsize = sizeof(Elf64_Phdr),
		    .e_phnum = 1,
		    .e_shentsize = sizeof(Elf64_Shdr),
		    .e_shnum = 3,
		},
	    .ph = {.p_type = PT_LOAD,
		   .p_offset = 0x1000,
		   .p_vaddr = 0x401000,
		   .p_filesz = 0x1000,
		   .p_memsz = 0x1000},
	    .sym =
		{
		    {0},
		    {.st_name = 6,
		     .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC),
		     .st_shndx = 1,
		     .st_value = 0x401100,
		     .st_size = 0x40},
		    {.st_name = 1,
		     .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
		     .st_shndx = 1,
		     .st_value = 0x401100,
		     .st_size = 0x40},
		    {.st_name = 17,
		     .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
		     .st_shndx = 1,
		     .st_value = 0x401800},
		    {.st_name = 24,
		     .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
		     .st_shndx = 1,
		     .st_value = 0x401200,
		     .st_size = 8},
		},
	    .sh =
		{
		    {0},
		    {.sh_type = SHT_SYMTAB,
		     .sh_offset = offsetof(typeof(img), sym),
		     .sh_size = sizeof(img.sym),
		     .sh_link = 2,
		     .sh_entsize = sizeof(Elf64_Sym)},
		    {.sh_type = SHT_STRTAB,
		     .sh_offset = offsetof(typeof(img), str),
		     .sh_size = sizeof(strtab)},
		},
	};
	struct elf_syms *es;
	const char *name;
	__u64 off;

	memcpy(img.str, strtab, sizeof(strtab));
	es = elf_syms_open_mem(&img, sizeof(img), "synthetic");
	assert_non_null(es);
	assert_int_equal(elf_syms_count(es), 3); /* functions only */
	assert_int_equal(elf_syms_find(es, 0x1105, &name, &off), 0);
	assert_string_equal(name, "func");
	assert_int_equal(off, 5);
	/* past func's size, before asm_fn; and data is not a function */
	assert_int_equal(elf_syms_find(es, 0x1140, &name, &off), -ENOENT);
	assert_int_equal(elf_syms_find(es, 0x1200, &name, &off), -ENOENT);
	/* no size: the nearest symbol below */
	assert_int_equal(elf_syms_find(es, 0x1900, &name, &off), 0);
	assert_string_equal(name, "asm_fn");
	assert_int_equal(off, 0x100);
	/* outside every PT_LOAD */
	assert_int_equal(elf_syms_find(es, 0x2000, &name, &off), -ENOENT);
	assert_int_equal(elf_syms_find(es, 0x100, &name, &off), -ENOENT);
	elf_syms_free(es);
}

static void test_corrupt_elf_files_do_not_crash(void **state)
{
	static const char junk[] = "\177ELF\002\001\001 this is not an ELF file at all";
	const char *inputs[] = { junk, "" };
	size_t lens[] = { sizeof(junk), 0 };

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		char *path = write_tmp(inputs[i], lens[i]);
		int fd = open(path, O_RDONLY);

		assert_true(fd >= 0);
		errno = 0;
		assert_null(elf_syms_open_fd(fd, path));
		assert_int_equal(errno, ENOEXEC);
		close(fd);
		unlink(path);
	}
}

static void test_bad_arguments(void **state)
{
	struct coolbpf_syms *syms;

	errno = 0;
	assert_null(coolbpf_syms__new(-1));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(coolbpf_syms__resolve(NULL, 0, buf, sizeof(buf)), -EINVAL);
	syms = coolbpf_syms__new(getpid());
	assert_int_equal(coolbpf_syms__resolve(syms, 0, NULL, 8), -EINVAL);
	coolbpf_syms__free(syms);
	coolbpf_syms__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: its threads race to load the kernel table */
		cmocka_unit_test(test_kernel_table_loaded_once_and_shared),
		cmocka_unit_test(test_kernel_symbol_resolves_with_offset),
		cmocka_unit_test(test_pid0_user_address_is_unknown),
		cmocka_unit_test(test_kallsyms_modules_aliases_and_bounds),
		cmocka_unit_test(test_kallsyms_hidden_addresses_give_eperm),
		cmocka_unit_test(test_own_function_resolves_in_pie),
		cmocka_unit_test(test_libc_function_resolves),
		cmocka_unit_test(test_vdso_function_resolves),
		cmocka_unit_test(test_unmapped_address_is_unknown),
		cmocka_unit_test(test_exited_process_is_a_clean_error),
		cmocka_unit_test(test_process_exiting_after_first_lookup_keeps_resolving),
		cmocka_unit_test(test_deleted_mapped_file_resolves),
		cmocka_unit_test(test_corrupt_mapped_elf_is_unknown),
		cmocka_unit_test(test_file_offset_translated_through_pt_load),
		cmocka_unit_test(test_corrupt_elf_images_do_not_crash),
		cmocka_unit_test(test_corrupt_elf_files_do_not_crash),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
