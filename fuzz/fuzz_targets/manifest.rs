//! libFuzzer entry point of the `manifest` target; the target itself is
//! `chokepoint_fuzz::core_targets::manifest` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chokepoint_fuzz::core_targets::manifest(data));
