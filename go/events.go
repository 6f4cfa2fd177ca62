package coolbpf

/*
#include <errno.h>
#include <stdlib.h>
#include "helpers.h"
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Event is one event of a ring buffer or perf event array, decoded by
// libcoolbpf from its BTF type: structs are objects, arrays arrays,
// char[] strings, enums their names.
type Event struct {
	Map  string // the event map it came from
	Raw  []byte // the bytes the program sent
	JSON []byte // the decoded event, e.g. {"pid": 12, "comm": "bash"}

	fields map[string]any
}

// Decode stores the event in v, as encoding/json does: struct fields
// match the C field names through their `json:"name"` tags (or, untagged,
// case-insensitively).
func (e *Event) Decode(v any) error {
	if err := json.Unmarshal(e.JSON, v); err != nil {
		return &Error{Op: OpDecode, Msg: fmt.Sprintf("an event of map '%s': %v", e.Map, err)}
	}
	return nil
}

// Fields is the event by field name (nil when it is not a struct).
// Integers are int64, or uint64 past the int64 range.
func (e *Event) Fields() map[string]any {
	if e.fields == nil {
		v, err := decodeJSON(e.JSON)
		if err != nil {
			return nil
		}
		e.fields, _ = v.(map[string]any)
	}
	return e.fields
}

// Get is one field (nil when absent).
func (e *Event) Get(field string) any { return e.Fields()[field] }

// Uint is an integer field as uint64 (false when absent, negative or not an integer).
func (e *Event) Uint(field string) (uint64, bool) { return asUint(e.Get(field)) }

// Int is an integer field as int64.
func (e *Event) Int(field string) (int64, bool) {
	switch v := e.Get(field).(type) {
	case int64:
		return v, true
	case uint64:
		return int64(v), v <= math.MaxInt64
	}
	return 0, false
}

// String is a string field ("" when absent).
func (e *Event) String(field string) string {
	s, _ := e.Get(field).(string)
	return s
}

func asUint(x any) (uint64, bool) {
	switch v := x.(type) {
	case int64:
		return uint64(v), v >= 0
	case uint64:
		return v, true
	}
	return 0, false
}

// decodeJSON is json.Unmarshal into any, with integers kept exact.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		s := string(x)
		if i, err := x.Int64(); err == nil {
			return i
		}
		if !strings.ContainsAny(s, ".eE") {
			var u uint64
			if _, err := fmt.Sscan(s, &u); err == nil {
				return u
			}
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

type evmap struct {
	raw    *C.struct_coolbpf_map
	name   string
	cb     func(*Event)
	queue  []*Event
	stream bool
}

type events struct {
	batch *C.struct_gocb_batch
	maps  map[uintptr]*evmap
	order []*evmap
	lost  func(mapName string, cpu int, count uint64)
}

func (ev *events) free() {
	C.gocb_batch_free(ev.batch)
	ev.batch = nil
}

// openEvents opens the buffers of every ring buffer and perf event array.
func (p *Program) openEvents(perfPages int, queueSize C.size_t) error {
	ev := &events{maps: map[uintptr]*evmap{}}
	for m := C.coolbpf_object__next_map(p.obj, nil); m != nil; m = C.coolbpf_object__next_map(p.obj, m) {
		k := C.coolbpf_map__kind(m)
		if k == C.COOLBPF_MAP_RINGBUF || k == C.COOLBPF_MAP_PERF {
			em := &evmap{raw: m, name: C.GoString(C.coolbpf_map__name(m))}
			ev.maps[uintptr(unsafe.Pointer(m))] = em
			ev.order = append(ev.order, em)
		}
	}
	if len(ev.order) == 0 {
		return nil
	}
	var e C.int
	msg := call(func() { ev.batch = C.gocb_open_events(p.obj, C.size_t(perfPages), queueSize, &e) })
	if ev.batch == nil {
		return newErr(OpEvents, msg, syscall.Errno(-e), "cannot open the event buffers")
	}
	p.ev = ev
	return nil
}

func (p *Program) evmap(name string) (*evmap, error) {
	var known []string
	if p.ev != nil {
		for _, m := range p.ev.order {
			if m.name == name {
				return m, nil
			}
			known = append(known, m.name)
		}
	}
	if len(known) == 0 {
		known = []string{"none"}
	}
	return nil, &Error{Op: OpInvalid, Msg: fmt.Sprintf("'%s' has no event map '%s' (event maps: %s)",
		p.name, name, strings.Join(known, ", ")), Errno: syscall.ENOENT}
}

// OnEvent calls f with each event of mapName, decoded, from Poll on (nil:
// back to keeping them for Events).
func (p *Program) OnEvent(mapName string, f func(*Event)) error {
	if err := p.lock(); err != nil {
		return err
	}
	defer p.mu.Unlock()
	m, err := p.evmap(mapName)
	if err != nil {
		return err
	}
	if m.stream {
		return invalid("map '%s' of '%s' is read by Events: no callback too", mapName, p.name)
	}
	m.cb = f
	return nil
}

// OnLost calls f when a perf buffer reports lost events (they are
// counted either way: LostEvents).
func (p *Program) OnLost(f func(mapName string, cpu int, count uint64)) {
	if p.lock() != nil {
		return
	}
	defer p.mu.Unlock()
	if p.ev != nil {
		p.ev.lost = f
	}
}

// Poll waits up to timeout (negative: until something comes) and
// delivers what is ready: to the OnEvent callbacks, else it is kept for
// Events. It returns how many events; 0 on timeout or when a signal
// interrupted the wait. Callbacks run in the calling goroutine, with the
// program unlocked (they may read maps).
func (p *Program) Poll(timeout time.Duration) (int, error) {
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	return p.poll(ms)
}

func (p *Program) poll(ms int) (int, error) {
	if err := p.lock(); err != nil {
		return 0, err
	}
	if p.ev == nil {
		p.mu.Unlock()
		return 0, &Error{Op: OpEvents, Msg: fmt.Sprintf("'%s' has no ring buffer or perf event array to poll", p.name),
			Errno: syscall.ENOENT}
	}
	var r C.int
	msg := call(func() { r = C.coolbpf_object__poll(p.obj, C.int(ms)) })
	b := p.ev.batch
	data := C.GoBytes(unsafe.Pointer(b.data), C.int(b.len))
	b.len = 0
	cerr := b.err
	b.err = 0
	// events without a callback are queued now, under the lock; the
	// callbacks run after it, so that they may call the program
	n, calls := p.ev.dispatch(data)
	p.mu.Unlock()
	for _, c := range calls {
		c()
	}
	if cerr != 0 {
		return n, newErr(OpEvents, "", syscall.Errno(-cerr), fmt.Sprintf("cannot decode an event of '%s'", p.name))
	}
	if r == -C.EINTR {
		return n, nil
	}
	if r < 0 {
		return n, newErr(OpEvents, msg, syscall.Errno(-r), fmt.Sprintf("polling the events of '%s'", p.name))
	}
	return n, nil
}

const recSize = int(unsafe.Sizeof(C.struct_gocb_rec{}))

func (ev *events) dispatch(data []byte) (int, []func()) {
	n := 0
	var calls []func()
	le := binary.LittleEndian
	if !littleEndian {
		panic("coolbpf: the Go binding reads its batches as little-endian")
	}
	for len(data) >= recSize {
		mp := uintptr(le.Uint64(data[0:]))
		kind := le.Uint32(data[8:])
		cpu := int(int32(le.Uint32(data[12:])))
		rawLen := le.Uint64(data[16:])
		jsonLen := le.Uint64(data[24:])
		data = data[recSize:]
		m := ev.maps[mp]
		if kind == 1 {
			if f := ev.lost; f != nil && m != nil {
				name := m.name
				calls = append(calls, func() { f(name, cpu, rawLen) })
			}
			continue
		}
		e := &Event{Raw: data[:rawLen:rawLen], JSON: data[rawLen : rawLen+jsonLen : rawLen+jsonLen]}
		data = data[rawLen+jsonLen:]
		if m == nil {
			continue
		}
		e.Map = m.name
		n++
		if f := m.cb; f != nil {
			calls = append(calls, func() { f(e) })
		} else {
			m.queue = append(m.queue, e)
		}
	}
	return n, calls
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Stream is the events of one map on a channel; see Program.Events.
type Stream struct {
	// C gets the events in order; it is closed when the context ends, the
	// program is closed, or polling fails (then Err says why).
	C   <-chan *Event
	err error
	p   *Program
	raw *C.struct_coolbpf_map
}

// Lost is the events of the stream's map the kernel could not take so
// far (Map.Lost).
func (s *Stream) Lost() uint64 { return s.p.mapCount(s.raw, false) }

// Dropped is the events of the stream's map taken from the kernel that
// the user-space queue (Options.QueueSize) had no room for, so far
// (Map.Dropped); 0 without a queue. Received + Lost + Dropped is what the
// program sent.
func (s *Stream) Dropped() uint64 { return s.p.mapCount(s.raw, true) }

// Err is why the stream ended (nil: its context ended or the program was
// closed). Read it after C is closed.
func (s *Stream) Err() error { return s.err }

// Events streams the decoded events of mapName on a channel until ctx
// ends: a goroutine polls the program (other calls on it interleave
// between its waits of at most 50 ms). Events that came before, kept for
// want of a callback, come first.
func (p *Program) Events(ctx context.Context, mapName string) (*Stream, error) {
	if err := p.lock(); err != nil {
		return nil, err
	}
	m, err := p.evmap(mapName)
	if err == nil && (m.cb != nil || m.stream) {
		err = invalid("map '%s' of '%s' has a callback or a stream already", mapName, p.name)
	}
	if err != nil {
		p.mu.Unlock()
		return nil, err
	}
	ch := make(chan *Event, 256)
	s := &Stream{C: ch, p: p, raw: m.raw}
	m.stream = true
	early := m.queue
	m.queue = nil
	m.cb = func(e *Event) {
		select {
		case ch <- e:
		case <-ctx.Done():
		}
	}
	p.mu.Unlock()
	go func() {
		defer close(ch)
		defer func() {
			if p.lock() == nil {
				m.cb, m.stream = nil, false
				p.mu.Unlock()
			}
		}()
		for _, e := range early {
			select {
			case ch <- e:
			case <-ctx.Done():
				return
			}
		}
		for ctx.Err() == nil {
			if _, err := p.poll(50); err != nil {
				if err != ErrClosed {
					s.err = err
				}
				return
			}
		}
	}()
	return s, nil
}

// Queued hands over the events of mapName that came with neither a
// callback nor a stream to take them (Poll keeps them).
func (p *Program) Queued(mapName string) ([]*Event, error) {
	if err := p.lock(); err != nil {
		return nil, err
	}
	defer p.mu.Unlock()
	m, err := p.evmap(mapName)
	if err != nil {
		return nil, err
	}
	q := m.queue
	m.queue = nil
	return q, nil
}

// EventsFD is a file descriptor that is readable when events are ready
// (for an event loop of the caller's; then Poll(0)).
func (p *Program) EventsFD() int {
	if p.lock() != nil {
		return -1
	}
	defer p.mu.Unlock()
	return int(C.coolbpf_object__events_fd(p.obj))
}

// LostEvents is the events lost so far over every event map: perf buffer
// overruns, and ring buffer records the program could not place.
func (p *Program) LostEvents() uint64 {
	if p.lock() != nil {
		return 0
	}
	defer p.mu.Unlock()
	return uint64(C.coolbpf_object__lost_events(p.obj))
}
