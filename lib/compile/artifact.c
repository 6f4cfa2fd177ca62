// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compiled artifact: clang's CO-RE object with its DWARF sections
 * emptied (.BTF and .BTF.ext stay: libbpf needs them), plus sections that
 * libbpf skips when loading ("skipping unrecognized data section"):
 *
 *   .lbc.minbtf   the target kernel's BTF reduced to what the object's
 *                 CO-RE relocations use (bpftool gen min_core_btf,
 *                 run on the program's slim BTF when there is one)
 *   .lbc.target   "<kernel release>\0<BTF identity hex>\0<arch>\0"
 *   .lbc.kernels  compiled for more kernels: theirs, each distinct min BTF
 *                 once (the layout is in lib/btf/btf.h)
 *
 * CO-RE relocates by name, so one object serves every kernel whose types
 * have the names it reads; only the min BTF differs per kernel, and for
 * kernels of one series it is often the same bytes.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "compile.h"

#define TOOL_LOG_MAX (64 * 1024)

static int run_tool(const char *what, const char *const argv[])
{
	struct strbuf out = STRBUF_INIT;
	int rc = run_argv(argv, &out, TOOL_LOG_MAX);

	if (rc) {
		if (rc < 0)
			pr_warn("compile: cannot run '%s': %s\n", argv[0], strerror(-rc));
		else
			pr_warn("compile: %s failed (exit %d): %s\n", what, rc, strbuf_str(&out));
	} else if (out.len) {
		pr_debug("compile: %s: %s\n", what, out.buf);
	}
	strbuf_release(&out);
	return rc;
}

static bool is_debug_name(const char *name)
{
	return name && (str_has_prefix(name, ".debug_") || str_has_prefix(name, ".rel.debug_") ||
			str_has_prefix(name, ".rela.debug_"));
}

/*
 * What "llvm-objcopy --strip-debug --add-section" did, in process (the
 * tool alone took 15 ms to start): every section is copied but DWARF's,
 * which are left empty so that section indices and symbols stay valid
 * (libbpf skips .debug_* sections and relocations of non-code sections),
 * then the two .lbc.* sections are appended.
 */
struct added_section {
	const void *buf;
	size_t sz;
	size_t name; /* offset in names[] */
};

static int elf_rewrite(const char *in_path, const char *out_path, const struct added_section *add,
		       size_t n_add)
{
	static const char names[] =
		ARTIFACT_MINBTF_SEC "\0" ARTIFACT_TARGET_SEC "\0" ARTIFACT_KERNELS_SEC;
	int in = open(in_path, O_RDONLY | O_CLOEXEC), out = -1, err = -EINVAL;
	Elf *ie = NULL, *oe = NULL;
	char *shstr = NULL;
	size_t shstrndx, shstr_sz = 0;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	if (in < 0)
		return -errno;
	out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		err = -errno;
		goto out;
	}
	if (elf_version(EV_CURRENT) == EV_NONE || !(ie = elf_begin(in, ELF_C_READ, NULL)) ||
	    !gelf_getehdr(ie, &eh) || elf_getshdrstrndx(ie, &shstrndx) ||
	    !(oe = elf_begin(out, ELF_C_WRITE, NULL)) || !gelf_newehdr(oe, gelf_getclass(ie)))
		goto out;
	while ((scn = elf_nextscn(ie, scn))) {
		Elf_Scn *o = elf_newscn(oe);
		Elf_Data *d = elf_getdata(scn, NULL), *od;
		GElf_Shdr sh;

		if (!o || !gelf_getshdr(scn, &sh) || !(od = elf_newdata(o)))
			goto out;
		if (d) {
			od->d_buf = d->d_buf;
			od->d_size = d->d_size;
			od->d_type = d->d_type;
			od->d_align = d->d_align;
			od->d_version = d->d_version;
		}
		if (is_debug_name(elf_strptr(ie, shstrndx, sh.sh_name))) {
			od->d_buf = NULL;
			od->d_size = 0;
			od->d_type = ELF_T_BYTE;
		}
		if (elf_ndxscn(scn) == shstrndx && d) {
			/* the section names, plus ours */
			shstr_sz = d->d_size + sizeof(names);
			shstr = malloc(shstr_sz);
			if (!shstr) {
				err = -ENOMEM;
				goto out;
			}
			memcpy(shstr, d->d_buf, d->d_size);
			memcpy(shstr + d->d_size, names, sizeof(names));
			od->d_buf = shstr;
			od->d_size = shstr_sz;
		}
		if (!gelf_update_shdr(o, &sh))
			goto out;
	}
	if (!shstr)
		goto out;
	for (size_t i = 0; i < n_add; i++) {
		Elf_Scn *o = elf_newscn(oe);
		Elf_Data *od = o ? elf_newdata(o) : NULL;
		GElf_Shdr sh = { 0 };

		if (!od || !gelf_getshdr(o, &sh))
			goto out;
		od->d_buf = (void *)(uintptr_t)add[i].buf;
		od->d_size = add[i].sz;
		od->d_type = ELF_T_BYTE;
		od->d_align = 4;
		od->d_version = EV_CURRENT;
		sh.sh_name = (GElf_Word)(shstr_sz - sizeof(names) + add[i].name);
		sh.sh_type = SHT_PROGBITS;
		sh.sh_addralign = 4;
		if (!gelf_update_shdr(o, &sh))
			goto out;
	}
	{
		GElf_Ehdr oh;

		if (!gelf_getehdr(oe, &oh))
			goto out;
		memcpy(oh.e_ident, eh.e_ident, sizeof(oh.e_ident));
		oh.e_type = eh.e_type;
		oh.e_machine = eh.e_machine;
		oh.e_version = eh.e_version;
		oh.e_flags = eh.e_flags;
		oh.e_shstrndx = eh.e_shstrndx;
		if (!gelf_update_ehdr(oe, &oh) || elf_update(oe, ELF_C_WRITE) < 0)
			goto out;
	}
	err = 0;
out:
	if (err == -EINVAL)
		pr_warn("compile: cannot rewrite '%s' into '%s': %s\n", in_path, out_path,
			elf_errmsg(-1));
	elf_end(oe);
	elf_end(ie);
	free(shstr);
	if (out >= 0)
		close(out);
	close(in);
	return err;
}

/* bpftool gen min_core_btf: what obj's relocations use of core_btf, read
 * into *min (NULL when bpftool failed: the kernel goes without). */
static void min_core_btf(const struct compile_tools *tools, const char *core_btf,
			 const char *obj_path, const char *out, void **min, size_t *min_sz)
{
	const char *argv[] = {
		tools->bpftool, "gen", "min_core_btf", core_btf, out, obj_path, NULL
	};

	*min = NULL;
	*min_sz = 0;
	if (run_tool("bpftool gen min_core_btf", argv) == 0 &&
	    read_file_max(out, BTF_FILE_MAX, min, min_sz))
		*min = NULL;
	unlink(out);
}

static void put32(struct strbuf *sb, size_t off, uint32_t v)
{
	unsigned char *p = (unsigned char *)sb->buf + off;

	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

struct carried {
	char release[256];
	void *min;
	size_t min_sz;
};

/* The min BTF of one more kernel: its BTF found as the compile target's
 * was, cut to the program when the program's slim header served, then
 * min_core_btf. */
static int extra_min_btf(const struct compile_tools *tools, const char *obj_path,
			 const struct artifact_targets *at, const char *release, const char *tmpdir,
			 struct carried *c)
{
	struct btf_query q = *at->query;
	struct btf_choice t = { .memfd = -1 };
	struct strbuf hdr = STRBUF_INIT;
	char unpack[PATH_MAX], slim[PATH_MAX], out[PATH_MAX];
	const char *core;
	int err;

	if (pathf(unpack, sizeof(unpack), "%s/kernels", tmpdir) ||
	    pathf(slim, sizeof(slim), "%s/kernels/slim.btf", tmpdir) ||
	    pathf(out, sizeof(out), "%s/kernels/min.btf", tmpdir))
		return -ENAMETOOLONG;
	q.release = release;
	q.explicit_path = NULL;
	/* unpacked into the compile's scratch directory: gone with it */
	q.unpack_dir = unpack;
	err = btf_choose(&q, BTF_FOR_COMPILE, &t);
	if (err)
		return err;
	core = t.path;
	if (at->slim && slim_vmlinux_h(t.path, at->slim, &hdr, slim, NULL) == 0)
		core = slim;
	min_core_btf(tools, core, obj_path, out, &c->min, &c->min_sz);
	if (!c->min) {
		pr_warn("compile: no min BTF for kernel %s: bpftool could not make it\n", release);
		err = -EINVAL;
	}
	strlcpy_cb(c->release, release, sizeof(c->release));
	if (core == slim)
		unlink(slim);
	if (t.path[0] && str_has_prefix(t.path, unpack))
		unlink(t.path);
	strbuf_release(&hdr);
	btf_choice_release(&t);
	return err;
}

/* .lbc.kernels for the kernels after the first, each distinct blob once. */
static int kernels_section(const struct carried *k, size_t n, const void *primary,
			   size_t primary_sz, const char *arch, struct strbuf *sb)
{
	uint32_t *blob = calloc(n, sizeof(*blob));
	size_t strs;
	int err = blob ? strbuf_add(sb, KERNELS_MAGIC, 4) : -ENOMEM;

	for (size_t i = 0; !err && i < 12 + n * KERNELS_ENT_SZ; i++)
		err = strbuf_addch(sb, 0);
	if (err)
		goto out;
	put32(sb, 4, KERNELS_VERSION);
	put32(sb, 8, (uint32_t)n);
	/* the arch once, then each release */
	strs = sb->len;
	err = strbuf_add(sb, arch, strlen(arch) + 1);
	for (size_t i = 0; !err && i < n; i++) {
		put32(sb, KERNELS_HDR_SZ + i * KERNELS_ENT_SZ, (uint32_t)sb->len);
		put32(sb, KERNELS_HDR_SZ + i * KERNELS_ENT_SZ + 4, (uint32_t)strs);
		err = strbuf_add(sb, k[i].release, strlen(k[i].release) + 1);
	}
	for (size_t i = 0; !err && i < n; i++) {
		size_t e = KERNELS_HDR_SZ + i * KERNELS_ENT_SZ, j;

		if (k[i].min_sz == primary_sz && !memcmp(k[i].min, primary, primary_sz)) {
			blob[i] = KERNELS_BTF_IS_MINBTF;
		} else {
			for (j = 0; j < i; j++) {
				if (k[j].min_sz == k[i].min_sz &&
				    !memcmp(k[j].min, k[i].min, k[i].min_sz))
					break;
			}
			if (j < i) {
				blob[i] = blob[j]; /* the same bytes as an earlier kernel's */
			} else {
				while (!err && sb->len % 4)
					err = strbuf_addch(sb, 0);
				blob[i] = (uint32_t)sb->len;
				err = err ?: strbuf_add(sb, k[i].min, k[i].min_sz);
			}
		}
		put32(sb, e + 8, blob[i]);
		put32(sb, e + 12, (uint32_t)k[i].min_sz);
	}
out:
	free(blob);
	return err;
}

/* The event types of output maps the source did not name, found from the
 * DWARF before it is emptied (lib/btf/evtype.c), written into obj_path. */
static int record_event_types(const char *obj_path, const char *const *overrides)
{
	void *elf = NULL, *img = NULL;
	size_t sz = 0, img_sz = 0;
	int err = read_file(obj_path, &elf, &sz);

	if (!err)
		err = evtype_record(elf, sz, overrides, &img, &img_sz);
	if (!err && img)
		err = write_file_atomic(obj_path, img, img_sz);
	if (err)
		pr_warn("compile: cannot record the event types of '%s': %s\n", obj_path,
			strerror(-err));
	free(elf);
	free(img);
	return err;
}

int artifact_build(const struct compile_tools *tools, const char *obj_path,
		   const struct artifact_targets *at, const char *tmpdir, void **out,
		   size_t *out_sz)
{
	const struct btf_choice *t = at->t;
	char btf[PATH_MAX], art[PATH_MAX], kdir[PATH_MAX];
	struct strbuf tgt = STRBUF_INIT, ks = STRBUF_INIT;
	struct carried *extra = NULL;
	size_t n_extra = 0, n_add = 2;
	void *min = NULL;
	size_t min_sz = 0;
	int err;

	if (pathf(btf, sizeof(btf), "%s/min.btf", tmpdir) ||
	    pathf(art, sizeof(art), "%s/artifact.o", tmpdir) ||
	    pathf(kdir, sizeof(kdir), "%s/kernels", tmpdir))
		return cb_err(-ENAMETOOLONG);

	err = record_event_types(obj_path, at->event_types);
	if (err)
		return cb_err(err);
	/* An object without CO-RE relocations still gets a (nearly empty)
	 * BTF; a failure only costs the artifact its min BTF. */
	min_core_btf(tools, at->core_btf, obj_path, btf, &min, &min_sz);
	err = strbuf_add(&tgt, t->release, strlen(t->release) + 1);
	if (!err)
		err = strbuf_add(&tgt, t->id, strlen(t->id) + 1);
	if (!err)
		err = strbuf_add(&tgt, t->arch, strlen(t->arch) + 1);
	for (const char *const *k = at->kernels; !err && k && *k; k++)
		n_extra++;
	if (!err && n_extra) {
		extra = calloc(n_extra, sizeof(*extra));
		err = extra ? mkdir_p(kdir) : -ENOMEM;
		for (size_t i = 0; !err && i < n_extra; i++) {
			err = extra_min_btf(tools, obj_path, at, at->kernels[i], tmpdir, &extra[i]);
			if (!err)
				pr_info("compile: carries min BTF of %s: %zu bytes\n",
					at->kernels[i], extra[i].min_sz);
		}
		if (!err && !min) {
			pr_warn("compile: no min BTF for %s, the first of the kernels: cannot carry "
				"the others'\n",
				t->release);
			err = -EINVAL;
		}
		if (!err)
			err = kernels_section(extra, n_extra, min, min_sz, t->arch, &ks);
		n_add = 3;
	}
	if (!err) {
		const struct added_section add[] = {
			{ min, min ? min_sz : 0, 0 },
			{ tgt.buf, tgt.len, sizeof(ARTIFACT_MINBTF_SEC) },
			{ ks.buf, ks.len,
			  sizeof(ARTIFACT_MINBTF_SEC) + sizeof(ARTIFACT_TARGET_SEC) },
		};

		err = elf_rewrite(obj_path, art, add, n_add);
	}
	for (size_t i = 0; extra && i < n_extra; i++)
		free(extra[i].min);
	free(extra);
	strbuf_release(&tgt);
	strbuf_release(&ks);
	free(min);
	if (err)
		return cb_err(err);
	err = read_file_max(art, COMPILE_OBJECT_MAX, out, out_sz);
	if (err)
		pr_warn("compile: cannot read '%s': %s\n", art, strerror(-err));
	return err;
}
