// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A "clang" that an attacker controls: what code running as the compiler
 * inside coolbpfd's sandbox could try. tests/server/test_hostile.py builds
 * it (with OBJ_C, a real BPF object as a C array, so the compile still
 * succeeds) and runs a coolbpfd with --tool-path pointing at it.
 *
 * Invoked on a source containing "HOSTILE-ACTIONS unix=PATH tcp=PORT", it
 * tries each action and prints one line per action on stderr (which ends
 * up in the reply's log): "HOSTILE <name>: ok" when the action succeeded,
 * "HOSTILE <name>: <errno name>" when it was refused. Otherwise it only
 * writes the object, so the server's own prep job works with it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "base/banned.h"
#ifdef OBJ_C
#include OBJ_C /* defines obj[] and obj_len */
#else
static const unsigned char obj[] = { 0 };
static const unsigned long obj_len = 0;
#endif

static void report(const char *name, long rc)
{
	fprintf(stderr, "HOSTILE %s: %s\n", name, rc < 0 ? strerrorname_np(errno) : "ok");
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void try_bpf(void)
{
	struct bpf_insn prog[] = { { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0 },
				   { .code = BPF_JMP | BPF_EXIT } };
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	report("bpf_map_create", bpf(BPF_MAP_CREATE, &a));
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (unsigned long)prog;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	report("bpf_prog_load", bpf(BPF_PROG_LOAD, &a));
	memset(&a, 0, sizeof(a));
	report("bpf_map_get_next_id", bpf(BPF_MAP_GET_NEXT_ID, &a));
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (unsigned long)"sched_switch";
	a.raw_tracepoint.prog_fd = 0;
	report("bpf_raw_tracepoint_open", bpf(BPF_RAW_TRACEPOINT_OPEN, &a));
}

static void try_perf(void)
{
	struct perf_event_attr pa = { .type = PERF_TYPE_SOFTWARE,
				      .size = sizeof(pa),
				      .config = PERF_COUNT_SW_CPU_CLOCK };

	report("perf_event_open", syscall(__NR_perf_event_open, &pa, -1, 0, -1, 0));
}

static void try_sockets(const char *unix_path, int port)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	report("socket_unix", fd);
	if (fd >= 0) {
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", unix_path);
		report("connect_unix", connect(fd, (struct sockaddr *)&un, sizeof(un)));
		close(fd);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	report("socket_inet", fd);
	if (fd >= 0) {
		report("connect_inet", connect(fd, (struct sockaddr *)&in, sizeof(in)));
		close(fd);
	}
	fd = socket(AF_NETLINK, SOCK_RAW, 0);
	report("socket_netlink", fd);
	if (fd >= 0)
		close(fd);
}

/* fork until refused: RLIMIT_NPROC must stop it well before 200 */
static void try_fork(void)
{
	int n = 0;

	for (; n < 200; n++) {
		pid_t p = fork();

		if (p < 0)
			break;
		if (p == 0) {
			/* not holding the compiler's output pipe open */
			close(0);
			close(1);
			close(2);
			sleep(5);
			_exit(0);
		}
	}
	fprintf(stderr, "HOSTILE fork_count: %d\n", n);
	errno = EAGAIN;
	report("fork_past_limit", n < 200 ? -1 : 0);
}

/* every file of the shared per-kernel directory, opened for writing */
static void try_shared(const char *dir, int *opened, int *tried)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		char path[4096];
		struct stat st;

		if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			try_shared(path, opened, tried);
			continue;
		}
		int fd = open(path, O_WRONLY | O_APPEND);

		++*tried;
		if (fd >= 0) {
			++*opened;
			if (write(fd, "/* HOSTILE-PLANTED */\n", 22) < 0)
				--*opened;
			close(fd);
		}
	}
	if (d)
		closedir(d);
}

static void try_rest(void)
{
	int opened = 0, tried = 0, fd;

	try_shared("/coolbpf/kernels", &opened, &tried);
	fprintf(stderr, "HOSTILE shared_files_seen: %d\n", tried);
	report("write_shared_header", tried && !opened ? -1 : 0);
	fd = open("/coolbpf/kernels/planted.h", O_WRONLY | O_CREAT, 0644);
	report("create_in_shared_dir", fd);
	report("ptrace_parent", ptrace(PTRACE_ATTACH, getppid(), 0, 0));
	report("mount_tmpfs", mount("x", "/coolbpf/tmp", "tmpfs", 0, NULL));
	report("unshare_user", unshare(CLONE_NEWUSER));
	report("setuid_0", setuid(0));
	report("keyctl", syscall(__NR_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -1, 0));
	report("open_etc_passwd", open("/etc/passwd", O_RDONLY));
	report("open_proc_1", open("/proc/1/status", O_RDONLY));
	report("write_root", open("/planted", O_WRONLY | O_CREAT, 0644));
	fprintf(stderr, "HOSTILE uid: %d\n", (int)getuid());
	{
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2] = { 0 };

		syscall(__NR_capget, &h, d);
		fprintf(stderr, "HOSTILE capabilities: %x%08x\n", d[1].effective | d[1].permitted,
			d[0].effective | d[0].permitted);
	}
}

int main(int argc, char **argv)
{
	const char *out = NULL, *src = NULL;
	char text[65536] = "", unix_path[108] = "", *p;
	int port = 0, fd;
	ssize_t n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			src = argv[++i];
		else if (!strcmp(argv[i], "-print-resource-dir")) {
			puts("/nonexistent/lib/clang/0");
			return 0;
		}
	}
	if (src && (fd = open(src, O_RDONLY)) >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	p = strstr(text, "HOSTILE-ACTIONS");
	if (p) {
		sscanf(p, "HOSTILE-ACTIONS unix=%107s tcp=%d", unix_path, &port);
		try_bpf();
		try_perf();
		try_sockets(unix_path, port);
		try_rest();
		fflush(stderr);
		if (fork() == 0) {
			try_fork();
			_exit(0);
		}
		wait(NULL);
	}
	if (!out)
		return 0;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, obj, obj_len) != (ssize_t)obj_len)
		return 1;
	close(fd);
	return 0;
}
