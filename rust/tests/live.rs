//! The crate on the running kernel (root): real programs of
//! tests/bindings/ loaded, triggered by this test's own calls, and what
//! they counted read back. Tests run in parallel threads: each program
//! counts only the thread whose id the test writes into its target_tid map.
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coolbpf::{Attach, Error, Event, Format, HistKind, MapKind, Program};
use serde::Deserialize;

fn progs() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/bindings"))
}

fn tid() -> u32 {
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

fn comm() -> String {
    std::fs::read_to_string("/proc/thread-self/comm").unwrap().trim().to_string()
}

fn getppid_n(n: usize) {
    for _ in 0..n {
        unsafe { libc::getppid() };
    }
}

/// maps.bpf.c, opened by `b`, counting this thread.
fn target(p: Program) -> Program {
    p.map("target_tid").unwrap().update(&0u32, &tid(), 0).unwrap();
    p
}

fn maps_prog() -> Program {
    target(Program::from_source(progs().join("maps.bpf.c")).unwrap())
}

const N: usize = 5;

#[derive(Debug, Deserialize, PartialEq)]
struct Ev {
    tid: u32,
    seq: u32,
    seq_squared: u64,
    comm: String,
}

#[test]
fn events_iterator_decodes_every_field() {
    let p = maps_prog();
    getppid_n(N);
    let evs: Vec<Event> = p
        .events_of("events")
        .unwrap()
        .timeout(Duration::from_secs(10))
        .take(N)
        .map(Result::unwrap)
        .collect();
    assert_eq!(evs.len(), N);
    for (i, ev) in evs.iter().enumerate() {
        let seq = i as u64 + 1;
        assert_eq!(ev.map(), "events");
        assert_eq!(ev.u64("tid"), Some(tid() as u64));
        assert_eq!(ev["seq"], seq);
        assert_eq!(ev.u64("seq_squared"), Some(seq * seq));
        assert_eq!(ev.str("comm"), Some(comm().as_str()));
        assert!(ev.get("nope").is_none());
        let typed: Ev = ev.deserialize().unwrap();
        assert_eq!(typed, Ev { tid: tid(), seq: seq as u32, seq_squared: seq * seq, comm: comm() });
    }
    // nothing more than what this thread caused
    assert!(p.events_of("events").unwrap().timeout(Duration::from_millis(200)).next().is_none());
}

#[test]
fn events_iterator_typed() {
    let p = maps_prog();
    getppid_n(N);
    let seqs: Vec<u32> = p
        .events_of("events")
        .unwrap()
        .timeout(Duration::from_secs(10))
        .typed::<Ev>()
        .take(N)
        .map(|e| e.unwrap().seq)
        .collect();
    assert_eq!(seqs, (1..=N as u32).collect::<Vec<_>>());
}

#[test]
fn callbacks_decoded_typed_and_raw() {
    let p = maps_prog();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    // perf event array: decoded events
    p.on_event("pevents", move |ev| s.lock().unwrap().push(ev.u64("seq").unwrap())).unwrap();
    // ring buffer: into a struct of ours, straight from the JSON
    let typed = Arc::new(Mutex::new(Vec::new()));
    let t = typed.clone();
    p.on_event_typed("events", move |e: Ev| t.lock().unwrap().push(e.seq)).unwrap();
    // the small ring buffer: bytes as the program wrote them
    let raw = Arc::new(AtomicUsize::new(0));
    let r = raw.clone();
    let me = tid();
    p.on_raw_event("small", move |b| {
        assert_eq!(b.len(), 32);
        assert_eq!(u32::from_ne_bytes(b[..4].try_into().unwrap()), me);
        r.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    // an iterator does not take events that go to a callback
    assert!(matches!(p.events_of("events"), Err(Error::Invalid(_))));
    getppid_n(N);
    let end = Instant::now() + Duration::from_secs(10);
    while (seen.lock().unwrap().len() < N
        || typed.lock().unwrap().len() < N
        || raw.load(Ordering::SeqCst) < N)
        && Instant::now() < end
    {
        p.poll(Some(Duration::from_millis(100))).unwrap();
    }
    assert_eq!(*seen.lock().unwrap(), (1..=N as u64).collect::<Vec<_>>());
    assert_eq!(*typed.lock().unwrap(), (1..=N as u32).collect::<Vec<_>>());
    assert_eq!(raw.load(Ordering::SeqCst), N);
    assert_eq!(p.lost_events(), 0);
}

#[test]
fn callback_errors_and_panics_reach_poll() {
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        no_such_field: u32,
    }
    let p = maps_prog();
    p.on_event_typed("events", |_: Wrong| {}).unwrap();
    getppid_n(1);
    let end = Instant::now() + Duration::from_secs(10);
    let err = loop {
        match p.poll(Some(Duration::from_millis(100))) {
            Err(e) => break e,
            Ok(_) if Instant::now() < end => continue,
            Ok(_) => panic!("the event never came"),
        }
    };
    assert!(matches!(err, Error::Decode { .. }), "{:?}", err);
    assert!(err.to_string().contains("no_such_field"), "{}", err);

    p.on_event("pevents", |_| panic!("boom from a callback")).unwrap();
    p.clear_callback("events").unwrap();
    getppid_n(1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for _ in 0..100 {
            p.poll(Some(Duration::from_millis(100))).unwrap();
        }
    }));
    let msg = r.expect_err("the callback's panic resumes in poll");
    assert_eq!(msg.downcast_ref::<&str>(), Some(&"boom from a callback"));
}

#[test]
fn lost_events_are_counted() {
    // no queue: nobody reads the one-page ring buffer while these run,
    // so most of them cannot fit
    let p =
        target(Program::builder_source(progs().join("maps.bpf.c")).queue_size(0).open().unwrap());
    getppid_n(500);
    let small = p.map("small").unwrap();
    assert_eq!(small.kind(), MapKind::Ringbuf);
    let lost = small.lost();
    assert!((300..500).contains(&lost), "lost {}", lost);
    assert!(p.lost_events() >= lost);
    // what fitted is there
    let evs = p.events_of("small").unwrap().timeout(Duration::from_millis(500));
    let kept = evs.count() as u64;
    assert_eq!(kept + lost, 500);
    assert_eq!(small.dropped(), 0, "no queue, nothing dropped");
}

#[test]
fn queue_is_the_default_and_its_drops_are_counted_apart() {
    // the default queue: a drain thread empties the kernel's buffers as
    // events come, so the one-page ring buffer keeps up with this pace
    // far better than with no queue
    let p = maps_prog();
    getppid_n(500);
    let mut small = p.events_of("small").unwrap().timeout(Duration::from_millis(500));
    let kept = small.by_ref().count() as u64;
    assert_eq!(kept + small.lost() + small.dropped(), 500);
    assert_eq!(small.dropped(), 0, "256 MiB hold 500 events");

    // a 4 KiB queue behind a 256 KiB ring buffer that holds all 500: the
    // drain thread takes them all, the queue keeps what fits, the rest
    // is dropped, none lost in the kernel
    let p = target(
        Program::builder_source(progs().join("maps.bpf.c")).queue_size(4096).open().unwrap(),
    );
    getppid_n(500);
    std::thread::sleep(Duration::from_millis(200)); // the drain thread's turn
    let mut evs = p.events_of("events").unwrap().timeout(Duration::from_millis(500));
    let seqs: Vec<u64> = evs.by_ref().map(|e| e.unwrap().u64("seq").unwrap()).collect();
    let (lost, dropped) = (evs.lost(), evs.dropped());
    assert_eq!(lost, 0);
    assert!(dropped > 0 && seqs.len() < 200, "kept {}, dropped {}", seqs.len(), dropped);
    assert_eq!(seqs.len() as u64 + dropped, 500);
    assert_eq!(p.map("events").unwrap().dropped(), dropped);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order, none twice");
}

#[derive(Debug, Deserialize, PartialEq)]
struct Key {
    tid: u32,
    comm: String,
}

#[test]
fn maps_get_iterate_delete_clear() {
    let p = maps_prog();
    getppid_n(N);
    let me = tid();
    let n = N as u64;

    let by_tid = p.map("by_tid").unwrap();
    assert_eq!(by_tid.kind(), MapKind::Plain);
    assert_eq!((by_tid.key_size(), by_tid.value_size()), (4, 8));
    assert_eq!(by_tid.get(&me).unwrap(), Some(n.into()));
    assert_eq!(by_tid.get_as::<u64>(&me).unwrap(), Some(n));
    assert_eq!(by_tid.get(&(me + 1)).unwrap(), None);
    assert!(matches!(by_tid.get(&(1u64 << 40)), Err(Error::Invalid(_))));
    assert_eq!(
        by_tid.keys().map(Result::unwrap).collect::<Vec<_>>(),
        vec![me.to_ne_bytes().to_vec()]
    );
    by_tid.update(&(me + 1), &7u64, 0).unwrap();
    assert_eq!(by_tid.get(&(me + 1)).unwrap(), Some(7.into()));
    assert!(by_tid.delete(&(me + 1)).unwrap());
    assert!(!by_tid.delete(&(me + 1)).unwrap());

    // struct keys and values, decoded by their BTF types
    let by_key = p.map("by_key").unwrap();
    let entries = by_key.entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].key_as::<Key>().unwrap(), Key { tid: me, comm: comm() });
    assert_eq!(entries[0].value["calls"], n);
    assert_eq!(entries[0].value["last_seq"], n);
    assert!(matches!(by_key.get(&1u32), Err(Error::Invalid(ref m)) if m.contains("20 bytes")));
    assert_eq!(by_key.get(&entries[0].raw_key).unwrap().unwrap()["calls"], n);

    // an array: entries cannot be deleted, clear() zeroes them
    let arr = p.map("arr").unwrap();
    assert_eq!(arr.max_entries(), 4);
    let vals: Vec<u64> = (0u32..4).map(|k| arr.get_as(&k).unwrap().unwrap()).collect();
    assert_eq!(vals, vec![0, 2 * n, 0, n]);
    assert_eq!(arr.clear().unwrap(), 4);
    assert_eq!(arr.get_as::<u64>(&1u32).unwrap(), Some(0));

    // per-CPU: one value per possible CPU, summing to the calls
    let pch = p.map("pch").unwrap();
    assert!(pch.percpu());
    let per_cpu = pch.get(&me).unwrap().unwrap();
    let per_cpu = per_cpu.as_array().unwrap();
    assert!(!per_cpu.is_empty());
    assert_eq!(per_cpu.iter().map(|v| v.as_u64().unwrap()).sum::<u64>(), n);

    // clear a hash, as coolbpf run prints a map
    assert!(by_tid.format(Format::Json).unwrap().contains(&format!("\"key\": {}", me)));
    assert_eq!(by_tid.clear().unwrap(), 1);
    assert_eq!(by_tid.iter().count(), 0);
    let names: Vec<String> = p.maps().iter().map(|m| m.name().to_string()).collect();
    assert!(names.iter().any(|n| n == "h2") && names.iter().any(|n| n == "stacks"), "{:?}", names);
    let err = p.map("nope").unwrap_err();
    assert!(matches!(err, Error::NoSuchMap { .. }));
    assert!(err.to_string().contains("by_tid"), "{}", err);
}

#[test]
fn histograms_and_stacks() {
    let p = maps_prog();
    getppid_n(N); // seq 1..5
    let h = p.map("h2").unwrap().hist().unwrap();
    assert_eq!(h.kind, HistKind::Log2);
    assert_eq!(h.total(), N as u64);
    let b: Vec<(u64, u64, u64)> =
        h.buckets().unwrap().iter().map(|b| (b.low, b.high, b.count)).collect();
    assert_eq!(b, vec![(0, 1, 1), (2, 3, 2), (4, 7, 2)]);
    let text = h.text("seq").unwrap();
    assert!(text.contains("seq") && text.contains("|**"), "{}", text);

    let hl = p.map("hl").unwrap().hist().unwrap();
    assert_eq!((hl.kind, hl.step), (HistKind::Linear, 10));
    assert_eq!(hl.counts[0], N as u64);
    assert!(matches!(p.map("by_tid").unwrap().hist(), Err(Error::Invalid(_))));

    let id: i64 = p.map("last_stack").unwrap().get_as(&0u32).unwrap().unwrap();
    assert!(id >= 0, "bpf_get_stackid failed: {}", id);
    let stacks = p.map("stacks").unwrap();
    assert_eq!(stacks.kind(), MapKind::Stack);
    let addrs = stacks.stack_addrs(id).unwrap().unwrap();
    let frames = stacks.stack(id, 0).unwrap();
    assert_eq!(frames.len(), addrs.len());
    assert!(frames.iter().any(|f| f.contains("syscall")), "{:?}", frames);
    assert_eq!(stacks.stack_addrs(-14).unwrap(), None);
}

#[test]
fn builder_options_reach_the_compile() {
    let src = progs().join("maps.bpf.c");
    let p = target(
        Program::builder_source(&src)
            .define_value("SEQ_START", 1000)
            .name("seq1000")
            .open()
            .unwrap(),
    );
    assert_eq!(p.name(), "seq1000");
    getppid_n(1);
    let ev =
        p.events_of("events").unwrap().timeout(Duration::from_secs(10)).next().unwrap().unwrap();
    assert_eq!(ev["seq"], 1001);
    // a source given as text, and a BTF file named explicitly
    let text = std::fs::read_to_string(&src).unwrap();
    let p = target(
        Program::builder_source_text(&text)
            .name("fromtext")
            .btf("/sys/kernel/btf/vmlinux")
            .open()
            .unwrap(),
    );
    assert!(p.btf_origin().starts_with("explicit"), "{}", p.btf_origin());
    getppid_n(1);
    assert_eq!(p.map("by_tid").unwrap().get_as::<u64>(&tid()).unwrap(), Some(1));
}

fn coolbpf_cli() -> PathBuf {
    std::env::var_os("COOLBPF").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../build/bin/coolbpf"))
    })
}

#[test]
fn from_object_file_and_bytes() {
    let dir = std::env::temp_dir().join(format!("coolbpf-rs-obj-{}", tid()));
    std::fs::create_dir_all(&dir).unwrap();
    let obj = dir.join("maps.o");
    let st = Command::new(coolbpf_cli())
        .arg("compile")
        .arg(progs().join("maps.bpf.c"))
        .arg("-o")
        .arg(&obj)
        .status()
        .unwrap();
    assert!(st.success());
    let p = target(Program::from_object(&obj).unwrap());
    assert_eq!(p.name(), "maps");
    getppid_n(2);
    assert_eq!(p.map("by_tid").unwrap().get_as::<u64>(&tid()).unwrap(), Some(2));
    drop(p);
    let bytes = std::fs::read(&obj).unwrap();
    let p = target(Program::builder_object_bytes(&bytes).name("mem").open().unwrap());
    getppid_n(3);
    assert_eq!(p.map("by_tid").unwrap().get_as::<u64>(&tid()).unwrap(), Some(3));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn attach_by_hand_and_detach_by_drop() {
    let p = target(
        Program::builder_source(progs().join("maps.bpf.c")).auto_attach(false).open().unwrap(),
    );
    let by_tid = p.map("by_tid").unwrap();
    getppid_n(2);
    assert_eq!(by_tid.get(&tid()).unwrap(), None, "counted before attach");
    let link = p
        .attach_program("on_getppid", Attach::tracepoint("syscalls", "sys_enter_getppid"))
        .unwrap();
    let rep = p.attach_report();
    assert!(
        rep.iter().any(|a| a.prog == "on_getppid" && a.kind == "tracepoint" && a.err == 0),
        "{:?}",
        rep
    );
    getppid_n(3);
    assert_eq!(by_tid.get_as::<u64>(&tid()).unwrap(), Some(3));
    drop(link);
    getppid_n(3);
    assert_eq!(
        by_tid.get_as::<u64>(&tid()).unwrap(),
        Some(3),
        "counted after the link was dropped"
    );
    // attach by section, then detach
    let rep = p.attach().unwrap();
    assert!(rep.iter().any(|a| a.target == "syscalls:sys_enter_getppid"), "{:?}", rep);
    getppid_n(1);
    p.detach();
    getppid_n(1);
    assert_eq!(by_tid.get_as::<u64>(&tid()).unwrap(), Some(4));
}

#[test]
fn uprobe_attached_by_hand() {
    let p = target(
        Program::builder_source(progs().join("uprobe.bpf.c")).auto_attach(false).open().unwrap(),
    );
    let pid = std::process::id() as i32;
    let link =
        p.attach_program("on_call", Attach::uprobe("libc.so.6", "getpgid").pid(pid)).unwrap();
    for _ in 0..4 {
        unsafe { libc::getpgid(0) };
    }
    assert_eq!(p.map("calls").unwrap().get_as::<u64>(&0u32).unwrap(), Some(4));
    link.detach();
    unsafe { libc::getpgid(0) };
    assert_eq!(p.map("calls").unwrap().get_as::<u64>(&0u32).unwrap(), Some(4));
}

fn map_id(fd: i32) -> u32 {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd)).unwrap();
    info.lines().find_map(|l| l.strip_prefix("map_id:")).unwrap().trim().parse().unwrap()
}

fn map_exists(id: u32) -> bool {
    // BPF_MAP_GET_FD_BY_ID
    let mut attr = [0u32; 4];
    attr[0] = id;
    let fd = unsafe {
        libc::syscall(libc::SYS_bpf, 14, attr.as_mut_ptr(), std::mem::size_of_val(&attr))
    };
    if fd >= 0 {
        unsafe { libc::close(fd as i32) };
    }
    fd >= 0
}

#[test]
fn drop_unloads_everything() {
    let p = maps_prog();
    let id = map_id(p.map("by_tid").unwrap().fd());
    assert!(map_exists(id));
    drop(p);
    // the kernel frees a map once its last reference goes (deferred)
    let end = Instant::now() + Duration::from_secs(10);
    while map_exists(id) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!map_exists(id), "map {} outlived its program", id);
}

#[test]
fn errors_carry_the_library_message() {
    // clang's diagnostics, naming the file
    let e = Program::builder_source_text("int broken(void) { return nope; }\n")
        .name("broken")
        .open()
        .unwrap_err();
    assert!(matches!(e, Error::Compile { .. }), "{:?}", e);
    assert!(e.to_string().contains("nope"), "{}", e);
    // a missing file, named
    let e = Program::from_source("/nonexistent/tool.bpf.c").unwrap_err();
    assert!(e.to_string().contains("/nonexistent/tool.bpf.c"), "{}", e);
    assert_eq!(e.errno(), Some(libc::ENOENT));
    let e = Program::from_object("/nonexistent/tool.o").unwrap_err();
    assert!(
        matches!(e, Error::Load { .. }) && e.to_string().contains("/nonexistent/tool.o"),
        "{}",
        e
    );

    let p = target(
        Program::builder_source(progs().join("maps.bpf.c")).auto_attach(false).open().unwrap(),
    );
    let e = p
        .attach_program("on_getppid", Attach::tracepoint("syscalls", "sys_enter_nonexistent"))
        .unwrap_err();
    assert!(
        matches!(e, Error::Attach { .. }) && e.to_string().contains("sys_enter_nonexistent"),
        "{}",
        e
    );
    let e = p.attach_program("no_such_prog", Attach::auto()).unwrap_err();
    assert!(e.to_string().contains("no_such_prog"), "{}", e);
    let e = p.events().unwrap_err();
    for m in ["events", "pevents", "small"] {
        assert!(e.to_string().contains(m), "{}", e);
    }
    let e = p.events_of("by_tid").unwrap_err();
    assert!(matches!(e, Error::NoSuchMap { .. }), "{:?}", e);
    if coolbpf::probe_hook(coolbpf::Hook::Kprobe) == Some(false) {
        let e = p.attach_program("on_getppid", Attach::kprobe("do_sys_openat2")).unwrap_err();
        assert!(matches!(e, Error::Attach { .. }) && !e.to_string().is_empty(), "{}", e);
    }
    let e = Program::builder_source(progs().join("maps.bpf.c"))
        .optional("no_such_prog")
        .open()
        .unwrap_err();
    assert!(e.to_string().contains("no_such_prog"), "{}", e);
}

/// tests/data/params.bpf.c's event, the fields this test sets.
#[derive(Debug, Deserialize)]
struct ParamsEv {
    pid: i32,
    target_pid: i32,
    small: u8,
    mode: String,
    comm: String,
}

#[test]
fn set_globals_before_load_reach_the_kernel() {
    let params = progs().join("../data/params.bpf.c");
    let me = std::process::id() as i32;
    let p = Program::builder_source(&params)
        .set("target_pid", me)
        .set("small", "0x2a")
        .set("mode", "MODE_NONE")
        .set("comm", "rust")
        .open()
        .unwrap();
    getppid_n(1);
    let ev: ParamsEv = p
        .events_of("events")
        .unwrap()
        .timeout(Duration::from_secs(10))
        .typed::<ParamsEv>()
        .map(Result::unwrap)
        .find(|e| e.pid == me)
        .expect("an event of this process");
    assert_eq!(
        (ev.target_pid, ev.small, ev.mode.as_str(), ev.comm.as_str()),
        (me, 42, "MODE_NONE", "rust")
    );
    let err = Program::builder_source(&params).set("small", 256).open().unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    assert!(
        err.to_string().contains("small (unsigned char, in .rodata): 256 is out of range"),
        "{}",
        err
    );
}
