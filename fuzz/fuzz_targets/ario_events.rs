//! libFuzzer entry point of the `ario_events` target; the target itself is
//! `chokepoint_fuzz::ario_targets::ario_events` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chokepoint_fuzz::ario_targets::ario_events(data));
