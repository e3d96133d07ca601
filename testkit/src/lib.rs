//! Test support shared by the workspace's crates.
//!
//! * [`compat_dir`] finds the compatibility vectors written by the reference systems (Loki and
//!   Tempo) through the `COMPAT_DIR` environment variable. When it is unset the calling test is
//!   skipped with a message, except under CI (`CI` set), where that is a failure; a
//!   `COMPAT_DIR` that does not exist is always a failure.
//! * [`trace_jsonl`] reads the vectors' gzipped `{"traceID": …, "trace": …}` lines and
//!   [`normalise_trace_json`] makes two traces comparable where order is not promised.
//! * [`fuzz_inputs`] lists the committed fuzz seeds and crash regressions of one target, so a
//!   plain `cargo test` replays them through the same entry point the fuzzer calls.
//!
//! ```
//! // With COMPAT_DIR unset outside CI, tests skip; this example only shows the call shape.
//! if let Some(dir) = testkit::compat_dir("example") {
//!     assert!(dir.is_dir());
//! }
//! ```

pub mod thrift;

use std::path::{Path, PathBuf};

/// The compatibility vectors' root (`COMPAT_DIR`), or `None` when the test should be skipped.
///
/// `test` names the calling test in the skip message.
///
/// # Panics
///
/// When `COMPAT_DIR` names a missing folder, or when it is unset while `CI` is set: in CI a
/// missing compatibility folder must fail the run, never silently pass it.
pub fn compat_dir(test: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("COMPAT_DIR") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "COMPAT_DIR={} is not a directory (test {test})",
            dir.display()
        );
        Some(dir)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "COMPAT_DIR is unset under CI (test {test}); .ci/run sets it"
        );
        eprintln!("skipped {test}: COMPAT_DIR is unset");
        None
    }
}

/// The root of the workspace (the folder holding `fuzz/`): the parent of the package under
/// test. Read at run time (`cargo test` sets `CARGO_MANIFEST_DIR` for the test binary), so a
/// build shared between checkouts of the workspace still finds the right folder.
pub fn workspace_root() -> PathBuf {
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    package
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Every committed input of fuzz target `target`: its seed corpus
/// (`fuzz/corpus/<target>/`) and its crash regressions (`fuzz/regressions/<target>/`).
///
/// # Panics
///
/// When the target has no committed seed corpus (every target must ship one) or a file
/// cannot be read.
pub fn fuzz_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = workspace_root().join("fuzz");
    let corpus = root.join("corpus").join(target);
    assert!(
        corpus.is_dir(),
        "fuzz target {target} has no seed corpus at {}",
        corpus.display()
    );
    let mut inputs = Vec::new();
    for dir in [corpus, root.join("regressions").join(target)] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.expect("readable fuzz directory").path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).expect("readable fuzz input");
            inputs.push((path, bytes));
        }
    }
    inputs
}

/// Writes one seed input for fuzz target `target` (`fuzz/corpus/<target>/<name>`), for the
/// ignored tests that regenerate seed corpora from the crates' own encoders.
///
/// # Panics
///
/// When the file cannot be written.
pub fn write_seed(target: &str, name: &str, bytes: &[u8]) {
    let dir = workspace_root().join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).expect("fuzz corpus folder");
    std::fs::write(dir.join(name), bytes).expect("seed written");
}

/// The `(traceID, trace)` pairs of a gzipped JSON-lines file of the compatibility vectors
/// (`{"traceID": "<32 hex>", "trace": <OTLP/JSON TracesData>}` per line).
///
/// # Panics
///
/// When the file cannot be read or a line is not such an object.
pub fn trace_jsonl(path: &Path) -> Vec<(String, serde_json::Value)> {
    use std::io::BufRead;
    let file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    std::io::BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|line| {
            let line = line.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let v: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let id = v["traceID"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: a line without traceID", path.display()))
                .to_owned();
            (id, v["trace"].clone())
        })
        .collect()
}

/// A copy of an OTLP/JSON value with every `attributes` list sorted by key (attributes
/// compare as sets: Tempo does not keep their order) and every number spelled as a double
/// (`34` and `34.0` are the same value).
pub fn normalise_trace_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut v = normalise_trace_json(v);
                    if k == "attributes"
                        && let Value::Array(items) = &mut v
                    {
                        items.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
                    }
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalise_trace_json).collect()),
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| v.clone(), Value::Number),
        other => other.clone(),
    }
}
