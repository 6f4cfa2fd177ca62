"""ctypes declarations of libcoolbpf (include/coolbpf/coolbpf.h) and of the
few libbpf calls pylcc makes: all of them when pylcc's extension
(_coolbpf.c) is not built, else those it does not have (symbols, attach
by hand, perf events). Internal to pylcc: _lib.py loads it.
"""
import ctypes as ct

from . import _lib


class _Declared(ct.CDLL):
    """A library whose functions take their prototype (of protos) when
    first used, not all at load: a tool pays for the calls it makes."""

    def __init__(self, path, protos):
        super().__init__(path, use_errno=True)
        self._protos = protos

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        f = self[name]  # a new function object, not yet cached
        proto = self._protos.get(name)
        if proto is not None:
            f.restype, f.argtypes = proto
        # cached only once declared: another thread never calls it half-typed
        setattr(self, name, f)
        return f


# ---- structures ----------------------------------------------------------

class CompileOpts(ct.Structure):
    _fields_ = [("sz", ct.c_size_t), ("kernel", ct.c_char_p), ("btf_path", ct.c_char_p),
                ("defines", ct.POINTER(ct.c_char_p)), ("include_dirs", ct.POINTER(ct.c_char_p)),
                ("cache_dir", ct.c_char_p), ("server", ct.c_char_p), ("no_cache", ct.c_bool),
                ("btf_dir", ct.c_char_p), ("server_token", ct.c_char_p),
                ("tool_path", ct.c_char_p), ("no_cache_write", ct.c_bool),
                ("full_vmlinux_h", ct.c_bool), ("arch", ct.c_char_p),
                ("server_ca", ct.c_char_p), ("kernels", ct.POINTER(ct.c_char_p)),
                ("cache_max", ct.c_uint64),
                ("event_types", ct.POINTER(ct.c_char_p)), ("cflags", ct.POINTER(ct.c_char_p))]


class ObjectOpts(ct.Structure):
    _fields_ = [("sz", ct.c_size_t), ("name", ct.c_char_p), ("btf_path", ct.c_char_p),
                ("compile", ct.POINTER(CompileOpts)), ("btf_dir", ct.c_char_p),
                ("server", ct.c_char_p), ("server_token", ct.c_char_p),
                ("cache_dir", ct.c_char_p)]


class AttachOpts(ct.Structure):
    _fields_ = [("sz", ct.c_size_t), ("kind", ct.c_int), ("target", ct.c_char_p),
                ("symbol", ct.c_char_p), ("offset", ct.c_uint64), ("pid", ct.c_int),
                ("cpu", ct.c_int), ("perf_attr", ct.c_void_p), ("perf_type", ct.c_uint32),
                ("perf_config", ct.c_uint64), ("sample_freq", ct.c_uint64),
                ("sample_period", ct.c_uint64), ("perf_group_fd", ct.c_int),
                ("perf_flags", ct.c_ulong)]


EVENT_FN = ct.CFUNCTYPE(ct.c_int, ct.c_void_p, ct.c_void_p, ct.c_void_p, ct.c_size_t)
LOST_FN = ct.CFUNCTYPE(None, ct.c_void_p, ct.c_void_p, ct.c_int, ct.c_uint64)
PRINT_FN = ct.CFUNCTYPE(ct.c_int, ct.c_int, ct.c_char_p, ct.c_void_p)


class EventsOpts(ct.Structure):
    _fields_ = [("sz", ct.c_size_t), ("on_event", EVENT_FN), ("on_lost", LOST_FN),
                ("ctx", ct.c_void_p), ("perf_pages", ct.c_size_t), ("queue_size", ct.c_size_t)]


class AttachInfo(ct.Structure):
    _fields_ = [("prog", ct.c_char_p), ("section", ct.c_char_p), ("kind", ct.c_char_p),
                ("target", ct.c_char_p), ("note", ct.c_char_p), ("err", ct.c_int)]


def opts(cls, **kw):
    o = cls(**kw)
    o.sz = ct.sizeof(cls)
    return o


P = ct.c_void_p
_PROTOS = {
    "coolbpf_set_print": (PRINT_FN, [PRINT_FN]),
    "coolbpf_errmsg": (ct.c_char_p, []),
    "coolbpf_object__open_file": (P, [ct.c_char_p, ct.POINTER(ObjectOpts)]),
    "coolbpf_object__open_source": (P, [ct.c_char_p, ct.c_size_t, ct.POINTER(ObjectOpts)]),
    "coolbpf_object__load": (ct.c_int, [P]),
    "coolbpf_object__attach": (ct.c_int, [P]),
    "coolbpf_object__detach": (None, [P]),
    "coolbpf_object__attach_count": (ct.c_size_t, [P]),
    "coolbpf_object__attach_info": (ct.POINTER(AttachInfo), [P, ct.c_size_t]),
    "coolbpf_object__bpf": (P, [P]),
    "coolbpf_object__btf": (P, [P]),
    "coolbpf_object__name": (ct.c_char_p, [P]),
    "coolbpf_object__btf_origin": (ct.c_char_p, [P]),
    "coolbpf_object__close": (None, [P]),
    "coolbpf_object__next_map": (P, [P, P]),
    "coolbpf_map__name": (ct.c_char_p, [P]),
    "coolbpf_map__kind": (ct.c_int, [P]),
    "coolbpf_map__fd": (ct.c_int, [P]),
    "coolbpf_map__bpf": (P, [P]),
    "coolbpf_map__key_size": (ct.c_uint32, [P]),
    "coolbpf_map__value_size": (ct.c_uint32, [P]),
    "coolbpf_map__percpu": (ct.c_bool, [P]),
    "coolbpf_map__key_type_id": (ct.c_uint32, [P]),
    "coolbpf_map__value_type_id": (ct.c_uint32, [P]),
    "coolbpf_map__hist_step": (ct.c_uint64, [P]),
    "coolbpf_map__lookup": (ct.c_int, [P, P, P]),
    "coolbpf_map__update": (ct.c_int, [P, P, P, ct.c_uint64]),
    "coolbpf_map__delete": (ct.c_int, [P, P]),
    "coolbpf_map__next_key": (ct.c_int, [P, P, P]),
    "coolbpf_decode": (ct.c_int, [P, ct.c_uint32, P, ct.c_size_t, ct.c_int, P, ct.c_size_t]),
    "coolbpf_map__decode_event": (ct.c_int, [P, P, ct.c_size_t, ct.c_int, P, ct.c_size_t]),
    "coolbpf_object__open_events": (ct.c_int, [P, ct.POINTER(EventsOpts)]),
    "coolbpf_object__poll": (ct.c_int, [P, ct.c_int]),
    "coolbpf_object__consume": (ct.c_int, [P]),
    "coolbpf_map__poll": (ct.c_int, [P, ct.c_int]),
    "coolbpf_map__event_cpu": (ct.c_int, [P]),
    "coolbpf_map__lost": (ct.c_uint64, [P]),
    "coolbpf_map__dropped": (ct.c_uint64, [P]),
    "coolbpf_hist_format": (ct.c_int, [P, ct.c_size_t, ct.c_char_p, ct.POINTER(ct.c_uint64),
                                       ct.c_uint, ct.c_int, ct.c_uint64, ct.c_char_p, ct.c_int]),
    "coolbpf_syms__new": (P, [ct.c_int]),
    "coolbpf_syms__resolve": (ct.c_int, [P, ct.c_uint64, P, ct.c_size_t]),
    "coolbpf_syms__free": (None, [P]),
    "coolbpf_mount_fs": (ct.c_int, []),
    "coolbpf_compile_opts__from_env": (ct.c_int, [ct.POINTER(CompileOpts)]),
    "coolbpf_object_opts__from_env": (ct.c_int, [ct.POINTER(ObjectOpts)]),
    "coolbpf_object__attach_program": (P, [P, ct.c_char_p, ct.POINTER(AttachOpts)]),
    "coolbpf_link__destroy": (None, [P]),
    "coolbpf_probe_hook": (ct.c_int, [ct.c_int]),
    "coolbpf_object__set_global": (ct.c_int, [P, ct.c_char_p, ct.c_char_p]),
}

_BPF_PROTOS = {
    "bpf_map__type": (ct.c_int, [P]),
    "btf__resolve_size": (ct.c_int64, [P, ct.c_uint32]),
    "libbpf_num_possible_cpus": (ct.c_int, []),
}


lib = bpf = libc = None


def load(path):
    """Declare libcoolbpf at path (OSError when it cannot be loaded): the
    same copy as the extension's when there is one (a second dlopen of a
    path is the same library), with the libbpf.so.1 it links."""
    global lib, bpf, libc
    if lib is None:
        lib = _Declared(path, _PROTOS)
        bpf = _Declared("libbpf.so.1", _BPF_PROTOS)
        libc = ct.CDLL(None, use_errno=True)
        libc.syscall.restype = ct.c_long
        libc.close.argtypes = [ct.c_int]


# ---- the calls _lib.py gives either way (see _coolbpf.c) ------------------

class Backend:
    """What _coolbpf gives, through ctypes."""

    name = "ctypes"

    def __init__(self):
        from _thread import _local
        self.lib = lib
        self.bpf = bpf
        # count the library's warnings so a failure is reported with its
        # own message, never with a stale one from an earlier call
        self._warns = _local()
        self._print_cb = PRINT_FN(self._on_print)
        lib.coolbpf_set_print(self._print_cb)

    def _on_print(self, level, fmt, ap):
        if level == _lib.WARN:
            self._warns.n = getattr(self._warns, "n", 0) + 1
        return 0

    def warn_mark(self):
        return getattr(self._warns, "n", 0)

    @staticmethod
    def errno():
        return ct.get_errno()

    @staticmethod
    def _cstrs(items, keep):
        if not items:
            return None
        arr = (ct.c_char_p * (len(items) + 1))(*items)
        keep.append(arr)
        return arr

    def open(self, source, path, name, btf, kernel, defines, include_dirs, cache_dir, server,
             no_cache):
        keep = []
        copts = opts(CompileOpts, kernel=kernel, btf_path=btf,
                     defines=self._cstrs(defines, keep),
                     include_dirs=self._cstrs(include_dirs, keep),
                     cache_dir=cache_dir, server=server, no_cache=no_cache)
        oopts = opts(ObjectOpts, name=name, btf_path=btf, compile=ct.pointer(copts))
        lib.coolbpf_compile_opts__from_env(ct.byref(copts))
        lib.coolbpf_object_opts__from_env(ct.byref(oopts))
        if source is not None:
            return lib.coolbpf_object__open_source(source, len(source), ct.byref(oopts))
        return lib.coolbpf_object__open_file(path, ct.byref(oopts))

    @staticmethod
    def attach_info(obj, i):
        ai = lib.coolbpf_object__attach_info(obj, i).contents
        return (ai.prog, ai.section, ai.kind, ai.target, ai.note, ai.err)

    @staticmethod
    def open_events(obj, on_event, on_lost, perf_pages, queue_size):
        keep = (EVENT_FN(lambda ctx, m, data, size: on_event(m, data, size)),
                LOST_FN(lambda ctx, m, cpu, count: on_lost(m, cpu, count)))
        eo = opts(EventsOpts, on_event=keep[0], on_lost=keep[1], perf_pages=perf_pages,
                  queue_size=queue_size)
        return lib.coolbpf_object__open_events(obj, ct.byref(eo)), keep

    _bufs = None

    def _decoded(self, fn, *args):
        if self._bufs is None:
            from _thread import _local
            self._bufs = _local()  # one buffer a thread: CeventThreads decode at once
        buf = getattr(self._bufs, "buf", None)
        if buf is None:
            buf = self._bufs.buf = ct.create_string_buffer(4096)
        while True:
            n = fn(*args, buf, len(buf))
            if n < 0:
                return n
            if n < len(buf):
                return buf.raw[:n]
            buf = self._bufs.buf = ct.create_string_buffer(n + 1)

    def decode_event(self, cmap, data, size, fmt):
        return self._decoded(lib.coolbpf_map__decode_event, cmap, data, size, fmt)

    def decode(self, btf, type_id, data, size, fmt):
        return self._decoded(lib.coolbpf_decode, btf, type_id, data, size, fmt)

    # map elements as bytes, sized and checked as _coolbpf.c does
    @staticmethod
    def _sized(o, n, what):
        if not isinstance(o, bytes):
            raise TypeError("%s: bytes expected, not %s" % (what, type(o).__name__))
        if len(o) != n:
            raise ValueError("%s: %d bytes expected, not %d" % (what, n, len(o)))
        return o

    @staticmethod
    def _value_len(cmap):
        vs = lib.coolbpf_map__value_size(cmap)
        if not lib.coolbpf_map__percpu(cmap):
            return vs
        return ((vs + 7) & ~7) * bpf.libbpf_num_possible_cpus()

    def _into_bytes(self, n, fn, *args):
        buf = ct.create_string_buffer(n)
        r = fn(*args, buf)
        return r if r < 0 else buf.raw

    def map_lookup(self, cmap, key):
        key = self._sized(key, lib.coolbpf_map__key_size(cmap), "key")
        return self._into_bytes(self._value_len(cmap), lib.coolbpf_map__lookup, cmap, key)

    def map_next_key(self, cmap, prev):
        n = lib.coolbpf_map__key_size(cmap)
        if prev is not None:
            prev = self._sized(prev, n, "key")
        return self._into_bytes(n, lib.coolbpf_map__next_key, cmap, prev)

    def map_update(self, cmap, key, value, flags):
        key = self._sized(key, lib.coolbpf_map__key_size(cmap), "key")
        value = self._sized(value, self._value_len(cmap), "value")
        return lib.coolbpf_map__update(cmap, key, value, flags)

    def map_delete(self, cmap, key):
        return lib.coolbpf_map__delete(cmap, self._sized(key, lib.coolbpf_map__key_size(cmap),
                                                         "key"))

    def hist_format(self, name, counts, kind, step, val_type, fmt):
        slots = (ct.c_uint64 * len(counts))(*counts)
        n = lib.coolbpf_hist_format(None, 0, name, slots, len(counts), kind, step, val_type, fmt)
        if n < 0:
            return n
        buf = ct.create_string_buffer(n + 1)
        lib.coolbpf_hist_format(buf, n + 1, name, slots, len(counts), kind, step, val_type, fmt)
        return buf.value
