#![no_main]
//! The `authorization_response` target: see `targets::authorization_response` in fuzz/targets.rs.

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::authorization_response(data));
