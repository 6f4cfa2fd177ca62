// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Validation of the sized opts structs of the public API (libbpf's OPTS_VALID). */
#include "base.h"

bool opts_valid(const void *opts, size_t known_sz, const char *type_name)
{
	const unsigned char *p = opts;
	size_t sz;

	if (!opts)
		return true;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t)) {
		pr_warn("%s: size %zu is too small (declare it with its *_OPTS() macro)\n",
			type_name, sz);
		return false;
	}
	for (size_t i = known_sz; i < sz; i++) {
		if (p[i]) {
			pr_warn("%s: byte %zu is set, past the %zu bytes this libcoolbpf knows: "
				"the caller was built for a newer libcoolbpf\n",
				type_name, i, known_sz);
			return false;
		}
	}
	return true;
}
