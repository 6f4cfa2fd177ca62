// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SHA-256 through libmd, as hex. */
#include <stdlib.h>

#include <sha2.h>

#include "base.h"

/* libmd (not libcrypto): the digest is on the warm start path of every
 * `coolbpf run`, and libcrypto alone costs ~3 MB of resident pages. */
struct sha256_ctx {
	SHA2_CTX md;
};

struct sha256_ctx *sha256_ctx_new(void)
{
	struct sha256_ctx *ctx = malloc(sizeof(*ctx));

	if (ctx)
		SHA256Init(&ctx->md);
	return ctx;
}

void sha256_ctx_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
	SHA256Update(&ctx->md, data, len);
}

void sha256_ctx_final_hex(struct sha256_ctx *ctx, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256Final(md, &ctx->md);
	for (unsigned int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	free(ctx);
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256_ctx *ctx = sha256_ctx_new();

	if (!ctx) {
		out[0] = '\0';
		return;
	}
	sha256_ctx_update(ctx, data, len);
	sha256_ctx_final_hex(ctx, out);
}
