# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing
# first (scripts/setup.sh is idempotent: a second run only checks).
SHELL := /bin/bash
# rustup's tools (cargo, rustup, wasm-bindgen once installed), also in a shell that never read
# rustup's profile lines.
export PATH := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export CARGO_TERM_COLOR ?= never

.PHONY: check-size check-crate msrv setup test test-native test-crypto lint wasm pkg rust-example test-types test-browser test-e2e test-engines demo bench clean fuzz fuzz-setup fuzz-cmin

setup:
	@scripts/setup.sh

## Every test suite, in the order that fails fastest.
test: setup test-native test-crypto lint check-crate pkg check-size test-types test-browser test-e2e
	@echo "make test: all suites passed"

## The protocol core, natively: without and with pure-Rust signature verification.
test-native: setup
	cargo test
	cargo test --no-default-features --features js-pump --test js_pump
test-crypto: setup
	cargo test --features rust-crypto

## Clippy on every build that ships: the default (tests, the Rust pump), with rust-crypto, wasm32,
## the npm package's two wasm files (without and with `dpop`), and the build without DPoP natively.
lint: setup
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features rust-crypto -- -D warnings
	cargo clippy --lib --tests --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features js-pump -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features js-pump,dpop -- -D warnings
	cargo clippy --lib --no-default-features --features js-pump -- -D warnings

## The crate as crates.io would get it: only src/, the manifest, README and licence; it builds from
## the packed copy, and its docs build as docs.rs builds them (wasm32).
check-crate: setup
	scripts/check-crate.sh

## The `rust-version` Cargo.toml declares, checked with that toolchain (installed through rustup if
## missing): the library natively, with rust-crypto, and for wasm32. Not part of `make test` (a
## second toolchain and three cold builds, about 4 minutes).
msrv: setup
	scripts/check-msrv.sh

wasm: setup
	cargo build --release --lib --target wasm32-unknown-unknown

## The npm package in pkg/.
pkg: setup
	scripts/build-pkg.sh

## The package's gzip weight against its ceiling (scripts/size-ceiling; lower it as it shrinks).
check-size: pkg
	scripts/check-size.sh

## The TypeScript declarations, type-checked by a consumer file, and without lib DOM by a server
## module; the JavaScript pump (pkg-template/index.js) with tsc --checkJs; and every code block
## of both READMEs (scripts/check-snippets.mjs: JS/TS type-checked with strict, sh parsed).
test-types: setup
	cd tests/types && npx tsc -p . && npx tsc -p tsconfig.no-dom.json && npx tsc -p tsconfig.pump.json && npx tsc -p tsconfig.react.json && npx tsc -p tsconfig.react-node16.json
	node scripts/check-snippets.mjs

## wasm-bindgen-test in headless Chromium (tests/web.rs), and the browser API's doc examples
## compiled for wasm32 (they are `no_run`: they need an OP).
test-browser: setup
	cargo test --target wasm32-unknown-unknown --test web
	cargo test --target wasm32-unknown-unknown --doc

## The example Rust front end (examples/rust-spa) in target/rust-spa/site/, linted by clippy as
## it is built.
rust-example: setup
	scripts/build-rust-example.sh

## A real OpenID Provider, a real Chromium, the built package and the example Rust front end;
## the core set in Firefox ESR and WebKitGTK too (tests/e2e/engines.test.mjs).
test-e2e: setup pkg rust-example
	cd tests/e2e && npm test

## Only the core set in the three engines (part of test-e2e); E2E_ENGINES=firefox,webkit picks some.
test-engines: setup pkg
	cd tests/e2e && npx node --test engines.test.mjs

## Build the package, start a local OP and the example app, show a sign-in.
demo: setup pkg
	cd tests/e2e && npm run demo

## A benchmark, not a test (`make test` does not run it): ours side by side with oidc-client-ts and
## oauth4webapi in headless Chromium against the local OP; writes and prints benches/RESULTS.md.
bench: setup pkg
	benches/bench.sh

## Fuzzing with cargo-fuzz on a pinned nightly, not part of `make test`: each target of fuzz/ for
## FUZZ_SECONDS (default 300), one after another, printing its executions (libFuzzer's final stats).
## New inputs go to fuzz/corpus/<target>/, crashes to fuzz/artifacts/<target>/, logs to fuzz/logs/;
## plain `cargo test` replays corpora and artifacts on stable (tests/fuzz_corpora.rs).
FUZZ_NIGHTLY := nightly-2026-05-19
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= json authorization_response token_response id_token jwks metadata userinfo logout stored flow wire
FUZZ := cargo +$(FUZZ_NIGHTLY) fuzz

fuzz-setup:
	@rustup run $(FUZZ_NIGHTLY) rustc --version >/dev/null 2>&1 || rustup toolchain install $(FUZZ_NIGHTLY) --profile minimal
	@$(FUZZ) --version >/dev/null 2>&1 || cargo install cargo-fuzz
	$(FUZZ) build -a

fuzz: fuzz-setup
	@mkdir -p fuzz/logs; failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  start=$$SECONDS; \
	  $(FUZZ) run -a $$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=8192 \
	    -print_final_stats=1 >fuzz/logs/$$t.log 2>&1 || failed="$$failed $$t"; \
	  runs=$$(grep -o 'stat::number_of_executed_units: [0-9]*' fuzz/logs/$$t.log | tail -1 | cut -d' ' -f2); \
	  printf 'fuzz %-24s %12s executions in %4ss, corpus %s files\n' $$t "$${runs:-?}" \
	    $$((SECONDS - start)) "$$(ls fuzz/corpus/$$t | wc -l)"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failures in$$failed: see fuzz/artifacts/, fuzz/logs/"; exit 1; fi

## Minimises the corpora to the inputs that reach new edges (cargo fuzz cmin), then writes the
## hand-made seeds back.
fuzz-cmin: fuzz-setup
	for t in $(FUZZ_TARGETS); do $(FUZZ) cmin -a $$t -- -use_counters=0 || exit 1; done
	cargo test --test fuzz_corpora -- --ignored write_seed_corpora

clean:
	cargo clean
	rm -rf pkg
