#![no_main]
//! The `json` target: see `targets::json` in fuzz/targets.rs.

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::json(data));
