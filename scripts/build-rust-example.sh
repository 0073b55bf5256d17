#!/usr/bin/env bash
# Builds the example Rust front end (examples/rust-spa) into target/rust-spa/site/: the crate for
# wasm32 in release, its JavaScript glue from the pinned wasm-bindgen-cli (`--target web`, the
# version the crates pin with `=`; scripts/setup.sh installs it), and its page. The crate's lock
# file is the SDK's own (copied from the root): the example builds with exactly the versions the
# SDK is tested with, and needs nothing the SDK's builds did not fetch. Serve the directory with
# a config.json (see the crate's README); tests/e2e/rust-example.test.mjs does.
set -euo pipefail
cd "$(dirname "$0")/.."

crate=examples/rust-spa
target=target/rust-spa
out=$target/site

want=$(sed -n 's/^wasm-bindgen = .*"=\([0-9.]*\)".*/\1/p' "$crate/Cargo.toml")
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "build-rust-example: wasm-bindgen-cli $want is needed (found '${have:-none}'): run scripts/setup.sh" >&2
  exit 1
fi

cp Cargo.lock "$crate/Cargo.lock"
# Through clippy-driver, as `cargo clippy` would, but in the build itself: linted at no extra cost.
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || true)" \
  cargo build --release --lib --target wasm32-unknown-unknown \
  --manifest-path "$crate/Cargo.toml" --target-dir "$target"
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" \
  "$target/wasm32-unknown-unknown/release/rust_spa.wasm"
cp "$crate/index.html" "$out/"
printf 'target/rust-spa/site/ built: rust_spa_bg.wasm %s bytes (gzip -9: %s)\n' \
  "$(wc -c < "$out/rust_spa_bg.wasm")" "$(gzip -9 -c "$out/rust_spa_bg.wasm" | wc -c)"
