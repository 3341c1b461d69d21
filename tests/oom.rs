//! Running out of memory is a run that could not be made: exit 2 and a
//! message, not Rust's abort (exit 134, `memory allocation of N bytes
//! failed`). The binary runs under an address-space limit (`ulimit -v`, so
//! Linux only) on a log too big for it.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, reason = "test code")]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// The limit, in KiB. The debug binary needs about 16 MiB of address space
/// to start at all (below about 14 MiB the loader cannot map its libraries:
/// exit 127, or a segfault); checking the log below needs about 280 MiB
/// evaluated in memory and about 100 MiB streamed, so 48 MiB leaves room on
/// both sides and fails within a couple of seconds.
const LIMIT_KIB: u32 = 48 * 1024;

/// Orders paid a second apart, each with its own id: every one opens an
/// instance, and none is shipped.
const ORDERS: u32 = 300_000;

/// A file removed on drop.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn big_log() -> TempFile {
    let path = std::env::temp_dir().join(format!("pacta-oom-{}.jsonl", std::process::id()));
    let file = TempFile(path);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file.0).unwrap());
    for n in 0..ORDERS {
        let (day, rest) = (1 + n / 86_400, n % 86_400);
        let (h, m, s) = (rest / 3600, rest / 60 % 60, rest % 60);
        writeln!(
            w,
            r#"{{"at":"2025-01-{day:02}T{h:02}:{m:02}:{s:02}Z","event":"order_paid","order":{{"id":"O{n:07}"}}}}"#
        )
        .unwrap();
    }
    w.flush().unwrap();
    file
}

#[test]
fn out_of_memory_exits_2_with_a_message() {
    let log = big_log();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KIB}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_pacta"))
        .args(["check", "rules/order_sla_bench.pacta", "--events"])
        .arg(&log.0)
        .args(["--format", "summary"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{:?}\n{stderr}", out.status);
    assert_eq!(
        stderr,
        "pacta::out_of_memory\n\n  × pacta ran out of memory\n  help: give it more memory, or check fewer or smaller logs at a time\n"
    );
}
