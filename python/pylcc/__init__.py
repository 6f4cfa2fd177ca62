"""pylcc: Python binding of libcoolbpf (ctypes, standard library only).

Two APIs over the same library:
  - the original pylcc's: ``from pylcc.lbcBase import ClbcBase``
  - a modern one: ``with pylcc.Program("tool.bpf.c") as p: ...``
See python/README.md.

Nothing is loaded before it is used: ``import pylcc`` maps no library and
imports only what the name asked for needs (a tool stays near the bare
interpreter's RSS)."""
from .errors import AttachError, CompileError, LccError, LoadError

_WHERE = {"Program": "program", "Syms": "program", "Struct": "decode",
          "Histogram": "tables", "Map": "maps", "TableMap": "tables", "ArrayMap": "tables",
          "HistMap": "tables", "StackMap": "tables", "EventMap": "maps"}

__all__ = ["Program", "Syms", "Struct", "Histogram", "Map", "TableMap", "ArrayMap",
           "HistMap", "StackMap", "EventMap", "LccError", "CompileError", "LoadError",
           "AttachError"]


def __getattr__(name):
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError("module 'pylcc' has no attribute '%s'" % name)
    value = getattr(__import__(__name__ + "." + mod, fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_WHERE))
