//! Record assembly: turns the striped leaf columns of a Parquet file (values plus definition
//! and repetition levels) back into nested rows, driven by the file's own schema.
//!
//! The assembler is generic over the schema so one reader serves every block version: LIST-
//! and MAP-annotated groups (vParquet4) and bare repeated groups (vParquet5) both become
//! [`Node::List`]. Every level sequence is checked while it is consumed: a column whose levels
//! do not form the rows the schema describes is reported as corrupt, never guessed at.

use parquet::basic::{ConvertedType, LogicalType, Repetition};
use parquet::column::reader::ColumnReader;
use parquet::data_type::{AsBytes, ByteArray, FixedLenByteArray, Int96};
use parquet::schema::types::Type;

use crate::error::{BlockError, Result, contained};

/// One assembled value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// An absent optional value.
    Null,
    Bool(bool),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    /// A byte array (shares the decoded page's buffer).
    Bytes(ByteArray),
    /// A group's fields in schema order.
    Group(Vec<Node>),
    /// The elements of a repeated field (or of a LIST/MAP group).
    List(Vec<Node>),
}

impl Node {
    pub(crate) fn field(&self, i: usize) -> &Node {
        static NULL: Node = Node::Null;
        match self {
            Node::Group(f) => f.get(i).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    pub(crate) fn list(&self) -> &[Node] {
        match self {
            Node::List(items) => items,
            _ => &[],
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Node::Bytes(b) => b.data(),
            _ => &[],
        }
    }

    pub(crate) fn string(&self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }

    pub(crate) fn i64(&self) -> i64 {
        match self {
            Node::I64(v) => *v,
            Node::I32(v) => i64::from(*v),
            _ => 0,
        }
    }
}

/// How to assemble one schema node.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    Leaf(usize),
    Group {
        names: Vec<String>,
        fields: Vec<Plan>,
    },
    Optional {
        def: i16,
        /// The leaves read under this node (the first one drives the level checks).
        leaves: Vec<usize>,
        inner: Box<Plan>,
    },
    Repeated {
        def: i16,
        rep: i16,
        leaves: Vec<usize>,
        inner: Box<Plan>,
    },
    /// A subtree whose columns are not read; it assembles to [`Node::Null`].
    Skip,
}

impl Plan {
    /// Builds the plan of a file's root message.
    pub(crate) fn of_root(root: &Type) -> Self {
        let mut leaf = 0;
        let fields = root
            .get_fields()
            .iter()
            .map(|f| Self::node(f, 0, 0, &mut leaf))
            .collect();
        Plan::Group {
            names: root
                .get_fields()
                .iter()
                .map(|f| f.name().to_string())
                .collect(),
            fields,
        }
    }

    fn node(t: &Type, def: i16, rep: i16, leaf: &mut usize) -> Self {
        let repetition = t.get_basic_info().repetition();
        let (def, rep) = match repetition {
            Repetition::REQUIRED => (def, rep),
            Repetition::OPTIONAL => (def + 1, rep),
            Repetition::REPEATED => (def + 1, rep + 1),
        };
        let start = *leaf;
        let inner = if t.is_primitive() {
            *leaf += 1;
            Plan::Leaf(start)
        } else if let Some(list) = Self::collapsed(t, def, rep, leaf) {
            list
        } else {
            Plan::Group {
                names: t
                    .get_fields()
                    .iter()
                    .map(|f| f.name().to_string())
                    .collect(),
                fields: t
                    .get_fields()
                    .iter()
                    .map(|f| Self::node(f, def, rep, leaf))
                    .collect(),
            }
        };
        let leaves: Vec<usize> = (start..*leaf).collect();
        match repetition {
            Repetition::REQUIRED => inner,
            Repetition::OPTIONAL => Plan::Optional {
                def,
                leaves,
                inner: Box::new(inner),
            },
            Repetition::REPEATED => Plan::Repeated {
                def,
                rep,
                leaves,
                inner: Box::new(inner),
            },
        }
    }

    /// A LIST or MAP group (`G (LIST) { repeated group list { element } }`) becomes the plan
    /// of its repeated child, with the `element` wrapper removed for LIST.
    fn collapsed(t: &Type, def: i16, rep: i16, leaf: &mut usize) -> Option<Self> {
        let info = t.get_basic_info();
        let is_list = matches!(info.logical_type_ref(), Some(LogicalType::List))
            || info.converted_type() == ConvertedType::LIST;
        let is_map = matches!(info.logical_type_ref(), Some(LogicalType::Map))
            || matches!(
                info.converted_type(),
                ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE
            );
        let [child] = t.get_fields() else { return None };
        if !(is_list || is_map) || child.get_basic_info().repetition() != Repetition::REPEATED {
            return None;
        }
        let mut plan = Self::node(child, def, rep, leaf);
        if is_list
            && let Plan::Repeated { inner, .. } = &mut plan
            && let Plan::Group { names, fields } = inner.as_mut()
            && names.len() == 1
            && names[0] == "element"
            && let Some(element) = fields.pop()
        {
            **inner = element;
        }
        Some(plan)
    }

    /// The plan restricted to the leaves with `needed[leaf]`; subtrees without any become
    /// [`Plan::Skip`] (their columns need not be read).
    pub(crate) fn project(&self, needed: &[bool]) -> Plan {
        let keep = |leaves: &[usize]| -> Vec<usize> {
            leaves
                .iter()
                .copied()
                .filter(|&l| needed.get(l).copied().unwrap_or(false))
                .collect()
        };
        match self {
            Plan::Leaf(l) if needed.get(*l).copied().unwrap_or(false) => Plan::Leaf(*l),
            Plan::Leaf(_) | Plan::Skip => Plan::Skip,
            Plan::Group { names, fields } => Plan::Group {
                names: names.clone(),
                fields: fields.iter().map(|f| f.project(needed)).collect(),
            },
            Plan::Optional { def, leaves, inner } => {
                let leaves = keep(leaves);
                if leaves.is_empty() {
                    Plan::Skip
                } else {
                    Plan::Optional {
                        def: *def,
                        leaves,
                        inner: Box::new(inner.project(needed)),
                    }
                }
            }
            Plan::Repeated {
                def,
                rep,
                leaves,
                inner,
            } => {
                let leaves = keep(leaves);
                if leaves.is_empty() {
                    Plan::Skip
                } else {
                    Plan::Repeated {
                        def: *def,
                        rep: *rep,
                        leaves,
                        inner: Box::new(inner.project(needed)),
                    }
                }
            }
        }
    }

    /// Field index of `name` in a group plan.
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        match self {
            Plan::Group { names, .. } => names.iter().position(|n| n == name),
            _ => None,
        }
    }

    /// The plan of field `name` (looking through list wrappers to the element).
    pub(crate) fn child(&self, name: &str) -> Option<&Plan> {
        match self {
            Plan::Group { fields, .. } => self.index_of(name).and_then(|i| fields.get(i)),
            Plan::Optional { inner, .. } | Plan::Repeated { inner, .. } => inner.child(name),
            Plan::Leaf(_) | Plan::Skip => None,
        }
    }

    /// The element plan of a repeated field.
    pub(crate) fn element(&self) -> &Plan {
        match self {
            Plan::Optional { inner, .. } | Plan::Repeated { inner, .. } => inner.element(),
            other => other,
        }
    }
}

/// The values of one leaf column for a range of rows.
#[derive(Debug)]
pub(crate) enum Values {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I96(Vec<Int96>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bytes(Vec<ByteArray>),
    Fixed(Vec<FixedLenByteArray>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Bool(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::I96(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::Bytes(v) => v.len(),
            Values::Fixed(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> Option<Node> {
        Some(match self {
            Values::Bool(v) => Node::Bool(*v.get(i)?),
            Values::I32(v) => Node::I32(*v.get(i)?),
            Values::I64(v) => Node::I64(*v.get(i)?),
            Values::I96(v) => Node::Bytes(ByteArray::from(v.get(i)?.as_bytes().to_vec())),
            Values::F32(v) => Node::F32(*v.get(i)?),
            Values::F64(v) => Node::F64(*v.get(i)?),
            Values::Bytes(v) => Node::Bytes(v.get(i)?.clone()),
            Values::Fixed(v) => Node::Bytes(ByteArray::from(v.get(i)?.data().to_vec())),
        })
    }
}

/// One leaf column's decoded levels and values, with a read cursor.
#[derive(Debug)]
pub(crate) struct Column {
    path: String,
    max_def: i16,
    max_rep: i16,
    def: Vec<i16>,
    rep: Vec<i16>,
    values: Values,
    pos: usize,
    vpos: usize,
}

impl Column {
    /// Reads up to `rows` records from `reader` into a fresh column.
    pub(crate) fn read(
        path: &str,
        reader: &mut ColumnReader,
        max_def: i16,
        max_rep: i16,
        rows: usize,
    ) -> Result<Self> {
        let mut def = Vec::new();
        let mut rep = Vec::new();
        let what = format!("column {path}");
        macro_rules! read {
            ($r:expr, $variant:ident) => {{
                let mut values = Vec::new();
                let (_, _, levels) = contained(&what, || {
                    $r.read_records(rows, Some(&mut def), Some(&mut rep), &mut values)
                })?;
                (Values::$variant(values), levels)
            }};
        }
        let (values, levels) = match reader {
            ColumnReader::BoolColumnReader(r) => read!(r, Bool),
            ColumnReader::Int32ColumnReader(r) => read!(r, I32),
            ColumnReader::Int64ColumnReader(r) => read!(r, I64),
            ColumnReader::Int96ColumnReader(r) => read!(r, I96),
            ColumnReader::FloatColumnReader(r) => read!(r, F32),
            ColumnReader::DoubleColumnReader(r) => read!(r, F64),
            ColumnReader::ByteArrayColumnReader(r) => read!(r, Bytes),
            ColumnReader::FixedLenByteArrayColumnReader(r) => read!(r, Fixed),
        };
        // Levels of a column whose maximum is 0 are not stored: every entry is at level 0.
        let levels = if max_def == 0 && max_rep == 0 {
            values.len()
        } else {
            levels
        };
        if max_def == 0 {
            def = vec![0; levels];
        }
        if max_rep == 0 {
            rep = vec![0; levels];
        }
        if def.len() != levels || rep.len() != levels {
            return Err(BlockError::corrupt(
                format!("column {path}"),
                format!(
                    "{} definition and {} repetition levels for {levels} entries",
                    def.len(),
                    rep.len()
                ),
            ));
        }
        Ok(Self {
            path: path.to_string(),
            max_def,
            max_rep,
            def,
            rep,
            values,
            pos: 0,
            vpos: 0,
        })
    }

    /// A column that is not read (its leaf is skipped by the plan).
    pub(crate) fn placeholder() -> Self {
        Self {
            path: String::new(),
            max_def: 0,
            max_rep: 0,
            def: Vec::new(),
            rep: Vec::new(),
            values: Values::Bool(Vec::new()),
            pos: 0,
            vpos: 0,
        }
    }

    /// Skips `rows` records in `reader` (whole pages are skipped through the offset index).
    pub(crate) fn skip(path: &str, reader: &mut ColumnReader, rows: usize) -> Result<()> {
        let skipped = contained(&format!("column {path}"), || match reader {
            ColumnReader::BoolColumnReader(r) => r.skip_records(rows),
            ColumnReader::Int32ColumnReader(r) => r.skip_records(rows),
            ColumnReader::Int64ColumnReader(r) => r.skip_records(rows),
            ColumnReader::Int96ColumnReader(r) => r.skip_records(rows),
            ColumnReader::FloatColumnReader(r) => r.skip_records(rows),
            ColumnReader::DoubleColumnReader(r) => r.skip_records(rows),
            ColumnReader::ByteArrayColumnReader(r) => r.skip_records(rows),
            ColumnReader::FixedLenByteArrayColumnReader(r) => r.skip_records(rows),
        })?;
        if skipped == rows {
            Ok(())
        } else {
            Err(BlockError::corrupt(
                format!("column {path}"),
                format!("skipping {rows} rows found only {skipped}"),
            ))
        }
    }

    fn corrupt(&self, detail: impl Into<String>) -> BlockError {
        BlockError::corrupt(
            format!("column {} at level entry {}", self.path, self.pos),
            detail,
        )
    }

    fn peek(&self) -> Option<(i16, i16)> {
        Some((*self.def.get(self.pos)?, *self.rep.get(self.pos)?))
    }

    fn peek_def(&self) -> Result<i16> {
        self.peek()
            .map(|(d, _)| d)
            .ok_or_else(|| self.corrupt("levels end inside a row"))
    }

    /// Consumes one entry that must hold no value (its definition level is below `def`).
    fn skip_absent(&mut self, def: i16) -> Result<()> {
        let d = self.peek_def()?;
        if d >= def {
            return Err(self.corrupt(format!(
                "definition level {d} where an absent value (< {def}) was expected"
            )));
        }
        self.pos += 1;
        Ok(())
    }

    fn take(&mut self) -> Result<Node> {
        let d = self.peek_def()?;
        if d != self.max_def {
            return Err(self.corrupt(format!(
                "definition level {d} where a value (level {}) was expected",
                self.max_def
            )));
        }
        let v = self
            .values
            .get(self.vpos)
            .ok_or_else(|| self.corrupt("fewer values than defined levels"))?;
        self.pos += 1;
        self.vpos += 1;
        Ok(v)
    }

    /// True when every entry has been consumed.
    fn done(&self) -> bool {
        self.pos >= self.def.len()
    }

    /// True when the next entry starts a new row (or there is none).
    fn at_row_start(&self) -> bool {
        self.peek().is_none_or(|(_, r)| r == 0)
    }

    /// Position of `value` among the values of a required, non-repeated byte-array column
    /// (which is its row within the range read).
    pub(crate) fn position_of(&self, value: &[u8]) -> Option<usize> {
        match &self.values {
            Values::Bytes(v) if self.max_def == 0 && self.max_rep == 0 => {
                v.iter().position(|b| b.data() == value)
            }
            _ => None,
        }
    }
}

/// Assembles rows from a set of columns read over the same row range.
pub(crate) struct Assembler<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) columns: Vec<Column>,
}

impl Assembler<'_> {
    /// Assembles the next row, or `None` when the columns are exhausted.
    pub(crate) fn next_row(&mut self) -> Result<Option<Node>> {
        // The first column that is read (a projected plan leaves placeholders).
        let lead = self.columns.iter().find(|c| !c.path.is_empty());
        if lead.is_none_or(Column::done) {
            if let Some(c) = self.columns.iter().find(|c| !c.done()) {
                return Err(c.corrupt("more entries than the other columns"));
            }
            return Ok(None);
        }
        let row = self.node(self.plan)?;
        if let Some(c) = self.columns.iter().find(|c| !c.at_row_start()) {
            return Err(c.corrupt("entries left over after a complete row"));
        }
        Ok(Some(row))
    }

    fn column(&mut self, i: usize) -> Result<&mut Column> {
        let n = self.columns.len();
        self.columns
            .get_mut(i)
            .ok_or_else(|| BlockError::corrupt("schema", format!("leaf {i} of {n} missing")))
    }

    fn node(&mut self, plan: &Plan) -> Result<Node> {
        match plan {
            Plan::Leaf(i) => self.column(*i)?.take(),
            Plan::Group { fields, .. } => fields
                .iter()
                .map(|f| self.node(f))
                .collect::<Result<Vec<_>>>()
                .map(Node::Group),
            Plan::Skip => Ok(Node::Null),
            Plan::Optional { def, leaves, inner } => {
                let first = leaves.first().copied().unwrap_or(usize::MAX);
                if self.column(first)?.peek_def()? < *def {
                    for &c in leaves {
                        self.column(c)?.skip_absent(*def)?;
                    }
                    Ok(Node::Null)
                } else {
                    self.node(inner)
                }
            }
            Plan::Repeated {
                def,
                rep,
                leaves,
                inner,
            } => {
                let first = leaves.first().copied().unwrap_or(usize::MAX);
                if self.column(first)?.peek_def()? < *def {
                    for &c in leaves {
                        self.column(c)?.skip_absent(*def)?;
                    }
                    return Ok(Node::List(Vec::new()));
                }
                let mut items = Vec::new();
                loop {
                    items.push(self.node(inner)?);
                    match self.column(first)?.peek() {
                        Some((_, r)) if r == *rep => {}
                        Some((_, r)) if r > *rep => {
                            return Err(self.columns[first]
                                .corrupt(format!("repetition level {r} deeper than the field")));
                        }
                        _ => break,
                    }
                }
                Ok(Node::List(items))
            }
        }
    }
}
