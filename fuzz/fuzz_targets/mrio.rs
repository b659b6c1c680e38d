//! libFuzzer entry point of the `mrio` target; the target itself is
//! `chokepoint_fuzz::ario_targets::mrio` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chokepoint_fuzz::ario_targets::mrio(data));
