"""ctypes declarations of libcoolbpf (include/coolbpf/coolbpf.h) and of the
few libbpf calls the map helpers need. Internal to pylcc."""
import ctypes as ct
import os
from _thread import _local  # threading.local without importing threading

from .errors import LccError

_HERE = os.path.dirname(os.path.abspath(__file__))
SONAME = "libcoolbpf.so.0"


def _candidates():
    env = os.environ.get("COOLBPF_LIB")
    if env:
        yield env
    # next to the package: inside it, or $(PREFIX)/lib for an installed
    # $(PREFIX)/lib/python3/dist-packages/pylcc
    yield os.path.join(_HERE, SONAME)
    yield os.path.normpath(os.path.join(_HERE, "..", "..", "..", SONAME))
    # a source tree after `make`: python/pylcc -> build/lib
    yield os.path.normpath(os.path.join(_HERE, "..", "..", "build", "lib", SONAME))
    yield SONAME
    import ctypes.util  # heavy (subprocess, tempfile): only when all else failed
    found = ctypes.util.find_library("coolbpf")
    if found:
        yield found


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


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            return _Declared(path, _PROTOS), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise LccError("cannot find libcoolbpf: run `make`, or `make install`, or set "
                   "COOLBPF_LIB=/path/to/libcoolbpf.so.0; tried: " + "; ".join(tried))


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


# enum coolbpf_attach_kind, enum coolbpf_hook
(ATTACH_AUTO, ATTACH_KPROBE, ATTACH_KRETPROBE, ATTACH_UPROBE, ATTACH_URETPROBE,
 ATTACH_TRACEPOINT, ATTACH_RAW_TRACEPOINT, ATTACH_PERF_EVENT) = range(8)
HOOK_KPROBE, HOOK_FENTRY, HOOK_TP_BTF, HOOK_UPROBE, HOOK_PERF_EVENT = range(5)


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


# map kinds (enum coolbpf_map_kind), formats, hist kinds
MAP_PLAIN, MAP_RINGBUF, MAP_PERF, MAP_HIST2, MAP_HIST10, MAP_HISTLIN, MAP_STACK, MAP_INTERNAL = range(8)
FMT_TEXT, FMT_JSON, FMT_JSON_RAW = 0, 1, 2
EVENTS_QUEUE_DEFAULT = 256 << 20  # COOLBPF_EVENTS_QUEUE_DEFAULT of coolbpf.h
HIST_LOG2, HIST_LOG10, HIST_LINEAR = 0, 1, 2
WARN = 0

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


lib, path = _load()
# libcoolbpf links libbpf.so.1: the same copy is already in the process
bpf = _Declared("libbpf.so.1", _BPF_PROTOS)
libc = ct.CDLL(None, use_errno=True)
libc.syscall.restype = ct.c_long
libc.close.argtypes = [ct.c_int]

# Count the library's warnings so a failure is reported with its own message
# and never with a stale one from an earlier call (coolbpf_errmsg() keeps the
# last warning of the thread until the next).
_warns = _local()


def _on_print(level, fmt, ap):
    if level == WARN:
        _warns.n = getattr(_warns, "n", 0) + 1
    return 0


_print_cb = PRINT_FN(_on_print)
lib.coolbpf_set_print(_print_cb)


def warn_mark():
    return getattr(_warns, "n", 0)


def errmsg_since(mark, err=None, what=None):
    """The library's message if it warned since mark, else strerror(err)."""
    if warn_mark() != mark:
        return lib.coolbpf_errmsg().decode("utf-8", "replace")
    if err:
        msg = os.strerror(abs(err))
        return "%s: %s" % (what, msg) if what else msg
    return what or "unknown error"
