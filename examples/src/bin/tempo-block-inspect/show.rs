//! `meta` and `schema`: a block's stored metadata and its Parquet schema.

use std::io::Write as _;

use examples::cli::{self, Result};
use tempo_block::schema::schema_text;
use uuid::Uuid;

use crate::{Target, open_reader, read_meta};

/// `meta`: the block's stored meta object, checked to parse first.
pub(crate) async fn meta(target: &Target, block: Uuid, pretty: bool) -> Result<bool> {
    // Parsed first, so a corrupt meta is an error naming the field at fault.
    let stored = read_meta(target, block).await?;
    let bytes = target
        .store
        .read_object(&target.tenant, block, stored.object_name())
        .await?;
    let mut out = cli::stdout();
    if pretty {
        let text = std::str::from_utf8(&bytes)?;
        serde_json::from_str::<serde_json::Value>(text)?;
        out.write_all(indent_json(text).as_bytes())?;
    } else {
        out.write_all(&bytes)?;
        if !bytes.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(true)
}

/// Indents valid JSON text by two spaces per level, keeping every token (field order, number
/// spellings) as it is. Empty objects and arrays stay on one line.
fn indent_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = text.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.next_if(char::is_ascii_whitespace).is_some() {}
                if let Some(close) = chars.next_if(|&n| n == '}' || n == ']') {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

/// `schema`: the block's Parquet schema as `tempo-cli view schema` prints it.
pub(crate) async fn schema(target: &Target, block: Uuid) -> Result<bool> {
    let meta = read_meta(target, block).await?.into_meta();
    let reader = open_reader(target, meta).await?;
    let mut out = cli::stdout();
    out.write_all(schema_text(reader.parquet_schema()).as_bytes())?;
    out.flush()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn indent_json_keeps_tokens_and_order() {
        let text = r#"{"b":1.50,"a":[],"s":"x,{\"y\":[]}","o":{"k":[1, 2]},"e":{}}"#;
        let indented = indent_json(text);
        assert_eq!(
            indented,
            "{\n  \"b\": 1.50,\n  \"a\": [],\n  \"s\": \"x,{\\\"y\\\":[]}\",\n  \"o\": {\n    \"k\": [\n      1,\n      2\n    ]\n  },\n  \"e\": {}\n}\n"
        );
        let again: serde_json::Value = serde_json::from_str(&indented).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }
}
