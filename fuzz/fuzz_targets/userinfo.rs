#![no_main]
//! The `userinfo` target: see `targets::userinfo` in fuzz/targets.rs.

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::userinfo(data));
