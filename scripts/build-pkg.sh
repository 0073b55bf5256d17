#!/usr/bin/env bash
# Builds the npm package into pkg/: the release wasm of the core and its machine behind a few
# plain exports (feature `js-pump`, no wasm-bindgen: the JavaScript pump in index.js is all the
# glue there is), twice: oidc_rp_wasm_bg.wasm without DPoP and oidc_rp_wasm_dpop_bg.wasm with it
# (feature `dpop`), so that a page without DPoP does not download it (index.js loads the one a
# configuration needs); and the files of pkg-template/ (the pump, types, service worker, silent-callback
# page, package.json, README), with index.js, react.js and form-post.js minified by esbuild
# (react.js and form-post.js keep their imports of react and ./index.js). wasm-pack is not used: it
# downloads its own binaries.
#
# The wasm is built on the pinned nightly of scripts/release-toolchain with -Zbuild-std and
# -Cpanic=immediate-abort: the standard library compiled for size, with no panic machinery (the
# core has no panics to begin with), and MIR inlining off (-Zinline-mir=no), which LLVM's own
# inliner does better for size here. Every test runs on stable. wasm-opt (npm `binaryen`; Debian's
# is too old) strips the names, the producers and the target-features sections (nothing reads them
# at run time), rebuilds the control flow with its Relooper and runs -O3 with its inliner held back.
# benches/levers.md has the measurements.
set -euo pipefail
cd "$(dirname "$0")/.."

out=pkg
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
target=target/pkg

rm -rf "$out" && mkdir -p "$out"
# The features rustc enables by default for wasm32-unknown-unknown; browsers of the last years have them.
features=(--enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
# wasm <output file> <cargo features>: one release wasm. Both builds share the target directory:
# the standard library and the dependencies are compiled once (features change only this crate).
# (benches/bench.sh reads the cargo and wasm-opt commands and the first call from here.)
wasm() {
  local file=$1 cargo_features=$2
  # --no-stack-first (wasm-ld): the data at 1024, below the stack, instead of above a stack at 0,
  # so that most addresses of static data fit a two-byte LEB128 constant, not three. The price: a
  # stack overflow would run into the static data before it wraps below address 0 and traps. The core
  # recurses only over JSON values (parsed and written), whose nesting the parser stops at
  # json::MAX_DEPTH (64) levels: far from the 1 MiB stack. -inline-threshold=12: LLVM inlines a
  # little more than opt-level z's own threshold; with the Relooper passes below the module gzips
  # smaller (a plateau from 12 to 15; 5 and below as the default, 17 and more larger).
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zinline-mir=no -Zlocation-detail=none -Clink-arg=--no-stack-first -Cllvm-args=-inline-threshold=12" \
    cargo "+$(cat scripts/release-toolchain)" build --release --lib --target wasm32-unknown-unknown \
    --no-default-features --features "$cargo_features" -Zbuild-std=std,panic_abort --target-dir "$target"
  local built="$target/wasm32-unknown-unknown/release/oidc_rp_wasm.wasm"
  # -O3 with binaryen's inliner held back: a function with one caller is inlined only up to size
  # 30 (binaryen's count of expressions), any other only up to 3. Its default inlining (which -O2,
  # -O3 and -Oz share) makes this module gzip larger; -O1 does not inline but leaves the other
  # passes out (benches/levers.md). --low-memory-unused: no object lives in the first 1 KiB of the
  # memory (the data starts at 1024, wasm-ld's default base), so binaryen may fold a constant
  # added to a pointer into a load's or store's offset. Before -O3, twice: `--flatten --rereloop
  # -O1` rebuilds each function's control flow from its basic blocks with binaryen's Relooper
  # (semantics kept), which -O3 then folds into fewer and smaller blocks than LLVM's output gave.
  tools/node_modules/.bin/wasm-opt --low-memory-unused --flatten --rereloop -O1 -O3 --flatten --rereloop -O1 -O3 \
    -ocimfs 30 -fimfs 3 --strip-debug --strip-producers --strip-target-features \
    "${features[@]}" "$built" -o "$out/$file"
}
wasm oidc_rp_wasm_bg.wasm js-pump
wasm oidc_rp_wasm_dpop_bg.wasm js-pump,dpop
cp -R pkg-template/. "$out"/
# Minified: the readable source is pkg-template/index.js.
for entry in index react form-post; do
  tools/node_modules/.bin/esbuild "pkg-template/$entry.js" --minify --format=esm --target=es2022 \
    --legal-comments=none --log-level=warning --outfile="$out/$entry.js" --allow-overwrite
done
sed -i "s/\"0.0.0-template\"/\"$version\"/" "$out/package.json"
[ -f LICENSE ] && cp LICENSE "$out"/

# Node's zlib at level 9, as scripts/check-size.sh and `make bench` count (with the Node 22 of
# tests/e2e when it is there: another zlib counts differently).
node=tests/e2e/node_modules/.bin/node
[ -x "$node" ] || node=node
gz() { "$node" -e 'process.stdout.write(String(require("zlib").gzipSync(require("fs").readFileSync(process.argv[1]), { level: 9 }).length))' "$1"; }
wasm=$(gz "$out/oidc_rp_wasm_bg.wasm")
dpop=$(gz "$out/oidc_rp_wasm_dpop_bg.wasm")
js=$(gz "$out/index.js")
printf 'pkg/ built: version %s; gzip level 9 (Node zlib): wasm %s bytes (with DPoP %s), index.js %s bytes, total %s bytes (with DPoP %s; raw wasm %s, with DPoP %s)\n' \
  "$version" "$wasm" "$dpop" "$js" "$((wasm + js))" "$((dpop + js))" "$(wc -c < "$out/oidc_rp_wasm_bg.wasm")" \
  "$(wc -c < "$out/oidc_rp_wasm_dpop_bg.wasm")"
