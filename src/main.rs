//! The `pacta` binary: parse arguments, run, exit 0 (clean), 1 (a verdict
//! failed the run) or 2 (the run could not be made, running out of memory
//! included).

use std::alloc::{GlobalAlloc, Layout};

// mimalloc: the reader and report threads allocate small values by the
// million; against glibc's malloc it makes a streamed check ~25% faster
// (docs/performance.md).
use mimalloc::MiMalloc as Inner;
use std::process::ExitCode;

use clap::Parser as _;

/// What running out of memory prints, in the layout of the other diagnostics.
const OUT_OF_MEMORY: &str = "pacta::out_of_memory\n\n  × pacta ran out of memory\n  help: give it more memory, or check fewer or smaller logs at a time\n";

/// mimalloc, except that a refused allocation ends the run with
/// [`OUT_OF_MEMORY`] and exit status 2 instead of Rust's abort (status 134).
/// Fallible allocations (`try_reserve`) end it too.
struct ExitOnOom;

#[global_allocator]
static ALLOC: ExitOnOom = ExitOnOom;

// SAFETY: every call goes unchanged to mimalloc, which keeps the contract;
// a null result never comes back, the process exits instead.
unsafe impl GlobalAlloc for ExitOnOom {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        non_null(unsafe { Inner.alloc(layout) })
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        non_null(unsafe { Inner.alloc_zeroed(layout) })
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        non_null(unsafe { Inner.realloc(ptr, layout, new_size) })
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { Inner.dealloc(ptr, layout) }
    }
}

/// `p`, or, when it is null, the message and exit 2. Nothing here allocates
/// (a static message, unbuffered standard error); should it anyway, the
/// second refusal exits without writing.
fn non_null(p: *mut u8) -> *mut u8 {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if p.is_null() {
        if !REPORTED.swap(true, Ordering::Relaxed) {
            let _ = std::io::stderr().write_all(OUT_OF_MEMORY.as_bytes());
        }
        std::process::exit(2);
    }
    p
}

/// mimalloc's `purge_delay` option (`mi_option_purge_delay` in its v3
/// header, which the `mimalloc` crate builds; `libmimalloc-sys` names no
/// constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    let cli = match pacta::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // A summary's memory must stay flat however long the log: what it
    // frees goes back to the system at once, not after mimalloc's purge
    // delay (1 s in the v3 that the `mimalloc` crate builds; a streamed
    // summary of 10^6 orders then peaks at ~65 MB instead of ~120 MB).
    // Reports that list every instance hold them anyway, and format them
    // on every core: there the immediate purge costs more system time
    // than it saves (text at 10^6 orders 2.2-2.6 s against 2.0-2.1 s), so
    // they keep mimalloc's delay (docs/performance.md). The option may be
    // set at any time until it is set for good (`mi_option_set` or the
    // environment): `MIMALLOC_PURGE_DELAY` still overrides both.
    if matches!(&cli.command, pacta::cli::Command::Check(args) if args.format == pacta::cli::Format::Summary)
    {
        // SAFETY: sets an option before any thread is started; mimalloc
        // allows this at any time.
        unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 0) };
    }
    ExitCode::from(pacta::cli::run(cli).code())
}
