// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* An exec storm for bench/bindings: run $STORM_PROGRAM (a static no-op) N
 * times, one after the other, and print how long that took in
 * microseconds. (The program is not an argument: execsnoop would show it
 * in the storm's own line.)
 *   STORM_PROGRAM=PATH storm N */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include "base/banned.h"

extern char **environ;

int main(int argc, char **argv)
{
	const char *prog = getenv("STORM_PROGRAM");
	struct timespec t0, t1;
	char *end = NULL;
	long n, i;

	if (argc != 2 || !prog) {
		fprintf(stderr, "usage: STORM_PROGRAM=PATH storm N\n");
		return 2;
	}
	n = strtol(argv[1], &end, 10);
	if (!end || *end || n <= 0) {
		fprintf(stderr, "storm: N must be a positive number, not '%s'\n", argv[1]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		char *args[] = { (char *)prog, NULL };
		pid_t pid;
		int st, err = posix_spawn(&pid, prog, NULL, NULL, args, environ);

		if (err) {
			fprintf(stderr, "storm: cannot run '%s': %s\n", prog, strerror(err));
			return 1;
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld\n",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
	return 0;
}
