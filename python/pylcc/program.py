"""Program: compile (or read), load and attach one BPF object, and reach its
maps and events. The modern API; lbcBase.ClbcBase is the original one on top."""
import errno
import os
import time

from . import _lib
from .decode import Decoder
from .errors import AttachError, CompileError, LccError, LoadError
from .maps import EventMap, make_map


class Syms:
    """Kernel symbols, plus a process's ELF symbols for pid > 0."""

    _h = None

    def __init__(self, pid=0):
        ctm = self._ct = _lib.ct()
        self._h = ctm.lib.coolbpf_syms__new(pid)
        if not self._h:
            raise LccError("cannot read symbols: %s" % os.strerror(ctm.ct.get_errno()))
        self._buf = ctm.ct.create_string_buffer(512)

    def resolve(self, addr):
        self._ct.lib.coolbpf_syms__resolve(self._h, addr, self._buf, len(self._buf))
        return self._buf.value.decode("utf-8", "replace")

    def close(self):
        if self._h:
            self._ct.lib.coolbpf_syms__free(self._h)
            self._h = None

    __del__ = close


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
    section unless attach=False. globals={"target_pid": 1234, "comm": "bash"}
    sets const volatile (or plain) globals before load, as `coolbpf run
    --set` does (ints, bools, enum names, strings for char arrays); a bad
    name or value raises ValueError naming the variable and its type.
    perf_pages: the pages of each CPU's perf buffer (a power of two;
    default 64: 256 KiB a CPU, all resident). queue_size: bytes of each
    event map's queue in user space, filled by libcoolbpf's drain thread
    while Python formats (default 256 MiB, touched only as it fills; 0:
    none, events straight from the kernel's buffers). Errors raise CompileError,
    LoadError or AttachError with libcoolbpf's message."""

    _p_c_values = False  # the original API's values (ClbcBase): see Decoder

    def __init__(self, src=None, *, source=None, name=None, defines=None, include_dirs=None,
                 server=None, kernel=None, btf=None, cache_dir=None, no_cache=False,
                 attach=True, globals=None, perf_pages=None, queue_size=None):
        self._p_obj = None
        self._p_links = []
        self._p_events_open = False
        self._p_symtabs = {}
        self._p_exc = None
        self._p_closing = False
        self._p_pollers = 0
        self._p_loss_said = 0.0  # when _p_report_loss() last looked
        self._p_perf_pages = perf_pages
        self._p_queue_size = _lib.EVENTS_QUEUE_DEFAULT if queue_size is None else int(queue_size)
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
        def b(x):
            return x.encode() if x else None

        mark = _lib.warn_mark()
        # the environment (COOLBPF_SERVER, COOLBPF_CACHE_DIR, ...) is read
        # there, at this entry point, as the CLI does at its own
        obj = _lib.open_object(
            None if source is None else
            source.encode() if isinstance(source, str) else bytes(source),
            None if source is not None else os.fsencode(src), name.encode(), b(btf), b(kernel),
            [d.encode() for d in defines or []], [i.encode() for i in include_dirs or []],
            b(cache_dir), b(server), bool(no_cache))
        if not obj:
            err = _lib.get_errno()
            msg = _lib.errmsg_since(mark, err, "cannot open '%s'" % (src or name))
            cls = CompileError if msg.startswith(("cannot compile", "compile")) else LoadError
            raise cls(msg, err)
        self._p_obj = obj
        for gname, value in (globals or {}).items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            mark = _lib.warn_mark()
            r = _lib.lib.coolbpf_object__set_global(obj, str(gname).encode(), str(value).encode())
            if r < 0:
                raise ValueError(_lib.errmsg_since(mark, r, "cannot set %s" % gname))

        mark = _lib.warn_mark()
        r = _lib.lib.coolbpf_object__load(obj)
        if r < 0:
            raise LoadError(_lib.errmsg_since(mark, r, "cannot load '%s'" % name), -r)

        self._p_decoder = Decoder(_lib.lib.coolbpf_object__btf(obj), self._p_c_values)
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
        _lib.lib.coolbpf_object__detach(self._p_obj)

    def _p_attach_infos(self):
        out = []
        for i in range(_lib.lib.coolbpf_object__attach_count(self._p_obj)):
            ai = _lib.attach_info(self._p_obj, i)
            d = {f: (v.decode() if v else None)
                 for f, v in zip(("prog", "section", "kind", "target", "note"), ai)}
            d["err"] = ai[5]
            out.append(d)
        return out

    def close(self):
        """Detach and unload: nothing stays in the kernel."""
        self._p_links = []  # the object owns its links: closed with it
        for s in self.__dict__.get("_p_symtabs", {}).values():
            s.close()
        obj = self.__dict__.get("_p_obj")
        if obj:
            self._p_closing = True
            # threads in a map's poll leave it within their 100 ms slice
            deadline = time.monotonic() + 1.0
            while self.__dict__.get("_p_pollers", 0) and time.monotonic() < deadline:
                time.sleep(0.005)
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
        mark = _lib.warn_mark()
        # _p_ev_keep: the callbacks, alive as long as the object
        r, self._p_ev_keep = _lib.open_events(self._p_obj, self._p_on_event, self._p_on_lost,
                                              self._p_perf_pages or 0, self._p_queue_size)
        if r < 0:
            raise LccError(_lib.errmsg_since(mark, r, "cannot open event buffers"), -r)
        self._p_events_open = True

    def _p_on_event(self, cmap, data, size):
        m = self._p_by_ptr[cmap]
        try:
            m._dispatch(data, size)
            return 0
        except BaseException as e:  # re-raised by poll(), not lost in ctypes
            m._exc = e
            return 1

    def _p_raise_pending(self, m=None):
        """Re-raise what a callback raised (of map m, or of any map)."""
        for cand in ([m] if m is not None else self._p_by_ptr.values()):
            e = getattr(cand, "_exc", None)
            if e is not None:
                cand._exc = None
                raise e
        if self._p_exc is not None:
            e, self._p_exc = self._p_exc, None
            raise e

    def _p_on_lost(self, cmap, cpu, count):
        try:
            self._p_by_ptr[cmap]._on_lost(cpu, count)
        except BaseException as e:
            self._p_exc = e

    def _p_report_loss(self, m=None):
        """At most once a second: what each consumed event map (or m) lost
        or dropped since, on stderr."""
        now = time.monotonic()
        if now - self._p_loss_said < 1.0:
            return
        self._p_loss_said = now
        for cand in ([m] if m is not None else self.maps.values()):
            if isinstance(cand, EventMap):
                cand._report_loss()

    def dropped(self):
        """{map name: (lost, dropped)} of every event map: records the
        kernel could not take, records the user-space queue had no room
        for (EventMap.lost, EventMap.dropped)."""
        return {m.name: (m.lost, m.dropped) for m in self.maps.values()
                if isinstance(m, EventMap)}

    def poll(self, timeout_ms=-1):
        """Wait up to timeout_ms (-1: forever) and deliver ready events to the
        maps' open_perf_buffer callbacks / events() iterators. Returns how many."""
        self._p_open_events()
        r = _lib.lib.coolbpf_object__poll(self._p_obj, int(timeout_ms))
        self._p_report_loss()
        self._p_raise_pending()
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
        from collections import deque
        q = m._queue = m._queue if m._queue is not None else deque()
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
    # libcoolbpf attaches and explains; pylcc only names the target.
    @staticmethod
    def _s(x):
        return x.decode() if isinstance(x, bytes) else x

    def _p_attach(self, prog, kind, target=None, **kw):
        prog = self._s(prog)
        keep = []
        ctm = _lib.ct()
        ao = ctm.opts(ctm.AttachOpts, kind=kind, pid=-1, cpu=-1, perf_group_fd=-1)
        if target is not None:
            keep.append(self._s(target).encode())
            ao.target = keep[-1]
        for k, v in kw.items():
            if isinstance(v, str):
                keep.append(v.encode())
                v = keep[-1]
            setattr(ao, k, v)
        mark = _lib.warn_mark()
        ctm.ct.set_errno(0)
        link = ctm.lib.coolbpf_object__attach_program(self._p_obj, prog.encode(),
                                                       ctm.ct.byref(ao))
        if not link:
            err = ctm.ct.get_errno() or errno.EINVAL
            raise AttachError(_lib.errmsg_since(mark, err, "cannot attach program '%s'"
                                                % prog), err)
        self._p_links.append(link)
        self.attached = self._p_attach_infos()
        return link

    def attach_kprobe(self, prog, func, retprobe=False):
        return self._p_attach(prog, _lib.ATTACH_KRETPROBE if retprobe else _lib.ATTACH_KPROBE,
                              func)

    def attach_tracepoint(self, prog, category, tp):
        return self._p_attach(prog, _lib.ATTACH_TRACEPOINT,
                              "%s:%s" % (self._s(category), self._s(tp)))

    def attach_raw_tracepoint(self, prog, tp):
        return self._p_attach(prog, _lib.ATTACH_RAW_TRACEPOINT, tp)

    def attach_uprobe(self, prog, binary, func_name=None, offset=0, pid=-1, retprobe=False):
        """Probe binary (a path, or a library name like "libc.so.6") at
        func_name (+offset) or at file offset; pid -1: every process."""
        kw = {"offset": offset, "pid": pid}
        if func_name:
            kw["symbol"] = self._s(func_name)
        return self._p_attach(prog, _lib.ATTACH_URETPROBE if retprobe else _lib.ATTACH_UPROBE,
                              binary, **kw)

    def attach_perf_event(self, prog, attr, pid=-1, cpu=0, group_fd=-1, flags=0):
        """Run prog on each sample of a perf event (attr: a dict of
        perf_event_attr fields, or a perfEvent.PerfEventAttr) of pid on cpu;
        pid -1 and cpu -1: one event on every online CPU."""
        if isinstance(attr, dict):
            from .perfEvent import PerfEventAttr
            attr = PerfEventAttr.from_dict(attr)
        ct = _lib.ct().ct
        return self._p_attach(prog, _lib.ATTACH_PERF_EVENT, None,
                              perf_attr=ct.cast(ct.pointer(attr), ct.c_void_p), pid=pid,
                              cpu=cpu, perf_group_fd=group_fd, perf_flags=flags)

    def attach_perf_event_all_cpus(self, prog, attr, pid=-1, group_fd=-1, flags=0):
        if pid == -1:
            return [self.attach_perf_event(prog, attr, -1, -1, group_fd, flags)]
        return [self.attach_perf_event(prog, attr, pid, cpu, group_fd, flags)
                for cpu in online_cpus()]


def kernel_has_kprobes():
    """Whether this kernel can host kprobes (libcoolbpf's probe)."""
    return _lib.lib.coolbpf_probe_hook(_lib.HOOK_KPROBE) == 1


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
