//! tcpconnect: the original rlcc example's behaviour on coolbpf. One line
//! per outgoing IPv4 TCP connection, "(PID)pid:comm (LOCAL)addr:port ->
//! (REMOTE)addr:port", from the perf event array of
//! examples/tcpconnect.bpf.c, through a callback; lost events go to stderr.
//!
//!   cargo run --example tcpconnect [-- [-d SECONDS] [FILE.bpf.c|FILE.o]]
use std::time::{Duration, Instant};

use coolbpf::Program;
use serde::Deserialize;

#[derive(Deserialize)]
struct Connect {
    pid: u32,
    comm: String,
    sport: u16,    // lbc_port_t: the port, decoded from network order
    dport: u16,
    saddr: String, // lbc_ipv4_t: the address as text, "127.0.0.1"
    daddr: String,
    established: u32,
}

fn main() {
    let mut file = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/tcpconnect.bpf.c").to_string();
    let mut duration = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-d" => {
                duration =
                    args.next().and_then(|s| s.parse::<f64>().ok()).map(Duration::from_secs_f64)
            }
            f if !f.starts_with('-') => file = f.to_string(),
            _ => {
                eprintln!("usage: tcpconnect [-d SECONDS] [FILE.bpf.c|FILE.o]");
                std::process::exit(2);
            }
        }
    }
    if let Err(e) = run(&file, duration) {
        eprintln!("tcpconnect: {}", e);
        std::process::exit(1);
    }
}

fn run(file: &str, duration: Option<Duration>) -> coolbpf::Result<()> {
    let stop = coolbpf::handle_interrupts();
    let prog = if file.ends_with(".c") {
        Program::from_source(file)?
    } else {
        Program::from_object(file)?
    };
    prog.on_event_typed("events", |c: Connect| {
        println!(
            "(PID){}:{} (LOCAL){}:{} -> (REMOTE){}:{}{}",
            c.pid,
            c.comm,
            c.saddr,
            c.sport,
            c.daddr,
            c.dport,
            if c.established != 0 { "" } else { " refused" }
        );
    })?;
    prog.on_lost(|_, cpu, count| eprintln!("Lost {} events on CPU {}", count, cpu));
    eprintln!("tracing TCP connects; Ctrl-C to stop");
    let end = duration.map(|d| Instant::now() + d);
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        if end.map_or(false, |e| Instant::now() >= e) {
            break;
        }
        prog.poll(Some(Duration::from_millis(100)))?;
    }
    Ok(())
}
