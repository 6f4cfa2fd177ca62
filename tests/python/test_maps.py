"""Every map type's methods, against counts the test produced itself:
the program counts this process's getppid() calls in each kind of map."""
import os
import re
import subprocess

import pytest

from pylcc import Program
from pylcc.lbcBase import ClbcBase

MAPS_SRC = r"""
#include "lbc.h"
struct key_t { u32 pid; char comm[16]; };
struct val_t { u64 calls; u32 last_tid; u8 tag[3]; };
#ifndef TARGET
#define TARGET 0
#endif

LBC_HASH(by_pid, u32, u64, 64);
LBC_HASH(by_key, struct key_t, struct val_t, 64);
LBC_ARRAY(arr, u32, u64, 4);
LBC_LRU_HASH(lru, u32, u64, 64);
LBC_PERCPU_HASH(pch, u32, u64, 64);
LBC_PERCPU_ARRAY(pca, u32, u64, 4);
LBC_LRU_PERCPU_HASH(lpch, u32, u64, 64);

static __always_inline void bump(void *map, u32 k)
{
    u64 one = 1, *v = bpf_map_lookup_elem(map, &k);

    if (v)
        __sync_fetch_and_add(v, 1);
    else
        bpf_map_update_elem(map, &k, &one, BPF_NOEXIST);
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32, two = 2;
    struct key_t k = {};
    struct val_t *v, nv = {};

    if (pid != TARGET)
        return 0;
    bump(&by_pid, pid);
    bump(&arr, 1);
    bump(&arr, 1);
    bump(&arr, 3);
    bump(&lru, pid);
    bump(&pch, pid);
    bump(&pca, two);
    bump(&lpch, pid);
    k.pid = pid;
    bpf_get_current_comm(k.comm, sizeof(k.comm));
    v = bpf_map_lookup_elem(&by_key, &k);
    if (v) {
        __sync_fetch_and_add(&v->calls, 1);
        v->last_tid = (u32)id;
    } else {
        nv.calls = 1;
        nv.last_tid = (u32)id;
        nv.tag[0] = 1; nv.tag[1] = 2; nv.tag[2] = 3;
        bpf_map_update_elem(&by_key, &k, &nv, BPF_NOEXIST);
    }
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""

N = 5


def comm():
    with open("/proc/self/comm") as f:
        return f.read().strip()


@pytest.fixture(scope="module")
def prog():
    """Loaded, not attached; counts only this process (TARGET)."""
    p = Program(MAPS_SRC, name="maps", defines={"TARGET": os.getpid()}, attach=False)
    yield p
    p.close()


@pytest.fixture
def counted(prog):
    """Clear every map, count N getppid() calls, detach."""
    for m in prog.maps.values():
        m.clear()
    prog.attach()
    for _ in range(N):
        os.getppid()
    prog.detach()
    return prog


def test_hash_get_keys_keyvalue(counted):
    m = counted.maps["by_pid"]
    pid = os.getpid()
    assert m.get() == {pid: N}
    assert m.getKeys() == [pid]
    assert m.getKeyValue(pid) == N
    assert m.getKeyValue(pid + 1) is None
    assert m[pid] == N and pid in m and len(m) == 1
    assert m.items() == [(pid, N)]


def test_hash_get_then_clear_and_clear(counted):
    m = counted.maps["by_pid"]
    assert m.getThenClear() == {os.getpid(): N}
    assert m.get() == {}
    m[123] = 77
    assert m.getKeyValue(123) == 77
    m.clear()
    assert m.getKeys() == []


def test_struct_keys_and_values_decode_with_attributes(counted):
    m = counted.maps["by_key"]
    items = m.get()
    assert len(items) == 1
    (k, v), = items.items()
    assert k.pid == os.getpid() and k.comm == comm()
    assert v.calls == N and v.last_tid == os.getpid() and v.tag == [1, 2, 3]
    # a key read back from the map looks its value up again
    assert m.getKeyValue(m.getKeys()[0]).calls == N
    assert m.getThenClear()[k].calls == N
    assert m.get() == {}


def test_array_get_is_a_list_and_clear_zeroes(counted):
    m = counted.maps["arr"]
    assert m.get() == [0, 2 * N, 0, N, None, None, None, None, None, None]
    assert m.get(4) == [0, 2 * N, 0, N]
    assert m.getKeyValue(3) == N
    assert m.getKeys() == [0, 1, 2, 3]
    assert m.getThenClear() == {0: 0, 1: 2 * N, 2: 0, 3: N}
    assert m.get(4) == [0, 0, 0, 0]
    m[2] = 5
    assert m.get(4) == [0, 0, 5, 0]
    m.clear()
    assert m.get(4) == [0, 0, 0, 0]


def test_lru_hash(counted):
    m = counted.maps["lru"]
    assert m.get() == {os.getpid(): N}
    assert m.getThenClear() == {os.getpid(): N}
    assert m.getKeys() == []


@pytest.mark.parametrize("name", ["pch", "lpch"])
def test_percpu_hashes_give_one_value_per_cpu(counted, name):
    m = counted.maps[name]
    vals = m.getKeyValue(os.getpid())
    assert isinstance(vals, list) and len(vals) == os.cpu_count()
    assert sum(vals) == N
    assert {k: sum(v) for k, v in m.get().items()} == {os.getpid(): N}
    assert sum(m.getThenClear()[os.getpid()]) == N
    assert m.get() == {}


def test_percpu_array(counted):
    m = counted.maps["pca"]
    assert sum(m.getKeyValue(2)) == N
    assert [sum(v) for v in m.get().values()] == [0, 0, N, 0]
    m.clear()
    assert [sum(v) for v in m.get().values()] == [0, 0, 0, 0]


HIST_RE = re.compile(r"^\s+\d+ -> \d+\s+: \d+\s+\|\**\s*\|$")


def test_histograms_get_and_show_hist(compat_src, capfd):
    class Fork(ClbcBase):
        def __init__(self):
            super().__init__("compat", bpf_str=compat_src)

    f = Fork()
    try:
        kids = [subprocess.Popen(["/bin/true"]) for _ in range(4)]
        for k in kids:
            k.wait(timeout=10)
        f.detach()
        h2, h10 = f.maps["fork_hist"], f.maps["fork_hist10"]
        counts = h2.get()
        assert len(counts) == 64 and len(h10.get()) == 20
        for k in kids:  # each child pid landed in its log2 / log10 bucket
            assert counts[k.pid.bit_length() - 1] >= 1
            assert h10.get()[len(str(k.pid)) - 1] >= 1
        assert sum(counts) >= len(kids)
        capfd.readouterr()
        h2.showHist("forks")
        out = capfd.readouterr().out.splitlines()
        assert out[0] == "forks"
        assert re.match(r"^\s+value\s+: count\s+distribution$", out[1])
        rows = out[2:]
        assert rows and all(HIST_RE.match(r) for r in rows), out
        assert sum(int(r.split(":")[1].split()[0]) for r in rows) == sum(counts)
        assert any("****************************************|" in r for r in rows)
        # the modern view of the same map
        hist = f.hist("fork_hist")
        assert sum(c for _, _, c in hist.buckets) == sum(counts)
        lo, hi, _ = hist.buckets[0]
        assert lo <= kids[0].pid or hi >= kids[0].pid
        assert str(hist).splitlines()[1:] == rows
    finally:
        f.close()
