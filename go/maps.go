package coolbpf

/*
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include "helpers.h"
*/
import "C"

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"unsafe"
)

// MapKind is what a map is for.
type MapKind int

const (
	MapPlain      MapKind = iota // hash, array, LRU, per-CPU...: a key/value table
	MapRingbuf                   // event output: ring buffer
	MapPerf                      // event output: perf event array
	MapHist2                     // LBC_HIST2
	MapHist10                    // LBC_HIST10
	MapHistLinear                // LBC_HIST_LINEAR
	MapStack                     // stack trace map
	MapInternal                  // .data, .rodata, .bss, .kconfig
)

// Map is a map of a loaded Program. Keys and values are given as
// integers (stored in the map's size, host byte order, when they fit),
// []byte of exactly the size, or fixed-size structs and arrays
// (encoding/binary layout: mind C's padding).
type Map struct {
	p    *Program
	raw  *C.struct_coolbpf_map
	name string
	// read once (under the program's lock): the accessors below stay
	// valid after Close, and only what needs the kernel takes the lock
	kind                   MapKind
	fd, keySize, valueSize int
	percpu                 bool
	maxEntries, mapType    int
	keyType, valueType     uint32
	step                   uint64
}

func newMap(p *Program, raw *C.struct_coolbpf_map) *Map {
	b := C.coolbpf_map__bpf(raw)
	return &Map{p: p, raw: raw, name: C.GoString(C.coolbpf_map__name(raw)),
		kind: MapKind(C.coolbpf_map__kind(raw)), fd: int(C.coolbpf_map__fd(raw)),
		keySize: int(C.coolbpf_map__key_size(raw)), valueSize: int(C.coolbpf_map__value_size(raw)),
		percpu: bool(C.coolbpf_map__percpu(raw)), maxEntries: int(C.bpf_map__max_entries(b)),
		mapType: int(C.bpf_map__type(b)), keyType: uint32(C.coolbpf_map__key_type_id(raw)),
		valueType: uint32(C.coolbpf_map__value_type_id(raw)), step: uint64(C.coolbpf_map__hist_step(raw))}
}

// Map is the map called name (an error lists the maps there are).
func (p *Program) Map(name string) (*Map, error) {
	if err := p.lock(); err != nil {
		return nil, err
	}
	defer p.mu.Unlock()
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	raw := C.coolbpf_object__map(p.obj, cn)
	if raw == nil {
		var known []string
		for _, m := range p.mapsLocked() {
			known = append(known, m.name)
		}
		return nil, &Error{Op: OpMap, Msg: fmt.Sprintf("'%s' has no map '%s' (maps: %s)", p.name, name,
			strings.Join(known, ", ")), Errno: syscall.ENOENT}
	}
	return newMap(p, raw), nil
}

// Maps is every map, in the object's order (internal ones included).
func (p *Program) Maps() []*Map {
	if p.lock() != nil {
		return nil
	}
	defer p.mu.Unlock()
	return p.mapsLocked()
}

func (p *Program) mapsLocked() []*Map {
	var out []*Map
	for m := C.coolbpf_object__next_map(p.obj, nil); m != nil; m = C.coolbpf_object__next_map(p.obj, m) {
		out = append(out, newMap(p, m))
	}
	return out
}

func (m *Map) Name() string    { return m.name }
func (m *Map) Kind() MapKind   { return m.kind }
func (m *Map) Fd() int         { return m.fd }
func (m *Map) KeySize() int    { return m.keySize }
func (m *Map) ValueSize() int  { return m.valueSize }
func (m *Map) PerCPU() bool    { return m.percpu }
func (m *Map) MaxEntries() int { return m.maxEntries }

// MapType is the kernel's BPF_MAP_TYPE_* number.
func (m *Map) MapType() int { return m.mapType }

// Lost is the events of an event map the kernel could not take so far:
// every failed bpf_ringbuf_reserve/_output and bpf_perf_event_output of a
// program built with lbc.h, perf's lost-record reports.
func (m *Map) Lost() uint64 { return m.p.mapCount(m.raw, false) }

// Dropped is the events of an event map taken from the kernel that the
// user-space queue (Options.QueueSize) had no room for so far: the
// consumer did not keep up. 0 without a queue.
func (m *Map) Dropped() uint64 { return m.p.mapCount(m.raw, true) }

// mapCount is coolbpf_map__dropped (dropped) or coolbpf_map__lost of raw,
// 0 once the program is closed.
func (p *Program) mapCount(raw *C.struct_coolbpf_map, dropped bool) uint64 {
	if p.lock() != nil {
		return 0
	}
	defer p.mu.Unlock()
	if dropped {
		return uint64(C.coolbpf_map__dropped(raw))
	}
	return uint64(C.coolbpf_map__lost(raw))
}

func (m *Map) ncpu() int {
	if !m.PerCPU() {
		return 1
	}
	if n := int(C.libbpf_num_possible_cpus()); n > 0 {
		return n
	}
	return 1
}
func (m *Map) stride() int {
	if m.PerCPU() {
		return (m.ValueSize() + 7) &^ 7
	}
	return m.ValueSize()
}

// toBytes lays x out in size bytes (see Map).
func toBytes(x any, size int, what, mapName string) ([]byte, error) {
	bad := func() error {
		return invalid("map '%s': a %s is %d bytes: give an integer that fits, %d bytes, or a fixed-size "+
			"struct of that size (got %T)", mapName, what, size, size, x)
	}
	var v uint64
	var signed bool
	switch n := x.(type) {
	case []byte:
		if len(n) != size {
			return nil, bad()
		}
		return n, nil
	case int:
		v, signed = uint64(n), n < 0
	case int8:
		v, signed = uint64(n), n < 0
	case int16:
		v, signed = uint64(n), n < 0
	case int32:
		v, signed = uint64(n), n < 0
	case int64:
		v, signed = uint64(n), n < 0
	case uint:
		v = uint64(n)
	case uint8:
		v = uint64(n)
	case uint16:
		v = uint64(n)
	case uint32:
		v = uint64(n)
	case uint64:
		v = n
	case uintptr:
		v = uint64(n)
	default:
		if binary.Size(x) != size {
			return nil, bad()
		}
		var b bytes.Buffer
		if err := binary.Write(&b, binary.LittleEndian, x); err != nil {
			return nil, bad()
		}
		return b.Bytes(), nil
	}
	if size < 1 || size > 8 {
		return nil, bad()
	}
	if size < 8 {
		// the value must fit: what is cut off is all zeros (or all ones
		// for a negative number that fits)
		hi := v >> (8*uint(size) - 1)
		if !(hi == 0 || (signed && hi == (1<<(65-8*uint(size)))-1)) {
			return nil, bad()
		}
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	return b[:size], nil
}

func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// GetRaw is the value's bytes (every CPU's, each padded to 8 bytes, for a
// per-CPU map); false when the key is absent.
func (m *Map) GetRaw(key any) ([]byte, bool, error) {
	k, err := toBytes(key, m.KeySize(), "key", m.name)
	if err != nil {
		return nil, false, err
	}
	if err := m.p.lock(); err != nil {
		return nil, false, err
	}
	defer m.p.mu.Unlock()
	return m.getLocked(k)
}

func (m *Map) getLocked(k []byte) ([]byte, bool, error) {
	v := make([]byte, m.stride()*m.ncpu())
	r := C.coolbpf_map__lookup(m.raw, bytesPtr(k), bytesPtr(v))
	switch {
	case r == 0:
		return v, true, nil
	case r == -C.ENOENT:
		return nil, false, nil
	}
	return nil, false, m.err("lookup", r)
}

func (m *Map) err(op string, r C.int) error {
	e := syscall.Errno(-r)
	return &Error{Op: OpMap, Msg: fmt.Sprintf("map '%s': %s: %v", m.name, op, e), Errno: e}
}

// Get is the value, decoded by its BTF type (a per-CPU map: one value per
// CPU, in a []any); false when the key is absent.
func (m *Map) Get(key any) (any, bool, error) {
	raw, ok, err := m.GetRaw(key)
	if err != nil || !ok {
		return nil, ok, err
	}
	v, err := m.decodeValue(raw)
	return v, err == nil, err
}

// GetInto decodes the value into v (as encoding/json does, by `json` tags).
func (m *Map) GetInto(key, v any) (bool, error) {
	raw, ok, err := m.GetRaw(key)
	if err != nil || !ok {
		return ok, err
	}
	js, err := m.valueJSON(raw)
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(js, v); err != nil {
		return false, &Error{Op: OpDecode, Msg: fmt.Sprintf("a value of map '%s': %v", m.name, err)}
	}
	return true, nil
}

// Update sets key to value (flags: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2);
// a per-CPU map gets the value on every CPU.
func (m *Map) Update(key, value any, flags uint64) error {
	k, err := toBytes(key, m.KeySize(), "key", m.name)
	if err != nil {
		return err
	}
	one, err := toBytes(value, m.ValueSize(), "value", m.name)
	if err != nil {
		return err
	}
	v := make([]byte, m.stride()*m.ncpu())
	for off := 0; off < len(v); off += m.stride() {
		copy(v[off:], one)
	}
	if err := m.p.lock(); err != nil {
		return err
	}
	defer m.p.mu.Unlock()
	if r := C.coolbpf_map__update(m.raw, bytesPtr(k), bytesPtr(v), C.__u64(flags)); r < 0 {
		return m.err("update", r)
	}
	return nil
}

// Delete removes key; false when it was not there. (Array entries
// cannot be removed: Clear zeroes them.)
func (m *Map) Delete(key any) (bool, error) {
	k, err := toBytes(key, m.KeySize(), "key", m.name)
	if err != nil {
		return false, err
	}
	if err := m.p.lock(); err != nil {
		return false, err
	}
	defer m.p.mu.Unlock()
	r := C.coolbpf_map__delete(m.raw, bytesPtr(k))
	switch {
	case r == 0:
		return true, nil
	case r == -C.ENOENT:
		return false, nil
	}
	return false, m.err("delete", r)
}

// Keys is every key's bytes.
func (m *Map) Keys() ([][]byte, error) {
	if err := m.p.lock(); err != nil {
		return nil, err
	}
	defer m.p.mu.Unlock()
	var keys [][]byte
	var prev []byte
	limit := 4*m.MaxEntries() + 1024
	for {
		next := make([]byte, m.KeySize())
		r := C.coolbpf_map__next_key(m.raw, bytesPtr(prev), bytesPtr(next))
		if r == -C.ENOENT {
			return keys, nil
		}
		if r < 0 {
			return nil, m.err("next key", r)
		}
		// a key deleted under the iteration restarts it from the first
		if len(keys) >= limit {
			return nil, &Error{Op: OpMap, Errno: syscall.EAGAIN,
				Msg: fmt.Sprintf("map '%s': key iteration does not end: the map changes faster than it is read", m.name)}
		}
		keys = append(keys, next)
		prev = next
	}
}

// Entry is one entry of a map: key and value decoded, and the key's
// bytes (to give back to Get or Delete).
type Entry struct {
	Key    any
	Value  any
	RawKey []byte
}

// Entries is every entry, decoded (entries deleted meanwhile are skipped).
func (m *Map) Entries() ([]Entry, error) {
	keys, err := m.Keys()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		raw, ok, err := m.GetRaw(k)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		kv, err := m.decode(m.keyType, k)
		if err != nil {
			return nil, err
		}
		vv, err := m.decodeValue(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Key: kv, Value: vv, RawKey: k})
	}
	return out, nil
}

// Clear removes every entry (array entries are zeroed) and says how many
// there were.
func (m *Map) Clear() (int, error) {
	keys, err := m.Keys()
	if err != nil {
		return 0, err
	}
	array := m.MapType() == C.BPF_MAP_TYPE_ARRAY || m.MapType() == C.BPF_MAP_TYPE_PERCPU_ARRAY
	zero := make([]byte, m.ValueSize())
	for _, k := range keys {
		if array {
			err = m.Update(k, zero, 0)
		} else {
			_, err = m.Delete(k)
		}
		if err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// valueJSON is the value as JSON (per-CPU: an array of each CPU's).
func (m *Map) valueJSON(raw []byte) ([]byte, error) {
	tid := m.valueType
	if m.Kind() == MapStack {
		return json.Marshal(stackAddrs(raw))
	}
	if !m.PerCPU() {
		return m.decodeJSON(tid, raw[:m.ValueSize()])
	}
	out := []byte{'['}
	for off := 0; off+m.ValueSize() <= len(raw); off += m.stride() {
		js, err := m.decodeJSON(tid, raw[off:off+m.ValueSize()])
		if err != nil {
			return nil, err
		}
		if off > 0 {
			out = append(out, ',')
		}
		out = append(out, js...)
	}
	return append(out, ']'), nil
}

func (m *Map) decodeValue(raw []byte) (any, error) {
	js, err := m.valueJSON(raw)
	if err != nil {
		return nil, err
	}
	return m.parse(js)
}

func (m *Map) decode(typeID uint32, data []byte) (any, error) {
	js, err := m.decodeJSON(typeID, data)
	if err != nil {
		return nil, err
	}
	return m.parse(js)
}

func (m *Map) parse(js []byte) (any, error) {
	v, err := decodeJSON(js)
	if err != nil {
		return nil, &Error{Op: OpDecode, Msg: fmt.Sprintf("map '%s': %v", m.name, err)}
	}
	return v, nil
}

// decodeJSON is data of BTF type typeID as libcoolbpf's JSON; without a
// type, an integer of 1, 2, 4 or 8 bytes, else an array of the bytes.
func (m *Map) decodeJSON(typeID uint32, data []byte) ([]byte, error) {
	if typeID == 0 {
		switch len(data) {
		case 1, 2, 4, 8:
			b := make([]byte, 8)
			copy(b, data)
			return []byte(fmt.Sprint(binary.LittleEndian.Uint64(b))), nil
		}
		ints := make([]int, len(data))
		for i, c := range data {
			ints[i] = int(c)
		}
		return json.Marshal(ints)
	}
	if err := m.p.lock(); err != nil {
		return nil, err
	}
	defer m.p.mu.Unlock()
	btf := C.coolbpf_object__btf(m.p.obj)
	buf := make([]byte, 256)
	for {
		n := C.coolbpf_decode(btf, C.__u32(typeID), bytesPtr(data), C.size_t(len(data)), C.COOLBPF_FMT_JSON,
			(*C.char)(bytesPtr(buf)), C.size_t(len(buf)))
		if n < 0 {
			return nil, m.err("decode", n)
		}
		if int(n) < len(buf) {
			return buf[:n], nil
		}
		buf = make([]byte, int(n)+1)
	}
}

func stackAddrs(raw []byte) []uint64 {
	var out []uint64
	for off := 0; off+8 <= len(raw); off += 8 {
		if a := binary.LittleEndian.Uint64(raw[off:]); a != 0 {
			out = append(out, a)
		}
	}
	return out
}

// HistKind is the scale of a histogram.
type HistKind int

const (
	HistLog2   HistKind = iota // bucket k counts [2^k, 2^(k+1))
	HistLog10                  // bucket k counts [10^k, 10^(k+1))
	HistLinear                 // bucket k counts [k*Step, (k+1)*Step)
)

// Histogram is what a histogram map holds.
type Histogram struct {
	Name   string
	Kind   HistKind
	Step   uint64   // bucket width of a linear histogram
	Counts []uint64 // every slot's count
}

// Bucket is one bucket of a histogram: values in [Low, High].
type Bucket struct {
	Low   uint64 `json:"low"`
	High  uint64 `json:"high"`
	Count uint64 `json:"count"`
}

// Hist reads a histogram map (LBC_HIST2, LBC_HIST10, LBC_HIST_LINEAR).
func (m *Map) Hist() (*Histogram, error) {
	var kind HistKind
	switch m.Kind() {
	case MapHist2:
		kind = HistLog2
	case MapHist10:
		kind = HistLog10
	case MapHistLinear:
		kind = HistLinear
	default:
		return nil, invalid("map '%s' is not a histogram", m.name)
	}
	h := &Histogram{Name: m.name, Kind: kind, Step: m.step}
	for slot := 0; slot < m.MaxEntries(); slot++ {
		raw, _, err := m.GetRaw(uint32(slot))
		if err != nil {
			return nil, err
		}
		var c uint64
		for off := 0; off+8 <= len(raw); off += m.stride() {
			c += binary.LittleEndian.Uint64(raw[off:])
		}
		h.Counts = append(h.Counts, c)
	}
	return h, nil
}

// Total is the sum of the counts.
func (h *Histogram) Total() uint64 {
	var t uint64
	for _, c := range h.Counts {
		t += c
	}
	return t
}

func (h *Histogram) format(fmtc uint32, valType string) (string, error) {
	name := C.CString(h.Name)
	vt := C.CString(valType)
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(vt))
	if len(h.Counts) == 0 {
		return "", invalid("histogram '%s' has no slots", h.Name)
	}
	slots := (*C.__u64)(C.malloc(C.size_t(8 * len(h.Counts))))
	defer C.free(unsafe.Pointer(slots))
	copy(unsafe.Slice((*uint64)(unsafe.Pointer(slots)), len(h.Counts)), h.Counts)
	n := C.coolbpf_hist_format(nil, 0, name, slots, C.uint(len(h.Counts)), uint32(h.Kind), C.__u64(h.Step), vt, fmtc)
	if n < 0 {
		return "", &Error{Op: OpInvalid, Msg: fmt.Sprintf("histogram '%s': %v", h.Name, syscall.Errno(-n)), Errno: syscall.Errno(-n)}
	}
	buf := make([]byte, int(n)+1)
	C.coolbpf_hist_format((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), name, slots, C.uint(len(h.Counts)),
		uint32(h.Kind), C.__u64(h.Step), vt, fmtc)
	return string(buf[:n]), nil
}

// Text draws the histogram as BCC's print_log2_hist does, valType heading
// the first column.
func (h *Histogram) Text(valType string) (string, error) {
	return h.format(C.COOLBPF_FMT_TEXT, valType)
}

// Buckets are the buckets from the first to the last non-empty one.
func (h *Histogram) Buckets() ([]Bucket, error) {
	js, err := h.format(C.COOLBPF_FMT_JSON, "value")
	if err != nil {
		return nil, err
	}
	var v struct {
		Hist []Bucket `json:"hist"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		return nil, &Error{Op: OpDecode, Msg: fmt.Sprintf("histogram '%s': %v", h.Name, err)}
	}
	return v.Hist, nil
}

// StackAddrs is a stack map's addresses for stackID, innermost first;
// false when the id is not there (or negative: bpf_get_stackid failed).
func (m *Map) StackAddrs(stackID int64) ([]uint64, bool, error) {
	if m.Kind() != MapStack {
		return nil, false, invalid("map '%s' is not a stack map", m.name)
	}
	if stackID < 0 || stackID > 0xffffffff {
		return nil, false, nil
	}
	raw, ok, err := m.GetRaw(uint32(stackID))
	if err != nil || !ok {
		return nil, ok, err
	}
	return stackAddrs(raw), true, nil
}

// Stack is the stack stackID symbolized, ["__schedule+0x2b1", ...]; for
// pid > 0, user-space frames through that process's symbols.
func (m *Map) Stack(stackID int64, pid int) ([]string, error) {
	addrs, _, err := m.StackAddrs(stackID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		s, err := m.p.Resolve(pid, a)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Resolve is addr as "name+0xoff" (kernel; for pid > 0 also that
// process's ELF symbols), "[unknown]" when not found.
func (p *Program) Resolve(pid int, addr uint64) (string, error) {
	if err := p.lock(); err != nil {
		return "", err
	}
	defer p.mu.Unlock()
	s := p.syms[pid]
	if s == nil {
		var e error
		msg := call(func() { s, e = C.coolbpf_syms__new(C.int(pid)) })
		if s == nil {
			return "", newErr(OpInvalid, msg, errnoOf(e, 0), fmt.Sprintf("cannot read the symbols of pid %d", pid))
		}
		p.syms[pid] = s
	}
	buf := make([]byte, 512)
	r := C.coolbpf_syms__resolve(s, C.__u64(addr), (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	if r < 0 && r != -C.ENOENT {
		what := syscall.Errno(-r).Error()
		switch -r {
		case C.EPERM:
			what = "kallsyms hides kernel addresses (run as root)"
		case C.ESRCH:
			what = fmt.Sprintf("process %d is gone", pid)
		}
		return "", &Error{Op: OpInvalid, Msg: fmt.Sprintf("cannot resolve %#x: %s", addr, what), Errno: syscall.Errno(-r)}
	}
	return C.GoString((*C.char)(unsafe.Pointer(&buf[0]))), nil
}

// Format is the whole map as `coolbpf run` prints it on exit (histograms
// drawn, stacks symbolized, tables as key/value lines; JSON: one object
// per line).
func (m *Map) Format(asJSON bool) (string, error) {
	if err := m.p.lock(); err != nil {
		return "", err
	}
	defer m.p.mu.Unlock()
	f := C.int(C.COOLBPF_FMT_TEXT)
	if asJSON {
		f = C.COOLBPF_FMT_JSON
	}
	var out *C.char
	var n C.size_t
	r := C.gocb_map_format(m.raw, f, &out, &n)
	s := ""
	if out != nil {
		s = C.GoStringN(out, C.int(n))
		C.free(unsafe.Pointer(out))
	}
	if r < 0 {
		return "", m.err("format", r)
	}
	return s, nil
}
