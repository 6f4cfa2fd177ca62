"""Typed views of an object's maps (the table kinds in tables.py). Method names follow the original pylcc
(get, getKeys, getKeyValue, getThenClear, clear, showHist, getArr,
open_perf_buffer, perf_buffer_poll, event); snake_case ones are the modern API."""
import errno
import os
import sys

from . import _lib
from .errors import LccError

# enum bpf_map_type values that change behaviour here
class Map:
    """Any map: name, sizes, kind, BTF type ids and raw access."""

    def __init__(self, prog, cmap):
        L = _lib.lib
        self._prog = prog
        self._cmap = cmap
        self.name = L.coolbpf_map__name(cmap).decode()
        self.kind = L.coolbpf_map__kind(cmap)
        self.fd = L.coolbpf_map__fd(cmap)
        self.key_size = L.coolbpf_map__key_size(cmap)
        self.value_size = L.coolbpf_map__value_size(cmap)
        self.percpu = bool(L.coolbpf_map__percpu(cmap))
        self.key_type_id = L.coolbpf_map__key_type_id(cmap)
        self.value_type_id = L.coolbpf_map__value_type_id(cmap)
        self.map_type = _lib.bpf.bpf_map__type(L.coolbpf_map__bpf(cmap))

    def __repr__(self):
        return "<%s %r>" % (type(self).__name__, self.name)


class EventMap(Map):
    """Perf event arrays and ring buffers: events decoded by their BTF type."""

    def __init__(self, prog, cmap):
        super().__init__(prog, cmap)
        self._cb = None
        self._lost_cb = None
        self._queue = None
        self._cur = (None, 0)
        size = prog._p_decoder.type_size(self.value_type_id)
        self.event_size = size if size > 0 else 0
        self._seen = (0, 0)  # lost, dropped: what _report_loss() said

    def _dispatch(self, addr, size):
        if self._cb is not None:
            self._cur = (addr, size)
            try:
                self._cb(_lib.lib.coolbpf_map__event_cpu(self._cmap), addr, size)
            finally:
                self._cur = (None, 0)
        elif self._queue is not None:
            self._queue.append(self._prog._p_decoder.decode_event(self._cmap, addr, size))

    @property
    def lost(self):
        """Records the kernel could not take, so far: lbc.h counts every
        failed bpf_ringbuf_reserve/_output and bpf_perf_event_output of
        this map, perf reports its lost records (coolbpf_map__lost())."""
        return _lib.lib.coolbpf_map__lost(self._cmap)

    @property
    def dropped(self):
        """Records taken from the kernel that the user-space queue had no
        room for (Program's queue_size; coolbpf_map__dropped()): the
        consumer did not keep up. 0 without a queue. Apart from lost."""
        return _lib.lib.coolbpf_map__dropped(self._cmap)

    def _report_loss(self):
        """Say on stderr what was lost or dropped since the last time, as
        `coolbpf run` does: perf's lost records are said by _on_lost()
        already, a lost callback of the caller's says it instead."""
        if self._lost_cb is not None or (self._cb is None and self._queue is None):
            return
        lost, dropped = self.lost, self.dropped
        seen_lost, seen_dropped = self._seen
        self._seen = (lost, dropped)
        perf = _lib.lib.coolbpf_map__kind(self._cmap) == _lib.MAP_PERF
        if lost != seen_lost and not perf:
            print("pylcc: map '%s': %d events lost so far (the ring buffer was full: make it "
                  "larger in LBC_RINGBUF)" % (self.name, lost), file=sys.stderr)
        if dropped != seen_dropped:
            print("pylcc: map '%s': %d events dropped so far (the user-space queue was full: "
                  "give a larger queue_size, or consume faster)" % (self.name, dropped),
                  file=sys.stderr)

    def _on_lost(self, cpu, count):
        if self._lost_cb is not None:
            self._lost_cb(cpu, count)
        elif self._cb is not None or self._queue is not None:
            print("%s: cpu%d lost %d events" % (self.name, cpu, count), file=sys.stderr)

    # -- original pylcc methods -----------------------------------------------
    def open_perf_buffer(self, cb, lost=None):
        """cb(cpu, data, size) for each event (cpu: the CPU it was written
        on; -1 for ring buffers); turn data into an object with event(data)."""
        self._cb = cb
        self._lost_cb = lost
        self._prog._p_open_events()

    def perf_buffer_poll(self, timeout=-1):
        """Wait up to timeout ms (-1: forever) and deliver what is ready;
        the original loops forever: so does timeout=-1 here."""
        if timeout is None or timeout < 0:
            # in slices, so close() from another thread ends the loop
            # before the object is freed under it
            while not self._prog._p_closing:
                self.poll(100)
            return 0
        return self.poll(timeout)

    def poll(self, timeout_ms=-1):
        """Wait up to timeout_ms for this map's events only and deliver
        them: threads polling different maps of one program each get their
        own map's events (CeventThread)."""
        prog = self._prog
        if prog._p_closing:
            return 0
        prog._p_open_events()
        prog._p_pollers += 1
        try:
            r = _lib.lib.coolbpf_map__poll(self._cmap, int(timeout_ms))
        finally:
            prog._p_pollers -= 1
        prog._p_report_loss(self)
        prog._p_raise_pending(self)
        if r == -errno.EINTR:
            return 0
        if r < 0:
            raise LccError("polling events of map '%s': %s" % (self.name, os.strerror(-r)), -r)
        return r

    def event(self, data, size=None):
        """Decode one event: the data of an open_perf_buffer callback (an
        address), or bytes."""
        if type(data).__name__ == "c_void_p":  # a ctypes pointer (ctypes not imported here)
            data = data.value
        if isinstance(data, (bytes, bytearray, memoryview)):
            raw = bytes(data)
            return self._prog._p_decoder.decode_event(self._cmap, raw, len(raw))
        if size is None:
            size = self._cur[1] if data == self._cur[0] else self.event_size
        return self._prog._p_decoder.decode_event(self._cmap, data, size)

    # -- modern API ---------------------------------------------------------------
    def events(self, timeout=None, count=None):
        return self._prog.events(self.name, timeout=timeout, count=count)


_TABLES = ("TableMap", "ArrayMap", "Histogram", "HistMap", "StackMap", "bare_frame")


def __getattr__(name):
    # the table kinds live in tables.py, loaded by the first that is asked for
    if name in _TABLES:
        from . import tables
        return getattr(tables, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def make_map(prog, cmap):
    kind = _lib.lib.coolbpf_map__kind(cmap)
    if kind in (_lib.MAP_PERF, _lib.MAP_RINGBUF):
        return EventMap(prog, cmap)
    if kind == _lib.MAP_INTERNAL:
        return None
    from .tables import ArrayMap, HistMap, StackMap, TableMap
    if kind in HistMap._KINDS:
        return HistMap(prog, cmap)
    if kind == _lib.MAP_STACK:
        return StackMap(prog, cmap)
    if _lib.bpf.bpf_map__type(_lib.lib.coolbpf_map__bpf(cmap)) == 2:
        return ArrayMap(prog, cmap)
    return TableMap(prog, cmap)
