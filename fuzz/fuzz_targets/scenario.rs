//! libFuzzer entry point of the `scenario` target; the target itself is
//! `chokepoint_fuzz::core_targets::scenario` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chokepoint_fuzz::core_targets::scenario(data));
