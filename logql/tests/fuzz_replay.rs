//! Replays every committed fuzz seed and crash regression through the LogQL fuzz entry point.

#[test]
fn replay_logql_inputs() {
    let inputs = testkit::fuzz_inputs("logql_parse");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        logql::fuzzing::parse_print_plan(&bytes);
    }
}
