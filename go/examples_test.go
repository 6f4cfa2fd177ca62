// The examples as a person runs them: built, started, traced events caused
// once they say they are tracing, their output read.
package coolbpf_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// startExample builds ./examples/NAME, starts it and waits for its
// "tracing" line; wait() gives its stdout once it exits.
func startExample(t *testing.T, name string, args ...string) (wait func() string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command(goTool(), "build", "-o", bin, "./examples/"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/%s: %v\n%s", name, err, out)
	}
	c := exec.Command(bin, args...)
	var stdout bytes.Buffer
	c.Stdout = &stdout
	errp, _ := c.StderrPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(errp)
	line, err := r.ReadString('\n')
	if !strings.HasPrefix(line, "tracing") {
		c.Process.Kill()
		c.Wait()
		t.Fatalf("%s did not start: %q %v", name, line, err)
	}
	return func() string {
		rest, _ := r.ReadString(0)
		if err := c.Wait(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, rest)
		}
		return stdout.String()
	}
}

func TestExampleExecsnoop(t *testing.T) {
	wait := startExample(t, "execsnoop", "-d", "3")
	c := exec.Command("/bin/true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	out := wait()
	if !strings.HasPrefix(out, "PCOMM") {
		t.Fatalf("output:\n%s", out)
	}
	want := fmt.Sprintf("%d %d", c.Process.Pid, os.Getpid())
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 5 && f[0] == "true" && f[1]+" "+f[2] == want && f[4] == "/bin/true" {
			return
		}
	}
	t.Errorf("no line for pid %d:\n%s", c.Process.Pid, out)
}

func TestExampleExecsnoopJSON(t *testing.T) {
	wait := startExample(t, "execsnoop", "--json", "-d", "3")
	c := exec.Command("/bin/true")
	c.Run()
	for _, l := range strings.Split(strings.TrimSpace(wait()), "\n") {
		var e struct {
			Pid      int    `json:"pid"`
			Filename string `json:"filename"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if e.Pid == c.Process.Pid && e.Filename == "/bin/true" {
			return
		}
	}
	t.Errorf("no event for pid %d", c.Process.Pid)
}

func TestExampleTcpconnect(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wait := startExample(t, "tcpconnect", "-d", "3")
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// the connect(2) of this thread: Go's dialer would pick another thread
	s, err := syscallConnect(l.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	out := wait()
	want := fmt.Sprintf("(PID)%d:%s (LOCAL)%s -> (REMOTE)%s", os.Getpid(), comm(t), s, l.Addr())
	for _, line := range strings.Split(out, "\n") {
		if line == want {
			return
		}
	}
	t.Errorf("no line %q in:\n%s", want, out)
}

// syscallConnect connects a blocking socket of this thread to
// 127.0.0.1:port and says which local address it got.
func syscallConnect(port int) (string, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", err
	}
	defer syscall.Close(fd)
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return "", err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return "", err
	}
	a := sa.(*syscall.SockaddrInet4)
	return fmt.Sprintf("%d.%d.%d.%d:%d", a.Addr[0], a.Addr[1], a.Addr[2], a.Addr[3], a.Port), nil
}
