//! Errors carrying libcoolbpf's own message, and the library's log.
use std::cell::Cell;
use std::ffi::CStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use libc::{c_char, c_int, c_void};

use crate::ffi;

/// What went wrong, with the message libcoolbpf gave (`coolbpf_errmsg()`),
/// which names the input and the fix, and the errno where there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The source did not compile; the message holds clang's diagnostics.
    #[error("{msg}")]
    Compile { msg: String, errno: i32 },
    /// The object could not be opened, or the kernel refused it (the
    /// verifier's rejection is reported as the failing source line).
    #[error("{msg}")]
    Load { msg: String, errno: i32 },
    /// A program could not be attached.
    #[error("{msg}")]
    Attach { msg: String, errno: i32 },
    /// No map of that name.
    #[error("'{program}' has no map '{name}' (maps: {known})")]
    NoSuchMap { program: String, name: String, known: String },
    /// A map operation failed (lookup, update, delete, iteration).
    #[error("map '{map}': {msg}")]
    Map { map: String, msg: String, errno: i32 },
    /// Opening the event buffers or polling them failed.
    #[error("{msg}")]
    Events { msg: String, errno: i32 },
    /// A value did not decode into the type asked for.
    #[error("{what}: {source}")]
    Decode {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// A bad argument: the message says which and what is expected.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// The errno behind the error (positive), if any.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Compile { errno, .. }
            | Error::Load { errno, .. }
            | Error::Attach { errno, .. }
            | Error::Map { errno, .. }
            | Error::Events { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Severity of a libcoolbpf log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warn,
    Info,
    Debug,
}

thread_local! {
    // COOLBPF_WARN lines this thread has seen: a failure is reported with
    // the library's message only if it warned since the call began, never
    // with a stale one from an earlier call
    static WARNS: Cell<u64> = const { Cell::new(0) };
}
static LOGGER: AtomicUsize = AtomicUsize::new(0);
static INIT: Once = Once::new();

unsafe extern "C" fn on_print(level: c_int, fmt: *const c_char, ap: *mut c_void) -> c_int {
    if level == ffi::COOLBPF_WARN {
        WARNS.with(|w| w.set(w.get() + 1));
    }
    let f = LOGGER.load(Ordering::Relaxed);
    if f == 0 || fmt.is_null() {
        return 0;
    }
    // SAFETY: LOGGER only ever holds a `fn(Level, &str)` stored by set_logger
    let f: fn(Level, &str) = std::mem::transmute(f);
    let mut buf = [0 as c_char; 1024];
    // the va_list reaches us as the pointer the C ABI passes it by
    // (x86-64 and aarch64 alike); vsnprintf consumes it, as a callback may
    let n = ffi::vsnprintf(buf.as_mut_ptr(), buf.len(), fmt, ap);
    if n < 0 {
        return 0;
    }
    let text = CStr::from_ptr(buf.as_ptr()).to_string_lossy();
    let level = match level {
        ffi::COOLBPF_WARN => Level::Warn,
        ffi::COOLBPF_INFO => Level::Info,
        _ => Level::Debug,
    };
    // a panic must not unwind into C
    let _ = std::panic::catch_unwind(|| f(level, text.trim_end_matches('\n')));
    0
}

/// Install the crate's log callback into libcoolbpf (once per process).
pub(crate) fn init() {
    INIT.call_once(|| unsafe {
        ffi::coolbpf_set_print(Some(on_print));
    });
}

/// Send libcoolbpf's log lines (warnings, and with `Level::Debug` libbpf's
/// own) to `f`; `None`: keep them quiet (the default). Error values carry
/// the warnings that matter either way.
pub fn set_logger(f: Option<fn(Level, &str)>) {
    init();
    LOGGER.store(f.map_or(0, |f| f as usize), Ordering::Relaxed);
}

/// A point in this thread's warnings, taken before a call.
#[derive(Clone, Copy)]
pub(crate) struct Mark(u64);

pub(crate) fn mark() -> Mark {
    init();
    Mark(WARNS.with(|w| w.get()))
}

fn strerror(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// The library's message if it warned since `m`, else "what: strerror".
pub(crate) fn message_since(m: Mark, errno: i32, what: &str) -> String {
    if WARNS.with(|w| w.get()) != m.0 {
        // SAFETY: coolbpf_errmsg() returns a NUL-terminated thread-local string
        let s = unsafe { CStr::from_ptr(ffi::coolbpf_errmsg()) };
        let s = s.to_string_lossy().trim_end().to_string();
        if !s.is_empty() {
            return s;
        }
    }
    if errno != 0 {
        format!("{}: {}", what, strerror(errno))
    } else {
        what.to_string()
    }
}

pub(crate) fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub(crate) fn map_err(map: &str, op: &str, ret: c_int) -> Error {
    let errno = -ret;
    Error::Map { map: map.to_string(), msg: format!("{}: {}", op, strerror(errno)), errno }
}
