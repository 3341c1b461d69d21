//! Fuzz target `check_end_to_end`: see `fuzz/harness.rs`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::check_end_to_end(data, &harness::scratch_dir());
});
