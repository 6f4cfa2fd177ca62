// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer: what coolbpf does with a BPF object, an artifact or BTF it is
 * handed, up to and including libbpf's open: coolbpf_object__open_mem()
 * (the checks of lib/btf/check.c, the BTF choice, libbpf's ELF and BTF
 * parsing, the decoders' plans, the maps' kinds), the artifact's carried
 * kernels and min BTF, and the input read as BTF (raw, ELF or gzip). No
 * bpf() call is made. Whatever is accepted must be usable, and nothing
 * may crash or trip a sanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "btf/btf.h"
#include "base/banned.h"

static int quiet(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void as_btf(const void *data, size_t size)
{
	char why[256];
	struct btf *btf = btf_from_bytes(data, size, why, sizeof(why));

	if (btf) {
		/* what was accepted can be walked whole */
		for (__u32 id = 1; id < btf__type_cnt(btf); id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);

			if (!t || !btf__name_by_offset(btf, t->name_off))
				abort();
			btf__resolve_size(btf, id);
		}
		btf__free(btf);
	} else if (!why[0]) {
		abort(); /* a refusal always says why */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct coolbpf_artifact_kernel ks[8];
	struct coolbpf_object *obj;
	const char *release;
	const void *min;
	size_t min_sz;
	int n;

	coolbpf_set_print(quiet);
	COOLBPF_OBJECT_OPTS(opts, .name = "fuzz");
	obj = coolbpf_object__open_mem(data, size, &opts);
	if (obj) {
		for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
		     m = coolbpf_object__next_map(obj, m))
			if (!coolbpf_map__name(m))
				abort();
		coolbpf_object__close(obj);
	}
	n = coolbpf_artifact__kernels(data, size, ks, ARRAY_SIZE(ks));
	for (int i = 0; i < n && i < (int)ARRAY_SIZE(ks); i++) {
		if ((const uint8_t *)ks[i].btf < data ||
		    (const uint8_t *)ks[i].btf + ks[i].btf_sz > data + size)
			abort();
		as_btf(ks[i].btf, ks[i].btf_sz);
	}
	if (coolbpf_artifact__min_btf(data, size, &min, &min_sz, &release) == 0)
		as_btf(min, min_sz);
	as_btf(data, size);
	if (is_gzip(data, size)) {
		void *raw;
		size_t raw_len;

		if (gunzip_max(data, size, 1u << 20, &raw, &raw_len) == 0) {
			as_btf(raw, raw_len);
			free(raw);
		}
	}
	return 0;
}
