//! The vParquet5 Parquet schema, derived from a block's dedicated-column list.
//!
//! Tempo's vParquet5 schema is not fixed: every scope (resource, span, event) has spare
//! dedicated-attribute slots (`String01`..`String20`, `Int01`..`Int05`), and only the slots the
//! block's dedicated-column list uses are kept; a scope that uses none loses its whole
//! `DedicatedAttributes` group. [`BlockSchema::new`] derives the schema, the slot of every
//! dedicated column, and the compression and encoding Tempo writes for every leaf column.

use std::fmt::Write as _;
use std::sync::Arc;

use parquet::basic::{LogicalType, Repetition, Type as Physical};
use parquet::schema::types::{Type, TypePtr};

use crate::error::{BlockError, Result};
use crate::meta::{DedicatedColumn, DedicatedScope, DedicatedType};

/// String slots per scope in vParquet5.
pub const MAX_STRING_SLOTS: usize = 20;
/// Integer slots per scope in vParquet5.
pub const MAX_INT_SLOTS: usize = 5;

/// How a leaf column's pages are compressed (Tempo's struct tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    None,
    Snappy,
    Zstd,
}

/// How a leaf column's values are encoded (Tempo's struct tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enc {
    /// `dict`: dictionary pages, RLE_DICTIONARY data, PLAIN fallback.
    Dict,
    /// `delta`: DELTA_BINARY_PACKED integers.
    Delta,
    /// PLAIN values.
    Plain,
    /// Byte arrays without a dictionary: DELTA_LENGTH_BYTE_ARRAY.
    DeltaLength,
}

/// Write settings of one leaf column, in schema order.
#[derive(Debug, Clone)]
pub(crate) struct LeafSpec {
    /// Dotted path, e.g. `rs.ss.Spans.Attrs.Key`.
    pub path: String,
    pub codec: Codec,
    pub enc: Enc,
    /// Whether page statistics (column index bounds) are written; off for `blob` columns.
    pub page_stats: bool,
}

/// The dedicated columns of one scope, split by type in slot order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSlots {
    /// String columns; the i-th is stored in `String{i+1:02}`.
    pub strings: Vec<DedicatedColumn>,
    /// Integer columns; the i-th is stored in `Int{i+1:02}`.
    pub ints: Vec<DedicatedColumn>,
}

impl ScopeSlots {
    /// True when the scope has no dedicated column (its group is left out of the schema).
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty() && self.ints.is_empty()
    }
}

/// The schema of a vParquet5 block and the slot assignment it was derived from.
#[derive(Debug, Clone)]
pub struct BlockSchema {
    /// The dedicated-column list, as given.
    pub(crate) columns: Vec<DedicatedColumn>,
    /// Resource-scope slots.
    pub resource: ScopeSlots,
    /// Span-scope slots.
    pub span: ScopeSlots,
    /// Event-scope slots.
    pub event: ScopeSlots,
    pub(crate) root: TypePtr,
    pub(crate) leaves: Vec<LeafSpec>,
}

impl BlockSchema {
    /// Derives the vParquet5 schema for a dedicated-column list.
    ///
    /// Columns are given slots per scope and type in list order. Fails with
    /// [`BlockError::InvalidInput`] for a scope with more than 20 string or 5 integer columns,
    /// an empty name, or the same (scope, name) twice.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] as described above.
    pub fn new(columns: &[DedicatedColumn]) -> Result<Self> {
        let mut resource = ScopeSlots::default();
        let mut span = ScopeSlots::default();
        let mut event = ScopeSlots::default();
        let mut seen = std::collections::HashSet::new();
        for c in columns {
            if c.name.is_empty() {
                return Err(BlockError::InvalidInput(
                    "dedicated column with an empty name".into(),
                ));
            }
            if !seen.insert((c.scope, c.name.as_str())) {
                return Err(BlockError::InvalidInput(format!(
                    "dedicated column {:?} listed twice for one scope",
                    c.name
                )));
            }
            let slots = match c.scope {
                DedicatedScope::Resource => &mut resource,
                DedicatedScope::Span => &mut span,
                DedicatedScope::Event => &mut event,
            };
            match c.kind {
                DedicatedType::String => slots.strings.push(c.clone()),
                DedicatedType::Int => slots.ints.push(c.clone()),
            }
            if slots.strings.len() > MAX_STRING_SLOTS || slots.ints.len() > MAX_INT_SLOTS {
                return Err(BlockError::InvalidInput(format!(
                    "more than {MAX_STRING_SLOTS} string or {MAX_INT_SLOTS} int dedicated \
                     columns in scope {:?}",
                    c.scope
                )));
            }
        }
        let mut b = Builder::default();
        let root = b
            .root(&resource, &span, &event)
            .map_err(|e| BlockError::InvalidInput(format!("schema: {e}")))?;
        Ok(Self {
            columns: columns.to_vec(),
            resource,
            span,
            event,
            root,
            leaves: b.leaves,
        })
    }

    /// The Parquet schema (root message `Trace`).
    pub fn parquet_type(&self) -> &Type {
        &self.root
    }

    /// The dedicated-column list the schema was derived from.
    pub fn dedicated_columns(&self) -> &[DedicatedColumn] {
        &self.columns
    }

    /// The dotted paths of all leaf columns, in file order.
    pub fn leaf_paths(&self) -> impl Iterator<Item = &str> {
        self.leaves.iter().map(|l| l.path.as_str())
    }
}

/// Builds the schema tree and records every leaf's write settings in schema order.
#[derive(Default)]
struct Builder {
    leaves: Vec<LeafSpec>,
}

type R<T> = parquet::errors::Result<T>;

const REQ: Repetition = Repetition::REQUIRED;
const REP: Repetition = Repetition::REPEATED;
const OPT: Repetition = Repetition::OPTIONAL;

/// A logical annotation for a leaf.
#[derive(Clone, Copy)]
enum Ann {
    None,
    Str,
    U64,
    I64,
    U32,
    I32,
}

impl Builder {
    #[allow(
        clippy::too_many_arguments,
        reason = "one call per schema leaf reads like the schema itself"
    )]
    fn leaf(
        &mut self,
        prefix: &str,
        name: &str,
        physical: Physical,
        ann: Ann,
        repetition: Repetition,
        codec: Codec,
        enc: Enc,
    ) -> R<TypePtr> {
        self.leaf_stats(prefix, name, physical, ann, repetition, codec, enc, true)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one call per schema leaf reads like the schema itself"
    )]
    fn leaf_stats(
        &mut self,
        prefix: &str,
        name: &str,
        physical: Physical,
        ann: Ann,
        repetition: Repetition,
        codec: Codec,
        enc: Enc,
        page_stats: bool,
    ) -> R<TypePtr> {
        self.leaves.push(LeafSpec {
            path: format!("{prefix}{name}"),
            codec,
            enc,
            page_stats,
        });
        let logical = match ann {
            Ann::None => None,
            Ann::Str => Some(LogicalType::String),
            Ann::U64 => Some(LogicalType::integer(64, false)),
            Ann::I64 => Some(LogicalType::integer(64, true)),
            Ann::U32 => Some(LogicalType::integer(32, false)),
            Ann::I32 => Some(LogicalType::integer(32, true)),
        };
        Ok(Arc::new(
            Type::primitive_type_builder(name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()?,
        ))
    }

    fn group(name: &str, repetition: Repetition, fields: Vec<TypePtr>) -> R<TypePtr> {
        Ok(Arc::new(
            Type::group_type_builder(name)
                .with_repetition(repetition)
                .with_fields(fields)
                .build()?,
        ))
    }

    fn root(&mut self, res: &ScopeSlots, span: &ScopeSlots, event: &ScopeSlots) -> R<TypePtr> {
        use Codec::{None as Raw, Snappy};
        use Enc::{Delta, DeltaLength, Dict};
        let mut fields = vec![
            self.leaf(
                "",
                "TraceID",
                Physical::BYTE_ARRAY,
                Ann::None,
                REQ,
                Raw,
                DeltaLength,
            )?,
            self.leaf(
                "",
                "TraceIDText",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Snappy,
                DeltaLength,
            )?,
            self.leaf(
                "",
                "StartTimeUnixNano",
                Physical::INT64,
                Ann::U64,
                REQ,
                Raw,
                Delta,
            )?,
            self.leaf(
                "",
                "EndTimeUnixNano",
                Physical::INT64,
                Ann::U64,
                REQ,
                Raw,
                Delta,
            )?,
            self.leaf(
                "",
                "DurationNano",
                Physical::INT64,
                Ann::U64,
                REQ,
                Raw,
                Delta,
            )?,
            self.leaf(
                "",
                "RootServiceName",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Raw,
                Dict,
            )?,
            self.leaf(
                "",
                "RootSpanName",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Raw,
                Dict,
            )?,
        ];
        let p = "ServiceStats.";
        let stats = vec![
            self.leaf(
                p,
                "ServiceName",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Snappy,
                Dict,
            )?,
            self.leaf(p, "SpanCount", Physical::INT32, Ann::U32, REQ, Raw, Delta)?,
            self.leaf(p, "ErrorCount", Physical::INT32, Ann::U32, REQ, Raw, Delta)?,
        ];
        fields.push(Self::group("ServiceStats", REP, stats)?);
        fields.push(self.resource_spans(res, span, event)?);
        Self::group("Trace", REQ, fields)
    }

    fn resource_spans(
        &mut self,
        res: &ScopeSlots,
        span: &ScopeSlots,
        event: &ScopeSlots,
    ) -> R<TypePtr> {
        use Codec::{None as Raw, Snappy};
        use Enc::{Delta, Dict};
        let p = "rs.Resource.";
        let mut resource = vec![
            self.leaf(
                p,
                "ServiceName",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Snappy,
                Dict,
            )?,
            self.attrs(p)?,
            self.leaf(
                p,
                "DroppedAttributesCount",
                Physical::INT32,
                Ann::I32,
                REQ,
                Snappy,
                Delta,
            )?,
        ];
        if let Some(d) = self.dedicated(p, res)? {
            resource.push(d);
        }
        let resource = Self::group("Resource", REQ, resource)?;

        let p = "rs.ss.Scope.";
        let scope = vec![
            self.leaf(p, "Name", Physical::BYTE_ARRAY, Ann::Str, REQ, Snappy, Dict)?,
            self.leaf(
                p,
                "Version",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Snappy,
                Dict,
            )?,
            self.attrs(p)?,
            self.leaf(
                p,
                "DroppedAttributesCount",
                Physical::INT32,
                Ann::I32,
                REQ,
                Snappy,
                Delta,
            )?,
        ];
        let scope = Self::group("Scope", REQ, scope)?;
        let spans = self.spans(span, event)?;
        let span_count = self.leaf(
            "rs.ss.",
            "SpanCount",
            Physical::INT32,
            Ann::I32,
            REQ,
            Raw,
            Delta,
        )?;
        let ss = Self::group("ss", REP, vec![scope, spans, span_count])?;
        Self::group("rs", REP, vec![resource, ss])
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one statement per schema leaf, in schema order"
    )]
    fn spans(&mut self, span: &ScopeSlots, event: &ScopeSlots) -> R<TypePtr> {
        use Codec::{None as Raw, Snappy};
        use Enc::{Delta, DeltaLength, Dict, Plain};
        let p = "rs.ss.Spans.";
        let mut f = vec![
            self.leaf(
                p,
                "SpanID",
                Physical::BYTE_ARRAY,
                Ann::None,
                REQ,
                Raw,
                DeltaLength,
            )?,
            self.leaf(
                p,
                "ParentSpanID",
                Physical::BYTE_ARRAY,
                Ann::None,
                REQ,
                Raw,
                DeltaLength,
            )?,
            self.leaf(p, "ParentID", Physical::INT32, Ann::I32, REQ, Raw, Delta)?,
            self.leaf(
                p,
                "NestedSetLeft",
                Physical::INT32,
                Ann::I32,
                REQ,
                Raw,
                Delta,
            )?,
            self.leaf(
                p,
                "NestedSetRight",
                Physical::INT32,
                Ann::I32,
                REQ,
                Raw,
                Delta,
            )?,
            self.leaf(p, "ChildCount", Physical::INT32, Ann::I32, REQ, Raw, Delta)?,
            self.leaf(p, "Name", Physical::BYTE_ARRAY, Ann::Str, REQ, Snappy, Dict)?,
            self.leaf(p, "Kind", Physical::INT64, Ann::I64, REQ, Raw, Delta)?,
            self.leaf(
                p,
                "TraceState",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Snappy,
                DeltaLength,
            )?,
            self.leaf(
                p,
                "StartTimeUnixNano",
                Physical::INT64,
                Ann::U64,
                REQ,
                Raw,
                Delta,
            )?,
            self.leaf(
                p,
                "DurationNano",
                Physical::INT64,
                Ann::U64,
                REQ,
                Raw,
                Delta,
            )?,
            self.leaf(p, "StatusCode", Physical::INT64, Ann::I64, REQ, Raw, Delta)?,
            self.leaf(
                p,
                "StatusMessage",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Snappy,
                DeltaLength,
            )?,
            self.attrs(p)?,
            self.leaf(
                p,
                "DroppedAttributesCount",
                Physical::INT32,
                Ann::I32,
                REQ,
                Snappy,
                Delta,
            )?,
        ];
        let e = "rs.ss.Spans.Events.";
        let mut events = vec![
            self.leaf(
                e,
                "TimeSinceStartNano",
                Physical::INT64,
                Ann::U64,
                REQ,
                Raw,
                Delta,
            )?,
            self.leaf(e, "Name", Physical::BYTE_ARRAY, Ann::Str, REQ, Snappy, Dict)?,
            self.attrs(e)?,
            self.leaf(
                e,
                "DroppedAttributesCount",
                Physical::INT32,
                Ann::I32,
                REQ,
                Snappy,
                Delta,
            )?,
        ];
        if let Some(d) = self.dedicated(e, event)? {
            events.push(d);
        }
        f.push(Self::group("Events", REP, events)?);
        f.push(self.leaf(
            p,
            "DroppedEventsCount",
            Physical::INT32,
            Ann::I32,
            REQ,
            Snappy,
            Plain,
        )?);
        let l = "rs.ss.Spans.Links.";
        let links = vec![
            self.leaf(
                l,
                "TraceID",
                Physical::BYTE_ARRAY,
                Ann::None,
                REQ,
                Raw,
                DeltaLength,
            )?,
            self.leaf(
                l,
                "SpanID",
                Physical::BYTE_ARRAY,
                Ann::None,
                REQ,
                Raw,
                DeltaLength,
            )?,
            self.leaf(
                l,
                "TraceState",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REQ,
                Snappy,
                DeltaLength,
            )?,
            self.attrs(l)?,
            self.leaf(
                l,
                "DroppedAttributesCount",
                Physical::INT32,
                Ann::I32,
                REQ,
                Snappy,
                Delta,
            )?,
        ];
        f.push(Self::group("Links", REP, links)?);
        f.push(self.leaf(
            p,
            "DroppedLinksCount",
            Physical::INT32,
            Ann::I32,
            REQ,
            Snappy,
            Plain,
        )?);
        if let Some(d) = self.dedicated(p, span)? {
            f.push(d);
        }
        for name in [
            "StartTimeRounded15",
            "StartTimeRounded60",
            "StartTimeRounded300",
            "StartTimeRounded3600",
        ] {
            f.push(self.leaf(p, name, Physical::INT32, Ann::U32, REQ, Raw, Delta)?);
        }
        Self::group("Spans", REP, f)
    }

    /// The generic `Attrs` group under `prefix`.
    fn attrs(&mut self, prefix: &str) -> R<TypePtr> {
        use Codec::Snappy;
        use Enc::{DeltaLength, Dict, Plain};
        let p = format!("{prefix}Attrs.");
        let p = p.as_str();
        let fields = vec![
            self.leaf(p, "Key", Physical::BYTE_ARRAY, Ann::Str, REQ, Snappy, Dict)?,
            self.leaf(
                p,
                "IsArray",
                Physical::BOOLEAN,
                Ann::None,
                REQ,
                Snappy,
                Plain,
            )?,
            self.leaf(
                p,
                "Value",
                Physical::BYTE_ARRAY,
                Ann::Str,
                REP,
                Snappy,
                Dict,
            )?,
            self.leaf(p, "ValueInt", Physical::INT64, Ann::I64, REP, Snappy, Plain)?,
            self.leaf(
                p,
                "ValueDouble",
                Physical::DOUBLE,
                Ann::None,
                REP,
                Snappy,
                Plain,
            )?,
            self.leaf(
                p,
                "ValueBool",
                Physical::BOOLEAN,
                Ann::None,
                REP,
                Snappy,
                Plain,
            )?,
            self.leaf(
                p,
                "ValueUnsupported",
                Physical::BYTE_ARRAY,
                Ann::Str,
                OPT,
                Snappy,
                DeltaLength,
            )?,
        ];
        Self::group("Attrs", REP, fields)
    }

    /// The `DedicatedAttributes` group of a scope, or `None` when the scope uses no slot.
    fn dedicated(&mut self, prefix: &str, slots: &ScopeSlots) -> R<Option<TypePtr>> {
        if slots.is_empty() {
            return Ok(None);
        }
        let p = format!("{prefix}DedicatedAttributes.");
        let mut fields = Vec::new();
        for (i, c) in slots.strings.iter().enumerate() {
            let name = format!("String{:02}", i + 1);
            fields.push(if c.options.blob {
                self.leaf_stats(
                    &p,
                    &name,
                    Physical::BYTE_ARRAY,
                    Ann::Str,
                    REP,
                    Codec::Zstd,
                    Enc::DeltaLength,
                    false,
                )?
            } else {
                self.leaf(
                    &p,
                    &name,
                    Physical::BYTE_ARRAY,
                    Ann::Str,
                    REP,
                    Codec::Snappy,
                    Enc::Dict,
                )?
            });
        }
        for i in 0..slots.ints.len() {
            let name = format!("Int{:02}", i + 1);
            fields.push(self.leaf(
                &p,
                &name,
                Physical::INT64,
                Ann::I64,
                REP,
                Codec::Snappy,
                Enc::Plain,
            )?);
        }
        Ok(Some(Self::group("DedicatedAttributes", REQ, fields)?))
    }
}

/// Prints a Parquet schema the way `tempo-cli view schema` (parquet-go) does: one field per
/// line, tab-indented, logical types as `(STRING)`, `(INT(64,false))`, `(LIST)`, `(MAP)`.
pub fn schema_text(root: &Type) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "message {} {{", root.name());
    for f in root.get_fields() {
        print_field(&mut out, f, 1);
    }
    out.push_str("}\n");
    out
}

fn print_field(out: &mut String, t: &Type, depth: usize) {
    let indent = "\t".repeat(depth);
    let info = t.get_basic_info();
    let repetition = match info.repetition() {
        Repetition::REQUIRED => "required",
        Repetition::OPTIONAL => "optional",
        Repetition::REPEATED => "repeated",
    };
    let ann = match info.logical_type_ref() {
        Some(LogicalType::String) => " (STRING)".to_string(),
        Some(LogicalType::List) => " (LIST)".to_string(),
        Some(LogicalType::Map) => " (MAP)".to_string(),
        Some(LogicalType::Integer(i)) => format!(" (INT({},{}))", i.bit_width, i.is_signed),
        Some(other) => format!(" ({other:?})"),
        None => match info.converted_type() {
            parquet::basic::ConvertedType::LIST => " (LIST)".to_string(),
            parquet::basic::ConvertedType::MAP => " (MAP)".to_string(),
            _ => String::new(),
        },
    };
    if t.is_group() {
        let _ = writeln!(out, "{indent}{repetition} group {}{ann} {{", t.name());
        for f in t.get_fields() {
            print_field(out, f, depth + 1);
        }
        let _ = writeln!(out, "{indent}}}");
    } else {
        let physical = match t.get_physical_type() {
            Physical::BOOLEAN => "boolean",
            Physical::INT32 => "int32",
            Physical::INT64 => "int64",
            Physical::INT96 => "int96",
            Physical::FLOAT => "float",
            Physical::DOUBLE => "double",
            Physical::BYTE_ARRAY => "binary",
            Physical::FIXED_LEN_BYTE_ARRAY => "fixed_len_byte_array",
        };
        let _ = writeln!(out, "{indent}{repetition} {physical} {}{ann};", t.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_list_gives_the_golden_slot_layout() {
        let s =
            BlockSchema::new(&DedicatedColumn::default_list()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.resource.strings.len(), 4);
        assert_eq!(s.span.strings.len(), 7);
        assert_eq!(s.span.ints.len(), 3);
        assert!(s.event.is_empty());
        assert_eq!(s.leaves.len(), 92);
        let text = schema_text(s.parquet_type());
        assert!(text.contains("\t\t\t\trepeated int64 Int03 (INT(64,true));\n"));
        assert!(!text.contains("Events.DedicatedAttributes"));
    }

    #[test]
    fn unused_scopes_lose_their_group() {
        let s = BlockSchema::new(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!schema_text(s.parquet_type()).contains("DedicatedAttributes"));
        assert_eq!(s.leaves.len(), 92 - 14);
    }
}
