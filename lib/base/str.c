// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Strings, the host's identity (uname), its monotonic clock, the user's home. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <time.h>

#include "base.h"

size_t strlcpy_cb(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static struct utsname uts;
static bool uts_done;

static void uts_init(void)
{
	if (!uts_done && uname(&uts) == 0)
		uts_done = true;
}

const char *host_kernel_release(void)
{
	uts_init();
	return uts.release;
}

const char *host_arch(void)
{
	uts_init();
	return uts.machine;
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int home_dir(char *buf, size_t sz)
{
	struct passwd *pw = getpwuid(geteuid());

	if (!pw || !pw->pw_dir || !*pw->pw_dir)
		return cb_err(-ENOENT);
	return snprintf(buf, sz, "%s", pw->pw_dir) < (int)sz ? 0 : cb_err(-ENAMETOOLONG);
}

/* One row per architecture: uname -m, Debian's name, libbpf's
 * __TARGET_ARCH_ suffix. */
static const struct {
	const char *uname, *debian, *target;
} arches[] = {
	{ "x86_64", "amd64", "x86" },	   { "aarch64", "arm64", "arm64" },
	{ "s390x", "s390x", "s390" },	   { "ppc64le", "ppc64el", "powerpc" },
	{ "riscv64", "riscv64", "riscv" }, { "loongarch64", "loong64", "loongarch" },
	{ "i686", "i386", "x86" },	   { "armv7l", "armhf", "arm" },
	{ "mips64", "mips64el", "mips" },
};

static int arch_row(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(arches); i++) {
		if (!strcmp(name, arches[i].uname) || !strcmp(name, arches[i].debian))
			return (int)i;
	}
	return -1;
}

const char *arch_uname(const char *name)
{
	int i = arch_row(name);

	return i < 0 ? NULL : arches[i].uname;
}

const char *arch_debian(const char *name)
{
	int i = arch_row(name);

	return i < 0 ? NULL : arches[i].debian;
}

const char *arch_target(const char *name)
{
	int i = arch_row(name);

	return i < 0 ? NULL : arches[i].target;
}

int str_to_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || end == s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		break;
	case '\0':
		*out = v;
		return 0;
	default:
		return -EINVAL;
	}
	if (end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		return -EINVAL;
	if (v > ULLONG_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}
