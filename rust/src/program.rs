//! Program: open (compile a source, or read an object), load, attach.
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};

use crate::error::{self, Error, Result};
use crate::events::EventState;
use crate::ffi;
use crate::syms::Syms;

pub(crate) fn cstring(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::Invalid(format!("{} '{}' contains a NUL byte", what, s)))
}

fn path_cstring(what: &str, p: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::Invalid(format!("{} '{}' contains a NUL byte", what, p.display())))
}

pub(crate) unsafe fn cstr_opt(p: *const libc::c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

enum Input {
    SourceFile(PathBuf),
    ObjectFile(PathBuf),
    SourceText(String),
    ObjectBytes(Vec<u8>),
}

/// How to open a program: compile options, BTF, attach or not.
///
/// ```no_run
/// let prog = coolbpf::Program::builder_source("tool.bpf.c")
///     .define_value("TARGET_PID", "1234")
///     .btf_dir("/var/lib/coolbpf/btf")
///     .open()?;
/// # Ok::<(), coolbpf::Error>(())
/// ```
pub struct Builder {
    input: Input,
    name: Option<String>,
    defines: Vec<String>,
    include_dirs: Vec<String>,
    kernel: Option<String>,
    btf_path: Option<PathBuf>,
    btf_dir: Option<PathBuf>,
    server: Option<String>,
    server_token: Option<String>,
    cache_dir: Option<PathBuf>,
    no_cache: bool,
    from_env: bool,
    attach: bool,
    optional: Vec<String>,
    perf_pages: usize,
    queue_size: usize,
    sets: Vec<(String, String)>,
}

/// Bytes of each event map's user-space queue unless
/// [`Builder::queue_size`] says otherwise: the library's
/// `COOLBPF_EVENTS_QUEUE_DEFAULT`, what `coolbpf run` and pylcc use.
pub const EVENTS_QUEUE_DEFAULT: usize = 256 << 20;

impl Builder {
    fn new(input: Input) -> Builder {
        Builder {
            input,
            name: None,
            defines: Vec::new(),
            include_dirs: Vec::new(),
            kernel: None,
            btf_path: None,
            btf_dir: None,
            server: None,
            server_token: None,
            cache_dir: None,
            no_cache: false,
            from_env: true,
            attach: true,
            optional: Vec::new(),
            perf_pages: 0,
            queue_size: EVENTS_QUEUE_DEFAULT,
            sets: Vec::new(),
        }
    }

    /// Object name (default: from the file name, e.g. "execsnoop").
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }
    /// `-D NAME` for the compile.
    pub fn define(mut self, name: &str) -> Self {
        self.defines.push(name.to_string());
        self
    }
    /// `-D NAME=VALUE` for the compile.
    pub fn define_value(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.defines.push(format!("{}={}", name, value));
        self
    }
    /// `-I DIR` for the compile.
    pub fn include_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.include_dirs.push(dir.as_ref().to_string_lossy().into_owned());
        self
    }
    /// Compile for this kernel release (default: the running one).
    pub fn kernel(mut self, release: &str) -> Self {
        self.kernel = Some(release.to_string());
        self
    }
    /// The BTF file that describes the kernel (raw, .btf.gz or ELF), for a
    /// kernel without /sys/kernel/btf/vmlinux: the compile's and the load's.
    pub fn btf(mut self, path: impl AsRef<Path>) -> Self {
        self.btf_path = Some(path.as_ref().to_path_buf());
        self
    }
    /// A BTF archive (`<dir>/<arch>/<release>.btf.gz`) to look the kernel up in.
    pub fn btf_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.btf_dir = Some(dir.as_ref().to_path_buf());
        self
    }
    /// Compile on this coolbpfd (`http://host:port`) instead of locally.
    pub fn server(mut self, url: &str) -> Self {
        self.server = Some(url.to_string());
        self
    }
    /// Bearer token for the server.
    pub fn server_token(mut self, token: &str) -> Self {
        self.server_token = Some(token.to_string());
        self
    }
    /// The object cache (default: ~/.cache/coolbpf).
    pub fn cache_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cache_dir = Some(dir.as_ref().to_path_buf());
        self
    }
    /// Do not read the object cache.
    pub fn no_cache(mut self, yes: bool) -> Self {
        self.no_cache = yes;
        self
    }
    /// Fill what was not set from the environment (`COOLBPF_SERVER`,
    /// `COOLBPF_CACHE_DIR`, `COOLBPF_BTF_DIR`, ...), as `coolbpf run` does.
    /// Default: yes.
    pub fn from_env(mut self, yes: bool) -> Self {
        self.from_env = yes;
        self
    }
    /// Attach every program by its section when opened (default: yes); with
    /// `false`, attach later with [`Program::attach`] or
    /// [`Program::attach_program`].
    pub fn auto_attach(mut self, yes: bool) -> Self {
        self.attach = yes;
        self
    }
    /// The program may be left out where the kernel cannot host it (no
    /// kprobes, no such function); the attach report says why.
    pub fn optional(mut self, prog: &str) -> Self {
        self.optional.push(prog.to_string());
        self
    }
    /// Set a global of the program before load, as `coolbpf run --set
    /// NAME=VALUE` does: a `const volatile` one (.rodata) or a plain one
    /// (.data/.bss); integers (decimal, 0x hex, negative, within the
    /// type's range), bools, enums by enumerator name, strings for char
    /// arrays. A bad name or value fails `open()` with [`Error::Invalid`]
    /// naming the variable, its type and the settable ones.
    pub fn set(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.sets.push((name.to_string(), value.to_string()));
        self
    }
    /// Pages per CPU for perf buffers (a power of two; default 64).
    pub fn perf_pages(mut self, pages: usize) -> Self {
        self.perf_pages = pages;
        self
    }
    /// Bytes of each event map's queue in user space (default
    /// [`EVENTS_QUEUE_DEFAULT`], 256 MiB, pages touched only as it fills;
    /// at least 4096). A drain thread of libcoolbpf copies records out of
    /// the kernel's buffers into it as they come, while the program's
    /// thread decodes; a record it has no room for is counted
    /// ([`Events::dropped`](crate::Events::dropped), `Map::dropped`), apart
    /// from what the kernel lost. 0: no queue, no thread: events straight
    /// from the kernel's buffers at each poll (what was lost while the
    /// caller did not poll is the kernel's loss).
    pub fn queue_size(mut self, bytes: usize) -> Self {
        self.queue_size = bytes;
        self
    }

    /// Compile (or read), load and, unless told otherwise, attach.
    pub fn open(self) -> Result<Program> {
        let defines: Vec<CString> =
            self.defines.iter().map(|d| cstring("define", d)).collect::<Result<_>>()?;
        let incs: Vec<CString> =
            self.include_dirs.iter().map(|d| cstring("include dir", d)).collect::<Result<_>>()?;
        let opt =
            |what: &str, s: &Option<String>| s.as_deref().map(|s| cstring(what, s)).transpose();
        let optp = |what: &str, p: &Option<PathBuf>| {
            p.as_deref().map(|p| path_cstring(what, p)).transpose()
        };
        let kernel = opt("kernel", &self.kernel)?;
        let server = opt("server", &self.server)?;
        let token = opt("server token", &self.server_token)?;
        let btf_path = optp("BTF file", &self.btf_path)?;
        let btf_dir = optp("BTF dir", &self.btf_dir)?;
        let cache_dir = optp("cache dir", &self.cache_dir)?;
        let name = match (&self.name, &self.input) {
            (Some(n), _) => n.clone(),
            (None, Input::SourceFile(p)) | (None, Input::ObjectFile(p)) => p
                .file_name()
                .map(|f| f.to_string_lossy().split('.').next().unwrap_or("").to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "coolbpf".to_string()),
            (None, _) => "coolbpf".to_string(),
        };
        let cname = cstring("name", &name)?;

        let mut def_ptrs: Vec<*const libc::c_char> = defines.iter().map(|c| c.as_ptr()).collect();
        def_ptrs.push(ptr::null());
        let mut inc_ptrs: Vec<*const libc::c_char> = incs.iter().map(|c| c.as_ptr()).collect();
        inc_ptrs.push(ptr::null());
        let p = |c: &Option<CString>| c.as_ref().map_or(ptr::null(), |c| c.as_ptr());

        let mut copts: ffi::coolbpf_compile_opts = ffi::opts();
        copts.kernel = p(&kernel);
        copts.btf_path = p(&btf_path);
        copts.defines = if defines.is_empty() { ptr::null() } else { def_ptrs.as_ptr() };
        copts.include_dirs = if incs.is_empty() { ptr::null() } else { inc_ptrs.as_ptr() };
        copts.cache_dir = p(&cache_dir);
        copts.server = p(&server);
        copts.server_token = p(&token);
        copts.no_cache = self.no_cache;
        copts.btf_dir = p(&btf_dir);
        let mut oopts: ffi::coolbpf_object_opts = ffi::opts();
        oopts.name = cname.as_ptr();
        oopts.btf_path = p(&btf_path);
        oopts.btf_dir = p(&btf_dir);
        oopts.compile = &copts;
        let m = error::mark();
        if self.from_env {
            // SAFETY: both point at valid, sized opts structs
            unsafe {
                ffi::coolbpf_compile_opts__from_env(&mut copts);
                ffi::coolbpf_object_opts__from_env(&mut oopts);
            }
        }

        let (raw, what, is_source) = match &self.input {
            Input::SourceFile(path) | Input::ObjectFile(path) => {
                let is_c = path.extension().map_or(false, |e| e == "c");
                let want_source = matches!(self.input, Input::SourceFile(_));
                if is_c == want_source {
                    let c = path_cstring("file", path)?;
                    // SAFETY: c and oopts (and what it points at) outlive the call
                    let raw = unsafe { ffi::coolbpf_object__open_file(c.as_ptr(), &oopts) };
                    (raw, path.display().to_string(), want_source)
                } else {
                    // a source not named *.c, or an object named *.c
                    let data = std::fs::read(path).map_err(|e| Error::Load {
                        msg: format!("cannot read '{}': {}", path.display(), e),
                        errno: e.raw_os_error().unwrap_or(libc::EIO),
                    })?;
                    let raw = unsafe { open_bytes(&data, want_source, &oopts) };
                    (raw, path.display().to_string(), want_source)
                }
            }
            Input::SourceText(src) => {
                (unsafe { open_bytes(src.as_bytes(), true, &oopts) }, name.clone(), true)
            }
            Input::ObjectBytes(b) => (unsafe { open_bytes(b, false, &oopts) }, name.clone(), false),
        };
        let obj = match NonNull::new(raw) {
            Some(o) => o,
            None => {
                let errno = error::errno();
                let msg = error::message_since(m, errno, &format!("cannot open '{}'", what));
                return Err(if is_source && msg.starts_with("cannot compile") {
                    Error::Compile { msg, errno }
                } else {
                    Error::Load { msg, errno }
                });
            }
        };
        let mut prog = Program {
            obj,
            name,
            events: EventState::new(obj, self.perf_pages, self.queue_size),
            syms: RefCell::new(HashMap::new()),
            _not_sync: PhantomData,
        };
        for o in &self.optional {
            let c = cstring("program", o)?;
            let m = error::mark();
            let r = unsafe { ffi::coolbpf_object__set_optional(obj.as_ptr(), c.as_ptr(), true) };
            if r < 0 {
                return Err(Error::Load {
                    msg: error::message_since(
                        m,
                        -r,
                        &format!("'{}': no program '{}'", prog.name, o),
                    ),
                    errno: -r,
                });
            }
        }
        for (n, v) in &self.sets {
            let cn = cstring("global", n)?;
            let cv = cstring("value", v)?;
            let m = error::mark();
            let r =
                unsafe { ffi::coolbpf_object__set_global(obj.as_ptr(), cn.as_ptr(), cv.as_ptr()) };
            if r < 0 {
                return Err(Error::Invalid(error::message_since(
                    m,
                    -r,
                    &format!("cannot set {} = {}", n, v),
                )));
            }
        }
        let m = error::mark();
        let r = unsafe { ffi::coolbpf_object__load(obj.as_ptr()) };
        if r < 0 {
            let msg = error::message_since(m, -r, &format!("cannot load '{}'", prog.name));
            return Err(Error::Load { msg, errno: -r });
        }
        // buffers open before the programs run: a perf event array drops
        // what is sent while no buffer reads it
        prog.events.open_if_any()?;
        if self.attach {
            prog.attach()?;
        }
        Ok(prog)
    }
}

unsafe fn open_bytes(
    data: &[u8],
    source: bool,
    opts: &ffi::coolbpf_object_opts,
) -> *mut ffi::coolbpf_object {
    if source {
        ffi::coolbpf_object__open_source(data.as_ptr() as *const _, data.len(), opts)
    } else {
        ffi::coolbpf_object__open_mem(data.as_ptr() as *const _, data.len(), opts)
    }
}

/// One row of the attach report: what attached where, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachInfo {
    /// program (function) name
    pub prog: String,
    /// its ELF section
    pub section: String,
    /// hook used: "tracepoint", "raw_tp", "kprobe", "uprobe", ...
    pub kind: String,
    /// where: "sched:sched_process_exec", "do_sys_openat2", ...
    pub target: String,
    /// fallback taken, or why it failed
    pub note: Option<String>,
    /// 0 if attached, else -errno
    pub err: i32,
}

/// How [`Program::attach_program`] attaches one program.
#[derive(Debug, Clone)]
pub struct Attach {
    kind: libc::c_int,
    target: Option<String>,
    symbol: Option<String>,
    offset: u64,
    pid: i32,
    cpu: i32,
    perf_type: u32,
    perf_config: u64,
    sample_freq: u64,
    sample_period: u64,
}

impl Attach {
    fn new(kind: libc::c_int, target: Option<&str>) -> Attach {
        Attach {
            kind,
            target: target.map(str::to_string),
            symbol: None,
            offset: 0,
            pid: -1,
            cpu: -1,
            perf_type: 0,
            perf_config: 0,
            sample_freq: 0,
            sample_period: 0,
        }
    }
    /// As the program's section says.
    pub fn auto() -> Attach {
        Attach::new(0, None)
    }
    /// A kprobe on a kernel function.
    pub fn kprobe(func: &str) -> Attach {
        Attach::new(1, Some(func))
    }
    pub fn kretprobe(func: &str) -> Attach {
        Attach::new(2, Some(func))
    }
    /// A uprobe on `symbol` of `binary` (a path, or a library name such as
    /// "libc.so.6"); every process unless [`Attach::pid`].
    pub fn uprobe(binary: &str, symbol: &str) -> Attach {
        let mut a = Attach::new(3, Some(binary));
        a.symbol = Some(symbol.to_string());
        a
    }
    pub fn uretprobe(binary: &str, symbol: &str) -> Attach {
        let mut a = Attach::uprobe(binary, symbol);
        a.kind = 4;
        a
    }
    /// A tracepoint, "category", "name" (as in sched:sched_process_exec).
    pub fn tracepoint(category: &str, name: &str) -> Attach {
        Attach::new(5, Some(&format!("{}:{}", category, name)))
    }
    pub fn raw_tracepoint(name: &str) -> Attach {
        Attach::new(6, Some(name))
    }
    /// A perf event (PERF_TYPE_*, its config), sampled at 99 Hz unless
    /// [`Attach::sample_freq`] or [`Attach::sample_period`]; on every CPU
    /// unless [`Attach::cpu`] or [`Attach::pid`].
    pub fn perf_event(perf_type: u32, config: u64) -> Attach {
        let mut a = Attach::new(7, None);
        a.perf_type = perf_type;
        a.perf_config = config;
        a
    }
    /// Offset into the function (kprobe, uprobe), or into the file for a
    /// uprobe without symbol.
    pub fn offset(mut self, off: u64) -> Self {
        self.offset = off;
        self
    }
    /// Only this process (uprobe, perf event).
    pub fn pid(mut self, pid: i32) -> Self {
        self.pid = pid;
        self
    }
    /// Only this CPU (perf event).
    pub fn cpu(mut self, cpu: i32) -> Self {
        self.cpu = cpu;
        self
    }
    pub fn sample_freq(mut self, hz: u64) -> Self {
        self.sample_freq = hz;
        self
    }
    pub fn sample_period(mut self, events: u64) -> Self {
        self.sample_period = events;
        self
    }
}

/// A program attached by [`Program::attach_program`]; detached when dropped
/// (or by [`Link::detach`]), and in any case when its program is.
pub struct Link<'p> {
    raw: NonNull<ffi::coolbpf_link>,
    _prog: PhantomData<&'p Program>,
}

impl Link<'_> {
    /// Perf events behind the link (one per CPU for a perf event on every CPU).
    pub fn perf_count(&self) -> usize {
        unsafe { ffi::coolbpf_link__perf_count(self.raw.as_ptr()) }
    }
    pub fn detach(self) {}
}

impl std::fmt::Debug for Link<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").field("raw", &self.raw).finish()
    }
}

impl Drop for Link<'_> {
    fn drop(&mut self) {
        unsafe { ffi::coolbpf_link__destroy(self.raw.as_ptr()) }
    }
}

/// A loaded BPF object: its programs, maps and event buffers. Dropping it
/// detaches and unloads everything it put in the kernel.
///
/// Not thread-safe (one thread at a time, like libcoolbpf's object); it
/// may be moved to another thread.
pub struct Program {
    pub(crate) obj: NonNull<ffi::coolbpf_object>,
    pub(crate) name: String,
    pub(crate) events: EventState,
    pub(crate) syms: RefCell<HashMap<i32, Syms>>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: libcoolbpf's object may be used from any thread, one at a time;
// Program is !Sync and every callback it holds is Send.
unsafe impl Send for Program {}

impl Program {
    /// Compile a `.bpf.c` (object cache first), load it, attach every program.
    pub fn from_source(path: impl AsRef<Path>) -> Result<Program> {
        Program::builder_source(path).open()
    }
    /// Load a compiled object (`coolbpf compile`'s `.o`), attach every program.
    pub fn from_object(path: impl AsRef<Path>) -> Result<Program> {
        Program::builder_object(path).open()
    }
    /// A source file, with options.
    pub fn builder_source(path: impl AsRef<Path>) -> Builder {
        Builder::new(Input::SourceFile(path.as_ref().to_path_buf()))
    }
    /// An object file, with options.
    pub fn builder_object(path: impl AsRef<Path>) -> Builder {
        Builder::new(Input::ObjectFile(path.as_ref().to_path_buf()))
    }
    /// Kernel code in a string (name it with [`Builder::name`]).
    pub fn builder_source_text(src: &str) -> Builder {
        Builder::new(Input::SourceText(src.to_string()))
    }
    /// An object in memory (e.g. `include_bytes!("tool.o")`).
    pub fn builder_object_bytes(obj: &[u8]) -> Builder {
        Builder::new(Input::ObjectBytes(obj.to_vec()))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which BTF served CO-RE: "kernel", "artifact", "explicit PATH", ...
    pub fn btf_origin(&self) -> String {
        unsafe { cstr_opt(ffi::coolbpf_object__btf_origin(self.obj.as_ptr())) }.unwrap_or_default()
    }

    /// Attach every loaded program by its section (all or nothing); returns
    /// the attach report.
    pub fn attach(&self) -> Result<Vec<AttachInfo>> {
        let m = error::mark();
        let r = unsafe { ffi::coolbpf_object__attach(self.obj.as_ptr()) };
        if r < 0 {
            let msg = error::message_since(m, -r, &format!("cannot attach '{}'", self.name));
            return Err(Error::Attach { msg, errno: -r });
        }
        Ok(self.attach_report())
    }

    /// Detach every program attached by [`Program::attach`] (maps stay
    /// readable, links of [`Program::attach_program`] are not touched).
    pub fn detach(&self) {
        unsafe { ffi::coolbpf_object__detach(self.obj.as_ptr()) }
    }

    /// Attach one program by hand.
    pub fn attach_program(&self, prog: &str, how: Attach) -> Result<Link<'_>> {
        let cprog = cstring("program", prog)?;
        let target = how.target.as_deref().map(|t| cstring("attach target", t)).transpose()?;
        let symbol = how.symbol.as_deref().map(|s| cstring("symbol", s)).transpose()?;
        let mut o: ffi::coolbpf_attach_opts = ffi::opts();
        o.kind = how.kind;
        o.target = target.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        o.symbol = symbol.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        o.offset = how.offset;
        o.pid = how.pid;
        o.cpu = how.cpu;
        o.perf_type = how.perf_type;
        o.perf_config = how.perf_config;
        o.sample_freq = how.sample_freq;
        o.sample_period = how.sample_period;
        o.perf_group_fd = -1;
        let m = error::mark();
        let raw =
            unsafe { ffi::coolbpf_object__attach_program(self.obj.as_ptr(), cprog.as_ptr(), &o) };
        match NonNull::new(raw) {
            Some(raw) => Ok(Link { raw, _prog: PhantomData }),
            None => {
                let errno = match error::errno() {
                    0 => libc::EINVAL,
                    e => e,
                };
                let msg =
                    error::message_since(m, errno, &format!("cannot attach program '{}'", prog));
                Err(Error::Attach { msg, errno })
            }
        }
    }

    /// What attached where, and why not (every attach so far).
    pub fn attach_report(&self) -> Vec<AttachInfo> {
        let obj = self.obj.as_ptr();
        let n = unsafe { ffi::coolbpf_object__attach_count(obj) };
        (0..n)
            .filter_map(|i| unsafe {
                let ai = ffi::coolbpf_object__attach_info(obj, i).as_ref()?;
                Some(AttachInfo {
                    prog: cstr_opt(ai.prog).unwrap_or_default(),
                    section: cstr_opt(ai.section).unwrap_or_default(),
                    kind: cstr_opt(ai.kind).unwrap_or_default(),
                    target: cstr_opt(ai.target).unwrap_or_default(),
                    note: cstr_opt(ai.note),
                    err: ai.err,
                })
            })
            .collect()
    }

    pub(crate) fn syms_resolve(&self, pid: i32, addr: u64) -> Result<String> {
        use std::collections::hash_map::Entry;
        let mut tabs = self.syms.borrow_mut();
        let syms = match tabs.entry(pid) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(Syms::new(pid)?),
        };
        syms.resolve(addr)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.syms.borrow_mut().clear();
        // the event state (callbacks, buffer) goes after, with the fields
        unsafe { ffi::coolbpf_object__close(self.obj.as_ptr()) }
    }
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program").field("name", &self.name).finish()
    }
}

/// Whether the running kernel can host a kind of hook (tried, never
/// judged by version): `Some(true)`, `Some(false)`, or `None` when it
/// cannot tell (e.g. not root).
pub fn probe_hook(hook: Hook) -> Option<bool> {
    match unsafe { ffi::coolbpf_probe_hook(hook as libc::c_int) } {
        1 => Some(true),
        0 => Some(false),
        _ => None,
    }
}

/// Kinds of hook [`probe_hook`] tells about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Kprobe = 0,
    Fentry = 1,
    TpBtf = 2,
    Uprobe = 3,
    PerfEvent = 4,
}
