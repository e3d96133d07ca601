//! Line filter and matcher semantics, checked line by line: what Loki keeps is kept, what it
//! drops is dropped.

use logql::ast::MatchOp;
use logql::{LogPlan, Matcher, plan};

/// The lines of `lines` the query's filter keeps.
fn kept<'a>(query: &str, lines: &[&'a str]) -> Vec<&'a str> {
    let plan = plan(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    lines
        .iter()
        .copied()
        .filter(|l| plan.keeps_line(l.as_bytes()))
        .collect()
}

const LINES: &[&str] = &[
    "level=error msg=\"disk full\" ip=10.1.2.3",
    "level=ERROR msg=\"Timeout\" ip=192.168.0.7",
    "level=info msg=\"GET /api/users 200\" ip=::1",
    "level=warn msg=\"retrying\" peer=2001:db8::42",
    "",
];

#[test]
fn substring() {
    assert_eq!(kept(r#"{a="b"} |= "error""#, LINES), [LINES[0]]);
    assert_eq!(
        kept(r#"{a="b"} != "error""#, LINES),
        [LINES[1], LINES[2], LINES[3], LINES[4]]
    );
    assert_eq!(kept(r#"{a="b"} |= """#, LINES), LINES);
    assert!(kept(r#"{a="b"} != """#, LINES).is_empty());
    assert_eq!(kept(r#"{a="b"} |= `"disk`"#, LINES), [LINES[0]]);
}

#[test]
fn regex() {
    assert_eq!(
        kept(r#"{a="b"} |~ "error|warn""#, LINES),
        [LINES[0], LINES[3]]
    );
    assert_eq!(
        kept(r#"{a="b"} |~ "GET /api/\\w+ \\d{3}""#, LINES),
        [LINES[2]]
    );
    assert_eq!(
        kept(r#"{a="b"} !~ "level=(error|info)""#, LINES),
        [LINES[1], LINES[3], LINES[4]]
    );
    assert_eq!(kept(r#"{a="b"} |~ "^level=warn""#, LINES), [LINES[3]]);
    assert_eq!(kept(r#"{a="b"} |~ ".*""#, LINES), LINES);
    assert_eq!(kept(r#"{a="b"} |~ ".+""#, LINES), &LINES[..4]);
    // Unanchored, and `.` stops at newlines, as in Go.
    assert_eq!(kept(r#"{a="b"} |~ "a.b""#, &["xa-by", "a\nb"]), ["xa-by"]);
    // Go's \d is ASCII.
    assert!(kept(r#"{a="b"} |~ "\\d""#, &["٣"]).is_empty());
}

#[test]
fn case_insensitive() {
    assert_eq!(
        kept(r#"{a="b"} |~ "(?i)error""#, LINES),
        [LINES[0], LINES[1]]
    );
    assert_eq!(kept(r#"{a="b"} |~ "(?i)timeout""#, LINES), [LINES[1]]);
    assert_eq!(
        kept(r#"{a="b"} !~ "(?i)level=error""#, LINES),
        [LINES[2], LINES[3], LINES[4]]
    );
    // (?i)k also matches the Kelvin sign, as in Go.
    assert_eq!(
        kept(r#"{a="b"} |~ "(?i)ok""#, &["OK", "o\u{212a}", "no"]),
        ["OK", "o\u{212a}"]
    );
}

#[test]
fn or_alternatives() {
    assert_eq!(
        kept(r#"{a="b"} |= "disk" or "Timeout""#, LINES),
        [LINES[0], LINES[1]]
    );
    assert_eq!(
        kept(r#"{a="b"} != "disk" or "Timeout""#, LINES),
        [LINES[2], LINES[3], LINES[4]]
    );
    assert_eq!(
        kept(r#"{a="b"} |~ "dis." or "retry.*""#, LINES),
        [LINES[0], LINES[3]]
    );
    assert_eq!(
        kept(r#"{a="b"} |= "users" or ip("10.0.0.0/8")"#, LINES),
        [LINES[0], LINES[2]]
    );
}

#[test]
fn patterns() {
    assert_eq!(
        kept(r#"{a="b"} |> "level=<_> msg=<_> ip=<_>""#, LINES),
        [LINES[0], LINES[1], LINES[2]]
    );
    assert_eq!(
        kept(r#"{a="b"} |> "<_> msg=\"GET <_>\" <_>""#, LINES),
        [LINES[2]]
    );
    assert_eq!(
        kept(r#"{a="b"} !> "<_> ip=<_>""#, LINES),
        [LINES[3], LINES[4]]
    );
    assert_eq!(kept(r#"{a="b"} |> """#, LINES), [LINES[4]]);
    assert_eq!(kept(r#"{a="b"} |> "<_>""#, LINES), &LINES[..4]);
}

#[test]
fn ip() {
    assert_eq!(kept(r#"{a="b"} |= ip("10.1.2.3")"#, LINES), [LINES[0]]);
    assert_eq!(
        kept(r#"{a="b"} |= ip("192.168.0.0/16")"#, LINES),
        [LINES[1]]
    );
    assert_eq!(
        kept(r#"{a="b"} |= ip("192.168.0.1-192.168.0.9")"#, LINES),
        [LINES[1]]
    );
    assert_eq!(kept(r#"{a="b"} |= ip("::1")"#, LINES), [LINES[2]]);
    assert_eq!(kept(r#"{a="b"} |= ip("2001:db8::/32")"#, LINES), [LINES[3]]);
    assert_eq!(kept(r#"{a="b"} != ip("10.0.0.0/8")"#, LINES), &LINES[1..]);
}

#[test]
fn chained() {
    let q = r#"{a="b"} |= "level" != "info" |~ "(?i)error" !> "<_> ip=192.<_>""#;
    assert_eq!(kept(q, LINES), [LINES[0]]);
    let q = r#"{a="b"} |~ "level=\\w+" |= "msg" or "peer" != "GET""#;
    assert_eq!(kept(q, LINES), [LINES[0], LINES[1], LINES[3]]);
}

#[test]
fn filter_is_a_send_sync_predicate() {
    fn store_read(filter: &(dyn Fn(&[u8]) -> bool + Send + Sync), lines: &[&str]) -> usize {
        lines.iter().filter(|l| filter(l.as_bytes())).count()
    }
    let plan = plan(r#"{a="b"} |= "msg""#).unwrap();
    let filter = plan.line_filter.clone().unwrap();
    let predicate = move |line: &[u8]| filter.matches(line);
    assert_eq!(store_read(&predicate, LINES), 4);
    let boxed = plan.line_filter.unwrap().into_predicate();
    std::thread::spawn(move || assert!(boxed(b"a msg")))
        .join()
        .unwrap();
}

#[test]
fn invalid_filters_are_refused_by_the_planner() {
    let err = |q: &str| plan(q).unwrap_err().to_string();
    assert_eq!(
        err(r#"{a="b"} |= ip("not-an-ip")"#),
        r#"ip: invalid pattern: "not-an-ip""#
    );
    assert_eq!(err(r#"{a="b"} |~ ip("1.2.3.4")"#), "ip: invalid operation");
    assert_eq!(
        err(r#"{a="b"} |> "<foo> x""#),
        "named captures are not allowed: found '<foo>'"
    );
    assert_eq!(
        err(r#"{a="b"} |> "<_><_>""#),
        "found consecutive capture '<_><_>': invalid expression"
    );
    assert_eq!(
        err(r#"{a="b"} |~ "(""#),
        "parse error : error parsing regexp: missing closing ): `(`"
    );
}

#[test]
fn unsupported_constructs_are_refused_with_their_span() {
    for (query, construct, text) in [
        (
            r#"{a="b"} |= "x" | json"#,
            "the json parser (| json)",
            "| json",
        ),
        (
            r#"{a="b"} | logfmt --strict"#,
            "the logfmt parser (| logfmt)",
            "| logfmt --strict",
        ),
        (
            r#"{a="b"} | level="error""#,
            "a label filter",
            r#"| level="error""#,
        ),
        (
            r#"{a="b"} | line_format "{{.a}}""#,
            "line_format",
            r#"| line_format "{{.a}}""#,
        ),
        (r#"{a="b"} | drop x"#, "drop", "| drop x"),
        (r#"{a="b"} | decolorize"#, "decolorize", "| decolorize"),
        (
            r#"count_over_time({a="b"}[5m])"#,
            "the metric query (count_over_time)",
            r#"count_over_time({a="b"}[5m])"#,
        ),
        (
            r#"sum(rate({a="b"}[5m]))"#,
            "the metric query (sum)",
            r#"sum(rate({a="b"}[5m]))"#,
        ),
    ] {
        let err = plan(query).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{construct} is not supported yet"),
            "{query}"
        );
        assert_eq!(&query[err.span().range()], text, "{query}");
        assert!(!err.is_parse_error());
    }
}

#[test]
fn stream_selection() {
    let plan: LogPlan =
        plan(r#"{app="api", env=~"prod|staging", team!="x", region!~"eu-.*"}"#).unwrap();
    let labels = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    };
    assert!(plan.selects(labels(&[("app", "api"), ("env", "prod")])));
    assert!(plan.selects(labels(&[
        ("app", "api"),
        ("env", "staging"),
        ("region", "us-1")
    ])));
    assert!(!plan.selects(labels(&[("app", "api"), ("env", "dev")])));
    assert!(!plan.selects(labels(&[("app", "api"), ("env", "prod"), ("team", "x")])));
    assert!(!plan.selects(labels(&[
        ("app", "api"),
        ("env", "prod"),
        ("region", "eu-west")
    ])));
    assert!(plan.line_filter.is_none());
    assert_eq!(
        plan.matchers[1].exact_values().map(<[String]>::len),
        Some(2)
    );
}

#[test]
fn matchers() {
    let m = |op, v: &str| Matcher::new("l", op, v).unwrap();
    assert!(m(MatchOp::Re, "ab+").matches("abbb"));
    assert!(!m(MatchOp::Re, "ab+").matches("xabbb"));
    assert!(m(MatchOp::Re, "(?i)ERROR").matches("error"));
    assert!(m(MatchOp::Nre, "a|b").matches("c"));
    assert!(!m(MatchOp::Nre, "a|b").matches("a"));
    assert!(m(MatchOp::Eq, "").matches_empty());
    assert!(!m(MatchOp::Neq, "").matches_empty());
    assert!(m(MatchOp::Re, "a.*").matches("a\nb"));
    assert_eq!(m(MatchOp::Re, "a|b").to_string(), r#"l=~"a|b""#);
    assert!(Matcher::new("l", MatchOp::Re, "(").is_err());
}

#[test]
fn plans_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<LogPlan>();
    assert_send_sync::<logql::LineFilter>();
    assert_send_sync::<Matcher>();
    assert_send_sync::<logql::ast::Expr>();
}
