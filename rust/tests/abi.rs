//! The hand-written declarations of src/ffi.rs against the C compiler's
//! reading of include/coolbpf/coolbpf.h: every struct's size and every
//! field's offset.
use std::mem::{size_of, MaybeUninit};
use std::process::Command;

use coolbpf::ffi::*;

macro_rules! off {
    ($t:ty, $f:ident) => {{
        let u = MaybeUninit::<$t>::uninit();
        let base = u.as_ptr();
        // SAFETY: only the field's address is taken, nothing is read
        (unsafe { std::ptr::addr_of!((*base).$f) } as usize) - base as usize
    }};
}

macro_rules! layout {
    ($out:ident, $t:ident { $($f:ident),* }) => {
        $out.push((stringify!($t).to_string(), size_of::<$t>()));
        $( $out.push((format!("{}.{}", stringify!($t), stringify!($f)), off!($t, $f))); )*
    };
}

fn rust_layout() -> Vec<(String, usize)> {
    let mut v = Vec::new();
    layout!(
        v,
        coolbpf_compile_opts {
            sz,
            kernel,
            btf_path,
            defines,
            include_dirs,
            cache_dir,
            server,
            no_cache,
            btf_dir,
            server_token,
            tool_path,
            no_cache_write,
            full_vmlinux_h,
            arch,
            server_ca,
            kernels,
            cache_max,
            event_types,
            cflags
        }
    );
    layout!(
        v,
        coolbpf_object_opts { sz, name, btf_path, compile, btf_dir, server, server_token, cache_dir }
    );
    layout!(
        v,
        coolbpf_attach_opts {
            sz,
            kind,
            target,
            symbol,
            offset,
            pid,
            cpu,
            perf_attr,
            perf_type,
            perf_config,
            sample_freq,
            sample_period,
            perf_group_fd,
            perf_flags
        }
    );
    layout!(v, coolbpf_attach_info { prog, section, kind, target, note, err });
    layout!(v, coolbpf_buf { data, len, cap });
    layout!(v, coolbpf_format_opts { sz, fmt, time, unit });
    layout!(v, coolbpf_events_opts { sz, on_event, on_lost, ctx, perf_pages, queue_size });
    v
}

#[test]
fn structs_match_the_c_header() {
    let rust = rust_layout();
    let mut c = String::from("#include <stdio.h>\n#include <stddef.h>\n#include <coolbpf/coolbpf.h>\nint main(void)\n{\n");
    for (name, _) in &rust {
        match name.split_once('.') {
            Some((s, f)) => c += &format!("\tprintf(\"%zu\\n\", offsetof(struct {}, {}));\n", s, f),
            None => c += &format!("\tprintf(\"%zu\\n\", sizeof(struct {}));\n", name),
        }
    }
    c += "\treturn 0;\n}\n";
    let dir = std::env::temp_dir().join(format!("coolbpf-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("abi.c");
    let bin = dir.join("abi");
    std::fs::write(&src, c).unwrap();
    let inc = concat!(env!("CARGO_MANIFEST_DIR"), "/../include");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let st = Command::new(&cc)
        .arg("-I")
        .arg(inc)
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .status()
        .expect("run the C compiler");
    assert!(st.success(), "{} could not compile the layout probe", cc);
    let out = Command::new(&bin).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let c_vals: Vec<usize> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(c_vals.len(), rust.len());
    let bad: Vec<String> = rust
        .iter()
        .zip(&c_vals)
        .filter(|((_, r), c)| r != *c)
        .map(|((n, r), c)| format!("{}: Rust {} C {}", n, r, c))
        .collect();
    assert!(bad.is_empty(), "layouts differ: {:?}", bad);
}
