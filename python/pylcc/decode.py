"""Decoded values: libcoolbpf decodes bytes by their BTF type into JSON,
which becomes Python objects here (structs with attribute access)."""
import ctypes as ct
import json
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


def from_json(text):
    return json.loads(text, object_hook=Struct)


class Decoder:
    """Decodes bytes of one object's BTF types; one growing buffer."""

    def __init__(self, btf):
        self._btf = btf
        self._buf = ct.create_string_buffer(4096)

    def _run(self, fn, *args):
        while True:
            n = fn(*args, self._buf, len(self._buf))
            if n < 0:
                raise LccError("cannot decode: %s" % os.strerror(-n), -n)
            if n < len(self._buf):
                return from_json(self._buf.value.decode("utf-8", "replace"))
            self._buf = ct.create_string_buffer(n + 1)

    def type_size(self, type_id):
        return _lib.bpf.btf__resolve_size(self._btf, type_id) if type_id else -1

    def decode(self, type_id, data, size=None):
        """data: bytes (size defaults to len) or an address with size."""
        if size is None:
            size = len(data)
        if not type_id:
            raw = data if isinstance(data, (bytes, bytearray)) else ct.string_at(data, size)
            return int.from_bytes(raw[:size], "little") if size in (1, 2, 4, 8) else bytes(raw[:size])
        return self._run(_lib.lib.coolbpf_decode, self._btf, type_id, data, size, _lib.FMT_JSON)

    def decode_event(self, cmap, data, size):
        return self._run(_lib.lib.coolbpf_map__decode_event, cmap, data, size, _lib.FMT_JSON)
