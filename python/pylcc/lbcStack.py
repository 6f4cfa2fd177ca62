"""The original pylcc's stack helpers.

    getKStacks(maps["call_stack"], e.stack_id, ksym)  -> ["__schedule", ...]
    ClbcUstack(pid, addrs).dumpStacks()               -> ["main + 0x1d", ...]

Kernel frames are bare symbol names, as the original gave; the symbolizer
is libcoolbpf's (kallsyms, and a process's ELF symbols through
/proc/PID/maps). StackMap.stack() gives the "sym+0xoff" forms."""
from .tables import bare_frame
from .program import Syms


def getKStacks(maps, stack_id, elfSym=None, sLen=-1):
    """The kernel frames of stack_id in the stack map `maps` as bare names,
    innermost first, up to sLen of them (-1: all); [] for a stack id not
    in the map. elfSym: anything with ksymSearch(addr) -> (name, offset)
    (the original passed surftrace's CelfKsym); None: libcoolbpf's."""
    stks = maps.getArr(stack_id)
    if stks is None:
        return []
    if sLen == -1:
        sLen = len(stks)
    out = []
    syms = None
    for addr in stks[:sLen]:
        if not addr:
            break
        if elfSym is not None and hasattr(elfSym, "ksymSearch"):
            name, _ = elfSym.ksymSearch(addr)
        else:
            if syms is None:
                syms = maps._prog._p_syms(0)
            name = bare_frame(syms.resolve(addr))
        out.append(name)
    return out


class ClbcUstack:
    """User-space frames of one process: dumpStacks() -> ["sym + 0xoff", ...],
    stopping at the first 0 or at an address outside the process's
    executable mappings (as the original)."""

    def __init__(self, pid, addrs):
        self._pid = pid
        self._addrs = list(addrs or [])
        self._mmap = self._loadMmaps()
        self._syms = None

    def _loadMmaps(self):
        maps = []
        with open("/proc/%d/maps" % self._pid) as f:
            for line in f:
                cells = line.split()
                if len(cells) < 5 or "x" not in cells[1]:
                    continue
                start, end = cells[0].split("-")
                maps.append({"start": int(start, 16), "end": int(end, 16),
                             "path": cells[5] if len(cells) > 5 else None})
        return maps

    def _queryElf(self, addr):
        for m in self._mmap:
            if m["start"] <= addr < m["end"]:
                return m["path"], m["start"]
        raise OSError("addr 0x%x is an illegal value" % addr)

    def dumpStacks(self):
        lines = []
        for addr in self._addrs:
            if addr == 0:
                break
            try:
                path, start = self._queryElf(addr)
            except OSError:
                break
            if self._syms is None:
                self._syms = Syms(self._pid)
            frame = self._syms.resolve(addr)   # "sym+0xoff (lib)" / "[unknown] (path)"
            head = frame.split(" (", 1)[0]
            if head.startswith("[unknown]"):
                lines.append("%s + 0x%x" % (path or "[anon]", addr - start))
                continue
            sym, _, off = head.partition("+")
            lines.append("%s + 0x%x" % (sym, int(off, 16) if off else 0))
        return lines
