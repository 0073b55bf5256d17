#!/usr/bin/env bash
# The crate as crates.io would get it (`cargo package`): only what a Rust user builds (the
# sources, the manifest, the README and the licence; the tests, benches, fuzz targets, examples
# and the npm package's template stay in the repository), and it builds from the packed copy
# (cargo's own verification). Then the docs as docs.rs builds them ([package.metadata.docs.rs]:
# wasm32, default features), with rustdoc's warnings (broken intra-doc links) as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
# --allow-dirty: the check is of the manifest's include list, run in a working tree too.
listed=$(cargo package --list --allow-dirty)
unexpected=$(grep -Ev '^(src/.*\.rs|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json|README\.md|LICENSE)$' <<<"$listed" || true)
if [ -n "$unexpected" ]; then
  echo "check-crate: the crate would ship files a Rust user does not build:" >&2
  echo "$unexpected" >&2
  exit 1
fi
for needed in src/lib.rs src/core/machine/mod.rs src/web/mod.rs README.md LICENSE; do
  grep -qx "$needed" <<<"$listed" || { echo "check-crate: $needed is missing from the crate" >&2; exit 1; }
done
cargo package --allow-dirty --quiet
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --lib --target wasm32-unknown-unknown
echo "check-crate: $(wc -l <<<"$listed") files, the packed crate builds, its docs build for wasm32"
