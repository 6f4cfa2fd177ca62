"""pylcc: Python binding of libcoolbpf (ctypes, standard library only).

Two APIs over the same library:
  - the original pylcc's: ``from pylcc.lbcBase import ClbcBase``
  - a modern one: ``with pylcc.Program("tool.bpf.c") as p: ...``
See python/README.md."""
from .errors import AttachError, CompileError, LccError, LoadError
from .decode import Struct
from .maps import ArrayMap, EventMap, Histogram, HistMap, Map, StackMap, TableMap
from .program import Program, Syms

__all__ = ["Program", "Syms", "Struct", "Histogram", "Map", "TableMap", "ArrayMap",
           "HistMap", "StackMap", "EventMap", "LccError", "CompileError", "LoadError",
           "AttachError"]
