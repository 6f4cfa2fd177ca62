/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The coolbpf command: one file per verb, main.c only dispatches. */
#ifndef COOLBPF_CLI_H
#define COOLBPF_CLI_H

#include <stdbool.h>

#include "coolbpf/coolbpf.h"

/* Each verb gets argv starting at its own name and returns the exit status. */
int cmd_compile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_btf(int argc, char **argv);

/* Verbosity set by -v (0: warnings only). */
extern int cli_verbose;
/* Install the stderr printer for libcoolbpf diagnostics. */
void cli_setup_log(void);
/* "coolbpf: <msg>" on stderr. */
__attribute__((format(printf, 1, 2))) void cli_err(const char *fmt, ...);
/* Parse a bounded integer option; on error prints "invalid NAME 'ARG'" and returns -1. */
int cli_parse_long(const char *name, const char *arg, long min, long max, long *out);

#endif
