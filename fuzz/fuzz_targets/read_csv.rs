//! Fuzz target `read_csv`: see `fuzz/harness.rs`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::read_csv(data, &harness::scratch_dir());
});
