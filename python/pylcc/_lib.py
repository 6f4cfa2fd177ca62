"""libcoolbpf for the rest of pylcc, one way or the other. Internal.

Through pylcc's extension (_coolbpf.c, built by make next to the library
and installed into the package) when it is there: a tool then never
imports ctypes, which alone weighs more than the rest of pylcc. Else, or
with PYLCC_CTYPES=1, through ctypes (_ct.py). Either way:

  lib       libcoolbpf's calls of simple types, as ctypes declares them:
            pointers are ints (None: NULL), strings bytes
  bpf       the libbpf calls pylcc makes (bpf_map__type, btf__resolve_size,
            libbpf_num_possible_cpus)
  open_object(), attach_info(), open_events(), decode_event(), decode(),
  get_errno(), warn_mark(): the calls with structures, callbacks or buffers
  map_lookup(), map_next_key(), map_update(), map_delete(): elements as
            bytes (a value, a key, or -errno); hist_format(): a
            histogram's text as bytes, or -errno
  ct()      the ctypes declarations (_ct.py), for what the extension does
            not carry: symbols, attach by hand, perf events; imported
            then, not before
"""
import os

from .errors import LccError

_HERE = os.path.dirname(os.path.abspath(__file__))
SONAME = "libcoolbpf.so.0"

# enum coolbpf_attach_kind, enum coolbpf_hook
(ATTACH_AUTO, ATTACH_KPROBE, ATTACH_KRETPROBE, ATTACH_UPROBE, ATTACH_URETPROBE,
 ATTACH_TRACEPOINT, ATTACH_RAW_TRACEPOINT, ATTACH_PERF_EVENT) = range(8)
HOOK_KPROBE, HOOK_FENTRY, HOOK_TP_BTF, HOOK_UPROBE, HOOK_PERF_EVENT = range(5)
# map kinds (enum coolbpf_map_kind), formats, hist kinds
MAP_PLAIN, MAP_RINGBUF, MAP_PERF, MAP_HIST2, MAP_HIST10, MAP_HISTLIN, MAP_STACK, MAP_INTERNAL = range(8)
FMT_TEXT, FMT_JSON, FMT_JSON_RAW = 0, 1, 2
EVENTS_QUEUE_DEFAULT = 256 << 20  # COOLBPF_EVENTS_QUEUE_DEFAULT of coolbpf.h
HIST_LOG2, HIST_LOG10, HIST_LINEAR = 0, 1, 2
WARN = 0


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


class _Spec:
    """What _imp.create_dynamic reads of a module spec (importlib.util,
    which makes real ones, costs imports of its own)."""

    def __init__(self, name, origin):
        self.name, self.origin = name, origin


def _extension(libpath):
    """pylcc._coolbpf: in the package (installed), else beside libpath
    (make's build/lib); None when neither has it or PYLCC_CTYPES is set."""
    if os.environ.get("PYLCC_CTYPES"):
        return None
    import _imp
    name = "_coolbpf" + _imp.extension_suffixes()[0]
    dirs = [_HERE] + ([os.path.dirname(libpath)] if os.sep in libpath else [])
    for d in dirs:
        origin = os.path.join(d, name)
        if os.path.exists(origin):
            return _imp.create_dynamic(_Spec("pylcc._coolbpf", origin))
    return None


def _load():
    tried = []
    for cand in _candidates():
        if os.sep in cand and not os.path.exists(cand):
            tried.append(cand + " (missing)")
            continue
        try:
            ext = _extension(cand)
            if ext is not None:
                ext.load(os.fsencode(cand))
                ext.name = "extension"
                return ext, cand
            from . import _ct
            _ct.load(cand)
            return _ct.Backend(), cand
        except OSError as e:
            tried.append("%s (%s)" % (cand, e))
    raise LccError("cannot find libcoolbpf: run `make`, or `make install`, or set "
                   "COOLBPF_LIB=/path/to/libcoolbpf.so.0; tried: " + "; ".join(tried))


backend, path = _load()
if backend.name == "extension":
    lib = bpf = backend
else:
    lib, bpf = backend.lib, backend.bpf
open_object = backend.open
attach_info = backend.attach_info
open_events = backend.open_events
decode_event = backend.decode_event
decode = backend.decode
get_errno = backend.errno
warn_mark = backend.warn_mark
map_lookup = backend.map_lookup
map_next_key = backend.map_next_key
map_update = backend.map_update
map_delete = backend.map_delete
hist_format = backend.hist_format


def ct():
    """The ctypes declarations of the same library (_ct.py), loaded on first use."""
    from . import _ct
    _ct.load(path)
    return _ct


def errmsg_since(mark, err=None, what=None):
    """The library's message if it warned since mark, else strerror(err)."""
    if warn_mark() != mark:
        return lib.coolbpf_errmsg().decode("utf-8", "replace")
    if err:
        msg = os.strerror(abs(err))
        return "%s: %s" % (what, msg) if what else msg
    return what or "unknown error"
