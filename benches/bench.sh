#!/usr/bin/env bash
# `make bench` (after make's setup and pkg steps): installs what the benchmark needs and only
# what is missing (like scripts/setup.sh), builds the size ledger's inputs, then runs
# benches/run.mjs with the Node 22 of tests/e2e, which writes benches/RESULTS.md and prints it.
#
#   benches/node_modules   esbuild, oidc-client-ts, oauth4webapi at the versions package-lock.json pins
#   twiggy                 `cargo install twiggy` at the version below, when absent or another version
#
# The ledger's wasm: the cargo build of `make pkg` for oidc_rp_wasm_bg.wasm, the module without
# DPoP that a page without it loads (scripts/build-pkg.sh: feature js-pump, no wasm-bindgen; the
# same target directory, so a no-op rebuild after `make pkg`), as cargo leaves
# it and through wasm-opt with the flags of scripts/build-pkg.sh but -g for --strip-debug (names
# kept), in a temporary directory removed at exit. twiggy's JSON goes to BENCH_LEDGER_DIR; the
# copy of pkg/ that the run measures and serves to BENCH_PKG_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bench] %s\n' "$*" >&2; }
export BENCH_STARTED_AT=$(($(date +%s%N) / 1000000))

TWIGGY_VERSION=0.8.0
NODE22=tests/e2e/node_modules/.bin/node

[ -x "$NODE22" ] || { say "tests/e2e has no Node 22: run scripts/setup.sh (make setup) first"; exit 1; }
[ -f pkg/oidc_rp_wasm_bg.wasm ] && [ -f pkg/index.js ] || { say "pkg/ is not built: run make pkg first"; exit 1; }

if [ ! -d benches/node_modules ] || [ benches/package-lock.json -nt benches/node_modules ]; then
  say "npm ci in benches"
  (cd benches && npm ci --no-audit --no-fund)
  touch benches/node_modules
fi

have=$(twiggy --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$TWIGGY_VERSION" ]; then
  say "installing twiggy $TWIGGY_VERSION (found '${have:-none}'); this takes a few minutes, once"
  cargo install twiggy --version "$TWIGGY_VERSION" --locked
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/oidc-rp-wasm-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
ledger="$work/ledger"
mkdir "$ledger"

# The package the run measures and serves: a copy of pkg/, so that a `make pkg` elsewhere during
# the run (it starts with rm -rf pkg) cannot pull the files from under the browser, and every
# phase sees the same build. Taken again if pkg/ changed while it was copied.
for attempt in 1 2 3 4 5 6; do
  rm -rf "$work/pkg"
  if cp -R pkg "$work/pkg" 2>/dev/null && [ -f "$work/pkg/index.js" ] && [ -f "$work/pkg/oidc_rp_wasm_bg.wasm" ] &&
    [ -f "$work/pkg/package.json" ] && sleep 2 && diff -rq pkg "$work/pkg" >/dev/null 2>&1; then
    break
  fi
  if [ "$attempt" = 6 ]; then say "pkg/ keeps changing (a make pkg running elsewhere?): try again later"; exit 1; fi
  say "pkg/ is being rebuilt; waiting 10 s"
  sleep 10
done

# The statements of scripts/build-pkg.sh with their continuation lines joined, comments left out.
statements() {
  awk '/^[[:space:]]*#/ && l == "" {next} {l = l $0; if (l ~ /\\$/) { sub(/\\$/, " ", l); next } print l; l = ""}' scripts/build-pkg.sh
}

# The cargo build of scripts/build-pkg.sh, read from it and run as it stands there (environment
# prefix, toolchain, flags, and the same target directory, so that after `make pkg` it is a
# no-op): the ledger never describes another build than the one that ships.
cargo_cmd=$(statements | grep -E '(^|[[:space:]])cargo[[:space:]].*[[:space:]]build[[:space:]]' |
  sed 's/[[:space:]][[:space:]]*/ /g; s/^ //; s/ $//' || true)
if [ "$(printf '%s\n' "$cargo_cmd" | grep -c .)" != 1 ] || [[ "$cargo_cmd" != *'--target-dir "$target"'* ]] ||
  [[ "$cargo_cmd" != *wasm32-unknown-unknown* ]] || [[ "$cargo_cmd" == *[\;\&\|\`]* ]]; then
  say "could not read the one cargo build of scripts/build-pkg.sh (got '$cargo_cmd'): update benches/bench.sh"
  exit 1
fi
# Its features: those of the file without DPoP, build-pkg.sh's `wasm oidc_rp_wasm_bg.wasm <features>`.
base_features=$(sed -n 's/^wasm oidc_rp_wasm_bg\.wasm \([a-z,-]*\)$/\1/p' scripts/build-pkg.sh)
if [ -z "$base_features" ] || [[ "$cargo_cmd" != *'--features "$cargo_features"'* ]]; then
  say "could not read the features of oidc_rp_wasm_bg.wasm from scripts/build-pkg.sh: update benches/bench.sh"
  exit 1
fi
cargo_cmd=${cargo_cmd//'"$cargo_features"'/$base_features}
target=target/pkg
# For the report: the command with its target directory and toolchain file read.
cargo_shown=$(printf '%s' "$cargo_cmd" | sed "s|\"\\\$target\"|$target|g")
if [ -f scripts/release-toolchain ]; then
  cargo_shown=$(printf '%s' "$cargo_shown" | sed "s|\\\$(cat scripts/release-toolchain)|$(cat scripts/release-toolchain)|g")
fi

# wasm-opt as scripts/build-pkg.sh runs it (its one wasm-opt command), read from the
# script so that the two cannot drift apart, with -g for --strip-debug: the names stay.
features_def=$(awk '/^features=\(/{on=1} on{print} on && /\)/{exit}' scripts/build-pkg.sh)
eval "$features_def"
for f in "${features[@]}"; do
  case "$f" in --enable-*) ;; *) say "unexpected wasm feature flag '$f' in scripts/build-pkg.sh"; exit 1 ;; esac
done
opt_lines=$(awk '/^[^#]*node_modules\/\.bin\/wasm-opt /{l=$0; while (l ~ /\\$/) { sub(/\\$/, "", l); getline nxt; l = l nxt } print l}' scripts/build-pkg.sh)
opt_line=$opt_lines
opt_flags=$(printf '%s\n' "$opt_line" | sed 's/.*wasm-opt //; s/"\$built".*//; s/"\${features\[@\]}"/'"${features[*]}"'/; s/--strip-debug/-g/; s/  */ /g; s/ $//')
if [ "$(printf '%s\n' "$opt_line" | grep -c .)" != 1 ] || [[ " $opt_flags " != *" -g "* ]] || [[ "$opt_flags" == *'$'* ]]; then
  say "could not read the one wasm-opt command of scripts/build-pkg.sh (got '$opt_flags')"
  exit 1
fi

say "size ledger: the package's wasm with its name section: $cargo_shown"
eval "$cargo_cmd"
cp target/pkg/wasm32-unknown-unknown/release/oidc_rp_wasm.wasm "$ledger/cargo.wasm"
# shellcheck disable=SC2086 # the flags are words
tools/node_modules/.bin/wasm-opt $opt_flags "$ledger/cargo.wasm" -o "$ledger/opt.wasm"
twiggy top -n 1000000 --format json "$ledger/cargo.wasm" > "$ledger/top.json"
twiggy top -n 1000000 --format json "$ledger/opt.wasm" > "$ledger/top-opt.json"
cat > "$ledger/info.json" <<JSON
{
  "twiggy": "$(twiggy --version | awk '{print $2}')",
  "cargo": "$(printf '%s' "$cargo_shown" | sed 's/\\/\\\\/g; s/"/\\"/g')",
  "unoptBytes": $(wc -c < "$ledger/cargo.wasm"),
  "optBytes": $(wc -c < "$ledger/opt.wasm"),
  "shippedBytes": $(wc -c < "$work/pkg/oidc_rp_wasm_bg.wasm"),
  "wasmOptFlags": "$opt_flags"
}
JSON

say "running the benchmark in headless Chromium"
BENCH_LEDGER_DIR="$ledger" BENCH_PKG_DIR="$work/pkg" "$NODE22" benches/run.mjs
