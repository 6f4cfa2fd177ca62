"""An original-API pylcc program, as written for a kernel with bpf():
fork events through a perf output map (tests/data/pylcc_compat.bpf.c, every
map type), run unmodified on the nobpf guest. Prints
"pylcc: N fork events, ours seen"."""
import os
import subprocess
import sys
import time

from pylcc.lbcBase import ClbcBase

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "data", "pylcc_compat.bpf.c")


class Fork(ClbcBase):
    def __init__(self):
        with open(SRC) as f:
            super().__init__("compat", bpf_str=f.read())
        self.seen = []
        self.maps["e_out"].open_perf_buffer(self._cb)

    def _cb(self, cpu, data, size):
        e = self.maps["e_out"].event(data)
        self.seen.append(e.c_pid)


f = Fork()
kids = [subprocess.Popen(["/bin/true"]) for _ in range(3)]
for k in kids:
    k.wait(timeout=30)
deadline = time.monotonic() + 10
while time.monotonic() < deadline and not all(k.pid in f.seen for k in kids):
    f.maps["e_out"].perf_buffer_poll(200)
f.close()
ok = all(k.pid in f.seen for k in kids)
print("pylcc: %d fork events, %s" % (len(f.seen), "ours seen" if ok else "ours MISSING"))
sys.exit(0 if ok else 1)
