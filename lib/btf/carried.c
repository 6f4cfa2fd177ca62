// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What an artifact carries for the BTF resolver, read in place from the
 * object's image (compile/artifact.c writes it):
 *
 *   .lbc.minbtf   the compile target's BTF reduced to what the object's
 *                 CO-RE relocations use
 *   .lbc.target   "<release>\0<BTF identity hex>\0<arch>\0" (artifacts of
 *                 coolbpf 0.2 end after the identity: no arch)
 *   .lbc.kernels  more kernels' min BTF, when compiled for several: a
 *                 table, each distinct min BTF stored once (see below)
 *
 * An artifact of one kernel has no .lbc.kernels; one of several still
 * has .lbc.minbtf/.lbc.target for its first, so an older coolbpf loads it
 * on that kernel.
 */
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>

#include "btf.h"

/* Section sh lies inside an image of sz bytes. */
static bool section_inside(const GElf_Shdr *sh, size_t sz)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_offset <= sz &&
	       sh->sh_size <= sz - sh->sh_offset;
}

struct sections {
	const unsigned char *btf, *tgt, *kernels;
	size_t btf_len, tgt_len, kernels_len;
};

static int find_sections(const void *obj, size_t obj_sz, struct sections *s)
{
	const unsigned char *img = obj;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (!obj || obj_sz < sizeof(Elf64_Ehdr) || memcmp(img, ELFMAG, SELFMAG) ||
	    img[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	/* ELF_C_READ_MMAP semantics: libelf does not write to the image */
	elf = elf_memory((char *)(uintptr_t)obj, obj_sz);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		elf_end(elf);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const unsigned char **p;
		const char *name;
		size_t *len;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh)) {
			err = -EINVAL;
			break;
		}
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, ARTIFACT_MINBTF_SEC))
			p = &s->btf, len = &s->btf_len;
		else if (!strcmp(name, ARTIFACT_TARGET_SEC))
			p = &s->tgt, len = &s->tgt_len;
		else if (!strcmp(name, ARTIFACT_KERNELS_SEC))
			p = &s->kernels, len = &s->kernels_len;
		else
			continue;
		if (!section_inside(&sh, obj_sz)) {
			err = -EINVAL;
			break;
		}
		*p = img + sh.sh_offset;
		*len = sh.sh_size;
	}
	elf_end(elf);
	if (!err && s->tgt && (!s->tgt_len || s->tgt[s->tgt_len - 1] != '\0'))
		err = -EINVAL; /* its strings must end inside it */
	return err;
}

int coolbpf_artifact__min_btf(const void *obj, size_t obj_sz, const void **btf, size_t *btf_sz,
			      const char **kernel_release)
{
	struct sections s;
	int err = find_sections(obj, obj_sz, &s);

	if (err)
		return cb_err(err);
	if (!s.btf || !s.tgt)
		return cb_err(-ENOENT);
	if (btf)
		*btf = s.btf;
	if (btf_sz)
		*btf_sz = s.btf_len;
	if (kernel_release)
		*kernel_release = (const char *)s.tgt;
	return 0;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A NUL-terminated string at off inside the section, or NULL. */
static const char *table_str(const struct sections *s, uint32_t off)
{
	if (off >= s->kernels_len || !memchr(s->kernels + off, '\0', s->kernels_len - off))
		return NULL;
	return (const char *)s->kernels + off;
}

/* The arch .lbc.target names after the identity ("" for older artifacts). */
static const char *target_arch(const struct sections *s)
{
	const char *p = (const char *)s->tgt, *end = p + s->tgt_len;

	for (int i = 0; i < 2 && p < end; i++)
		p += strlen(p) + 1;
	return p < end ? p : "";
}

int coolbpf_artifact__kernels(const void *obj, size_t obj_sz, struct coolbpf_artifact_kernel *out,
			      size_t n)
{
	struct sections s;
	uint32_t count;
	size_t found = 0;
	int err = find_sections(obj, obj_sz, &s);

	if (err)
		return cb_err(err);
	if (!s.btf || !s.tgt)
		return 0;
	if (n) {
		memset(&out[0], 0, sizeof(out[0]));
		out[0].release = (const char *)s.tgt;
		out[0].arch = target_arch(&s);
		out[0].btf = s.btf;
		out[0].btf_sz = s.btf_len;
		out[0].added = s.btf_len + s.tgt_len;
	}
	found = 1;
	if (!s.kernels)
		return (int)found;
	if (s.kernels_len < KERNELS_HDR_SZ || memcmp(s.kernels, KERNELS_MAGIC, 4) ||
	    get32(s.kernels + 4) != KERNELS_VERSION)
		return cb_err(-EINVAL);
	count = get32(s.kernels + 8);
	if (count > (s.kernels_len - KERNELS_HDR_SZ) / KERNELS_ENT_SZ)
		return cb_err(-EINVAL);
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *e = s.kernels + KERNELS_HDR_SZ + (size_t)i * KERNELS_ENT_SZ;
		uint32_t boff = get32(e + 8), bsz = get32(e + 12);
		const char *rel = table_str(&s, get32(e)), *arch = table_str(&s, get32(e + 4));
		struct coolbpf_artifact_kernel k = { .release = rel, .arch = arch };

		if (!rel || !arch)
			return cb_err(-EINVAL);
		if (boff == KERNELS_BTF_IS_MINBTF) {
			k.btf = s.btf;
			k.btf_sz = s.btf_len;
			k.shared = true;
		} else {
			if (boff > s.kernels_len || bsz > s.kernels_len - boff)
				return cb_err(-EINVAL);
			k.btf = s.kernels + boff;
			k.btf_sz = bsz;
			/* a blob an earlier entry pointed at already */
			for (uint32_t j = 0; j < i; j++) {
				const unsigned char *o =
					s.kernels + KERNELS_HDR_SZ + (size_t)j * KERNELS_ENT_SZ;

				k.shared |= get32(o + 8) == boff;
			}
		}
		/* the section's header and its one arch string go with the first */
		k.added = KERNELS_ENT_SZ + strlen(rel) + 1 + (k.shared ? 0 : k.btf_sz) +
			  (i == 0 ? KERNELS_HDR_SZ + strlen(arch) + 1 : 0);
		if (found < n)
			out[found] = k;
		found++;
	}
	return (int)found;
}

int artifact_carried_btf(const void *obj, size_t obj_sz, const char *release, const char *arch,
			 const void **btf, size_t *btf_sz)
{
	struct coolbpf_artifact_kernel ks[64], *k = ks;
	int n = coolbpf_artifact__kernels(obj, obj_sz, ks, ARRAY_SIZE(ks));

	if (n > (int)ARRAY_SIZE(ks)) {
		/* a large table: read it whole */
		k = calloc((size_t)n, sizeof(*k));
		if (!k)
			return cb_err(-ENOMEM);
		n = coolbpf_artifact__kernels(obj, obj_sz, k, (size_t)n);
	}
	for (int i = 0; i < n; i++) {
		/* an older artifact does not say its arch: then it is the host's */
		if (strcmp(k[i].release, release) || (k[i].arch[0] && strcmp(k[i].arch, arch)))
			continue;
		*btf = k[i].btf;
		*btf_sz = k[i].btf_sz;
		if (k != ks)
			free(k);
		return 0;
	}
	if (k != ks)
		free(k);
	return n < 0 ? n : -ENOENT;
}
