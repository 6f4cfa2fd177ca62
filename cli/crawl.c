// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf btf crawl: BTF for every kernel a distribution ships, found by
 * itself. The package indexes (crawl_apt.c, crawl_rpm.c) list the kernels;
 * each one the archive lacks is made from the cheap source first: the BTF
 * its image package carries (btf_image.c), else its debug package and
 * pahole. Jobs run --jobs at a time (download, then extraction; pahole one
 * at a time, it is parallel itself), a progress line is drawn on a
 * terminal, and each kernel made appends one JSON line to
 * <archive>/manifest.jsonl. Everything is resumable: what is archived is
 * skipped, a half-downloaded package continues where it stopped, and a
 * lock keeps two crawls (a cron job overrunning its interval) apart.
 */
#include <argp.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crawl.h"

#define MAX_LIST 32

static const struct crawl_distro distros[] = {
	{
		.name = "debian",
		.source = &crawl_apt,
		.default_suites = "bookworm,bullseye",
		.url = "http://deb.debian.org/debian",
		.security_url = "http://deb.debian.org/debian-security",
		.keyring = "/usr/share/keyrings/debian-archive-keyring.gpg",
		.tested_live = true,
	},
	{
		.name = "ubuntu",
		.source = &crawl_apt,
		.default_suites = "noble,jammy",
		.url = "http://archive.ubuntu.com/ubuntu",
		.ports_url = "http://ports.ubuntu.com/ubuntu-ports",
		.dbg_url = "http://ddebs.ubuntu.com",
		.keyring = "/usr/share/keyrings/ubuntu-archive-keyring.gpg",
		.dbg_keyring = "/usr/share/keyrings/ubuntu-dbgsym-keyring.gpg",
	},
	{
		.name = "centos",
		.source = &crawl_rpm,
		.default_suites = "9-stream,10-stream",
		.url = "https://mirror.stream.centos.org/{suite}/BaseOS/{arch}/os",
		.security_url = "https://mirror.stream.centos.org/{suite}/BaseOS/{arch}/debug/tree",
	},
	{
		.name = "alma",
		.source = &crawl_rpm,
		.default_suites = "9,8",
		.url = "https://repo.almalinux.org/almalinux/{suite}/BaseOS/{arch}/os",
		.security_url = "https://repo.almalinux.org/vault/{suite}/BaseOS/debug/{arch}",
	},
	{
		.name = "rocky",
		.source = &crawl_rpm,
		.default_suites = "9,8",
		.url = "https://dl.rockylinux.org/pub/rocky/{suite}/BaseOS/{arch}/os",
		.security_url =
			"https://dl.rockylinux.org/pub/rocky/{suite}/BaseOS/{arch}/debug/tree",
	},
	{
		.name = "fedora",
		.source = &crawl_rpm,
		.default_suites = "41,40",
		.url = "https://dl.fedoraproject.org/pub/fedora/linux/updates/{suite}/Everything/{arch}",
		.security_url =
			"https://dl.fedoraproject.org/pub/fedora/linux/updates/{suite}/Everything/{arch}/debug",
	},
	{
		.name = "anolis",
		.source = &crawl_rpm,
		.default_suites = "8,23",
		.url = "https://mirrors.openanolis.cn/anolis/{suite}/BaseOS/{arch}/os",
		.security_url = "https://mirrors.openanolis.cn/anolis/{suite}/BaseOS/{arch}/debug",
	},
};

enum from { FROM_AUTO, FROM_IMAGE, FROM_DBG };

static struct crawl_args {
	const char *distro, *dir, *cache, *mirror;
	const char *suites[MAX_LIST + 1], *arches[MAX_LIST + 1], *matches[MAX_LIST + 1];
	int n_suites, n_arches, n_matches;
	bool dry_run, json, unsigned_ok, keep, force;
	enum from from;
	long jobs, max;
} args;

enum {
	OPT_DISTRO = 0x100,
	OPT_SUITE,
	OPT_ARCH,
	OPT_DIR,
	OPT_CACHE,
	OPT_DRY,
	OPT_JSON,
	OPT_FROM,
	OPT_MATCH,
	OPT_MIRROR,
	OPT_UNSIGNED,
	OPT_KEEP,
	OPT_FORCE,
	OPT_MAX,
};

static const struct argp_option options[] = {
	{ "distro", OPT_DISTRO, "NAME", 0,
	  "debian (default), ubuntu, centos, alma, rocky, fedora or anolis", 0 },
	{ "suite", OPT_SUITE, "SUITE", 0,
	  "A release to crawl, with its -updates and -security indexes (apt: bookworm; rpm: "
	  "9-stream, 9, 41); repeatable. Default: the distribution's current ones",
	  0 },
	{ "arch", OPT_ARCH, "ARCH", 0,
	  "amd64|x86_64, arm64|aarch64, ...; repeatable. Default: this machine's", 0 },
	{ "dir", OPT_DIR, "DIR", 0, "The BTF archive ($COOLBPF_BTF_DIR)", 0 },
	{ "cache", OPT_CACHE, "DIR", 0,
	  "Indexes and (partial) downloads (default: <cache>/crawl, $COOLBPF_CACHE_DIR)", 0 },
	{ "dry-run", OPT_DRY, NULL, 0,
	  "List the kernels and whether they are archived; fetch "
	  "indexes only",
	  0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per kernel on stdout", 0 },
	{ "jobs", 'j', "N", 0, "Kernels downloaded and extracted at once (default 2)", 0 },
	{ "from", OPT_FROM, "SOURCE", 0,
	  "auto (default: the image's BTF, else the debug package and pahole), image, or dbg", 0 },
	{ "match", OPT_MATCH, "GLOB", 0,
	  "Only kernels whose release matches (6.1.0-*-amd64); "
	  "repeatable",
	  0 },
	{ "max", OPT_MAX, "N", 0, "Make at most N kernels in this run", 0 },
	{ "mirror", OPT_MIRROR, "URL", 0,
	  "Read the distribution from this mirror (or file:// tree) instead", 0 },
	{ "unsigned", OPT_UNSIGNED, NULL, 0,
	  "Accept indexes without a valid signature (a local tree); package hashes are still "
	  "checked",
	  0 },
	{ "keep-packages", OPT_KEEP, NULL, 0, "Keep the downloaded packages in the cache", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Make the BTF of kernels archived already, again", 0 },
	{ "verbose", 'v', NULL, 0, "Say more", 0 },
	{},
};

static const char doc[] =
	"Make BTF for every kernel a distribution ships: read its package indexes, list its "
	"kernels, and for each one the archive lacks take the BTF built into its image package "
	"(or, when it has none, make it from the debug package with pahole), then add it to "
	"the archive and a line to DIR/manifest.jsonl. Run it again (cron, a systemd timer) "
	"and it makes only what is new; an interrupted download resumes. Debian is fetched "
	"live in coolbpf's tests; the other distributions' index parsers are tested on "
	"excerpts."
	"\v"
	"EXAMPLES:\n"
	"  coolbpf btf crawl --dir /srv/btf --dry-run          # Debian bookworm, bullseye\n"
	"  coolbpf btf crawl --dir /srv/btf --suite bookworm --arch amd64 --arch arm64\n"
	"  coolbpf btf crawl --dir /srv/btf --match '6.1.0-*-amd64' --json\n"
	"  coolbpf btf crawl --distro ubuntu --suite jammy --match '*-generic' --dir /srv/btf\n";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	const char **list = NULL;
	int *n = NULL;

	switch (key) {
	case OPT_DISTRO:
		args.distro = arg;
		break;
	case OPT_SUITE:
		list = args.suites, n = &args.n_suites;
		break;
	case OPT_ARCH:
		if (!arch_uname(arg))
			argp_error(state,
				   "unknown architecture '%s' (amd64, arm64, x86_64, aarch64, ...)",
				   arg);
		list = args.arches, n = &args.n_arches;
		arg = (char *)arch_uname(arg);
		break;
	case OPT_MATCH:
		list = args.matches, n = &args.n_matches;
		break;
	case OPT_DIR:
		args.dir = arg;
		break;
	case OPT_CACHE:
		args.cache = arg;
		break;
	case OPT_DRY:
		args.dry_run = true;
		break;
	case OPT_JSON:
		args.json = true;
		break;
	case 'j':
		if (cli_parse_long("jobs", arg, 1, 64, &args.jobs))
			argp_usage(state);
		break;
	case OPT_MAX:
		if (cli_parse_long("max", arg, 1, 1000000, &args.max))
			argp_usage(state);
		break;
	case OPT_FROM:
		if (!strcmp(arg, "auto"))
			args.from = FROM_AUTO;
		else if (!strcmp(arg, "image"))
			args.from = FROM_IMAGE;
		else if (!strcmp(arg, "dbg"))
			args.from = FROM_DBG;
		else
			argp_error(state, "--from takes auto, image or dbg, not '%s'", arg);
		break;
	case OPT_MIRROR:
		args.mirror = arg;
		break;
	case OPT_UNSIGNED:
		args.unsigned_ok = true;
		break;
	case OPT_KEEP:
		args.keep = true;
		break;
	case OPT_FORCE:
		args.force = true;
		break;
	case 'v':
		cli_verbose++;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "crawl takes no arguments ('%s')", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	if (list) {
		if (*n >= MAX_LIST)
			argp_error(state, "too many values (at most %d)", MAX_LIST);
		else
			list[(*n)++] = arg;
	}
	return 0;
}

/* the list ------------------------------------------------------------ */

int crawl_list_add(struct crawl_list *l, const struct crawl_kernel *k)
{
	for (size_t i = 0; i < l->n; i++) {
		struct crawl_kernel *o = &l->k[i];

		if (strcmp(o->release, k->release) || strcmp(o->arch, k->arch))
			continue;
		if (!o->image.name[0] && k->image.name[0]) {
			o->image = k->image;
			/* named after the index of its image */
			memcpy(o->suite, k->suite, sizeof(o->suite));
		}
		if (!o->dbg.name[0] && k->dbg.name[0])
			o->dbg = k->dbg;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct crawl_kernel *p = realloc(l->k, cap * sizeof(*p));

		if (!p)
			return cb_err(-ENOMEM);
		l->k = p;
		l->cap = cap;
	}
	l->k[l->n++] = *k;
	return 0;
}

void crawl_list_release(struct crawl_list *l)
{
	free(l->k);
	memset(l, 0, sizeof(*l));
}

/* jobs ---------------------------------------------------------------- */

enum phase { PH_WAIT, PH_DOWNLOAD, PH_EXTRACT, PH_PAHOLE, PH_ARCHIVE, PH_DONE };
static const char *const phase_names[] = { "waiting", "downloading", "extracting",
					   "pahole",  "archiving",   "done" };

struct job {
	struct crawl_kernel *k;
	bool archived; /* before this run */
	/* the result */
	int err;
	const char *source; /* "image" or "dbg" */
	const struct crawl_pkg *pkg;
	char btf_sha256[65], found[160], entry[PATH_MAX], note[160];
	size_t btf_size, archive_size;
	uint64_t downloaded;
	double t_download, t_extract, t_total;
	/* for the progress line */
	_Atomic int phase;
	_Atomic uint64_t have, total;
};

static struct {
	const struct crawl_distro *d;
	struct crawl_ctx ctx;
	const char *dir;
	char work[PATH_MAX];
	struct job *jobs;
	size_t n_jobs;
	_Atomic size_t next, done, failed;
	pthread_mutex_t out_lock;
	sem_t pahole; /* one pahole at a time: it uses every CPU itself */
	bool tty;
	double t0;
	uint64_t bytes_total;
	_Atomic uint64_t bytes_done;
} crawl = { .out_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP };

/* Messages of the workers, between the progress line's redraws. */
static int crawl_log(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if ((level == COOLBPF_DEBUG && cli_verbose < 2) || (level == COOLBPF_INFO && !cli_verbose))
		return 0;
	pthread_mutex_lock(&crawl.out_lock);
	if (crawl.tty)
		fputs("\r\033[K", stderr);
	if (level == COOLBPF_WARN)
		fputs("coolbpf: ", stderr);
	n = vfprintf(stderr, fmt, ap);
	pthread_mutex_unlock(&crawl.out_lock);
	return n;
}

static void on_bytes(void *ctx, uint64_t have, uint64_t total)
{
	struct job *j = ctx;

	j->have = have;
	j->total = total;
}

/* Download p; its bytes counted in the job. */
static int job_download(struct job *j, const struct crawl_pkg *p, char *path, size_t sz)
{
	struct crawl_transfer t = { .progress = on_bytes, .ctx = j };
	double t0 = mono_now();
	int err;

	j->phase = PH_DOWNLOAD;
	j->have = 0;
	j->total = p->size;
	err = crawl_get_package(&crawl.ctx, p, path, sz, &t);
	j->downloaded += t.received;
	crawl.bytes_done += t.received;
	j->t_download += mono_now() - t0;
	return err;
}

static void tmp_name(const struct job *j, const char *what, char *buf, size_t sz)
{
	if (pathf(buf, sz, "%s/%s-%s-%s", crawl.work, j->k->arch, j->k->release, what))
		buf[0] = '\0'; /* cannot happen: work is a short path */
}

/* The image's own BTF. -ENOENT: it has none (the kernel was built without). */
static int from_image(struct job *j, void **btf, size_t *len)
{
	const struct crawl_source *src = crawl.d->source;
	char pkg[PATH_MAX], img[PATH_MAX];
	double t0;
	int err = job_download(j, &j->k->image, pkg, sizeof(pkg));

	if (err)
		return err == -ENOENT ? -EIO : err;
	j->phase = PH_EXTRACT;
	t0 = mono_now();
	tmp_name(j, "vmlinuz", img, sizeof(img));
	err = pkg_extract(pkg, src->fmt, src->image_files, img, NULL, 0, NULL);
	if (!err) {
		err = btf_from_image(img, btf, len, j->found, sizeof(j->found));
		unlink(img);
	} else if (err == -ENOENT) {
		err = -EBADMSG; /* an image package without the image is not "no BTF" */
	}
	j->t_extract += mono_now() - t0;
	if (!args.keep)
		unlink(pkg);
	return err;
}

static int from_dbg(struct job *j, void **btf, size_t *len)
{
	const struct crawl_source *src = crawl.d->source;
	char pkg[PATH_MAX], vmlinux[PATH_MAX], out[PATH_MAX];
	double t0;
	int err = job_download(j, &j->k->dbg, pkg, sizeof(pkg));

	if (err)
		return err == -ENOENT ? -EIO : err;
	j->phase = PH_EXTRACT;
	t0 = mono_now();
	tmp_name(j, "vmlinux", vmlinux, sizeof(vmlinux));
	tmp_name(j, "btf", out, sizeof(out));
	err = pkg_extract(pkg, src->fmt, src->dbg_files, vmlinux, NULL, 0, NULL);
	if (!args.keep)
		unlink(pkg);
	if (!err) {
		j->phase = PH_PAHOLE;
		sem_wait(&crawl.pahole);
		err = btf_gen_vmlinux(vmlinux, out);
		sem_post(&crawl.pahole);
		unlink(vmlinux);
	}
	if (!err) {
		err = read_file(out, btf, len);
		unlink(out);
	}
	if (!err)
		snprintf(j->found, sizeof(j->found), "pahole on %.100s", j->k->dbg.name);
	j->t_extract += mono_now() - t0;
	return err;
}

static void job_run(struct job *j)
{
	struct crawl_kernel *k = j->k;
	double t0 = mono_now();
	void *btf = NULL;
	size_t len = 0;
	struct stat st;
	int err = -ENOENT;

	if (args.from != FROM_DBG && k->image.name[0]) {
		j->source = "image";
		j->pkg = &k->image;
		err = from_image(j, &btf, &len);
		if (err == -ENOENT)
			snprintf(j->note, sizeof(j->note), "image: %.140s", j->found);
		if (err == -ENOENT && args.from == FROM_AUTO && k->dbg.name[0])
			snprintf(j->note, sizeof(j->note), "the image has no BTF: from %.100s",
				 k->dbg.name);
	}
	if (err == -ENOENT && args.from != FROM_IMAGE) {
		if (!k->dbg.name[0]) {
			snprintf(j->note, sizeof(j->note), "%s",
				 args.from == FROM_DBG ?
					 "no debug package in the indexes" :
					 "no BTF in the image and no debug package");
		} else {
			j->source = "dbg";
			j->pkg = &k->dbg;
			err = from_dbg(j, &btf, &len);
		}
	} else if (err == -ENOENT && !j->note[0]) {
		snprintf(j->note, sizeof(j->note), "%s",
			 k->image.name[0] ? "no BTF in the image" : "no image package");
	}
	j->phase = PH_ARCHIVE;
	if (!err)
		err = coolbpf_btf_archive__add(crawl.dir, k->release, k->arch, btf, len, j->entry,
					       sizeof(j->entry));
	if (!err) {
		sha256_hex(btf, len, j->btf_sha256);
		j->btf_size = len;
		if (stat(j->entry, &st) == 0)
			j->archive_size = (size_t)st.st_size;
	}
	free(btf);
	if (err && !j->note[0])
		snprintf(j->note, sizeof(j->note), "%s", log_last_error());
	j->err = err;
	j->t_total = mono_now() - t0;
	j->phase = PH_DONE;
}

/* output -------------------------------------------------------------- */

static void iso_now(char *buf, size_t sz)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double round3(double v)
{
	return (double)(long long)(v * 1000 + 0.5) / 1000;
}

static void json_double(struct jw *w, const char *key, double v)
{
	char buf[32];

	jw_key(w, key);
	snprintf(buf, sizeof(buf), "%.3f", round3(v));
	jw_raw(w, buf);
}

/* The manifest's line for a job made (no newline). */
static int manifest_line(const struct job *j, struct strbuf *sb)
{
	const struct crawl_kernel *k = j->k;
	char date[32];
	struct jw w;

	iso_now(date, sizeof(date));
	jw_init(&w, sb);
	jw_begin_object(&w);
	jw_key(&w, "distro");
	jw_string(&w, crawl.d->name);
	jw_key(&w, "suite");
	jw_string(&w, k->suite);
	jw_key(&w, "arch");
	jw_string(&w, k->arch);
	jw_key(&w, "release");
	jw_string(&w, k->release);
	jw_key(&w, "version");
	jw_string(&w, j->pkg->version);
	jw_key(&w, "package");
	jw_string(&w, j->pkg->name);
	jw_key(&w, "source");
	jw_string(&w, j->source);
	jw_key(&w, "sha256");
	jw_string(&w, j->btf_sha256);
	jw_key(&w, "btf_size");
	jw_uint(&w, j->btf_size);
	jw_key(&w, "archive_size");
	jw_uint(&w, j->archive_size);
	jw_key(&w, "package_size");
	jw_uint(&w, j->pkg->size);
	jw_key(&w, "package_sha256");
	jw_string(&w, j->pkg->sha256);
	jw_key(&w, "downloaded");
	jw_uint(&w, j->downloaded);
	json_double(&w, "download_seconds", j->t_download);
	json_double(&w, "extract_seconds", j->t_extract);
	json_double(&w, "seconds", j->t_total);
	jw_key(&w, "found");
	jw_string(&w, j->found);
	jw_key(&w, "date");
	jw_string(&w, date);
	jw_end_object(&w);
	return jw_error(&w);
}

static int manifest_append(const char *line, size_t len)
{
	char path[PATH_MAX];
	int fd, err;

	if ((err = pathf(path, sizeof(path), "%s/manifest.jsonl", crawl.dir)))
		return err;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* one write per line: lines of concurrent writers never interleave */
	err = write_all(fd, line, len);
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int term_width(void)
{
	struct winsize ws;

	return ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 100;
}

/* The progress line (a terminal only): kernels, bytes, speed, jobs. */
static void draw_progress(void)
{
	struct strbuf sb = STRBUF_INIT;
	double el = mono_now() - crawl.t0;
	uint64_t done = crawl.bytes_done;
	size_t n_done = crawl.done;
	int width = term_width(), bar = 20, fill;

	for (size_t i = 0; i < crawl.n_jobs; i++) {
		const struct job *j = &crawl.jobs[i];

		if (j->phase == PH_DOWNLOAD)
			done += j->have; /* in flight */
	}
	fill = crawl.n_jobs ? (int)(n_done * (size_t)bar / crawl.n_jobs) : bar;
	strbuf_addf(&sb, "\r\033[Kcrawl: [%.*s%*s] %zu/%zu kernels, %.0f MB, %.1f MB/s", fill,
		    "####################", bar - fill, "", n_done, crawl.n_jobs,
		    (double)done / 1e6, el > 0 ? (double)done / 1e6 / el : 0.0);
	for (size_t i = 0; i < crawl.n_jobs; i++) {
		const struct job *j = &crawl.jobs[i];
		int ph = j->phase;

		if (ph == PH_WAIT || ph == PH_DONE)
			continue;
		if (ph == PH_DOWNLOAD && j->total)
			strbuf_addf(&sb, " | %s %d%%", j->k->release,
				    (int)(j->have * 100 / j->total));
		else
			strbuf_addf(&sb, " | %s %s", j->k->release, phase_names[ph]);
	}
	if (sb.len > (size_t)width + 4)
		strbuf_setlen(&sb, (size_t)width + 4); /* "\r\033[K" takes no columns */
	fputs(sb.buf, stderr);
	fflush(stderr);
	strbuf_release(&sb);
}

static void report_job(const struct job *j)
{
	struct strbuf line = STRBUF_INIT;

	pthread_mutex_lock(&crawl.out_lock);
	if (crawl.tty)
		fputs("\r\033[K", stderr);
	if (j->err) {
		cli_err("crawl: %s %s: failed%s%s", j->k->arch, j->k->release,
			j->note[0] ? ": " : "", j->note);
	} else if (manifest_line(j, &line) == 0) {
		if (strbuf_addch(&line, '\n') == 0 && manifest_append(line.buf, line.len))
			cli_err("crawl: cannot append to '%s/manifest.jsonl': %s", crawl.dir,
				strerror(errno));
		if (args.json) {
			fputs(line.buf, stdout);
		} else {
			printf("%s/%s %s: %zu bytes of BTF (%.1f MB downloaded, %.1f s)%s%s\n",
			       j->k->arch, j->k->release, j->source, j->btf_size,
			       (double)j->downloaded / 1e6, j->t_total, j->note[0] ? "; " : "",
			       j->note);
		}
		fflush(stdout);
	}
	if (crawl.tty)
		draw_progress();
	pthread_mutex_unlock(&crawl.out_lock);
	strbuf_release(&line);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		size_t i = atomic_fetch_add(&crawl.next, 1);

		if (i >= crawl.n_jobs)
			return NULL;
		job_run(&crawl.jobs[i]);
		if (crawl.jobs[i].err)
			crawl.failed++;
		crawl.done++;
		report_job(&crawl.jobs[i]);
	}
}

static void *progress_thread(void *arg)
{
	(void)arg;
	while (crawl.done < crawl.n_jobs) {
		struct timespec ts = { 0, 250 * 1000 * 1000 };

		pthread_mutex_lock(&crawl.out_lock);
		draw_progress();
		pthread_mutex_unlock(&crawl.out_lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* the plan ------------------------------------------------------------ */

static bool matches(const char *release)
{
	if (!args.n_matches)
		return true;
	for (int i = 0; i < args.n_matches; i++) {
		if (!fnmatch(args.matches[i], release, 0))
			return true;
	}
	return false;
}

static void dry_run_line(const struct job *j)
{
	const struct crawl_kernel *k = j->k;

	if (args.json) {
		struct strbuf sb = STRBUF_INIT;
		struct jw w;

		jw_init(&w, &sb);
		jw_begin_object(&w);
		jw_key(&w, "distro");
		jw_string(&w, crawl.d->name);
		jw_key(&w, "suite");
		jw_string(&w, k->suite);
		jw_key(&w, "arch");
		jw_string(&w, k->arch);
		jw_key(&w, "release");
		jw_string(&w, k->release);
		jw_key(&w, "version");
		jw_string(&w, k->image.name[0] ? k->image.version : k->dbg.version);
		jw_key(&w, "package");
		if (k->image.name[0])
			jw_string(&w, k->image.name);
		else
			jw_null(&w);
		jw_key(&w, "package_size");
		jw_uint(&w, k->image.size);
		jw_key(&w, "url");
		jw_string(&w, k->image.name[0] ? k->image.url : "");
		jw_key(&w, "dbg_package");
		if (k->dbg.name[0])
			jw_string(&w, k->dbg.name);
		else
			jw_null(&w);
		jw_key(&w, "dbg_size");
		jw_uint(&w, k->dbg.size);
		jw_key(&w, "archived");
		jw_bool(&w, j->archived);
		jw_end_object(&w);
		if (!jw_error(&w))
			printf("%s\n", sb.buf);
		strbuf_release(&sb);
	} else {
		printf("%-8s %-34s %-22s %-22s %-8s image %6.1f MB, dbg %6.1f MB\n", k->arch,
		       k->release, k->image.name[0] ? k->image.version : k->dbg.version, k->suite,
		       j->archived ? "archived" : "new", (double)k->image.size / 1e6,
		       (double)k->dbg.size / 1e6);
	}
}

static const struct crawl_distro *find_distro(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(distros); i++) {
		if (!strcmp(distros[i].name, name))
			return &distros[i];
	}
	return NULL;
}

static int list_kernels(struct crawl_list *all)
{
	char suites[512];
	int err = 0;

	if (!args.n_suites) {
		/* the distribution's default suites, comma-separated */
		char *save = NULL, *s;

		snprintf(suites, sizeof(suites), "%s", crawl.d->default_suites);
		for (s = strtok_r(suites, ",", &save); s && args.n_suites < MAX_LIST;
		     s = strtok_r(NULL, ",", &save))
			args.suites[args.n_suites++] = s;
	}
	if (!args.n_arches)
		args.arches[args.n_arches++] =
			arch_uname(host_arch()) ? arch_uname(host_arch()) : host_arch();
	for (int s = 0; !err && s < args.n_suites; s++) {
		for (int a = 0; !err && a < args.n_arches; a++) {
			size_t before = all->n;

			if (!arch_debian(args.arches[a])) {
				cli_err("crawl: unknown architecture '%s'", args.arches[a]);
				return -EINVAL;
			}
			err = crawl.d->source->list(&crawl.ctx, args.suites[s], args.arches[a],
						    all);
			if (!err && cli_verbose)
				fprintf(stderr, "coolbpf: crawl: %s %s %s: %zu kernels\n",
					crawl.d->name, args.suites[s], args.arches[a],
					all->n - before);
		}
	}
	return err;
}

/* exclusive: a cron job overrunning its interval must not start a second */
static int take_lock(void)
{
	char path[PATH_MAX];
	int fd;

	if (pathf(path, sizeof(path), "%s/.crawl.lock", crawl.dir) || mkdir_p(crawl.dir))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		cli_err("crawl: cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		cli_err("crawl: another crawl is running on '%s' (it holds '%s')", crawl.dir, path);
		close(fd);
		return -1;
	}
	return fd;
}

int cmd_btf_crawl(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	struct crawl_list all = { 0 };
	char cache[PATH_MAX];
	pthread_t *threads = NULL, prog;
	bool prog_started = false;
	int lock = -1, status = 1;
	long n_threads;

	memset(&args, 0, sizeof(args));
	args.jobs = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	crawl.d = find_distro(args.distro ? args.distro : "debian");
	if (!crawl.d) {
		cli_err("crawl: unknown distribution '%s' (debian, ubuntu, centos, alma, rocky, "
			"fedora, anolis)",
			args.distro);
		return 2;
	}
	crawl.dir = args.dir ? args.dir : getenv("COOLBPF_BTF_DIR");
	if (!crawl.dir || !*crawl.dir) {
		if (!args.dry_run) {
			cli_err("crawl: which archive? set COOLBPF_BTF_DIR or pass --dir DIR");
			return 2;
		}
		crawl.dir = NULL;
	}
	if (snprintf(cache, sizeof(cache), "%s%s", args.cache ? args.cache : cli_cache_dir(),
		     args.cache ? "" : "/crawl") >= (int)sizeof(cache))
		return 2;
	crawl.ctx = (struct crawl_ctx){
		.d = crawl.d, .cache = cache, .mirror = args.mirror, .unsigned_ok = args.unsigned_ok
	};
	if (http_unavailable()) {
		cli_err("crawl: downloads need libcurl (%s): install libcurl4", http_unavailable());
		return 1;
	}
	if (mkdir_p(cache)) {
		cli_err("crawl: cannot create '%s': %s", cache, strerror(errno));
		return 1;
	}
	if (crawl.dir && !args.dry_run && (lock = take_lock()) < 0)
		return 1;
	if (!crawl.d->tested_live && !args.mirror)
		fprintf(stderr,
			"coolbpf: crawl: note: %s's indexes are parsed as tested on "
			"excerpts, but fetching them live is not tested by coolbpf\n",
			crawl.d->name);
	if (list_kernels(&all))
		goto out;

	crawl.jobs = calloc(all.n ? all.n : 1, sizeof(*crawl.jobs));
	if (!crawl.jobs)
		goto out;
	for (size_t i = 0; i < all.n; i++) {
		struct crawl_kernel *k = &all.k[i];
		char entry[PATH_MAX];
		struct job *j;
		bool archived;

		if (!matches(k->release))
			continue;
		archived = crawl.dir && coolbpf_btf_archive__path(crawl.dir, k->release, k->arch,
								  entry, sizeof(entry)) == 0;
		if (args.dry_run) {
			struct job dj = { .k = k, .archived = archived };

			dry_run_line(&dj);
			continue;
		}
		if (archived && !args.force)
			continue;
		if (args.max && (long)crawl.n_jobs >= args.max)
			break;
		j = &crawl.jobs[crawl.n_jobs++];
		j->k = k;
		j->archived = archived;
		crawl.bytes_total += args.from == FROM_DBG ? k->dbg.size : k->image.size;
	}
	if (args.dry_run || !crawl.n_jobs) {
		if (!args.dry_run && cli_verbose)
			fprintf(stderr, "coolbpf: crawl: nothing new (%zu kernels listed)\n",
				all.n);
		status = 0;
		goto out;
	}
	if (pathf(crawl.work, sizeof(crawl.work), "%s/work", cache) || mkdir_p(crawl.work)) {
		cli_err("crawl: cannot create '%s/work'", cache);
		goto out;
	}
	sem_init(&crawl.pahole, 0, 1);
	coolbpf_set_print(crawl_log);
	log_set_print(crawl_log);
	crawl.tty = isatty(2) && !cli_verbose;
	crawl.t0 = mono_now();
	if (cli_verbose || !crawl.tty)
		fprintf(stderr, "coolbpf: crawl: %zu kernels to make (%.0f MB of packages)\n",
			crawl.n_jobs, (double)crawl.bytes_total / 1e6);
	n_threads = args.jobs < (long)crawl.n_jobs ? args.jobs : (long)crawl.n_jobs;
	threads = calloc((size_t)n_threads, sizeof(*threads));
	if (!threads)
		goto out;
	if (crawl.tty)
		prog_started = pthread_create(&prog, NULL, progress_thread, NULL) == 0;
	for (long i = 0; i < n_threads; i++) {
		if (pthread_create(&threads[i], NULL, worker, NULL)) {
			n_threads = i;
			break;
		}
	}
	if (!n_threads)
		worker(NULL);
	for (long i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	if (prog_started)
		pthread_join(prog, NULL);
	if (crawl.tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "coolbpf: crawl: %zu made, %zu failed, %.0f MB downloaded in %.1f s\n",
		crawl.n_jobs - crawl.failed, (size_t)crawl.failed, (double)crawl.bytes_done / 1e6,
		mono_now() - crawl.t0);
	status = crawl.failed ? 1 : 0;
out:
	if (lock >= 0)
		close(lock);
	cli_setup_log();
	free(threads);
	free(crawl.jobs);
	crawl_list_release(&all);
	return status;
}
