// SPDX-License-Identifier: GPL-2.0
/* Program load without the kernel's verifier: structural checks, then a
 * rewrite that makes every remaining access safe at run time (loads through
 * a fault-safe helper, stores range-checked against the program's stack and
 * the writable values of its maps, backward jumps on a budget, divisions by
 * a register checked for zero), then the kernel's own interpreter or JIT
 * (bpf_prog_select_runtime). What it cannot make safe it refuses, naming
 * the instruction and, from the BTF line info, the source line. */
#include <linux/anon_inodes.h>
#include <linux/bpf.h>
#include <linux/seq_file.h>
#include <linux/string.h>
/* (5.10's btf.h and license.h need the three above first) */
#include <linux/btf.h>
#include <linux/file.h>
#include <linux/license.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "nobpf.h"

struct rw {
	union bpf_attr *attr;
	struct bpf_insn *in, *out;
	u32 n, len, cap;
	u32 *start;  /* original index -> first rewritten instruction */
	u32 *target; /* rewritten jump -> original target (or ABORT) */
	u32 *orig;   /* rewritten index -> original index */
	u32 cur;     /* the original instruction being rewritten */
	struct nb_prog *np;
	/* line info, for messages */
	struct nb_line *lines;
	u32 nr_lines;
	void *btf;
	u32 btf_size;
};

#define TGT_NONE  ((u32)-1)
#define TGT_ABORT ((u32)-2)

static const char *btf_str(struct rw *r, u32 off)
{
	const struct btf_header *h = r->btf;
	u32 start;

	if (!h || r->btf_size < sizeof(*h) || h->magic != BTF_MAGIC)
		return NULL;
	start = h->hdr_len + h->str_off;
	if (start >= r->btf_size || off >= h->str_len || start + off >= r->btf_size)
		return NULL;
	if (!memchr(r->btf + start + off, 0, r->btf_size - start - off))
		return NULL;
	return r->btf + start + off;
}

static void load_lines(struct rw *r)
{
	union bpf_attr *a = r->attr;
	u32 i, rs = a->line_info_rec_size;

	if (!a->line_info || !a->line_info_cnt || rs < sizeof(struct bpf_line_info) ||
	    a->line_info_cnt > r->n)
		return;
	r->btf = nb_btf_data(a->prog_btf_fd, &r->btf_size);
	r->lines = kvcalloc(a->line_info_cnt, sizeof(*r->lines), GFP_KERNEL);
	if (!r->btf || !r->lines)
		return;
	for (i = 0; i < a->line_info_cnt; i++) {
		struct bpf_line_info li;

		if (copy_from_user(&li, u64_to_user_ptr(a->line_info) + (u64)i * rs, sizeof(li)))
			return;
		r->lines[i].insn_off = li.insn_off;
		r->lines[i].line = BPF_LINE_INFO_LINE_NUM(li.line_col);
		r->lines[i].file = btf_str(r, li.file_name_off);
		r->nr_lines = i + 1;
		/* the source text of the line, when BTF has it */
		if (!btf_str(r, li.line_off))
			continue;
	}
}

/* "insn 12 (foo.bpf.c:30)" for instruction i */
static int refuse(struct rw *r, u32 i, const char *why)
{
	const struct nb_line *best = NULL;
	const char *file;
	u32 k;

	for (k = 0; k < r->nr_lines; k++)
		if (r->lines[k].insn_off <= i)
			best = &r->lines[k];
	file = best && best->file ? kbasename(best->file) : NULL;
	if (file)
		nb_log(r->attr, "coolbpf_nobpf refuses insn %u (%s:%u): %s\n", i, file, best->line,
		       why);
	else
		nb_log(r->attr, "coolbpf_nobpf refuses insn %u: %s\n", i, why);
	return -EACCES;
}

static int emit(struct rw *r, struct bpf_insn insn, u32 target)
{
	if (r->len == r->cap) {
		u32 cap = r->cap * 2;
		struct bpf_insn *o =
			nb_kvrealloc(r->out, r->cap * sizeof(*o), cap * sizeof(*o), GFP_KERNEL);
		u32 *t = nb_kvrealloc(r->target, r->cap * sizeof(*t), cap * sizeof(*t), GFP_KERNEL);
		u32 *g = t ? nb_kvrealloc(r->orig, r->cap * sizeof(*g), cap * sizeof(*g),
					  GFP_KERNEL) :
			     NULL;

		if (o)
			r->out = o;
		if (t)
			r->target = t;
		if (g)
			r->orig = g;
		if (!o || !t || !g)
			return -ENOMEM;
		r->cap = cap;
	}
	r->target[r->len] = target;
	r->orig[r->len] = r->cur;
	r->out[r->len++] = insn;
	return 0;
}

#define E(insn)                                    \
	do {                                       \
		int __e = emit(r, insn, TGT_NONE); \
		if (__e)                           \
			return __e;                \
	} while (0)

static s32 call_imm(void *fn)
{
	return (s32)((u64)fn - (u64)__bpf_call_base);
}

static int save(struct rw *r, int except)
{
	int i;

	for (i = BPF_REG_0; i <= BPF_REG_5; i++)
		if (i != except)
			E(BPF_STX_MEM(BPF_DW, BPF_REG_10, i, NB_SLOT(i)));
	return 0;
}

static int restore(struct rw *r, int except)
{
	int i;

	for (i = BPF_REG_0; i <= BPF_REG_5; i++)
		if (i != except)
			E(BPF_LDX_MEM(BPF_DW, i, BPF_REG_10, NB_SLOT(i)));
	return 0;
}

/* reg's value before save() clobbered anything: from its slot if r0-r5 */
static int fetch(struct rw *r, int to, int reg)
{
	if (reg <= BPF_REG_5)
		E(BPF_LDX_MEM(BPF_DW, to, BPF_REG_10, NB_SLOT(reg)));
	else
		E(BPF_MOV64_REG(to, reg));
	return 0;
}

static int size_bytes(u8 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

static int rw_load(struct rw *r, const struct bpf_insn *in)
{
	int err = save(r, in->dst_reg);

	if (err)
		return err;
	E(BPF_MOV64_REG(BPF_REG_1, in->src_reg)); /* nothing clobbered yet */
	if (in->off)
		E(BPF_ALU64_IMM(BPF_ADD, BPF_REG_1, in->off));
	E(BPF_MOV64_IMM(BPF_REG_2, size_bytes(in->code)));
	E(BPF_EMIT_CALL(nb_check_load));
	r->out[r->len - 1].imm = call_imm(nb_check_load);
	if (in->dst_reg != BPF_REG_0)
		E(BPF_MOV64_REG(in->dst_reg, BPF_REG_0));
	return restore(r, in->dst_reg);
}

static int rw_store(struct rw *r, const struct bpf_insn *in)
{
	int err = save(r, -1);

	if (err)
		return err;
	if (BPF_CLASS(in->code) == BPF_ST)
		E(BPF_MOV64_IMM(BPF_REG_2, in->imm));
	else if ((err = fetch(r, BPF_REG_2, in->src_reg)))
		return err;
	if ((err = fetch(r, BPF_REG_1, in->dst_reg)))
		return err;
	if (in->off)
		E(BPF_ALU64_IMM(BPF_ADD, BPF_REG_1, in->off));
	E(BPF_MOV64_IMM(BPF_REG_3, size_bytes(in->code)));
	E(BPF_MOV64_IMM(BPF_REG_4, r->cur));
	E(BPF_EMIT_CALL(nb_check_store));
	r->out[r->len - 1].imm = call_imm(nb_check_store);
	return restore(r, -1);
}

static int rw_atomic(struct rw *r, const struct bpf_insn *in)
{
	bool fetching = in->imm & BPF_FETCH;
	int keep = fetching ? in->src_reg : -1, err;

	switch (in->imm) {
	case BPF_ADD:
	case BPF_AND:
	case BPF_OR:
	case BPF_XOR:
	case BPF_ADD | BPF_FETCH:
	case BPF_AND | BPF_FETCH:
	case BPF_OR | BPF_FETCH:
	case BPF_XOR | BPF_FETCH:
	case BPF_XCHG:
		break;
	default:
		return refuse(r, r->cur, "this atomic operation (cmpxchg) is not supported");
	}
	if (BPF_SIZE(in->code) != BPF_W && BPF_SIZE(in->code) != BPF_DW)
		return refuse(r, r->cur, "atomics are 32 or 64 bits");
	err = save(r, keep);
	if (err)
		return err;
	if (keep >= 0 && keep <= BPF_REG_5)
		E(BPF_STX_MEM(BPF_DW, BPF_REG_10, keep, NB_SLOT(keep))); /* fetch reads it */
	if ((err = fetch(r, BPF_REG_2, in->src_reg)) || (err = fetch(r, BPF_REG_1, in->dst_reg)))
		return err;
	if (in->off)
		E(BPF_ALU64_IMM(BPF_ADD, BPF_REG_1, in->off));
	E(BPF_MOV64_IMM(BPF_REG_3, (in->imm << 8) | size_bytes(in->code)));
	E(BPF_MOV64_IMM(BPF_REG_4, r->cur));
	E(BPF_EMIT_CALL(nb_check_atomic));
	r->out[r->len - 1].imm = call_imm(nb_check_atomic);
	if (fetching && in->src_reg != BPF_REG_0)
		E(BPF_MOV64_REG(in->src_reg, BPF_REG_0));
	return restore(r, keep);
}

static bool is_jump(u8 code)
{
	u8 cls = BPF_CLASS(code), op = BPF_OP(code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static bool stack_ok(s16 off, int size)
{
	return off < 0 && off >= -NB_STACK_USABLE && off + size <= 0;
}

static bool gpl(union bpf_attr *a)
{
	char lic[128] = {};

	if (strncpy_from_user(lic, u64_to_user_ptr(a->license), sizeof(lic) - 1) < 0)
		return false;
	return license_is_gpl_compatible(lic);
}

/* ld_imm64 of a map fd or a map value address: the map's kernel address */
static int resolve_map(struct rw *r, struct bpf_insn *in)
{
	struct nb_prog *np = r->np;
	struct file *f;
	struct nb_map *m;
	u64 addr;
	u32 k;

	m = nb_map_from_fd(in[0].imm, &f);
	if (IS_ERR(m))
		return refuse(r, r->cur, "this instruction names an fd that is not a coolbpf map");
	for (k = 0; k < np->nr_maps && np->map_ptr[k] != m; k++)
		;
	if (k == np->nr_maps) {
		if (np->nr_maps == NB_MAX_USED_MAPS) {
			fput(f);
			return refuse(r, r->cur, "more than 64 maps");
		}
		np->maps[np->nr_maps] = f;
		np->map_ptr[np->nr_maps++] = m;
	} else {
		fput(f);
	}
	if (in[0].src_reg == BPF_PSEUDO_MAP_FD) {
		addr = (u64)m;
	} else {
		if (m->type != BPF_MAP_TYPE_ARRAY || m->max_entries != 1 ||
		    (u32)in[1].imm >= m->value_size)
			return refuse(r, r->cur, "a map value address outside a one-element array");
		addr = (u64)m->mem + (u32)in[1].imm;
	}
	in[0].imm = (u32)addr;
	in[1].imm = addr >> 32;
	in[0].src_reg = 0;
	return 0;
}

static int check_insn(struct rw *r, u32 i)
{
	struct bpf_insn *in = &r->in[i];
	u8 code = in->code, cls = BPF_CLASS(code), op = BPF_OP(code);

	if (in->dst_reg > BPF_REG_10 || in->src_reg > BPF_REG_10)
		return refuse(r, i, "a register number above r10");
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (in->dst_reg == BPF_REG_10)
			return refuse(r, i, "writes r10, the frame pointer");
		if (op > BPF_END)
			return refuse(r, i, "an unknown ALU operation");
		if ((op == BPF_DIV || op == BPF_MOD) && BPF_SRC(code) == BPF_K && !in->imm)
			return refuse(r, i, "division by the constant 0");
		return 0;
	case BPF_LDX:
		if (BPF_MODE(code) != BPF_MEM)
			return refuse(r, i, "a load mode other than BPF_MEM");
		if (in->dst_reg == BPF_REG_10)
			return refuse(r, i, "writes r10, the frame pointer");
		if (in->src_reg == BPF_REG_10 && !stack_ok(in->off, size_bytes(code)))
			return refuse(r, i, "a stack read outside the program's 448 bytes");
		return 0;
	case BPF_ST:
	case BPF_STX:
		if (BPF_MODE(code) != BPF_MEM && !(cls == BPF_STX && BPF_MODE(code) == BPF_ATOMIC))
			return refuse(r, i, "a store mode other than BPF_MEM or BPF_ATOMIC");
		if (in->dst_reg == BPF_REG_10 && !stack_ok(in->off, size_bytes(code)))
			return refuse(r, i, "a stack write outside the program's 448 bytes");
		return 0;
	case BPF_LD:
		if (code != (BPF_LD | BPF_IMM | BPF_DW))
			return refuse(r, i, "legacy packet loads (LD_ABS/LD_IND)");
		if (i + 1 >= r->n || r->in[i + 1].code || in->dst_reg == BPF_REG_10)
			return refuse(r, i, "a broken ld_imm64");
		if (in->src_reg && in->src_reg != BPF_PSEUDO_MAP_FD &&
		    in->src_reg != BPF_PSEUDO_MAP_VALUE)
			return refuse(
				r, i,
				"ld_imm64 of something other than a map (BTF ids, functions)");
		return 0;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_EXIT)
			return 0;
		if (op == BPF_CALL) {
			if (cls == BPF_JMP32)
				return refuse(r, i, "a 32-bit call");
			if (in->src_reg == BPF_PSEUDO_CALL)
				return refuse(r, i,
					      "a call to a BPF function: mark it __always_inline");
			if (in->src_reg)
				return refuse(r, i, "a kfunc call");
			if (in->imm == BPF_FUNC_tail_call)
				return refuse(r, i, "tail calls are not supported");
			if (in->imm == NB_CORE_POISON)
				return 0; /* ends the program if reached (rewrite) */
			if (!nb_helper(in->imm))
				return refuse(r, i,
					      "a helper that is not on the module's allow-list");
			return 0;
		}
		if (op > BPF_JSLE || (cls == BPF_JMP32 && op == BPF_JA))
			return refuse(r, i, "an unknown jump");
		{
			s64 t = (s64)i + 1 + in->off;

			if (t < 0 || t >= r->n)
				return refuse(r, i, "a jump outside the program");
			if (t > 0 && r->in[t - 1].code == (BPF_LD | BPF_IMM | BPF_DW))
				return refuse(r, i, "a jump into the middle of an ld_imm64");
		}
		return 0;
	}
	return refuse(r, i, "an unknown instruction class");
}

static int rewrite_one(struct rw *r, u32 i)
{
	struct bpf_insn *in = &r->in[i];
	u8 code = in->code, cls = BPF_CLASS(code), op = BPF_OP(code);
	int err;

	switch (cls) {
	case BPF_LDX:
		if (in->src_reg != BPF_REG_10)
			return rw_load(r, in);
		break;
	case BPF_ST:
	case BPF_STX:
		if (in->dst_reg == BPF_REG_10 && NB_OLD_ATOMICS && BPF_MODE(code) == BPF_ATOMIC &&
		    in->imm != BPF_ADD)
			return refuse(r, r->cur,
				      "this kernel's interpreter has no such atomic (5.12)");
		if (in->dst_reg == BPF_REG_10)
			break;
		if (BPF_MODE(code) == BPF_ATOMIC)
			return rw_atomic(r, in);
		return rw_store(r, in);
	case BPF_ALU:
	case BPF_ALU64:
		if ((op == BPF_DIV || op == BPF_MOD) && BPF_SRC(code) == BPF_X) {
			u8 j = cls == BPF_ALU ? BPF_JMP32 : BPF_JMP;

			/* the kernel's answer: x / 0 = 0, x % 0 = x */
			E(((struct bpf_insn){
				.code = j | BPF_JNE | BPF_K, .dst_reg = in->src_reg, .off = 2 }));
			if (op == BPF_DIV)
				E(((struct bpf_insn){ .code = cls | BPF_MOV | BPF_K,
						      .dst_reg = in->dst_reg }));
			else
				E(((struct bpf_insn){ .code = cls | BPF_MOV | BPF_X,
						      .dst_reg = in->dst_reg,
						      .src_reg = in->dst_reg }));
			E(BPF_JMP_A(1));
		}
		break;
	case BPF_LD:
		if (in->src_reg) {
			err = resolve_map(r, in);
			if (err)
				return err;
		}
		E(in[0]);
		E(in[1]);
		return 0;
	case BPF_JMP:
		if (op == BPF_CALL && in->imm == NB_CORE_POISON)
			return emit(r, BPF_JMP_A(0), TGT_ABORT);
		if (op == BPF_CALL) {
			struct bpf_insn c = *in;

			c.imm = call_imm(nb_helper(in->imm));
			E(c);
			return 0;
		}
		break;
	}
	if (is_jump(code)) {
		u32 t = i + 1 + in->off;

		if (t <= i) {
			/* budget: r0 spilled, the counter decremented, out when spent */
			E(BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, NB_SLOT(0)));
			E(BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, NB_SLOT(NB_SLOT_BUDGET)));
			E(BPF_ALU64_IMM(BPF_SUB, BPF_REG_0, 1));
			E(BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, NB_SLOT(NB_SLOT_BUDGET)));
			err = emit(r, BPF_JMP_IMM(BPF_JSLT, BPF_REG_0, 0, 0), TGT_ABORT);
			if (err)
				return err;
			E(BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, NB_SLOT(0)));
		}
		return emit(r, *in, t);
	}
	E(*in);
	return 0;
}

static int rewrite(struct rw *r)
{
	u32 i, abort_at;
	int err;

	r->cap = r->n * 4 + 64;
	r->out = kvmalloc_array(r->cap, sizeof(*r->out), GFP_KERNEL);
	r->target = kvmalloc_array(r->cap, sizeof(u32), GFP_KERNEL);
	r->orig = kvmalloc_array(r->cap, sizeof(u32), GFP_KERNEL);
	r->start = kvmalloc_array(r->n + 1, sizeof(u32), GFP_KERNEL);
	if (!r->out || !r->target || !r->orig || !r->start)
		return -ENOMEM;
	r->cur = 0;
	/* prologue: the frame for the range checks, the loop budget */
	E(BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, NB_SLOT(1)));
	E(BPF_MOV64_REG(BPF_REG_1, BPF_REG_10));
	E(BPF_EMIT_CALL(nb_set_frame));
	r->out[r->len - 1].imm = call_imm(nb_set_frame);
	E(BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, NB_SLOT(1)));
	E(BPF_ST_MEM(BPF_DW, BPF_REG_10, NB_SLOT(NB_SLOT_BUDGET), NB_LOOP_BUDGET));
	for (i = 0; i < r->n; i++) {
		r->cur = i;
		r->start[i] = r->len;
		err = rewrite_one(r, i);
		if (err)
			return err;
		if (r->in[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			r->start[++i] = r->len - 1;
	}
	abort_at = r->len;
	E(BPF_MOV64_IMM(BPF_REG_0, 0));
	E(BPF_EXIT_INSN());
	for (i = 0; i < r->len; i++) {
		s64 off;

		if (r->target[i] == TGT_NONE)
			continue;
		off = (s64)(r->target[i] == TGT_ABORT ? abort_at : r->start[r->target[i]]) - i - 1;
		if (off < S16_MIN || off > S16_MAX)
			return refuse(r, r->orig[i], "a jump too long once the checks are added");
		r->out[i].off = off;
	}
	return 0;
}

static void np_free(struct nb_prog *np)
{
	u32 i;

	for (i = 0; i < np->nr_maps; i++)
		fput(np->maps[i]);
	if (np->prog)
		bpf_prog_free(np->prog);
	kfree(np);
}

static int prog_release(struct inode *inode, struct file *f)
{
	np_free(f->private_data);
	return 0;
}

const struct file_operations nb_prog_fops = {
	.owner = THIS_MODULE,
	.release = prog_release,
};

int nb_prog_load(union bpf_attr *attr)
{
	struct rw r = { .attr = attr };
	struct nb_prog *np;
	struct bpf_prog *prog;
	int err, fd;
	u32 i;

	switch (attr->prog_type) {
	case BPF_PROG_TYPE_KPROBE:
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_PERF_EVENT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_SOCKET_FILTER: /* libbpf's first probe; never attached */
		break;
	default:
		nb_log(attr,
		       "coolbpf_nobpf runs kprobe, uprobe, tracepoint and raw tracepoint programs only (type %u)\n",
		       attr->prog_type);
		return -EINVAL;
	}
	if (!attr->insn_cnt || attr->insn_cnt > 65536)
		return -E2BIG;
	np = kzalloc(sizeof(*np), GFP_KERNEL);
	if (!np)
		return -ENOMEM;
	np->id = nb_new_id();
	np->type = attr->prog_type;
	strscpy(np->name, attr->prog_name, sizeof(np->name));
	r.np = np;
	r.n = attr->insn_cnt;
	r.in = kvmalloc_array(r.n, sizeof(*r.in), GFP_KERNEL);
	err = -ENOMEM;
	if (!r.in)
		goto out;
	err = -EFAULT;
	if (copy_from_user(r.in, u64_to_user_ptr(attr->insns), r.n * sizeof(*r.in)))
		goto out;
	load_lines(&r);
	for (i = 0; i < r.n; i++) {
		err = check_insn(&r, i);
		if (err)
			goto out;
		if (r.in[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	{
		u8 last = r.in[r.n - 1].code;

		if (last != (BPF_JMP | BPF_EXIT) && last != (BPF_JMP | BPF_JA)) {
			err = refuse(&r, r.n - 1, "the program can run off its end");
			goto out;
		}
	}
	err = rewrite(&r);
	if (err)
		goto out;
	err = -ENOMEM;
	prog = bpf_prog_alloc(bpf_prog_size(r.len), 0);
	if (!prog)
		goto out;
	prog->len = r.len;
	memcpy(prog->insnsi, r.out, r.len * sizeof(*r.out));
	prog->type = attr->prog_type;
	prog->gpl_compatible = gpl(attr);
	prog->aux->stack_depth = MAX_BPF_STACK;
	memcpy(prog->aux->name, np->name, sizeof(prog->aux->name));
	np->orig_len = r.n;
	np->prog = bpf_prog_select_runtime(prog, &err);
	if (err)
		goto out;
	fd = anon_inode_getfd("coolbpf-prog", &nb_prog_fops, np, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	np = NULL;
	err = fd;
out:
	if (np)
		np_free(np);
	kvfree(r.in);
	kvfree(r.out);
	kvfree(r.target);
	kvfree(r.orig);
	kvfree(r.start);
	kvfree(r.lines);
	kvfree(r.btf);
	return err;
}

int nb_prog_info(struct nb_prog *np, void __user *uinfo, u32 *len)
{
	struct bpf_prog_info info = {};
	u32 n = min_t(u32, *len, sizeof(info));

	info.type = np->type;
	info.id = np->id;
	info.xlated_prog_len = np->orig_len * sizeof(struct bpf_insn);
	info.jited_prog_len = np->prog->jited ? np->prog->jited_len : 0;
	info.nr_map_ids = 0;
	memcpy(info.name, np->name, sizeof(info.name));
	info.run_cnt = atomic64_read(&np->runs);
	*len = n;
	return copy_to_user(uinfo, &info, n) ? -EFAULT : 0;
}

DEFINE_PER_CPU(struct nb_run, nb_run);

unsigned int nb_prog_run(struct nb_prog *np, void *ctx, struct pt_regs *regs)
{
	struct nb_run *run = this_cpu_ptr(&nb_run);
	unsigned int ret;

	/* one program per CPU at a time, as the kernel's bpf_prog_active */
	if (run->depth)
		return 0;
	run->depth++;
	run->np = np;
	run->ctx = ctx;
	run->regs = regs;
	ret = np->prog->bpf_func(ctx, np->prog->insnsi);
	atomic64_inc(&np->runs);
	run->np = NULL;
	run->depth--;
	return ret;
}
