"""Decoded values: libcoolbpf decodes bytes by their BTF type into JSON,
which becomes Python objects here (structs with attribute access)."""
import os

from . import _lib
from .errors import LccError


def _freeze(v):
    if isinstance(v, dict):
        return tuple((k, _freeze(x)) for k, x in v.items())
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


class Struct(dict):
    """A decoded C struct or union: ``ev.comm`` and ``ev["comm"]`` both work.

    Nested structs are Structs, arrays are lists, char arrays are str,
    enums are their enumerator names. Hashable (by value), so struct keys
    of hash maps can be dictionary keys."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError("struct has no field '%s' (fields: %s)"
                                 % (name, ", ".join(self))) from None

    def __setattr__(self, name, value):
        if name.startswith("_lcc"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __hash__(self):
        return hash(_freeze(self))

    def __repr__(self):
        return "Struct(%s)" % ", ".join("%s=%r" % kv for kv in self.items())


class _ScanContext:
    """What _json's C scanner reads from a json.JSONDecoder: the scanner
    without the json package (its import of re and enum costs ~1 MB RSS)."""
    strict = True
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo = None

    def __init__(self, object_hook):
        self.object_hook = object_hook

    @staticmethod
    def parse_constant(name):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


_scanners = {}


def loads(text, object_hook=None):
    """json.loads(text, object_hook=...) for the library's own JSON."""
    scan = _scanners.get(object_hook)
    if scan is None:
        try:
            from _json import make_scanner
        except ImportError:  # an interpreter without the C accelerator
            import json
            return json.loads(text, object_hook=object_hook)
        scan = _scanners[object_hook] = make_scanner(_ScanContext(object_hook))
    i = len(text) - len(text.lstrip())
    try:
        obj, end = scan(text, i)
    except StopIteration as e:
        raise ValueError("not JSON at character %d" % e.value) from None
    if text[end:].strip():
        raise ValueError("extra data after the JSON value at %d" % end)
    return obj


def from_json(text):
    return loads(text, object_hook=Struct)


class CStruct(Struct):
    """A struct of the original API: printed as the original's CffiValue
    (a dict of its members in name order)."""

    def __repr__(self):
        return str(dict(sorted(self.items())))


def _c_hook(d):
    # FMT_JSON_RAW's char array {"": "..."}: one code point a byte
    if len(d) == 1 and "" in d:
        return d[""].encode("latin-1")
    return CStruct(d)


class Decoder:
    """Decodes bytes of one object's BTF types.

    c_values: the values as the original pylcc gave them on Python 3 (char
    arrays as bytes, enums as numbers, structs printed as dicts); else
    char arrays are str and enums their enumerator names."""

    def __init__(self, btf, c_values=False):
        self._btf = btf
        self._fmt = _lib.FMT_JSON_RAW if c_values else _lib.FMT_JSON
        self._hook = _c_hook if c_values else Struct

    def _loads(self, text):
        if isinstance(text, int):
            raise LccError("cannot decode: %s" % os.strerror(-text), -text)
        return loads(text.decode("utf-8", "replace"), object_hook=self._hook)

    def type_size(self, type_id):
        return _lib.bpf.btf__resolve_size(self._btf, type_id) if type_id else -1

    def decode(self, type_id, data, size=None):
        """data: bytes (size defaults to len) or an address with size."""
        if size is None:
            size = len(data)
        if not type_id:
            if isinstance(data, (bytes, bytearray)):
                raw = data
            else:
                raw = _lib.ct().ct.string_at(data, size)
            return int.from_bytes(raw[:size], "little") if size in (1, 2, 4, 8) else bytes(raw[:size])
        if isinstance(data, bytearray):
            data = bytes(data)
        return self._loads(_lib.decode(self._btf, type_id, data, size, self._fmt))

    def decode_event(self, cmap, data, size):
        return self._loads(_lib.decode_event(cmap, data, size, self._fmt))
