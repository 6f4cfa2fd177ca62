"""perf_event_open(2) for attachPerfEvent: struct perf_event_attr and the
constants the original pylcc's perfEvent module exported."""
import ctypes as ct
import os

from . import _lib
from .errors import AttachError


class PerfType:
    """enum perf_type_id"""
    HARDWARE, SOFTWARE, TRACEPOINT, HW_CACHE, RAW, BREAKPOINT = range(6)
    MAX = BREAKPOINT


class PerfHWConfig:
    """enum perf_hw_id (the original's name; PerfHwIds is the same)"""
    CPU_CYCLES, INSTRUCTIONS, CACHE_REFERENCES, CACHE_MISSES, BRANCH_INSTRUCTIONS, \
        BRANCH_MISSES, BUS_CYCLES, STALLED_CYCLES_FRONTEND, STALLED_CYCLES_BACKEND, \
        REF_CPU_CYCLES = range(10)
    MAX = REF_CPU_CYCLES


PerfHwIds = PerfHWConfig


class PerfHWCacheId:
    """enum perf_hw_cache_id"""
    L1D, L1I, LL, DTLB, ITLB, BPU, NODE = range(7)
    MAX = NODE


class PerfHWCacheOpId:
    """enum perf_hw_cache_op_id"""
    READ, WRITE, PREFETCH = range(3)
    MAX = PREFETCH


class PerfHWCacheOpResultId:
    """enum perf_hw_cache_op_result_id"""
    ACCESS, MISS = range(2)
    MAX = MISS


class PerfSwIds:
    """enum perf_sw_ids"""
    CPU_CLOCK, TASK_CLOCK, PAGE_FAULTS, CONTEXT_SWITCHES, CPU_MIGRATIONS, PAGE_FAULTS_MIN, \
        PAGE_FAULTS_MAJ, ALIGNMENT_FAULTS, EMULATION_FAULTS, DUMMY, BPF_OUTPUT, \
        CGROUP_SWITCHES = range(12)
    MAX = CGROUP_SWITCHES


def _bits(cls, names):
    for i, name in enumerate(names):
        if name:
            setattr(cls, name, 1 << i)
    return cls


class PerfEventSampleFormat:
    """enum perf_event_sample_format (PERF_SAMPLE_*), as the kernel's
    uapi has them (the original gave READ the bit of CALLCHAIN)"""


_bits(PerfEventSampleFormat,
      ["IP", "TID", "TIME", "ADDR", "READ", "CALLCHAIN", "ID", "CPU", "PERIOD", "STREAM_ID",
       "RAW", "BRANCH_STACK", "REGS_USER", "STACK_USER", "WEIGHT", "DATA_SRC", "IDENTIFIER",
       "TRANSACTION", "REGS_INTR", "PHYS_ADDR", "AUX", "CGROUP", "DATA_PAGE_SIZE",
       "CODE_PAGE_SIZE", "WEIGHT_STRUCT"])
PerfEventSampleFormat.MAX = PerfEventSampleFormat.WEIGHT_STRUCT << 1
PERF_SAMPLE_WEIGHT_TYPE = PerfEventSampleFormat.WEIGHT | PerfEventSampleFormat.WEIGHT_STRUCT


class PerfBranchSampleType:
    """enum perf_branch_sample_type (PERF_SAMPLE_BRANCH_*)"""


_bits(PerfBranchSampleType,
      ["USER", "KERNEL", "HV", "ANY", "ANY_CALL", "ANY_RETURN", "IND_CALL", "ABORT_TX",
       "IN_TX", "NO_TX", "COND", "CALL_STACK", "IND_JUMP", "CALL", "NO_FLAGS", "NO_CYCLES",
       "TYPE_SAVE", "HW_INDEX"])
PerfBranchSampleType.MAX = PerfBranchSampleType.HW_INDEX << 1
PERF_SAMPLE_BRANCH_PLM_ALL = (PerfBranchSampleType.USER | PerfBranchSampleType.KERNEL
                              | PerfBranchSampleType.HV)


class PerfBranch:
    """the common branch types (PERF_BR_*)"""
    UNKNOWN, COND, UNCOND, IND, CALL, IND_CALL, RET, SYSCALL, SYSRET, COND_CALL, \
        COND_RET = range(11)
    MAX = COND_RET


class PerfEventReadFormat:
    """enum perf_event_read_format (PERF_FORMAT_*)"""
    TOTAL_TIME_ENABLED, TOTAL_TIME_RUNNING, ID, GROUP = 1, 2, 4, 8
    MAX = GROUP


class PerfBreakPointLen:
    """HW_BREAKPOINT_LEN_*"""
    LEN_1, LEN_2, LEN_3, LEN_4, LEN_5, LEN_6, LEN_7, LEN_8 = range(1, 9)


class PerfBreakPointType:
    """HW_BREAKPOINT_* types"""
    EMPTY, R, W, RW, X = 0, 1, 2, 3, 4


class PerfFlag:
    """perf_event_open(2) flags (PERF_FLAG_*)"""
    FD_NO_GROUP, FD_OUTPUT, PID_CGROUP, FD_CLOEXEC = 1, 2, 4, 8


# sizes of struct perf_event_attr's published versions (the kernel's; the
# original had 102 and 114 for VER4 and VER5). The size field sent is
# always this module's own structure size, whatever the dict says.
PERF_ATTR_SIZE_VER0 = 64
PERF_ATTR_SIZE_VER1 = 72
PERF_ATTR_SIZE_VER2 = 80
PERF_ATTR_SIZE_VER3 = 96
PERF_ATTR_SIZE_VER4 = 104
PERF_ATTR_SIZE_VER5 = 112
PERF_ATTR_SIZE_VER6 = 120
PERF_ATTR_SIZE_VER7 = 128
PERF_ATTR_SIZE_VER8 = 136

# the single-bit (and precise_ip's two-bit) flags after read_format, in order
_FLAGS = ["disabled", "inherit", "pinned", "exclusive", "exclude_user", "exclude_kernel",
          "exclude_hv", "exclude_idle", "mmap", "comm", "freq", "inherit_stat",
          "enable_on_exec", "task", "watermark", ("precise_ip", 2), "mmap_data",
          "sample_id_all", "exclude_host", "exclude_guest", "exclude_callchain_kernel",
          "exclude_callchain_user", "mmap2", "comm_exec", "use_clockid", "context_switch",
          "write_backward", "namespaces", "ksymbol", "bpf_event", "aux_output", "cgroup",
          "text_poke", "build_id", "inherit_thread", "remove_on_exec", "sigtrap"]


class PerfEventAttr(ct.Structure):
    _fields_ = [("type", ct.c_uint32), ("size", ct.c_uint32), ("config", ct.c_uint64),
                ("sample_period", ct.c_uint64), ("sample_type", ct.c_uint64),
                ("read_format", ct.c_uint64), ("flags", ct.c_uint64),
                ("wakeup_events", ct.c_uint32), ("bp_type", ct.c_uint32),
                ("bp_addr", ct.c_uint64), ("bp_len", ct.c_uint64),
                ("branch_sample_type", ct.c_uint64), ("sample_regs_user", ct.c_uint64),
                ("sample_stack_user", ct.c_uint32), ("clockid", ct.c_int32),
                ("sample_regs_intr", ct.c_uint64), ("aux_watermark", ct.c_uint32),
                ("sample_max_stack", ct.c_uint16), ("reserved_2", ct.c_uint16),
                ("aux_sample_size", ct.c_uint32), ("reserved_3", ct.c_uint32),
                ("sig_data", ct.c_uint64)]

    _ALIASES = {"sample_freq": "sample_period", "wakeup_watermark": "wakeup_events",
                "config1": "bp_addr", "config2": "bp_len"}

    @classmethod
    def from_dict(cls, d):
        """Fields by perf_event_attr name; values may be ints or numeric
        strings (the original pylcc sent strings)."""
        a = cls()
        a.size = ct.sizeof(cls)
        bits = {}
        pos = 0
        for f in _FLAGS:
            name, width = f if isinstance(f, tuple) else (f, 1)
            bits[name] = (pos, width)
            pos += width
        for k, v in d.items():
            v = int(v, 0) if isinstance(v, str) else int(v)
            k = cls._ALIASES.get(k, k)
            if k in bits:
                shift, width = bits[k]
                a.flags = (a.flags & ~(((1 << width) - 1) << shift)) | ((v & ((1 << width) - 1)) << shift)
            elif k == "size":
                continue  # always the size of this structure
            elif any(k == f[0] for f in cls._fields_):
                setattr(a, k, v)
            else:
                raise ValueError("perf_event_attr has no field '%s'" % k)
        return a


_NR = {"x86_64": 298, "aarch64": 241, "riscv64": 241, "loongarch64": 241,
       "ppc64le": 319, "s390x": 331, "i686": 336, "armv7l": 364}


def perf_event_open(attr, pid=-1, cpu=0, group_fd=-1, flags=0):
    """The new event's fd; raises AttachError with the kernel's reason."""
    if isinstance(attr, dict):
        attr = PerfEventAttr.from_dict(attr)
    nr = _NR.get(os.uname().machine)
    if nr is None:
        raise AttachError("perf_event_open: unknown syscall number on %s" % os.uname().machine)
    ct.set_errno(0)
    fd = _lib.ct().libc.syscall(nr, ct.byref(attr), ct.c_int(pid), ct.c_int(cpu),
                           ct.c_int(group_fd), ct.c_ulong(flags))
    if fd < 0:
        err = ct.get_errno()
        raise AttachError("perf_event_open(type %d, config %d, pid %d, cpu %d): %s"
                          % (attr.type, attr.config, pid, cpu, os.strerror(err)), err)
    return fd
