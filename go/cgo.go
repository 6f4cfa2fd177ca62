package coolbpf

/*
#cgo pkg-config: libcoolbpf libbpf
#include <stdlib.h>
#include "helpers.h"
*/
import "C"

import (
	"runtime"
	"syscall"
	"unsafe"
)

func init() {
	C.gocb_init()
}

func trimNL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}

// call runs f on one OS thread and returns the library's message if it
// warned during f (coolbpf_errmsg() is per thread), else "".
func call(f func()) string {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m := C.gocb_warns()
	f()
	if C.gocb_warns() != m {
		return trimNL(C.GoString(C.coolbpf_errmsg()))
	}
	return ""
}

// cstrs holds C copies of Go strings for the length of a call.
type cstrs []unsafe.Pointer

func (c *cstrs) str(s string) *C.char {
	if s == "" {
		return nil
	}
	p := C.CString(s)
	*c = append(*c, unsafe.Pointer(p))
	return p
}

// list is a NULL-terminated array of C strings (nil for none).
func (c *cstrs) list(items []string) **C.char {
	if len(items) == 0 {
		return nil
	}
	n := C.size_t(len(items) + 1)
	arr := (**C.char)(C.calloc(n, C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	*c = append(*c, unsafe.Pointer(arr))
	s := unsafe.Slice(arr, len(items)+1)
	for i, it := range items {
		s[i] = c.str(it)
	}
	return arr
}

func (c *cstrs) free() {
	for _, p := range *c {
		C.free(p)
	}
	*c = nil
}

func errnoOf(err error, ret C.int) syscall.Errno {
	if ret < 0 {
		return syscall.Errno(-ret)
	}
	if e, ok := err.(syscall.Errno); ok && e != 0 {
		return e
	}
	return syscall.EINVAL
}
