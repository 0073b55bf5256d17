#![no_main]
//! The `flow` target: see `targets::flow` in fuzz/targets.rs.

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::flow(data));
