/* SPDX-License-Identifier: GPL-2.0 */
/* The counter the VM matrix reads back: every hook hit adds one. */
#ifndef COOLBPF_VM_HITS_H
#define COOLBPF_VM_HITS_H

LBC_ARRAY(hits, u32, u64, 1);

static __always_inline void hit(void)
{
	u32 k = 0;
	u64 *v = bpf_map_lookup_elem(&hits, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

#endif
