#!/usr/bin/env bash
# `make bench` (after make's setup and pkg steps): installs what the benchmark needs and only
# what is missing (like scripts/setup.sh), builds the size ledger's inputs, then runs
# benches/run.mjs with the Node 22 of tests/e2e, which writes benches/RESULTS.md and prints it.
#
#   benches/node_modules   esbuild, oidc-client-ts, oauth4webapi at the versions package-lock.json pins
#   twiggy                 `cargo install twiggy` at the version below, when absent or another version
#
# The ledger's wasm: the release build of `make wasm`/`make pkg` (a no-op rebuild after `make pkg`),
# through wasm-bindgen without --remove-name-section, and through wasm-opt with the flags of
# scripts/build-pkg.sh but -g for --strip-debug (names kept),
# in a temporary directory removed at exit. twiggy's JSON goes to BENCH_LEDGER_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bench] %s\n' "$*" >&2; }
export BENCH_STARTED_AT=$(($(date +%s%N) / 1000000))

TWIGGY_VERSION=0.8.0
NODE22=tests/e2e/node_modules/.bin/node

[ -x "$NODE22" ] || { say "tests/e2e has no Node 22: run scripts/setup.sh (make setup) first"; exit 1; }
[ -f pkg/oidc_rp_wasm_bg.wasm ] || { say "pkg/ is not built: run make pkg first"; exit 1; }

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

ledger=$(mktemp -d "${TMPDIR:-/tmp}/oidc-rp-wasm-ledger.XXXXXX")
trap 'rm -rf "$ledger"' EXIT

say "size ledger: release wasm with its name section"
cargo build --release --lib --target wasm32-unknown-unknown
cp target/wasm32-unknown-unknown/release/oidc_rp_wasm.wasm "$ledger/cargo.wasm"
wasm-bindgen --target web --out-dir "$ledger" --out-name oidc_rp_wasm "$ledger/cargo.wasm"
# The wasm-opt flags of scripts/build-pkg.sh (read from it, so the two cannot drift apart), with
# -g instead of --strip-debug: the names stay.
opt_flags=$(sed -n '/^[^#]*node_modules\/\.bin\/wasm-opt /,/ -o /p' scripts/build-pkg.sh | tr '\\\n' '  ' | sed 's/.*wasm-opt //; s/"\$raw.*//')
case "$opt_flags" in
  -O*) ;;
  *) say "could not read the wasm-opt flags from scripts/build-pkg.sh (got '$opt_flags')"; exit 1 ;;
esac
opt_flags=$(printf '%s' "$opt_flags" | sed 's/--strip-debug/-g/; s/  */ /g; s/ $//')
# shellcheck disable=SC2086 # the flags are words
tools/node_modules/.bin/wasm-opt $opt_flags "$ledger/oidc_rp_wasm_bg.wasm" -o "$ledger/opt.wasm"
twiggy top -n 1000000 --format json "$ledger/oidc_rp_wasm_bg.wasm" > "$ledger/top.json"
twiggy top -n 1000000 --format json "$ledger/opt.wasm" > "$ledger/top-opt.json"
cat > "$ledger/info.json" <<EOF
{
  "twiggy": "$(twiggy --version | awk '{print $2}')",
  "wasmBindgen": "$(wasm-bindgen --version | awk '{print $2}')",
  "unoptBytes": $(wc -c < "$ledger/oidc_rp_wasm_bg.wasm"),
  "optBytes": $(wc -c < "$ledger/opt.wasm"),
  "shippedBytes": $(wc -c < pkg/oidc_rp_wasm_bg.wasm),
  "wasmOptFlags": "$opt_flags"
}
EOF

say "running the benchmark in headless Chromium"
BENCH_LEDGER_DIR="$ledger" "$NODE22" benches/run.mjs
