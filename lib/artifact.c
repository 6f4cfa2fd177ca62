// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compiled artifact: clang's CO-RE object without DWARF (.BTF and
 * .BTF.ext stay: libbpf needs them), plus two non-alloc sections that
 * libbpf skips when loading ("skipping unrecognized data section"):
 *
 *   .lbc.minbtf   the target kernel's BTF reduced to what the object's
 *                 CO-RE relocations use (bpftool gen min_core_btf)
 *   .lbc.target   "<kernel release>\0<BTF identity hex>\0"
 */
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

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

int artifact_build(const struct compile_tools *tools, const char *obj_path,
		   const struct compile_target *t, const char *tmpdir, void **out, size_t *out_sz)
{
	char btf[PATH_MAX], target[PATH_MAX], art[PATH_MAX], add_btf[PATH_MAX + 16],
		add_target[PATH_MAX + 16];
	struct strbuf tgt = STRBUF_INIT;
	bool have_btf;
	int err;

	if (snprintf(btf, sizeof(btf), "%s/min.btf", tmpdir) >= (int)sizeof(btf) ||
	    snprintf(target, sizeof(target), "%s/target", tmpdir) >= (int)sizeof(target) ||
	    snprintf(art, sizeof(art), "%s/artifact.o", tmpdir) >= (int)sizeof(art))
		return cb_err(-ENAMETOOLONG);
	snprintf(add_btf, sizeof(add_btf), ".lbc.minbtf=%s", btf);
	snprintf(add_target, sizeof(add_target), ".lbc.target=%s", target);

	/* An object without CO-RE relocations still gets a (nearly empty)
	 * BTF; a failure only costs the artifact its min BTF. */
	{
		const char *argv[] = { tools->bpftool, "gen", "min_core_btf", t->btf_path,
				       btf, obj_path, NULL };

		have_btf = run_tool("bpftool gen min_core_btf", argv) == 0;
	}
	err = strbuf_add(&tgt, t->release, strlen(t->release) + 1);
	if (!err)
		err = strbuf_add(&tgt, t->btf_id, strlen(t->btf_id) + 1);
	if (!err)
		err = write_file_atomic(target, tgt.buf, tgt.len);
	strbuf_release(&tgt);
	if (err)
		return err;
	{
		const char *with[] = { tools->objcopy, "--strip-debug", "--add-section", add_btf,
				       "--add-section", add_target, obj_path, art, NULL };
		const char *without[] = { tools->objcopy, "--strip-debug", "--add-section",
					  add_target, obj_path, art, NULL };

		if (run_tool("llvm-objcopy", have_btf ? with : without))
			return cb_err(-EINVAL);
	}
	err = read_file(art, out, out_sz);
	if (err)
		pr_warn("compile: cannot read '%s': %s\n", art, strerror(-err));
	return err;
}

/* Section sh lies inside an image of sz bytes. */
static bool section_inside(const GElf_Shdr *sh, size_t sz)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_offset <= sz &&
	       sh->sh_size <= sz - sh->sh_offset;
}

int coolbpf_artifact__min_btf(const void *obj, size_t obj_sz, const void **btf, size_t *btf_sz,
			      const char **kernel_release)
{
	const unsigned char *img = obj;
	const void *btf_p = NULL, *tgt_p = NULL;
	size_t btf_len = 0, tgt_len = 0, shstrndx;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int err = -ENOENT;

	if (!obj || obj_sz < sizeof(Elf64_Ehdr) || memcmp(img, ELFMAG, SELFMAG) ||
	    img[EI_CLASS] != ELFCLASS64)
		return cb_err(-EINVAL);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return cb_err(-EINVAL);
	/* ELF_C_READ_MMAP semantics: libelf does not write to the image */
	elf = elf_memory((char *)(uintptr_t)obj, obj_sz);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -EINVAL;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh)) {
			err = -EINVAL;
			goto out;
		}
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (strcmp(name, ".lbc.minbtf") && strcmp(name, ".lbc.target"))
			continue;
		if (!section_inside(&sh, obj_sz)) {
			err = -EINVAL;
			goto out;
		}
		if (!strcmp(name, ".lbc.minbtf")) {
			btf_p = img + sh.sh_offset;
			btf_len = sh.sh_size;
		} else {
			tgt_p = img + sh.sh_offset;
			tgt_len = sh.sh_size;
		}
	}
	if (!btf_p || !tgt_p)
		goto out;
	/* the release must be a NUL-terminated string inside the section */
	if (!tgt_len || !memchr(tgt_p, '\0', tgt_len)) {
		err = -EINVAL;
		goto out;
	}
	if (btf)
		*btf = btf_p;
	if (btf_sz)
		*btf_sz = btf_len;
	if (kernel_release)
		*kernel_release = tgt_p;
	err = 0;
out:
	elf_end(elf);
	return err ? cb_err(err) : 0;
}
