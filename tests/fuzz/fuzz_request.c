// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer: coolbpfd's request parser on arbitrary bodies. Whatever it
 * accepts must satisfy every invariant the rest of the server relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct compile_request req;
	char err[256];

	if (request_parse((const char *)data, size, &req, err, sizeof(err)) == 0) {
		if (!req.source || strlen(req.source) != req.source_len || !req.source_len ||
		    req.source_len > REQ_SOURCE_MAX)
			abort();
		if ((req.kernel[0] && !request_kernel_ok(req.kernel)) ||
		    (req.arch[0] && !request_arch_ok(req.arch)) || strstr(req.kernel, ".."))
			abort();
		if (req.n_defines > REQ_DEFINES_MAX || req.defines[req.n_defines])
			abort();
		for (size_t i = 0; i < req.n_defines; i++) {
			const char *d = req.defines[i];

			if (strpbrk(d, "\"'\\#<>/\n;$`") && strpbrk(d, "\"'\\#<>\n;$`"))
				abort();
			if (i && strcmp(req.defines[i - 1], d) > 0)
				abort();
		}
	} else if (!err[0] || memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
	request_release(&req);
	return 0;
}
