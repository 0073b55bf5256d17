#!/usr/bin/env bash
# The package's weight for `import { OidcClient }`: index.js (the pump) and the wasm,
# gzip -9 (deterministic for a given source). Fails when it grows past the ceiling in
# scripts/size-ceiling, a ratchet: lower it when a change makes the package smaller. The goal is
# 61440 bytes (issue "Size and speed"); benches/RESULTS.md has the ledger of where bytes go.
set -euo pipefail
cd "$(dirname "$0")/.."
ceiling=$(tr -dc '0-9' < scripts/size-ceiling)
goal=61440
total=0
for f in pkg/index.js pkg/oidc_rp_wasm_bg.wasm; do
  [ -f "$f" ] || { echo "check-size: $f is missing (run make pkg)" >&2; exit 1; }
  total=$((total + $(gzip -9 -c "$f" | wc -c)))
done
printf 'check-size: import { OidcClient } costs %s bytes gzip -9 (ceiling %s, goal %s)\n' "$total" "$ceiling" "$goal"
if [ "$total" -gt "$ceiling" ]; then
  echo "check-size: the package grew past its ceiling" >&2
  exit 1
fi
