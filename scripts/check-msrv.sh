#!/usr/bin/env bash
# Checks that the `rust-version` in Cargo.toml is true: the library builds with that toolchain
# and the committed Cargo.lock, natively (default features, and with rust-crypto) and for
# wasm32 (the Rust pump). Its own target directory, so the main one keeps the stable builds.
set -euo pipefail
cd "$(dirname "$0")/.."
msrv=$(sed -n 's/^rust-version = "\([0-9.]*\)"$/\1/p' Cargo.toml)
[ -n "$msrv" ] || { echo "check-msrv: no rust-version in Cargo.toml" >&2; exit 1; }
if ! rustup run "$msrv" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$msrv" --profile minimal --target wasm32-unknown-unknown
fi
rustup target add wasm32-unknown-unknown --toolchain "$msrv" >/dev/null 2>&1
export CARGO_TARGET_DIR=target/msrv
cargo "+$msrv" check --locked --lib
cargo "+$msrv" check --locked --lib --features rust-crypto
cargo "+$msrv" check --locked --lib --target wasm32-unknown-unknown
echo "check-msrv: the library builds with Rust $msrv"
