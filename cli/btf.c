// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* coolbpf btf: make BTF (gen, min), keep it (archive), fetch it (fetch-debian). */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "cli.h"
#include "internal.h"

static void btf_usage(FILE *f)
{
	fprintf(f,
		"Usage: coolbpf btf gen --vmlinux FILE -o OUT.btf\n"
		"       coolbpf btf min OBJ.o... (--btf FULL.btf | --kernel RELEASE) -o OUT.btf\n"
		"       coolbpf btf archive add FILE --release RELEASE [--arch ARCH] [--dir DIR]\n"
		"       coolbpf btf archive list [--dir DIR]\n"
		"       coolbpf btf archive get RELEASE [-o OUT.btf] [--arch ARCH] [--dir DIR]\n"
		"       coolbpf btf fetch-debian [--dir DIR] [--cache DIR] [--keep-deb] [--force]\n"
		"                                PACKAGE-OR-RELEASE...\n"
		"\n"
		"  gen           BTF from a vmlinux with DWARF (pahole)\n"
		"  min           only the types the objects' CO-RE relocations use\n"
		"                (bpftool gen min_core_btf); FULL may be a .btf.gz\n"
		"  archive       the BTF archive DIR/<arch>/<release>.btf.gz (gzip of raw BTF),\n"
		"                DIR from --dir or $COOLBPF_BTF_DIR; coolbpf run and compile\n"
		"                read it for kernels without /sys/kernel/btf/vmlinux, and\n"
		"                coolbpfd serves it with --btf-dir DIR\n"
		"  fetch-debian  download a Debian kernel's -dbg package (5.10: bullseye,\n"
		"                6.1, 6.12: bookworm, a release such as 6.1.0-56-amd64, or\n"
		"                a linux-image-*-dbg package), generate its BTF and add it\n"
		"                to the archive. Packages go to <cache>/debs ($COOLBPF_CACHE_DIR,\n"
		"                default ~/.cache/coolbpf); an interrupted download resumes; the\n"
		"                BTF is kept in <cache>/btf/debian and the .deb is removed\n"
		"                unless --keep-deb\n"
		"\n"
		"EXAMPLES:\n"
		"  coolbpf btf fetch-debian 5.10 6.1 6.12 --dir /srv/btf\n"
		"  coolbpf btf gen --vmlinux /usr/lib/debug/boot/vmlinux-6.1.0-56-amd64 -o 6.1.btf\n"
		"  coolbpf btf min tool.o other.o --btf 6.1.btf -o tool-6.1.btf\n"
		"  coolbpf btf archive add 6.1.btf --release 6.1.0-56-amd64\n"
		"  COOLBPF_BTF_DIR=/srv/btf coolbpf run tool.o   # on a kernel without BTF\n");
}

enum { OPT_VMLINUX = 256, OPT_BTF, OPT_RELEASE, OPT_ARCH, OPT_DIR, OPT_CACHE, OPT_KEEP,
       OPT_FORCE, OPT_KERNEL };

static const struct option btf_longopts[] = {
	{ "vmlinux", required_argument, NULL, OPT_VMLINUX },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "release", required_argument, NULL, OPT_RELEASE },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "keep-deb", no_argument, NULL, OPT_KEEP },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct btf_args {
	const char *vmlinux, *btf, *kernel, *release, *arch, *dir, *cache, *out;
	bool keep_deb, force;
	char **pos; /* positional arguments */
	int n_pos;
};

/* 0, or the exit status to return */
static int parse(int argc, char **argv, struct btf_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:vh", btf_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_VMLINUX: a->vmlinux = optarg; break;
		case OPT_BTF: a->btf = optarg; break;
		case OPT_KERNEL: a->kernel = optarg; break;
		case OPT_RELEASE: a->release = optarg; break;
		case OPT_ARCH: a->arch = optarg; break;
		case OPT_DIR: a->dir = optarg; break;
		case OPT_CACHE: a->cache = optarg; break;
		case OPT_KEEP: a->keep_deb = true; break;
		case OPT_FORCE: a->force = true; break;
		case 'o': a->out = optarg; break;
		case 'v': cli_verbose++; break;
		case 'h': btf_usage(stdout); return -1;
		default: btf_usage(stderr); return 2;
		}
	}
	a->pos = argv + optind;
	a->n_pos = argc - optind;
	return 0;
}

static int usage_err(const char *msg)
{
	cli_err("btf: %s", msg);
	btf_usage(stderr);
	return 2;
}

static int btf_gen(struct btf_args *a)
{
	if (!a->vmlinux || !a->out || a->n_pos)
		return usage_err("gen takes --vmlinux FILE and -o OUT.btf");
	return btf_gen_vmlinux(a->vmlinux, a->out) ? 1 : 0;
}

static int btf_min(struct btf_args *a)
{
	char entry[PATH_MAX];
	const char *full = a->btf;

	if (!a->n_pos || !a->out || !!a->btf == !!a->kernel)
		return usage_err("min takes OBJ.o..., --btf FULL.btf or --kernel RELEASE, and -o OUT.btf");
	if (a->kernel) {
		struct stat st;

		if (btf_archive_entry(a->dir, a->kernel, a->arch, entry, sizeof(entry))) {
			cli_err("btf min: no archive: set COOLBPF_BTF_DIR or pass --dir DIR");
			return 1;
		}
		if (stat(entry, &st)) {
			cli_err("btf min: no BTF for kernel %s: '%s' is missing", a->kernel, entry);
			return 1;
		}
		full = entry;
	}
	return btf_min_objects(full, (const char *const *)a->pos, a->out) ? 1 : 0;
}

static int archive_add(struct btf_args *a)
{
	char entry[PATH_MAX];
	struct btf *btf;
	const void *raw;
	__u32 raw_sz;
	int err;

	if (a->n_pos != 1 || !a->release)
		return usage_err("archive add takes FILE and --release RELEASE");
	if (!btf_archive_root(a->dir))
		return usage_err("archive add: set COOLBPF_BTF_DIR or pass --dir DIR");
	btf = btf_load_file(a->pos[0]);
	if (!btf) {
		cli_err("cannot read BTF '%s': %s", a->pos[0],
			errno == ENOENT ? "No such file or directory" : "not a valid BTF file");
		return 1;
	}
	raw = btf__raw_data(btf, &raw_sz);
	err = raw ? btf_archive_add(a->dir, a->release, a->arch, raw, raw_sz, entry, sizeof(entry))
		  : -ENOMEM;
	btf__free(btf);
	if (err)
		return 1;
	if (cli_verbose)
		fprintf(stderr, "coolbpf: added '%s'\n", entry);
	return 0;
}

static int archive_list(struct btf_args *a)
{
	const char *root = btf_archive_root(a->dir);
	struct dirent *ade;
	DIR *rd;

	if (a->n_pos)
		return usage_err("archive list takes no arguments");
	if (!root)
		return usage_err("archive list: set COOLBPF_BTF_DIR or pass --dir DIR");
	rd = opendir(root);
	if (!rd) {
		cli_err("cannot open archive '%s': %s", root, strerror(errno));
		return 1;
	}
	while ((ade = readdir(rd))) {
		char dir[PATH_MAX];
		struct dirent *de;
		DIR *d;

		if (ade->d_name[0] == '.' ||
		    snprintf(dir, sizeof(dir), "%s/%s", root, ade->d_name) >= (int)sizeof(dir) ||
		    !(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			const char *n = de->d_name;
			size_t len = strlen(n);
			char path[PATH_MAX];
			struct stat st;

			if (str_has_suffix(n, ".btf.gz"))
				len -= 7;
			else if (str_has_suffix(n, ".btf"))
				len -= 4;
			else
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir, n) >= (int)sizeof(path) ||
			    stat(path, &st))
				continue;
			printf("%s %.*s %lld\n", ade->d_name, (int)len, n, (long long)st.st_size);
		}
		closedir(d);
	}
	closedir(rd);
	return 0;
}

static int archive_get(struct btf_args *a)
{
	char path[PATH_MAX], out[PATH_MAX];
	void *data;
	size_t len;
	int err;

	if (a->n_pos != 1)
		return usage_err("archive get takes RELEASE");
	err = btf_archive_read(a->dir, a->pos[0], a->arch, &data, &len, path, sizeof(path));
	if (err == -ENOENT && !btf_archive_root(a->dir))
		return usage_err("archive get: set COOLBPF_BTF_DIR or pass --dir DIR");
	if (err) {
		cli_err("no BTF for kernel %s in the archive: cannot read '%s': %s", a->pos[0],
			path, strerror(-err));
		return 1;
	}
	snprintf(out, sizeof(out), "%s.btf", a->pos[0]);
	err = write_file_atomic(a->out ? a->out : out, data, len);
	free(data);
	if (err) {
		cli_err("cannot write '%s': %s", a->out ? a->out : out, strerror(-err));
		return 1;
	}
	return 0;
}

static void progress(const char *step, uint64_t done, uint64_t total, void *ctx)
{
	static char last[64];
	static uint64_t shown;
	const int width = 30;

	(void)ctx;
	if (strcmp(last, step)) {
		if (last[0])
			fputc('\n', stderr);
		strlcpy_cb(last, step, sizeof(last));
		shown = 0;
	} else if (done - shown < (8u << 20) && done != total) {
		return; /* redraw every 8 MB */
	}
	shown = done;
	if (total) {
		int fill = (int)(done * (uint64_t)width / total);

		fprintf(stderr, "\r%-20s [%-*.*s] %3d%% %6.1f MB", step, width, fill,
			"##############################", (int)(done * 100 / total),
			(double)done / 1e6);
	} else {
		fprintf(stderr, "\r%-20s %6.1f MB", step, (double)done / 1e6);
	}
	if (!done && !total)
		fputc('\n', stderr), last[0] = '\0';
	fflush(stderr);
}

static int fetch_debian(struct btf_args *a)
{
	struct btf_fetch_opts o = {
		.archive_dir = a->dir,
		.cache_dir = a->cache,
		.keep_deb = a->keep_deb,
		.force = a->force,
		.progress = isatty(2) ? progress : NULL,
	};
	int status = 0;

	if (!a->n_pos)
		return usage_err("fetch-debian takes PACKAGE-OR-RELEASE...");
	if (!btf_archive_root(a->dir))
		return usage_err("fetch-debian: set COOLBPF_BTF_DIR or pass --dir DIR");
	for (int i = 0; i < a->n_pos; i++) {
		char release[256] = "";

		if (btf_fetch_debian(a->pos[i], &o, release, sizeof(release))) {
			cli_err("fetch-debian: no BTF for '%s'", a->pos[i]);
			status = 1;
			continue;
		}
		printf("%s x86_64/%s\n", a->pos[i], release);
		fflush(stdout);
	}
	return status;
}

int cmd_btf(int argc, char **argv)
{
	static const struct {
		const char *noun, *verb;
		int (*fn)(struct btf_args *a);
	} cmds[] = {
		{ "gen", NULL, btf_gen },
		{ "min", NULL, btf_min },
		{ "fetch-debian", NULL, fetch_debian },
		{ "archive", "add", archive_add },
		{ "archive", "list", archive_list },
		{ "archive", "get", archive_get },
	};
	struct btf_args a;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		btf_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int skip = cmds[i].verb ? 2 : 1;

		if (strcmp(argv[1], cmds[i].noun) ||
		    (cmds[i].verb && (argc < 3 || strcmp(argv[2], cmds[i].verb))))
			continue;
		rc = parse(argc - skip, argv + skip, &a);
		if (rc)
			return rc < 0 ? 0 : rc;
		return cmds[i].fn(&a);
	}
	cli_err("btf: unknown command '%s%s%s'", argv[1], argc > 2 && !strcmp(argv[1], "archive") ? " " : "",
		argc > 2 && !strcmp(argv[1], "archive") ? argv[2] : "");
	btf_usage(stderr);
	return 2;
}
