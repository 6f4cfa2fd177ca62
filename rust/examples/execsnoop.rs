//! execsnoop: every exec() on the machine, from examples/execsnoop.bpf.c.
//!
//!   cargo run --example execsnoop [-- [--json] [-d SECONDS] [FILE.bpf.c|FILE.o]]
//!
//! Events come decoded into a struct of ours by field name; Ctrl-C stops
//! it, and what was lost is reported.
use std::io::Write;
use std::time::Duration;

use coolbpf::Program;
use serde::Deserialize;

#[derive(Deserialize)]
struct Exec {
    pid: u32,
    ppid: u32,
    uid: u32,
    comm: String,
    filename: String,
}

fn usage() -> ! {
    eprintln!("usage: execsnoop [--json] [-d SECONDS] [FILE.bpf.c|FILE.o]");
    std::process::exit(2)
}

fn main() {
    let mut json = false;
    let mut duration = None;
    let mut file = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/execsnoop.bpf.c").to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" | "-j" => json = true,
            "-d" => match args.next().and_then(|s| s.parse::<f64>().ok()) {
                Some(s) if s > 0.0 => duration = Some(Duration::from_secs_f64(s)),
                _ => usage(),
            },
            "-h" | "--help" => usage(),
            f if !f.starts_with('-') => file = f.to_string(),
            _ => usage(),
        }
    }
    if let Err(e) = run(&file, json, duration) {
        eprintln!("execsnoop: {}", e);
        std::process::exit(1);
    }
}

fn run(file: &str, json: bool, duration: Option<Duration>) -> coolbpf::Result<()> {
    coolbpf::handle_interrupts();
    let prog = if file.ends_with(".c") {
        Program::from_source(file)?
    } else {
        Program::from_object(file)?
    };
    eprintln!("tracing exec() with {} (BTF: {}); Ctrl-C to stop", prog.name(), prog.btf_origin());
    let out = std::io::stdout();
    let mut out = out.lock();
    if !json {
        let _ = writeln!(out, "{:<16} {:<7} {:<7} {:<6} FILENAME", "PCOMM", "PID", "PPID", "UID");
    }
    let mut events = prog.events()?;
    if let Some(d) = duration {
        events = events.timeout(d);
    }
    for ev in events {
        let ev = ev?;
        let line = if json {
            ev.to_string()
        } else {
            let e: Exec = ev.into_typed()?;
            format!("{:<16} {:<7} {:<7} {:<6} {}", e.comm, e.pid, e.ppid, e.uid, e.filename)
        };
        // a closed pipe (| head) ends the run like Ctrl-C
        if writeln!(out, "{}", line).is_err() {
            break;
        }
    }
    let _ = out.flush();
    let lost = prog.lost_events();
    if lost > 0 {
        eprintln!("execsnoop: {} events lost", lost);
    }
    Ok(())
}
