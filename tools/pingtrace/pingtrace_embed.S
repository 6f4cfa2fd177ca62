/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The compiled CO-RE object of pingtrace.bpf.c inside the binary: no
 * compiler and no data files on the host that runs pingtrace. PT_OBJ is
 * its path, given by the Makefile. */
	.section .rodata, "a"
	.balign 8
	.global pt_bpf_obj
	.hidden pt_bpf_obj
	.type pt_bpf_obj, @object
pt_bpf_obj:
	.incbin PT_OBJ
	.global pt_bpf_obj_end
	.hidden pt_bpf_obj_end
pt_bpf_obj_end:
	.section .note.GNU-stack, "", @progbits
