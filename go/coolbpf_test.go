// The package on the running kernel (root): real programs of
// tests/bindings/ loaded, triggered by this test's own calls, and what
// they counted read back. Each program counts only the thread whose id the
// test writes into its target_tid map (the test locks itself to it).
package coolbpf_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"coolbpf"
)

var progs = filepath.Join("..", "tests", "bindings")

const n = 5

func comm(t *testing.T) string {
	b, err := os.ReadFile("/proc/thread-self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func getppidN(k int) {
	for i := 0; i < k; i++ {
		syscall.Getppid()
	}
}

// must(f())(t): f's value, or the test stops on its error.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// target makes p count this thread (locked to the test from here on).
func target(t *testing.T, p *coolbpf.Program) *coolbpf.Program {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(func() { p.Close(); runtime.UnlockOSThread() })
	m := must(p.Map("target_tid"))(t)
	if err := m.Update(uint32(0), uint32(syscall.Gettid()), 0); err != nil {
		t.Fatal(err)
	}
	return p
}

func mapsProg(t *testing.T, opts *coolbpf.Options) *coolbpf.Program {
	t.Helper()
	return target(t, must(coolbpf.Open(filepath.Join(progs, "maps.bpf.c"), opts))(t))
}

type ev struct {
	Tid        uint32 `json:"tid"`
	Seq        uint32 `json:"seq"`
	SeqSquared uint64 `json:"seq_squared"`
	Comm       string `json:"comm"`
}

func TestStreamDecodesEveryField(t *testing.T) {
	p := mapsProg(t, nil)
	getppidN(n)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := must(p.Events(ctx, "events"))(t)
	tid := uint64(syscall.Gettid())
	for i := 1; i <= n; i++ {
		e, ok := <-s.C
		if !ok {
			t.Fatalf("stream ended after %d events: %v", i-1, s.Err())
		}
		seq := uint64(i)
		if e.Map != "events" {
			t.Errorf("map %q", e.Map)
		}
		if v, _ := e.Uint("tid"); v != tid {
			t.Errorf("tid %d, want %d", v, tid)
		}
		if v, _ := e.Uint("seq"); v != seq {
			t.Errorf("seq %d, want %d", v, seq)
		}
		if v, _ := e.Int("seq_squared"); v != int64(seq*seq) {
			t.Errorf("seq_squared %d", v)
		}
		if e.String("comm") != comm(t) {
			t.Errorf("comm %q, want %q", e.String("comm"), comm(t))
		}
		if e.Get("nope") != nil || len(e.Raw) != 32 {
			t.Errorf("fields %v, raw %d bytes", e.Fields(), len(e.Raw))
		}
		var typed ev
		if err := e.Decode(&typed); err != nil {
			t.Fatal(err)
		}
		if typed != (ev{uint32(tid), uint32(seq), seq * seq, comm(t)}) {
			t.Errorf("decoded %+v", typed)
		}
	}
	// nothing more than what this thread caused
	select {
	case e, ok := <-s.C:
		if ok {
			t.Errorf("an event too many: %s", e.JSON)
		}
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	for range s.C {
	}
	if s.Err() != nil {
		t.Error(s.Err())
	}
}

func TestCallbacksAndPoll(t *testing.T) {
	p := mapsProg(t, nil)
	var perf, ring []uint64
	noErr(t, p.OnEvent("pevents", func(e *coolbpf.Event) {
		v, _ := e.Uint("seq")
		perf = append(perf, v)
	}))
	noErr(t, p.OnEvent("events", func(e *coolbpf.Event) {
		var x ev
		if err := e.Decode(&x); err != nil {
			t.Error(err)
		}
		ring = append(ring, uint64(x.Seq))
	}))
	if _, err := p.Events(context.Background(), "events"); err == nil {
		t.Error("a stream on a map with a callback")
	}
	getppidN(n)
	for end := time.Now().Add(10 * time.Second); (len(perf) < n || len(ring) < n) && time.Now().Before(end); {
		must(p.Poll(100 * time.Millisecond))(t)
	}
	want := fmt.Sprint([]uint64{1, 2, 3, 4, 5})
	if fmt.Sprint(perf) != want || fmt.Sprint(ring) != want {
		t.Errorf("perf %v ring %v", perf, ring)
	}
	// the third event map had no taker: its events were kept
	small := must(p.Queued("small"))(t)
	if len(small) != n || p.LostEvents() != 0 {
		t.Errorf("small: %d kept, %d lost", len(small), p.LostEvents())
	}
}

func TestLostEventsAreCounted(t *testing.T) {
	// no queue: nobody reads the one-page ring buffer meanwhile
	p := mapsProg(t, &coolbpf.Options{NoQueue: true})
	getppidN(500)
	small := must(p.Map("small"))(t)
	lost := small.Lost()
	if small.Kind() != coolbpf.MapRingbuf || lost < 300 || lost >= 500 {
		t.Fatalf("kind %v, lost %d", small.Kind(), lost)
	}
	if p.LostEvents() < lost {
		t.Errorf("object lost %d < map lost %d", p.LostEvents(), lost)
	}
	for i := 0; i < 5; i++ {
		must(p.Poll(50 * time.Millisecond))(t)
	}
	kept := len(must(p.Queued("small"))(t))
	if uint64(kept)+lost != 500 {
		t.Errorf("kept %d + lost %d != 500", kept, lost)
	}
	if small.Dropped() != 0 {
		t.Errorf("no queue, yet %d dropped", small.Dropped())
	}
}

// A 4 KiB queue behind a 256 KiB ring buffer that holds all 500 events:
// the drain thread takes them all from the kernel, the queue keeps what
// fits, the rest is dropped (counted apart from the kernel's loss, none).
func TestQueueDropsAreCountedApartFromLost(t *testing.T) {
	p := mapsProg(t, &coolbpf.Options{QueueSize: 4096})
	getppidN(500)
	time.Sleep(200 * time.Millisecond) // the drain thread's turn
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	s := must(p.Events(ctx, "events"))(t)
	var seqs []uint64
	for e := range s.C {
		v, _ := e.Uint("seq")
		seqs = append(seqs, v)
	}
	lost, dropped := s.Lost(), s.Dropped()
	if lost != 0 || dropped == 0 || len(seqs) >= 200 || uint64(len(seqs))+dropped != 500 {
		t.Fatalf("kept %d, lost %d, dropped %d: want kept + dropped == 500, some dropped",
			len(seqs), lost, dropped)
	}
	if m := must(p.Map("events"))(t); m.Dropped() != dropped || m.Lost() != lost {
		t.Errorf("map: lost %d dropped %d, stream: %d %d", m.Lost(), m.Dropped(), lost, dropped)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("out of order or twice: %v", seqs)
		}
	}
}

func TestMaps(t *testing.T) {
	p := mapsProg(t, nil)
	getppidN(n)
	tid := uint32(syscall.Gettid())

	byTid := must(p.Map("by_tid"))(t)
	if byTid.Kind() != coolbpf.MapPlain || byTid.KeySize() != 4 || byTid.ValueSize() != 8 {
		t.Fatalf("by_tid: kind %v key %d value %d", byTid.Kind(), byTid.KeySize(), byTid.ValueSize())
	}
	if v, ok, err := byTid.Get(tid); err != nil || !ok || v != int64(n) {
		t.Errorf("by_tid[%d] = %v %v %v", tid, v, ok, err)
	}
	var u uint64
	if ok, err := byTid.GetInto(tid, &u); err != nil || !ok || u != n {
		t.Errorf("GetInto %v %v %d", ok, err, u)
	}
	if _, ok, _ := byTid.Get(tid + 1); ok {
		t.Error("a key that is not there")
	}
	if _, _, err := byTid.Get(uint64(1) << 40); err == nil || !strings.Contains(err.Error(), "4 bytes") {
		t.Errorf("an oversized key: %v", err)
	}
	noErr(t, byTid.Update(tid+1, uint64(7), 0))
	if v, _, _ := byTid.Get(tid + 1); v != int64(7) {
		t.Errorf("updated: %v", v)
	}
	if ok, _ := byTid.Delete(tid + 1); !ok {
		t.Error("delete: not there")
	}
	if ok, _ := byTid.Delete(tid + 1); ok {
		t.Error("deleted twice")
	}

	// struct keys and values, decoded by their BTF types
	byKey := must(p.Map("by_key"))(t)
	ents := must(byKey.Entries())(t)
	if len(ents) != 1 {
		t.Fatalf("by_key: %d entries", len(ents))
	}
	k, v := ents[0].Key.(map[string]any), ents[0].Value.(map[string]any)
	if k["tid"] != int64(tid) || k["comm"] != comm(t) || v["calls"] != int64(n) || v["last_seq"] != int64(n) {
		t.Errorf("by_key: %v = %v", k, v)
	}
	var key struct {
		Tid  uint32
		Comm [16]byte
	}
	key.Tid = tid
	copy(key.Comm[:], comm(t))
	if vv, ok, err := byKey.Get(key); err != nil || !ok || vv.(map[string]any)["calls"] != int64(n) {
		t.Errorf("by_key[struct]: %v %v %v", vv, ok, err)
	}

	// an array: entries cannot be deleted, Clear zeroes them
	arr := must(p.Map("arr"))(t)
	var got []any
	for i := uint32(0); i < 4; i++ {
		x, _, _ := arr.Get(i)
		got = append(got, x)
	}
	if fmt.Sprint(got) != fmt.Sprint([]any{int64(0), int64(2 * n), int64(0), int64(n)}) {
		t.Errorf("arr: %v", got)
	}
	if c, err := arr.Clear(); c != 4 || err != nil {
		t.Errorf("clear: %d %v", c, err)
	}
	if x, _, _ := arr.Get(uint32(1)); x != int64(0) {
		t.Errorf("cleared: %v", x)
	}

	// per-CPU: one value per possible CPU, summing to the calls
	pch := must(p.Map("pch"))(t)
	pc, _, err := pch.Get(tid)
	if err != nil || !pch.PerCPU() {
		t.Fatal(err)
	}
	var sum int64
	for _, c := range pc.([]any) {
		sum += c.(int64)
	}
	if sum != n {
		t.Errorf("per-CPU %v", pc)
	}

	js := must(byTid.Format(true))(t)
	if !strings.Contains(js, fmt.Sprintf(`"key": %d`, tid)) {
		t.Errorf("format: %s", js)
	}
	if c, _ := byTid.Clear(); c != 1 {
		t.Errorf("cleared %d", c)
	}
	if keys := must(byTid.Keys())(t); len(keys) != 0 {
		t.Errorf("keys after clear: %d", len(keys))
	}
	if _, err := p.Map("nope"); err == nil || !strings.Contains(err.Error(), "by_tid") {
		t.Errorf("no such map: %v", err)
	}
}

func TestHistogramsAndStacks(t *testing.T) {
	p := mapsProg(t, nil)
	getppidN(n) // seq 1..5
	h := must(must(p.Map("h2"))(t).Hist())(t)
	if h.Kind != coolbpf.HistLog2 || h.Total() != n {
		t.Errorf("h2: %v total %d", h.Kind, h.Total())
	}
	b := must(h.Buckets())(t)
	if fmt.Sprint(b) != "[{0 1 1} {2 3 2} {4 7 2}]" {
		t.Errorf("buckets %v", b)
	}
	if txt := must(h.Text("seq"))(t); !strings.Contains(txt, "seq") || !strings.Contains(txt, "|**") {
		t.Errorf("text:\n%s", txt)
	}
	hl := must(must(p.Map("hl"))(t).Hist())(t)
	if hl.Kind != coolbpf.HistLinear || hl.Step != 10 || hl.Counts[0] != n {
		t.Errorf("hl: %+v", hl)
	}
	if _, err := must(p.Map("by_tid"))(t).Hist(); err == nil {
		t.Error("a hash read as a histogram")
	}
	id, _, _ := must(p.Map("last_stack"))(t).Get(uint32(0))
	stacks := must(p.Map("stacks"))(t)
	addrs, ok, err := stacks.StackAddrs(id.(int64))
	if err != nil || !ok {
		t.Fatalf("stack %v: %v %v", id, ok, err)
	}
	frames := must(stacks.Stack(id.(int64), 0))(t)
	if len(frames) != len(addrs) || !strings.Contains(strings.Join(frames, " "), "syscall") {
		t.Errorf("frames %v", frames)
	}
	if _, ok, _ := stacks.StackAddrs(-14); ok {
		t.Error("a negative stack id")
	}
}

func TestOptionsReachTheCompile(t *testing.T) {
	p := mapsProg(t, &coolbpf.Options{Defines: []string{"SEQ_START=1000"}, Name: "seq1000"})
	if p.Name() != "seq1000" {
		t.Errorf("name %q", p.Name())
	}
	getppidN(1)
	must(p.Poll(5 * time.Second))(t)
	q := must(p.Queued("events"))(t)
	if len(q) != 1 || q[0].Get("seq") != int64(1001) {
		t.Errorf("events %v", q)
	}
	src := must(os.ReadFile(filepath.Join(progs, "maps.bpf.c")))(t)
	p2 := target(t, must(coolbpf.OpenSource(string(src), &coolbpf.Options{Name: "fromtext",
		BTF: "/sys/kernel/btf/vmlinux"}))(t))
	if !strings.HasPrefix(p2.BTFOrigin(), "explicit") {
		t.Errorf("BTF origin %q", p2.BTFOrigin())
	}
	getppidN(1)
	if v, _, _ := must(p2.Map("by_tid"))(t).Get(uint32(syscall.Gettid())); v != int64(1) {
		t.Errorf("by_tid %v", v)
	}
}

func coolbpfCLI() string {
	if c := os.Getenv("COOLBPF"); c != "" {
		return c
	}
	return filepath.Join("..", "build", "bin", "coolbpf")
}

func TestOpenObjectFileAndBytes(t *testing.T) {
	obj := filepath.Join(t.TempDir(), "maps.o")
	out, err := exec.Command(coolbpfCLI(), "compile", filepath.Join(progs, "maps.bpf.c"), "-o", obj).CombinedOutput()
	if err != nil {
		t.Fatalf("coolbpf compile: %v\n%s", err, out)
	}
	p := target(t, must(coolbpf.Open(obj, nil))(t))
	if p.Name() != "maps" {
		t.Errorf("name %q", p.Name())
	}
	getppidN(2)
	if v, _, _ := must(p.Map("by_tid"))(t).Get(uint32(syscall.Gettid())); v != int64(2) {
		t.Errorf("from the file: %v", v)
	}
	p.Close()
	p2 := target(t, must(coolbpf.OpenObject(must(os.ReadFile(obj))(t), &coolbpf.Options{Name: "mem"}))(t))
	getppidN(3)
	if v, _, _ := must(p2.Map("by_tid"))(t).Get(uint32(syscall.Gettid())); v != int64(3) {
		t.Errorf("from memory: %v", v)
	}
}

func count(t *testing.T, p *coolbpf.Program) any {
	t.Helper()
	v, _, err := must(p.Map("by_tid"))(t).Get(uint32(syscall.Gettid()))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAttachByHand(t *testing.T) {
	p := mapsProg(t, &coolbpf.Options{NoAttach: true})
	getppidN(2)
	if v := count(t, p); v != nil {
		t.Errorf("counted before attach: %v", v)
	}
	l := must(p.AttachProgram("on_getppid", coolbpf.Tracepoint("syscalls", "sys_enter_getppid")))(t)
	found := false
	for _, a := range p.AttachReport() {
		found = found || (a.Prog == "on_getppid" && a.Kind == "tracepoint" && a.Err == 0)
	}
	if !found {
		t.Errorf("attach report %+v", p.AttachReport())
	}
	getppidN(3)
	if v := count(t, p); v != int64(3) {
		t.Errorf("attached: %v", v)
	}
	l.Detach()
	l.Detach()
	getppidN(3)
	if v := count(t, p); v != int64(3) {
		t.Errorf("counted after Detach: %v", v)
	}
	rep := must(p.Attach())(t)
	if len(rep) == 0 {
		t.Error("empty attach report")
	}
	getppidN(1)
	p.Detach()
	getppidN(1)
	if v := count(t, p); v != int64(4) {
		t.Errorf("attach, detach: %v", v)
	}
}

func TestUprobeByHand(t *testing.T) {
	p := must(coolbpf.Open(filepath.Join(progs, "uprobe.bpf.c"), &coolbpf.Options{NoAttach: true}))(t)
	defer p.Close()
	// a process that calls libc's getpgid 4 times once told to (Go's own
	// syscalls do not go through libc)
	c := exec.Command("/usr/bin/python3", "-c",
		"import os, sys\nsys.stdin.readline()\nfor _ in range(4): os.getpgid(0)")
	in := must(c.StdinPipe())(t)
	noErr(t, c.Start())
	defer c.Process.Kill()
	noErr(t, must(p.Map("target_tid"))(t).Update(uint32(0), uint32(c.Process.Pid), 0))
	a := coolbpf.Uprobe("libc.so.6", "getpgid")
	a.Pid = c.Process.Pid
	l := must(p.AttachProgram("on_call", a))(t)
	in.Write([]byte("go\n"))
	noErr(t, c.Wait())
	calls := must(p.Map("calls"))(t)
	if v, _, _ := calls.Get(uint32(0)); v != int64(4) {
		t.Errorf("calls %v", v)
	}
	l.Detach()
	if l.PerfCount() != 0 {
		t.Error("a detached link")
	}
}

func mapID(t *testing.T, fd int) uint32 {
	b := must(os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd)))(t)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "map_id:") {
			id, _ := strconv.Atoi(strings.TrimSpace(l[7:]))
			return uint32(id)
		}
	}
	t.Fatal("no map_id in fdinfo")
	return 0
}

// bpf(2) on x86-64 and arm64 (the syscall package does not name it)
var sysBPF = map[string]uintptr{"amd64": 321, "arm64": 280}[runtime.GOARCH]

func mapExists(id uint32) bool {
	attr := [4]uint32{id}
	fd, _, _ := syscall.Syscall(sysBPF, 14 /* BPF_MAP_GET_FD_BY_ID */, uintptr(unsafe.Pointer(&attr)),
		unsafe.Sizeof(attr))
	if int(fd) >= 0 {
		syscall.Close(int(fd))
	}
	return int(fd) >= 0
}

func TestCloseUnloads(t *testing.T) {
	p := must(coolbpf.Open(filepath.Join(progs, "maps.bpf.c"), nil))(t)
	m := must(p.Map("by_tid"))(t)
	id := mapID(t, m.Fd())
	if !mapExists(id) {
		t.Fatal("the map is not there while loaded")
	}
	noErr(t, p.Close())
	noErr(t, p.Close())
	for end := time.Now().Add(10 * time.Second); mapExists(id) && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	if mapExists(id) {
		t.Errorf("map %d outlived its program", id)
	}
	if _, _, err := m.Get(uint32(1)); !errors.Is(err, coolbpf.ErrClosed) {
		t.Errorf("a map of a closed program: %v", err)
	}
	if _, err := p.Poll(0); !errors.Is(err, coolbpf.ErrClosed) {
		t.Errorf("poll a closed program: %v", err)
	}
}

func TestErrorsCarryTheLibraryMessage(t *testing.T) {
	var e *coolbpf.Error
	_, err := coolbpf.OpenSource("int broken(void) { return nope; }\n", &coolbpf.Options{Name: "broken"})
	if !errors.As(err, &e) || e.Op != coolbpf.OpCompile || !strings.Contains(err.Error(), "nope") {
		t.Errorf("compile error: %#v", err)
	}
	_, err = coolbpf.Open("/nonexistent/tool.bpf.c", nil)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/tool.bpf.c") || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing source: %v", err)
	}
	_, err = coolbpf.Open("/nonexistent/tool.o", nil)
	if !errors.As(err, &e) || e.Op != coolbpf.OpLoad || !strings.Contains(err.Error(), "/nonexistent/tool.o") {
		t.Errorf("missing object: %v", err)
	}
	p := mapsProg(t, &coolbpf.Options{NoAttach: true})
	_, err = p.AttachProgram("on_getppid", coolbpf.Tracepoint("syscalls", "sys_enter_nonexistent"))
	if !errors.As(err, &e) || e.Op != coolbpf.OpAttach || !strings.Contains(err.Error(), "sys_enter_nonexistent") {
		t.Errorf("no such tracepoint: %v", err)
	}
	if _, err = p.AttachProgram("no_such_prog", coolbpf.Auto()); err == nil ||
		!strings.Contains(err.Error(), "no_such_prog") {
		t.Errorf("no such program: %v", err)
	}
	if _, err = p.Events(context.Background(), "by_tid"); err == nil ||
		!strings.Contains(err.Error(), "events") || !strings.Contains(err.Error(), "pevents") {
		t.Errorf("not an event map: %v", err)
	}
	if ok, err := coolbpf.ProbeHook(coolbpf.HookKprobe); err == nil && !ok {
		_, err = p.AttachProgram("on_getppid", coolbpf.Kprobe("do_sys_openat2"))
		if !errors.As(err, &e) || e.Op != coolbpf.OpAttach || err.Error() == "" {
			t.Errorf("kprobe without kprobes: %v", err)
		}
	}
	_, err = coolbpf.Open(filepath.Join(progs, "maps.bpf.c"), &coolbpf.Options{Optional: []string{"no_such_prog"}})
	if err == nil || !strings.Contains(err.Error(), "no_such_prog") {
		t.Errorf("optional no such program: %v", err)
	}
}

// tests/data/params.bpf.c: Options.Set reaches the kernel before load.
func TestSetGlobals(t *testing.T) {
	params := filepath.Join("..", "tests", "data", "params.bpf.c")
	me := os.Getpid()
	p := must(coolbpf.Open(params, &coolbpf.Options{Set: map[string]string{
		"target_pid": strconv.Itoa(me), "small": "0x2b", "mode": "MODE_PID", "comm": "golang"}}))(t)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := must(p.Events(ctx, "events"))(t)
	syscall.Getppid()
	for e := range s.C {
		if pid, _ := e.Int("pid"); pid != int64(me) {
			continue
		}
		if v, _ := e.Uint("small"); v != 0x2b {
			t.Errorf("small %d", v)
		}
		if e.String("mode") != "MODE_PID" || e.String("comm") != "golang" {
			t.Errorf("mode %q comm %q", e.String("mode"), e.String("comm"))
		}
		if v, _ := e.Int("target_pid"); v != int64(me) {
			t.Errorf("target_pid %d", v)
		}
		break
	}
	if ctx.Err() != nil {
		t.Fatal("no event of this process")
	}
	var e *coolbpf.Error
	_, err := coolbpf.Open(params, &coolbpf.Options{Set: map[string]string{"mode": "MODE_X"}})
	if !errors.As(err, &e) || e.Op != coolbpf.OpInvalid ||
		!strings.Contains(err.Error(), "'MODE_X' is not one of its enumerators: MODE_ALL, MODE_PID, MODE_NONE") {
		t.Errorf("bad enumerator: %v", err)
	}
}
