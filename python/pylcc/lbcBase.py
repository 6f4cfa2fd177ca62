"""The original pylcc API: derive from ClbcBase, pass the kernel code.

    class Hello(ClbcBase):
        def __init__(self):
            super().__init__("hello", bpf_str=src)
            self.maps["e_out"].open_perf_buffer(self._cb)
            self.maps["e_out"].perf_buffer_poll()

Compiles with coolbpf (locally unless server= or $LBC_SERVER names a
coolbpfd: the quoted headers found in workPath, incPath or $LBC_INCLUDE
travel inlined in the source, as the original's lbcInclude did), loads,
attaches (attach=0: load only, then attach* by hand)."""
import os

try:  # the C modules: signal and threading import enum, functools, ... (~1.5 MB RSS)
    import _signal as _sig
except ImportError:
    import signal as _sig
import _thread

from .errors import LccError
from .program import Program, online_cpus

InvalidArgsException = LccError  # what the original raised


def _parse_env(env):
    """The original `env` string of compiler flags: -DNAME[=V], -I DIR."""
    defines, incs = [], []
    if not env:
        return defines, incs
    import shlex
    words = shlex.split(env)
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("-D", "-I") and i + 1 < len(words):
            (defines if w == "-D" else incs).append(words[i + 1])
            i += 2
            continue
        if w.startswith("-D"):
            defines.append(w[2:])
        elif w.startswith("-I"):
            incs.append(w[2:])
        elif not w.startswith("-"):
            defines.append(w)
        i += 1
    return defines, incs


class ClbcBase(Program):
    """Values as the original gave them on Python 3: char arrays are bytes
    (print shows b'bash'), enums numbers, structs print as dicts."""

    _p_c_values = True

    def __init__(self, bpf, bpf_str="", server=None, arch="", ver="", env="", attach=1,
                 workPath=None, incPath=None, logLevel=-1, btf=True, **kw):
        if bpf.endswith(".bpf.c"):
            bpf = bpf[:-len(".bpf.c")]
        wpath = workPath or os.getcwd()
        if arch and arch != os.uname().machine:
            raise LccError("arch '%s': coolbpf compiles for the machine it runs on (%s)"
                           % (arch, os.uname().machine))
        if ver == os.uname().release:
            ver = ""
        defines, incs = _parse_env(env)
        # the original's include path list: $LBC_INCLUDE, then incPath, ';'-separated
        for paths in (os.environ.get("LBC_INCLUDE"), incPath):
            incs += [p for p in (paths or "").split(";") if p]
        kw.setdefault("defines", defines)
        kw.setdefault("include_dirs", incs + [wpath])
        kw.setdefault("perf_pages", 8)  # the original's perf buffers: 8 pages a CPU
        self._p_libbpf_links = []
        if bpf_str:
            super().__init__(source=bpf_str, name=bpf, server=server, kernel=ver or None,
                             attach=bool(attach), **kw)
        else:
            path = None
            for ext in (".bpf.c", ".bpf.o"):
                cand = os.path.join(wpath, bpf + ext)
                if os.path.exists(cand):
                    path = cand
                    break
            if path is None:
                raise LccError("cannot find '%s.bpf.c' or '%s.bpf.o' in %s"
                               % (bpf, bpf, wpath))
            super().__init__(path, name=bpf, server=server, kernel=ver or None,
                             attach=bool(attach), **kw)
        self._cbInterrupt = None

    _p_libbpf_links = ()

    def so(self):
        return None

    def getMap(self, name, data, size):
        return self.maps[name].event(data, size)

    # -- attach helpers of the original ----------------------------------------
    def attachJavaSym(self, function, pid, symbol):
        """Run a perf_event program each time JIT-compiled Java method
        `symbol` of process pid runs: its address from /tmp/perf-PID.map
        (the JVM writes it with -XX:+UnlockDiagnosticVMOptions
        -XX:+DumpPerfMapAtExit, or a perf-map agent), an execute
        breakpoint past the method's entry on every thread, as the original."""
        path = "/tmp/perf-%d.map" % pid
        if not os.path.exists(path):
            raise InvalidArgsException("can not find java maps for pid %d (%s): start the JVM "
                                       "with a perf map (jcmd %d Compiler.perfmap)"
                                       % (pid, path, pid))
        start = None
        with open(path) as f:
            for line in f:
                cells = line.rstrip("\n").split(" ", 2)
                if len(cells) == 3 and cells[2].strip() == symbol:
                    start = int(cells[0], 16)
                    break
        if start is None:
            raise InvalidArgsException("symbol %s is not in map %s." % (symbol, path))
        from .perfEvent import PerfType, PerfBreakPointType, PERF_ATTR_SIZE_VER5
        attr = {"type": PerfType.BREAKPOINT, "size": PERF_ATTR_SIZE_VER5, "sample_period": 1,
                "precise_ip": 2, "wakeup_events": 1, "bp_type": PerfBreakPointType.X,
                "bp_addr": start + 0x20, "bp_len": 8}
        self.attachPerfEvents(function, attr, pid)

    def attachKprobe(self, function, symbol):
        return self.attach_kprobe(function, symbol)

    def attachKretprobe(self, function, symbol):
        return self.attach_kprobe(function, symbol, retprobe=True)

    def attachUprobe(self, function, pid, binaryPath, offset=0):
        return self.attach_uprobe(function, binaryPath, offset=offset, pid=pid)

    def attachUretprobe(self, function, pid, binaryPath, offset=0):
        return self.attach_uprobe(function, binaryPath, offset=offset, pid=pid, retprobe=True)

    def attachUprobes(self, function, pid, binaryPath, offset=0):
        for tid in _threads(pid):
            self.attachUprobe(function, tid, binaryPath, offset)

    def attachUretprobes(self, function, pid, binaryPath, offset=0):
        for tid in _threads(pid):
            self.attachUretprobe(function, tid, binaryPath, offset)

    def traceUprobes(self, function, pid, fxpr, ret=False):
        """fxpr "binary:symbol" (binary: a path, a library, or a command in $PATH)."""
        binary, func = fxpr.split(":", 1)
        binary = _which(binary)
        for tid in _threads(pid):
            self.attach_uprobe(function, binary, func_name=func, pid=tid, retprobe=ret)

    def traceUretprobes(self, function, pid, fxpr):
        self.traceUprobes(function, pid, fxpr, ret=True)

    def attachTracepoint(self, function, category, name):
        return self.attach_tracepoint(function, category, name)

    def attachRawTracepoint(self, function, name):
        return self.attach_raw_tracepoint(function, name)

    def attachPerfEvent(self, function, attrD, pid=0, cpu=-1, group_fd=-1, flags=0):
        return self.attach_perf_event(function, attrD, pid, cpu, group_fd, flags)

    def attachAllCpuPerf(self, function, attrD, pid=-1, group_fd=-1, flags=0):
        for cpu in online_cpus():
            self.attachPerfEvent(function, attrD, pid=pid, cpu=cpu, group_fd=group_fd, flags=flags)

    def attachPerfEvents(self, function, attrD, pid, group_fd=-1, flags=0):
        """One event on each thread of pid; a thread that ends between the
        listing and its perf_event_open (a JVM's come and go) is skipped."""
        for tid in _threads(pid):
            try:
                self.attachPerfEvent(function, attrD, pid=tid, cpu=-1, group_fd=group_fd,
                                     flags=flags)
            except LccError as e:
                if e.errno != 3 or tid == pid or os.path.exists("/proc/%d/task/%d" % (pid, tid)):
                    raise  # ESRCH for a thread that is gone is the only one skipped

    def attachCgroup(self, function, fd):
        """Attach a cgroup program (cgroup_skb, sock, sysctl, ...) to the
        cgroup directory open at fd."""
        return self._libbpf_attach(function, "bpf_program__attach_cgroup", fd,
                                   "cgroup fd %d" % fd)

    def attachNetns(self, function, fd):
        """Attach a flow dissector / sk_lookup program to the network
        namespace open at fd (/proc/PID/ns/net)."""
        return self._libbpf_attach(function, "bpf_program__attach_netns", fd,
                                   "netns fd %d" % fd)

    def attachXdp(self, function, ifindex):
        return self._libbpf_attach(function, "bpf_program__attach_xdp", ifindex,
                                   "xdp ifindex %d" % ifindex)

    def _libbpf_attach(self, function, call, arg, what):
        # hooks libcoolbpf's attach does not name: libbpf's own, its link
        # destroyed at close() like the object's
        import ctypes as ct
        from . import _lib
        bpf = _lib.ct().bpf
        for fn, res, args in (("bpf_object__find_program_by_name", ct.c_void_p,
                               [ct.c_void_p, ct.c_char_p]),
                              (call, ct.c_void_p, [ct.c_void_p, ct.c_int]),
                              ("bpf_link__destroy", ct.c_int, [ct.c_void_p])):
            getattr(bpf, fn).restype, getattr(bpf, fn).argtypes = res, args
        prog = bpf.bpf_object__find_program_by_name(
            _lib.lib.coolbpf_object__bpf(self._p_obj), function.encode())
        if not prog:
            raise InvalidArgsException("attach %s to %s failed: no program '%s' in '%s'"
                                       % (function, what, function, self.name))
        ct.set_errno(0)
        link = getattr(bpf, call)(prog, int(arg))
        if not link:
            raise InvalidArgsException("attach %s to %s failed: %s"
                                       % (function, what, os.strerror(ct.get_errno() or 22)))
        self._p_libbpf_links.append(link)
        return link

    def close(self):
        if self.__dict__.get("_p_libbpf_links"):
            from . import _lib
            for link in self._p_libbpf_links:
                _lib.ct().bpf.bpf_link__destroy(link)
            self._p_libbpf_links = []
        super().close()

    def c2str(self, data):
        """A char array as bytes, up to its NUL (the original's ffi.string)."""
        if isinstance(data, str):
            data = data.encode()
        return bytes(data).split(b"\0", 1)[0]

    @staticmethod
    def c2list(data):
        return [data[i] for i in range(len(data))]

    # -- waiting ------------------------------------------------------------------
    def _signalInterrupt(self, signum, frame):
        self._cbInterrupt()

    def waitInterrupt(self, cb=None):
        """Sleep until a signal; with cb, SIGINT calls cb instead of raising
        KeyboardInterrupt."""
        if cb:
            self._cbInterrupt = cb
            _sig.signal(_sig.SIGINT, self._signalInterrupt)
        _sig.pause()


class CexecCmd:
    """The original's command helper (surftrace's): cmd() runs a command
    line without a shell and gives its output, stripped; system() runs it
    through the shell and gives up to 8 KiB of its output. Both work on the
    class and on an instance."""

    @staticmethod
    def cmd(cmds):
        import shlex
        import subprocess
        r = subprocess.run(shlex.split(cmds), stdout=subprocess.PIPE)
        return r.stdout.decode("utf-8", "replace").strip()

    @staticmethod
    def system(cmds):
        with os.popen(cmds.replace("\0", "").strip()) as f:
            return f.read(8192)


def _threads(pid):
    if pid is None or pid <= 0:
        return [pid if pid is not None else -1]
    try:
        return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
    except OSError:
        return [pid]


def _which(binary):
    if os.sep in binary or binary.startswith("lib"):
        return binary
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
        p = os.path.join(d, binary)
        if os.access(p, os.X_OK):
            return os.path.realpath(p)
    return binary


class CeventThread:
    """Poll one event map in a daemon thread: cb(cpu, decoded_event).

    Started by the constructor, as the original's. A thread of the _thread
    module with threading.Thread's join()/is_alive()/daemon, not a subclass
    of it: importing threading alone costs more RSS than a small tool's
    whole pylcc."""

    daemon = True

    def __init__(self, lbc, event, cb, lost=None):
        self._lbc = lbc
        self._event = event
        self._cb = cb
        self.lost = lost
        self._done = _thread.allocate_lock()
        self._done.acquire()
        self.ident = _thread.start_new_thread(self._main, ())

    def _main(self):
        try:
            self.run()
        finally:
            self._done.release()

    def setDaemon(self, daemonic):
        self.daemon = bool(daemonic)

    def is_alive(self):
        return self._done.locked()

    def join(self, timeout=None):
        if self._done.acquire(True, -1 if timeout is None else timeout):
            self._done.release()

    def cb(self, cpu, data, size):
        self._cb(cpu, self._lbc.getMap(self._event, data, size))

    @property
    def dropped(self):
        """(lost, dropped) of this thread's map: records the kernel could
        not take, records the user-space queue had no room for
        (EventMap.lost, EventMap.dropped)."""
        m = self._lbc.maps[self._event]
        return m.lost, m.dropped

    def run(self):
        self._lbc.maps[self._event].open_perf_buffer(self.cb, lost=self.lost)
        self._lbc.maps[self._event].perf_buffer_poll()
