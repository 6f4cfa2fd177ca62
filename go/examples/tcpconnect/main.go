// tcpconnect: the original rlcc example's behaviour on coolbpf. One line
// per outgoing IPv4 TCP connection, "(PID)pid:comm (LOCAL)addr:port ->
// (REMOTE)addr:port", from the perf event array of
// examples/tcpconnect.bpf.c, through a callback and Poll; lost events go
// to stderr.
//
//	go run ./examples/tcpconnect [-d SECONDS] [FILE.bpf.c|FILE.o]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"coolbpf"
)

type connect struct {
	Pid         uint32 `json:"pid"`
	Comm        string `json:"comm"`
	Sport       uint16 `json:"sport"` // lbc_port_t: the port, decoded from network order
	Dport       uint16 `json:"dport"`
	Saddr       string `json:"saddr"` // lbc_ipv4_t: the address as text, "127.0.0.1"
	Daddr       string `json:"daddr"`
	Established uint32 `json:"established"`
}

func addr(a string, port uint16) string {
	return fmt.Sprintf("%s:%d", a, port)
}

func main() {
	secs := flag.Float64("d", 0, "stop after SECONDS")
	flag.Parse()
	_, here, _, _ := runtime.Caller(0)
	file := filepath.Join(filepath.Dir(here), "..", "..", "..", "examples", "tcpconnect.bpf.c")
	if flag.NArg() == 1 {
		file = flag.Arg(0)
	} else if flag.NArg() > 1 {
		fmt.Fprintln(os.Stderr, "usage: tcpconnect [-d SECONDS] [FILE.bpf.c|FILE.o]")
		os.Exit(2)
	}
	if err := run(file, time.Duration(*secs*float64(time.Second))); err != nil {
		fmt.Fprintln(os.Stderr, "tcpconnect:", err)
		os.Exit(1)
	}
}

func run(file string, d time.Duration) error {
	p, err := coolbpf.Open(file, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	var decodeErr error
	err = p.OnEvent("events", func(ev *coolbpf.Event) {
		var c connect
		if decodeErr = ev.Decode(&c); decodeErr != nil {
			return
		}
		refused := ""
		if c.Established == 0 {
			refused = " refused"
		}
		fmt.Printf("(PID)%d:%s (LOCAL)%s -> (REMOTE)%s%s\n", c.Pid, c.Comm, addr(c.Saddr, c.Sport),
			addr(c.Daddr, c.Dport), refused)
	})
	if err != nil {
		return err
	}
	p.OnLost(func(_ string, cpu int, count uint64) {
		fmt.Fprintf(os.Stderr, "Lost %d events on CPU %d\n", count, cpu)
	})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	fmt.Fprintln(os.Stderr, "tracing TCP connects; Ctrl-C to stop")
	end := time.Now().Add(d)
	for d <= 0 || time.Now().Before(end) {
		select {
		case <-sig:
			return nil
		default:
		}
		if _, err := p.Poll(100 * time.Millisecond); err != nil {
			return err
		}
		if decodeErr != nil {
			return decodeErr
		}
	}
	return nil
}
