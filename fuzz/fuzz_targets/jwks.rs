#![no_main]
//! The `jwks` target: see `targets::jwks` in fuzz/targets.rs.

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::jwks(data));
