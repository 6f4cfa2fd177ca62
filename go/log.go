package coolbpf

// (a file of its own: a cgo file that exports to C may declare, not
// define, in its preamble)

// #include <stdlib.h>
// #include "helpers.h"
import "C"

// Level is the severity of a libcoolbpf log line.
type Level int

const (
	LevelWarn Level = iota
	LevelInfo
	LevelDebug
)

var logger func(Level, string)

// SetLogger sends libcoolbpf's log lines up to level to f (nil: none, the
// default). Errors carry the warnings that matter either way. Not safe to
// call while other goroutines use the library.
func SetLogger(level Level, f func(Level, string)) {
	logger = f
	if f == nil {
		C.gocb_set_verbose(0)
		return
	}
	C.gocb_set_verbose(C.int(level) + 1)
}

//export goCoolbpfLog
func goCoolbpfLog(level C.int, msg *C.char) {
	if f := logger; f != nil {
		f(Level(level), trimNL(C.GoString(msg)))
	}
}
