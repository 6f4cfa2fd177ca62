/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lib/btf: which BTF describes the kernel a program is compiled for or
 * loaded on, and where BTF is kept.
 *
 *  - target.c: the one resolver. Compile, load, coolbpfd and pylcc ask it
 *    the same question with the same search order, and get the same
 *    messages (btf_choose()).
 *  - archive.c: the archive layout, <root>/<arch>/<release>.btf.gz (or a
 *    plain .btf); reading BTF files (raw, gzip, ELF .BTF).
 *  - carried.c: the min BTF an artifact carries (.lbc.minbtf/.lbc.target).
 *  - check.c: BTF and BPF objects checked before libbpf parses them.
 *  - slim.c: a per-program vmlinux.h cut from the target BTF.
 *  - dwarf.c: the types of an object's DWARF, copied into a BTF.
 *  - evtype.c: the event type of an output map nobody named, found from
 *    the helper calls that write it, recorded in the object's .BTF.
 *  - scan.c: a type's id by kind and name, read from a BTF file in one
 *    pass without loading it (the kernel's, for tp_btf/fentry/fexit
 *    targets).
 *
 * Builds on lib/base only.
 */
#ifndef COOLBPF_BTF_H
#define COOLBPF_BTF_H

#include <limits.h>

#include <linux/types.h>

#include "base/base.h"

#define SYS_BTF "/sys/kernel/btf/vmlinux"

/* What is read as BTF (raw, inflated, or an ELF holding it) and as a BPF
 * object, at most: a kernel's BTF is a few MB. Beyond: -EFBIG. */
#define BTF_FILE_MAX   (256u << 20)
#define BPF_OBJECT_MAX (256u << 20)

struct btf;

/* target.c ----------------------------------------------------------- */

/* What a BTF is wanted for: the search order differs in one step only
 * (an artifact's carried min BTF serves a load, never a compile). */
enum btf_use {
	BTF_FOR_COMPILE,
	BTF_FOR_LOAD,
};

enum btf_source {
	BTF_SRC_NONE,
	BTF_SRC_EXPLICIT, /* the caller's file (--btf) */
	BTF_SRC_ARTIFACT, /* the artifact's min BTF for this kernel */
	BTF_SRC_KERNEL,	  /* /sys/kernel/btf/vmlinux */
	BTF_SRC_ARCHIVE,  /* <archive>/<arch>/<release>.btf[.gz] */
	BTF_SRC_REMOTE,	  /* a coolbpfd's GET /v1/btf (or what an earlier one gave) */
};

struct btf_query {
	/* kernel release; NULL or "": the running kernel */
	const char *release;
	/* uname -m spelling; NULL or "": the host's */
	const char *arch;
	/* a BTF file the caller chose: raw, .btf.gz or an ELF with .BTF */
	const char *explicit_path;
	/* the archive root; NULL: no archive */
	const char *archive_dir;
	/* BTF_FOR_LOAD: the object's image, for the BTF it carries */
	const void *artifact;
	size_t artifact_sz;
	/* BTF_FOR_COMPILE: where a compressed BTF is unpacked to a file
	 * (<dir>/<sha256>.btf, kept: the compile tools want a path) */
	const char *unpack_dir;
	/* BTF_FOR_LOAD, last: a coolbpfd to ask (GET /v1/btf/<arch>/<release>),
	 * its bearer token, and the archive-shaped directory what it gives is
	 * kept in (and looked up in first) */
	const char *server;
	const char *server_token;
	const char *fetch_dir;
};

struct btf_choice {
	enum btf_source source;
	char release[256];
	char arch[64];
	/* a raw BTF file: sysfs, the caller's, an unpacked archive entry, or
	 * an in-memory file (/proc/self/fd/N, for this process only); "" for
	 * NONE and for an uncompressed explicit/archive file used in place
	 * it is that file */
	char path[PATH_MAX];
	/* "explicit <path>", "artifact", "kernel", "archive <path>",
	 * "none", "none <file looked for>" */
	char origin[PATH_MAX + 16];
	/* hex sha256 identity: of the content, or for the running kernel's
	 * sysfs BTF of uname and size (cheap, it changes with the kernel) */
	char id[65];
	/* BTF_SRC_NONE with an archive: the file looked for */
	char looked_for[PATH_MAX];
	/* for the message when none is found: the kernels the artifact carries
	 * ("" none: no artifact or it carries none), and what the server said
	 * ("" if none was asked) */
	char carried[192];
	char remote[PATH_MAX + 128];
	bool for_load;
	int memfd; /* owned, -1 if none */
};

/*
 * Choose the BTF. The order is the same for every caller:
 *   1. q->explicit_path (must be readable BTF, else an error)
 *   2. BTF_FOR_LOAD: the min BTF the artifact carries for q->release
 *   3. /sys/kernel/btf/vmlinux when q->release is the running kernel
 *   4. the archive entry <archive_dir>/<arch>/<release>.btf.gz, then .btf
 * None found: BTF_FOR_COMPILE fails with -ENOENT and a message naming
 * what was looked for and the fix; BTF_FOR_LOAD returns 0 with source
 * NONE (the object may need no BTF; btf_missing_message() says why a load
 * that needed it failed). c must be released with btf_choice_release().
 */
int btf_choose(const struct btf_query *q, enum btf_use use, struct btf_choice *c);
/* Which file serves, reading nothing but directory entries (steps 1, 3 and
 * 4): c->source NONE with c->looked_for when none does. No memfd is made:
 * c needs no release. */
int btf_locate(const struct btf_query *q, struct btf_choice *c);
void btf_choice_release(struct btf_choice *c);
/* "no BTF for kernel R: ..." for a choice of source NONE, into buf: every
 * place looked in, and the fix. */
void btf_missing_message(const struct btf_choice *c, char *buf, size_t sz);

/* archive.c ---------------------------------------------------------- */

/* <root>/<arch>/<release>.btf.gz into buf (NULL release/arch: the running
 * kernel's). -ENOENT when root is NULL. */
int btf_archive_entry(const char *root, const char *release, const char *arch, char *buf,
		      size_t sz);
/* The entry decompressed (malloc'd, NUL-terminated). path gets the file
 * read, or the .btf.gz looked for: -ENOENT when neither it nor the plain
 * .btf exists. */
int btf_archive_read(const char *root, const char *release, const char *arch, void **data,
		     size_t *len, char *path, size_t path_sz);
/* A file's contents, gunzipped when gzip-compressed. */
int btf_file_read(const char *path, void **data, size_t *len);
/* Parse raw BTF, gzip'd raw BTF or an ELF's .BTF; NULL + errno. */
struct btf *btf_load_file(const char *path);
/* An in-memory file with data (close-on-exec); "/proc/self/fd/N" into path.
 * Returns the fd or -errno. */
int btf_memfd(const void *data, size_t len, char *path, size_t sz);

/* check.c ------------------------------------------------------------ */

/*
 * BTF checked before libbpf sees it (libbpf 1.1 crashes on a type id past
 * the last): the header and sections inside len, every name offset and
 * type reference inside the BTF. NULL + errno (-EBADMSG, -EFBIG) with why
 * saying what is wrong.
 */
struct btf *btf_new_checked(const void *data, size_t len, char *why, size_t sz);
int btf_check(const void *data, size_t len, char *why, size_t sz);
/* The same for raw BTF or an ELF file's .BTF section. */
struct btf *btf_from_bytes(const void *data, size_t len, char *why, size_t sz);
/* A BPF object before bpf_object__open_mem(): a 64-bit BPF ELF whose
 * sections lie inside it, with a checked .BTF and a sane .BTF.ext.
 * 0, or -EBADMSG / -EFBIG with why. */
int bpf_elf_check(const void *obj, size_t obj_sz, char *why, size_t sz);

/* remote.c ----------------------------------------------------------- */

/* GET <q->server>/v1/btf/<c->arch>/<c->release>: raw BTF (malloc'd) whose
 * sha256 is the X-Coolbpf-Sha256 the server sent. c->remote says what
 * happened (for the message when there is none). -ENOENT (404), -EBADMSG
 * (hash or format), -EACCES, -EIO. */
int btf_remote_fetch(const struct btf_query *q, struct btf_choice *c, void **data, size_t *len);

/* carried.c ---------------------------------------------------------- */

/* Section names of what an artifact carries (written by compile/artifact.c). */
#define ARTIFACT_MINBTF_SEC  ".lbc.minbtf"
#define ARTIFACT_TARGET_SEC  ".lbc.target"
#define ARTIFACT_KERNELS_SEC ".lbc.kernels"

/*
 * .lbc.kernels, little-endian, offsets from the section's start:
 *   header  "LBCK", u32 version (1), u32 count, u32 0
 *   entries count x { u32 release, u32 arch (offsets of NUL-terminated
 *           strings), u32 btf offset, u32 btf size }; btf offset
 *           KERNELS_BTF_IS_MINBTF: the same bytes as .lbc.minbtf
 *   then the strings and the distinct min BTFs (4-byte aligned), each
 *   stored once however many kernels share it
 */
#define KERNELS_MAGIC	      "LBCK"
#define KERNELS_VERSION	      1u
#define KERNELS_HDR_SZ	      16u
#define KERNELS_ENT_SZ	      16u
#define KERNELS_BTF_IS_MINBTF 0xffffffffu

/* The min BTF the artifact carries for release on arch: 0 (pointing into
 * obj), -ENOENT when it carries none for it, -EINVAL when malformed. */
int artifact_carried_btf(const void *obj, size_t obj_sz, const char *release, const char *arch,
			 const void **btf, size_t *btf_sz);

/* slim.c ------------------------------------------------------------- */

struct slim_input {
	/* the program: scanned for identifiers and #includes */
	const char *src;
	size_t src_len;
	/* where its quoted includes are looked up first; may be NULL */
	const char *src_dir;
	/* then these, for quoted and <> includes alike; NULL-terminated */
	const char *const *include_dirs;
	/* more text to take identifiers from (lbc.h, -D values); NULL-terminated */
	const char *const *extra;
};

/*
 * A vmlinux.h for one program from the target BTF: the kernel types its
 * identifiers name, with the members it names (see slim.c). btf_out, when
 * not NULL, is written with the same types as raw BTF: every type a CO-RE
 * relocation of the program can match, a small input for min_core_btf.
 * n_types, when not NULL, gets the number of BTF types kept.
 */
int slim_vmlinux_h(const char *btf_path, const struct slim_input *in, struct strbuf *out,
		   const char *btf_out, size_t *n_types);

/* dwarf.c ------------------------------------------------------------ */

/* One debugging entry of .debug_info, as far as types need it. */
struct dw_die {
	uint32_t off;	  /* in .debug_info */
	uint16_t tag;	  /* DW_TAG_* */
	uint8_t encoding; /* base types: DW_ATE_* */
	bool declaration, has_count, has_bit_off;
	const char *name; /* NULL: anonymous */
	uint64_t byte_size;
	uint32_t type; /* DW_AT_type: .debug_info offset, 0 = void */
	uint64_t member_off, bit_off;
	uint32_t bit_size, decl_file;
	uint64_t count; /* subrange: elements */
	int64_t value;	/* enumerator */
	size_t parent;	/* index in the DIE array, SIZE_MAX at the top */
};

struct dwarf;
/* The DWARF of an ELF object image; NULL with errno ENOENT when it has
 * none (an artifact's is emptied), EINVAL when it cannot be read. */
struct dwarf *dwarf_open(const void *elf, size_t sz);
void dwarf_free(struct dwarf *d);
const struct dw_die *dwarf_dies(const struct dwarf *d, size_t *n);
const struct dw_die *dwarf_die_at(const struct dwarf *d, uint32_t off);
/* The file that declares DIE ("" if unknown). */
const char *dwarf_decl_file(const struct dwarf *d, const struct dw_die *die);
bool dwarf_is_record(uint16_t tag);
bool dwarf_is_var(uint16_t tag);
/* What a variable or type refers to: past pointers, typedefs, qualifiers. */
const struct dw_die *dwarf_referent(const struct dwarf *d, const struct dw_die *die);
uint64_t dwarf_type_size(const struct dwarf *d, const struct dw_die *die);
/* Copy the type DIE into btf (reusing a same-named record of the same
 * size the BTF has); its id or -errno. */
int dwarf_copy_type(struct dwarf *d, const struct dw_die *die, struct btf *btf);

/* evtype.c ----------------------------------------------------------- */

/* For every perf event array or ring buffer written by the programs of
 * the ELF image with no recorded event type (lbc.h's LBC_EVENT_TYPE), find
 * the type from the helper calls that write it and the object's DWARF,
 * and record it as LBC_EVENT_TYPE would (VAR __lbc_event__<map> -> PTR ->
 * type in .BTF). overrides: "MAP=TYPE" strings (NULL-terminated, or NULL)
 * that name it instead. *out is a new image (free()) when anything was
 * recorded, else NULL. An ambiguity or an override naming no type is
 * warned about, naming the candidates and --event-type; nothing to do or
 * no DWARF is 0 with *out NULL. */
int evtype_record(const void *elf, size_t sz, const char *const *overrides, void **out,
		  size_t *out_sz);

/* The maps the programs of the ELF image call bpf_map_delete_elem() on
 * (scratch: a start time kept until the end event), appended to names
 * NUL-separated. 0 or -errno. */
int elf_deleted_maps(const void *elf, size_t sz, struct strbuf *names);

/* scan.c ------------------------------------------------------------- */

/* What a split BTF (a module's, in /sys/kernel/btf) continues: its base's
 * type count and string section size, and where the name looked for is
 * among the base's strings (a module's types may name theirs). */
#define BTF_SCAN_HITS 16
struct btf_scan_base {
	__u32 nr_types;
	__u32 str_len;
	int nr_hits;
	__u32 hits[BTF_SCAN_HITS];
};

/*
 * The id of the first type of kind (BTF_KIND_*) named name in the raw BTF
 * file at path, read once through a 128 KB buffer: > 0; -ENOENT when there
 * is none; -errno (-EPROTO: not raw BTF of this byte order, or a kind
 * this reader does not know: ask libbpf). base: for a split BTF, what
 * its base's scan of the same name gave in self; NULL for a base. self
 * (may be NULL): on -ENOENT, what a split BTF over this file needs, for
 * its modules' scans of the same name.
 */
int btf_scan_find(const char *path, const char *name, int kind, const struct btf_scan_base *base,
		  struct btf_scan_base *self);
struct btf_type;
/* Bytes of the type record at t, its struct btf_type included, by kind
 * (slim.c's index and the scan walk raw type sections with it); 0 for a
 * kind not known here. */
size_t btf_type_rec_size(const struct btf_type *t);

#endif /* COOLBPF_BTF_H */
