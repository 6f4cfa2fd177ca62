// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fields that say what they hold by their type: lbc.h's typedefs
 * (lbc_ipv4_t, lbc_port_t, lbc_ksym_t, ...) recognised in BTF by name,
 * never by the field's name, and shown as people read them: an address,
 * a port in host order, a kernel or user symbol, a wall-clock time, an
 * errno or syscall name, a disk.
 */
#include <arpa/inet.h>
#include <asm/unistd.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/btf.h>

#include "format.h"

static const struct {
	const char *name;
	__u32 size; /* 0: any integer size */
} typed_names[] = {
	[TYPED_IPV4] = { "lbc_ipv4_t", 4 },
	[TYPED_IPV6] = { "lbc_ipv6_t", 16 },
	[TYPED_PORT] = { "lbc_port_t", 2 },
	[TYPED_KSYM] = { "lbc_ksym_t", 8 },
	[TYPED_USYM] = { "lbc_usym_t", 8 },
	[TYPED_NS] = { "lbc_ns_t", 8 },
	[TYPED_ERRNO] = { "lbc_errno_t", 0 },
	[TYPED_SYSCALL] = { "lbc_syscall_t", 0 },
	[TYPED_DEV] = { "lbc_dev_t", 4 },
	[TYPED_SIGNAL] = { "lbc_signal_t", 0 },
	[TYPED_TCP_STATE] = { "lbc_tcp_state_t", 0 },
};

/* include/net/tcp_states.h: the kernel's own numbering, a uAPI value */
static const char *const tcp_states[] = {
	NULL,
	"TCP_ESTABLISHED",
	"TCP_SYN_SENT",
	"TCP_SYN_RECV",
	"TCP_FIN_WAIT1",
	"TCP_FIN_WAIT2",
	"TCP_TIME_WAIT",
	"TCP_CLOSE",
	"TCP_CLOSE_WAIT",
	"TCP_LAST_ACK",
	"TCP_LISTEN",
	"TCP_CLOSING",
	"TCP_NEW_SYN_RECV",
	"TCP_BOUND_INACTIVE",
};

int typed_kind(const struct btf *btf, __u32 type_id)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	__s64 size = btf__resolve_size(btf, type_id);

	for (int i = 0; t && i < 64 && (btf_is_typedef(t) || btf_is_mod(t)); i++) {
		const char *name = btf__name_by_offset(btf, t->name_off);

		for (int k = 1; btf_is_typedef(t) && name && k < TYPED_MAX; k++) {
			if (strcmp(name, typed_names[k].name))
				continue;
			if (typed_names[k].size ?
				    size == typed_names[k].size :
				    (size == 1 || size == 2 || size == 4 || size == 8))
				return k;
			return TYPED_NONE; /* the name, not the shape: shown as it is */
		}
		t = btf__type_by_id(btf, t->type);
	}
	return TYPED_NONE;
}

static __s64 load_signed(const unsigned char *p, __u32 size)
{
	switch (size) {
	case 1:
		return *(const __s8 *)p;
	case 2: {
		__s16 v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	case 4: {
		__s32 v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	default: {
		__s64 v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	}
}

struct syscall_name {
	int nr;
	const char *name;
};

/* made by the Makefile from <asm/unistd.h> into the build's gen/ */
static const struct syscall_name syscalls[] = {
#define SYSCALL(n) { __NR_##n, #n },
#if __has_include(<syscall_names.h>)
#include <syscall_names.h>
#endif
#undef SYSCALL
	{ -1, NULL },
};

/* "SIGKILL", "SIGRTMIN+3"; NULL for a number that is no signal */
static const char *signal_name(int sig, char *buf, size_t sz)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, sz, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, sz, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		return NULL;
	return buf;
}

static const char *syscall_name(__s64 nr)
{
	for (size_t i = 0; syscalls[i].name; i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

/* A wall-clock time for a CLOCK_MONOTONIC ns (bpf_ktime_get_ns()). */
static void put_ns(__u64 ns, bool json, char *out, size_t sz)
{
	struct timespec mono, real;
	struct tm tm;
	char buf[64], zone[8] = "";
	__s64 wall;
	time_t sec;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	wall = ((__s64)real.tv_sec - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec) +
	       (__s64)ns;
	sec = (time_t)(wall / 1000000000LL);
	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), json ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	n = snprintf(out, sz, "%s.%06lld", buf, (long long)(wall % 1000000000LL) / 1000);
	if (json && strftime(zone, sizeof(zone), "%z", &tm) == 5 && n > 0 && (size_t)n < sz)
		snprintf(out + n, sz - (size_t)n, "%.3s:%s", zone, zone + 3);
}

/* "sda" for a block device's major:minor, from sysfs; "" if none. */
static void disk_name(unsigned maj, unsigned min, char *buf, size_t sz)
{
	char path[64], *data = NULL, *p;
	size_t len;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", maj, min);
	if (read_file(path, (void **)&data, &len))
		return;
	p = strstr(data, "DEVNAME=");
	if (p) {
		p += 8;
		snprintf(buf, sz, "%.*s", (int)strcspn(p, "\n"), p);
	}
	free(data);
}

/* User symbols of one process, the last few kept: an event stream
 * names the same processes again and again. */
#define USYM_CACHE 8
static __thread struct {
	int pid;
	struct coolbpf_syms *syms;
} usym_cache[USYM_CACHE];
static __thread unsigned usym_next;

static struct coolbpf_syms *usyms(int pid)
{
	unsigned i = usym_next++ % USYM_CACHE;

	for (unsigned k = 0; k < USYM_CACHE; k++)
		if (usym_cache[k].syms && usym_cache[k].pid == pid)
			return usym_cache[k].syms;
	coolbpf_syms__free(usym_cache[i].syms);
	usym_cache[i].pid = pid;
	usym_cache[i].syms = coolbpf_syms__new(pid);
	return usym_cache[i].syms;
}

bool typed_format(int kind, const unsigned char *p, __u32 size, int pid, bool json, char *out,
		  size_t out_sz)
{
	char buf[INET6_ADDRSTRLEN + 512];
	__u16 port;
	__u64 u = 0;
	__s64 s;
	const char *name;

	switch (kind) {
	case TYPED_IPV4:
	case TYPED_IPV6:
		if (!inet_ntop(kind == TYPED_IPV4 ? AF_INET : AF_INET6, p, out, (socklen_t)out_sz))
			out[0] = '\0';
		return false;
	case TYPED_PORT:
		memcpy(&port, p, sizeof(port));
		snprintf(out, out_sz, "%u", ntohs(port));
		return true;
	case TYPED_KSYM:
	case TYPED_USYM:
		memcpy(&u, p, sizeof(u));
		if (!u) {
			snprintf(out, out_sz, "0x0");
		} else if (kind == TYPED_KSYM) {
			const struct ksyms *ks;

			if (ksyms_kernel(&ks) || ksyms_format(ks, u, out, out_sz))
				snprintf(out, out_sz, "0x%llx", (unsigned long long)u);
		} else {
			struct coolbpf_syms *sy = pid > 0 ? usyms(pid) : NULL;

			if (!sy || coolbpf_syms__resolve(sy, u, out, out_sz))
				snprintf(out, out_sz, "[unknown] 0x%llx", (unsigned long long)u);
		}
		return false;
	case TYPED_NS:
		memcpy(&u, p, sizeof(u));
		put_ns(u, json, out, out_sz);
		return false;
	case TYPED_ERRNO:
		s = load_signed(p, size);
		name = s ? strerrorname_np((int)(s < 0 ? -s : s)) : NULL;
		if (!name) {
			snprintf(out, out_sz, "%lld", (long long)s);
			return true;
		}
		snprintf(out, out_sz, "%s%s", s < 0 ? "-" : "", name);
		return false;
	case TYPED_SYSCALL:
	case TYPED_SIGNAL:
	case TYPED_TCP_STATE:
		s = load_signed(p, size);
		if (kind == TYPED_SYSCALL)
			name = syscall_name(s);
		else if (kind == TYPED_TCP_STATE)
			name = s > 0 && s < (__s64)ARRAY_SIZE(tcp_states) ? tcp_states[s] : NULL;
		else
			name = s > 0 && s < 65 ? signal_name((int)s, buf, sizeof(buf)) : NULL;
		if (!name) {
			snprintf(out, out_sz, "%lld", (long long)s);
			return true;
		}
		snprintf(out, out_sz, "%s", name);
		return false;
	case TYPED_DEV: {
		__u32 dev;
		unsigned maj, min;

		memcpy(&dev, p, sizeof(dev));
		/* the kernel's own dev_t: 12 bits of major, 20 of minor */
		maj = dev >> 20;
		min = dev & 0xfffff;
		disk_name(maj, min, buf, sizeof(buf));
		snprintf(out, out_sz, buf[0] ? "%s(%u:%u)" : "%s%u:%u", buf, maj, min);
		return false;
	}
	default:
		out[0] = '\0';
		return false;
	}
}
