// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Symbolization. Kernel addresses: /proc/kallsyms, parsed once per
 * process on first use and shared by every coolbpf_syms. User addresses:
 * /proc/PID/maps gives the mapping and the file offset, the mapped
 * file's ELF symbols give the name (cached per coolbpf_syms).
 *
 * Every table is one sorted array of 16-byte entries plus one string
 * arena: no allocation per symbol.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "format.h"

/*
 * On the 64-bit architectures BPF traces, user space is the lower half
 * of the address space and the kernel the upper one (x86_64: kernel from
 * 0xffff800000000000, or 0xff00000000000000 with 5-level paging), so the
 * top bit tells them apart. s390's separate address spaces are not
 * handled.
 */
#if __SIZEOF_LONG__ == 8
#define KERNEL_ADDR_MIN (1ULL << 63)
#else
#define KERNEL_ADDR_MIN 0xc0000000ULL /* the usual 3G/1G split */
#endif

/* Caps that keep a corrupt or hostile file from taking all memory. */
#define SYMTAB_MAX_SYMS (8u << 20)   /* 128 MB of entries */
#define SYMTAB_MAX_STRS (256u << 20) /* must fit in sym.name */
#define SYM_NAME_MAX	1024	     /* longer names are cut */
#define ELF_MAX_LOADS	64
#define ELF_MAX_PHDRS	4096
#define VDSO_MAX_SIZE	(1u << 20)
/* a miss re-reads /proc/PID/maps (dlopen), but at most this often */
#define MAPS_RELOAD_NS 1000000000ULL

/* Grow *arr (elements of size bytes) so that it holds need elements. */
static int grow_array(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

/*
 * Index of the first of nr elements (size bytes each, starting with a
 * __u64 key, sorted by it) whose key is above key.
 */
static size_t upper_bound(const void *base, size_t nr, size_t size, __u64 key)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		__u64 k;

		memcpy(&k, (const char *)base + mid * size, sizeof(k));
		if (k <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* ---- symbol tables --------------------------------------------------- */

enum { RANK_GLOBAL, RANK_WEAK, RANK_LOCAL };

struct sym {
	__u64 addr;
	__u32 name : 30; /* offset in the name arena */
	__u32 rank : 2;	 /* among aliases the lowest rank wins, then file order */
	__u32 aux;	 /* kernel: module name offset (0: vmlinux); ELF: size (0: unknown) */
};
_Static_assert(offsetof(struct sym, addr) == 0, "upper_bound key");

struct symtab {
	struct sym *syms;
	size_t nr, cap;
	struct strbuf names; /* starts with "", so offset 0 means none */
};

static int symtab_init(struct symtab *t)
{
	memset(t, 0, sizeof(*t));
	return strbuf_addch(&t->names, '\0');
}

static void symtab_release(struct symtab *t)
{
	free(t->syms);
	strbuf_release(&t->names);
	memset(t, 0, sizeof(*t));
}

/* Add a string to the arena; its offset, or -E2BIG / -ENOMEM. */
static long symtab_intern(struct symtab *t, const char *s, size_t len)
{
	size_t off = t->names.len;

	if (off + len + 1 > SYMTAB_MAX_STRS)
		return -E2BIG;
	if (strbuf_add(&t->names, s, len) || strbuf_addch(&t->names, '\0'))
		return -ENOMEM;
	return (long)off;
}

static int symtab_add(struct symtab *t, __u64 addr, const char *name, size_t len, unsigned int rank,
		      __u32 aux)
{
	struct sym *s;
	long off;

	if (t->nr >= SYMTAB_MAX_SYMS)
		return -E2BIG;
	if (grow_array((void **)&t->syms, &t->cap, t->nr + 1, sizeof(*t->syms)))
		return -ENOMEM;
	off = symtab_intern(t, name, len);
	if (off < 0)
		return (int)off;
	s = &t->syms[t->nr++];
	s->addr = addr;
	s->name = (__u32)off;
	s->rank = rank;
	s->aux = aux;
	return 0;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* Sort, and give back what the doubling allocations left unused. */
static void symtab_finish(struct symtab *t)
{
	void *p;

	if (!t->nr)
		return;
	qsort(t->syms, t->nr, sizeof(*t->syms), sym_cmp);
	if (t->nr < t->cap && (p = realloc(t->syms, t->nr * sizeof(*t->syms)))) {
		t->syms = p;
		t->cap = t->nr;
	}
	if (t->names.len + 1 < t->names.alloc && (p = realloc(t->names.buf, t->names.len + 1))) {
		t->names.buf = p;
		t->names.alloc = t->names.len + 1;
	}
}

/* The symbol at or below addr (the preferred alias), or NULL. */
static const struct sym *symtab_find(const struct symtab *t, __u64 addr)
{
	size_t i = upper_bound(t->syms, t->nr, sizeof(*t->syms), addr);

	if (!i--)
		return NULL;
	while (i && t->syms[i - 1].addr == t->syms[i].addr)
		i--;
	return &t->syms[i];
}

static const char *symtab_name(const struct symtab *t, __u32 off)
{
	return t->names.buf + off;
}

/* ---- kallsyms -------------------------------------------------------- */

struct ksyms {
	struct symtab tab;
};

static unsigned int ksym_rank(char type)
{
	if (type == 'w' || type == 'W')
		return RANK_WEAK;
	return type >= 'A' && type <= 'Z' ? RANK_GLOBAL : RANK_LOCAL;
}

/* "ffffffff81000000 T _text" or "ffffffffc0a01000 t foo\t[mod]"; 0 or -EINVAL */
static int kallsyms_parse(char *line, __u64 *addr, char *type, char **name, char **mod)
{
	char *end;

	errno = 0;
	*addr = strtoull(line, &end, 16);
	if (errno || end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return -EINVAL;
	*type = end[1];
	*name = end + 3;
	end = *name + strcspn(*name, "\t\n");
	*mod = NULL;
	if (end[0] == '\t' && end[1] == '[') {
		*mod = end + 2;
		(*mod)[strcspn(*mod, "]\n")] = '\0';
	}
	*end = '\0';
	return **name ? 0 : -EINVAL;
}

struct ksyms *ksyms_load(const char *path)
{
	size_t line_cap = 0, nr_lines = 0, nr_zero = 0;
	char *line = NULL, *name, *mod;
	struct ksyms *ks;
	__u32 mod_off = 0; /* the last module seen: its symbols come in a row */
	__u64 addr;
	char type;
	int err = 0;
	FILE *f;

	ks = calloc(1, sizeof(*ks));
	if (!ks || symtab_init(&ks->tab)) {
		free(ks);
		return cb_err_ptr(-ENOMEM);
	}
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		pr_warn("syms: cannot open '%s': %s", path, strerror(-err));
		goto fail;
	}
	while (getline(&line, &line_cap, f) > 0) {
		if (kallsyms_parse(line, &addr, &type, &name, &mod))
			continue;
		nr_lines++;
		nr_zero += !addr;
		/* per-CPU and absolute symbols lie below the kernel: no code */
		if (addr < KERNEL_ADDR_MIN)
			continue;
		if (mod && (!mod_off || strcmp(symtab_name(&ks->tab, mod_off), mod))) {
			long off = symtab_intern(&ks->tab, mod, strlen(mod));

			if (off < 0) {
				err = (int)off;
				break;
			}
			mod_off = (__u32)off;
		}
		err = symtab_add(&ks->tab, addr, name, strlen(name), ksym_rank(type),
				 mod ? mod_off : 0);
		if (err)
			break;
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	free(line);
	if (err) {
		pr_warn("syms: cannot load '%s': %s", path, strerror(-err));
		goto fail;
	}
	if (!ks->tab.nr) {
		if (nr_lines && nr_zero == nr_lines) {
			err = -EPERM;
			pr_warn("syms: '%s' shows only zero addresses (kernel.kptr_restrict, or "
				"not root): kernel symbols unavailable",
				path);
		} else {
			err = -ENOENT;
			pr_warn("syms: no kernel symbol in '%s'", path);
		}
		goto fail;
	}
	symtab_finish(&ks->tab);
	return ks;
fail:
	ksyms_free(ks);
	return cb_err_ptr(err);
}

int ksyms_format(const struct ksyms *ks, __u64 addr, char *buf, size_t buf_sz)
{
	const struct sym *s = ks ? symtab_find(&ks->tab, addr) : NULL;
	unsigned long long off;

	if (!s) {
		snprintf(buf, buf_sz, "[unknown]");
		return cb_err(-ENOENT);
	}
	off = addr - s->addr;
	if (s->aux)
		snprintf(buf, buf_sz, "%s+0x%llx [%s]", symtab_name(&ks->tab, s->name), off,
			 symtab_name(&ks->tab, s->aux));
	else
		snprintf(buf, buf_sz, "%s+0x%llx", symtab_name(&ks->tab, s->name), off);
	return 0;
}

size_t ksyms_count(const struct ksyms *ks)
{
	return ks ? ks->tab.nr : 0;
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	symtab_release(&ks->tab);
	free(ks);
}

/* The process-wide kernel table: loaded once, never freed. */
static pthread_mutex_t kernel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ksyms *kernel_ksyms;
static int kernel_err; /* a failure that will not pass by retrying */

int ksyms_kernel(const struct ksyms **ks)
{
	int err;

	pthread_mutex_lock(&kernel_lock);
	if (!kernel_ksyms && !kernel_err) {
		kernel_ksyms = ksyms_load("/proc/kallsyms");
		err = kernel_ksyms ? 0 : -errno;
		/* hidden addresses stay hidden; memory or I/O may come back */
		if (err == -EPERM || err == -ENOENT)
			kernel_err = err;
	} else {
		err = kernel_err;
		if (err)
			pr_warn("syms: kernel symbols unavailable: %s", strerror(-err));
	}
	*ks = kernel_ksyms;
	pthread_mutex_unlock(&kernel_lock);
	return err ? cb_err(err) : 0;
}

/* ---- ELF files ------------------------------------------------------- */

struct elf_load {
	__u64 off, filesz, vaddr;
};

struct elf_syms {
	struct symtab tab;
	struct elf_load *loads;
	size_t nr_loads;
};

static unsigned int elf_rank(unsigned char info)
{
	switch (GELF_ST_BIND(info)) {
	case STB_GLOBAL:
	case STB_GNU_UNIQUE:
		return RANK_GLOBAL;
	case STB_WEAK:
		return RANK_WEAK;
	default:
		return RANK_LOCAL;
	}
}

static int elf_read_loads(Elf *elf, struct elf_syms *es)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	if (n > ELF_MAX_PHDRS)
		n = ELF_MAX_PHDRS;
	es->loads = calloc(ELF_MAX_LOADS, sizeof(*es->loads));
	if (!es->loads)
		return -ENOMEM;
	for (size_t i = 0; i < n && es->nr_loads < ELF_MAX_LOADS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		es->loads[es->nr_loads++] = (struct elf_load){
			.off = ph.p_offset,
			.filesz = ph.p_filesz,
			.vaddr = ph.p_vaddr,
		};
	}
	return es->nr_loads ? 0 : -ENOEXEC;
}

/* Add the defined functions of one symbol table section. */
static int elf_read_symtab(Elf *elf, Elf_Scn *scn, size_t file_sz, struct symtab *t)
{
	size_t n, esz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	Elf_Data *data;
	GElf_Shdr sh;

	if (!esz || !gelf_getshdr(scn, &sh) || sh.sh_size > file_sz)
		return -ENOEXEC;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || data->d_type != ELF_T_SYM)
		return -ENOEXEC;
	n = data->d_size / esz;
	if (n > INT_MAX)
		n = INT_MAX;
	for (size_t i = 1; i < n; i++) {
		const char *name;
		GElf_Sym sym;
		int type, err;

		if (!gelf_getsym(data, (int)i, &sym))
			return -ENOEXEC;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		err = symtab_add(t, sym.st_value, name, strnlen(name, SYM_NAME_MAX),
				 elf_rank(sym.st_info),
				 sym.st_size > UINT32_MAX ? UINT32_MAX : (__u32)sym.st_size);
		if (err == -E2BIG)
			break; /* capped: keep what fits */
		if (err)
			return err;
	}
	return 0;
}

static struct elf_syms *elf_syms_read(Elf *elf, size_t file_sz, const char *name)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	struct elf_syms *es = NULL;
	GElf_Ehdr eh;
	int err;

	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		err = -ENOEXEC;
		goto fail;
	}
	es = calloc(1, sizeof(*es));
	if (!es || symtab_init(&es->tab)) {
		err = -ENOMEM;
		goto fail;
	}
	err = elf_read_loads(elf, es);
	if (err)
		goto fail;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			break;
		if (sh.sh_type == SHT_SYMTAB && !symtab)
			symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM && !dynsym)
			dynsym = scn;
	}
	/* a broken .symtab is no worse than none: .dynsym may still serve */
	if (symtab)
		err = elf_read_symtab(elf, symtab, file_sz, &es->tab);
	if (err != -ENOMEM && !es->tab.nr && dynsym)
		err = elf_read_symtab(elf, dynsym, file_sz, &es->tab);
	if (err == -ENOMEM)
		goto fail;
	symtab_finish(&es->tab);
	return es;
fail:
	pr_debug("syms: cannot read symbols of '%s': %s (%s)", name, strerror(-err),
		 elf_errmsg(-1));
	elf_syms_free(es);
	return cb_err_ptr(err);
}

struct elf_syms *elf_syms_open_fd(int fd, const char *name)
{
	struct elf_syms *es;
	struct stat st;
	Elf *elf;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return cb_err_ptr(-ENOEXEC);
	elf_version(EV_CURRENT);
	/* ELF_C_READ, not mmap: a file truncated under us must not SIGBUS */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	es = elf_syms_read(elf, (size_t)st.st_size, name);
	elf_end(elf);
	return es;
}

struct elf_syms *elf_syms_open_mem(void *data, size_t sz, const char *name)
{
	struct elf_syms *es;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_memory(data, sz);
	es = elf_syms_read(elf, sz, name);
	elf_end(elf);
	return es;
}

int elf_syms_find(const struct elf_syms *es, __u64 file_off, const char **name, __u64 *off)
{
	const struct sym *s;
	__u64 vaddr = 0;
	size_t i;

	for (i = 0; i < es->nr_loads; i++) {
		const struct elf_load *l = &es->loads[i];

		if (file_off >= l->off && file_off - l->off < l->filesz) {
			vaddr = file_off - l->off + l->vaddr;
			break;
		}
	}
	if (i == es->nr_loads)
		return cb_err(-ENOENT);
	s = symtab_find(&es->tab, vaddr);
	if (!s || (s->aux && vaddr - s->addr >= s->aux))
		return cb_err(-ENOENT);
	*name = symtab_name(&es->tab, s->name);
	*off = vaddr - s->addr;
	return 0;
}

size_t elf_syms_count(const struct elf_syms *es)
{
	return es ? es->tab.nr : 0;
}

void elf_syms_free(struct elf_syms *es)
{
	if (!es)
		return;
	symtab_release(&es->tab);
	free(es->loads);
	free(es);
}

/* ---- processes ------------------------------------------------------- */

struct umap {
	__u64 start, end, off, ino;
	__u32 dev;
	__u32 path; /* offset in syms->paths */
	int elf;    /* index in syms->elfs, -1 until needed */
	bool deleted, vdso;
};
_Static_assert(offsetof(struct umap, start) == 0, "upper_bound key");

/* One mapped file's symbols, or why there are none. */
struct elf_ent {
	__u64 ino;
	__u32 dev;
	bool vdso;
	int err;
	char *path;
	struct elf_syms *es;
};

struct coolbpf_syms {
	int pid;
	bool ktried;
	int kerr;
	const struct ksyms *ksyms;
	struct umap *maps;
	size_t nr_maps;
	struct strbuf paths;
	__u64 maps_ns; /* when maps were last read (0: never) */
	int maps_err;
	struct elf_ent *elfs;
	size_t nr_elfs, cap_elfs;
};

/* "start-end perms offset major:minor inode   path" */
static int maps_parse(char *line, struct umap *m, char **path)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	int n = 0;

	if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu %n", &start, &end, &off, &maj, &min, &ino,
		   &n) < 6 ||
	    !n || start >= end)
		return -EINVAL;
	*m = (struct umap){
		.start = start,
		.end = end,
		.off = off,
		.ino = ino,
		.dev = (__u32)makedev(maj, min),
		.elf = -1,
	};
	*path = line + n;
	return 0;
}

/* Read /proc/PID/maps, keeping the file-backed mappings and [vdso]. */
static int maps_load(struct coolbpf_syms *syms)
{
	static const char deleted[] = " (deleted)";
	struct strbuf paths = STRBUF_INIT;
	struct umap *maps = NULL, m;
	size_t nr = 0, cap = 0, len;
	char proc[64], *data, *line, *next, *path;
	int err;

	snprintf(proc, sizeof(proc), "/proc/%d/maps", syms->pid);
	syms->maps_ns = now_ns();
	err = read_file(proc, (void **)&data, &len);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	for (line = data; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (maps_parse(line, &m, &path))
			continue;
		m.vdso = !strcmp(path, "[vdso]");
		if (path[0] != '/' && !m.vdso)
			continue; /* anonymous, heap, stack */
		if (str_has_suffix(path, deleted)) {
			path[strlen(path) - strlen(deleted)] = '\0';
			m.deleted = true;
		}
		m.path = (__u32)paths.len;
		if (grow_array((void **)&maps, &cap, nr + 1, sizeof(*maps)) ||
		    strbuf_add(&paths, path, strlen(path) + 1)) {
			err = -ENOMEM;
			break;
		}
		maps[nr++] = m;
	}
	free(data);
	/* an exiting process shows no mapping: keep what was known */
	if (err || (!nr && syms->nr_maps)) {
		free(maps);
		strbuf_release(&paths);
		return err;
	}
	free(syms->maps);
	strbuf_release(&syms->paths);
	syms->maps = maps;
	syms->nr_maps = nr;
	syms->paths = paths;
	return 0;
}

static struct umap *maps_find(struct coolbpf_syms *syms, __u64 addr)
{
	size_t i = upper_bound(syms->maps, syms->nr_maps, sizeof(*syms->maps), addr);

	return i && addr < syms->maps[i - 1].end ? &syms->maps[i - 1] : NULL;
}

/* The mapped file: through map_files (works for deleted files), then
 * the process's root (its mount namespace), then the path as we see it. */
static struct elf_syms *file_open(const struct coolbpf_syms *syms, const struct umap *m,
				  const char *path)
{
	char cand[PATH_MAX + 64];
	struct elf_syms *es;
	struct stat st;
	int fd, n = -1;

	for (int i = 0; i < 3; i++) {
		if (i == 0)
			n = snprintf(cand, sizeof(cand), "/proc/%d/map_files/%llx-%llx", syms->pid,
				     (unsigned long long)m->start, (unsigned long long)m->end);
		else if (i == 1)
			n = snprintf(cand, sizeof(cand), "/proc/%d/root%s", syms->pid, path);
		else
			n = snprintf(cand, sizeof(cand), "%s", path);
		if (n < 0 || (size_t)n >= sizeof(cand))
			continue;
		fd = open(cand, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		/* a path to a deleted file now names another file */
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
		    (m->deleted && (__u64)st.st_ino != m->ino)) {
			close(fd);
			continue;
		}
		es = elf_syms_open_fd(fd, path);
		close(fd);
		return es;
	}
	pr_debug("syms: cannot open '%s' mapped by pid %d", path, syms->pid);
	return cb_err_ptr(-ENOENT);
}

/* The vDSO exists only in memory: read it from /proc/PID/mem. */
static struct elf_syms *vdso_open(const struct coolbpf_syms *syms, const struct umap *m)
{
	size_t sz = m->end - m->start;
	struct elf_syms *es;
	char proc[64];
	void *img;
	ssize_t r;
	int fd, err;

	if (sz > VDSO_MAX_SIZE)
		return cb_err_ptr(-E2BIG);
	snprintf(proc, sizeof(proc), "/proc/%d/mem", syms->pid);
	fd = open(proc, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cb_err_ptr(-errno);
	img = malloc(sz);
	if (!img) {
		close(fd);
		return cb_err_ptr(-ENOMEM);
	}
	r = pread(fd, img, sz, (off_t)m->start);
	err = r < 0 ? -errno : -EIO;
	close(fd);
	es = r == (ssize_t)sz ? elf_syms_open_mem(img, sz, "[vdso]") : cb_err_ptr(err);
	free(img);
	return es;
}

/* The symbols of a mapping's file, loaded once per file per syms. */
static const struct elf_ent *map_elf(struct coolbpf_syms *syms, struct umap *m)
{
	const char *path = syms->paths.buf + m->path;
	struct elf_ent *e;
	size_t i;

	if (m->elf >= 0)
		return &syms->elfs[m->elf];
	for (i = 0; i < syms->nr_elfs; i++) {
		e = &syms->elfs[i];
		if (e->vdso == m->vdso && e->dev == m->dev && e->ino == m->ino &&
		    !strcmp(e->path, path))
			break;
	}
	if (i == syms->nr_elfs) {
		if (grow_array((void **)&syms->elfs, &syms->cap_elfs, i + 1, sizeof(*e)))
			return NULL;
		e = &syms->elfs[i];
		*e = (struct elf_ent){ .ino = m->ino, .dev = m->dev, .vdso = m->vdso };
		e->path = strdup(path);
		if (!e->path)
			return NULL;
		e->es = m->vdso ? vdso_open(syms, m) : file_open(syms, m, path);
		e->err = e->es ? 0 : -errno;
		syms->nr_elfs++;
	}
	m->elf = (int)i;
	return &syms->elfs[i];
}

static int resolve_user(struct coolbpf_syms *syms, __u64 addr, char *buf, size_t buf_sz)
{
	const struct elf_ent *e;
	const char *name, *path, *base;
	struct umap *m;
	__u64 off;
	int err;

	m = maps_find(syms, addr);
	if (!m && (!syms->maps_ns || now_ns() - syms->maps_ns >= MAPS_RELOAD_NS)) {
		err = maps_load(syms);
		if (err && !syms->nr_maps) {
			if (err != syms->maps_err)
				pr_warn("syms: cannot read the mappings of pid %d: %s", syms->pid,
					err == -ESRCH ? "process exited" : strerror(-err));
			syms->maps_err = err;
			snprintf(buf, buf_sz, "[unknown]");
			return cb_err(err);
		}
		m = maps_find(syms, addr);
	}
	if (!m) {
		snprintf(buf, buf_sz, "[unknown]");
		return cb_err(-ENOENT);
	}
	path = syms->paths.buf + m->path;
	e = map_elf(syms, m);
	if (!e) {
		snprintf(buf, buf_sz, "[unknown] (%s)", path);
		return cb_err(-ENOMEM);
	}
	if (e->err || elf_syms_find(e->es, addr - m->start + m->off, &name, &off)) {
		snprintf(buf, buf_sz, m->vdso ? "%s" : "[unknown] (%s)", path);
		return cb_err(-ENOENT);
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(buf, buf_sz, "%s+0x%llx (%s)", name, (unsigned long long)off, base);
	return 0;
}

static int resolve_kernel(struct coolbpf_syms *syms, __u64 addr, char *buf, size_t buf_sz)
{
	if (!syms->ktried) {
		syms->kerr = ksyms_kernel(&syms->ksyms);
		syms->ktried = true;
	}
	if (syms->kerr) {
		snprintf(buf, buf_sz, "[unknown]");
		return cb_err(syms->kerr);
	}
	return ksyms_format(syms->ksyms, addr, buf, buf_sz);
}

struct coolbpf_syms *coolbpf_syms__new(int pid)
{
	struct coolbpf_syms *syms;

	if (pid < 0)
		return cb_err_ptr(-EINVAL);
	syms = calloc(1, sizeof(*syms));
	if (!syms)
		return cb_err_ptr(-ENOMEM);
	syms->pid = pid;
	return syms;
}

int coolbpf_syms__resolve(struct coolbpf_syms *syms, __u64 addr, char *buf, size_t buf_sz)
{
	if (!syms || (!buf && buf_sz))
		return cb_err(-EINVAL);
	if (addr >= KERNEL_ADDR_MIN)
		return resolve_kernel(syms, addr, buf, buf_sz);
	if (!syms->pid) {
		snprintf(buf, buf_sz, "[unknown]");
		return cb_err(-ENOENT);
	}
	return resolve_user(syms, addr, buf, buf_sz);
}

void coolbpf_syms__free(struct coolbpf_syms *syms)
{
	if (!syms)
		return;
	for (size_t i = 0; i < syms->nr_elfs; i++) {
		elf_syms_free(syms->elfs[i].es);
		free(syms->elfs[i].path);
	}
	free(syms->elfs);
	free(syms->maps);
	strbuf_release(&syms->paths);
	free(syms);
}
