#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm (opt-level z, LTO, panic=abort), wasm-bindgen
# --target web, a current wasm-opt -Oz (from npm `binaryen`; Debian's is too old), and the files of
# pkg-template/ (entry wrapper, types, service worker, silent-callback page, package.json, README).
# wasm-pack is not used: it downloads its own binaries, and this machine has no internet.
set -euo pipefail
cd "$(dirname "$0")/.."

out=pkg
raw=target/pkg-raw
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)

cargo build --release --lib --target wasm32-unknown-unknown
rm -rf "$raw" && mkdir -p "$raw"
wasm-bindgen --target web --out-dir "$raw" --out-name oidc_rp_wasm \
  target/wasm32-unknown-unknown/release/oidc_rp_wasm.wasm
# The features rustc enables by default for wasm32-unknown-unknown; browsers of the last years have them.
tools/node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$raw/oidc_rp_wasm_bg.wasm" -o "$raw/oidc_rp_wasm_bg.wasm"

rm -rf "$out" && mkdir -p "$out"
cp "$raw"/oidc_rp_wasm.js "$raw"/oidc_rp_wasm_bg.wasm "$raw"/oidc_rp_wasm.d.ts "$out"/
cp -R pkg-template/. "$out"/
sed -i "s/\"0.0.0-template\"/\"$version\"/" "$out/package.json"
[ -f LICENSE ] && cp LICENSE "$out"/

wasm=$(gzip -9 -c "$out/oidc_rp_wasm_bg.wasm" | wc -c)
js=0
for f in "$out"/*.js; do js=$((js + $(gzip -9 -c "$f" | wc -c))); done
printf 'pkg/ built: version %s; gzip -9: wasm %s bytes, JS %s bytes, total %s bytes (raw wasm %s bytes)\n' \
  "$version" "$wasm" "$js" "$((wasm + js))" "$(wc -c < "$out/oidc_rp_wasm_bg.wasm")"
