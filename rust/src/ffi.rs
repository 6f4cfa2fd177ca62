//! Declarations of include/coolbpf/coolbpf.h (written by hand: no bindgen,
//! no libclang at build time). `tests/abi.rs` compares every struct's size
//! and field offsets with what the C compiler makes of the header.
#![allow(non_camel_case_types)]

use libc::{c_char, c_int, c_uint, c_ulong, c_void, size_t};

pub enum coolbpf_object {}
pub enum coolbpf_map {}
pub enum coolbpf_link {}
pub enum coolbpf_syms {}
pub enum btf {}
pub enum bpf_object {}
pub enum bpf_map {}

pub const COOLBPF_WARN: c_int = 0;
pub const COOLBPF_INFO: c_int = 1;
pub const COOLBPF_DEBUG: c_int = 2;

pub const COOLBPF_FMT_TEXT: c_int = 0;
pub const COOLBPF_FMT_JSON: c_int = 1;

pub type coolbpf_print_fn_t =
    Option<unsafe extern "C" fn(level: c_int, fmt: *const c_char, ap: *mut c_void) -> c_int>;
pub type coolbpf_event_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        map: *mut coolbpf_map,
        data: *const c_void,
        size: size_t,
    ) -> c_int,
>;
pub type coolbpf_lost_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, map: *mut coolbpf_map, cpu: c_int, count: u64)>;

#[repr(C)]
pub struct coolbpf_compile_opts {
    pub sz: size_t,
    pub kernel: *const c_char,
    pub btf_path: *const c_char,
    pub defines: *const *const c_char,
    pub include_dirs: *const *const c_char,
    pub cache_dir: *const c_char,
    pub server: *const c_char,
    pub no_cache: bool,
    pub btf_dir: *const c_char,
    pub server_token: *const c_char,
    pub tool_path: *const c_char,
    pub no_cache_write: bool,
    pub full_vmlinux_h: bool,
    pub arch: *const c_char,
    pub server_ca: *const c_char,
    pub kernels: *const *const c_char,
    pub cache_max: u64,
    pub event_types: *const *const c_char,
    pub cflags: *const *const c_char,
}

#[repr(C)]
pub struct coolbpf_object_opts {
    pub sz: size_t,
    pub name: *const c_char,
    pub btf_path: *const c_char,
    pub compile: *const coolbpf_compile_opts,
    pub btf_dir: *const c_char,
    pub server: *const c_char,
    pub server_token: *const c_char,
    pub cache_dir: *const c_char,
}

#[repr(C)]
pub struct coolbpf_attach_opts {
    pub sz: size_t,
    pub kind: c_int,
    pub target: *const c_char,
    pub symbol: *const c_char,
    pub offset: u64,
    pub pid: c_int,
    pub cpu: c_int,
    pub perf_attr: *const c_void,
    pub perf_type: u32,
    pub perf_config: u64,
    pub sample_freq: u64,
    pub sample_period: u64,
    pub perf_group_fd: c_int,
    pub perf_flags: c_ulong,
}

#[repr(C)]
pub struct coolbpf_attach_info {
    pub prog: *const c_char,
    pub section: *const c_char,
    pub kind: *const c_char,
    pub target: *const c_char,
    pub note: *const c_char,
    pub err: c_int,
}

#[repr(C)]
pub struct coolbpf_buf {
    pub data: *mut c_char,
    pub len: size_t,
    pub cap: size_t,
}

#[repr(C)]
pub struct coolbpf_format_opts {
    pub sz: size_t,
    pub fmt: c_int,
    pub time: *const c_char,
    pub unit: *const c_char,
}

#[repr(C)]
pub struct coolbpf_events_opts {
    pub sz: size_t,
    pub on_event: coolbpf_event_fn,
    pub on_lost: coolbpf_lost_fn,
    pub ctx: *mut c_void,
    pub perf_pages: size_t,
    pub queue_size: size_t,
}

/// The tail padding of an opts struct as a field of its own: the library
/// rejects a struct with a non-zero byte past the fields it knows, and a
/// Rust move need not keep padding bytes zero (sizes for 64 and 32 bits).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tail<const B64: usize, const B32: usize> {
    #[cfg(target_pointer_width = "64")]
    _b: [u8; B64],
    #[cfg(target_pointer_width = "32")]
    _b: [u8; B32],
}

/// A zeroed opts struct with `.sz` set (the header's `*_OPTS()` macros).
pub fn opts<T>() -> T {
    // SAFETY: every opts struct is plain data (pointers, integers, bools,
    // nullable function pointers) for which all-zero is valid and means
    // "default"; sz is its first field.
    unsafe {
        let mut o: T = std::mem::zeroed();
        *(&mut o as *mut T as *mut size_t) = std::mem::size_of::<T>();
        o
    }
}

extern "C" {
    pub fn coolbpf_set_print(f: coolbpf_print_fn_t) -> coolbpf_print_fn_t;
    pub fn coolbpf_errmsg() -> *const c_char;

    pub fn coolbpf_compile_opts__from_env(opts: *mut coolbpf_compile_opts) -> c_int;
    pub fn coolbpf_object_opts__from_env(opts: *mut coolbpf_object_opts) -> c_int;

    pub fn coolbpf_object__open_file(
        path: *const c_char,
        opts: *const coolbpf_object_opts,
    ) -> *mut coolbpf_object;
    pub fn coolbpf_object__open_source(
        src: *const c_char,
        len: size_t,
        opts: *const coolbpf_object_opts,
    ) -> *mut coolbpf_object;
    pub fn coolbpf_object__open_mem(
        obj: *const c_void,
        obj_sz: size_t,
        opts: *const coolbpf_object_opts,
    ) -> *mut coolbpf_object;
    pub fn coolbpf_object__load(obj: *mut coolbpf_object) -> c_int;
    pub fn coolbpf_object__set_optional(
        obj: *mut coolbpf_object,
        prog: *const c_char,
        optional: bool,
    ) -> c_int;
    pub fn coolbpf_object__set_global(
        obj: *mut coolbpf_object,
        name: *const c_char,
        value: *const c_char,
    ) -> c_int;
    pub fn coolbpf_object__attach(obj: *mut coolbpf_object) -> c_int;
    pub fn coolbpf_object__detach(obj: *mut coolbpf_object);
    pub fn coolbpf_object__attach_program(
        obj: *mut coolbpf_object,
        prog: *const c_char,
        opts: *const coolbpf_attach_opts,
    ) -> *mut coolbpf_link;
    pub fn coolbpf_link__destroy(link: *mut coolbpf_link);
    pub fn coolbpf_link__perf_count(link: *const coolbpf_link) -> size_t;
    pub fn coolbpf_object__attach_count(obj: *const coolbpf_object) -> size_t;
    pub fn coolbpf_object__attach_info(
        obj: *const coolbpf_object,
        i: size_t,
    ) -> *const coolbpf_attach_info;
    pub fn coolbpf_object__btf_origin(obj: *const coolbpf_object) -> *const c_char;
    pub fn coolbpf_object__bpf(obj: *const coolbpf_object) -> *mut bpf_object;
    pub fn coolbpf_object__name(obj: *const coolbpf_object) -> *const c_char;
    pub fn coolbpf_object__close(obj: *mut coolbpf_object);

    pub fn coolbpf_object__map(obj: *const coolbpf_object, name: *const c_char)
        -> *mut coolbpf_map;
    pub fn coolbpf_object__next_map(
        obj: *const coolbpf_object,
        prev: *const coolbpf_map,
    ) -> *mut coolbpf_map;
    pub fn coolbpf_map__name(map: *const coolbpf_map) -> *const c_char;
    pub fn coolbpf_map__kind(map: *const coolbpf_map) -> c_int;
    pub fn coolbpf_map__fd(map: *const coolbpf_map) -> c_int;
    pub fn coolbpf_map__bpf(map: *const coolbpf_map) -> *mut bpf_map;
    pub fn coolbpf_map__key_size(map: *const coolbpf_map) -> u32;
    pub fn coolbpf_map__value_size(map: *const coolbpf_map) -> u32;
    pub fn coolbpf_map__percpu(map: *const coolbpf_map) -> bool;
    pub fn coolbpf_map__key_type_id(map: *const coolbpf_map) -> u32;
    pub fn coolbpf_map__value_type_id(map: *const coolbpf_map) -> u32;
    pub fn coolbpf_map__lost(map: *const coolbpf_map) -> u64;
    pub fn coolbpf_map__dropped(map: *const coolbpf_map) -> u64;
    pub fn coolbpf_map__hist_step(map: *const coolbpf_map) -> u64;
    pub fn coolbpf_object__btf(obj: *const coolbpf_object) -> *const btf;
    pub fn coolbpf_map__lookup(
        map: *const coolbpf_map,
        key: *const c_void,
        value: *mut c_void,
    ) -> c_int;
    pub fn coolbpf_map__update(
        map: *const coolbpf_map,
        key: *const c_void,
        value: *const c_void,
        flags: u64,
    ) -> c_int;
    pub fn coolbpf_map__delete(map: *const coolbpf_map, key: *const c_void) -> c_int;
    pub fn coolbpf_map__next_key(
        map: *const coolbpf_map,
        key: *const c_void,
        next: *mut c_void,
    ) -> c_int;
    pub fn coolbpf_map__pin(map: *mut coolbpf_map, path: *const c_char) -> c_int;

    pub fn coolbpf_decode(
        btf: *const btf,
        type_id: u32,
        data: *const c_void,
        size: size_t,
        fmt: c_int,
        buf: *mut c_char,
        buf_sz: size_t,
    ) -> c_int;
    pub fn coolbpf_buf__reset(buf: *mut coolbpf_buf);
    pub fn coolbpf_buf__release(buf: *mut coolbpf_buf);
    pub fn coolbpf_map__format_event(
        map: *mut coolbpf_map,
        data: *const c_void,
        size: size_t,
        opts: *const coolbpf_format_opts,
        out: *mut coolbpf_buf,
    ) -> c_int;
    pub fn coolbpf_map__format(
        map: *mut coolbpf_map,
        opts: *const coolbpf_format_opts,
        out: *mut coolbpf_buf,
    ) -> c_int;

    pub fn coolbpf_object__open_events(
        obj: *mut coolbpf_object,
        opts: *const coolbpf_events_opts,
    ) -> c_int;
    pub fn coolbpf_object__poll(obj: *mut coolbpf_object, timeout_ms: c_int) -> c_int;
    pub fn coolbpf_object__consume(obj: *mut coolbpf_object) -> c_int;
    pub fn coolbpf_object__events_fd(obj: *const coolbpf_object) -> c_int;
    pub fn coolbpf_object__lost_events(obj: *const coolbpf_object) -> u64;

    pub fn coolbpf_hist_format(
        buf: *mut c_char,
        buf_sz: size_t,
        name: *const c_char,
        slots: *const u64,
        nr_slots: c_uint,
        kind: c_int,
        step: u64,
        val_type: *const c_char,
        fmt: c_int,
    ) -> c_int;

    pub fn coolbpf_syms__new(pid: c_int) -> *mut coolbpf_syms;
    pub fn coolbpf_syms__resolve(
        syms: *mut coolbpf_syms,
        addr: u64,
        buf: *mut c_char,
        buf_sz: size_t,
    ) -> c_int;
    pub fn coolbpf_syms__free(syms: *mut coolbpf_syms);

    pub fn coolbpf_probe_hook(hook: c_int) -> c_int;
    pub fn coolbpf_mount_fs() -> c_int;

    // libbpf (libcoolbpf links it): what coolbpf.h leaves to it
    pub fn bpf_map__type(map: *const bpf_map) -> c_int;
    pub fn bpf_map__max_entries(map: *const bpf_map) -> u32;
    pub fn libbpf_num_possible_cpus() -> c_int;

    pub fn vsnprintf(buf: *mut c_char, n: size_t, fmt: *const c_char, ap: *mut c_void) -> c_int;
}
