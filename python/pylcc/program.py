"""Program: compile (or read), load and attach one BPF object, and reach its
maps and events. The modern API; lbcBase.ClbcBase is the original one on top."""
import collections
import ctypes as ct
import errno
import os
import time

from . import _lib
from .decode import Decoder
from .errors import AttachError, CompileError, LccError, LoadError
from .maps import EventMap, make_map
from . import perfEvent


class Syms:
    """Kernel symbols, plus a process's ELF symbols for pid > 0."""

    def __init__(self, pid=0):
        self._h = _lib.lib.coolbpf_syms__new(pid)
        if not self._h:
            raise LccError("cannot read symbols: %s" % os.strerror(ct.get_errno()))
        self._buf = ct.create_string_buffer(512)

    def resolve(self, addr):
        _lib.lib.coolbpf_syms__resolve(self._h, addr, self._buf, len(self._buf))
        return self._buf.value.decode("utf-8", "replace")

    def close(self):
        if self._h:
            _lib.lib.coolbpf_syms__free(self._h)
            self._h = None

    __del__ = close


def _cstrs(items):
    if not items:
        return None
    arr = (ct.c_char_p * (len(items) + 1))()
    for i, s in enumerate(items):
        arr[i] = s.encode()
    return arr


def _is_source_text(src):
    return "\n" in src or ("#include" in src and not os.path.exists(src))


class Program:
    """A loaded BPF program.

        with Program("opensnoop.bpf.c") as p:          # a file: .bpf.c or .o
            for ev in p.events("events", timeout=5):
                print(ev.pid, ev.comm)
        Program(source_text, name="hello")              # kernel code in a string

    Compiles locally (cache first) unless server= or $COOLBPF_SERVER /
    $LBC_SERVER names a coolbpfd; loads; attaches every program by its
    section unless attach=False. Errors raise CompileError, LoadError or
    AttachError with libcoolbpf's message."""

    def __init__(self, src=None, *, source=None, name=None, defines=None, include_dirs=None,
                 server=None, kernel=None, btf=None, cache_dir=None, no_cache=False,
                 attach=True):
        self._p_obj = None
        self._p_links = []
        self._p_events_open = False
        self._p_symtabs = {}
        self._p_exc = None
        if source is None and src is not None and _is_source_text(src):
            source, src = src, None
        if source is None and src is None:
            raise ValueError("Program needs a file path or source=")
        if name is None:
            name = os.path.basename(src).split(".", 1)[0] if src else "pylcc"
        self.name = name
        if server is None:
            server = os.environ.get("LBC_SERVER")  # the original pylcc's variable

        if isinstance(defines, dict):
            defines = [k if v is None else "%s=%s" % (k, v) for k, v in defines.items()]
        self._p_keep = []           # ctypes objects the opts point at
        copts = _lib.opts(_lib.CompileOpts,
                          kernel=kernel.encode() if kernel else None,
                          defines=self._p_hold(_cstrs(list(defines or []))),
                          include_dirs=self._p_hold(_cstrs(list(include_dirs or []))),
                          cache_dir=cache_dir.encode() if cache_dir else None,
                          server=server.encode() if server else None,
                          no_cache=no_cache)
        oopts = _lib.opts(_lib.ObjectOpts, name=name.encode(),
                          btf_path=btf.encode() if btf else None,
                          compile=ct.pointer(copts))
        mark = _lib.warn_mark()
        if source is not None:
            data = source.encode() if isinstance(source, str) else bytes(source)
            obj = _lib.lib.coolbpf_object__open_source(data, len(data), ct.byref(oopts))
        else:
            obj = _lib.lib.coolbpf_object__open_file(os.fsencode(src), ct.byref(oopts))
        if not obj:
            err = ct.get_errno()
            msg = _lib.errmsg_since(mark, err, "cannot open '%s'" % (src or name))
            cls = CompileError if msg.startswith("cannot compile") else LoadError
            raise cls(msg, err)
        self._p_obj = obj

        mark = _lib.warn_mark()
        r = _lib.lib.coolbpf_object__load(obj)
        if r < 0:
            raise LoadError(_lib.errmsg_since(mark, r, "cannot load '%s'" % name), -r)

        self._p_decoder = Decoder(_lib.lib.coolbpf_object__btf(obj))
        self._p_by_ptr = {}
        self.maps = {}
        cm = _lib.lib.coolbpf_object__next_map(obj, None)
        while cm:
            m = make_map(self, cm)
            if m is not None:
                self.maps[m.name] = m
                self._p_by_ptr[cm] = m
            cm = _lib.lib.coolbpf_object__next_map(obj, cm)

        # buffers open before programs run: a perf event array drops what
        # is sent while no buffer exists
        if any(isinstance(m, EventMap) for m in self.maps.values()):
            self._p_open_events()
        self.attached = []
        if attach:
            self.attach()

    def _p_hold(self, x):
        self._p_keep.append(x)
        return x

    # -- lifecycle ----------------------------------------------------------------
    def attach(self):
        """Attach every program by its section (all or nothing)."""
        mark = _lib.warn_mark()
        r = _lib.lib.coolbpf_object__attach(self._p_obj)
        self.attached = self._p_attach_infos()
        if r < 0:
            raise AttachError(_lib.errmsg_since(mark, r, "cannot attach '%s'" % self.name), -r)
        return self.attached

    def detach(self):
        """Detach every program (maps stay readable until close())."""
        for link in self._p_links:
            _lib.bpf.bpf_link__destroy(link)
        self._p_links = []
        _lib.lib.coolbpf_object__detach(self._p_obj)

    def _p_attach_infos(self):
        out = []
        for i in range(_lib.lib.coolbpf_object__attach_count(self._p_obj)):
            ai = _lib.lib.coolbpf_object__attach_info(self._p_obj, i).contents
            d = {f: (getattr(ai, f).decode() if getattr(ai, f) else None)
                 for f in ("prog", "section", "kind", "target", "note")}
            d["err"] = ai.err
            out.append(d)
        return out

    def close(self):
        """Detach and unload: nothing stays in the kernel."""
        for link in self.__dict__.get("_p_links", []):
            _lib.bpf.bpf_link__destroy(link)
        self._p_links = []
        for s in self.__dict__.get("_p_symtabs", {}).values():
            s.close()
        obj = self.__dict__.get("_p_obj")
        if obj:
            self._p_obj = None
            _lib.lib.coolbpf_object__close(obj)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @property
    def btf_origin(self):
        return _lib.lib.coolbpf_object__btf_origin(self._p_obj).decode()

    # -- events -------------------------------------------------------------------
    def _p_open_events(self):
        if self._p_events_open:
            return
        self._p_ev_cb = _lib.EVENT_FN(self._p_on_event)
        self._p_lost_cb = _lib.LOST_FN(self._p_on_lost)
        eo = _lib.opts(_lib.EventsOpts, on_event=self._p_ev_cb, on_lost=self._p_lost_cb)
        mark = _lib.warn_mark()
        r = _lib.lib.coolbpf_object__open_events(self._p_obj, ct.byref(eo))
        if r < 0:
            raise LccError(_lib.errmsg_since(mark, r, "cannot open event buffers"), -r)
        self._p_events_open = True

    def _p_on_event(self, ctx, cmap, data, size):
        try:
            self._p_by_ptr[cmap]._dispatch(data, size)
            return 0
        except BaseException as e:  # re-raised by poll(), not lost in ctypes
            self._p_exc = e
            return 1

    def _p_on_lost(self, ctx, cmap, cpu, count):
        try:
            self._p_by_ptr[cmap]._on_lost(cpu, count)
        except BaseException as e:
            self._p_exc = e

    def poll(self, timeout_ms=-1):
        """Wait up to timeout_ms (-1: forever) and deliver ready events to the
        maps' open_perf_buffer callbacks / events() iterators. Returns how many."""
        self._p_open_events()
        r = _lib.lib.coolbpf_object__poll(self._p_obj, int(timeout_ms))
        if self._p_exc is not None:
            e, self._p_exc = self._p_exc, None
            raise e
        if r == -errno.EINTR:
            return 0
        if r < 0:
            raise LccError("polling events of '%s': %s" % (self.name, os.strerror(-r)), -r)
        return r

    def events(self, map_name=None, timeout=None, count=None):
        """Iterate decoded events of one event map (the only one when map_name
        is None) for up to timeout seconds (None: forever) or count events."""
        evmaps = [m for m in self.maps.values() if isinstance(m, EventMap)]
        if map_name is None:
            if len(evmaps) != 1:
                raise ValueError("'%s' has %d event maps: name one of %s"
                                 % (self.name, len(evmaps), [m.name for m in evmaps]))
            m = evmaps[0]
        else:
            m = self.maps.get(map_name)
            if not isinstance(m, EventMap):
                raise KeyError("'%s' has no event map '%s' (event maps: %s)"
                               % (self.name, map_name, [e.name for e in evmaps]))
        self._p_open_events()
        q = m._queue = m._queue if m._queue is not None else collections.deque()
        deadline = None if timeout is None else time.monotonic() + timeout
        n = 0
        try:
            while count is None or n < count:
                if q:
                    n += 1
                    yield q.popleft()
                    continue
                if deadline is None:
                    wait = -1
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    wait = max(1, int(left * 1000))
                self.poll(wait)
        finally:
            m._queue = None

    # -- histograms, stacks, symbols ------------------------------------------
    def hist(self, map_name):
        """The Histogram of a LBC_HIST2/HIST10/HIST_LINEAR map."""
        return self.maps[map_name].hist()

    def _p_syms(self, pid=0):
        s = self._p_symtabs.get(pid)
        if s is None:
            s = self._p_symtabs[pid] = Syms(pid)
        return s

    def ksym(self, addr):
        return self._p_syms(0).resolve(addr)

    # -- attach one program by hand (attach=False) ------------------------------
    def _p_prog(self, prog):
        name = prog.decode() if isinstance(prog, bytes) else prog
        p = _lib.bpf.bpf_object__find_program_by_name(
            _lib.lib.coolbpf_object__bpf(self._p_obj), name.encode())
        if not p:
            raise AttachError("'%s' has no program '%s'" % (self.name, name), errno.ENOENT)
        return p, name

    def _p_link(self, link, what):
        if not link:
            err = ct.get_errno() or errno.EINVAL
            raise AttachError("cannot attach %s: %s" % (what, os.strerror(err)), err)
        self._p_links.append(link)
        return link

    @staticmethod
    def _s(x):
        return x.decode() if isinstance(x, bytes) else x

    def attach_kprobe(self, prog, func, retprobe=False):
        p, name = self._p_prog(prog)
        func = self._s(func)
        kind = "kretprobe" if retprobe else "kprobe"
        if not kernel_has_kprobes():
            raise AttachError("cannot attach program '%s' to %s '%s': this kernel has no "
                              "kprobe support (no kprobe PMU, no kprobe_events); use a "
                              "tracepoint" % (name, kind, func), errno.EOPNOTSUPP)
        ct.set_errno(0)
        link = _lib.bpf.bpf_program__attach_kprobe(p, retprobe, func.encode())
        return self._p_link(link, "program '%s' to %s '%s'" % (name, kind, func))

    def attach_tracepoint(self, prog, category, tp):
        p, name = self._p_prog(prog)
        category, tp = self._s(category), self._s(tp)
        _lib.lib.coolbpf_mount_fs()
        where = "%s:%s" % (category, tp)
        for root in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
            if os.path.isdir(os.path.join(root, "events")):
                if not os.path.exists(os.path.join(root, "events", category, tp)):
                    raise AttachError("cannot attach program '%s': tracepoint '%s' does not "
                                      "exist in this kernel (see ls %s/events/%s)"
                                      % (name, where, root, category), errno.ENOENT)
                break
        ct.set_errno(0)
        link = _lib.bpf.bpf_program__attach_tracepoint(p, category.encode(), tp.encode())
        return self._p_link(link, "program '%s' to tracepoint '%s'" % (name, where))

    def attach_raw_tracepoint(self, prog, tp):
        p, name = self._p_prog(prog)
        tp = self._s(tp)
        ct.set_errno(0)
        link = _lib.bpf.bpf_program__attach_raw_tracepoint(p, tp.encode())
        return self._p_link(link, "program '%s' to raw tracepoint '%s'" % (name, tp))

    def attach_uprobe(self, prog, binary, func_name=None, offset=0, pid=-1, retprobe=False):
        """Probe binary (a path, or a library name like "libc.so.6") at
        func_name (+offset) or at file offset; pid -1: every process."""
        p, name = self._p_prog(prog)
        binary = self._s(binary)
        uo = _lib.opts(_lib.UprobeOpts, retprobe=retprobe,
                       func_name=self._s(func_name).encode() if func_name else None)
        ct.set_errno(0)
        link = _lib.bpf.bpf_program__attach_uprobe_opts(p, pid, binary.encode(), offset,
                                                        ct.byref(uo))
        what = "%s+%#x" % (func_name, offset) if func_name else "offset %#x" % offset
        return self._p_link(link, "program '%s' to %s %s:%s" % (
            name, "uretprobe" if retprobe else "uprobe", binary, what))

    def attach_perf_event(self, prog, attr, pid=-1, cpu=0, group_fd=-1, flags=0):
        """Open a perf event (attr: a dict of perf_event_attr fields, or a
        perfEvent.PerfEventAttr) and run prog on each of its samples."""
        p, name = self._p_prog(prog)
        fd = perfEvent.perf_event_open(attr, pid, cpu, group_fd, flags)
        ct.set_errno(0)
        link = _lib.bpf.bpf_program__attach_perf_event(p, fd)
        if not link:
            err = ct.get_errno()
            os.close(fd)
            ct.set_errno(err)
        return self._p_link(link, "program '%s' to perf event (pid %d, cpu %d)" % (name, pid, cpu))

    def attach_perf_event_all_cpus(self, prog, attr, pid=-1, group_fd=-1, flags=0):
        return [self.attach_perf_event(prog, attr, pid, cpu, group_fd, flags)
                for cpu in online_cpus()]


def kernel_has_kprobes():
    if os.path.exists("/sys/bus/event_source/devices/kprobe"):
        return True
    return any(os.path.exists(os.path.join(r, "kprobe_events"))
               for r in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"))


def online_cpus():
    try:
        with open("/sys/devices/system/cpu/online") as f:
            spec = f.read().strip()
    except OSError:
        return list(range(os.cpu_count() or 1))
    cpus = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus
