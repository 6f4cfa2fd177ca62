// execsnoop: every exec() on the machine, from examples/execsnoop.bpf.c.
//
//	go run ./examples/execsnoop [--json] [-d SECONDS] [FILE.bpf.c|FILE.o]
//
// Events come on a channel, decoded into a struct by field tag; Ctrl-C
// stops it, and what was lost is reported.
package main

import (
	"bufio"
	"context"
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

type exec struct {
	Pid      uint32 `json:"pid"`
	Ppid     uint32 `json:"ppid"`
	UID      uint32 `json:"uid"`
	Comm     string `json:"comm"`
	Filename string `json:"filename"`
}

// the tree's examples/execsnoop.bpf.c, next to this module
func defaultSource() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "..", "examples", "execsnoop.bpf.c")
}

func main() {
	asJSON := flag.Bool("json", false, "one JSON object per event")
	secs := flag.Float64("d", 0, "stop after SECONDS")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: execsnoop [--json] [-d SECONDS] [FILE.bpf.c|FILE.o]")
		os.Exit(2)
	}
	flag.Parse()
	file := defaultSource()
	if flag.NArg() > 1 {
		flag.Usage()
	} else if flag.NArg() == 1 {
		file = flag.Arg(0)
	}
	if err := run(file, *asJSON, time.Duration(*secs*float64(time.Second))); err != nil {
		fmt.Fprintln(os.Stderr, "execsnoop:", err)
		os.Exit(1)
	}
}

func run(file string, asJSON bool, d time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	p, err := coolbpf.Open(file, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(os.Stderr, "tracing exec() with %s (BTF: %s); Ctrl-C to stop\n", p.Name(), p.BTFOrigin())
	s, err := p.Events(ctx, "events")
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	if !asJSON {
		fmt.Fprintf(out, "%-16s %-7s %-7s %-6s FILENAME\n", "PCOMM", "PID", "PPID", "UID")
	}
	for ev := range s.C {
		if asJSON {
			fmt.Fprintf(out, "%s\n", ev.JSON)
		} else {
			var e exec
			if err := ev.Decode(&e); err != nil {
				return err
			}
			fmt.Fprintf(out, "%-16s %-7d %-7d %-6d %s\n", e.Comm, e.Pid, e.Ppid, e.UID, e.Filename)
		}
		// a line at a time when there is no more for now, as a terminal expects
		if len(s.C) == 0 {
			if err := out.Flush(); err != nil {
				return nil // a closed pipe (| head) ends the run
			}
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	if lost := p.LostEvents(); lost > 0 {
		fmt.Fprintf(os.Stderr, "execsnoop: %d events lost\n", lost)
	}
	return nil
}
