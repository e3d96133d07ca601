//! Property: for any query, parse → print → parse gives the same tree (spans aside), and the
//! printed text is a fixed point of printing.
//!
//! Queries are generated as text from the grammar — every construct, with varied spelling
//! (spacing, keyword case, raw strings, ranges before or after the pipeline) — so the parser
//! is exercised on what users write and the printer on everything the parser builds.

use logql::parse;
use logql::visit::without_spans;
use proptest::prelude::*;

fn ident() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "app", "env", "level", "status", "latency", "size", "_x", "a1", "Host",
    ])
    .prop_map(str::to_owned)
}

/// Text a Go-quoted or raw string literal can hold.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _.:/=\"\\\\\n\t\u{1}é→<>{}-]{0,10}"
}

/// A string literal for `value`, double-quoted or (when possible) raw.
fn string_lit(value: String) -> impl Strategy<Value = String> {
    let raw_ok = !value.contains('`');
    (any::<bool>()).prop_map(move |raw| {
        if raw && raw_ok {
            format!("`{value}`")
        } else {
            let mut out = String::from("\"");
            for c in value.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\u{1}' => out.push_str("\\x01"),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
    })
}

fn string() -> impl Strategy<Value = String> {
    text().prop_flat_map(string_lit)
}

fn regex() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a.*",
        "error|warn",
        "(?i)err",
        r"\\d+",
        "[a-z]+",
        "^x$",
        ".+",
        "",
        "a(b|c)?d",
    ])
    .prop_map(|r| format!("\"{r}\""))
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "  ", "\n", " \t"])
}

fn selector() -> impl Strategy<Value = String> {
    let first = (ident(), "[a-z]{1,5}").prop_map(|(n, v)| format!("{n}=\"{v}\""));
    let other = prop_oneof![
        (ident(), prop::sample::select(vec!["=", "!="]), string())
            .prop_map(|(n, o, v)| format!("{n}{o}{v}")),
        (ident(), prop::sample::select(vec!["=~", "!~"]), regex())
            .prop_map(|(n, o, v)| format!("{n}{o}{v}")),
    ];
    (first, prop::collection::vec(other, 0..3), ws()).prop_map(|(first, rest, ws)| {
        let mut all = vec![first];
        all.extend(rest);
        format!("{{{ws}{}{ws}}}", all.join(&format!(",{ws}")))
    })
}

fn ip_pattern() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "10.0.0.0/8",
        "192.168.0.1",
        "::1",
        "10.0.0.1-10.0.0.9",
        "2001:db8::/32",
    ])
    .prop_map(|p| format!("ip(\"{p}\")"))
}

fn line_filter() -> impl Strategy<Value = String> {
    let contains = (
        prop::sample::select(vec!["|=", "!="]),
        prop::collection::vec(prop_oneof![string(), ip_pattern()], 1..4),
    );
    let regex_f = (
        prop::sample::select(vec!["|~", "!~"]),
        prop::collection::vec(regex(), 1..3),
    );
    let pattern_values =
        prop::sample::select(vec!["\"<_> GET <_>\"", "\"<_>\"", "\"x <_>\"", "\"\""])
            .prop_map(str::to_owned);
    let pattern = (
        prop::sample::select(vec!["|>", "!>"]),
        prop::collection::vec(pattern_values, 1..3),
    );
    prop_oneof![contains, regex_f, pattern]
        .prop_map(|(op, alts)| format!("{op} {}", alts.join(" or ")))
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-1000i32..1000).prop_map(|n| n.to_string()),
        (-1e6f64..1e6).prop_map(|f| format!("{f}")),
        prop::sample::select(vec!["1e3", "2.5e-7", "0.001", "1.5", "-0.25", "+3"])
            .prop_map(str::to_owned),
    ]
}

fn label_filter_leaf() -> impl Strategy<Value = String> {
    let cmp = prop::sample::select(vec![">", ">=", "<", "<=", "==", "!=", "="]);
    prop_oneof![
        (ident(), prop::sample::select(vec!["=", "!="]), string())
            .prop_map(|(n, o, v)| format!("{n}{o}{v}")),
        (ident(), prop::sample::select(vec!["=~", "!~"]), regex())
            .prop_map(|(n, o, v)| format!("{n}{o}{v}")),
        (ident(), cmp.clone(), number()).prop_map(|(n, o, v)| format!("{n} {o} {v}")),
        (
            ident(),
            cmp.clone(),
            prop::sample::select(vec![
                "5m", "1h30m", "250ms", "1.5s", "-5m", "2d", "10us", "0s"
            ])
        )
            .prop_map(|(n, o, v)| format!("{n}{o}{v}")),
        (
            ident(),
            cmp,
            prop::sample::select(vec!["1KB", "1.5KiB", "5M", "10GB", "20B", "3kB", "1Ki"])
        )
            .prop_map(|(n, o, v)| format!("{n}>{v}").replace('>', o)),
        (ident(), prop::sample::select(vec!["=", "!="]), ip_pattern())
            .prop_map(|(n, o, v)| format!("{n}{o}{v}")),
    ]
}

fn label_filter() -> impl Strategy<Value = String> {
    label_filter_leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec![" and ", " or ", ", ", " ", " AND "]),
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("{l}{op}{r}")),
            inner.prop_map(|f| format!("( {f} )")),
        ]
    })
}

fn extractions() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            ident(),
            (ident(), string()).prop_map(|(n, e)| format!("{n}={e}"))
        ],
        1..3,
    )
    .prop_map(|v| v.join(", "))
}

fn stage() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => line_filter(),
        1 => prop_oneof![Just(String::new()), extractions()].prop_map(|e| format!("| json {e}")),
        1 => (prop::sample::select(vec!["", "--strict", "--keep-empty", "--keep-empty --strict"]), prop_oneof![Just(String::new()), extractions()])
            .prop_map(|(f, e)| format!("| logfmt {f} {e}")),
        1 => Just("| regexp \"(?P<name>\\\\w+) (?P<rest>.*)\"".to_owned()),
        1 => Just("| pattern `<ip> - <_> \"<method>`".to_owned()),
        1 => Just("| unpack".to_owned()),
        3 => label_filter().prop_map(|f| format!("| {f}")),
        1 => string().prop_map(|t| format!("| line_format {t}")),
        1 => prop::collection::vec(prop_oneof![
                (ident(), ident()).prop_map(|(a, b)| format!("{a}={b}")),
                (ident(), string()).prop_map(|(a, b)| format!("{a}={b}")),
            ], 1..3).prop_map(|v| format!("| label_format {}", v.join(", "))),
                // The list ends with a matcher: after a bare name, a `!=` line filter would read as
        // the name's matcher (in Loki as here).
        1 => (prop::sample::select(vec!["drop", "keep"]), prop::collection::vec(prop_oneof![
                ident(),
                (ident(), string()).prop_map(|(a, b)| format!("{a}={b}")),
            ], 0..3), (ident(), string()))
            .prop_map(|(k, mut v, (a, b))| { v.push(format!("{a}={b}")); format!("| {k} {}", v.join(", ")) }),
        1 => Just("| decolorize".to_owned()),
    ]
}

fn log_query() -> impl Strategy<Value = String> {
    (selector(), prop::collection::vec(stage(), 0..4), ws())
        .prop_map(|(s, stages, ws)| format!("{s}{ws}{}", stages.join(&format!("{ws} "))))
}

fn range() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "[1m]", "[5m]", "[1h30m]", "[2w]", "[1y]", "[500ms]", "[0]",
    ])
}

fn offset() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::sample::select(vec!["1h", "-5m", "10d", "1.5h"]).prop_map(|o| format!(" offset {o}")),
    ]
}

fn grouping() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["by", "without", "BY"]),
        prop::collection::vec(ident(), 0..3),
    )
        .prop_map(|(k, labels)| format!(" {k} ({})", labels.join(", ")))
}

fn range_aggregation() -> impl Strategy<Value = String> {
    let counting = (
        prop::sample::select(vec![
            "count_over_time",
            "rate",
            "bytes_over_time",
            "bytes_rate",
            "absent_over_time",
        ]),
        log_query(),
        range(),
        offset(),
        any::<bool>(),
    )
        .prop_map(|(op, q, r, o, after)| {
            if after {
                format!("{op}({q}{r}{o})")
            } else {
                format!("{op}(({q}){r}{o})")
            }
        });
    let unwrapped = (
        prop::sample::select(vec![
            "sum_over_time",
            "avg_over_time",
            "min_over_time",
            "max_over_time",
            "stddev_over_time",
            "stdvar_over_time",
            "quantile_over_time",
            "first_over_time",
            "last_over_time",
            "rate",
            "rate_counter",
        ]),
        log_query(),
        prop::sample::select(vec![
            "latency",
            "bytes(size)",
            "duration(d)",
            "duration_seconds(d)",
        ]),
        prop::collection::vec(label_filter(), 0..2),
        range(),
        offset(),
        grouping(),
    )
        .prop_map(|(op, q, unwrap, post, r, o, g)| {
            let post = post
                .iter()
                .map(|f| format!(" | {f}"))
                .collect::<Vec<_>>()
                .concat();
            let param = if op == "quantile_over_time" {
                "0.99, "
            } else {
                ""
            };
            let groupable = !matches!(op, "sum_over_time" | "rate" | "rate_counter");
            let g = if groupable { g } else { String::new() };
            format!("{op}({param}{q} | unwrap {unwrap}{post} {r}{o}){g}")
        });
    prop_oneof![counting, unwrapped]
}

fn metric_query() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => range_aggregation(),
        1 => number(),
        1 => number().prop_map(|n| format!("vector({})", n.trim_start_matches(['+', '-']))),
    ];
    leaf.prop_recursive(3, 8, 2, |inner| {
        let aggregated = (
            prop::sample::select(vec!["sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "sort", "sort_desc"]),
            inner.clone(),
            grouping(),
            any::<bool>(),
        )
            .prop_map(|(op, e, g, before)| {
                let param = if matches!(op, "topk" | "bottomk") { "3, " } else { "" };
                let g = if matches!(op, "sort" | "sort_desc") { String::new() } else { g };
                if before { format!("{op}{g} ({param}{e})") } else { format!("{op}({param}{e}){g}") }
            });
        let arithmetic = (
            inner.clone(),
            prop::sample::select(vec!["+", "-", "*", "/", "%", "^", "==", "!=", ">", ">=", "<", "<="]),
            prop::sample::select(vec!["", " bool", " on (app)", " ignoring (env) group_left (level)", " on () group_right ()"]),
            inner.clone(),
        )
            .prop_map(|(l, op, m, r)| format!("{l} {op}{m} {r}"));
        let set = (
            range_aggregation(),
            prop::sample::select(vec!["and", "or", "unless"]),
            prop::sample::select(vec!["", " on (app)", " ignoring (x)"]),
            range_aggregation(),
        )
            .prop_map(|(l, op, m, r)| format!("{l} {op}{m} {r}"));
        prop_oneof![
            3 => aggregated,
            3 => arithmetic,
            1 => set,
            1 => inner.clone().prop_map(|e| format!("({e})")),
            1 => inner.prop_map(|e| format!("label_replace({e}, \"dst\", \"$1\", \"src\", \"(.*)\")")),
        ]
    })
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![log_query(), metric_query()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_print_parse_is_identity(q in query()) {
        let first = parse(&q).map_err(|e| TestCaseError::fail(format!("{q}\n{e}")))?;
        let printed = first.to_string();
        let second = parse(&printed).map_err(|e| TestCaseError::fail(format!("{q}\nprinted {printed}\n{e}")))?;
        prop_assert_eq!(without_spans(&first), without_spans(&second), "{}\nprinted {}", q, printed);
        prop_assert_eq!(second.to_string(), printed);
    }

    #[test]
    fn arbitrary_text_never_panics(q in "\\PC{0,40}") {
        let _ = parse(&q);
    }

    #[test]
    fn grammar_like_noise_never_panics(q in "[{}()\\[\\]|=~!<>,.\"` a-z0-9+*/%^#-]{0,40}") {
        if let Ok(expr) = parse(&q) {
            let printed = expr.to_string();
            prop_assert!(parse(&printed).is_ok(), "{} printed {}", q, printed);
        }
    }
}

#[test]
fn regressions() {
    for q in [
        r#"{app="a"} | json | ( x="1" , y="2" ) or z="3""#,
        r#"{app="a"} | logfmt | x > -1.5e-7"#,
        r#"sum(rate({app="a"}[5m])) * on () group_left rate({app="b"}[5m])"#,
        r#"{app="a"} |= "\u00e9\x01""#,
        "vector(0.0000001)",
        r#"{app="a"} | json | size > 1KiB"#,
    ] {
        let first = parse(q).unwrap();
        let second = parse(&first.to_string()).unwrap();
        assert_eq!(without_spans(&first), without_spans(&second), "{q}");
    }
}
