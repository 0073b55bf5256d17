#![no_main]
//! The `id_token` target: see `targets::id_token` in fuzz/targets.rs.

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::id_token(data));
