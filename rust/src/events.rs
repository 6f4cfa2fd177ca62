//! Events of ring buffers and perf event arrays: an iterator and callbacks,
//! each event decoded by its BTF type through libcoolbpf's JSON.
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, Instant};

use libc::{c_int, c_void, size_t};
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{self, Error, Result};
use crate::ffi;
use crate::program::{cstr_opt, Program};

/// One decoded event: its fields by name, as JSON values (structs are
/// objects, arrays are arrays, `char[]` are strings, enums their names).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    map: Arc<str>,
    value: Value,
}

impl Event {
    /// The event map it came from.
    pub fn map(&self) -> &str {
        &self.map
    }
    /// A field, `None` when the event has no such field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.value.get(field)
    }
    /// An integer field (`None` when absent or not an unsigned integer).
    pub fn u64(&self, field: &str) -> Option<u64> {
        self.get(field).and_then(Value::as_u64)
    }
    pub fn i64(&self, field: &str) -> Option<i64> {
        self.get(field).and_then(Value::as_i64)
    }
    /// A string field (`char[]` members decode as strings).
    pub fn str(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }
    /// The whole event as a JSON value.
    pub fn value(&self) -> &Value {
        &self.value
    }
    pub fn into_value(self) -> Value {
        self.value
    }
    /// The event as a type of the caller's (`#[derive(Deserialize)]`, field
    /// names as in the C struct).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.value).map_err(|e| decode_err(&self.map, e))
    }
    pub fn into_typed<T: DeserializeOwned>(self) -> Result<T> {
        let map = self.map;
        serde_json::from_value(self.value).map_err(|e| decode_err(&map, e))
    }
}

impl std::ops::Index<&str> for Event {
    type Output = Value;
    /// The field, `Value::Null` when absent.
    fn index(&self, field: &str) -> &Value {
        &self.value[field]
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)
    }
}

fn decode_err(map: &str, e: serde_json::Error) -> Error {
    Error::Decode { what: format!("an event of map '{}'", map), source: e }
}

/// `{"map": NAME, "event": {...}}` as libcoolbpf formats an event: only
/// "event" is read, straight into T.
struct Envelope<T>(T);

enum Field {
    Event,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Field, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Field, E> {
                Ok(if s == "event" { Field::Event } else { Field::Other })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Envelope<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Envelope<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event record")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut ev = None;
                while let Some(k) = m.next_key::<Field>()? {
                    match k {
                        Field::Event => ev = Some(m.next_value::<T>()?),
                        Field::Other => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                ev.map(Envelope).ok_or_else(|| de::Error::missing_field("event"))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

type EventFn = Box<dyn FnMut(&Event) + Send>;
type JsonFn = Box<dyn FnMut(&[u8]) -> Result<()> + Send>;
type RawFn = Box<dyn FnMut(&[u8]) + Send>;
type LostFn = Box<dyn FnMut(&str, i32, u64) + Send>;

enum Sink {
    /// kept for an iterator (the default)
    Queue,
    Event(EventFn),
    Json(JsonFn),
    Raw(RawFn),
    /// its callback is running
    Taken,
}

struct EvMap {
    ptr: *mut ffi::coolbpf_map,
    name: Arc<str>,
}

enum Pending {
    Err(Error),
    Panic(Box<dyn Any + Send>),
}

struct Inner {
    maps: Vec<EvMap>,
    buf: RefCell<ffi::coolbpf_buf>,
    sinks: RefCell<Vec<Sink>>,
    queues: RefCell<Vec<VecDeque<Event>>>,
    on_lost: RefCell<Option<LostFn>>,
    pending: RefCell<Option<Pending>>,
    polling: Cell<bool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        unsafe { ffi::coolbpf_buf__release(self.buf.get_mut()) }
    }
}

/// The event side of a Program.
pub(crate) struct EventState {
    obj: NonNull<ffi::coolbpf_object>,
    perf_pages: usize,
    queue_size: usize,
    // boxed: its address is the C callbacks' ctx
    inner: Box<Inner>,
    open: bool,
}

impl EventState {
    pub(crate) fn new(
        obj: NonNull<ffi::coolbpf_object>,
        perf_pages: usize,
        queue_size: usize,
    ) -> EventState {
        EventState {
            obj,
            perf_pages,
            queue_size,
            inner: Box::new(Inner {
                maps: Vec::new(),
                buf: RefCell::new(ffi::coolbpf_buf { data: std::ptr::null_mut(), len: 0, cap: 0 }),
                sinks: RefCell::new(Vec::new()),
                queues: RefCell::new(Vec::new()),
                on_lost: RefCell::new(None),
                pending: RefCell::new(None),
                polling: Cell::new(false),
            }),
            open: false,
        }
    }

    /// Open the buffers of every ring buffer and perf event array (after load).
    pub(crate) fn open_if_any(&mut self) -> Result<()> {
        let obj = self.obj.as_ptr();
        let mut maps = Vec::new();
        let mut m = unsafe { ffi::coolbpf_object__next_map(obj, std::ptr::null()) };
        while !m.is_null() {
            let kind = unsafe { ffi::coolbpf_map__kind(m) };
            if kind == 1 || kind == 2 {
                let name = unsafe { cstr_opt(ffi::coolbpf_map__name(m)) }.unwrap_or_default();
                maps.push(EvMap { ptr: m, name: name.into() });
            }
            m = unsafe { ffi::coolbpf_object__next_map(obj, m) };
        }
        if maps.is_empty() {
            return Ok(());
        }
        let n = maps.len();
        self.inner.maps = maps;
        *self.inner.sinks.get_mut() = (0..n).map(|_| Sink::Queue).collect();
        *self.inner.queues.get_mut() = (0..n).map(|_| VecDeque::new()).collect();
        let mut o: ffi::coolbpf_events_opts = ffi::opts();
        o.on_event = Some(on_event);
        o.on_lost = Some(on_lost);
        o.ctx = &*self.inner as *const Inner as *mut c_void;
        o.perf_pages = self.perf_pages;
        o.queue_size = self.queue_size;
        let m = error::mark();
        let r = unsafe { ffi::coolbpf_object__open_events(obj, &o) };
        if r < 0 {
            let msg = error::message_since(m, -r, "cannot open the event buffers");
            return Err(Error::Events { msg, errno: -r });
        }
        self.open = true;
        Ok(())
    }

    fn index(&self, prog: &str, map: Option<&str>) -> Result<usize> {
        let maps = &self.inner.maps;
        let known = || maps.iter().map(|m| &*m.name).collect::<Vec<_>>().join(", ");
        match map {
            None if maps.len() == 1 => Ok(0),
            None => Err(Error::Invalid(format!(
                "'{}' has {} event maps: name one of them ({})",
                prog,
                maps.len(),
                known()
            ))),
            Some(name) => {
                maps.iter().position(|m| &*m.name == name).ok_or_else(|| Error::NoSuchMap {
                    program: prog.to_string(),
                    name: name.to_string(),
                    known: format!(
                        "event maps: {}",
                        if maps.is_empty() { "none".into() } else { known() }
                    ),
                })
            }
        }
    }

    fn set_sink(&self, i: usize, s: Sink) {
        self.inner.sinks.borrow_mut()[i] = s;
    }
}

unsafe extern "C" fn on_event(
    ctx: *mut c_void,
    map: *mut ffi::coolbpf_map,
    data: *const c_void,
    size: size_t,
) -> c_int {
    let inner = &*(ctx as *const Inner);
    let i = match inner.maps.iter().position(|m| m.ptr == map) {
        Some(i) => i,
        None => return 0,
    };
    let raw = if size == 0 { &[][..] } else { std::slice::from_raw_parts(data as *const u8, size) };
    // taken out of the table while its callback runs (which may register
    // another: that one stays)
    let mut sink = std::mem::replace(&mut inner.sinks.borrow_mut()[i], Sink::Taken);
    let res = panic::catch_unwind(AssertUnwindSafe(|| deliver(inner, i, map, raw, &mut sink)));
    {
        let mut sinks = inner.sinks.borrow_mut();
        if let Sink::Taken = sinks[i] {
            sinks[i] = sink;
        }
    }
    let pending = match res {
        Ok(Ok(())) => return 0,
        Ok(Err(e)) => Pending::Err(e),
        Err(p) => Pending::Panic(p),
    };
    *inner.pending.borrow_mut() = Some(pending);
    1 // stop: poll() reports it
}

fn deliver(
    inner: &Inner,
    i: usize,
    map: *mut ffi::coolbpf_map,
    raw: &[u8],
    sink: &mut Sink,
) -> Result<()> {
    if let Sink::Raw(f) = sink {
        f(raw);
        return Ok(());
    }
    let mut buf = inner.buf.borrow_mut();
    unsafe { ffi::coolbpf_buf__reset(&mut *buf) };
    let mut fo: ffi::coolbpf_format_opts = ffi::opts();
    fo.fmt = ffi::COOLBPF_FMT_JSON;
    let name = &inner.maps[i].name;
    let r = unsafe {
        ffi::coolbpf_map__format_event(
            map,
            raw.as_ptr() as *const c_void,
            raw.len(),
            &fo,
            &mut *buf,
        )
    };
    if r < 0 {
        return Err(Error::Events {
            msg: format!(
                "cannot decode an event of map '{}': {}",
                name,
                std::io::Error::from_raw_os_error(-r)
            ),
            errno: -r,
        });
    }
    let json: &[u8] = if buf.data.is_null() {
        b""
    } else {
        unsafe { std::slice::from_raw_parts(buf.data as *const u8, buf.len) }
    };
    let event = |json: &[u8]| -> Result<Event> {
        let Envelope(value) =
            serde_json::from_slice::<Envelope<Value>>(json).map_err(|e| decode_err(name, e))?;
        Ok(Event { map: name.clone(), value })
    };
    // the buffer stays borrowed during a callback: only poll() uses it,
    // and a callback cannot poll
    match sink {
        Sink::Json(f) => f(json),
        Sink::Event(f) => {
            f(&event(json)?);
            Ok(())
        }
        _ => {
            let ev = event(json)?;
            inner.queues.borrow_mut()[i].push_back(ev);
            Ok(())
        }
    }
}

unsafe extern "C" fn on_lost(ctx: *mut c_void, map: *mut ffi::coolbpf_map, cpu: c_int, count: u64) {
    let inner = &*(ctx as *const Inner);
    let name = match inner.maps.iter().find(|m| m.ptr == map) {
        Some(m) => m.name.clone(),
        None => return,
    };
    let cb = inner.on_lost.borrow_mut().take();
    if let Some(mut f) = cb {
        if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| f(&name, cpu, count))) {
            *inner.pending.borrow_mut() = Some(Pending::Panic(p));
        }
        let mut slot = inner.on_lost.borrow_mut();
        if slot.is_none() {
            *slot = Some(f);
        }
    }
}

/// Events of one map, decoded, in order, as the program sends them; see
/// [`Program::events`]. Ends at the timeout, or when a signal interrupts
/// the wait (Ctrl-C with a handler installed); an error ends it too.
pub struct Events<'p> {
    prog: &'p Program,
    idx: usize,
    deadline: Option<Instant>,
    done: bool,
}

impl fmt::Debug for Events<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("map", &self.prog.events.inner.maps[self.idx].name)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl<'p> Events<'p> {
    /// Stop after this long (default: never).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.deadline = Some(Instant::now() + d);
        self
    }
    /// Events of this map the kernel could not take, so far (the map's
    /// [`lost`](crate::Map::lost)).
    pub fn lost(&self) -> u64 {
        unsafe { ffi::coolbpf_map__lost(self.prog.events.inner.maps[self.idx].ptr) }
    }
    /// Events of this map taken from the kernel that the user-space queue
    /// had no room for, so far ([`Builder::queue_size`](crate::Builder::queue_size));
    /// 0 without a queue. Received + lost + dropped is what the program sent.
    pub fn dropped(&self) -> u64 {
        unsafe { ffi::coolbpf_map__dropped(self.prog.events.inner.maps[self.idx].ptr) }
    }
    /// Each event as a type of the caller's.
    pub fn typed<T: DeserializeOwned>(self) -> impl Iterator<Item = Result<T>> + 'p {
        self.map(|ev| ev.and_then(Event::into_typed))
    }
}

impl Iterator for Events<'_> {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        let inner = &self.prog.events.inner;
        loop {
            if self.done {
                return None;
            }
            if let Some(ev) = inner.queues.borrow_mut()[self.idx].pop_front() {
                return Some(Ok(ev));
            }
            let wait = match self.deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return None,
                },
            };
            match self.prog.poll_inner(wait) {
                Ok(Polled::Interrupted) => self.done = true,
                Ok(Polled::Events(_)) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

pub(crate) enum Polled {
    Events(usize),
    Interrupted,
}

fn timeout_ms(d: Option<Duration>) -> c_int {
    match d {
        None => -1,
        // round up: a wait of 0.3 ms is a wait, not a non-blocking check
        Some(d) => ((d.as_micros() + 999) / 1000).min(c_int::MAX as u128) as c_int,
    }
}

impl Program {
    /// Events of the program's only event map (an error names the maps
    /// when it has several: use [`Program::events_of`]).
    pub fn events(&self) -> Result<Events<'_>> {
        self.events_for(None)
    }
    /// Events of the event map `map`.
    pub fn events_of(&self, map: &str) -> Result<Events<'_>> {
        self.events_for(Some(map))
    }
    fn events_for(&self, map: Option<&str>) -> Result<Events<'_>> {
        let idx = self.events.index(&self.name, map)?;
        if !matches!(self.events.inner.sinks.borrow()[idx], Sink::Queue) {
            return Err(Error::Invalid(format!(
                "map '{}' of '{}' has a callback: events go there, not to an iterator \
                 (clear_callback() first)",
                self.events.inner.maps[idx].name, self.name
            )));
        }
        Ok(Events { prog: self, idx, deadline: None, done: false })
    }

    /// Call `f` with each event of `map`, decoded, from [`Program::poll`] on.
    pub fn on_event(&self, map: &str, f: impl FnMut(&Event) + Send + 'static) -> Result<()> {
        let i = self.events.index(&self.name, Some(map))?;
        self.events.set_sink(i, Sink::Event(Box::new(f)));
        Ok(())
    }
    /// Call `f` with each event of `map` decoded into a type of the caller's
    /// (`#[derive(Deserialize)]` with the C struct's field names; missing
    /// fields are an error, extra ones ignored). A value that does not fit
    /// ends the poll with [`Error::Decode`].
    pub fn on_event_typed<T, F>(&self, map: &str, mut f: F) -> Result<()>
    where
        T: DeserializeOwned,
        F: FnMut(T) + Send + 'static,
    {
        let i = self.events.index(&self.name, Some(map))?;
        let name = self.events.inner.maps[i].name.clone();
        self.events.set_sink(
            i,
            Sink::Json(Box::new(move |json| {
                let Envelope(t) = serde_json::from_slice::<Envelope<T>>(json)
                    .map_err(|e| decode_err(&name, e))?;
                f(t);
                Ok(())
            })),
        );
        Ok(())
    }
    /// Call `f` with the bytes of each event of `map`, undecoded (the
    /// cheapest: no decoding, no allocation).
    pub fn on_raw_event(&self, map: &str, f: impl FnMut(&[u8]) + Send + 'static) -> Result<()> {
        let i = self.events.index(&self.name, Some(map))?;
        self.events.set_sink(i, Sink::Raw(Box::new(f)));
        Ok(())
    }
    /// Back to queueing `map`'s events for an iterator.
    pub fn clear_callback(&self, map: &str) -> Result<()> {
        let i = self.events.index(&self.name, Some(map))?;
        self.events.set_sink(i, Sink::Queue);
        Ok(())
    }
    /// Call `f(map, cpu, count)` when a perf buffer reports lost events
    /// (they are counted either way: [`Program::lost_events`]).
    pub fn on_lost(&self, f: impl FnMut(&str, i32, u64) + Send + 'static) {
        *self.events.inner.on_lost.borrow_mut() = Some(Box::new(f));
    }

    /// Wait up to `timeout` (`None`: until something comes) and deliver
    /// what is ready: to the callbacks, else to the iterators' queues.
    /// Returns how many events; 0 on timeout and when a signal interrupted
    /// the wait. A callback's panic resumes here.
    pub fn poll(&self, timeout: Option<Duration>) -> Result<usize> {
        match self.poll_inner(timeout)? {
            Polled::Events(n) => Ok(n),
            Polled::Interrupted => Ok(0),
        }
    }

    /// Deliver what is ready without waiting.
    pub fn consume(&self) -> Result<usize> {
        self.run_poll(|obj| unsafe { ffi::coolbpf_object__consume(obj) }).map(|p| match p {
            Polled::Events(n) => n,
            Polled::Interrupted => 0,
        })
    }

    pub(crate) fn poll_inner(&self, timeout: Option<Duration>) -> Result<Polled> {
        let ms = timeout_ms(timeout);
        self.run_poll(|obj| unsafe { ffi::coolbpf_object__poll(obj, ms) })
    }

    fn run_poll(&self, f: impl FnOnce(*mut ffi::coolbpf_object) -> c_int) -> Result<Polled> {
        let inner = &self.events.inner;
        if !self.events.open {
            return Err(Error::Events {
                msg: format!("'{}' has no ring buffer or perf event array to poll", self.name),
                errno: libc::ENOENT,
            });
        }
        if inner.polling.replace(true) {
            return Err(Error::Invalid("poll() called from an event callback".into()));
        }
        let m = error::mark();
        let r = f(self.obj.as_ptr());
        inner.polling.set(false);
        match inner.pending.borrow_mut().take() {
            Some(Pending::Panic(p)) => panic::resume_unwind(p),
            Some(Pending::Err(e)) => return Err(e),
            None => {}
        }
        if r == -libc::EINTR {
            return Ok(Polled::Interrupted);
        }
        if r < 0 {
            let msg =
                error::message_since(m, -r, &format!("polling the events of '{}'", self.name));
            return Err(Error::Events { msg, errno: -r });
        }
        Ok(Polled::Events(r as usize))
    }

    /// A file descriptor that is readable when events are ready (for an
    /// event loop of the caller's; then [`Program::consume`]).
    pub fn events_fd(&self) -> i32 {
        unsafe { ffi::coolbpf_object__events_fd(self.obj.as_ptr()) }
    }

    /// Events lost so far over every event map: perf buffer overruns, and
    /// ring buffer records the program could not place.
    pub fn lost_events(&self) -> u64 {
        unsafe { ffi::coolbpf_object__lost_events(self.obj.as_ptr()) }
    }
}
