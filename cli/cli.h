/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The coolbpf command: one file per verb (run.c, compile.c, btf.c), main.c
 * only dispatches. Like every program of the project it uses libcoolbpf's
 * public API (coolbpf/coolbpf.h) and lib/base's generic C; nothing else of
 * lib/ (docs/ARCHITECTURE.md).
 */
#ifndef COOLBPF_CLI_H
#define COOLBPF_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "coolbpf/coolbpf.h"
#include "base/base.h"

/* Each verb gets argv starting at its own name and returns the exit status. */
int cmd_compile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_btf(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_build(int argc, char **argv);
/* build.c: when this executable is a tool of coolbpf build (a program
 * built in), run it and return the exit status; -1 when it is not. */
int cli_tool_main(int argc, char **argv);
/* compile.c: coolbpf compile's options (with more's, and doc_text as
 * --help's) and its compile, for compile and build: *res the artifact,
 * *src the source, *out -o's value (NULL: none). The exit status (0:
 * compiled, the compiler's diagnostics printed). */
struct argp;
struct coolbpf_compile_result;
int cli_compile(int argc, char **argv, const char *doc_text, const struct argp *more,
		struct coolbpf_compile_result *res, const char **src, const char **out);
/* coolbpf btf crawl (crawl.c), argv from "crawl" on */
int cmd_btf_crawl(int argc, char **argv);

/* Verbosity set by -v (0: warnings only). */
extern int cli_verbose;
/* Install the stderr printer for libcoolbpf's diagnostics and the CLI's own. */
void cli_setup_log(void);
/* "coolbpf: <msg>" on stderr. */
__attribute__((format(printf, 1, 2))) void cli_err(const char *fmt, ...);
/* Parse a bounded integer option; on error prints "invalid NAME 'ARG'" and returns -1. */
int cli_parse_long(const char *name, const char *arg, long min, long max, long *out);
/* Parse seconds (fractions allowed) within [min, max]; on error prints
 * "invalid NAME 'ARG'" and returns -1. */
int cli_parse_seconds(const char *name, const char *arg, double min, double max, double *out);
/* BYTES with an optional K, M or G (binary) suffix, in [min, max]; an
 * error names the option and the form. */
int cli_parse_bytes(const char *name, const char *arg, unsigned long long min,
		    unsigned long long max, unsigned long long *out);
/* A page count in [min, max] (a plain positive integer, no K/M/G: pages,
 * not bytes), a power of two when pow2; an error names the option, the
 * value and what it takes. */
int cli_parse_count(const char *name, const char *arg, unsigned long long min,
		    unsigned long long max, bool pow2, unsigned long long *out);
/* Append arg to list, which has *nr entries and room for max (and the
 * NULL after them) for repeatable option opt; form ("NAME=VALUE"): arg
 * must be a non-empty name, '=', a value. -1 after saying what is wrong
 * (the option, the value, the form or the limit). */
int cli_list_add(const char *opt, const char *form, const char **list, int *nr, int max,
		 const char *arg);
/* The object cache root: $COOLBPF_CACHE_DIR, $XDG_CACHE_HOME/coolbpf,
 * ~/.cache/coolbpf (static storage). */
const char *cli_cache_dir(void);
/* Which bpf() this machine gives coolbpf, as a sentence (run -v, inspect). */
const char *cli_bpf_backend_text(void);

/* The signal that asked us to end (0: none yet), set by the handler
 * cli_catch_signals() installs for SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * (without SA_RESTART, so a blocking wait returns EINTR); SIGPIPE is
 * ignored (a write fails instead). A command then ends as it would at its
 * natural end: children reaped, temporary files and tracefs instances
 * removed. */
extern volatile sig_atomic_t cli_signal;
/* Warnings the command says better itself (run's attach report): not
 * printed while true; coolbpf_errmsg() still has them. */
extern bool cli_mute_warnings;
void cli_catch_signals(void);
/* The signals of cli_catch_signals() in set. */
void cli_exit_signals(sigset_t *set);
/* buildopts.c: --cflags, $COOLBPF_CFLAGS, --event-type ----------------- */

#define CLI_BUILD_MAX 64
struct cli_build {
	char *cflags[CLI_BUILD_MAX + 1];
	const char *event_types[CLI_BUILD_MAX + 1];
	const char *defines[CLI_BUILD_MAX + 1];
	const char *includes[CLI_BUILD_MAX + 1];
	int nr_cflags, nr_event_types, nr_defines, nr_includes;
};
/* What --cflags and --event-type gave: an argp child of run and compile
 * (they exit 2 on a bad value). */
extern struct cli_build cli_build;
struct argp;
extern const struct argp cli_build_argp;
/* $COOLBPF_CFLAGS, before --cflags: -1 after saying what is wrong. */
int cli_build_env(struct cli_build *b);
/* -D NAME[=VAL] or -I DIR (key 'D' or 'I'), options of the verb's own
 * list: -1 after saying what is wrong. */
int cli_build_cpp(struct cli_build *b, int key, const char *arg);
/* Point o's cflags, event_types, defines and include_dirs at b's. */
void cli_build_apply(struct cli_build *b, struct coolbpf_compile_opts *o);
void cli_build_release(struct cli_build *b);

/* btf_gen.c: pahole a vmlinux's DWARF into raw BTF at out. */
int btf_gen_vmlinux(const char *vmlinux, const char *out);
/* bpftool gen min_core_btf: what objs' CO-RE relocations use of full
 * (raw, ELF or .gz) into out. objs is NULL-terminated. */
int btf_min_objects(const char *full, const char *const *objs, const char *out);

/* pkg.c: files out of packages, and decompressors -------------------- */

/* A compression format: its magic and the tool that undoes it (stdin to
 * stdout). */
struct codec {
	const char *name;
	const char *magic;
	size_t magic_len;
	const char *const argv[4];
};
/* The format data starts with, or NULL. */
const struct codec *codec_sniff(const void *data, size_t len);
/* The i-th known format (NULL past the last), for scanning an image. */
const struct codec *codec_at(size_t i);
/* A file's contents, decompressed when it starts with a known magic. */
int decompress_file(const char *path, struct strbuf *out, size_t max);
/* posix_spawnp argv with stdin from in_fd (-1: /dev/null), stdout on
 * out_fd, stderr to /dev/null. The pid or -errno. */
pid_t spawn_io(const char *const argv[], int in_fd, int out_fd);

enum pkg_format { PKG_DEB, PKG_RPM };

struct pkg_progress {
	void (*fn)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

/*
 * Stream the package's files (a .deb's data tarball, an .rpm's cpio
 * payload) up to the first regular file whose path (without "./") matches
 * one of the fnmatch patterns (NULL-terminated), and write it to out; its
 * path into name (may be NULL). -ENOENT when there is none (out removed).
 */
int pkg_extract(const char *pkg, enum pkg_format fmt, const char *const *patterns, const char *out,
		char *name, size_t name_sz, const struct pkg_progress *progress);

/* btf_image.c --------------------------------------------------------- */

/*
 * The BTF built into a kernel image (vmlinuz, Image[.gz], or a vmlinux):
 * raw BTF, malloc'd. how gets where it was found ("xz payload at offset
 * 0x52cc"), or for -ENOENT why there is none (no message printed: for the
 * crawler that is the cue to try the debug package).
 */
int btf_from_image(const char *path, void **btf, size_t *btf_len, char *how, size_t how_sz);

/* btf_debian.c ------------------------------------------------------ */

struct btf_fetch_opts {
	const char *archive_dir; /* the archive root */
	const char *cache_dir;	 /* debs/, btf/debian/, apt/ */
	bool keep_deb;		 /* keep the downloaded .deb */
	bool force;		 /* regenerate even when archived or cached */
	/* non-NULL: apt draws its progress on the terminal, and this is told
	 * how far a step got (total 0: unknown) */
	void (*progress)(const char *step, uint64_t done, uint64_t total, void *ctx);
	void *ctx;
};
/*
 * spec: "5.10" (bullseye), "6.1", "6.12" (bookworm), a release
 * ("6.1.0-56-amd64") or a linux-image-*-dbg package. Downloads the -dbg
 * package, generates its BTF and adds it to the archive as x86_64/<release>
 * (written to release). 0 or -errno, with a message.
 */
int btf_fetch_debian(const char *spec, const struct btf_fetch_opts *o, char *release,
		     size_t release_sz);

#endif
