//! coolbpf for Rust: write only the kernel half of an eBPF tool.
//!
//! A `.bpf.c` written against `lbc.h` is compiled (object cache first, or
//! on a coolbpfd), loaded with the BTF that describes the kernel, and
//! attached by its sections; its events and maps come back decoded by
//! their BTF types, by field name. Everything goes through libcoolbpf.
//!
//! ```no_run
//! use coolbpf::Program;
//!
//! #[derive(serde::Deserialize)]
//! struct Exec { pid: u32, comm: String, filename: String }
//!
//! let prog = Program::from_source("examples/execsnoop.bpf.c")?;
//! for ev in prog.events()? {
//!     let ev = ev?;
//!     println!("{} {} {}", ev["pid"], ev.str("comm").unwrap_or(""), ev["filename"]);
//!     let typed: Exec = ev.deserialize()?;
//!     # let _ = typed;
//! }
//! # Ok::<(), coolbpf::Error>(())
//! ```
mod error;
mod events;
pub mod ffi;
mod maps;
mod program;
mod syms;

pub use error::{set_logger, Error, Level, Result};
pub use events::{Event, Events};
pub use maps::{Bucket, Entry, Format, HistKind, Histogram, Keys, Map, MapBytes, MapKind};
pub use program::{
    probe_hook, Attach, AttachInfo, Builder, Hook, Link, Program, EVENTS_QUEUE_DEFAULT,
};
pub use serde_json::Value;
pub use syms::Syms;

/// Mount tracefs and bpffs where they are missing (root).
pub fn mount_fs() -> Result<()> {
    let m = error::mark();
    let r = unsafe { ffi::coolbpf_mount_fs() };
    if r < 0 {
        return Err(Error::Invalid(error::message_since(m, -r, "cannot mount tracefs/bpffs")));
    }
    Ok(())
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_interrupt(_sig: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Let Ctrl-C (SIGINT) and SIGTERM end the wait instead of the process:
/// [`Program::poll`] returns, an [`Events`] iterator ends, and the program
/// is dropped (detached) as the caller's code unwinds normally. Returns
/// the flag that tells whether one came.
pub fn handle_interrupts() -> &'static std::sync::atomic::AtomicBool {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic; no SA_RESTART, so
        // a blocked poll returns EINTR
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    &INTERRUPTED
}
