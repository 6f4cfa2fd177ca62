// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The compile cache: keys, manifests, atomicity, and the real pipeline
 * (clang, bpftool, llvm-objcopy) behind coolbpf_compile_*. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "compile/compile.h"

static char base_dir[PATH_MAX];

static void path_in(char *buf, size_t sz, const char *name)
{
	assert_true((size_t)snprintf(buf, sz, "%s/%s", base_dir, name) < sz);
}

static void put(const char *name, const char *text)
{
	char p[PATH_MAX];

	path_in(p, sizeof(p), name);
	assert_int_equal(write_file_atomic(p, text, strlen(text)), 0);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(base_dir, sizeof(base_dir), "/tmp/coolbpf-test-cache.XXXXXX");
	assert_non_null(mkdtemp(base_dir));
	return 0;
}

static int teardown_dir(void **state)
{
	const char *argv[] = { "rm", "-rf", base_dir, NULL };

	(void)state;
	run_argv(argv, NULL, 0);
	return 0;
}

/* ------------------------------------------------------------------ */

static const char *const defs1[] = { "A=1", NULL };
static const char *const defs2[] = { "A=2", NULL };
static const char *const incs1[] = { "/x", NULL };
static const char *const incs2[] = { "/y", NULL };

static struct cache_inputs base_inputs(void)
{
	struct cache_inputs in = {
		.src_name = "/src/a.bpf.c",
		.src = "int x;",
		.src_len = 6,
		.defines = defs1,
		.include_dirs = incs1,
		.tools_id = "tools",
		.btf_id = "btf1",
		.release = "6.1",
		.arch = "x86_64",
	};
	return in;
}

static void key_of(const struct cache_inputs *in, char out[65])
{
	cache_manifest_key(in, out);
	assert_int_equal(strlen(out), 64);
}

static void test_key_identical_inputs_hit(void **state)
{
	struct cache_inputs a = base_inputs(), b = base_inputs();
	char ka[65], kb[65];

	(void)state;
	b.src = strdup("int x;"); /* same bytes elsewhere */
	key_of(&a, ka);
	key_of(&b, kb);
	assert_string_equal(ka, kb);
	free((void *)b.src);
}

static void test_key_changes_with_every_input(void **state)
{
	struct cache_inputs base = base_inputs(), in;
	char k0[65], k[65];

	(void)state;
	key_of(&base, k0);
#define CHANGED(stmt)                                            \
	do {                                                     \
		in = base;                                       \
		stmt;                                            \
		key_of(&in, k);                                  \
		if (!strcmp(k, k0))                              \
			fail_msg("key unchanged by: %s", #stmt); \
	} while (0)
	CHANGED(in.src = "int y;");
	CHANGED(in.src_len = 5);
	CHANGED(in.src_name = "/src/b.bpf.c");
	CHANGED(in.defines = defs2);
	CHANGED(in.defines = NULL);
	CHANGED(in.include_dirs = incs2);
	CHANGED(in.include_dirs = NULL);
	CHANGED(in.btf_id = "btf2");
	CHANGED(in.tools_id = "tools2");
	CHANGED(in.release = "6.2");
	CHANGED(in.arch = "aarch64");
#undef CHANGED
	/* fields do not run into each other: "A=1","" vs "A=","1" */
	{
		static const char *const d1[] = { "AB", "C", NULL }, *const d2[] = { "A", "BC",
										     NULL };
		char k1[65], k2[65];

		in = base;
		in.defines = d1;
		key_of(&in, k1);
		in.defines = d2;
		key_of(&in, k2);
		assert_string_not_equal(k1, k2);
	}
}

/* ------------------------------------------------------------------ */

static void make_deps(struct strbuf *deps, bool with_kdir)
{
	strbuf_reset(deps);
	strbuf_addf(deps, "obj: %s/src.bpf.c %s/a.h \\\n  %s/b\\ c.h rel.h", base_dir, base_dir,
		    base_dir);
	if (with_kdir)
		strbuf_addf(deps, " \\\n  %s/kdir/vmlinux.h", base_dir);
	strbuf_addch(deps, '\n');
}

static void test_manifest_lists_included_files(void **state)
{
	struct strbuf deps = STRBUF_INIT, man = STRBUF_INIT, want = STRBUF_INIT;
	char src[PATH_MAX], kdir[PATH_MAX], h[65];

	(void)state;
	put("src.bpf.c", "int x;\n");
	put("a.h", "#define A 1\n");
	put("b c.h", "#define B 1\n");
	put("rel.h", "#define R 1\n");
	path_in(src, sizeof(src), "src.bpf.c");
	path_in(kdir, sizeof(kdir), "kdir");
	make_deps(&deps, true);
	/* vmlinux.h under kdir does not even exist: it must be skipped, not hashed */
	assert_int_equal(cache_manifest_from_deps(deps.buf, base_dir, kdir, src, &man), 0);

	sha256_hex("#define A 1\n", 12, h);
	strbuf_addf(&want, "%s %s/a.h\n", h, base_dir);
	sha256_hex("#define B 1\n", 12, h);
	strbuf_addf(&want, "%s %s/b c.h\n", h, base_dir);
	sha256_hex("#define R 1\n", 12, h);
	strbuf_addf(&want, "%s %s/rel.h\n", h, base_dir); /* relative made absolute */
	assert_string_equal(man.buf, want.buf);

	/* a dependency that cannot be read makes no manifest */
	strbuf_reset(&man);
	strbuf_addstr(&deps, " /nonexistent/zz.h\n");
	assert_int_not_equal(cache_manifest_from_deps(deps.buf, base_dir, kdir, src, &man), 0);
	strbuf_release(&deps);
	strbuf_release(&man);
	strbuf_release(&want);
}

/* an #include of a device or of a file past the bound refuses the compile
 * (-EINVAL, -EFBIG); a malformed dependency file is -EBADMSG */
static void test_manifest_refuses_unbounded_includes(void **state)
{
	struct strbuf man = STRBUF_INIT;
	char big[PATH_MAX], deps[PATH_MAX + 32];
	int fd;

	(void)state;
	assert_int_equal(cache_manifest_from_deps("obj: /dev/zero\n", base_dir, NULL, NULL, &man),
			 -EINVAL);
	path_in(big, sizeof(big), "big.h");
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)COMPILE_INPUT_MAX + 1), 0); /* sparse */
	close(fd);
	snprintf(deps, sizeof(deps), "obj: %s\n", big);
	assert_int_equal(cache_manifest_from_deps(deps, base_dir, NULL, NULL, &man), -EFBIG);
	unlink(big);
	assert_int_equal(cache_manifest_from_deps("no rule here", base_dir, NULL, NULL, &man),
			 -EBADMSG);
	strbuf_release(&man);
}

/* a header hashed in 16 KB reads (bpf_helper_defs.h is 171 KB) hashes
 * as its whole bytes do; one byte past the bound is refused */
static void test_file_hash_streams(void **state)
{
	size_t len = 100003;
	char *data = malloc(len + 1), path[PATH_MAX], whole[65], streamed[65];

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('a' + (i * 7 + i / 251) % 26);
	data[len] = '\0';
	put("long.h", data);
	path_in(path, sizeof(path), "long.h");
	sha256_hex(data, len, whole);
	assert_int_equal(sha256_file_max(path, len, streamed), 0);
	assert_string_equal(streamed, whole);
	assert_int_equal(sha256_file_max(path, len - 1, streamed), -EFBIG);
	assert_int_equal(sha256_file_max("/dev/zero", len, streamed), -EINVAL);
	assert_int_equal(sha256_file_max("/nonexistent/zz.h", len, streamed), -ENOENT);
	unlink(path);
	free(data);
}

static void test_lookup_rechecks_included_files(void **state)
{
	struct strbuf deps = STRBUF_INIT, man = STRBUF_INIT;
	char root[PATH_MAX], src[PATH_MAX], a[PATH_MAX], mkey[65] = "", k1[65], k2[65];
	struct cache_inputs in = base_inputs();
	void *obj;
	size_t sz;
	char *log;

	(void)state;
	path_in(root, sizeof(root), "cache-lookup");
	path_in(src, sizeof(src), "src.bpf.c");
	path_in(a, sizeof(a), "a.h");
	put("a.h", "#define A 1\n");
	put("b c.h", "#define B 1\n");
	put("rel.h", "#define R 1\n");
	key_of(&in, mkey);
	make_deps(&deps, false);
	assert_int_equal(cache_manifest_from_deps(deps.buf, base_dir, NULL, src, &man), 0);

	assert_int_equal(cache_lookup(root, mkey, &obj, &sz, &log), -ENOENT);
	assert_int_equal(cache_store(root, mkey, man.buf, "OBJECT", 6, "warning: x\n", 0), 0);
	assert_int_equal(cache_lookup(root, mkey, &obj, &sz, &log), 0);
	assert_int_equal(sz, 6);
	assert_memory_equal(obj, "OBJECT", 6);
	assert_string_equal(log, "warning: x\n");
	free(obj);
	free(log);
	cache_object_key(mkey, man.buf, k1);

	/* an included header changes: miss, and a new object key */
	put("a.h", "#define A 2\n");
	assert_int_equal(cache_lookup(root, mkey, &obj, &sz, &log), -ENOENT);
	strbuf_reset(&man);
	assert_int_equal(cache_manifest_from_deps(deps.buf, base_dir, NULL, src, &man), 0);
	cache_object_key(mkey, man.buf, k2);
	assert_string_not_equal(k1, k2);

	/* back as it was: hit again */
	put("a.h", "#define A 1\n");
	assert_int_equal(cache_lookup(root, mkey, &obj, &sz, &log), 0);
	free(obj);
	free(log);

	/* a header that disappears: miss */
	unlink(a);
	assert_int_equal(cache_lookup(root, mkey, &obj, &sz, &log), -ENOENT);
	put("a.h", "#define A 1\n");

	/* a corrupt manifest: miss, no crash */
	{
		char mp[PATH_MAX];

		assert_true((size_t)snprintf(mp, sizeof(mp), "%s/objects/%.2s/%s.manifest", root,
					     mkey, mkey) < sizeof(mp));
		assert_int_equal(write_file_atomic(mp, "garbage", 7), 0);
		assert_int_equal(cache_lookup(root, mkey, &obj, &sz, &log), -ENOENT);
	}
	strbuf_release(&deps);
	strbuf_release(&man);
}

/* A reader never sees a half-written object while another process
 * rewrites it over and over. */
static void test_store_visible_only_complete(void **state)
{
	enum { SZ = 2 << 20, ROUNDS = 40 };
	char root[PATH_MAX], path[PATH_MAX], okey[65];
	const char *mkey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char *a = malloc(SZ), *b = malloc(SZ);
	int status, seen = 0;
	pid_t pid;

	(void)state;
	memset(a, 'a', SZ);
	memset(b, 'b', SZ);
	path_in(root, sizeof(root), "cache-atomic");
	assert_int_equal(cache_store(root, mkey, "", a, SZ, NULL, 0), 0);
	cache_object_key(mkey, "", okey);
	assert_true((size_t)snprintf(path, sizeof(path), "%s/objects/%.2s/%s.o", root, okey, okey) <
		    sizeof(path));

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < ROUNDS; i++)
			if (cache_store(root, mkey, "", i % 2 ? a : b, SZ, NULL, 0))
				_exit(1);
		_exit(0);
	}
	for (;;) {
		void *data;
		size_t len;

		if (read_file(path, &data, &len) == 0) {
			seen++;
			if (len != SZ || (memcmp(data, a, SZ) && memcmp(data, b, SZ)))
				fail_msg("read a partial object: %zu bytes", len);
			free(data);
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(seen > 0);
	free(a);
	free(b);
}

/* An entry's file in root: objects/<key[0:2]>/<key><ext> */
static void entry_file(char *buf, size_t sz, const char *root, const char *key, const char *ext)
{
	assert_true((size_t)snprintf(buf, sz, "%s/objects/%.2s/%s%s", root, key, key, ext) < sz);
}

static const char *const mkey_a =
	"aa112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char *const mkey_b =
	"bb112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/* Store OBJECT-A under mkey_a, OBJECT-B under mkey_b; okeys out. */
static void store_two(const char *root, char oa[65], char ob[65])
{
	assert_int_equal(cache_store(root, mkey_a, "", "OBJECT-A", 8, NULL, 0), 0);
	assert_int_equal(cache_store(root, mkey_b, "", "OBJECT-B", 8, "warn\n", 0), 0);
	cache_object_key(mkey_a, "", oa);
	cache_object_key(mkey_b, "", ob);
}

static void copy_file(const char *from, const char *to)
{
	void *data;
	size_t len;

	assert_int_equal(read_file(from, &data, &len), 0);
	assert_int_equal(write_file_atomic(to, data, len), 0);
	free(data);
}

/* A damaged or swapped entry is never served: a miss, and it is gone. */
static void test_lookup_refuses_damaged_entries(void **state)
{
	char root[PATH_MAX], oa[65], ob[65], pa[PATH_MAX], pb[PATH_MAX], sa[PATH_MAX], sb[PATH_MAX];
	void *obj;
	size_t sz;
	char *log;

	(void)state;
	path_in(root, sizeof(root), "cache-damaged");
	store_two(root, oa, ob);
	entry_file(pa, sizeof(pa), root, oa, ".o");
	entry_file(pb, sizeof(pb), root, ob, ".o");
	entry_file(sa, sizeof(sa), root, oa, ".sum");
	entry_file(sb, sizeof(sb), root, ob, ".sum");
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), 0);
	assert_memory_equal(obj, "OBJECT-A", 8);
	free(obj);
	free(log);

	/* truncated */
	assert_int_equal(truncate(pa, 4), 0);
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), -ENOENT);
	assert_null(obj);
	assert_int_equal(access(pa, F_OK), -1);

	/* one byte flipped, same size */
	assert_int_equal(cache_store(root, mkey_a, "", "OBJECT-A", 8, NULL, 0), 0);
	assert_int_equal(write_file_atomic(pa, "OBJECT-a", 8), 0);
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), -ENOENT);
	assert_int_equal(access(pa, F_OK), -1);

	/* another valid entry's object swapped in */
	assert_int_equal(cache_store(root, mkey_a, "", "OBJECT-A", 8, NULL, 0), 0);
	copy_file(pb, pa);
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), -ENOENT);

	/* ... with its record too */
	assert_int_equal(cache_store(root, mkey_a, "", "OBJECT-A", 8, NULL, 0), 0);
	copy_file(pb, pa);
	copy_file(sb, sa);
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), -ENOENT);

	/* an entry file writable by others */
	assert_int_equal(cache_store(root, mkey_a, "", "OBJECT-A", 8, NULL, 0), 0);
	assert_int_equal(chmod(pa, 0666), 0);
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), -ENOENT);

	/* a damaged log is as bad as a damaged object */
	assert_int_equal(cache_lookup(root, mkey_b, &obj, &sz, &log), 0);
	assert_string_equal(log, "warn\n");
	free(obj);
	free(log);
	entry_file(pb, sizeof(pb), root, ob, ".log");
	assert_int_equal(write_file_atomic(pb, "WARN\n", 5), 0);
	assert_int_equal(cache_lookup(root, mkey_b, &obj, &sz, &log), -ENOENT);

	/* and what was removed is stored and served again */
	assert_int_equal(cache_store(root, mkey_a, "", "OBJECT-A", 8, NULL, 0), 0);
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), 0);
	assert_memory_equal(obj, "OBJECT-A", 8);
	free(obj);
	free(log);
}

/* A directory of the cache that is not the user's is refused. */
static void test_lookup_refuses_foreign_dirs(void **state)
{
	char root[PATH_MAX], dir[PATH_MAX], oa[65], ob[65];
	void *obj;
	size_t sz;
	char *log;

	(void)state;
	path_in(root, sizeof(root), "cache-foreign");
	store_two(root, oa, ob);
	assert_int_equal(cache_check_root(root), 0);
	assert_true((size_t)snprintf(dir, sizeof(dir), "%s/objects/%.2s", root, mkey_a) <
		    sizeof(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), -EPERM);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(cache_lookup(root, mkey_a, &obj, &sz, &log), 0);
	free(obj);
	free(log);
	assert_int_equal(chmod(root, 0775), 0);
	assert_int_equal(cache_check_root(root), -EPERM);
	assert_int_equal(chmod(root, 0755), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(root, 65534, 65534), 0);
		assert_int_equal(cache_check_root(root), -EPERM);
		assert_int_equal(chown(root, 0, 0), 0);
	}
	assert_int_equal(cache_check_root(root), 0);
}

/* Over its size, the cache loses the entries used least recently. */
static void test_store_evicts_least_recently_used(void **state)
{
	enum { N = 8, SZ = 64 << 10 };
	char root[PATH_MAX], mkeys[N][65], okeys[N][65], path[PATH_MAX];
	char *data = calloc(1, SZ);
	void *obj;
	size_t sz;
	char *log;

	(void)state;
	path_in(root, sizeof(root), "cache-evict");
	for (int i = 0; i < N; i++) {
		struct timespec ts[2] = { { .tv_sec = 1000000 + i }, { .tv_sec = 1000000 + i } };

		memset(mkeys[i], '0', 64);
		mkeys[i][64] = '\0';
		mkeys[i][1] = (char)('0' + i); /* "0<i>000...": its own objects/0<i>/ */
		data[0] = (char)i;
		assert_int_equal(cache_store(root, mkeys[i], "", data, SZ, NULL, 0), 0);
		cache_object_key(mkeys[i], "", okeys[i]);
		/* each stored a second after the one before */
		entry_file(path, sizeof(path), root, okeys[i], ".sum");
		assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
		entry_file(path, sizeof(path), root, mkeys[i], ".manifest");
		assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	}
	/* entry 0, the oldest, is used now: it is the newest */
	assert_int_equal(cache_lookup(root, mkeys[0], &obj, &sz, &log), 0);
	free(obj);
	free(log);
	/* room for about four entries (each ~68 KB on disk, manifest included) */
	cache_evict(root, 4 * (SZ + 8192));
	assert_int_equal(cache_lookup(root, mkeys[0], &obj, &sz, &log), 0);
	free(obj);
	free(log);
	for (int i = 1; i < N; i++) {
		int hit = cache_lookup(root, mkeys[i], &obj, &sz, &log);

		if (hit == 0) {
			free(obj);
			free(log);
		}
		/* 1..4 went first, 5..7 stay */
		if (i <= 4)
			assert_int_equal(hit, -ENOENT);
		else
			assert_int_equal(hit, 0);
	}
	free(data);
}

/* ------------------------------------------------------------------ */
/* The real pipeline                                                   */

static const char prog[] =
	"#include \"lbc.h\"\n"
	"#include \"inc.h\"\n"
	"struct ev { int pid; };\n"
	"LBC_PERF_OUTPUT(e_out, struct ev, 128);\n"
	"SEC(\"tracepoint/sched/sched_process_exec\")\n"
	"int tp(void *ctx)\n"
	"{\n"
	"\tstruct ev e = {};\n"
	"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
	"\te.pid = BPF_CORE_READ(t, tgid) + VAL;\n"
	"\tbpf_perf_event_output(ctx, &e_out, BPF_F_CURRENT_CPU, &e, sizeof(e));\n"
	"\treturn 0;\n"
	"}\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

static bool have_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

/* prog.bpf.c and its inc.h in the test dir; cache dir named cache_name */
static void prepare_prog(const char *cache_name, char cache[PATH_MAX], char src[PATH_MAX])
{
	path_in(cache, PATH_MAX, cache_name);
	path_in(src, PATH_MAX, "prog.bpf.c");
	put("prog.bpf.c", prog);
	put("inc.h", "#define VAL 1\n");
}

static void compile_ok(const char *src, const struct coolbpf_compile_opts *opts,
		       struct coolbpf_compile_result *res)
{
	int err = coolbpf_compile_file(src, opts, res);

	if (err)
		fail_msg("compile failed: %d %s\n%s", err, coolbpf_errmsg(), res->log);
	assert_non_null(res->obj);
	assert_int_equal(strlen(res->sha256), 64);
}

static void test_compile_cache_hits_and_misses(void **state)
{
	char src[PATH_MAX], cache[PATH_MAX];
	static const char *const defs[] = { "EXTRA=1", NULL };
	struct coolbpf_compile_result r1, r2;
	const void *btf;
	const char *rel;
	size_t btf_sz;

	(void)state;
	if (!have_btf())
		skip();
	prepare_prog("cache-real", cache, src);
	COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache);

	compile_ok(src, &opts, &r1);
	assert_false(r1.cached);
	assert_int_equal(coolbpf_artifact__min_btf(r1.obj, r1.obj_sz, &btf, &btf_sz, &rel), 0);
	assert_string_equal(rel, host_kernel_release());
	assert_true(btf_sz > 24); /* header + task_struct's tgid */

	compile_ok(src, &opts, &r2);
	assert_true(r2.cached);
	assert_string_equal(r1.sha256, r2.sha256);
	coolbpf_compile_result__release(&r2);

	/* no_cache: compiled again, same bytes */
	opts.no_cache = true;
	compile_ok(src, &opts, &r2);
	assert_false(r2.cached);
	assert_string_equal(r1.sha256, r2.sha256);
	coolbpf_compile_result__release(&r2);
	opts.no_cache = false;

	/* an included header's content changes */
	put("inc.h", "#define VAL 2\n");
	compile_ok(src, &opts, &r2);
	assert_false(r2.cached);
	assert_string_not_equal(r1.sha256, r2.sha256);
	coolbpf_compile_result__release(&r2);

	/* a define */
	opts.defines = defs;
	compile_ok(src, &opts, &r2);
	assert_false(r2.cached);
	coolbpf_compile_result__release(&r2);
	compile_ok(src, &opts, &r2);
	assert_true(r2.cached);
	coolbpf_compile_result__release(&r2);
	opts.defines = NULL;

	/* the source (a comment only: a different key all the same) */
	{
		char *edited = malloc(sizeof(prog) + 16);

		snprintf(edited, sizeof(prog) + 16, "%s/* edit */\n", prog);
		put("prog.bpf.c", edited);
		free(edited);
		compile_ok(src, &opts, &r2);
		assert_false(r2.cached);
		coolbpf_compile_result__release(&r2);
		put("prog.bpf.c", prog);
	}
	coolbpf_compile_result__release(&r1);
}

static void test_compile_btf_identity_in_key(void **state)
{
	char src[PATH_MAX], cache[PATH_MAX], btf_copy[PATH_MAX];
	struct coolbpf_compile_result r1, r2;
	void *data;
	size_t len;

	(void)state;
	if (!have_btf())
		skip();
	prepare_prog("cache-btf", cache, src);
	path_in(btf_copy, sizeof(btf_copy), "copy.btf");
	assert_int_equal(read_file("/sys/kernel/btf/vmlinux", &data, &len), 0);
	assert_int_equal(write_file_atomic(btf_copy, data, len), 0);
	free(data);

	COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache);
	compile_ok(src, &opts, &r1);
	/* same BTF bytes through another path: identified by content, a
	 * different identity from the running kernel's cheap one */
	opts.btf_path = btf_copy;
	compile_ok(src, &opts, &r2);
	assert_false(r2.cached);
	coolbpf_compile_result__release(&r2);
	compile_ok(src, &opts, &r2);
	assert_true(r2.cached);
	coolbpf_compile_result__release(&r2);
	coolbpf_compile_result__release(&r1);
}

static void test_compile_buf_diagnostics_name_the_file(void **state)
{
	static const char bad[] = "#include \"lbc.h\"\nint f(void) { return nope; }\n";
	struct coolbpf_compile_result r;
	char cache[PATH_MAX];

	(void)state;
	if (!have_btf())
		skip();
	path_in(cache, sizeof(cache), "cache-real");
	COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache);
	assert_int_equal(coolbpf_compile_buf("mine.bpf.c", bad, strlen(bad), &opts, &r), -EINVAL);
	assert_non_null(r.log);
	if (!strstr(r.log, "mine.bpf.c:2:22: error") || strstr(r.log, "/tmp/"))
		fail_msg("diagnostics do not name mine.bpf.c as given:\n%s", r.log);
	coolbpf_compile_result__release(&r);
	coolbpf_compile_result__release(NULL);
}

static void test_compile_buf_deterministic(void **state)
{
	static const char src[] = "#include \"lbc.h\"\n"
				  "SEC(\"tracepoint/sched/sched_process_exec\")\n"
				  "int tp(void *ctx) { return 0; }\n"
				  "char LICENSE[] SEC(\"license\") = \"GPL\";\n";
	struct coolbpf_compile_result r1, r2;
	char cache[PATH_MAX];

	(void)state;
	if (!have_btf())
		skip();
	path_in(cache, sizeof(cache), "cache-real");
	COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache, .no_cache = true);
	/* private temp dirs differ; the objects must not */
	assert_int_equal(coolbpf_compile_buf("b.bpf.c", src, strlen(src), &opts, &r1), 0);
	assert_int_equal(coolbpf_compile_buf("b.bpf.c", src, strlen(src), &opts, &r2), 0);
	assert_string_equal(r1.sha256, r2.sha256);
	coolbpf_compile_result__release(&r1);
	coolbpf_compile_result__release(&r2);
}

/* N processes compile the same file into an empty cache (PCH included):
 * all succeed with identical objects. */
static void test_concurrent_compiles_into_empty_cache(void **state)
{
	enum { N = 6 };
	char src[PATH_MAX], cache[PATH_MAX];
	int fds[N][2];
	pid_t pids[N];
	char sha[N][65];

	(void)state;
	if (!have_btf())
		skip();
	prepare_prog("cache-concurrent", cache, src);
	for (int i = 0; i < N; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache);
			struct coolbpf_compile_result r;
			int err = coolbpf_compile_file(src, &opts, &r);

			if (!err && write(fds[i][1], r.sha256, 64) != 64)
				err = -EIO;
			_exit(err ? 1 : 0);
		}
		close(fds[i][1]);
	}
	for (int i = 0; i < N; i++) {
		int status;

		memset(sha[i], 0, sizeof(sha[i]));
		assert_int_equal(read(fds[i][0], sha[i], 64), 64);
		close(fds[i][0]);
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_string_equal(sha[i], sha[0]);
	}
	/* and the cache then serves it */
	{
		COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache);
		struct coolbpf_compile_result r;

		compile_ok(src, &opts, &r);
		assert_true(r.cached);
		assert_string_equal(r.sha256, sha[0]);
		coolbpf_compile_result__release(&r);
	}
}

/* ------------------------------------------------------------------ */

static void test_min_btf_rejects_corrupt_input(void **state)
{
	char src[PATH_MAX], cache[PATH_MAX];
	struct coolbpf_compile_result r;
	const void *btf;
	const char *rel;
	size_t sz;
	unsigned char *copy;

	(void)state;
	assert_int_equal(coolbpf_artifact__min_btf("not an elf", 10, &btf, &sz, &rel), -EINVAL);
	assert_int_equal(coolbpf_artifact__min_btf(NULL, 0, &btf, &sz, &rel), -EINVAL);
	if (!have_btf())
		skip();
	prepare_prog("cache-real", cache, src);
	COOLBPF_COMPILE_OPTS(opts, .cache_dir = cache);
	compile_ok(src, &opts, &r);

	/* every truncation: an error or a result inside the bytes given */
	for (size_t len = 0; len < r.obj_sz; len += len < 128 ? 1 : 61) {
		copy = malloc(len ? len : 1);
		memcpy(copy, r.obj, len);
		if (coolbpf_artifact__min_btf(copy, len, &btf, &sz, &rel) == 0)
			assert_true((const unsigned char *)btf + sz <= copy + len);
		free(copy);
	}
	/* random corruption of headers and section table */
	srand(1);
	copy = malloc(r.obj_sz);
	for (int i = 0; i < 2000; i++) {
		memcpy(copy, r.obj, r.obj_sz);
		for (int j = 0; j < 4; j++) {
			size_t off = (size_t)rand() % r.obj_sz;

			if (j < 2 && i % 2)
				off = (size_t)rand() % 64; /* ELF header */
			copy[off] = (unsigned char)rand();
		}
		if (coolbpf_artifact__min_btf(copy, r.obj_sz, &btf, &sz, &rel) == 0) {
			assert_true((const unsigned char *)btf + sz <= copy + r.obj_sz);
			assert_true(memchr(rel, '\0',
					   (size_t)(copy + r.obj_sz - (const unsigned char *)rel)));
		}
	}
	free(copy);
	coolbpf_compile_result__release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_identical_inputs_hit),
		cmocka_unit_test(test_key_changes_with_every_input),
		cmocka_unit_test(test_manifest_lists_included_files),
		cmocka_unit_test(test_manifest_refuses_unbounded_includes),
		cmocka_unit_test(test_file_hash_streams),
		cmocka_unit_test(test_lookup_rechecks_included_files),
		cmocka_unit_test(test_store_visible_only_complete),
		cmocka_unit_test(test_lookup_refuses_damaged_entries),
		cmocka_unit_test(test_lookup_refuses_foreign_dirs),
		cmocka_unit_test(test_store_evicts_least_recently_used),
		cmocka_unit_test(test_compile_cache_hits_and_misses),
		cmocka_unit_test(test_compile_btf_identity_in_key),
		cmocka_unit_test(test_compile_buf_diagnostics_name_the_file),
		cmocka_unit_test(test_compile_buf_deterministic),
		cmocka_unit_test(test_concurrent_compiles_into_empty_cache),
		cmocka_unit_test(test_min_btf_rejects_corrupt_input),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
