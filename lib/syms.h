/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to syms.c, exposed so that tests can feed it files other
 * than the live /proc/kallsyms and /proc/PID/maps (a fake kallsyms with
 * modules or hidden addresses, a corrupt ELF).
 */
#ifndef COOLBPF_SYMS_H
#define COOLBPF_SYMS_H

#include <stddef.h>
#include <linux/types.h>

/* A kallsyms-format symbol table. */
struct ksyms;

/*
 * Parse a file in /proc/kallsyms format. NULL with errno: EPERM when
 * every address reads as zero (kptr_restrict, not root), ENOENT when it
 * holds no symbol, else why it could not be read.
 */
struct ksyms *ksyms_load(const char *path);
/* "name+0xoff" or "name+0xoff [module]" into buf; 0 or -ENOENT
 * ("[unknown]" in buf). */
int ksyms_format(const struct ksyms *ks, __u64 addr, char *buf, size_t buf_sz);
size_t ksyms_count(const struct ksyms *ks);
void ksyms_free(struct ksyms *ks);
/*
 * The process-wide table of /proc/kallsyms, loaded on the first call and
 * shared by every coolbpf_syms (never freed). 0, or -errno with *ks NULL.
 */
int ksyms_kernel(const struct ksyms **ks);

/* The function symbols and PT_LOAD segments of one ELF file. */
struct elf_syms;

/*
 * Read .symtab (else .dynsym) of the ELF file open on fd, or of an
 * image in memory (which libelf may rewrite in place); name is only
 * used in messages. NULL with errno ENOEXEC for anything that is not a
 * usable ELF file; a valid one without function symbols gives an empty
 * table.
 */
struct elf_syms *elf_syms_open_fd(int fd, const char *name);
struct elf_syms *elf_syms_open_mem(void *data, size_t sz, const char *name);
/*
 * The symbol covering file offset file_off (a mapping's offset plus the
 * distance from its start): its name (valid until elf_syms_free) and
 * the offset into it. 0 or -ENOENT.
 */
int elf_syms_find(const struct elf_syms *es, __u64 file_off, const char **name, __u64 *off);
size_t elf_syms_count(const struct elf_syms *es);
void elf_syms_free(struct elf_syms *es);

#endif /* COOLBPF_SYMS_H */
