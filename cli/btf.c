// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* coolbpf btf: make BTF (gen, min), keep it (archive), fetch it (fetch-debian). */
#include <dirent.h>
#include <argp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "cli.h"

static const char btf_usage_text[] =
	"Usage: coolbpf btf gen --vmlinux FILE -o OUT.btf\n"
	"       coolbpf btf extract IMAGE -o OUT.btf\n"
	"       coolbpf btf min OBJ.o... (--btf FULL.btf | --kernel RELEASE) -o OUT.btf\n"
	"       coolbpf btf archive add FILE --release RELEASE [--arch ARCH] [--dir DIR]\n"
	"       coolbpf btf archive list [--dir DIR]\n"
	"       coolbpf btf archive get RELEASE [-o OUT.btf] [--arch ARCH] [--dir DIR]\n"
	"       coolbpf btf crawl [--distro D] [--suite S]... [--arch A]... [--dir DIR]\n"
	"                         [--dry-run] [--json] [-j N] [--from auto|image|dbg]\n"
	"       coolbpf btf fetch-debian [--dir DIR] [--cache DIR] [--keep-deb] [--force]\n"
	"                                PACKAGE-OR-RELEASE...\n";

static const char btf_doc[] =
	"Make, minimize, archive and fetch kernel BTF.\n"
	"\n"
	"  gen           BTF from a vmlinux with DWARF (pahole)\n"
	"  extract       the BTF a kernel image carries (vmlinuz, Image.gz or\n"
	"                vmlinux of a kernel built with CONFIG_DEBUG_INFO_BTF),\n"
	"                found as scripts/extract-vmlinux finds vmlinux\n"
	"  min           only the types the objects' CO-RE relocations use\n"
	"                (bpftool gen min_core_btf); FULL may be a .btf.gz\n"
	"  archive       the BTF archive DIR/<arch>/<release>.btf.gz (gzip of\n"
	"                raw BTF), DIR from --dir or $COOLBPF_BTF_DIR; coolbpf\n"
	"                run and compile read it for kernels without\n"
	"                /sys/kernel/btf/vmlinux, and coolbpfd serves it with\n"
	"                --btf-dir DIR\n"
	"  crawl         BTF for every kernel of a distribution's package\n"
	"                indexes that the archive lacks, from the image's own\n"
	"                BTF (else the debug package and pahole); incremental,\n"
	"                resumable, for cron ('coolbpf btf crawl --help')\n"
	"  fetch-debian  download a Debian kernel's -dbg package (5.10:\n"
	"                bullseye, 6.1, 6.12: bookworm, a release such as\n"
	"                6.1.0-56-amd64, or a linux-image-*-dbg package),\n"
	"                generate its BTF and add it to the archive. Packages\n"
	"                go to <cache>/debs ($COOLBPF_CACHE_DIR, default\n"
	"                ~/.cache/coolbpf); an interrupted download resumes;\n"
	"                the BTF is kept in <cache>/btf/debian and the .deb is\n"
	"                removed unless --keep-deb\n"
	"\v"
	"EXAMPLES:\n"
	"  coolbpf btf fetch-debian 5.10 6.1 6.12 --dir /srv/btf\n"
	"  coolbpf btf gen --vmlinux /usr/lib/debug/boot/vmlinux-6.1.0-56-amd64 -o 6.1.btf\n"
	"  coolbpf btf min tool.o other.o --btf 6.1.btf -o tool-6.1.btf\n"
	"  coolbpf btf archive add 6.1.btf --release 6.1.0-56-amd64\n"
	"  COOLBPF_BTF_DIR=/srv/btf coolbpf run tool.o   # on a kernel without BTF\n";

enum {
	OPT_VMLINUX = 256,
	OPT_BTF,
	OPT_RELEASE,
	OPT_ARCH,
	OPT_DIR,
	OPT_CACHE,
	OPT_KEEP,
	OPT_FORCE,
	OPT_KERNEL
};

static const struct argp_option btf_options[] = {
	{ "vmlinux", OPT_VMLINUX, "FILE", 0, "gen: the vmlinux with DWARF", 0 },
	{ "btf", OPT_BTF, "FULL.btf", 0, "min: the full BTF (raw, .btf.gz or ELF)", 0 },
	{ "kernel", OPT_KERNEL, "RELEASE", 0, "min: the archive's BTF of RELEASE", 0 },
	{ "release", OPT_RELEASE, "RELEASE", 0, "archive add: the kernel it describes", 0 },
	{ "arch", OPT_ARCH, "ARCH", 0, "archive: the architecture (uname -m; default: this one)",
	  0 },
	{ "dir", OPT_DIR, "DIR", 0, "the archive root ($COOLBPF_BTF_DIR)", 0 },
	{ "cache", OPT_CACHE, "DIR", 0, "fetch-debian: downloads and BTF made ($COOLBPF_CACHE_DIR)",
	  0 },
	{ "keep-deb", OPT_KEEP, NULL, 0, "fetch-debian: keep the downloaded .deb", 0 },
	{ "force", OPT_FORCE, NULL, 0, "fetch-debian: regenerate even when archived", 0 },
	{ "output", 'o', "OUT.btf", 0, "the file to write", 0 },
	{ "verbose", 'v', NULL, 0, "Say more", 0 },
	{},
};

struct btf_args {
	const char *vmlinux, *btf, *kernel, *release, *arch, *dir, *cache, *out;
	bool keep_deb, force;
	char **pos; /* positional arguments */
	int n_pos;
};

static error_t btf_parse_opt(int key, char *arg, struct argp_state *state)
{
	struct btf_args *a = state->input;

	switch (key) {
	case OPT_VMLINUX:
		a->vmlinux = arg;
		break;
	case OPT_BTF:
		a->btf = arg;
		break;
	case OPT_KERNEL:
		a->kernel = arg;
		break;
	case OPT_RELEASE:
		a->release = arg;
		break;
	case OPT_ARCH:
		a->arch = arg;
		break;
	case OPT_DIR:
		a->dir = arg;
		break;
	case OPT_CACHE:
		a->cache = arg;
		break;
	case OPT_KEEP:
		a->keep_deb = true;
		break;
	case OPT_FORCE:
		a->force = true;
		break;
	case 'o':
		a->out = arg;
		break;
	case 'v':
		cli_verbose++;
		break;
	case ARGP_KEY_ARGS:
		a->pos = state->argv + state->next;
		a->n_pos = state->argc - state->next;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp btf_argp = { btf_options, btf_parse_opt, "COMMAND [ARG...]", btf_doc, NULL,
				      NULL,	   NULL };

static void btf_usage(FILE *f)
{
	fputs(btf_usage_text, f);
	fputs("\n'coolbpf btf COMMAND --help' lists the options. See coolbpf(1).\n", f);
}

/* 0, or the exit status to return */
static int parse(int argc, char **argv, struct btf_args *a)
{
	memset(a, 0, sizeof(*a));
	if (argp_parse(&btf_argp, argc, argv, 0, NULL, a))
		return 2;
	return 0;
}

/* --dir, else $COOLBPF_BTF_DIR; NULL when neither */
static const char *archive_root(const struct btf_args *a)
{
	const char *env = getenv("COOLBPF_BTF_DIR");

	if (a->dir && *a->dir)
		return a->dir;
	return env && *env ? env : NULL;
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

static int btf_extract(struct btf_args *a)
{
	char how[160];
	void *btf;
	size_t len;
	int err;

	if (a->n_pos != 1 || !a->out)
		return usage_err("extract takes IMAGE and -o OUT.btf");
	err = btf_from_image(a->pos[0], &btf, &len, how, sizeof(how));
	if (err) {
		if (err == -ENOENT)
			cli_err("btf extract: '%s': %s; make the BTF from the kernel's debug "
				"package instead (coolbpf btf gen)",
				a->pos[0], how);
		return 1;
	}
	err = write_file_atomic(a->out, btf, len);
	free(btf);
	if (err) {
		cli_err("cannot write '%s': %s", a->out, strerror(-err));
		return 1;
	}
	if (cli_verbose)
		fprintf(stderr, "coolbpf: %zu bytes of BTF from '%s' (%s)\n", len, a->pos[0], how);
	return 0;
}

static int btf_min(struct btf_args *a)
{
	char entry[PATH_MAX];
	const char *full = a->btf;

	if (!a->n_pos || !a->out || !!a->btf == !!a->kernel)
		return usage_err(
			"min takes OBJ.o..., --btf FULL.btf or --kernel RELEASE, and -o OUT.btf");
	if (a->kernel) {
		if (!archive_root(a)) {
			cli_err("btf min: no archive: set COOLBPF_BTF_DIR or pass --dir DIR");
			return 1;
		}
		if (coolbpf_btf_archive__path(archive_root(a), a->kernel, a->arch, entry,
					      sizeof(entry))) {
			cli_err("btf min: no BTF for kernel %s: '%s' is missing", a->kernel, entry);
			return 1;
		}
		full = entry;
	}
	return btf_min_objects(full, (const char *const *)a->pos, a->out) ? 1 : 0;
}

static int archive_add(struct btf_args *a)
{
	COOLBPF_BTF_OPTS(bo, .btf_path = a->n_pos == 1 ? a->pos[0] : NULL);
	char entry[PATH_MAX];
	void *raw;
	size_t raw_sz;
	int err;

	if (a->n_pos != 1 || !a->release)
		return usage_err("archive add takes FILE and --release RELEASE");
	if (!archive_root(a))
		return usage_err("archive add: set COOLBPF_BTF_DIR or pass --dir DIR");
	if (coolbpf_btf__read(&bo, &raw, &raw_sz, NULL))
		return 1;
	err = coolbpf_btf_archive__add(archive_root(a), a->release, a->arch, raw, raw_sz, entry,
				       sizeof(entry));
	free(raw);
	if (err)
		return 1;
	if (cli_verbose)
		fprintf(stderr, "coolbpf: added '%s'\n", entry);
	return 0;
}

static int archive_list(struct btf_args *a)
{
	const char *root = archive_root(a);
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
	COOLBPF_BTF_OPTS(bo, .btf_dir = archive_root(a));
	char out[PATH_MAX], entry[PATH_MAX];
	void *data;
	size_t len;
	int err;

	if (a->n_pos != 1)
		return usage_err("archive get takes RELEASE");
	if (!bo.btf_dir)
		return usage_err("archive get: set COOLBPF_BTF_DIR or pass --dir DIR");
	err = coolbpf_btf_archive__path(bo.btf_dir, a->pos[0], a->arch, entry, sizeof(entry));
	if (err) {
		cli_err("no BTF for kernel %s in the archive: cannot read '%s': %s", a->pos[0],
			entry, strerror(-err));
		return 1;
	}
	/* the entry itself, even for the running kernel: this is the archive */
	bo.btf_path = entry;
	if (coolbpf_btf__read(&bo, &data, &len, NULL))
		return 1;
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
		.archive_dir = archive_root(a),
		.cache_dir = a->cache ? a->cache : cli_cache_dir(),
		.keep_deb = a->keep_deb,
		.force = a->force,
		.progress = isatty(2) ? progress : NULL,
	};
	int status = 0;

	if (!a->n_pos)
		return usage_err("fetch-debian takes PACKAGE-OR-RELEASE...");
	if (!o.archive_dir)
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
		{ "gen", NULL, btf_gen },	   { "min", NULL, btf_min },
		{ "extract", NULL, btf_extract },  { "fetch-debian", NULL, fetch_debian },
		{ "archive", "add", archive_add }, { "archive", "list", archive_list },
		{ "archive", "get", archive_get },
	};
	struct btf_args a;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		btf_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "crawl")) {
		static char prog[] = "coolbpf btf crawl";

		argv[1] = prog;
		return cmd_btf_crawl(argc - 1, argv + 1);
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int skip = cmds[i].verb ? 2 : 1;

		if (strcmp(argv[1], cmds[i].noun) ||
		    (cmds[i].verb && (argc < 3 || strcmp(argv[2], cmds[i].verb))))
			continue;
		{
			static char prog[64];

			snprintf(prog, sizeof(prog), "coolbpf btf %s%s%s", cmds[i].noun,
				 cmds[i].verb ? " " : "", cmds[i].verb ? cmds[i].verb : "");
			argv[skip] = prog;
			rc = parse(argc - skip, argv + skip, &a);
		}
		if (rc)
			return rc < 0 ? 0 : rc;
		return cmds[i].fn(&a);
	}
	cli_err("btf: unknown command '%s%s%s'", argv[1],
		argc > 2 && !strcmp(argv[1], "archive") ? " " : "",
		argc > 2 && !strcmp(argv[1], "archive") ? argv[2] : "");
	btf_usage(stderr);
	return 2;
}
