"""attachJavaSym with a real JVM (Debian's OpenJDK): a JIT-compiled method
found in /tmp/perf-PID.map (written by `jcmd PID Compiler.perfmap`), an
execute breakpoint 0x20 past the method's entry (the original's choice)
on every thread of the JVM. (Whether it fires per call is the JVM's
code layout: the guide's javaProbe.py run by hand fires, tests do not
count on it.)
Skipped without javac/java/jcmd (scripts/bootstrap installs
openjdk-17-jdk-headless)."""
import os
import shutil
import subprocess
import time

import pytest

from pylcc.lbcBase import ClbcBase, InvalidArgsException

JAVA = r"""
public class Hot {
    static long work(long x) { return (x * 31) ^ (x >>> 3); }
    public static void main(String[] a) throws Exception {
        long s = 0, end = System.currentTimeMillis() + 60000;
        while (System.currentTimeMillis() < end) {
            for (int i = 0; i < 1000; i++) s += work(i);
            Thread.sleep(5);
        }
        System.out.println(s);
    }
}
"""

SRC = r"""
#include "lbc.h"
LBC_ARRAY(seen, u32, u64, 2);
SEC("perf_event")
int on_work(struct bpf_perf_event_data *ctx)
{
    u32 k = 0, a = 1;
    u64 *n = bpf_map_lookup_elem(&seen, &k), *arg = bpf_map_lookup_elem(&seen, &a);

    if (n)
        __sync_fetch_and_add(n, 1);
    if (arg)
        *arg = ctx->regs.si;
    return 0;
}
char _license[] SEC("license") = "GPL";
"""

SYM = "long Hot.work(long)"
needs_jdk = pytest.mark.skipif(not all(shutil.which(t) for t in ("javac", "java", "jcmd")),
                               reason="no JDK (javac, java, jcmd): apt-get install "
                                      "openjdk-17-jdk-headless")


@pytest.fixture
def jvm(tmp_path):
    (tmp_path / "Hot.java").write_text(JAVA)
    subprocess.run(["javac", "Hot.java"], cwd=tmp_path, check=True, timeout=120)
    # one compiled copy of work(): no tiers, not inlined into main
    p = subprocess.Popen(["java", "-XX:-TieredCompilation", "-XX:-Inline", "-cp", str(tmp_path),
                          "Hot"], stdout=subprocess.DEVNULL)
    path = "/tmp/perf-%d.map" % p.pid
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(1)
            subprocess.run(["jcmd", str(p.pid), "Compiler.perfmap"], timeout=30,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if os.path.exists(path) and SYM in open(path).read():
                break
        else:
            pytest.fail("the JVM did not JIT-compile %s within 60 s" % SYM)
        yield p.pid
    finally:
        p.kill()
        p.wait(timeout=30)
        if os.path.exists(path):
            os.unlink(path)


class Probe(ClbcBase):
    def __init__(self):
        super().__init__("java_probe", bpf_str=SRC, attach=0)


@needs_jdk
def test_attach_java_sym_puts_a_breakpoint_on_every_jvm_thread(jvm):
    p = Probe()
    try:
        threads = len(os.listdir("/proc/%d/task" % jvm))
        p.attachJavaSym("on_work", jvm, SYM)
        # one execute breakpoint a thread (threads that ended meanwhile skipped)
        assert len(p._p_links) >= threads // 2 > 1, (len(p._p_links), threads)
    finally:
        p.close()


@needs_jdk
def test_a_symbol_not_in_the_map_is_named(jvm):
    p = Probe()
    try:
        with pytest.raises(InvalidArgsException, match="symbol nope is not in map"):
            p.attachJavaSym("on_work", jvm, "nope")
    finally:
        p.close()
