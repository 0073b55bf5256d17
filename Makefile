# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing
# first (scripts/setup.sh is idempotent: a second run only checks).
SHELL := /bin/bash
export CHROMEDRIVER ?= /usr/bin/chromedriver
export CARGO_TERM_COLOR ?= never

.PHONY: check-size setup test test-native test-crypto lint wasm pkg test-types test-browser test-e2e demo bench clean

setup:
	@scripts/setup.sh

## Every test suite, in the order that fails fastest.
test: setup test-native test-crypto lint pkg check-size test-types test-browser test-e2e
	@echo "make test: all suites passed"

## The protocol core, natively: without and with pure-Rust signature verification.
test-native: setup
	cargo test
test-crypto: setup
	cargo test --features rust-crypto

lint: setup
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features rust-crypto -- -D warnings
	cargo clippy --lib --tests --target wasm32-unknown-unknown -- -D warnings

wasm: setup
	cargo build --release --lib --target wasm32-unknown-unknown

## The npm package in pkg/.
pkg: setup
	scripts/build-pkg.sh

## The package's gzip weight against its ceiling (scripts/size-ceiling; lower it as it shrinks).
check-size: pkg
	scripts/check-size.sh

## The TypeScript declarations, type-checked by a consumer file, and without lib DOM by a server module.
test-types: setup
	cd tests/types && npx tsc -p . && npx tsc -p tsconfig.no-dom.json

## wasm-bindgen-test in headless Chromium (tests/web.rs), and the browser API's doc examples
## compiled for wasm32 (they are `no_run`: they need an OP).
test-browser: setup
	cargo test --target wasm32-unknown-unknown --test web
	cargo test --target wasm32-unknown-unknown --doc

## A real OpenID Provider, a real Chromium, the built package.
test-e2e: setup pkg
	cd tests/e2e && npm test

## Build the package, start a local OP and the example app, show a sign-in.
demo: setup pkg
	cd tests/e2e && npm run demo

## A benchmark, not a test (`make test` does not run it): ours side by side with oidc-client-ts and
## oauth4webapi in headless Chromium against the local OP; writes and prints benches/RESULTS.md.
bench: setup pkg
	benches/bench.sh

clean:
	cargo clean
	rm -rf pkg
