//! Maps: typed views of an object's maps, keys and values decoded by
//! their BTF types; histograms; stacks symbolized.
use std::borrow::Cow;
use std::ffi::CStr;
use std::fmt;

use libc::c_void;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{self, Error, Result};
use crate::ffi;
use crate::program::{cstr_opt, cstring, Program};

/// What a map is for (`enum coolbpf_map_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    /// hash, array, LRU, per-CPU...: a key/value table
    Plain,
    /// event output: ring buffer
    Ringbuf,
    /// event output: perf event array
    Perf,
    /// LBC_HIST2
    Hist2,
    /// LBC_HIST10
    Hist10,
    /// LBC_HIST_LINEAR
    HistLinear,
    /// stack trace map
    Stack,
    /// .data, .rodata, .bss, .kconfig
    Internal,
}

impl MapKind {
    fn from_c(k: libc::c_int) -> MapKind {
        match k {
            1 => MapKind::Ringbuf,
            2 => MapKind::Perf,
            3 => MapKind::Hist2,
            4 => MapKind::Hist10,
            5 => MapKind::HistLinear,
            6 => MapKind::Stack,
            7 => MapKind::Internal,
            _ => MapKind::Plain,
        }
    }
}

/// Output format of [`Map::format`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// as `coolbpf run` prints it
    Text,
    /// one JSON object per line, as `coolbpf run --json`
    Json,
}

impl Format {
    fn c(self) -> libc::c_int {
        match self {
            Format::Text => ffi::COOLBPF_FMT_TEXT,
            Format::Json => ffi::COOLBPF_FMT_JSON,
        }
    }
}

/// A key or a value given to a map: an integer (stored in the map's size,
/// in host byte order, when it fits) or bytes of exactly its size.
pub trait MapBytes {
    /// Bytes of exactly `size`, or `None` when it does not fit.
    fn map_bytes(&self, size: usize) -> Option<Cow<'_, [u8]>>;
}

macro_rules! int_bytes {
    ($($t:ty),*) => {$(
        impl MapBytes for $t {
            fn map_bytes(&self, size: usize) -> Option<Cow<'_, [u8]>> {
                let v = *self as i128;
                let bits = 8 * size as u32;
                let fits = size <= 16
                    && if v < 0 { bits >= 128 || v >= -(1i128 << (bits - 1)) } else { bits >= 128 || v < (1i128 << bits) };
                if !fits || size == 0 {
                    return None;
                }
                #[cfg(target_endian = "little")]
                let b = v.to_le_bytes()[..size].to_vec();
                #[cfg(target_endian = "big")]
                let b = v.to_be_bytes()[16 - size..].to_vec();
                Some(Cow::Owned(b))
            }
        }
    )*};
}
int_bytes!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl MapBytes for [u8] {
    fn map_bytes(&self, size: usize) -> Option<Cow<'_, [u8]>> {
        (self.len() == size).then_some(Cow::Borrowed(self))
    }
}
impl MapBytes for Vec<u8> {
    fn map_bytes(&self, size: usize) -> Option<Cow<'_, [u8]>> {
        self.as_slice().map_bytes(size)
    }
}
impl<const N: usize> MapBytes for [u8; N] {
    fn map_bytes(&self, size: usize) -> Option<Cow<'_, [u8]>> {
        self[..].map_bytes(size)
    }
}
impl<T: MapBytes + ?Sized> MapBytes for &T {
    fn map_bytes(&self, size: usize) -> Option<Cow<'_, [u8]>> {
        (**self).map_bytes(size)
    }
}

/// One entry of a map: key and value decoded, and the key's bytes (to
/// give back to [`Map::get`] or [`Map::delete`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Value,
    pub value: Value,
    pub raw_key: Vec<u8>,
}

impl Entry {
    pub fn key_as<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.key).map_err(|e| Error::Decode { what: "a map key".into(), source: e })
    }
    pub fn value_as<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.value)
            .map_err(|e| Error::Decode { what: "a map value".into(), source: e })
    }
}

/// A map of a loaded [`Program`].
pub struct Map<'p> {
    prog: &'p Program,
    ptr: *mut ffi::coolbpf_map,
    name: String,
}

impl Program {
    /// The map `name` (an error lists the maps there are).
    pub fn map(&self, name: &str) -> Result<Map<'_>> {
        let c = cstring("map name", name)?;
        let ptr = unsafe { ffi::coolbpf_object__map(self.obj.as_ptr(), c.as_ptr()) };
        if ptr.is_null() {
            let known: Vec<String> = self.maps().iter().map(|m| m.name.clone()).collect();
            return Err(Error::NoSuchMap {
                program: self.name.clone(),
                name: name.to_string(),
                known: known.join(", "),
            });
        }
        Ok(Map { prog: self, ptr, name: name.to_string() })
    }

    /// Every map, in the object's order (internal ones included).
    pub fn maps(&self) -> Vec<Map<'_>> {
        let obj = self.obj.as_ptr();
        let mut out = Vec::new();
        let mut m = unsafe { ffi::coolbpf_object__next_map(obj, std::ptr::null()) };
        while !m.is_null() {
            let name = unsafe { cstr_opt(ffi::coolbpf_map__name(m)) }.unwrap_or_default();
            out.push(Map { prog: self, ptr: m, name });
            m = unsafe { ffi::coolbpf_object__next_map(obj, m) };
        }
        out
    }
}

const BPF_MAP_TYPE_ARRAY: libc::c_int = 2;
const BPF_MAP_TYPE_PERCPU_ARRAY: libc::c_int = 6;

impl<'p> Map<'p> {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn kind(&self) -> MapKind {
        MapKind::from_c(unsafe { ffi::coolbpf_map__kind(self.ptr) })
    }
    pub fn fd(&self) -> i32 {
        unsafe { ffi::coolbpf_map__fd(self.ptr) }
    }
    pub fn key_size(&self) -> usize {
        unsafe { ffi::coolbpf_map__key_size(self.ptr) as usize }
    }
    /// For per-CPU maps, the size of one CPU's value.
    pub fn value_size(&self) -> usize {
        unsafe { ffi::coolbpf_map__value_size(self.ptr) as usize }
    }
    pub fn percpu(&self) -> bool {
        unsafe { ffi::coolbpf_map__percpu(self.ptr) }
    }
    pub fn max_entries(&self) -> u32 {
        unsafe { ffi::bpf_map__max_entries(ffi::coolbpf_map__bpf(self.ptr)) }
    }
    /// The kernel's BPF_MAP_TYPE_* number.
    pub fn map_type(&self) -> i32 {
        unsafe { ffi::bpf_map__type(ffi::coolbpf_map__bpf(self.ptr)) }
    }
    /// Events of an event map the kernel could not take, so far: every
    /// failed `bpf_ringbuf_reserve`/`_output`/`bpf_perf_event_output` of a
    /// program built with lbc.h, perf's lost-record reports.
    pub fn lost(&self) -> u64 {
        unsafe { ffi::coolbpf_map__lost(self.ptr) }
    }
    /// Events of an event map taken from the kernel that the user-space
    /// queue ([`Builder::queue_size`](crate::Builder::queue_size)) had no
    /// room for: the consumer did not keep up. 0 without a queue.
    pub fn dropped(&self) -> u64 {
        unsafe { ffi::coolbpf_map__dropped(self.ptr) }
    }

    fn ncpu(&self) -> usize {
        if self.percpu() {
            (unsafe { ffi::libbpf_num_possible_cpus() }).max(1) as usize
        } else {
            1
        }
    }
    fn stride(&self) -> usize {
        if self.percpu() {
            (self.value_size() + 7) & !7
        } else {
            self.value_size()
        }
    }

    fn key<'k>(&self, key: &'k (impl MapBytes + ?Sized)) -> Result<Cow<'k, [u8]>> {
        key.map_bytes(self.key_size()).ok_or_else(|| {
            Error::Invalid(format!(
                "map '{}': a key is {} bytes: give an integer that fits, or {} bytes",
                self.name,
                self.key_size(),
                self.key_size()
            ))
        })
    }

    /// The value's bytes (every CPU's, each padded to 8 bytes, for a per-CPU
    /// map), `None` when the key is absent.
    pub fn get_raw(&self, key: &(impl MapBytes + ?Sized)) -> Result<Option<Vec<u8>>> {
        let k = self.key(key)?;
        let mut v = vec![0u8; self.stride() * self.ncpu()];
        let r = unsafe {
            ffi::coolbpf_map__lookup(
                self.ptr,
                k.as_ptr() as *const c_void,
                v.as_mut_ptr() as *mut c_void,
            )
        };
        match r {
            0 => Ok(Some(v)),
            r if r == -libc::ENOENT => Ok(None),
            r => Err(error::map_err(&self.name, "lookup", r)),
        }
    }

    /// The value, decoded (a per-CPU map: an array, one value per CPU);
    /// `None` when the key is absent.
    pub fn get(&self, key: &(impl MapBytes + ?Sized)) -> Result<Option<Value>> {
        match self.get_raw(key)? {
            None => Ok(None),
            Some(raw) => self.decode_value(&raw).map(Some),
        }
    }

    /// The value as a type of the caller's.
    pub fn get_as<T: DeserializeOwned>(&self, key: &(impl MapBytes + ?Sized)) -> Result<Option<T>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => serde_json::from_value(v).map(Some).map_err(|e| Error::Decode {
                what: format!("a value of map '{}'", self.name),
                source: e,
            }),
        }
    }

    /// Set key to value (`flags`: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2). A
    /// per-CPU map gets the value on every CPU.
    pub fn update(
        &self,
        key: &(impl MapBytes + ?Sized),
        value: &(impl MapBytes + ?Sized),
        flags: u64,
    ) -> Result<()> {
        let k = self.key(key)?;
        let size = self.value_size();
        let one = value.map_bytes(size).ok_or_else(|| {
            Error::Invalid(format!(
                "map '{}': a value is {} bytes: give an integer that fits, or {} bytes",
                self.name, size, size
            ))
        })?;
        let stride = self.stride();
        let mut v = vec![0u8; stride * self.ncpu()];
        for cpu in v.chunks_mut(stride) {
            cpu[..size].copy_from_slice(&one);
        }
        let r = unsafe {
            ffi::coolbpf_map__update(
                self.ptr,
                k.as_ptr() as *const c_void,
                v.as_ptr() as *const c_void,
                flags,
            )
        };
        if r < 0 {
            return Err(error::map_err(&self.name, "update", r));
        }
        Ok(())
    }

    /// Remove key; `false` when it was not there. (Array entries cannot be
    /// removed: [`Map::clear`] zeroes them.)
    pub fn delete(&self, key: &(impl MapBytes + ?Sized)) -> Result<bool> {
        let k = self.key(key)?;
        match unsafe { ffi::coolbpf_map__delete(self.ptr, k.as_ptr() as *const c_void) } {
            0 => Ok(true),
            r if r == -libc::ENOENT => Ok(false),
            r => Err(error::map_err(&self.name, "delete", r)),
        }
    }

    /// The keys' bytes, read as the iteration goes.
    pub fn keys(&self) -> Keys<'_> {
        Keys { map: self, prev: None, done: false, seen: 0 }
    }

    /// Every entry, decoded, read as the iteration goes (entries deleted
    /// meanwhile are skipped).
    pub fn iter(&self) -> impl Iterator<Item = Result<Entry>> + '_ {
        self.keys().filter_map(move |k| {
            let k = match k {
                Ok(k) => k,
                Err(e) => return Some(Err(e)),
            };
            match self.get_raw(&k) {
                Ok(None) => None,
                Ok(Some(v)) => Some(self.entry(k, &v)),
                Err(e) => Some(Err(e)),
            }
        })
    }

    /// [`Map::iter`], collected.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        self.iter().collect()
    }

    fn entry(&self, raw_key: Vec<u8>, raw_value: &[u8]) -> Result<Entry> {
        let key = self.prog_decode(unsafe { ffi::coolbpf_map__key_type_id(self.ptr) }, &raw_key)?;
        Ok(Entry { key, value: self.decode_value(raw_value)?, raw_key })
    }

    /// Remove every entry (array entries are zeroed); how many there were.
    pub fn clear(&self) -> Result<usize> {
        let keys: Vec<Vec<u8>> = self.keys().collect::<Result<_>>()?;
        let array = matches!(self.map_type(), BPF_MAP_TYPE_ARRAY | BPF_MAP_TYPE_PERCPU_ARRAY);
        let zero = vec![0u8; self.value_size()];
        for k in &keys {
            if array {
                self.update(k, &zero, 0)?;
            } else {
                self.delete(k)?;
            }
        }
        Ok(keys.len())
    }

    fn decode_value(&self, raw: &[u8]) -> Result<Value> {
        let tid = unsafe { ffi::coolbpf_map__value_type_id(self.ptr) };
        if self.kind() == MapKind::Stack {
            return Ok(Value::from(stack_addrs(raw)));
        }
        if !self.percpu() {
            return self.prog_decode(tid, &raw[..self.value_size().min(raw.len())]);
        }
        let (size, stride) = (self.value_size(), self.stride());
        raw.chunks(stride)
            .map(|c| self.prog_decode(tid, &c[..size]))
            .collect::<Result<Vec<_>>>()
            .map(Value::Array)
    }

    fn prog_decode(&self, type_id: u32, data: &[u8]) -> Result<Value> {
        decode(self.prog, type_id, data).map_err(|r| error::map_err(&self.name, "decode", r))
    }

    /// A histogram map's slots (LBC_HIST2, LBC_HIST10, LBC_HIST_LINEAR).
    pub fn hist(&self) -> Result<Histogram> {
        let kind = match self.kind() {
            MapKind::Hist2 => HistKind::Log2,
            MapKind::Hist10 => HistKind::Log10,
            MapKind::HistLinear => HistKind::Linear,
            k => {
                return Err(Error::Invalid(format!(
                    "map '{}' is not a histogram ({:?})",
                    self.name, k
                )))
            }
        };
        let mut counts = Vec::with_capacity(self.max_entries() as usize);
        for slot in 0..self.max_entries() {
            let v = self.get_raw(&slot)?.unwrap_or_default();
            let mut c = 0u64;
            for cpu in v.chunks(self.stride().max(1)) {
                let mut b = [0u8; 8];
                let n = cpu.len().min(8);
                b[..n].copy_from_slice(&cpu[..n]);
                c += u64::from_ne_bytes(b);
            }
            counts.push(c);
        }
        Ok(Histogram {
            name: self.name.clone(),
            kind,
            step: unsafe { ffi::coolbpf_map__hist_step(self.ptr) },
            counts,
        })
    }

    /// A stack map's addresses for `stack_id` (innermost first, zeros
    /// dropped); `None` when the id is not there (or negative: the program's
    /// bpf_get_stackid() failed).
    pub fn stack_addrs(&self, stack_id: i64) -> Result<Option<Vec<u64>>> {
        if self.kind() != MapKind::Stack {
            return Err(Error::Invalid(format!("map '{}' is not a stack map", self.name)));
        }
        if stack_id < 0 || stack_id > u32::MAX as i64 {
            return Ok(None);
        }
        Ok(self.get_raw(&(stack_id as u32))?.map(|v| stack_addrs(&v)))
    }

    /// The stack `stack_id`, symbolized: ["__schedule+0x2b1", ...]; for
    /// `pid > 0` user-space frames through that process's symbols.
    pub fn stack(&self, stack_id: i64, pid: i32) -> Result<Vec<String>> {
        let addrs = self.stack_addrs(stack_id)?.unwrap_or_default();
        addrs.iter().map(|&a| self.prog.syms_resolve(pid, a)).collect()
    }

    /// The whole map as `coolbpf run` prints it on exit (histograms drawn,
    /// stacks symbolized, tables as key/value lines).
    pub fn format(&self, fmt: Format) -> Result<String> {
        let mut o: ffi::coolbpf_format_opts = ffi::opts();
        o.fmt = fmt.c();
        let mut buf = ffi::coolbpf_buf { data: std::ptr::null_mut(), len: 0, cap: 0 };
        let r = unsafe { ffi::coolbpf_map__format(self.ptr, &o, &mut buf) };
        let s = if buf.data.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(buf.data) }.to_string_lossy().into_owned()
        };
        unsafe { ffi::coolbpf_buf__release(&mut buf) };
        if r < 0 {
            return Err(error::map_err(&self.name, "format", r));
        }
        Ok(s)
    }

    /// Pin under bpffs (mounted if missing): the map outlives the program.
    pub fn pin(&self, path: &str) -> Result<()> {
        let c = cstring("pin path", path)?;
        let m = error::mark();
        let r = unsafe { ffi::coolbpf_map__pin(self.ptr, c.as_ptr()) };
        if r < 0 {
            return Err(Error::Map {
                map: self.name.clone(),
                msg: error::message_since(m, -r, &format!("cannot pin at '{}'", path)),
                errno: -r,
            });
        }
        Ok(())
    }
}

impl fmt::Debug for Map<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map").field("name", &self.name).field("kind", &self.kind()).finish()
    }
}

fn stack_addrs(raw: &[u8]) -> Vec<u64> {
    raw.chunks_exact(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .filter(|&a| a != 0)
        .collect()
}

/// Bytes of BTF type `type_id` as JSON, parsed; without a type, an
/// integer of 1, 2, 4 or 8 bytes, else an array of the bytes.
fn decode(prog: &Program, type_id: u32, data: &[u8]) -> std::result::Result<Value, i32> {
    if type_id == 0 {
        let mut b = [0u8; 8];
        return Ok(match data.len() {
            1 | 2 | 4 | 8 => {
                #[cfg(target_endian = "little")]
                b[..data.len()].copy_from_slice(data);
                #[cfg(target_endian = "big")]
                b[8 - data.len()..].copy_from_slice(data);
                Value::from(u64::from_ne_bytes(b))
            }
            _ => Value::from(data.to_vec()),
        });
    }
    let btf = unsafe { ffi::coolbpf_object__btf(prog.obj.as_ptr()) };
    let mut buf: Vec<u8> = vec![0; 256];
    loop {
        let n = unsafe {
            ffi::coolbpf_decode(
                btf,
                type_id,
                data.as_ptr() as *const c_void,
                data.len(),
                ffi::COOLBPF_FMT_JSON,
                buf.as_mut_ptr() as *mut libc::c_char,
                buf.len(),
            )
        };
        if n < 0 {
            return Err(n);
        }
        let n = n as usize;
        if n < buf.len() {
            return serde_json::from_slice(&buf[..n]).map_err(|_| -libc::EINVAL);
        }
        buf.resize(n + 1, 0);
    }
}

/// Scale of a histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistKind {
    /// bucket k counts [2^k, 2^(k+1))
    Log2,
    /// bucket k counts [10^k, 10^(k+1))
    Log10,
    /// bucket k counts [k*step, (k+1)*step)
    Linear,
}

/// One bucket of a histogram: values in [low, high].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub low: u64,
    pub high: u64,
    pub count: u64,
}

/// A histogram read from a histogram map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    pub name: String,
    pub kind: HistKind,
    /// bucket width of a linear histogram
    pub step: u64,
    /// every slot's count
    pub counts: Vec<u64>,
}

impl Histogram {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn format(&self, fmt: libc::c_int, val_type: &str) -> Result<String> {
        let name = cstring("histogram name", &self.name)?;
        let vt = cstring("value type", val_type)?;
        let kind = match self.kind {
            HistKind::Log2 => 0,
            HistKind::Log10 => 1,
            HistKind::Linear => 2,
        };
        let call = |buf: *mut libc::c_char, sz: usize| unsafe {
            ffi::coolbpf_hist_format(
                buf,
                sz,
                name.as_ptr(),
                self.counts.as_ptr(),
                self.counts.len() as libc::c_uint,
                kind,
                self.step,
                vt.as_ptr(),
                fmt,
            )
        };
        let n = call(std::ptr::null_mut(), 0);
        if n < 0 {
            return Err(error::map_err(&self.name, "histogram", n));
        }
        let mut buf = vec![0u8; n as usize + 1];
        call(buf.as_mut_ptr() as *mut libc::c_char, buf.len());
        buf.truncate(n as usize);
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// BCC's print_log2_hist layout, `val_type` heading the first column.
    pub fn text(&self, val_type: &str) -> Result<String> {
        self.format(ffi::COOLBPF_FMT_TEXT, val_type)
    }

    /// The buckets from the first to the last non-empty one.
    pub fn buckets(&self) -> Result<Vec<Bucket>> {
        let json = self.format(ffi::COOLBPF_FMT_JSON, "value")?;
        let v: Value = serde_json::from_str(&json)
            .map_err(|e| Error::Decode { what: format!("histogram '{}'", self.name), source: e })?;
        let field = |b: &Value, f: &str| b.get(f).and_then(Value::as_u64).unwrap_or(0);
        Ok(v["hist"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|b| Bucket {
                        low: field(b, "low"),
                        high: field(b, "high"),
                        count: field(b, "count"),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl fmt::Display for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text("value").map_err(|_| fmt::Error)?)
    }
}

/// Keys of a map, read one `next_key` at a time; see [`Map::keys`].
pub struct Keys<'a> {
    map: &'a Map<'a>,
    prev: Option<Vec<u8>>,
    done: bool,
    seen: usize,
}

impl Iterator for Keys<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        if self.done {
            return None;
        }
        let mut next = vec![0u8; self.map.key_size()];
        let prev = self.prev.as_ref().map_or(std::ptr::null(), |p| p.as_ptr() as *const c_void);
        let r = unsafe {
            ffi::coolbpf_map__next_key(self.map.ptr, prev, next.as_mut_ptr() as *mut c_void)
        };
        if r == -libc::ENOENT {
            self.done = true;
            return None;
        }
        if r < 0 {
            self.done = true;
            return Some(Err(error::map_err(&self.map.name, "next key", r)));
        }
        // a key deleted under the iteration restarts it from the first
        self.seen += 1;
        if self.seen > 4 * self.map.max_entries() as usize + 1024 {
            self.done = true;
            return Some(Err(Error::Map {
                map: self.map.name.clone(),
                msg: "key iteration does not end: the map changes faster than it is read".into(),
                errno: libc::EAGAIN,
            }));
        }
        self.prev = Some(next.clone());
        Some(Ok(next))
    }
}
