/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bpf/lbc.h inside the library, so compiling needs no data files at run
 * time. Assembled from the repository root (see Makefile). */
	.section .rodata, "a"
	.global cb_lbc_h
	.hidden cb_lbc_h
	.type cb_lbc_h, @object
cb_lbc_h:
	.incbin "bpf/lbc.h"
	.global cb_lbc_h_end
	.hidden cb_lbc_h_end
cb_lbc_h_end:
	.byte 0
	.section .note.GNU-stack, "", @progbits
