//! Entry points for the workspace's fuzz targets (`fuzz/`). Not part of the supported API.

/// LogQL from untrusted bytes: parse, print and re-parse (the printer's output must parse to
/// a query that prints the same), and plan log queries, running the compiled line filter
/// over the input. Must never panic except on a printer that breaks its own round trip.
pub fn parse_print_plan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = crate::parse(text) {
        let printed = expr.to_string();
        match crate::parse(&printed) {
            Ok(again) => assert_eq!(again.to_string(), printed, "printing is stable"),
            Err(e) => panic!("printed query {printed:?} does not parse: {e}"),
        }
    }
    if let Ok(plan) = crate::plan(text)
        && let Some(filter) = plan.line_filter.as_ref()
    {
        let _ = filter.matches(data);
    }
}
