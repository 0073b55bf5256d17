#![no_main]
//! The `metadata` target: see `targets::metadata` in fuzz/targets.rs.

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::metadata(data));
