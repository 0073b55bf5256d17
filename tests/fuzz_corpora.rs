//! The fuzz corpora, replayed on stable: every file of `fuzz/corpus/<target>/` and
//! `fuzz/artifacts/<target>/` (crash inputs kept as regressions) goes through the very function
//! its libFuzzer target calls (`fuzz/targets.rs`, included here), and must neither panic nor
//! break the invariants that function checks.
//!
//! `cargo test --test fuzz_corpora -- --ignored write_seed_corpora` rewrites the hand-made seeds
//! (`fuzz/corpus/<target>/seed-*`) from `targets::seeds()`. Inputs of `fuzz/regressions/<target>/`
//! reproduce bugs not fixed yet: `replay_open_regressions` (ignored) runs them.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none when the folder does not exist).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable folder").path())
        .filter(|path| path.is_file())
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// Runs every input of `kinds` through `target`; returns how many ran and the ones that panicked.
fn run_inputs(target: &str, kinds: &[&str]) -> (usize, Vec<String>) {
    let run = targets::by_name(target).expect("a known target");
    let mut ran = 0;
    let mut failed = Vec::new();
    for kind in kinds {
        for file in inputs(kind, target) {
            let data = std::fs::read(&file).expect("a readable corpus file");
            ran += 1;
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    (ran, failed)
}

fn replay(target: &str) {
    let (ran, failed) = run_inputs(target, &["corpus", "artifacts"]);
    assert!(ran > 0, "fuzz/corpus/{target}/ is empty");
    assert!(
        failed.is_empty(),
        "{} of {ran} inputs of `{target}` failed (panic messages above): {failed:#?}",
        failed.len()
    );
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        /// The names replayed above.
        const REPLAYED: &[&str] = &[$(stringify!($target)),*];
    };
}

replay_tests!(
    json,
    authorization_response,
    token_response,
    id_token,
    jwks,
    metadata,
    userinfo,
    logout,
    stored,
    flow,
    wire,
);

#[test]
fn every_target_is_replayed_and_every_corpus_has_a_target() {
    let names: Vec<&str> = targets::TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, REPLAYED);
    for kind in ["corpus", "artifacts", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable folder").path();
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                assert!(
                    names.contains(&name.as_str()),
                    "fuzz/{kind}/{name}/ names no target"
                );
            }
        }
    }
    // Every fuzz target has its harness.
    for name in names {
        let harness = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(harness.is_file(), "{} is missing", harness.display());
    }
}

/// The seeds exercise what they were written for: the flow seeds end as intended (so the flow
/// target reaches a signed-in session, a refreshed one and the failures), and every seed runs.
#[test]
fn seeds_reach_their_outcomes() {
    for (name, bytes, expected) in targets::flow_seeds() {
        assert_eq!(targets::flow_outcome(&bytes), expected, "flow seed {name}");
    }
    for (target, name, bytes) in targets::seeds() {
        let run = targets::by_name(target).expect("a known target");
        assert!(
            std::panic::catch_unwind(|| run(&bytes)).is_ok(),
            "seed {target}/{name} panicked"
        );
    }
}

/// The committed seed files are the ones `targets::seeds()` makes.
#[test]
fn seed_files_are_current() {
    for (target, name, bytes) in targets::seeds() {
        let path = fuzz_dir()
            .join("corpus")
            .join(target)
            .join(format!("seed-{name}"));
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} is stale: run `cargo test --test fuzz_corpora -- --ignored write_seed_corpora`",
            path.display()
        );
    }
}

#[test]
#[ignore = "writes fuzz/corpus/*/seed-*"]
fn write_seed_corpora() {
    for (target, name, bytes) in targets::seeds() {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("the corpus folder");
        std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("a seed file");
    }
}

/// Inputs that still make a target fail: each must be fixed in `src/`, then moved to
/// `fuzz/artifacts/<target>/`, where the replay above keeps it fixed.
#[test]
#[ignore = "open bugs: fails until src/ is fixed"]
fn replay_open_regressions() {
    let mut failed = Vec::new();
    for (target, _) in targets::TARGETS {
        failed.extend(run_inputs(target, &["regressions"]).1);
    }
    assert!(failed.is_empty(), "still failing: {failed:#?}");
}
