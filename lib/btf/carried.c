// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What an artifact carries for the BTF resolver: its .lbc.minbtf section
 * (the target kernel's BTF reduced to what the object's CO-RE relocations
 * use) and .lbc.target ("<kernel release>\0<BTF identity hex>\0"), read
 * in place from the object's image. compile/artifact.c writes them.
 */
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>

#include "btf.h"

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
		if (strcmp(name, ARTIFACT_MINBTF_SEC) && strcmp(name, ARTIFACT_TARGET_SEC))
			continue;
		if (!section_inside(&sh, obj_sz)) {
			err = -EINVAL;
			goto out;
		}
		if (!strcmp(name, ARTIFACT_MINBTF_SEC)) {
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
