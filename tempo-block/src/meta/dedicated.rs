//! Dedicated attribute columns: which attributes a block stores in their own Parquet columns
//! instead of the generic `Attrs` lists, as recorded in `meta.json`.
//!
//! The types are re-exported from [`crate::meta`]; the JSON form and the limits of each
//! encoding are described on [`DedicatedColumn`].

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::Version;
use crate::error::{BlockError, Result};
use crate::gojson::{self, Escape};

/// Which attributes a dedicated column holds: those of resources, spans or span events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DedicatedScope {
    /// Resource attributes (`rs.Resource.DedicatedAttributes`).
    Resource,
    /// Span attributes (`rs.ss.Spans.DedicatedAttributes`); the default.
    Span,
    /// Span-event attributes (`rs.ss.Spans.Events.DedicatedAttributes`); vParquet5 only.
    Event,
}

impl DedicatedScope {
    /// The scope's name in `meta.json`: `resource`, `span` or `event`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Resource => "resource",
            Self::Span => "span",
            Self::Event => "event",
        }
    }
}

impl fmt::Display for DedicatedScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DedicatedScope {
    type Err = BlockError;

    /// Parses `resource`, `span` or `event`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "resource" => Ok(Self::Resource),
            "span" => Ok(Self::Span),
            "event" => Ok(Self::Event),
            _ => Err(BlockError::InvalidInput(format!(
                "unknown dedicated column scope {s:?} (resource, span or event)"
            ))),
        }
    }
}

/// The value type a dedicated column stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DedicatedType {
    /// String values (`StringNN` columns); the default.
    String,
    /// 64-bit integer values (`IntNN` columns); vParquet5 only.
    Int,
}

impl DedicatedType {
    /// The type's name in `meta.json`: `string` or `int`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Int => "int",
        }
    }
}

impl fmt::Display for DedicatedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DedicatedType {
    type Err = BlockError;

    /// Parses `string` or `int`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "string" => Ok(Self::String),
            "int" => Ok(Self::Int),
            _ => Err(BlockError::InvalidInput(format!(
                "unknown dedicated column type {s:?} (string or int)"
            ))),
        }
    }
}

/// Options of a dedicated column (vParquet5 only). Written in this order: `array`, `blob`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DedicatedOptions {
    /// `array`: arrays whose elements all have the column's type are stored in the column too.
    pub array: bool,
    /// `blob`: the column is zstd-compressed, optional, and has no min/max page bounds.
    pub blob: bool,
}

impl DedicatedOptions {
    /// True when no option is set (the `o` key is then left out).
    pub const fn is_empty(self) -> bool {
        !self.array && !self.blob
    }
}

/// One dedicated attribute column of a block.
///
/// # JSON form
///
/// Tempo writes each column compactly, leaving out values equal to the defaults:
///
/// ```json
/// [{"s":"resource","n":"k8s.pod.name"},{"n":"url.path"},
///  {"n":"http.response.status_code","t":"int"},{"s":"event","n":"body","o":["blob"]}]
/// ```
///
/// | key | meaning | left out when |
/// | --- | --- | --- |
/// | `s` | scope: `resource`, `span`, `event` | `span` |
/// | `n` | attribute name | never |
/// | `t` | value type: `string`, `int` | `string` |
/// | `o` | options: `array` (arrays of the type are stored too), `blob` (zstd, no page bounds) | no option is set |
///
/// On reading, a missing, `null` or empty `s`/`t` means the default, and unknown keys are
/// ignored. An unknown scope, type or option is an error: Tempo's configuration check refuses
/// them, so no block Tempo writes carries one.
///
/// # Limits per encoding
///
/// vParquet5 has 20 string and 5 int slots for each of the three scopes. vParquet4 has 10
/// string slots for the resource and span scopes only, no int slots, no options, and fixed
/// columns for some well-known attributes (see [`supported_dedicated_columns`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedicatedColumn {
    /// Whose attributes the column holds.
    pub scope: DedicatedScope,
    /// The attribute name (non-empty in a valid list).
    pub name: String,
    /// The value type.
    pub kind: DedicatedType,
    /// The column's options.
    pub options: DedicatedOptions,
}

impl DedicatedColumn {
    /// A column without options.
    pub fn new(scope: DedicatedScope, name: impl Into<String>, kind: DedicatedType) -> Self {
        Self {
            scope,
            name: name.into(),
            kind,
            options: DedicatedOptions::default(),
        }
    }

    /// Tempo's default list, used when no list is configured, in Tempo's order (which decides
    /// the slots): four Kubernetes resource strings, then the HTTP and URL span attributes
    /// of current semantic conventions, then the legacy HTTP span attributes.
    pub fn default_list() -> Vec<Self> {
        use DedicatedScope::{Resource, Span};
        use DedicatedType::{Int, String};
        [
            (Resource, "k8s.cluster.name", String),
            (Resource, "k8s.namespace.name", String),
            (Resource, "k8s.pod.name", String),
            (Resource, "k8s.container.name", String),
            (Span, "http.request.method", String),
            (Span, "http.response.status_code", Int),
            (Span, "url.path", String),
            (Span, "url.route", String),
            (Span, "server.address", String),
            (Span, "server.port", Int),
            (Span, "http.method", String),
            (Span, "http.url", String),
            (Span, "http.route", String),
            (Span, "http.status_code", Int),
        ]
        .into_iter()
        .map(|(scope, name, kind)| Self::new(scope, name, kind))
        .collect()
    }

    /// The list in Tempo's compact JSON form (see [`DedicatedColumn`]), as
    /// stored in the `dedicated_columns` field of `index.pb.zst`: without HTML escaping.
    /// `meta.json` holds the same text except that `<`, `>`, `&`, U+2028 and U+2029 inside
    /// names are escaped.
    pub fn list_to_json(columns: &[Self]) -> String {
        let mut out = String::new();
        push_list(&mut out, columns, Escape::Plain);
        out
    }

    /// Parses a list in Tempo's compact JSON form. `null` is the empty list.
    ///
    /// # Errors
    ///
    /// [`BlockError::Json`] for text that is not JSON, and for entries that are not objects
    /// or hold an unknown scope, type or option (the message names the entry).
    pub fn list_from_json(bytes: &[u8]) -> Result<Vec<Self>> {
        const WHAT: &str = "dedicated column list";
        let value: Value = serde_json::from_slice(bytes).map_err(|e| BlockError::Json {
            what: WHAT.to_owned(),
            message: e.to_string(),
        })?;
        list_from_value(&value).map_err(|message| BlockError::Json {
            what: WHAT.to_owned(),
            message,
        })
    }
}

/// Appends the JSON form of `columns`.
pub(crate) fn push_list(out: &mut String, columns: &[DedicatedColumn], escape: Escape) {
    out.push('[');
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        if c.scope != DedicatedScope::Span {
            out.push_str("\"s\":");
            gojson::push_string(out, c.scope.as_str(), escape);
            out.push(',');
        }
        out.push_str("\"n\":");
        gojson::push_string(out, &c.name, escape);
        if c.kind != DedicatedType::String {
            out.push_str(",\"t\":");
            gojson::push_string(out, c.kind.as_str(), escape);
        }
        if !c.options.is_empty() {
            out.push_str(",\"o\":[");
            let mut first = true;
            for (set, name) in [(c.options.array, "array"), (c.options.blob, "blob")] {
                if set {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    gojson::push_string(out, name, escape);
                }
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push(']');
}

/// Reads a parsed JSON list; `null` is empty. The error message names the entry.
pub(crate) fn list_from_value(value: &Value) -> Result<Vec<DedicatedColumn>, String> {
    let entries = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(entries) => entries,
        other => {
            return Err(format!(
                "expected a list of columns, found {}",
                kind_of(other)
            ));
        }
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| column_from_value(entry).map_err(|e| format!("column {i}: {e}")))
        .collect()
}

fn column_from_value(value: &Value) -> Result<DedicatedColumn, String> {
    let Value::Object(map) = value else {
        return Err(format!("expected an object, found {}", kind_of(value)));
    };
    let text = |key: &str| -> Result<&str, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(""),
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(format!(
                "\"{key}\" must be a string, found {}",
                kind_of(other)
            )),
        }
    };
    let scope = match text("s")? {
        "" => DedicatedScope::Span,
        s => s.parse().map_err(|e: BlockError| e.to_string())?,
    };
    let kind = match text("t")? {
        "" => DedicatedType::String,
        t => t.parse().map_err(|e: BlockError| e.to_string())?,
    };
    let name = text("n")?.to_owned();
    let mut options = DedicatedOptions::default();
    match map.get("o") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for option in list {
                match option.as_str() {
                    Some("array") => options.array = true,
                    Some("blob") => options.blob = true,
                    _ => return Err(format!("unknown option {option} (array or blob)")),
                }
            }
        }
        Some(other) => return Err(format!("\"o\" must be a list, found {}", kind_of(other))),
    }
    Ok(DedicatedColumn {
        scope,
        name,
        kind,
        options,
    })
}

/// The name of a JSON value's type, for error messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Most string columns per scope in vParquet5.
pub const MAX_STRING_COLUMNS_V5: usize = 20;
/// Most int columns per scope in vParquet5.
pub const MAX_INT_COLUMNS_V5: usize = 5;
/// Most string columns per scope (resource or span) in vParquet4.
pub const MAX_STRING_COLUMNS_V4: usize = 10;

/// Attributes vParquet4 stores in fixed columns of its own, so never in dedicated ones.
const V4_FIXED: [(DedicatedScope, &str); 11] = [
    (DedicatedScope::Resource, "service.name"),
    (DedicatedScope::Resource, "cluster"),
    (DedicatedScope::Resource, "namespace"),
    (DedicatedScope::Resource, "pod"),
    (DedicatedScope::Resource, "container"),
    (DedicatedScope::Resource, "k8s.cluster.name"),
    (DedicatedScope::Resource, "k8s.namespace.name"),
    (DedicatedScope::Resource, "k8s.pod.name"),
    (DedicatedScope::Resource, "k8s.container.name"),
    (DedicatedScope::Span, "http.method"),
    (DedicatedScope::Span, "http.url"),
];

/// Whether `version` can store `column` at all (ignoring how many columns there are).
fn storable(column: &DedicatedColumn, version: Version) -> bool {
    match version {
        Version::VParquet5 => true,
        Version::VParquet4 => {
            column.options.is_empty()
                && column.kind == DedicatedType::String
                && matches!(
                    column.scope,
                    DedicatedScope::Resource | DedicatedScope::Span
                )
                && !V4_FIXED.contains(&(column.scope, column.name.as_str()))
        }
    }
}

/// The columns of `columns` that `version` supports, in order, as Tempo's block writers keep
/// them in the new block's meta (`filterDedicatedColumns`):
///
/// * vParquet5 keeps every column (all scopes, types and options exist).
/// * vParquet4 drops columns with options, int columns, event-scope columns, and the
///   attributes it stores in fixed columns: resource `service.name`, `cluster`,
///   `namespace`, `pod`, `container` and the four `k8s.*.name` ones, span `http.method`,
///   `http.url` (and `http.status_code`, an int).
///
/// Like Tempo, this does not cut a list that is too long: see [`validate_dedicated_columns`].
pub fn supported_dedicated_columns(
    columns: &[DedicatedColumn],
    version: Version,
) -> Vec<DedicatedColumn> {
    columns
        .iter()
        .filter(|c| storable(c, version))
        .cloned()
        .collect()
}

/// Checks that `version` can store every column of `columns` in its own slot:
///
/// * names are non-empty and no (scope, name) pair occurs twice;
/// * vParquet5: at most 20 string and 5 int columns per scope;
/// * vParquet4: only string columns without options, of resource or span scope, none of the
///   attributes with fixed columns (see [`supported_dedicated_columns`]), at most 10 per
///   scope.
///
/// Tempo only warns about lists that are too long and then ignores the extra columns; a
/// writer here refuses them so that no attribute silently changes column.
///
/// # Errors
///
/// [`BlockError::InvalidInput`] naming the first offending column and the rule.
pub fn validate_dedicated_columns(columns: &[DedicatedColumn], version: Version) -> Result<()> {
    let invalid = |c: &DedicatedColumn, why: &str| {
        Err(BlockError::InvalidInput(format!(
            "dedicated column {} {:?} ({}): {why}",
            c.scope, c.name, c.kind
        )))
    };
    let mut seen = HashSet::new();
    let mut counts = [[0usize; 2]; 3];
    for c in columns {
        if c.name.is_empty() {
            return invalid(c, "empty name");
        }
        if !seen.insert((c.scope, c.name.as_str())) {
            return invalid(c, "the scope already has a column of this name");
        }
        if !storable(c, version) {
            return invalid(
                c,
                &format!("{} cannot store it in a dedicated column", version.as_str()),
            );
        }
        let count = &mut counts[c.scope as usize][c.kind as usize];
        *count += 1;
        let max = match (version, c.kind) {
            (Version::VParquet5, DedicatedType::String) => MAX_STRING_COLUMNS_V5,
            (Version::VParquet5, DedicatedType::Int) => MAX_INT_COLUMNS_V5,
            (Version::VParquet4, _) => MAX_STRING_COLUMNS_V4,
        };
        if *count > max {
            return invalid(
                c,
                &format!(
                    "more than {max} {} columns of {} scope in {}",
                    c.kind,
                    c.scope,
                    version.as_str()
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    const DEFAULT_JSON: &str = r#"[{"s":"resource","n":"k8s.cluster.name"},{"s":"resource","n":"k8s.namespace.name"},{"s":"resource","n":"k8s.pod.name"},{"s":"resource","n":"k8s.container.name"},{"n":"http.request.method"},{"n":"http.response.status_code","t":"int"},{"n":"url.path"},{"n":"url.route"},{"n":"server.address"},{"n":"server.port","t":"int"},{"n":"http.method"},{"n":"http.url"},{"n":"http.route"},{"n":"http.status_code","t":"int"}]"#;

    #[test]
    fn default_list_matches_tempo_json() {
        let list = DedicatedColumn::default_list();
        assert_eq!(DedicatedColumn::list_to_json(&list), DEFAULT_JSON);
        assert_eq!(
            DedicatedColumn::list_from_json(DEFAULT_JSON.as_bytes()).unwrap(),
            list
        );
        validate_dedicated_columns(&list, Version::VParquet5).unwrap();
    }

    #[test]
    fn options_and_defaults() {
        let json = r#"[{"s":"event","n":"e","t":"int","o":["blob","array"]},{"s":"","n":"x","t":null,"o":null,"extra":1}]"#;
        let list = DedicatedColumn::list_from_json(json.as_bytes()).unwrap();
        assert_eq!(list[0].scope, DedicatedScope::Event);
        assert_eq!(list[0].kind, DedicatedType::Int);
        assert_eq!(
            list[0].options,
            DedicatedOptions {
                array: true,
                blob: true
            }
        );
        assert_eq!(
            list[1],
            DedicatedColumn::new(DedicatedScope::Span, "x", DedicatedType::String)
        );
        assert_eq!(
            DedicatedColumn::list_to_json(&list),
            r#"[{"s":"event","n":"e","t":"int","o":["array","blob"]},{"n":"x"}]"#
        );
        assert!(DedicatedColumn::list_from_json(b"null").unwrap().is_empty());
    }

    #[test]
    fn unknown_values_are_errors() {
        for bad in [
            r#"[{"s":"link","n":"a"}]"#,
            r#"[{"n":"a","t":"double"}]"#,
            r#"[{"n":"a","o":["zip"]}]"#,
            r#"[{"n":1}]"#,
            r"[1]",
            r#"{"n":"a"}"#,
            r#"[{"n":"a"}"#,
        ] {
            let err = DedicatedColumn::list_from_json(bad.as_bytes()).unwrap_err();
            assert!(matches!(err, BlockError::Json { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn vparquet4_keeps_what_tempo_keeps() {
        let kept =
            supported_dedicated_columns(&DedicatedColumn::default_list(), Version::VParquet4);
        let names: Vec<&str> = kept.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "http.request.method",
                "url.path",
                "url.route",
                "server.address",
                "http.route"
            ]
        );
        validate_dedicated_columns(&kept, Version::VParquet4).unwrap();
        assert!(
            validate_dedicated_columns(&DedicatedColumn::default_list(), Version::VParquet4)
                .is_err()
        );
        assert_eq!(
            supported_dedicated_columns(&DedicatedColumn::default_list(), Version::VParquet5),
            DedicatedColumn::default_list()
        );
    }

    #[test]
    fn limits_per_scope_and_type() {
        let strings = |scope, n: usize| {
            (0..n).map(move |i| DedicatedColumn::new(scope, format!("s{i}"), DedicatedType::String))
        };
        let ints = |scope, n: usize| {
            (0..n).map(move |i| DedicatedColumn::new(scope, format!("i{i}"), DedicatedType::Int))
        };
        let mut full: Vec<_> = Vec::new();
        for scope in [
            DedicatedScope::Resource,
            DedicatedScope::Span,
            DedicatedScope::Event,
        ] {
            full.extend(strings(scope, 20));
            full.extend(ints(scope, 5));
        }
        validate_dedicated_columns(&full, Version::VParquet5).unwrap();
        let mut over = full.clone();
        over.push(DedicatedColumn::new(
            DedicatedScope::Event,
            "s20",
            DedicatedType::String,
        ));
        assert!(validate_dedicated_columns(&over, Version::VParquet5).is_err());
        let mut over = full;
        over.push(DedicatedColumn::new(
            DedicatedScope::Span,
            "i5",
            DedicatedType::Int,
        ));
        assert!(validate_dedicated_columns(&over, Version::VParquet5).is_err());

        let v4: Vec<_> = strings(DedicatedScope::Span, 10)
            .chain(strings(DedicatedScope::Resource, 10))
            .collect();
        validate_dedicated_columns(&v4, Version::VParquet4).unwrap();
        let mut over = v4;
        over.push(DedicatedColumn::new(
            DedicatedScope::Span,
            "s10",
            DedicatedType::String,
        ));
        assert!(validate_dedicated_columns(&over, Version::VParquet4).is_err());
    }

    #[test]
    fn names_must_be_unique_per_scope_and_non_empty() {
        let a = DedicatedColumn::new(DedicatedScope::Span, "a", DedicatedType::String);
        let a_int = DedicatedColumn::new(DedicatedScope::Span, "a", DedicatedType::Int);
        let a_res = DedicatedColumn::new(DedicatedScope::Resource, "a", DedicatedType::String);
        validate_dedicated_columns(&[a.clone(), a_res], Version::VParquet5).unwrap();
        assert!(validate_dedicated_columns(&[a, a_int], Version::VParquet5).is_err());
        let empty = DedicatedColumn::new(DedicatedScope::Span, "", DedicatedType::String);
        assert!(validate_dedicated_columns(&[empty], Version::VParquet5).is_err());
    }
}
