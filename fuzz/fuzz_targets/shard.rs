//! libFuzzer entry point of the `shard` target; the target itself is
//! `chokepoint_fuzz::core_targets::shard` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chokepoint_fuzz::core_targets::shard(data));
