//! libFuzzer entry point of the `mineral` target; the target itself is
//! `chokepoint_fuzz::ario_targets::mineral` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chokepoint_fuzz::ario_targets::mineral(data));
