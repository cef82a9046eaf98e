//! Every file of the fuzz corpora (native-host/fuzz/corpus/<target>/) through its fuzz target's checks, as a
//! regular test: the targets' code compiles with the workspace, the seeds stay valid, and an input that once made
//! a target fail (kept in its corpus) keeps passing. The fuzzing itself is xtask/fuzz.sh (FUZZING.md).

#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (target, check) in checks::TARGETS {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(target))
            .unwrap_or_else(|e| panic!("corpus of {target}: {e}"))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "the corpus of {target} is empty");
        for file in files {
            let input = std::fs::read(&file).unwrap();
            // A failing input names its file in the panic message.
            let outcome = std::panic::catch_unwind(|| check(&input));
            assert!(outcome.is_ok(), "{target}: {} fails", file.display());
        }
    }
}
