"""The original pylcc's map class names, for programs that import them,
and its cffi value converter (CffiTrans: give it your cffi.FFI())."""
from .maps import EventMap, Map  # noqa: F401
from .tables import ArrayMap, HistMap, StackMap, TableMap  # noqa: F401

CeventBase = Map
CtableBase = TableMap
CmapsEvent = EventMap
CmapsHash = CmapsLruHash = CmapsPerHash = CmapsPerArray = CmapsLruPerHash = TableMap
CmapsArray = ArrayMap
CmapsHist2 = CmapsHist10 = HistMap
CmapsStack = StackMap


class CffiValue:
    """A converted struct or union: its members as attributes."""

    def __repr__(self):
        return str({k: v for k, v in vars(self).items()})


class CffiTrans:
    """cffi data to Python values, as the original: numbers as they are,
    char arrays by ffi.string() (bytes on Python 3), other arrays as
    lists, structs and unions as CffiValue, pointers as "point:TYPE"."""

    _direct = (int, float, str, bytes)

    def __init__(self, ffi):
        self._ffi = ffi

    def value(self, e):
        if dir(e):  # a struct or union (pointer)
            return self._struct(e)
        t = self._ffi.getctype(self._ffi.typeof(e))
        if t.endswith("* *"):
            return self._point(t[:-2])
        if t.endswith("*"):
            return self._ffi.unpack(e, 1)[0]
        if t.endswith("]"):
            return self._array(e, t)
        raise ValueError("not support type: %s" % t)

    def _struct(self, e):
        v = CffiValue()
        for name in dir(e):
            m = getattr(e, name)
            if isinstance(m, self._direct):
                setattr(v, name, m)
                continue
            t = self._ffi.getctype(self._ffi.typeof(m))
            if t.endswith("]"):
                setattr(v, name, self._array(m, t))
            elif "*" in t:
                setattr(v, name, self._point(t))
            else:
                setattr(v, name, self.value(m))
        return v

    def _array(self, e, t):
        base, dims = t.split("[", 1)
        return self._unpack(base.strip(), e, dims)

    def _unpack(self, base, e, dims):
        n_text, rest = dims.split("]", 1)
        n = int(n_text) if n_text else 0
        if n <= 0:
            return None
        if rest:  # more dimensions
            return [self._unpack(base, e[i], rest[1:]) for i in range(n)]
        if base == "char":
            return self._ffi.string(e)
        if "*" in base:
            return [self._point(base) for _ in range(n)]
        items = [e[i] for i in range(n)]
        if isinstance(items[0], self._direct):
            return items
        return [self.value(x) for x in items]

    @staticmethod
    def _point(t):
        return "point:%s" % t
