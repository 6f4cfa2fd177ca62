// Package coolbpf lets a Go program use eBPF tools of which only the
// kernel half is written: a .bpf.c against lbc.h is compiled (object cache
// first, or on a coolbpfd), loaded with the BTF that describes the
// kernel, and attached by its sections; its events and maps come back
// decoded by their BTF types, by field name. It is cgo over libcoolbpf,
// with nothing but the standard library on the Go side.
//
//	p, err := coolbpf.Open("execsnoop.bpf.c", nil)
//	if err != nil { ... }
//	defer p.Close()
//	s, _ := p.Events(ctx, "events")
//	for ev := range s.C {
//		var e struct { Pid uint32 `json:"pid"`; Comm string `json:"comm"` }
//		ev.Decode(&e)
//	}
//
// A Program may be used from several goroutines: calls on it are
// serialized.
package coolbpf

/*
#include <stdlib.h>
#include "helpers.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Op says which step failed.
type Op string

const (
	OpCompile Op = "compile"
	OpLoad    Op = "load"
	OpAttach  Op = "attach"
	OpMap     Op = "map"
	OpEvents  Op = "events"
	OpDecode  Op = "decode"
	OpInvalid Op = "invalid"
)

// Error is what went wrong, with libcoolbpf's own message (which names
// the input and the fix) and the errno; errors.Is(err, syscall.ENOENT)
// works on it.
type Error struct {
	Op    Op
	Msg   string
	Errno syscall.Errno
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// ErrClosed is returned by calls on a closed Program.
var ErrClosed = errors.New("coolbpf: program closed")

func newErr(op Op, libmsg string, errno syscall.Errno, what string) *Error {
	msg := libmsg
	if msg == "" {
		msg = what
		if errno != 0 {
			msg = what + ": " + errno.Error()
		}
	}
	return &Error{Op: op, Msg: msg, Errno: errno}
}

func invalid(format string, a ...any) *Error {
	return &Error{Op: OpInvalid, Msg: fmt.Sprintf(format, a...)}
}

// Options say how to open a program; the zero value (or nil) is the
// default: compile locally for the running kernel, fill what is not set
// from the environment (COOLBPF_SERVER, COOLBPF_CACHE_DIR,
// COOLBPF_BTF_DIR, ...) as `coolbpf run` does, attach every program.
type Options struct {
	// object name (default: from the file name, e.g. "execsnoop")
	Name string
	// compile: -D NAME or NAME=VALUE, -I DIR
	Defines     []string
	IncludeDirs []string
	// target kernel release (default: the running one)
	Kernel string
	// BTF file of the kernel (raw, .btf.gz or ELF), for the compile and the load
	BTF string
	// BTF archive root: <dir>/<arch>/<release>.btf.gz
	BTFDir string
	// compile on this coolbpfd (http://host:port), with this bearer token
	Server      string
	ServerToken string
	// object cache (default ~/.cache/coolbpf); NoCache: do not read it
	CacheDir string
	NoCache  bool
	// do not read the COOLBPF_* environment
	NoEnv bool
	// load only: attach later with Attach or AttachProgram
	NoAttach bool
	// programs that may be left out where the kernel cannot host them
	Optional []string
	// pages per CPU of perf buffers (a power of two; 0: 64)
	PerfPages int
	// bytes of each event map's queue in user space (0: the library's
	// COOLBPF_EVENTS_QUEUE_DEFAULT, 256 MiB, as coolbpf run; at least
	// 4096), touched only as it fills: a drain thread of libcoolbpf copies
	// records out of the kernel's buffers into it as they come, apart
	// from the goroutine that polls and decodes; what it has no room for
	// is counted (Map.Dropped, Stream.Dropped), apart from the kernel's
	// loss. NoQueue: none, events straight from the kernel's buffers at
	// each Poll
	QueueSize int
	NoQueue   bool
	// globals set before load, as `coolbpf run --set NAME=VALUE` does: a
	// const volatile one (.rodata) or a plain one (.data/.bss); integers
	// (decimal, 0x hex, negative, within the type's range), bools, enums by
	// enumerator name, strings for char arrays. A bad name or value is an
	// *Error of Op OpInvalid naming the variable, its type and the
	// settable ones
	Set map[string]string
}

// Program is a loaded BPF object: its programs, maps and event buffers.
// Close detaches and unloads everything it put in the kernel.
type Program struct {
	mu     sync.Mutex
	obj    *C.struct_coolbpf_object
	name   string
	ev     *events
	links  map[*Link]struct{}
	syms   map[int]*C.struct_coolbpf_syms
	closed bool
}

const (
	openFile = iota
	openSource
	openMem
)

// Open compiles a .c file (object cache first) or reads an object file
// (anything else), loads it and, unless opts.NoAttach, attaches every
// program by its section.
func Open(path string, opts *Options) (*Program, error) {
	return open(openFile, path, nil, opts)
}

// OpenSource is Open for kernel code in a string (name it with opts.Name).
func OpenSource(src string, opts *Options) (*Program, error) {
	return open(openSource, "", []byte(src), opts)
}

// OpenObject is Open for a compiled object in memory.
func OpenObject(obj []byte, opts *Options) (*Program, error) {
	return open(openMem, "", obj, opts)
}

func open(how int, path string, mem []byte, opts *Options) (*Program, error) {
	if opts == nil {
		opts = &Options{}
	}
	name := opts.Name
	if name == "" && path != "" {
		name = strings.SplitN(filepath.Base(path), ".", 2)[0]
	}
	if name == "" {
		name = "coolbpf"
	}
	var cs cstrs
	defer cs.free()
	c := (*C.struct_coolbpf_compile_opts)(C.calloc(1, C.sizeof_struct_coolbpf_compile_opts))
	o := (*C.struct_coolbpf_object_opts)(C.calloc(1, C.sizeof_struct_coolbpf_object_opts))
	defer C.free(unsafe.Pointer(c))
	defer C.free(unsafe.Pointer(o))
	c.kernel = cs.str(opts.Kernel)
	c.btf_path = cs.str(opts.BTF)
	c.defines = cs.list(opts.Defines)
	c.include_dirs = cs.list(opts.IncludeDirs)
	c.cache_dir = cs.str(opts.CacheDir)
	c.server = cs.str(opts.Server)
	c.server_token = cs.str(opts.ServerToken)
	c.no_cache = C.bool(opts.NoCache)
	c.btf_dir = cs.str(opts.BTFDir)
	o.name = cs.str(name)
	o.btf_path = c.btf_path
	o.btf_dir = c.btf_dir
	var cpath *C.char
	var cmem unsafe.Pointer
	if how == openFile {
		cpath = cs.str(path)
	} else if len(mem) > 0 {
		cmem = C.CBytes(mem)
		cs = append(cs, cmem)
	}
	fromEnv := C.int(1)
	if opts.NoEnv {
		fromEnv = 0
	}
	var obj *C.struct_coolbpf_object
	var err error
	msg := call(func() {
		obj, err = C.gocb_open(C.int(how), cpath, cmem, C.size_t(len(mem)), c, o, fromEnv)
	})
	if obj == nil {
		what := path
		if what == "" {
			what = name
		}
		op := OpLoad
		if how != openMem && strings.HasPrefix(msg, "cannot compile") {
			op = OpCompile
		}
		return nil, newErr(op, msg, errnoOf(err, 0), fmt.Sprintf("cannot open '%s'", what))
	}
	p := &Program{obj: obj, name: name, links: map[*Link]struct{}{}, syms: map[int]*C.struct_coolbpf_syms{}}
	runtime.SetFinalizer(p, (*Program).Close)
	for _, prog := range opts.Optional {
		cp := cs.str(prog)
		var r C.int
		msg := call(func() { r = C.coolbpf_object__set_optional(obj, cp, true) })
		if r < 0 {
			p.Close()
			return nil, newErr(OpLoad, msg, syscall.Errno(-r), fmt.Sprintf("'%s': no program '%s'", name, prog))
		}
	}
	for gname, value := range opts.Set {
		cn, cv := cs.str(gname), cs.str(value)
		var r C.int
		msg := call(func() { r = C.coolbpf_object__set_global(obj, cn, cv) })
		if r < 0 {
			p.Close()
			return nil, newErr(OpInvalid, msg, syscall.Errno(-r), fmt.Sprintf("cannot set %s = %s", gname, value))
		}
	}
	var r C.int
	msg = call(func() { r = C.coolbpf_object__load(obj) })
	if r < 0 {
		p.Close()
		return nil, newErr(OpLoad, msg, syscall.Errno(-r), fmt.Sprintf("cannot load '%s'", name))
	}
	// buffers open before the programs run: a perf event array drops what
	// is sent while no buffer reads it
	queue := C.size_t(C.COOLBPF_EVENTS_QUEUE_DEFAULT)
	if opts.NoQueue {
		queue = 0
	} else if opts.QueueSize != 0 {
		queue = C.size_t(opts.QueueSize)
	}
	if err := p.openEvents(opts.PerfPages, queue); err != nil {
		p.Close()
		return nil, err
	}
	if !opts.NoAttach {
		if _, err := p.Attach(); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// lock takes the program for a call; ErrClosed once it is closed.
func (p *Program) lock() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// Name is the object's name.
func (p *Program) Name() string { return p.name }

// BTFOrigin says which BTF served CO-RE: "kernel", "artifact", "explicit PATH", ...
func (p *Program) BTFOrigin() string {
	if p.lock() != nil {
		return ""
	}
	defer p.mu.Unlock()
	return C.GoString(C.coolbpf_object__btf_origin(p.obj))
}

// Close detaches, unloads and frees; later calls return ErrClosed. Safe
// to call twice.
func (p *Program) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	runtime.SetFinalizer(p, nil)
	// the object owns its links: they go with it
	for l := range p.links {
		l.raw = nil
	}
	p.links = nil
	for _, s := range p.syms {
		C.coolbpf_syms__free(s)
	}
	p.syms = nil
	C.coolbpf_object__close(p.obj)
	p.obj = nil
	if p.ev != nil {
		p.ev.free()
	}
	return nil
}

// AttachInfo is one row of the attach report: what attached where, or why not.
type AttachInfo struct {
	Prog    string // program (function) name
	Section string // its ELF section
	Kind    string // hook used: "tracepoint", "raw_tp", "kprobe", "uprobe", ...
	Target  string // where: "sched:sched_process_exec", "do_sys_openat2", ...
	Note    string // fallback taken, or why it failed
	Err     int    // 0 if attached, else -errno
}

// Attach attaches every loaded program by its section (all or nothing)
// and returns the attach report.
func (p *Program) Attach() ([]AttachInfo, error) {
	if err := p.lock(); err != nil {
		return nil, err
	}
	defer p.mu.Unlock()
	var r C.int
	msg := call(func() { r = C.coolbpf_object__attach(p.obj) })
	if r < 0 {
		return nil, newErr(OpAttach, msg, syscall.Errno(-r), fmt.Sprintf("cannot attach '%s'", p.name))
	}
	return p.reportLocked(), nil
}

// Detach detaches what Attach attached (maps stay readable; links of
// AttachProgram are not touched).
func (p *Program) Detach() {
	if p.lock() != nil {
		return
	}
	defer p.mu.Unlock()
	C.coolbpf_object__detach(p.obj)
}

// AttachReport is every attach so far: what attached where, and why not.
func (p *Program) AttachReport() []AttachInfo {
	if p.lock() != nil {
		return nil
	}
	defer p.mu.Unlock()
	return p.reportLocked()
}

func goStr(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

func (p *Program) reportLocked() []AttachInfo {
	n := int(C.coolbpf_object__attach_count(p.obj))
	out := make([]AttachInfo, 0, n)
	for i := 0; i < n; i++ {
		ai := C.coolbpf_object__attach_info(p.obj, C.size_t(i))
		if ai == nil {
			continue
		}
		out = append(out, AttachInfo{Prog: goStr(ai.prog), Section: goStr(ai.section), Kind: goStr(ai.kind),
			Target: goStr(ai.target), Note: goStr(ai.note), Err: int(ai.err)})
	}
	return out
}

// AttachKind says how AttachProgram attaches.
type AttachKind int

const (
	AttachAuto AttachKind = iota // as the program's section says
	AttachKprobe
	AttachKretprobe
	AttachUprobe
	AttachUretprobe
	AttachTracepoint
	AttachRawTracepoint
	AttachPerfEvent
)

// AttachOpts say where AttachProgram attaches; build them with the
// Attach* functions below (they set Pid and Cpu to -1: any).
type AttachOpts struct {
	Kind AttachKind
	// function (kprobe), binary or library name such as "libc.so.6"
	// (uprobe), "category:name" (tracepoint), name (raw tracepoint)
	Target string
	// uprobe: the function in Target
	Symbol string
	// offset into the function (or the file, for a uprobe without Symbol)
	Offset uint64
	// uprobe, perf event: the process (-1: every); perf event: the CPU (-1: every)
	Pid, Cpu int
	// perf event: PERF_TYPE_* and config, sampled at SampleFreq Hz or
	// every SamplePeriod events (default 99 Hz)
	PerfType     uint32
	PerfConfig   uint64
	SampleFreq   uint64
	SamplePeriod uint64
}

func Auto() AttachOpts { return AttachOpts{Kind: AttachAuto, Pid: -1, Cpu: -1} }
func Kprobe(fn string) AttachOpts {
	return AttachOpts{Kind: AttachKprobe, Target: fn, Pid: -1, Cpu: -1}
}
func Kretprobe(fn string) AttachOpts {
	return AttachOpts{Kind: AttachKretprobe, Target: fn, Pid: -1, Cpu: -1}
}
func Uprobe(binary, symbol string) AttachOpts {
	return AttachOpts{Kind: AttachUprobe, Target: binary, Symbol: symbol, Pid: -1, Cpu: -1}
}
func Uretprobe(binary, symbol string) AttachOpts {
	return AttachOpts{Kind: AttachUretprobe, Target: binary, Symbol: symbol, Pid: -1, Cpu: -1}
}
func Tracepoint(category, name string) AttachOpts {
	return AttachOpts{Kind: AttachTracepoint, Target: category + ":" + name, Pid: -1, Cpu: -1}
}
func RawTracepoint(name string) AttachOpts {
	return AttachOpts{Kind: AttachRawTracepoint, Target: name, Pid: -1, Cpu: -1}
}
func PerfEvent(perfType uint32, config uint64) AttachOpts {
	return AttachOpts{Kind: AttachPerfEvent, PerfType: perfType, PerfConfig: config, Pid: -1, Cpu: -1}
}

// Link is a program attached by AttachProgram: detached by Detach, and in
// any case when its Program is closed.
type Link struct {
	p   *Program
	raw *C.struct_coolbpf_link
}

// AttachProgram attaches one loaded program by hand.
func (p *Program) AttachProgram(prog string, a AttachOpts) (*Link, error) {
	if err := p.lock(); err != nil {
		return nil, err
	}
	defer p.mu.Unlock()
	var cs cstrs
	defer cs.free()
	o := (*C.struct_coolbpf_attach_opts)(C.calloc(1, C.sizeof_struct_coolbpf_attach_opts))
	defer C.free(unsafe.Pointer(o))
	o.kind = uint32(a.Kind)
	o.target = cs.str(a.Target)
	o.symbol = cs.str(a.Symbol)
	o.offset = C.__u64(a.Offset)
	o.pid = C.int(a.Pid)
	o.cpu = C.int(a.Cpu)
	o.perf_type = C.__u32(a.PerfType)
	o.perf_config = C.__u64(a.PerfConfig)
	o.sample_freq = C.__u64(a.SampleFreq)
	o.sample_period = C.__u64(a.SamplePeriod)
	cprog := cs.str(prog)
	var raw *C.struct_coolbpf_link
	var err error
	msg := call(func() { raw, err = C.gocb_attach(p.obj, cprog, o) })
	if raw == nil {
		return nil, newErr(OpAttach, msg, errnoOf(err, 0), fmt.Sprintf("cannot attach program '%s'", prog))
	}
	l := &Link{p: p, raw: raw}
	p.links[l] = struct{}{}
	return l, nil
}

// PerfCount is the number of perf events behind the link (one per CPU
// for a perf event on every CPU).
func (l *Link) PerfCount() int {
	if l.p.lock() != nil {
		return 0
	}
	defer l.p.mu.Unlock()
	if l.raw == nil {
		return 0
	}
	return int(C.coolbpf_link__perf_count(l.raw))
}

// Detach detaches the program (safe to call twice, and after Close).
func (l *Link) Detach() {
	if l.p.lock() != nil {
		return
	}
	defer l.p.mu.Unlock()
	if l.raw != nil {
		C.coolbpf_link__destroy(l.raw)
		l.raw = nil
		delete(l.p.links, l)
	}
}

// Hook is a kind of hook ProbeHook tells about.
type Hook int

const (
	HookKprobe Hook = iota
	HookFentry
	HookTpBtf
	HookUprobe
	HookPerfEvent
)

// ProbeHook says whether the running kernel can host a kind of hook, by
// trying it (never by version); an error when it cannot tell (not root).
func ProbeHook(h Hook) (bool, error) {
	r := C.coolbpf_probe_hook(uint32(h))
	if r < 0 {
		return false, syscall.Errno(-r)
	}
	return r == 1, nil
}

// MountFS mounts tracefs and bpffs where they are missing (root).
func MountFS() error {
	var r C.int
	msg := call(func() { r = C.coolbpf_mount_fs() })
	if r < 0 {
		return newErr(OpInvalid, msg, syscall.Errno(-r), "cannot mount tracefs/bpffs")
	}
	return nil
}
