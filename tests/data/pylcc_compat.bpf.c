// A program in the style of the original pylcc examples, kept as they were
// written: legacy macros, _() reads, perf output, hist2_push, stack ids.
#include "lbc.h"

struct data_t {
	u32 c_pid;
	u32 p_pid;
	char c_comm[16];
	char p_comm[16];
};

LBC_PERF_OUTPUT(e_out, struct data_t, 128);
LBC_HASH(pid_cnt, u32, u32, 1024);
LBC_HIST2(fork_hist);
LBC_HIST10(fork_hist10);
LBC_STACK(call_stack, 32);
LBC_ARRAY(arr, u32, u64, 4);
LBC_LRU_HASH(lru, u32, u64, 64);
LBC_PERCPU_HASH(pch, u32, u64, 64);
LBC_PERCPU_ARRAY(pca, u32, u64, 4);
LBC_LRU_PERCPU_HASH(lpch, u32, u64, 64);

SEC("tp/sched/sched_process_fork")
int j_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct data_t data = {};
	u32 pid = ctx->parent_pid;
	u32 *cnt, one = 1;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	data.c_pid = ctx->child_pid;
	data.p_pid = _(task->tgid);
	bpf_get_current_comm(&data.c_comm, 16);
	bpf_probe_read_kernel_str(data.p_comm, 16, task->comm);
	bpf_perf_event_output(ctx, &e_out, BPF_F_CURRENT_CPU, &data, sizeof(data));

	cnt = bpf_map_lookup_elem(&pid_cnt, &pid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&pid_cnt, &pid, &one, BPF_ANY);
	hist2_push(&fork_hist, data.c_pid);
	hist10_push(&fork_hist10, data.c_pid);
	bpf_get_stackid(ctx, &call_stack, KERN_STACKID_FLAGS);
	return ntohs(0) + ntohl(0) + (int)ntohll(0);
}

char _license[] SEC("license") = "GPL";
