//! Fuzz target `read_jsonl`: see `fuzz/harness.rs`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::read_jsonl(data, &harness::scratch_dir());
});
