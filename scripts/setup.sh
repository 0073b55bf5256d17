#!/usr/bin/env bash
# Installs what `make test`, `make pkg` and `make demo` need, and only what is missing, so a
# second run costs seconds. Each step says what it checked. Debian 12 with rustup, as root or as a
# user with sudo (for apt only).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }
need_apt=()

# Debian's packages first: a C toolchain, which `cargo install` below links with (and crates of
# the tests build C: ring), then the browsers and OPs of the tests.
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# Glewlwyd, the OP matrix's C OP (tests/e2e/ops/glewlwyd.mjs starts it on a throwaway database).
[ -x /usr/bin/glewlwyd ] || need_apt+=(glewlwyd)
[ -x /usr/bin/sqlite3 ] || need_apt+=(sqlite3)
# django-oauth-toolkit, the OP matrix's Python OP, runs in a venv (below): Debian's python3 makes
# one only with python3-venv (ensurepip), and a bare Debian 12 has no python3 at all.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
# The other two engines of tests/e2e/engines.test.mjs, from Debian too (no test downloads a
# browser): Firefox ESR, driven over WebDriver BiDi; WebKitGTK's WebKitWebDriver, which starts its
# MiniBrowser (in libwebkit2gtk-4.1-0) on an X display that xvfb-run (with xauth) provides.
need_engines=()
[ -x /usr/bin/firefox-esr ] || need_engines+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || need_engines+=(webkit2gtk-driver)
[ -x /usr/bin/xvfb-run ] || need_engines+=(xvfb)
[ -x /usr/bin/xauth ] || need_engines+=(xauth)
if [ ${#need_apt[@]} -gt 0 ] || [ ${#need_engines[@]} -gt 0 ]; then
  say "installing ${need_apt[*]} ${need_engines[*]} from Debian"
  # As root, or through sudo for a user who has it.
  apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
  [ "$(id -u)" -eq 0 ] || apt=(sudo "${apt[@]}")
  "${apt[@]}" update -q
  [ ${#need_apt[@]} -eq 0 ] || "${apt[@]}" install -y -q "${need_apt[@]}"
  [ ${#need_engines[@]} -eq 0 ] || "${apt[@]}" install -y -q --no-install-recommends "${need_engines[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^clippy'; then
  rustup component add clippy
fi

# The npm package's wasm is built on a pinned nightly (scripts/release-toolchain) with
# -Zbuild-std, which needs that toolchain's rust-src; every test stays on stable.
release=$(cat scripts/release-toolchain)
if ! rustup run "$release" rustc --version >/dev/null 2>&1 ||
  ! rustup component list --toolchain "$release" --installed 2>/dev/null | grep -q '^rust-src'; then
  say "installing $release with rust-src (for the release wasm)"
  rustup toolchain install "$release" --profile minimal --component rust-src
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate, which Cargo.toml pins with `=`.
want=$(sed -n 's/^wasm-bindgen = .*"=\([0-9.]*\)".*/\1/p' Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (found '${have:-none}'); this takes about 5 minutes"
  cargo install wasm-bindgen-cli --version "$want"
fi

# npm projects: install when node_modules is missing, emptied, or older than the lock file
# (npm writes node_modules/.package-lock.json on every install: a directory without it is not
# an install).
for dir in tools tests/types tests/e2e tests/e2e/bundlers examples/react; do
  [ -f "$dir/package.json" ] || continue
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    say "npm install in $dir"
    (cd "$dir" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi)
    touch "$dir/node_modules"
  fi
done
# django-oauth-toolkit, the OP matrix's Python OP (tests/e2e/ops/dot): a venv with the pinned
# versions of its requirements.txt, (re)made when missing or older than that file.
dot=tests/e2e/ops/dot
if [ ! -x "$dot/.venv/bin/python" ] || [ "$dot/requirements.txt" -nt "$dot/.venv/.installed" ]; then
  say "making the django-oauth-toolkit venv in $dot/.venv"
  rm -rf "$dot/.venv"
  python3 -m venv "$dot/.venv"
  "$dot/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$dot/requirements.txt"
  touch "$dot/.venv/.installed"
fi

say "ready"
