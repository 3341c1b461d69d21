//! Fuzz target `parse_rules`: see `fuzz/harness.rs`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::parse_rules(data, &harness::scratch_dir());
});
