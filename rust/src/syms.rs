//! Kernel and user-space symbols (kallsyms, a process's ELF symbols).
use std::ffi::CStr;
use std::ptr::NonNull;

use crate::error::{self, Error, Result};
use crate::ffi;

/// Resolves addresses to "name+0xoff": kernel symbols, plus for `pid > 0`
/// that process's (through /proc/PID/maps). Loaded on first use.
pub struct Syms {
    raw: NonNull<ffi::coolbpf_syms>,
    pid: i32,
    buf: Vec<libc::c_char>,
}

// SAFETY: one thread at a time (Syms is !Sync), as libcoolbpf requires
unsafe impl Send for Syms {}

impl Syms {
    pub fn new(pid: i32) -> Result<Syms> {
        let m = error::mark();
        match NonNull::new(unsafe { ffi::coolbpf_syms__new(pid) }) {
            Some(raw) => Ok(Syms { raw, pid, buf: vec![0; 512] }),
            None => {
                let e = error::errno();
                Err(Error::Invalid(error::message_since(
                    m,
                    e,
                    &format!("cannot read the symbols of pid {}", pid),
                )))
            }
        }
    }

    /// "name+0xoff", "name+0xoff [module]", "name+0xoff (libc.so.6)", or
    /// "[unknown]"; an error when kallsyms hides addresses (not root) or
    /// the process is gone before its mappings were read.
    pub fn resolve(&mut self, addr: u64) -> Result<String> {
        let r = unsafe {
            ffi::coolbpf_syms__resolve(
                self.raw.as_ptr(),
                addr,
                self.buf.as_mut_ptr(),
                self.buf.len(),
            )
        };
        if r < 0 && r != -libc::ENOENT {
            let what = match -r {
                libc::EPERM => "kallsyms hides kernel addresses (run as root)".to_string(),
                libc::ESRCH => format!("process {} is gone", self.pid),
                e => std::io::Error::from_raw_os_error(e).to_string(),
            };
            return Err(Error::Invalid(format!("cannot resolve {:#x}: {}", addr, what)));
        }
        Ok(unsafe { CStr::from_ptr(self.buf.as_ptr()) }.to_string_lossy().into_owned())
    }
}

impl Drop for Syms {
    fn drop(&mut self) {
        unsafe { ffi::coolbpf_syms__free(self.raw.as_ptr()) }
    }
}
