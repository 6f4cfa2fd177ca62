//! Finds libcoolbpf for the linker, in this order:
//!  1. $COOLBPF_LIB_DIR: a directory holding libcoolbpf.a (linked statically,
//!     with the libraries it needs) or libcoolbpf.so (with an rpath to it);
//!  2. the source tree this crate sits in, after `make` (../build/lib);
//!  3. pkg-config: `pkg-config --libs libcoolbpf` (an installed library;
//!     $PKG_CONFIG_PATH as usual, libcoolbpf-uninstalled.pc included).
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

// what libcoolbpf.a needs (Libs.private of libcoolbpf.pc, and libbpf)
const STATIC_DEPS: &[&str] = &["bpf", "elf", "z", "md", "jansson"];

// whether an archive was built with -fsanitize=address (its objects call
// __asan_report_*)
fn sanitized(archive: &Path) -> bool {
    let needle = b"__asan_report";
    std::fs::read(archive).map(|b| b.windows(needle.len()).any(|w| w == needle)).unwrap_or(false)
}

fn link_dir(dir: &Path) -> bool {
    let prefer_shared = env::var_os("COOLBPF_SHARED").is_some();
    let has_static = dir.join("libcoolbpf.a").exists();
    let has_shared = dir.join("libcoolbpf.so").exists();
    if !has_static && !has_shared {
        return false;
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    if has_static && !(prefer_shared && has_shared) {
        // an ASan + UBSan build's library (make test-asan) calls into the
        // sanitizer runtimes: linked first (ASan must be the first library
        // loaded), as cc -fsanitize would link them
        if sanitized(&dir.join("libcoolbpf.a")) {
            println!("cargo:rustc-link-lib=dylib=asan");
            println!("cargo:rustc-link-lib=dylib=ubsan");
        }
        println!("cargo:rustc-link-lib=static=coolbpf");
        for l in STATIC_DEPS {
            println!("cargo:rustc-link-lib=dylib={}", l);
        }
    } else {
        println!("cargo:rustc-link-lib=dylib=coolbpf");
        println!("cargo:rustc-link-lib=dylib=bpf");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
    println!("cargo:rerun-if-changed={}", dir.join("libcoolbpf.a").display());
    println!("cargo:rerun-if-changed={}", dir.join("libcoolbpf.so").display());
    true
}

fn pkg_config() -> Result<(), String> {
    let out = Command::new("pkg-config")
        .args(["--libs", "libcoolbpf", "libbpf"])
        .output()
        .map_err(|e| format!("cannot run pkg-config: {}", e))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    for flag in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        if let Some(d) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", d);
        } else if let Some(l) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={}", l);
        } else {
            println!("cargo:rustc-link-arg={}", flag);
        }
    }
    Ok(())
}

fn main() {
    println!("cargo:rerun-if-env-changed=COOLBPF_LIB_DIR");
    println!("cargo:rerun-if-env-changed=COOLBPF_SHARED");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    if let Some(dir) = env::var_os("COOLBPF_LIB_DIR") {
        let dir = PathBuf::from(dir);
        if !link_dir(&dir) {
            panic!(
                "COOLBPF_LIB_DIR={}: no libcoolbpf.a or libcoolbpf.so there (run `make` first)",
                dir.display()
            );
        }
        return;
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    if link_dir(&manifest.join("../build/lib")) {
        return;
    }
    if let Err(e) = pkg_config() {
        panic!(
            "cannot find libcoolbpf: {} (install it with `make install`, set PKG_CONFIG_PATH to \
             its pkgconfig directory, or COOLBPF_LIB_DIR to a directory with libcoolbpf.a)",
            e
        );
    }
}
