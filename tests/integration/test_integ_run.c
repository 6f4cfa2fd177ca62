// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Integration tests on the running kernel: real programs are compiled,
 * loaded and attached; the test triggers real events (exec, open, sched,
 * fork) and checks the decoded values against what it did.
 * Run from the repository root, as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "coolbpf/coolbpf.h"
#include "base/banned.h"

/* mirrors examples/execsnoop.bpf.c */
struct exec_event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	char comm[16];
	char filename[256];
};

struct capture {
	int want_pid;
	bool seen;
	struct exec_event exec;
	char json[2048];
	char text[2048];
	char needle[256];
	int lines;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t spawn(const char *path, const char *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st;

	waitpid(pid, &st, 0);
}

/* count BPF programs in the kernel */
static int nr_progs(void)
{
	__u32 id = 0;
	int n = 0;

	while (bpf_prog_get_next_id(id, &id) == 0)
		n++;
	return n;
}

/* What a program's entry point gives the library: the environment
 * (run-all points COOLBPF_CACHE_DIR at the build's own cache). */
static struct coolbpf_compile_opts env_compile = { .sz = sizeof(env_compile) };

static struct coolbpf_object *open_load_attach(const char *path)
{
	COOLBPF_OBJECT_OPTS(oo, .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_file(path, &oo);

	if (!obj)
		fail_msg("open %s: %s", path, coolbpf_errmsg());
	if (coolbpf_object__load(obj))
		fail_msg("load %s: %s", path, coolbpf_errmsg());
	if (coolbpf_object__attach(obj))
		fail_msg("attach %s: %s", path, coolbpf_errmsg());
	return obj;
}

static void poll_until(struct coolbpf_object *obj, bool *flag, double seconds)
{
	double end = now() + seconds;

	while (!*flag && now() < end)
		coolbpf_object__poll(obj, 100);
}

static int on_exec(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	struct capture *c = ctx;
	const struct exec_event *e = data;

	if (size < sizeof(*e) || (int)e->pid != c->want_pid)
		return 0;
	c->exec = *e;
	coolbpf_map__decode_event(map, data, size, COOLBPF_FMT_JSON, c->json, sizeof(c->json));
	coolbpf_map__decode_event(map, data, size, COOLBPF_FMT_TEXT, c->text, sizeof(c->text));
	c->seen = true;
	return 0;
}

static void test_execsnoop_reports_exec_of_child(void **state)
{
	struct coolbpf_object *obj = open_load_attach("examples/execsnoop.bpf.c");
	struct capture c = {};
	char want[512];
	pid_t pid;

	(void)state;
	COOLBPF_EVENTS_OPTS(eo, .on_event = on_exec, .ctx = &c);
	assert_int_equal(coolbpf_object__open_events(obj, &eo), 0);
	pid = spawn("/bin/true", NULL);
	c.want_pid = pid;
	poll_until(obj, &c.seen, 5);
	reap(pid);
	assert_true(c.seen);
	assert_int_equal(c.exec.ppid, getpid());
	assert_string_equal(c.exec.comm, "true");
	assert_string_equal(c.exec.filename, "/bin/true");
	snprintf(want, sizeof(want),
		 "{\"pid\": %d, \"ppid\": %d, \"uid\": 0, \"comm\": \"true\", \"filename\": "
		 "\"/bin/true\"}",
		 pid, getpid());
	assert_string_equal(c.json, want);
	snprintf(want, sizeof(want), "pid=%d ppid=%d uid=0 comm=true filename=/bin/true", pid,
		 getpid());
	assert_string_equal(c.text, want);
	coolbpf_object__close(obj);
}

/* mirrors examples/opensnoop.bpf.c */
struct open_event {
	__u32 pid;
	__u32 uid;
	__s32 ret;
	__s32 flags;
	char comm[16];
	char fname[256];
};

struct open_capture {
	char path[128];
	struct open_event e;
	bool seen;
};

static int on_open(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	struct open_capture *c = ctx;
	const struct open_event *e = data;

	(void)map;
	if (size >= sizeof(*e) && !strcmp(e->fname, c->path)) {
		c->e = *e;
		c->seen = true;
	}
	return 0;
}

static void test_opensnoop_reports_path_flags_and_fd(void **state)
{
	struct coolbpf_object *obj = open_load_attach("examples/opensnoop.bpf.c");
	struct open_capture c = {};
	int fd;

	(void)state;
	snprintf(c.path, sizeof(c.path), "/tmp/coolbpf-open-%d-%ld", getpid(), (long)time(NULL));
	COOLBPF_EVENTS_OPTS(eo, .on_event = on_open, .ctx = &c);
	assert_int_equal(coolbpf_object__open_events(obj, &eo), 0);
	fd = open(c.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	poll_until(obj, &c.seen, 5);
	close(fd);
	unlink(c.path);
	assert_true(c.seen);
	assert_int_equal(c.e.pid, getpid());
	assert_int_equal(c.e.ret, fd);
	assert_int_equal(c.e.flags & (O_CREAT | O_WRONLY), O_CREAT | O_WRONLY);
	coolbpf_object__close(obj);
}

static void test_runqlat_histogram_counts_context_switches(void **state)
{
	struct coolbpf_object *obj = open_load_attach("examples/runqlat.bpf.c");
	struct coolbpf_map *hist = coolbpf_object__map(obj, "runq_usecs");
	__u64 total = 0, v;

	(void)state;
	assert_non_null(hist);
	assert_int_equal(coolbpf_map__kind(hist), COOLBPF_MAP_HIST2);
	for (int i = 0; i < 50; i++)
		usleep(1000); /* each sleep is a wakeup and a switch */
	for (__u32 k = 0; k < 64; k++) {
		assert_int_equal(coolbpf_map__lookup(hist, &k, &v), 0);
		total += v;
	}
	assert_true(total >= 50);
	coolbpf_object__close(obj);
}

/* VmRSS or VmHWM (kB) of this process */
static long status_kb(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, strlen(field)))
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	}
	fclose(f);
	return kb;
}

/* tp_btf programs load as BTF-typed tracing programs (not raw_tp), on the
 * type id read from /sys/kernel/btf in one pass: the load does not hold
 * the kernel's BTF (libbpf's own parse and copy of it: +11 MB here) */
static void test_tp_btf_loads_typed_without_holding_the_kernel_btf(void **state)
{
	COOLBPF_OBJECT_OPTS(oo, .compile = &env_compile);
	struct coolbpf_object *obj;
	struct bpf_program *prog;
	long rss, hwm;
	FILE *f;
	int n = 0;

	(void)state;
	f = fopen("/proc/self/clear_refs", "w"); /* "5": the peak back to what is resident */
	assert_non_null(f);
	fputs("5", f);
	fclose(f);
	rss = status_kb("VmRSS");
	obj = coolbpf_object__open_file("examples/runqlat.bpf.c", &oo);
	assert_non_null(obj);
	assert_int_equal(coolbpf_object__load(obj), 0);
	assert_int_equal(coolbpf_object__attach(obj), 0);
	hwm = status_kb("VmHWM");
	bpf_object__for_each_program(prog, coolbpf_object__bpf(obj)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len), 0);
		assert_int_equal(info.type, BPF_PROG_TYPE_TRACING);
		n++;
	}
	assert_int_equal(n, 3);
	for (size_t i = 0; i < coolbpf_object__attach_count(obj); i++)
		assert_string_equal(coolbpf_object__attach_info(obj, i)->kind, "tp_btf");
	print_message("runqlat: open, load and attach: peak %ld kB over the %ld kB before\n",
		      hwm - rss, rss);
	if (hwm - rss >= 4096)
		fail_msg("open, load and attach of runqlat raised the peak by %ld kB (from %ld): "
			 "is the kernel's BTF parsed whole again?",
			 hwm - rss, rss);
	coolbpf_object__close(obj);
}

/* another libbpf object's tp_btf program, in a process where libcoolbpf's
 * section handler serves tp_btf: loads, auto-attaches, fires */
static void test_tp_btf_of_a_plain_libbpf_object_through_the_handler(void **state)
{
	static const char src[] = "#include \"lbc.h\"\n"
				  "__u64 switches;\n"
				  "SEC(\"tp_btf/sched_switch\")\n"
				  "int BPF_PROG(sw, bool preempt, struct task_struct *prev,\n"
				  "             struct task_struct *next)\n"
				  "{ __sync_fetch_and_add(&switches, 1); return 0; }\n"
				  "char LICENSE[] SEC(\"license\") = \"GPL\";\n";
	COOLBPF_OBJECT_OPTS(oo, .compile = &env_compile);
	struct coolbpf_compile_result res = {};
	struct coolbpf_object *mine;
	struct bpf_object *theirs;
	struct bpf_program *prog;
	struct bpf_link *link;
	struct bpf_map *bss;
	__u64 count = 0;
	__u32 zero = 0;
	char *val;

	(void)state;
	/* one coolbpf object opened: its handler is the process's */
	mine = coolbpf_object__open_file("examples/runqlat.bpf.c", &oo);
	assert_non_null(mine);
	assert_int_equal(
		coolbpf_compile_buf("plain.bpf.c", src, sizeof(src) - 1, &env_compile, &res), 0);
	theirs = bpf_object__open_mem(res.obj, res.obj_sz, NULL);
	assert_non_null(theirs);
	assert_int_equal(bpf_object__load(theirs), 0);
	prog = bpf_object__find_program_by_name(theirs, "sw");
	assert_non_null(prog);
	assert_int_equal(bpf_program__type(prog), BPF_PROG_TYPE_TRACING);
	link = bpf_program__attach(prog);
	assert_non_null(link);
	for (int i = 0; i < 20; i++)
		usleep(1000);
	bpf_object__for_each_map(bss, theirs) {
		const char *name = bpf_map__name(bss);

		if (strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ".bss"))
			break;
	}
	assert_non_null(bss);
	val = calloc(1, bpf_map__value_size(bss));
	assert_non_null(val);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(bss), &zero, val), 0);
	memcpy(&count, val, sizeof(count));
	assert_true(count >= 20);
	free(val);
	bpf_link__destroy(link);
	bpf_object__close(theirs);
	coolbpf_compile_result__release(&res);
	coolbpf_object__close(mine);
}

struct stack_key {
	__u32 pid;
	__s32 kstack;
	char comm[16];
};

static void test_stackcount_stacks_symbolize_to_scheduler(void **state)
{
	struct coolbpf_object *obj = open_load_attach("examples/stackcount.bpf.c");
	struct coolbpf_map *counts = coolbpf_object__map(obj, "counts");
	struct coolbpf_map *stacks = coolbpf_object__map(obj, "stacks");
	struct coolbpf_syms *syms = coolbpf_syms__new(0);
	struct stack_key key, *prev = NULL;
	__u64 ips[127], n;
	char sym[256];
	bool found = false;

	(void)state;
	assert_int_equal(coolbpf_map__kind(stacks), COOLBPF_MAP_STACK);
	for (int i = 0; i < 20; i++)
		usleep(1000);
	coolbpf_object__detach(obj);
	while (!found && coolbpf_map__next_key(counts, prev, &key) == 0) {
		prev = &key;
		if ((pid_t)key.pid != getpid() || key.kstack < 0)
			continue;
		assert_int_equal(coolbpf_map__lookup(counts, &key, &n), 0);
		assert_true(n >= 1);
		assert_int_equal(coolbpf_map__lookup(stacks, &key.kstack, ips), 0);
		for (int i = 0; i < 127 && ips[i] && !found; i++) {
			assert_int_equal(coolbpf_syms__resolve(syms, ips[i], sym, sizeof(sym)), 0);
			found = strstr(sym, "schedule") != NULL;
		}
	}
	assert_true(found);
	coolbpf_syms__free(syms);
	coolbpf_object__close(obj);
}

static void on_trace(void *ctx, const char *line)
{
	struct capture *c = ctx;

	c->lines++;
	if (strstr(line, c->needle)) {
		snprintf(c->text, sizeof(c->text), "%s", line);
		c->seen = true;
	}
}

static void test_printk_lines_are_streamed(void **state)
{
	struct coolbpf_object *obj = open_load_attach("examples/hello_tp.bpf.c");
	struct capture c = {};
	pid_t pid;

	(void)state;
	assert_int_equal(coolbpf_object__open_trace(obj, on_trace, &c), 0);
	assert_true(coolbpf_object__events_fd(obj) >= 0);
	pid = spawn("/bin/true", NULL);
	snprintf(c.needle, sizeof(c.needle), "hello coolbpf, parent: %d child: %d", getpid(), pid);
	poll_until(obj, &c.seen, 5);
	reap(pid);
	assert_true(c.seen);
	coolbpf_object__close(obj);
}

static void test_kprobe_without_kernel_support_names_it_and_suggests_tracepoint(void **state)
{
	COOLBPF_OBJECT_OPTS(oo, .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_file("examples/hello.bpf.c", &oo);
	int before = nr_progs();

	(void)state;
	if (access("/sys/bus/event_source/devices/kprobe", F_OK) == 0)
		skip(); /* this kernel has kprobes: covered by the VM tests */
	assert_non_null(obj);
	assert_int_equal(coolbpf_object__load(obj), -EOPNOTSUPP);
	assert_non_null(strstr(coolbpf_errmsg(), "no kprobe support"));
	assert_non_null(strstr(coolbpf_errmsg(), "SEC(\"tp/sched/"));
	assert_int_equal(nr_progs(), before);
	coolbpf_object__close(obj);
}

static void test_verifier_rejection_shows_source_line(void **state)
{
	static const char src[] = "#include \"lbc.h\"\n"
				  "SEC(\"tp/sched/sched_process_exec\")\n"
				  "int bad(void *ctx)\n"
				  "{\n"
				  "\tint *p = (int *)0x1234;\n"
				  "\treturn *p + 1;\n"
				  "}\n"
				  "char LICENSE[] SEC(\"license\") = \"GPL\";\n";
	COOLBPF_OBJECT_OPTS(oo, .name = "verif", .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_source(src, sizeof(src) - 1, &oo);

	(void)state;
	assert_non_null(obj);
	assert_int_not_equal(coolbpf_object__load(obj), 0);
	assert_non_null(strstr(coolbpf_errmsg(), "verifier rejected program 'bad'"));
	assert_non_null(strstr(coolbpf_errmsg(), "verif.bpf.c:6: return *p + 1;"));
	assert_non_null(strstr(coolbpf_errmsg(), "error: "));
	coolbpf_object__close(obj);
}

static void test_close_leaves_no_program_in_kernel(void **state)
{
	int before = nr_progs();
	struct coolbpf_object *obj = open_load_attach("examples/opensnoop.bpf.c");

	(void)state;
	assert_int_equal(nr_progs(), before + 2);
	coolbpf_object__close(obj);
	assert_int_equal(nr_progs(), before);
}

static void test_missing_tracepoint_fails_attach_and_detaches_all(void **state)
{
	static const char src[] =
		"#include \"lbc.h\"\n"
		"SEC(\"tp/sched/sched_process_exec\") int ok(void *ctx) { return 0; }\n"
		"SEC(\"tp/sched/no_such_event\") int missing(void *ctx) { return 0; }\n"
		"char LICENSE[] SEC(\"license\") = \"GPL\";\n";
	COOLBPF_OBJECT_OPTS(oo, .name = "missingtp", .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_source(src, sizeof(src) - 1, &oo);
	const struct coolbpf_attach_info *ai;

	(void)state;
	assert_non_null(obj);
	assert_int_equal(coolbpf_object__load(obj), 0);
	assert_int_equal(coolbpf_object__attach(obj), -ENOENT);
	assert_int_equal(coolbpf_object__attach_count(obj), 2);
	ai = coolbpf_object__attach_info(obj, 1);
	assert_string_equal(ai->prog, "missing");
	assert_int_equal(ai->err, -ENOENT);
	assert_non_null(strstr(ai->note, "tracepoint 'sched:no_such_event' does not exist"));
	coolbpf_object__close(obj);
}

static void test_optional_programs_are_left_out_with_a_reason(void **state)
{
	static const char src[] =
		"#include \"lbc.h\"\n"
		"SEC(\"tp/sched/sched_process_exec\") int ok(void *ctx) { return 0; }\n"
		"SEC(\"tp/sched/no_such_event\") int missing(void *ctx) { return 0; }\n"
		"SEC(\"kprobe/do_nanosleep\") int kp(void *ctx) { return 0; }\n"
		"char LICENSE[] SEC(\"license\") = \"GPL\";\n";
	COOLBPF_OBJECT_OPTS(oo, .name = "optional", .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_source(src, sizeof(src) - 1, &oo);
	bool kprobes = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;
	const struct coolbpf_attach_info *ai;
	int before = nr_progs(), seen = 0;

	(void)state;
	assert_non_null(obj);
	assert_int_equal(coolbpf_object__set_optional(obj, "nope", true), -ENOENT);
	assert_int_equal(coolbpf_object__set_optional(obj, "missing", true), 0);
	assert_int_equal(coolbpf_object__set_optional(obj, "kp", true), 0);
	assert_int_equal(coolbpf_object__load(obj), 0);
	assert_int_equal(coolbpf_object__set_optional(obj, "ok", true), -EBUSY);
	assert_int_equal(coolbpf_object__attach(obj), 0);
	assert_int_equal(coolbpf_object__attach_count(obj), 3);
	for (size_t i = 0; i < 3; i++) {
		ai = coolbpf_object__attach_info(obj, i);
		if (!strcmp(ai->prog, "ok")) {
			assert_int_equal(ai->err, 0);
			seen |= 1;
		} else if (!strcmp(ai->prog, "missing")) {
			assert_int_equal(ai->err, -ENOENT);
			assert_non_null(strstr(ai->note, "'sched:no_such_event' does not exist"));
			seen |= 2;
		} else if (!strcmp(ai->prog, "kp")) {
			if (kprobes) {
				assert_int_equal(ai->err, 0);
			} else {
				/* left out before anything reached the kernel */
				assert_int_equal(ai->err, -EOPNOTSUPP);
				assert_string_equal(ai->kind, "none");
				assert_non_null(strstr(ai->note, "no kprobe support"));
			}
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	/* the left-out kprobe was never loaded; the missing tracepoint's was */
	assert_int_equal(nr_progs(), before + (kprobes ? 3 : 2));
	coolbpf_object__close(obj);
	assert_int_equal(nr_progs(), before);
}

static int count_events(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_ringbuf_overflow_is_counted_as_lost(void **state)
{
	static const char src[] = "#include \"lbc.h\"\n"
				  "struct big { char b[1024]; };\n"
				  "LBC_RINGBUF(rb, struct big, 4096);\n"
				  "SEC(\"tp/syscalls/sys_enter_getpgid\")\n"
				  "int fill(struct trace_event_raw_sys_enter *ctx)\n"
				  "{\n"
				  "\tstruct big *e;\n"
				  "\tif (ctx->args[0] != 0x5eed)\n"
				  "\t\treturn 0;\n"
				  "\te = lbc_ringbuf_reserve(rb, sizeof(*e));\n"
				  "\tif (e)\n"
				  "\t\tbpf_ringbuf_submit(e, 0);\n"
				  "\treturn 0;\n"
				  "}\n"
				  "char LICENSE[] SEC(\"license\") = \"GPL\";\n";
	COOLBPF_OBJECT_OPTS(oo, .name = "overflow", .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_source(src, sizeof(src) - 1, &oo);
	struct coolbpf_map *rb;
	int got = 0;

	(void)state;
	assert_non_null(obj);
	assert_int_equal(coolbpf_object__load(obj), 0);
	assert_int_equal(coolbpf_object__attach(obj), 0);
	COOLBPF_EVENTS_OPTS(eo, .on_event = count_events, .ctx = &got);
	assert_int_equal(coolbpf_object__open_events(obj, &eo), 0);
	for (int i = 0; i < 20; i++)
		getpgid(0x5eed); /* nobody consumes meanwhile: the 4 KB ring fills */
	coolbpf_object__consume(obj);
	rb = coolbpf_object__map(obj, "rb");
	/* 1024-byte records plus an 8-byte header: three fit in 4096 bytes */
	assert_int_equal(got, 3);
	assert_int_equal(coolbpf_map__lost(rb), 17);
	assert_int_equal(coolbpf_object__lost_events(obj), 17);
	coolbpf_object__close(obj);
}

struct seq_check {
	long got;
	long out_of_order; /* records not one after the last: read twice or garbage */
	__u64 next;
};

static int check_seq(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	struct seq_check *c = ctx;
	__u64 seq;

	(void)map;
	memcpy(&seq, data, sizeof(seq));
	if (size != 64 || seq < c->next)
		c->out_of_order++;
	c->next = seq + 1;
	c->got++;
	return 0;
}

static void wait_dropped_settle(struct coolbpf_map *m)
{
	double end = now() + 10;
	__u64 last = UINT64_MAX;

	while (now() < end) {
		__u64 d = coolbpf_map__dropped(m);

		if (d && d == last)
			return;
		last = d;
		usleep(200 * 1000);
	}
}

/*
 * Wait (10 s at most) until the drain thread has taken every record out
 * of ring buffer map m: its consumer position (the ring's first page)
 * reaches the producer's (the second, read-only).
 */
static void wait_ring_drained(struct coolbpf_map *m)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd = coolbpf_map__fd(m);
	volatile __u64 *cons = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	volatile __u64 *prod = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, pg);
	double end = now() + 10;

	assert_true(cons != MAP_FAILED && prod != MAP_FAILED);
	while (*cons != *prod && now() < end)
		usleep(10 * 1000);
	assert_true(*cons == *prod);
	munmap((void *)cons, pg);
	munmap((void *)prod, pg);
}

/*
 * The drain thread's queue starts over at its beginning when it is empty
 * past 1 MB, leaving a wrap mark where it was. Filled again before the
 * consumer read that mark, it must drop rather than write over it (it
 * once did: the consumer then read records out of order, some twice).
 */
static void test_queue_full_after_start_over_drops_in_order(void **state)
{
	struct coolbpf_object *obj = open_load_attach("tests/data/startover.bpf.c");
	struct seq_check c = { 0 };
	struct coolbpf_map *rb;
	double end;
	long first;

	(void)state;
	COOLBPF_EVENTS_OPTS(eo, .on_event = check_seq, .ctx = &c, .queue_size = 2 << 20);
	assert_int_equal(coolbpf_object__open_events(obj, &eo), 0);
	rb = coolbpf_object__map(obj, "rb");
	/* 15000 records of 64 + 8 bytes: the queue, read as they come, is
	 * empty 1,080,000 bytes in, past the start-over mark */
	for (int i = 0; i < 15000; i++)
		getpgid(0x5eee);
	/* all of them queued before any is read: read while the drain thread
	 * still copies (a loaded machine), the queue could run empty, and
	 * start over, before the 1,080,000 bytes (CI saw it once) */
	wait_ring_drained(rb);
	for (end = now() + 10; c.got < 15000 && now() < end;)
		coolbpf_object__poll(obj, 100);
	assert_int_equal(c.got, 15000);
	/* nobody reads now: the next record starts over at 0, and only what
	 * fits before the mark may be queued (15000), the rest dropped */
	for (int i = 0; i < 30000; i++)
		getpgid(0x5eee);
	wait_dropped_settle(rb);
	first = c.got;
	for (end = now() + 10; now() < end;) {
		long before = c.got;

		coolbpf_object__poll(obj, 300);
		if (c.got == before && c.got + (long)coolbpf_map__dropped(rb) >= 45000)
			break;
	}
	assert_int_equal(c.out_of_order, 0);
	assert_int_equal(coolbpf_map__lost(rb), 0);
	assert_int_equal(c.got - first + (long)coolbpf_map__dropped(rb), 30000);
	assert_int_equal(coolbpf_map__dropped(rb), 15000);
	coolbpf_object__close(obj);
}

/* mirrors the start of tests/data/params.bpf.c's struct ev */
struct params_event {
	int pid;
	int target_pid;
	unsigned char small;
};

static int on_params(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	struct capture *c = ctx;
	const struct params_event *e = data;

	(void)map;
	if (size < sizeof(*e) || e->pid != c->want_pid)
		return 0;
	c->exec.pid = (__u32)e->target_pid;
	c->exec.uid = e->small;
	c->seen = true;
	return 0;
}

static void test_set_global_reaches_the_kernel_and_errors_say_why(void **state)
{
	COOLBPF_OBJECT_OPTS(oo, .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_file("tests/data/params.bpf.c", &oo);
	const struct coolbpf_global_info *g = NULL;
	struct capture c = { .want_pid = getpid() };
	size_t i;

	(void)state;
	assert_non_null(obj);
	for (i = 0; i < coolbpf_object__global_count(obj); i++) {
		g = coolbpf_object__global_info(obj, i);
		if (!strcmp(g->name, "target_pid"))
			break;
	}
	assert_true(i < coolbpf_object__global_count(obj));
	assert_string_equal(g->section, ".rodata");
	assert_string_equal(g->type, "int");
	assert_true(g->settable);
	assert_int_equal(*(const int *)g->value, -1); /* the compiled default */
	assert_null(coolbpf_object__global_info(obj, coolbpf_object__global_count(obj)));

	assert_int_equal(coolbpf_object__set_global(obj, "small", "300"), -ERANGE);
	assert_non_null(strstr(coolbpf_errmsg(), "300 is out of range [0, 255]"));
	assert_int_equal(coolbpf_object__set_global(obj, "nope", "1"), -ENOENT);
	assert_non_null(strstr(coolbpf_errmsg(), "settable: target_pid (int), small"));
	assert_int_equal(coolbpf_object__set_global(obj, "pair", "1"), -ENOTSUP);
	assert_int_equal(coolbpf_object__set_global(obj, "target_pid", "0x7fffffff"), 0);
	assert_int_equal(coolbpf_object__set_global(obj, "target_pid", "-0x10"), 0);
	assert_int_equal(*(const int *)g->value, -16);
	assert_int_equal(coolbpf_object__set_global(obj, "small", "200"), 0);

	assert_int_equal(coolbpf_object__load(obj), 0);
	assert_int_equal(coolbpf_object__set_global(obj, "small", "1"), -EBUSY);
	assert_int_equal(coolbpf_object__attach(obj), 0);
	COOLBPF_EVENTS_OPTS(eo, .on_event = on_params, .ctx = &c);
	assert_int_equal(coolbpf_object__open_events(obj, &eo), 0);
	getppid();
	poll_until(obj, &c.seen, 5);
	assert_true(c.seen);
	assert_int_equal((int)c.exec.pid, -16);
	assert_int_equal(c.exec.uid, 200);
	coolbpf_object__close(obj);
}

static void test_map_clear_and_time_stamped_format(void **state)
{
	COOLBPF_OBJECT_OPTS(oo, .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_file("tests/data/counts.bpf.c", &oo);
	struct coolbpf_buf b = COOLBPF_BUF_INIT;
	struct coolbpf_map *calls, *sizes;
	char pid[32];
	__u32 key = (__u32)getpid(), slot = 6, next;
	__u64 v = 0;

	(void)state;
	assert_non_null(obj);
	snprintf(pid, sizeof(pid), "%d", getpid());
	assert_int_equal(coolbpf_object__set_global(obj, "target_pid", pid), 0);
	assert_int_equal(coolbpf_object__load(obj), 0);
	assert_int_equal(coolbpf_object__attach(obj), 0);
	for (int i = 0; i < 4; i++)
		getppid();
	coolbpf_object__detach(obj);
	calls = coolbpf_object__map(obj, "calls");
	sizes = coolbpf_object__map(obj, "sizes");
	assert_int_equal(coolbpf_map__lookup(calls, &key, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(coolbpf_map__lookup(sizes, &slot, &v), 0); /* 100: 64 -> 127 */
	assert_int_equal(v, 4);

	COOLBPF_FORMAT_OPTS(fo, .fmt = COOLBPF_FMT_JSON, .time = "2026-12-02T10:00:00.000+00:00");
	assert_int_equal(coolbpf_map__format(calls, &fo, &b), 0);
	assert_non_null(strstr(b.data, "{\"time\": \"2026-12-02T10:00:00.000+00:00\", \"map\": "
				       "\"calls\", \"entries\": [{\"key\": "));
	{
		/* a second map appended: what was there stays, the new line
		 * gets its own stamp (and only one) */
		const char *stamped = "{\"time\": \"2026-12-02T10:00:00.000+00:00\", \"map\": ";
		char *first = strdup(b.data);
		const char *second;

		assert_int_equal(coolbpf_map__format(calls, &fo, &b), 0);
		assert_true(!strncmp(b.data, first, strlen(first)));
		second = b.data + strlen(first);
		assert_true(!strncmp(second, stamped, strlen(stamped)));
		assert_null(strstr(second + strlen(stamped), "\"time\""));
		free(first);
	}
	coolbpf_buf__reset(&b);
	fo.fmt = COOLBPF_FMT_TEXT;
	assert_int_equal(coolbpf_map__format(sizes, &fo, &b), 0);
	assert_true(!strncmp(b.data, "sizes:\n", 7)); /* text dumps: the caller's header */
	coolbpf_buf__release(&b);

	assert_int_equal(coolbpf_map__clear(calls), 0);
	assert_int_equal(coolbpf_map__next_key(calls, NULL, &next), -ENOENT);
	assert_int_equal(coolbpf_map__clear(sizes), 0);
	assert_int_equal(coolbpf_map__lookup(sizes, &slot, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(coolbpf_map__clear(coolbpf_object__map(obj, "events")), 0);
	coolbpf_object__close(obj);
}

static int require_root(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "integration tests need root\n");
		return -1;
	}
	return 0;
}

int main(void)
{
	coolbpf_compile_opts__from_env(&env_compile);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_execsnoop_reports_exec_of_child),
		cmocka_unit_test(test_opensnoop_reports_path_flags_and_fd),
		cmocka_unit_test(test_runqlat_histogram_counts_context_switches),
		cmocka_unit_test(test_tp_btf_loads_typed_without_holding_the_kernel_btf),
		cmocka_unit_test(test_tp_btf_of_a_plain_libbpf_object_through_the_handler),
		cmocka_unit_test(test_stackcount_stacks_symbolize_to_scheduler),
		cmocka_unit_test(test_printk_lines_are_streamed),
		cmocka_unit_test(
			test_kprobe_without_kernel_support_names_it_and_suggests_tracepoint),
		cmocka_unit_test(test_verifier_rejection_shows_source_line),
		cmocka_unit_test(test_close_leaves_no_program_in_kernel),
		cmocka_unit_test(test_missing_tracepoint_fails_attach_and_detaches_all),
		cmocka_unit_test(test_optional_programs_are_left_out_with_a_reason),
		cmocka_unit_test(test_ringbuf_overflow_is_counted_as_lost),
		cmocka_unit_test(test_queue_full_after_start_over_drops_in_order),
		cmocka_unit_test(test_set_global_reaches_the_kernel_and_errors_say_why),
		cmocka_unit_test(test_map_clear_and_time_stamped_format),
	};

	return cmocka_run_group_tests_name("integration (running kernel)", tests, require_root,
					   NULL);
}
