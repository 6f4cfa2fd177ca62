// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compiled artifact: clang's CO-RE object with its DWARF sections
 * emptied (.BTF and .BTF.ext stay: libbpf needs them), plus two sections that
 * libbpf skips when loading ("skipping unrecognized data section"):
 *
 *   .lbc.minbtf   the target kernel's BTF reduced to what the object's
 *                 CO-RE relocations use (bpftool gen min_core_btf,
 *                 run on the program's slim BTF when there is one)
 *   .lbc.target   "<kernel release>\0<BTF identity hex>\0"
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
static int elf_rewrite(const char *in_path, const char *out_path, const void *btf, size_t btf_sz,
		       const void *tgt, size_t tgt_sz)
{
	static const char names[] = ARTIFACT_MINBTF_SEC "\0" ARTIFACT_TARGET_SEC;
	const struct {
		const void *buf;
		size_t sz;
		size_t name;
	} add[] = {
		{ btf, btf_sz, 0 },
		{ tgt, tgt_sz, sizeof(ARTIFACT_MINBTF_SEC) },
	};
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
	for (size_t i = 0; i < ARRAY_SIZE(add); i++) {
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

int artifact_build(const struct compile_tools *tools, const char *obj_path, const char *core_btf,
		   const struct btf_choice *t, const char *tmpdir, void **out, size_t *out_sz)
{
	char btf[PATH_MAX], art[PATH_MAX];
	struct strbuf tgt = STRBUF_INIT;
	void *min = NULL;
	size_t min_sz = 0;
	int err;

	if (pathf(btf, sizeof(btf), "%s/min.btf", tmpdir) ||
	    pathf(art, sizeof(art), "%s/artifact.o", tmpdir))
		return cb_err(-ENAMETOOLONG);

	/* An object without CO-RE relocations still gets a (nearly empty)
	 * BTF; a failure only costs the artifact its min BTF. */
	{
		const char *argv[] = { tools->bpftool, "gen", "min_core_btf", core_btf, btf,
				       obj_path,       NULL };

		if (run_tool("bpftool gen min_core_btf", argv) == 0 &&
		    read_file(btf, &min, &min_sz))
			min = NULL;
	}
	err = strbuf_add(&tgt, t->release, strlen(t->release) + 1);
	if (!err)
		err = strbuf_add(&tgt, t->id, strlen(t->id) + 1);
	if (!err)
		err = elf_rewrite(obj_path, art, min, min ? min_sz : 0, tgt.buf, tgt.len);
	strbuf_release(&tgt);
	free(min);
	if (err)
		return cb_err(err);
	err = read_file(art, out, out_sz);
	if (err)
		pr_warn("compile: cannot read '%s': %s\n", art, strerror(-err));
	return err;
}
