//! Opening a Tempo bucket: the root holding `<tenant>/<blockID>/…`, a local folder or an
//! object-store URL.

use std::path::Path;
use std::sync::Arc;

use tempo_block::{BlockStore, ObjectStoreBackend};

/// The options naming a bucket and a tenant, shared by the tools that read or write Tempo
/// blocks (`#[command(flatten)]`).
#[derive(Debug, Clone, clap::Args)]
pub struct BucketArgs {
    /// The bucket root holding `<tenant>/<blockID>/…`: a local folder, or a URL (file://,
    /// s3://, gs://, az://; cloud stores need the matching cargo feature).
    #[arg(long, value_name = "DIR_OR_URL")]
    pub path: String,
    /// The tenant (`single-tenant` is Tempo's when multitenancy is off).
    #[arg(long)]
    pub tenant: String,
    /// An object-store setting (object_store's config keys, e.g.
    /// `aws_endpoint=http://localhost:9000`); repeatable, overrides the environment.
    #[arg(long = "store-option", value_name = "KEY=VALUE", value_parser = parse_store_option)]
    pub store_options: Vec<(String, String)>,
}

impl BucketArgs {
    /// The store these options name (see [`open_store`]).
    ///
    /// # Errors
    ///
    /// As [`open_store`].
    pub fn open(&self, access: Access) -> Result<BlockStore, Box<dyn std::error::Error>> {
        open_store(&self.path, &self.store_options, access)
    }
}

/// Whether [`open_store`] may create a local bucket folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading: a local folder must exist (the backend would create it, and a typo would
    /// then read as an empty bucket).
    Read,
    /// Writing: a missing local folder is created.
    Write,
}

/// A `--store-option`: `KEY=VALUE` with a non-empty key.
///
/// # Errors
///
/// A message quoting `text` when it is not `KEY=VALUE`.
pub fn parse_store_option(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

/// The local folder `path` names: the path itself, or the path of a `file://` URL; `None`
/// for other URLs.
pub fn local_folder(path: &str) -> Option<&str> {
    match path.split_once("://") {
        None => Some(path),
        Some(("file", dir)) => Some(dir),
        Some(_) => None,
    }
}

/// The store at `path` (a local folder, `file://`, `s3://`, `gs://` or `az://` URL; the
/// cloud stores need the matching cargo feature), with object-store settings `options`
/// overriding the environment's.
///
/// # Errors
///
/// For [`Access::Read`], a local folder that does not exist; the backend's error for a URL
/// it does not accept (it names the URL).
pub fn open_store(
    path: &str,
    options: &[(String, String)],
    access: Access,
) -> Result<BlockStore, Box<dyn std::error::Error>> {
    if access == Access::Read
        && let Some(dir) = local_folder(path)
        && !Path::new(dir).is_dir()
    {
        return Err(format!(
            "{path}: no such folder (the bucket root, holding <tenant>/<blockID>/…)"
        )
        .into());
    }
    let options = options.iter().map(|(k, v)| (k.as_str(), v.clone()));
    let backend = ObjectStoreBackend::from_url_with_options(path, options)?;
    Ok(BlockStore::new(Arc::new(backend)))
}

/// What to tell a user whose tenant has no blocks in the bucket at `path`: which tenants the
/// bucket does hold (the listing's error, if it fails, is part of the message).
pub async fn no_blocks(store: &BlockStore, path: &str, tenant: &str, live: bool) -> String {
    let blocks = if live { "live blocks" } else { "blocks" };
    let tenants = match store.list_tenants().await {
        Ok(tenants) => tenants,
        Err(e) => return format!("tenant {tenant} has no {blocks} in {path} ({e})"),
    };
    let others: Vec<&str> = tenants
        .iter()
        .map(String::as_str)
        .filter(|t| *t != tenant)
        .collect();
    if others.is_empty() {
        format!("tenant {tenant} has no {blocks} in {path}, which holds no other tenant")
    } else {
        format!(
            "tenant {tenant} has no {blocks} in {path}; the tenants there: {}",
            others.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn store_options_and_folders() {
        assert_eq!(
            parse_store_option("aws_region=eu-west-1").unwrap(),
            ("aws_region".to_owned(), "eu-west-1".to_owned())
        );
        assert_eq!(
            parse_store_option("k=").unwrap(),
            ("k".to_owned(), String::new())
        );
        assert!(parse_store_option("=x").is_err());
        assert!(parse_store_option("x").is_err());
        assert_eq!(local_folder("./data"), Some("./data"));
        assert_eq!(local_folder("file:///tmp/b"), Some("/tmp/b"));
        assert_eq!(local_folder("s3://bucket/prefix"), None);
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("b");
        let missing = missing.to_str().unwrap();
        assert!(open_store(missing, &[], Access::Read).is_err());
        open_store(missing, &[], Access::Write).unwrap();
        assert!(Path::new(missing).is_dir());
    }
}
