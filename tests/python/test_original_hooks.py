"""The original ClbcBase's attachXdp / attachCgroup (libbpf's links,
destroyed at close) and c2str / c2list, with real packets on loopback."""
import os
import socket

import pytest

from pylcc.lbcBase import ClbcBase, InvalidArgsException

SRC = r"""
#include "lbc.h"
LBC_ARRAY(counts, u32, u64, 2);
static void count(u32 k)
{
    u64 *v = bpf_map_lookup_elem(&counts, &k);

    if (v)
        __sync_fetch_and_add(v, 1);
}
SEC("xdp")
int on_xdp(struct xdp_md *ctx)
{
    count(0);
    return XDP_PASS;
}
SEC("cgroup_skb/egress")
int on_egress(struct __sk_buff *skb)
{
    count(1);
    return 1;
}
char _license[] SEC("license") = "GPL";
"""


def _send_udp(n=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _ in range(n):
            s.sendto(b"pylcc", ("127.0.0.1", 9))
    finally:
        s.close()


def _cgroup2():
    """the cgroup v2 mount (/sys/fs/cgroup, or .../unified on a hybrid host)"""
    with open("/proc/mounts") as f:
        for line in f:
            dev, path, kind = line.split()[:3]
            if kind == "cgroup2":
                return path
    pytest.skip("no cgroup v2 mounted: cgroup programs attach to a v2 cgroup")


class Hooks(ClbcBase):
    def __init__(self):
        super().__init__("hooks", bpf_str=SRC, attach=0)


def test_attach_xdp_and_cgroup_count_loopback_packets_then_detach_at_close():
    h = Hooks()
    try:
        h.attachXdp("on_xdp", socket.if_nametoindex("lo"))
        fd = os.open(_cgroup2(), os.O_RDONLY | os.O_DIRECTORY)
        try:
            h.attachCgroup("on_egress", fd)
        finally:
            os.close(fd)
        _send_udp()
        xdp, egress = h.maps["counts"].get(2)
        assert xdp >= 5 and egress >= 5, (xdp, egress)
    finally:
        h.close()
    out = os.popen("ip link show lo").read()
    assert "xdp" not in out, out  # the link went with the object


def test_attach_to_a_missing_program_names_it():
    h = Hooks()
    try:
        with pytest.raises(InvalidArgsException, match="no program 'nope'"):
            h.attachXdp("nope", 1)
    finally:
        h.close()


def test_c2str_and_c2list():
    h = Hooks()
    try:
        assert h.c2str(b"bash\0\0junk") == b"bash"
        assert ClbcBase.c2list([1, 2, 3]) == [1, 2, 3]
    finally:
        h.close()
