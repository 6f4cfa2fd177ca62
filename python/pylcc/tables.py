"""Hash, array, histogram and stack maps (TableMap and its kinds): a module
of their own, imported only when an object has such a map, so a tool of
event maps alone never loads their code (bench/bindings/rss)."""
import errno
import os
import struct
import sys

from . import _lib
from .decode import loads
from .errors import LccError
from .maps import Map

_ARRAY_TYPES = (2, 6)           # ARRAY, PERCPU_ARRAY: keys cannot be deleted


class TableMap(Map):
    """Hash, array, LRU and per-CPU maps: keys and values decoded from BTF.
    Per-CPU maps give a list with one value per possible CPU."""

    def __init__(self, prog, cmap):
        super().__init__(prog, cmap)
        self._ncpu = _lib.bpf.libbpf_num_possible_cpus() if self.percpu else 1
        self._stride = (self.value_size + 7) & ~7 if self.percpu else self.value_size

    # -- bytes <-> Python ---------------------------------------------------
    def _key_bytes(self, key):
        raw = getattr(key, "_lcc_raw", None)
        if raw is not None:
            return raw
        if isinstance(key, (bytes, bytearray)):
            if len(key) != self.key_size:
                raise ValueError("map '%s': key must be %d bytes, not %d"
                                 % (self.name, self.key_size, len(key)))
            return bytes(key)
        if isinstance(key, int) and self.key_size <= 8:
            return (key & ((1 << (8 * self.key_size)) - 1)).to_bytes(self.key_size, "little")
        raise TypeError("map '%s': give the key as an int, as bytes, or as a key "
                        "returned by getKeys()/items()" % self.name)

    def _value_bytes(self, value):
        if isinstance(value, (bytes, bytearray)):
            one = bytes(value)
        elif isinstance(value, int) and self.value_size <= 8:
            one = (value & ((1 << (8 * self.value_size)) - 1)).to_bytes(self.value_size, "little")
        else:
            raise TypeError("map '%s': give the value as an int or as bytes" % self.name)
        if len(one) != self.value_size:
            raise ValueError("map '%s': value must be %d bytes" % (self.name, self.value_size))
        return (one + bytes(self._stride - len(one))) * self._ncpu

    def _key(self, raw):
        k = self._prog._p_decoder.decode(self.key_type_id, raw)
        if isinstance(k, dict):
            k._lcc_raw = bytes(raw)
        return k

    def _value(self, raw):
        dec = self._prog._p_decoder
        if not self.percpu:
            return dec.decode(self.value_type_id, raw[:self.value_size])
        return [dec.decode(self.value_type_id, raw[i * self._stride:i * self._stride + self.value_size])
                for i in range(self._ncpu)]

    def _raw_keys(self):
        keys, prev = [], None
        while True:
            r = _lib.map_next_key(self._cmap, prev)
            if r == -errno.ENOENT:
                return keys
            if isinstance(r, int):
                raise LccError("map '%s': cannot iterate keys: %s" % (self.name, os.strerror(-r)), -r)
            keys.append(r)
            prev = r
            if len(keys) > (1 << 24):
                raise LccError("map '%s': key iteration does not end" % self.name)

    def _lookup(self, kraw):
        r = _lib.map_lookup(self._cmap, kraw)
        if r == -errno.ENOENT:
            return None
        if isinstance(r, int):
            raise LccError("map '%s': lookup failed: %s" % (self.name, os.strerror(-r)), -r)
        return r

    # -- original pylcc methods -----------------------------------------------
    def get(self):
        """{key: value} of every entry."""
        out = {}
        for k in self._raw_keys():
            v = self._lookup(k)
            if v is not None:
                out[self._key(k)] = self._value(v)
        return out

    def getKeys(self):
        return [self._key(k) for k in self._raw_keys()]

    def getKeyValue(self, key):
        """The value of key, or None when absent."""
        v = self._lookup(self._key_bytes(key))
        return None if v is None else self._value(v)

    def getThenClear(self):
        """get(), removing what was read (array entries are zeroed)."""
        out = {}
        for k in self._raw_keys():
            v = self._lookup(k)
            if v is None:
                continue
            out[self._key(k)] = self._value(v)
            self._remove(k)
        return out

    def clear(self):
        """Remove every entry (array entries are zeroed: arrays cannot shrink)."""
        for k in self._raw_keys():
            self._remove(k)

    def _remove(self, kraw):
        if self.map_type in _ARRAY_TYPES:
            r = _lib.map_update(self._cmap, kraw, bytes(self._stride * self._ncpu), 0)
        else:
            r = _lib.map_delete(self._cmap, kraw)
            if r == -errno.ENOENT:
                r = 0
        if r < 0:
            raise LccError("map '%s': cannot clear an entry: %s" % (self.name, os.strerror(-r)), -r)

    # -- modern API ---------------------------------------------------------------
    def items(self):
        return list(self.get().items())

    def keys(self):
        return self.getKeys()

    def values(self):
        return list(self.get().values())

    def __getitem__(self, key):
        v = self.getKeyValue(key)
        if v is None:
            raise KeyError(key)
        return v

    def __setitem__(self, key, value):
        r = _lib.map_update(self._cmap, self._key_bytes(key), self._value_bytes(value), 0)
        if r < 0:
            raise LccError("map '%s': update failed: %s" % (self.name, os.strerror(-r)), -r)

    def __delitem__(self, key):
        r = _lib.map_delete(self._cmap, self._key_bytes(key))
        if r == -errno.ENOENT:
            raise KeyError(key)
        if r < 0:
            raise LccError("map '%s': delete failed: %s" % (self.name, os.strerror(-r)), -r)

    def __contains__(self, key):
        return self.getKeyValue(key) is not None

    def __iter__(self):
        return iter(self.getKeys())

    def __len__(self):
        return len(self._raw_keys())


class ArrayMap(TableMap):
    """BPF_MAP_TYPE_ARRAY: get(size) is a list, as in the original pylcc."""

    def get(self, size=10):
        return [self.getKeyValue(i) for i in range(size)]

    def items(self):
        return [(i, self.getKeyValue(i)) for i in range(self._max_entries())]

    def values(self):
        return [v for _, v in self.items()]

    def _max_entries(self):
        return len(self._raw_keys())


class Histogram:
    """A histogram read from a LBC_HIST2/LBC_HIST10/LBC_HIST_LINEAR map.
    ``counts``: every slot; ``buckets``: (low, high, count) from the first
    to the last non-empty slot; str() is BCC's print_log2_hist layout."""

    def __init__(self, name, counts, kind, step=0):
        self.name = name
        self.counts = list(counts)
        self._kind = kind
        self._step = step
        self.buckets = [(b["low"], b["high"], b["count"])
                        for b in loads(self._format(_lib.FMT_JSON))["hist"]]

    def _format(self, fmt, val_type=None):
        r = _lib.hist_format(self.name.encode(), self.counts, self._kind, self._step,
                             val_type.encode() if val_type else None, fmt)
        if isinstance(r, int):
            raise LccError("histogram '%s': %s" % (self.name, os.strerror(-r)), -r)
        return r.decode()

    def text(self, val_type="value"):
        return self._format(_lib.FMT_TEXT, val_type)

    def show(self, val_type="value", file=None):
        print(self.text(val_type), end="", file=file or sys.stdout)

    def __str__(self):
        return self.text()

    @property
    def total(self):
        return sum(self.counts)


class HistMap(ArrayMap):
    """LBC_HIST2 / LBC_HIST10 / LBC_HIST_LINEAR maps."""

    _KINDS = {_lib.MAP_HIST2: _lib.HIST_LOG2, _lib.MAP_HIST10: _lib.HIST_LOG10,
              _lib.MAP_HISTLIN: _lib.HIST_LINEAR}

    def __init__(self, prog, cmap):
        super().__init__(prog, cmap)
        self._hkind = self._KINDS[self.kind]
        self._step = _lib.lib.coolbpf_map__hist_step(cmap)
        self._slots = self._max_entries()

    def get(self, size=None):
        """Counts of the first size slots (default: all: 64 for log2, 20 for log10)."""
        n = self._slots if size is None else min(size, self._slots)
        return [self.getKeyValue(i) or 0 for i in range(n)]

    def hist(self):
        return Histogram(self.name, self.get(), self._hkind, self._step)

    def showHist(self, head="dummy", array=None, val_type="value"):
        """Print head, then the histogram like BCC's print_log2_hist."""
        print(head)
        counts = self.get() if array is None else [c or 0 for c in array]
        Histogram(self.name, counts, self._hkind, self._step).show(val_type)


def bare_frame(frame):
    """'name+0x1f [mod]' -> 'name': the original pylcc's frames."""
    return frame.split("+", 1)[0].split(" ", 1)[0]


class StackMap(TableMap):
    """Stack trace maps: ids from bpf_get_stackid() to addresses and symbols."""

    def _value(self, raw):
        n = self.value_size // 8
        return list(struct.unpack("<%dQ" % n, raw[:n * 8]))

    def getArr(self, stack_id):
        """The stack's addresses (the map's full depth, zero-padded), or None."""
        if stack_id is None or stack_id < 0:
            return None
        return self.getKeyValue(stack_id)

    def stack(self, stack_id, pid=0):
        """Symbolized frames, innermost first: ["__schedule+0x2b1", ...].
        pid > 0 also resolves that process's user-space addresses."""
        addrs = self.getArr(stack_id) or []
        syms = self._prog._p_syms(pid)
        return [syms.resolve(a) for a in addrs if a]

    def getStacks(self, stack_id, sLen=-1, pid=0, offsets=False):
        """The original's: bare symbol names, innermost first, up to sLen
        (-1: all); TypeError for a stack id not in the map (as the
        original, whose callers catch it). offsets=True: the
        "sym+0xoff" frames of stack(); pid > 0: user frames too."""
        if self.getArr(stack_id) is None:
            raise TypeError("stack id %r is not in stack map '%s'" % (stack_id, self.name))
        frames = self.stack(stack_id, pid)
        if not offsets:
            frames = [bare_frame(f) for f in frames]
        return frames if sLen < 0 else frames[:sLen]
