#![no_main]
//! The `token_response` target: see `targets::token_response` in fuzz/targets.rs.

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::token_response(data));
