//! The examples as a person runs them: started, traced events caused
//! once they say they are tracing, their output read.
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/examples-HASH -> target/<profile>/examples/NAME
    let me = std::env::current_exe().unwrap();
    me.parent().unwrap().parent().unwrap().join("examples").join(name)
}

/// Start an example and wait for its "tracing" line on stderr.
fn start(name: &str, args: &[&str]) -> Child {
    let mut c = Command::new(example(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run example {}: {}", name, e));
    let mut err = BufReader::new(c.stderr.take().unwrap());
    let mut line = String::new();
    let end = Instant::now() + Duration::from_secs(60);
    while Instant::now() < end {
        line.clear();
        if err.read_line(&mut line).unwrap() == 0 {
            panic!("{} ended before tracing: {}", name, line);
        }
        if line.starts_with("tracing") {
            break;
        }
    }
    assert!(line.starts_with("tracing"), "{} did not start: {}", name, line);
    c
}

fn stdout_of(mut c: Child) -> String {
    let st = c.wait().unwrap();
    let mut out = String::new();
    c.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(st.success(), "exit {:?}, output:\n{}", st, out);
    out
}

#[test]
fn execsnoop_prints_each_exec() {
    let c = start("execsnoop", &["-d", "3"]);
    let child = Command::new("/bin/true").spawn().unwrap();
    let pid = child.id();
    let st = Command::new("/bin/true").status().unwrap();
    assert!(st.success());
    let out = stdout_of(c);
    assert!(out.starts_with("PCOMM"), "{}", out);
    let me = std::process::id().to_string();
    let line = out
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(&pid.to_string()))
        .unwrap_or_else(|| panic!("no line for pid {}:\n{}", pid, out));
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!((f[0], f[2], f[4]), ("true", me.as_str(), "/bin/true"), "{}", line);
}

#[test]
fn execsnoop_json() {
    let c = start("execsnoop", &["--json", "-d", "3"]);
    let pid = Command::new("/bin/true").spawn().unwrap().id();
    let out = stdout_of(c);
    let v: serde_json::Value = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["pid"] == pid)
        .unwrap_or_else(|| panic!("no event for {}:\n{}", pid, out));
    assert_eq!(v["filename"], "/bin/true");
}

#[test]
fn tcpconnect_prints_like_rlcc() {
    let c = start("tcpconnect", &["-d", "3"]);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let lport = l.local_addr().unwrap().port();
    let s = TcpStream::connect(("127.0.0.1", lport)).unwrap();
    let local = s.local_addr().unwrap();
    drop(s);
    let out = stdout_of(c);
    let comm = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
    let want = format!(
        "(PID){}:{} (LOCAL){} -> (REMOTE)127.0.0.1:{}",
        std::process::id(),
        comm.trim(),
        local,
        lport
    );
    assert!(out.lines().any(|l| l == want), "no line {:?} in:\n{}", want, out);
}
