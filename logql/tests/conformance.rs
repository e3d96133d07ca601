//! The parser against Loki's behaviour: queries Loki accepts, with the canonical text Loki
//! prints for them, and queries Loki refuses, with Loki's exact error text.
//!
//! The expectations come from Loki's grammar, printer and parser behaviour (and its
//! documented error texts), written down by hand; where this crate deliberately differs
//! from Loki the case says so.

// Every query is a raw string, so the table reads uniformly.
#![allow(clippy::needless_raw_string_hashes)]

use logql::parse;

/// (query, canonical text).
const ACCEPTED: &[(&str, &str)] = &[
    // Stream selectors.
    (r#"{app="foo"}"#, r#"{app="foo"}"#),
    (
        r#"{ foo = "bar", bar != "baz" }"#,
        r#"{foo="bar", bar!="baz"}"#,
    ),
    (
        r#"{app=~"api|web", env!~"dev.*"}"#,
        r#"{app=~"api|web", env!~"dev.*"}"#,
    ),
    ("{app=`a\\b`}", r#"{app="a\\b"}"#),
    (r#"{app="\u00e9\t\"q\""}"#, r#"{app="é\t\"q\""}"#),
    (r#"{app!=""}"#, r#"{app!=""}"#),
    (r#"{app=~".+"}"#, r#"{app=~".+"}"#),
    ("# a comment\n{app=\"foo\"} # another", r#"{app="foo"}"#),
    (r#"({app="foo"})"#, r#"{app="foo"}"#),
    // Line filters.
    (
        r#"{app="foo"} |= "a" != "b" |~ "c" !~ "d" |> "<_> e" !> "f <_>""#,
        r#"{app="foo"} |= "a" != "b" |~ "c" !~ "d" |> "<_> e" !> "f <_>""#,
    ),
    (r#"{app="foo"} |= `raw\d`"#, r#"{app="foo"} |= "raw\\d""#),
    (
        r#"{app="foo"} |= "foo" or "bar" or "baz" |= "car""#,
        r#"{app="foo"} |= "foo" or "bar" or "baz" |= "car""#,
    ),
    (
        r#"{app="foo"} != "foo" or "bar""#,
        r#"{app="foo"} != "foo" != "bar""#,
    ),
    (
        r#"{app="foo"} !~ "foo" or "bar" or "baz" !~ "car""#,
        r#"{app="foo"} !~ "foo" !~ "bar" !~ "baz" !~ "car""#,
    ),
    (
        r#"{app="foo"} |= ip("10.0.0.0/8") or ip("192.168.0.0/16") or "baz""#,
        r#"{app="foo"} |= ip("10.0.0.0/8") or ip("192.168.0.0/16") or "baz""#,
    ),
    (
        r#"{app="foo"} != ip("127.0.0.1") or "foo""#,
        r#"{app="foo"} != ip("127.0.0.1") != "foo""#,
    ),
    (
        r#"{app="foo"} |> "foo <_> baz" or "foo <_>""#,
        r#"{app="foo"} |> "foo <_> baz" or "foo <_>""#,
    ),
    (
        r#"{app="foo"} |~ "(?i)error""#,
        r#"{app="foo"} |~ "(?i)error""#,
    ),
    // Parsers.
    (r#"{app="foo"} | json"#, r#"{app="foo"} | json"#),
    (
        r#"{app="foo"} | json response_status="response.status.code", first_param="request.params[0]""#,
        r#"{app="foo"} | json response_status="response.status.code",first_param="request.params[0]""#,
    ),
    (
        r#"{app="foo"} | json a, b="c""#,
        r#"{app="foo"} | json a="a",b="c""#,
    ),
    (
        r#"{app="foo"} | logfmt --strict --keep-empty"#,
        r#"{app="foo"} | logfmt --strict --keep-empty"#,
    ),
    (
        r#"{app="foo"} | logfmt --keep-empty --strict b="foo""#,
        r#"{app="foo"} | logfmt --strict --keep-empty b="foo""#,
    ),
    (
        r#"{app="foo"} | regexp "(?P<foo>foo|bar)""#,
        r#"{app="foo"} | regexp "(?P<foo>foo|bar)""#,
    ),
    (
        r#"{app="foo"} | pattern "<foo> bar <buzz>" | unpack"#,
        r#"{app="foo"} | pattern "<foo> bar <buzz>" | unpack"#,
    ),
    (
        r#"{app="foo"} | JSON | LOGFMT"#,
        r#"{app="foo"} | json | logfmt"#,
    ),
    // Label filters.
    (
        r#"{foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap" | regexp "(?P<foo>foo|bar)" | ( ( foo<5.01 , bar>20ms ) or foo="bar" ) | line_format "blip{{.boop}}bap" | label_format foo=bar,bar="blip{{.blop}}""#,
        r#"{foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap" | regexp "(?P<foo>foo|bar)" | ( ( foo<5.01 , bar>20ms ) or foo="bar" ) | line_format "blip{{.boop}}bap" | label_format foo=bar,bar="blip{{.blop}}""#,
    ),
    (
        r#"{foo="bar"} | logfmt | counter>-1 | counter>=-1 | counter<-1 | counter<=-1 | counter!=-1 | counter==-1"#,
        r#"{foo="bar"} | logfmt | counter>-1 | counter>=-1 | counter<-1 | counter<=-1 | counter!=-1 | counter==-1"#,
    ),
    (
        r#"{app="foo"} | logfmt | b>=10GB | c=5 | d==5"#,
        r#"{app="foo"} | logfmt | b>=10GB | c==5 | d==5"#,
    ),
    (
        r#"{app="foo"} | json | latency >= 250ms or ( status_code < 500 and status_code > 200)"#,
        r#"{app="foo"} | json | ( latency>=250ms or ( status_code<500 , status_code>200 ) )"#,
    ),
    (
        r#"{app="foo"} | json | a="1" b="2" c="3""#,
        r#"{app="foo"} | json | ( a="1" , ( b="2" , c="3" ) )"#,
    ),
    (
        r#"{app="foo"} | json | a="1" or b="2" , c="3""#,
        r#"{app="foo"} | json | ( a="1" or ( b="2" , c="3" ) )"#,
    ),
    (
        r#"{app="foo"} | json | a="1" and b="2" or c="3""#,
        r#"{app="foo"} | json | ( ( a="1" , b="2" ) or c="3" )"#,
    ),
    (
        r#"{app="foo"} | logfmt | addr=ip("1.2.3.4") | addr!=ip("10.0.0.0/8")"#,
        r#"{app="foo"} | logfmt | addr=ip("1.2.3.4") | addr!=ip("10.0.0.0/8")"#,
    ),
    (
        r#"{app="foo"} | logfmt | msg=~"a.*b" | level=~"error|warn""#,
        r#"{app="foo"} | logfmt | msg=~`a.*b` | level=~"error|warn""#,
    ),
    (
        r#"{app="foo"} | logfmt | __error__="" | size < 1.5KiB"#,
        r#"{app="foo"} | logfmt | __error__="" | size<1536B"#,
    ),
    (
        r#"{app="foo"} | json | duration > 1h30m | d < 1.5s | e > -5m"#,
        r#"{app="foo"} | json | duration>1h30m0s | d<1.5s | e>-5m0s"#,
    ),
    // Formatting.
    (
        r#"{app="foo"} | drop a, b="v", c=~"x.*" | keep d"#,
        r#"{app="foo"} | drop a,b="v",c=~"x.*" | keep d"#,
    ),
    (r#"{app="foo"} | decolorize"#, r#"{app="foo"} | decolorize"#),
    // Range aggregations.
    (
        r#"count_over_time({app="foo"}[5m])"#,
        r#"count_over_time({app="foo"}[5m])"#,
    ),
    (
        r#"rate( ( {job="mysql"} |="error" !="timeout" ) [10s] )"#,
        r#"rate({job="mysql"} |= "error" != "timeout"[10s])"#,
    ),
    (
        r#"absent_over_time( ( {job="mysql"} |="error" !="timeout" ) [10s] offset 10d )"#,
        r#"absent_over_time({job="mysql"} |= "error" != "timeout"[10s] offset 240h0m0s)"#,
    ),
    (
        r#"bytes_over_time({app="foo"}[1h30m])"#,
        r#"bytes_over_time({app="foo"}[1h30m])"#,
    ),
    (
        r#"bytes_rate({app="foo"}[2w])"#,
        r#"bytes_rate({app="foo"}[2w])"#,
    ),
    (
        r#"count_over_time({app="foo"}[5m] | json)"#,
        r#"count_over_time({app="foo"} | json[5m])"#,
    ),
    (
        r#"sum_over_time({namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms|unwrap latency [5m])"#,
        r#"sum_over_time({namespace="tns"} |= "level=error" | json | ( foo>=5 , bar<25ms ) | unwrap latency[5m])"#,
    ),
    (
        r#"sum_over_time({namespace="tns"} | json | unwrap latency | __error__!~".*" | foo >5[5m])"#,
        r#"sum_over_time({namespace="tns"} | json | unwrap latency | __error__!~".*" | foo>5[5m])"#,
    ),
    (
        r#"avg_over_time({app="foo"} | unwrap bytes(size) [1m]) by (host)"#,
        r#"avg_over_time({app="foo"} | unwrap bytes(size)[1m]) by (host)"#,
    ),
    (
        r#"max_over_time({app="foo"} | logfmt | unwrap duration_seconds(d) [1m]) without ()"#,
        r#"max_over_time({app="foo"} | logfmt | unwrap duration_seconds(d)[1m]) without ()"#,
    ),
    (
        r#"quantile_over_time(0.99, {app="foo"} | json | unwrap duration(latency) [5m] offset 1h)"#,
        r#"quantile_over_time(0.99,{app="foo"} | json | unwrap duration(latency)[5m] offset 1h0m0s)"#,
    ),
    (
        r#"rate_counter({app="foo"} | unwrap n [1m])"#,
        r#"rate_counter({app="foo"} | unwrap n[1m])"#,
    ),
    (
        r#"first_over_time({app="foo"}[1m] | unwrap n)"#,
        r#"first_over_time({app="foo"} | unwrap n[1m])"#,
    ),
    // Vector aggregations.
    (
        r#"sum(count_over_time({job="mysql"}[5m]))"#,
        r#"sum(count_over_time({job="mysql"}[5m]))"#,
    ),
    (
        r#"sum by (cluster) (count_over_time({job="mysql"}[5m] offset 10m))"#,
        r#"sum by (cluster)(count_over_time({job="mysql"}[5m] offset 10m0s))"#,
    ),
    (
        r#"avg(rate({job="nginx"}[10s])) by (region, host)"#,
        r#"avg by (region,host)(rate({job="nginx"}[10s]))"#,
    ),
    (
        r#"sum by () (rate({a="b"}[1m]))"#,
        r#"sum(rate({a="b"}[1m]))"#,
    ),
    (
        r#"sum without (a) (rate({a="b"}[1m]))"#,
        r#"sum without (a)(rate({a="b"}[1m]))"#,
    ),
    (
        r#"topk(10,sum(rate({region="us-east1"}[5m])) by (name))"#,
        r#"topk(10,sum by (name)(rate({region="us-east1"}[5m])))"#,
    ),
    (
        r#"topk by (name)(10,sum(rate({region="us-east1"}[5m])))"#,
        r#"topk by (name)(10,sum(rate({region="us-east1"}[5m])))"#,
    ),
    (
        r#"bottomk(3, count_over_time({a="b"}[1m]))"#,
        r#"bottomk(3,count_over_time({a="b"}[1m]))"#,
    ),
    (
        r#"sort_desc(sum by (a) (rate({a="b"}[1m])))"#,
        r#"sort_desc(sum by (a)(rate({a="b"}[1m])))"#,
    ),
    (
        r#"count(stddev(stdvar(min(max(rate({a="b"}[1m]))))))"#,
        r#"count(stddev(stdvar(min(max(rate({a="b"}[1m]))))))"#,
    ),
    (
        r#"SUM BY (a) (RATE({a="b"}[1m]))"#,
        r#"sum by (a)(rate({a="b"}[1m]))"#,
    ),
    // Binary operations and literals.
    (r#"10 / (5/2)"#, r#"(10 / (5 / 2))"#),
    (r#"1 + 2 * 3 ^ 2 ^ 2"#, r#"(1 + (2 * (3 ^ (2 ^ 2))))"#),
    (r#"1 - 2 - 3"#, r#"((1 - 2) - 3)"#),
    (
        r#"(count_over_time({job="postgres"}[5m])/2) or vector(2)"#,
        r#"((count_over_time({job="postgres"}[5m]) / 2) or vector(2.000000))"#,
    ),
    (
        r#"rate({a="b"}[1m]) > bool 5"#,
        r#"(rate({a="b"}[1m]) > bool 5)"#,
    ),
    (
        r#"rate({a="b"}[1m]) and on (x, y) rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) and on (x,y)  rate({c="d"}[1m]))"#,
    ),
    (
        r#"rate({a="b"}[1m]) * ignoring (x) group_left (y) rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) * ignoring (x) group_left (y) rate({c="d"}[1m]))"#,
    ),
    (
        r#"rate({a="b"}[1m]) / on () group_right rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) / on () group_right rate({c="d"}[1m]))"#,
    ),
    (
        r#"rate({a="b"}[1m]) + ignoring () rate({c="d"}[1m])"#,
        r#"(rate({a="b"}[1m]) + rate({c="d"}[1m]))"#,
    ),
    (r#"rate({a="b"}[1m]) - -1"#, r#"(rate({a="b"}[1m]) - -1)"#),
    (r#"1.6"#, r#"1.6"#),
    (r#"-2.5e-7"#, r#"-2.5e-07"#),
    (r#"1000000"#, r#"1e+06"#),
    (r#"vector(123)"#, r#"vector(123.000000)"#),
    (
        r#"label_replace(rate({a="b"}[1m]), "foo", "$1", "service", "(.*):.*")"#,
        r#"label_replace(rate({a="b"}[1m]),"foo","$1","service","(.*):.*")"#,
    ),
];

/// (query, Loki's error text).
const REFUSED: &[(&str, &str)] = &[
    // Syntax errors.
    (
        r#"{foo="bar""#,
        "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,",
    ),
    (
        r#"{foo="bar"} |~"#,
        "parse error at line 1, col 15: syntax error: unexpected $end, expecting STRING or ip",
    ),
    (
        r#"{foo="bar"} "foo""#,
        "parse error at line 1, col 13: syntax error: unexpected STRING",
    ),
    (
        r#"{foo="bar"} foo"#,
        "parse error at line 1, col 13: syntax error: unexpected IDENTIFIER",
    ),
    (
        r#"unk({ foo = "bar" }[5m])"#,
        "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER",
    ),
    (
        r#"label_replace(rate({ foo = "bar" }[5m]),"")"#,
        "parse error at line 1, col 43: syntax error: unexpected ), expecting ,",
    ),
    (
        r#"bottomk(he,count_over_time({ foo = "bar" }[5h]))"#,
        "parse error at line 1, col 9: syntax error: unexpected IDENTIFIER",
    ),
    (
        r#"stddev({ foo = "bar" })"#,
        "parse error at line 1, col 23: syntax error: unexpected )",
    ),
    (
        r#"bool 1 > 1 > bool 1"#,
        "parse error at line 1, col 1: syntax error: unexpected bool",
    ),
    (
        r#"quantile_over_time(foo,{namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms| unwrap latency [5m])"#,
        "parse error at line 1, col 20: syntax error: unexpected IDENTIFIER, expecting NUMBER or { or (",
    ),
    (
        r#"vector(abc)"#,
        "parse error at line 1, col 8: syntax error: unexpected IDENTIFIER, expecting NUMBER",
    ),
    (
        "#{app=\"foo\"} | json",
        "parse error at line 1, col 20: syntax error: unexpected $end",
    ),
    (
        r#"{ foo = "bar" }|logfmt|addr>=ip("1.2.3.4")"#,
        "parse error at line 1, col 30: syntax error: unexpected ip",
    ),
    (
        r#"{ foo = "bar" }|logfmt|addr<ip("1.2.3.4")"#,
        "parse error at line 1, col 29: syntax error: unexpected ip",
    ),
    (
        r#"sum(count_over_time({ foo ="bar" }[5m])) by (foo) by (bar)"#,
        "parse error at line 1, col 51: syntax error: unexpected by",
    ),
    (
        "{app=\"foo\"}\n  | json\n  | unwrap x",
        "parse error at line 3, col 5: syntax error: unexpected unwrap",
    ),
    // Loki reports line 0 for tokens its lexer reads ahead (ranges, two-character
    // operators); this crate reports the real line.
    (
        r#"min({ foo = "bar" }[5m])"#,
        "parse error at line 1, col 20: syntax error: unexpected RANGE",
    ),
    // Lexical errors.
    (
        r#"{foo="bar}"#,
        "parse error at line 1, col 6: literal not terminated",
    ),
    (
        r#"rate({ foo = "bar" }[5minutes])"#,
        r#"parse error at line 1, col 21: unknown unit "minutes" in duration "5minutes""#,
    ),
    (
        r#"rate({ foo = "bar" }[5)"#,
        "parse error at line 1, col 21: missing closing ']' in duration",
    ),
    (
        r#"{foo="\q"}"#,
        "parse error at line 1, col 6: invalid char escape",
    ),
    // Checks Loki makes while parsing.
    (
        r#"{app="foo"} | logfmt | status_code > 0x10"#,
        r#"parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "0x10": invalid syntax"#,
    ),
    (
        r#"{app=~"("}"#,
        "parse error : error parsing regexp: missing closing ): `(`",
    ),
    (
        r#"{app="foo"} | regexp "(foo)""#,
        "parse error : invalid regexp parser: at least one named capture must be supplied",
    ),
    (
        r#"{app="foo"} | pattern "<_> x""#,
        "parse error : invalid pattern parser: at least one capture is required",
    ),
    // Checks Loki makes on the built tree.
    (
        r#"{app=""}"#,
        "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    ),
    (
        r#"{app=~".*", env!="prod"}"#,
        "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    ),
    (
        r#"{}"#,
        "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    ),
    (
        r#"count_over_time({app=~".*"}[5m])"#,
        "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    ),
    (
        r#"absent_over_time({ foo = "bar" }[5h]) by (foo)"#,
        "parse error : grouping not allowed for absent_over_time aggregation",
    ),
    (
        r#"approx_topk(2, count_over_time({ foo = "bar" }[5h])) by (foo)"#,
        "parse error : grouping not allowed for approx_topk aggregation",
    ),
    (
        r#"label_replace(rate({ foo = "bar" }[5m]),"foo","$1","bar","^^^^x43\\q")"#,
        "parse error : invalid regex in label_replace: error parsing regexp: invalid escape sequence: `\\q`",
    ),
    (
        r#"sum(3 ,count_over_time({ foo = "bar" }[5h]))"#,
        "parse error : unsupported parameter for operation sum(3,",
    ),
    (
        r#"topk(count_over_time({ foo = "bar" }[5h]))"#,
        "parse error : parameter required for operation topk",
    ),
    (
        r#"bottomk(1.2,count_over_time({ foo = "bar" }[5h]))"#,
        "parse error : invalid parameter bottomk(1.2,",
    ),
    (
        r#"topk(0,count_over_time({ foo = "bar" }[5h]))"#,
        "parse error : invalid parameter (must be greater than 0) topk(0",
    ),
    (
        r#"sum_over_time({namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms| unwrap latency [5m]) by (foo)"#,
        "parse error : grouping not allowed for sum_over_time aggregation",
    ),
    (
        r#"sum_over_time(50,{namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms| unwrap latency [5m])"#,
        "parse error : parameter 50 not supported for operation sum_over_time",
    ),
    (
        r#"quantile_over_time({namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms| unwrap latency [5m])"#,
        "parse error : parameter required for operation quantile_over_time",
    ),
    (
        r#"sum_over_time({app="foo"} |= "bar" | json [5m])"#,
        "parse error : invalid aggregation sum_over_time without unwrap",
    ),
    (
        r#"count_over_time({app="foo"} |= "foo" | json | unwrap foo [5m])"#,
        "parse error : invalid aggregation count_over_time with unwrap",
    ),
    (
        r#"{foo="bar"} + {foo="bar"}"#,
        "parse error : unexpected type for left leg of binary operation (+): *syntax.MatchersExpr",
    ),
    (
        r#"sum(count_over_time({foo="bar"}[5m])) by (foo) - {foo="bar"} |= "x""#,
        "parse error : unexpected type for right leg of binary operation (-): *syntax.PipelineExpr",
    ),
    (
        r#"sum(count_over_time({foo="bar"}[5m])) by (foo) or 1"#,
        "parse error : unexpected literal for right leg of logical/set binary operation (or): 1.000000",
    ),
    (
        r#"1 unless sum(count_over_time({foo="bar"}[5m])) by (foo)"#,
        "parse error : unexpected literal for left leg of logical/set binary operation (unless): 1.000000",
    ),
    (
        r#"sum(count_over_time({foo="bar"}[5m])) by (foo) + 1 or 1"#,
        "parse error : unexpected literal for right leg of logical/set binary operation (or): 1.000000",
    ),
    (
        r#"(1 + 1) and rate({a="b"}[1m])"#,
        "parse error : unexpected literal for left leg of logical/set binary operation (and): 2.000000",
    ),
    (
        r#"sort(sum(rate({a="b"}[1m]))) by (a)"#,
        "parse error : sort and sort_desc doesn't allow grouping by ",
    ),
];

#[test]
fn accepted_queries_print_canonically() {
    let mut failures = Vec::new();
    for (query, canonical) in ACCEPTED {
        match parse(query) {
            Ok(expr) if expr.to_string() == *canonical => {}
            Ok(expr) => failures.push(format!(
                "{query}\n   printed {expr}\n  expected {canonical}"
            )),
            Err(e) => failures.push(format!("{query}\n    failed: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        ACCEPTED.len(),
        failures.join("\n")
    );
}

#[test]
fn canonical_text_is_a_fixed_point() {
    for (_, canonical) in ACCEPTED {
        let printed = parse(canonical).map(|e| e.to_string());
        assert_eq!(printed.as_deref(), Ok(*canonical), "{canonical}");
    }
}

#[test]
fn refused_queries_report_lokis_error() {
    let mut failures = Vec::new();
    for (query, message) in REFUSED {
        match parse(query) {
            Ok(expr) => failures.push(format!("{query}\n  accepted as {expr}")),
            Err(e) if e.to_string() == *message => {}
            Err(e) => failures.push(format!("{query}\n       got {e}\n  expected {message}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        REFUSED.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_point_at_the_offending_text() {
    let query = r#"{app="foo"} |= "x" | json | unwrap y"#;
    let err = parse(query).unwrap_err();
    assert_eq!(&query[err.span().range()], "unwrap");
    let query = r#"{app=~"(", b="c"}"#;
    let err = parse(query).unwrap_err();
    assert_eq!(&query[err.span().range()], r#""(""#);
    let query = r#"sum(3, rate({a="b"}[1m]))"#;
    assert_eq!(&query[parse(query).unwrap_err().span().range()], "3");
    let query = r#"rate({a="b"}[1m]) + {c="d"}"#;
    assert_eq!(
        &query[parse(query).unwrap_err().span().range()],
        r#"{c="d"}"#
    );
}

#[test]
fn input_size_limit() {
    let long = format!(r#"{{app="{}"}}"#, "a".repeat(logql::MAX_QUERY_LEN));
    assert_eq!(
        parse(&long).unwrap_err().to_string(),
        "parse error : input size too long (131080 > 131072)"
    );
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse(&deep).is_err());
    let chain = format!(
        r#"{{a="b"}} | json | {}"#,
        vec![r#"x="1""#; 5_000].join(" , ")
    );
    assert!(parse(&chain).is_err());
    let ok = format!("{}1{}", "(".repeat(50), ")".repeat(50));
    assert_eq!(parse(&ok).unwrap().to_string(), "1");
}

#[test]
fn selectors_alone() {
    let selector = logql::parse_selector(r#"{app="api", env=~"prod|dev"}"#).unwrap();
    assert_eq!(selector.matchers.len(), 2);
    let err = logql::parse_selector(r#"{app="api"} |= "x""#).unwrap_err();
    assert_eq!(err.to_string(), "only label matchers are supported");
}
