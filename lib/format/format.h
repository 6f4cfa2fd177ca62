/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lib/format: turning bytes into what people read. BTF-driven decoding of
 * raw bytes (events, map keys and values) into text or JSON (decode.c),
 * histograms (hist.c), kernel and user-space symbols (syms.c). It knows
 * BTF (libbpf's struct btf) but no coolbpf object or map: lib/object
 * feeds it. Builds on lib/base only.
 *
 * Decoding:
 * A decoder is a plan computed once from (btf, type id): the type graph
 * is resolved (typedef/const/volatile/restrict/type_tag skipped), member
 * offsets, bitfields, enumerator tables (sorted) and names are copied
 * into one flat structure. Decoding an event then touches neither BTF
 * nor malloc (beyond strbuf growth), and the decoder stays valid after
 * the btf is freed.
 *
 * Formats (the output contract of coolbpf.h and coolbpf(1)):
 *  - integers: numbers; 16-byte ints and other odd sizes: "0x..." hex
 *  - bool: true/false; enums: the enumerator's name, else the number
 *  - char arrays (BTF_INT_CHAR, or a 1-byte int named "char" or
 *    "signed char"): strings up to the first NUL; other byte arrays
 *    (unsigned char, u8) are lists of numbers; a single char is a number
 *  - pointers: "0x..." hex; float/double: shortest round-trip decimal
 *    (JSON: null when not finite); long double: hex of its bytes
 *  - arrays (any dimension): lists; structs and unions: objects with
 *    every member (a union shows every member, as bpftool does)
 *  - anonymous struct/union members are flattened into their parent, as
 *    C code accesses them (ev.x, not ev.<anon>.x); unnamed bitfields
 *    (padding) are skipped
 *  - a DATASEC (.data/.bss/.rodata) decodes as an object of its variables
 *  - lbc.h's typed fields (lbc_ipv4_t, lbc_port_t, lbc_ns_t, ...) as
 *    typed.c says below, recognised by their typedef, never by name
 *
 * Text format: a top-level struct is "name=value name=value" (no braces),
 * nested structs "{a=1 b=2}", arrays "[1, 2, 3]", strings bare when
 * non-empty and made only of printable ASCII other than space, '"' and
 * '\\', else double-quoted with C escapes (\" \\ \n \t \r \xHH).
 * JSON: one value, on one line (json.h separators).
 *
 * Truncated input (size < type size): members, elements and scalars
 * that are not entirely inside the data are omitted; structs, arrays and
 * strings that start inside it are decoded partially (at top level even
 * with no data: {}, [], ""). A top-level scalar that does not fit is
 * JSON null and empty text.
 */
#ifndef COOLBPF_FORMAT_H
#define COOLBPF_FORMAT_H

#include <linux/types.h>

#include "base/base.h"

struct btf;
struct decoder;

/* NULL + errno: EINVAL (type not decodable, e.g. void or a function),
 * ELOOP (cyclic BTF), ENOMEM. */
struct decoder *decoder_new(const struct btf *btf, __u32 type_id);
void decoder_free(struct decoder *d);
/* A char as the decoder shows char arrays as strings: BTF_INT_CHAR, or
 * a 1-byte int named "char" or "signed char". */
struct btf_type;
bool btf_is_char(const struct btf *btf, const struct btf_type *t);
/* Byte size of the decoded type. */
size_t decoder_type_size(const struct decoder *d);
/* Do events of the type's full size take the flat plan for fmt (not the
 * tree walk)? For tests: both must say the same. */
bool decoder_has_flat(const struct decoder *d, enum coolbpf_format fmt);

/* Append data decoded as text or as one JSON value to sb. 0 or -errno;
 * on error sb is restored to its previous length. */
int decoder_append(const struct decoder *d, const void *data, size_t size, enum coolbpf_format fmt,
		   struct strbuf *sb);
/* Write one JSON value into w; returns jw_error(w). */
int decoder_json(const struct decoder *d, const void *data, size_t size, struct jw *w);

/* Fallback for unknown types: text "0a 0b 0c", JSON "0a0b0c". */
int decode_hex_append(const void *data, size_t size, enum coolbpf_format fmt, struct strbuf *sb);

/*
 * Histogram of nr slots (hist.c). Text: BCC's print_log2_hist layout,
 * rows from the first to the last non-empty bucket, nothing at all when
 * every slot is 0. JSON: {"map": NAME, "hist": [{"low": L, "high": H,
 * "count": C}, ...]} over the same rows. Both end with a newline.
 * val_type NULL means "value". LINEAR needs step > 0. 0 or -errno.
 */
int hist_append(struct strbuf *sb, const char *name, const __u64 *slots, unsigned nr,
		enum coolbpf_hist_kind kind, __u64 step, const char *val_type,
		enum coolbpf_format fmt);
/* The same with "key": key_json (raw JSON text) after "map" in JSON. */
int hist_append_key(struct strbuf *sb, const char *name, const char *key_json, const __u64 *slots,
		    unsigned nr, enum coolbpf_hist_kind kind, __u64 step, const char *val_type,
		    enum coolbpf_format fmt);

/* A value shaped as libbpf-tools' histograms: a struct (through typedefs)
 * with a member "slots", an array of 16 to 64 4- or 8-byte integers. */
struct hist_shape {
	bool ok;
	__u32 off, n, elsz; /* the slots: byte offset, count, size of one */
	__u32 type_id;	    /* the struct */
};
bool hist_shape_of(const struct btf *btf, __u32 type_id, struct hist_shape *hs);
/* Add the slots of one value (val: the struct) into slots[hs->n]. */
void hist_shape_add(const struct hist_shape *hs, const void *val, __u64 *slots);
/* "usecs", "nsecs" or "msecs" when name or a member of type_id has it, else NULL. */
const char *hist_unit_of(const struct btf *btf, const char *name, __u32 type_id);

/* [low, high] that bucket i of a histogram counts; -ERANGE past the
 * scale's last bucket. */
int hist_bucket_range(enum coolbpf_hist_kind kind, __u64 step, unsigned int i, __u64 *low,
		      __u64 *high);

/* syms.c: kernel symbols (kallsyms) and ELF symbols of user-space files.
 * The loaders take any file, so tests feed them other than the live
 * /proc/kallsyms and /proc/PID/maps (a fake kallsyms with modules or
 * hidden addresses, a corrupt ELF). */

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

/*
 * parse.c: a value as a person writes it, into the bytes of a variable of
 * BTF type type_id (size bytes): integers (decimal, 0x hex, 0 octal,
 * negative for signed types, checked against the type's range), bools
 * (true/false/1/0/yes/no/on/off), enums by enumerator name (or number),
 * floats, char arrays from a string (NUL-padded, the NUL must fit).
 * 0, -EINVAL or -ERANGE (a bad value) or -ENOTSUP (a type that cannot be
 * set: struct, pointer, ...), with why said in why.
 */
int value_parse(const struct btf *btf, __u32 type_id, const char *text, void *out, size_t size,
		struct strbuf *why);
/* Whether value_parse() takes values of this type. */
bool value_settable(const struct btf *btf, __u32 type_id);
/* The type spelled as C ("int", "u32", "enum mode", "char[16]"), typedef
 * names kept, const/volatile dropped, appended to sb. 0 or -ENOMEM. */
int btf_type_cname(const struct btf *btf, __u32 type_id, struct strbuf *sb);

/*
 * typed.c: lbc.h's typedefs that say what a field holds. typed_kind()
 * walks the typedef chain of type_id for one of their names (with the
 * size it must have); typed_format() writes the field as people read it
 * into out (out_sz bytes, TYPED_TEXT_MAX hold any: truncated past that,
 * always terminated; no allocation, it runs per event) and says whether
 * that is a number (JSON writes it bare) or a string:
 *  - lbc_ipv4_t (4 bytes), lbc_ipv6_t (16): "127.0.0.1", "::1"
 *  - lbc_port_t (2, network order): the port in host order, a number
 *  - lbc_ksym_t, lbc_usym_t (8): "name+0xoff", user symbols through the
 *    process of pid (the struct's "pid" or "tgid" member), "[unknown]"
 *  - lbc_ns_t (8, CLOCK_MONOTONIC as bpf_ktime_get_ns()): wall-clock time,
 *    text "17:00:46.909123", JSON ISO 8601 with the zone offset
 *  - lbc_errno_t (any int): "ENOENT", "-ENOENT" for a negative one, else
 *    the number; lbc_syscall_t: "openat", else the number
 *  - lbc_dev_t (4, the kernel's dev_t): "sda(8:0)", or "8:0"
 *  - lbc_signal_t (any int): "SIGKILL"; lbc_tcp_state_t: "TCP_ESTABLISHED";
 *    else the number
 */
enum typed {
	TYPED_NONE,
	TYPED_IPV4,
	TYPED_IPV6,
	TYPED_PORT,
	TYPED_KSYM,
	TYPED_USYM,
	TYPED_NS,
	TYPED_ERRNO,
	TYPED_SYSCALL,
	TYPED_DEV,
	TYPED_SIGNAL,
	TYPED_TCP_STATE,
	TYPED_MAX,
};
int typed_kind(const struct btf *btf, __u32 type_id);
#define TYPED_TEXT_MAX 704 /* a symbol (512) + its offset, an IPv6 address, a disk */
bool typed_format(int kind, const unsigned char *p, __u32 size, int pid, bool json, char *out,
		  size_t out_sz);

#endif /* COOLBPF_FORMAT_H */
